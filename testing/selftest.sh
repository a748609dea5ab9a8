#!/usr/bin/env bash
# Self-test of the test tooling: builds the fixtures and both trees in a temporary directory and
# checks them with the openssl CLI and testing/judge.py. Needs testing/install-deps.sh to have run.
#
#   testing/selftest.sh          # prints one line per failed check and "N passed, N failed"
#
# Exit 0 iff every check passed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PY="$REPO/.venv/bin/python"
[ -x "$PY" ] || { echo "selftest: $PY missing; run testing/install-deps.sh" >&2; exit 2; }
JUDGE=("$PY" "$HERE/judge.py")

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
PASSED=0
FAILED=0

# expect CODE DESCRIPTION -- COMMAND...: run COMMAND quietly, compare its exit code with CODE.
expect() {
    local want="$1" what="$2" rc=0
    shift 3
    "$@" >"$TMP/out" 2>&1 || rc=$?
    if [ "$rc" -eq "$want" ]; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
        echo "FAIL: $what: exit $rc, wanted $want"
        sed 's/^/    /' "$TMP/out" | head -n 5
    fi
}

# openssl_verify EXPECT CAFILE CERT: EXPECT is "ok" or an openssl error number (10 = expired).
openssl_verify() {
    local want="$1" ca="$2" cert="$3" out
    out="$(openssl verify -CAfile "$ca" "$cert" 2>&1 || true)"
    if [ "$want" = ok ]; then
        [[ "$out" == *": OK" ]]
    else
        [[ "$out" == *"error $want at 0 depth"* ]]
    fi
}

# --- fixtures -----------------------------------------------------------------------------------
FX="$TMP/fixtures"
expect 0 "openssl-fixtures.sh" -- "$HERE/openssl-fixtures.sh" "$FX"
M="$FX/MANIFEST.json"

# One line per manifest entry: name role issuer key subject openssl_verify intent object
"$PY" - "$M" > "$TMP/entries.tsv" <<'PY'
import json, sys
for name, e in json.load(open(sys.argv[1]))["files"].items():
    print("\t".join(str(e.get(k) or "-") for k in (
        "role", "issuer_file", "key_file", "subject", "openssl_verify", "intent", "object",
        "password")) + "\t" + name)
PY

while IFS=$'\t' read -r role issuer key subject verify intent object password name; do
    case "$role" in
        ca|leaf)
            if [ "$verify" = ok ]; then
                expect 0 "openssl verify $name" -- openssl_verify ok "$FX/$issuer" "$FX/$name"
            else
                expect 1 "openssl verify $name fails ($verify)" -- openssl_verify ok "$FX/$issuer" "$FX/$name"
            fi
            expect 0 "judge verify $name" -- "${JUDGE[@]}" verify "$FX/$name" "$FX/$issuer"
            expect 0 "judge key-match $name" -- "${JUDGE[@]}" key-match "$FX/$name" "$FX/$key"
            expect 0 "judge subject of $name is manifest's" -- \
                "$PY" -c 'import json,subprocess,sys; d=json.loads(subprocess.run(sys.argv[1:5],capture_output=True,check=True).stdout); sys.exit(d["subject"]!=sys.argv[5])' \
                "${JUDGE[@]}" dump "$FX/$name" "$subject"
            ;;
        chain)
            expect 0 "judge client-verify $name" -- "${JUDGE[@]}" client-verify "$FX/$name" "$FX/$issuer"
            ;;
        bundle)
            expect 0 "judge dump --all $name" -- "${JUDGE[@]}" dump --all "$FX/$name"
            ;;
        bad)
            case "$intent:$object" in
                negative-serial:cert)
                    expect 0 "judge verify $name (correctly signed)" -- "${JUDGE[@]}" verify "$FX/$name" "$FX/$issuer" ;;
                unsupported-algorithm:cert)
                    expect 0 "judge dump $name" -- "${JUDGE[@]}" dump "$FX/$name" ;;
                *:cert)
                    expect 2 "judge dump $name rejects it" -- "${JUDGE[@]}" dump "$FX/$name" ;;
                encrypted:key)
                    expect 2 "judge key-match $name without password" -- "${JUDGE[@]}" key-match "$FX/client.crt" "$FX/$name"
                    expect 0 "judge key-match $name with password" -- "${JUDGE[@]}" key-match "$FX/client.crt" "$FX/$name" --password "$password" ;;
                key-mismatch:key)
                    expect 1 "judge key-match $name" -- "${JUDGE[@]}" key-match "$FX/client.crt" "$FX/$name" ;;
            esac
            ;;
    esac
done < "$TMP/entries.tsv"
expect 0 "century notAfter is GeneralizedTime" -- \
    grep -q '"not_after_encoding": "GeneralizedTime"' <("${JUDGE[@]}" dump "$FX/century.crt")
expect 0 "bundle_messy.pem holds 3 certificates" -- \
    "$PY" -c 'import json,subprocess,sys; sys.exit(len(json.loads(subprocess.run(sys.argv[1:],capture_output=True,check=True).stdout)) != 3)' \
    "${JUDGE[@]}" dump --all "$FX/bundle_messy.pem"

# --- trees --------------------------------------------------------------------------------------
LEAVES="apiserver:ca apiserver-kubelet-client:ca apiserver-etcd-client:etcd/ca front-proxy-client:front-proxy-ca etcd/server:etcd/ca etcd/peer:etcd/ca etcd/healthcheck-client:etcd/ca"
CONFS="admin super-admin controller-manager scheduler kubelet"
for mode in expired valid; do
    ROOT="$TMP/tree-$mode"
    flags=()
    [ "$mode" = valid ] && flags=(--valid)
    expect 0 "openssl-tree.sh $mode" -- "$HERE/openssl-tree.sh" "${flags[@]}" --manifest "$TMP/$mode.json" "$ROOT"
    P="$ROOT/etc/kubernetes/pki"
    want=10
    [ "$mode" = valid ] && want=ok
    for pair in $LEAVES; do
        cert="${pair%%:*}" ca="${pair#*:}"
        expect 0 "$mode tree: openssl verify $cert says $want" -- openssl_verify "$want" "$P/$ca.crt" "$P/$cert.crt"
        expect 0 "$mode tree: judge verify $cert" -- "${JUDGE[@]}" verify "$P/$cert.crt" "$P/$ca.crt"
        expect 0 "$mode tree: $cert.key is PKCS#1" -- grep -q '^-----BEGIN RSA PRIVATE KEY-----' "$P/$cert.key"
    done
    for conf in $CONFS; do
        kc="$ROOT/etc/kubernetes/$conf.conf"
        expect 0 "$mode tree: $conf.conf cert verifies" -- "${JUDGE[@]}" verify "kubeconfig:$kc" "kubeconfig-ca:$kc"
        expect 0 "$mode tree: $conf.conf key matches" -- "${JUDGE[@]}" key-match "kubeconfig:$kc" "kubeconfig:$kc"
        [ "$mode" = valid ] && want_rc=0 || want_rc=1
        expect "$want_rc" "$mode tree: $conf.conf client-verify now" -- "${JUDGE[@]}" client-verify "kubeconfig:$kc" "$P/ca.crt"
    done
    expect 0 "$mode tree: admin.conf keeps its comment" -- grep -q '^# ' "$ROOT/etc/kubernetes/admin.conf"
done
expect 0 "kubelet-pki tree" -- "$HERE/openssl-tree.sh" --kubelet-pki "$TMP/tree-kubelet"
# shellcheck disable=SC2016 # $1 is expanded by the inner bash
expect 0 "kubelet-client-current.pem is an absolute symlink" -- \
    bash -c '[[ "$(readlink "$1")" == /var/lib/kubelet/pki/kubelet-client-2*.pem ]]' _ "$TMP/tree-kubelet/var/lib/kubelet/pki/kubelet-client-current.pem"

echo "selftest: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
