#!/usr/bin/env bash
# Build the C tests of libkcert against an already-built target dir and run them under
# AddressSanitizer+UBSan and under valgrind, with both libkcert.so and libkcert.a.
#
#   cargo build --release -p kcertlib-ffi
#   kcertlib-ffi/tests/run-c-tests.sh target/release
#
# test_boundary needs `kcert_test_panic`, which only a build with the `test-panic` feature
# exports: this script makes that build itself, in a target directory of its own beside
# TARGET_DIR (`<target>/c-test-hooks`, seeded once from TARGET_DIR so that only kcertlib-ffi
# compiles), links test_boundary against it, and checks that the library in TARGET_DIR and
# include/kcert.h carry no test hook.
#
# Also checks that include/kcert.h matches a fresh cbindgen generation, judges what the tests
# re-signed and renewed with `openssl verify`, testing/judge.py and Python's json module, and
# builds and runs the examples/c program. Needs cc, openssl, valgrind and the venv
# (testing/install-deps.sh); installs the pinned cbindgen when missing
# (kcertlib-ffi/install-cbindgen.sh). Ends with `C tests: N passed, N failed`; exits non-zero when anything failed.
# KCERT_TEST_VERBOSE=1 prints the message of every expected failure.
set -uo pipefail
# A caught panic must not print a backtrace: symbolizing it leaves caches valgrind reports.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE

usage() { echo "usage: $0 TARGET_DIR   (e.g. target/release)" >&2; exit 2; }
[ "$#" -eq 1 ] || usage
case "$1" in -h|--help) usage ;; esac

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FFI="$(cd "$HERE/.." && pwd)"
REPO="$(cd "$FFI/.." && pwd)"
TARGET="$(cd "$1" 2>/dev/null && pwd)" || { echo "run-c-tests: no such directory: $1" >&2; exit 2; }
BUILD="$HERE/build"
PYTHON="$REPO/.venv/bin/python"
TESTS=(test_parse test_resign test_boundary test_cluster test_handoff)

die() { echo "run-c-tests: error: $*" >&2; exit 1; }
for tool in cc openssl valgrind; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run testing/install-deps.sh)"
done
[ -x "$PYTHON" ] || die "$PYTHON not found (run testing/install-deps.sh)"
[ -f "$TARGET/libkcert.so" ] && [ -f "$TARGET/libkcert.a" ] ||
    die "$TARGET has no libkcert.so/libkcert.a: cargo build --release -p kcertlib-ffi"

PASSED=0
FAILED=0
FAILURES=()
pass() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
fail() { FAILED=$((FAILED + 1)); FAILURES+=("$1"); echo "FAIL $1"; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FX="$WORK/fixtures"

# --- the header ---------------------------------------------------------------------------------
export PATH="$HOME/.cargo/bin:$PATH"
"$FFI/install-cbindgen.sh" || die "cannot install the pinned cbindgen (kcertlib-ffi/install-cbindgen.sh)"
if "$FFI/check-header.sh" >"$WORK/header.log" 2>&1; then
    pass "include/kcert.h matches a fresh cbindgen generation"
else
    cat "$WORK/header.log"
    fail "include/kcert.h matches a fresh cbindgen generation"
fi

# --- the library with test hooks, and the one that ships without them ---------------------------
HOOKS_TARGET="$(dirname "$TARGET")/c-test-hooks"
PROFILE="$(basename "$TARGET")"
case "$PROFILE" in
    release) PROFILE_FLAGS=(--release) ;;
    debug) PROFILE_FLAGS=() ;;
    *) PROFILE_FLAGS=(--profile "$PROFILE") ;;
esac
if [ ! -d "$HOOKS_TARGET/$PROFILE" ]; then
    # Same sources, same dependency features: cargo reuses every compiled dependency copied
    # here. Test and bench executables (deps/ files without an extension) are left behind.
    mkdir -p "$HOOKS_TARGET/$PROFILE/deps"
    cp -a "$TARGET/build" "$TARGET/.fingerprint" "$HOOKS_TARGET/$PROFILE/"
    find "$TARGET/deps" -maxdepth 1 -type f -name '*.*' -exec cp -a -t "$HOOKS_TARGET/$PROFILE/deps" {} +
fi
if (cd "$REPO" && cargo build --quiet "${PROFILE_FLAGS[@]}" -p kcertlib-ffi --features test-panic \
    --target-dir "$HOOKS_TARGET") >"$WORK/hooks.log" 2>&1; then
    pass "libkcert with the test-panic feature builds (for test_boundary)"
else
    cat "$WORK/hooks.log"
    die "cannot build libkcert with the test-panic feature"
fi
HOOKS_LIB="$HOOKS_TARGET/$PROFILE"
# Counts rather than `grep -q`: an early exit would fail the pipeline (pipefail) on SIGPIPE.
exports_test_hook() { [ "$(nm "$@" 2>/dev/null | grep -Ec ' T kcert_test_')" -gt 0 ]; }
if exports_test_hook -D --defined-only "$TARGET/libkcert.so" || exports_test_hook --defined-only "$TARGET/libkcert.a"; then
    fail "the shipped libkcert.so/libkcert.a export no kcert_test_* hook"
else
    pass "the shipped libkcert.so/libkcert.a export no kcert_test_* hook"
fi
if exports_test_hook -D --defined-only "$HOOKS_LIB/libkcert.so"; then
    pass "the test-panic build exports kcert_test_panic"
else
    fail "the test-panic build exports kcert_test_panic"
fi
if grep -q 'kcert_test_' "$REPO/include/kcert.h"; then
    fail "include/kcert.h declares no kcert_test_* hook"
else
    pass "include/kcert.h declares no kcert_test_* hook"
fi

# --- fixtures and what openssl says about them --------------------------------------------------
"$REPO/testing/openssl-fixtures.sh" "$FX" >"$WORK/fixtures.log" 2>&1 ||
    { cat "$WORK/fixtures.log"; die "testing/openssl-fixtures.sh failed"; }
openssl x509 -in "$FX/client.crt" -outform DER -out "$FX/client.der"
# An expired kubeadm node (with kubelet's pki), copied afresh for every run that renews it.
"$REPO/testing/openssl-tree.sh" --kubelet-pki "$WORK/tree" >"$WORK/tree.log" 2>&1 ||
    { cat "$WORK/tree.log"; die "testing/openssl-tree.sh failed"; }

unix_time() { date -u -d "$1" +%s; }
field() { openssl x509 -in "$1" -inform "$2" -noout "$3" -nameopt RFC2253 | sed 's/^[a-zA-Z]*=//'; }
# Subject alternative names as Python cryptography reads them, grouped by kind like
# kcert_cert_subject_alt_names: DNS:..|IP:..|URI:..|email:.. ("-" for none).
sans_of() { # file PEM|DER
    "$PYTHON" - "$1" "$2" <<'PY'
import sys
from cryptography import x509
data = open(sys.argv[1], "rb").read()
cert = x509.load_pem_x509_certificate(data) if sys.argv[2] == "PEM" else x509.load_der_x509_certificate(data)
try:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
except x509.ExtensionNotFound:
    san = None
kinds = [("DNS", x509.DNSName), ("IP", x509.IPAddress), ("URI", x509.UniformResourceIdentifier), ("email", x509.RFC822Name)]
names = [f"{tag}:{v}" for tag, kind in kinds for v in (san.get_values_for_type(kind) if san else [])]
print("|".join(names) or "-")
PY
}
EXPECTED="$WORK/expected.tsv"
: >"$EXPECTED"
for name in client.crt api.crt etcd.crt exotic.crt century.crt p384leaf.crt noski.crt ca-rsa4096.crt client.der; do
    form=PEM
    case "$name" in *.der) form=DER ;; esac
    f="$FX/$name"
    serial="$(field "$f" "$form" -serial | tr 'A-F' 'a-f')"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${f#/}" "$(field "$f" "$form" -subject)" \
        "$(field "$f" "$form" -issuer)" "$(unix_time "$(field "$f" "$form" -startdate)")" \
        "$(unix_time "$(field "$f" "$form" -enddate)")" "$serial" "$(sans_of "$f" "$form")" >>"$EXPECTED"
done

# --- build --------------------------------------------------------------------------------------
# Variants: sanitizers or valgrind, times shared or static library. The static link needs the
# system libraries Rust's std uses (`cargo rustc -- --print native-static-libs`).
CFLAGS=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g -O1 -I"$REPO/include")
SANITIZE=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
VARIANTS=(asan-shared asan-static valgrind-shared valgrind-static)
mkdir -p "$BUILD"

build() { # test variant
    local flags=("${CFLAGS[@]}") link lib="$TARGET"
    [ "$1" = test_boundary ] && lib="$HOOKS_LIB"
    case "$2" in asan-*) flags+=("${SANITIZE[@]}") ;; esac
    case "$2" in
        *-shared) link=(-L"$lib" -lkcert -Wl,-rpath,"$lib" -pthread) ;;
        *) link=("$lib/libkcert.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc) ;;
    esac
    cc "${flags[@]}" -o "$BUILD/$1-$2" "$HERE/$1.c" "${link[@]}"
}

run() { # test variant args...
    local test="$1" variant="$2"
    shift 2
    case "$variant" in
        asan-*)
            ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                "$BUILD/$test-$variant" "$@" ;;
        valgrind-*)
            valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
                --suppressions="$HERE/valgrind.supp" \
                --error-exitcode=1 "$BUILD/$test-$variant" "$@" ;;
    esac
}

args_of() { # test variant -> the program's arguments
    case "$1" in
        test_parse) echo "$FX $EXPECTED" ;;
        test_resign) echo "$FX $WORK/out-$2" ;;
        test_boundary) echo "$FX" ;;
        test_cluster) echo "$WORK/tree-$2 $WORK/tree-rollback-$2 $WORK/out-$2" ;;
        test_handoff) echo "$WORK/tree-$2 $WORK/worker-$2 $WORK/worker-dry-$2 $WORK/out-$2" ;;
    esac
}

# --- judges of what test_resign wrote -----------------------------------------------------------
judge_resigned() { # out_dir variant
    local out="$1" v="$2" pair leaf ca
    for pair in resigned-rsa.pem:ca-rsa2048.crt resigned-p256.pem:ca-p256.crt \
        resigned-exotic.pem:ca-rsa4096.crt resigned-p384.pem:ca-p384.crt \
        resigned-30d.pem:ca-rsa4096.crt resigned-rotated.pem:ca-p256.crt \
        resigned-issuer.pem:ca-p256.crt; do
        leaf="${pair%%:*}"
        ca="${pair#*:}"
        if openssl verify -CAfile "$FX/$ca" "$out/$leaf" >"$WORK/verify.log" 2>&1; then
            pass "$v: openssl verify $leaf against $ca"
        else
            cat "$WORK/verify.log"
            fail "$v: openssl verify $leaf against $ca"
        fi
    done
    # The re-sign is faithful: only what a new signature by the same CA must change changed.
    if "$PYTHON" "$REPO/testing/judge.py" compare "$FX/exotic.crt" "$out/resigned-exotic.pem" \
        --allow serial,serial_hex,not_before,not_after,signature_hex,fingerprint_sha256 >"$WORK/compare.log" 2>&1; then
        pass "$v: judge.py: re-signed exotic.crt keeps every other field"
    else
        cat "$WORK/compare.log"
        fail "$v: judge.py: re-signed exotic.crt keeps every other field"
    fi
    if "$PYTHON" "$REPO/testing/judge.py" key-match "$out/resigned-rotated.pem" "$out/rotated.key" >"$WORK/keymatch.log" 2>&1 &&
        ! "$PYTHON" "$REPO/testing/judge.py" key-match "$out/resigned-rotated.pem" "$FX/etcd.key" >/dev/null 2>&1; then
        pass "$v: judge.py: the rotated key is the new certificate's, the old key is not"
    else
        cat "$WORK/keymatch.log"
        fail "$v: judge.py: the rotated key is the new certificate's, the old key is not"
    fi
    # A CA extended with its own key and subject still verifies the leaves it signed before.
    if openssl verify -CAfile "$out/ca-extended.pem" "$FX/client.crt" >"$WORK/verify.log" 2>&1; then
        pass "$v: openssl verify old client.crt against the self-re-signed CA"
    else
        cat "$WORK/verify.log"
        fail "$v: openssl verify old client.crt against the self-re-signed CA"
    fi
}


# --- judges of what test_cluster wrote ----------------------------------------------------------
# A JSON check in Python: `doc` is the parsed file; the expression must hold.
json_holds() { # file description python-expression
    if "$PYTHON" - "$1" "$3" >"$WORK/json.log" 2>&1 <<'PY'
import json, sys
from datetime import datetime
doc = json.load(open(sys.argv[1]))
def span(r):  # seconds from newNotBefore to newNotAfter of a renewed entry
    return (datetime.fromisoformat(r["newNotAfter"]) - datetime.fromisoformat(r["newNotBefore"])).total_seconds()
leaves, cas = doc.get("certificates", []), doc.get("certificateAuthorities", [])
ok = eval(sys.argv[2])
print(json.dumps({"leaves": [(e["name"], e["status"]) for e in leaves],
                  "cas": [(e["name"], e["status"]) for e in cas]}))
sys.exit(0 if ok else 1)
PY
    then pass "$2"; else cat "$WORK/json.log"; fail "$2"; fi
}

KUBEADM_LEAVES='("apiserver", "apiserver-kubelet-client", "apiserver-etcd-client", "front-proxy-client", "etcd-server", "etcd-peer", "etcd-healthcheck-client", "admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf")'

judge_cluster() { # out_dir variant
    local out="$1" v="$2" tree="$WORK/tree-$2" pair leaf ca
    json_holds "$out/scan-before.json" "$v: scan of the expired tree: every kubeadm leaf expired, every CA ok" \
        "sum(e['name'] in $KUBEADM_LEAVES for e in leaves) == 11 and all(e['status'] == 'expired' for e in leaves if e['name'] in $KUBEADM_LEAVES) and len(cas) >= 3 and all(e['status'] == 'ok' for e in cas)"
    json_holds "$out/renew-dry.json" "$v: dry run plans every expired kubeadm leaf and changes nothing" \
        "doc['dryRun'] and not doc['changed'] and doc['manifest'] is None and set($KUBEADM_LEAVES) <= {r['name'] for r in doc['renewed']}"
    json_holds "$out/renew.json" "$v: renewal report: every kubeadm leaf renewed for 90 days (+600 s backdate), backups kept" \
        "doc['changed'] and not doc['dryRun'] and doc['manifest'] and set($KUBEADM_LEAVES) <= {r['name'] for r in doc['renewed']} and all(r['oldSerial'] != r['newSerial'] and span(r) == 90 * 86400 + 600 for r in doc['renewed']) and len(doc['backups']) > 0"
    json_holds "$out/scan-after.json" "$v: scan after renewal: every kubeadm leaf ok" \
        "all(e['status'] == 'ok' for e in leaves if e['name'] in $KUBEADM_LEAVES) and sum(e['name'] in $KUBEADM_LEAVES for e in leaves) == 11"
    for pair in pki/apiserver.crt:pki/ca.crt pki/apiserver-kubelet-client.crt:pki/ca.crt \
        pki/front-proxy-client.crt:pki/front-proxy-ca.crt pki/apiserver-etcd-client.crt:pki/etcd/ca.crt \
        pki/etcd/server.crt:pki/etcd/ca.crt pki/etcd/peer.crt:pki/etcd/ca.crt \
        pki/etcd/healthcheck-client.crt:pki/etcd/ca.crt; do
        leaf="${pair%%:*}"
        ca="${pair#*:}"
        if openssl verify -CAfile "$tree/etc/kubernetes/$ca" "$tree/etc/kubernetes/$leaf" >"$WORK/verify.log" 2>&1; then
            pass "$v: renewed $leaf verifies now against $ca (openssl)"
        else
            cat "$WORK/verify.log"
            fail "$v: renewed $leaf verifies now against $ca (openssl)"
        fi
    done
    for conf in admin.conf controller-manager.conf scheduler.conf super-admin.conf; do
        if "$PYTHON" "$REPO/testing/judge.py" client-verify "kubeconfig:$tree/etc/kubernetes/$conf" \
            "$tree/etc/kubernetes/pki/ca.crt" >"$WORK/judge.log" 2>&1 &&
            "$PYTHON" "$REPO/testing/judge.py" key-match "kubeconfig:$tree/etc/kubernetes/$conf" \
                "kubeconfig:$tree/etc/kubernetes/$conf" >>"$WORK/judge.log" 2>&1; then
            pass "$v: renewed $conf is a valid client cert for its embedded key (judge.py)"
        else
            cat "$WORK/judge.log"
            fail "$v: renewed $conf is a valid client cert for its embedded key (judge.py)"
        fi
    done
    if "$PYTHON" "$REPO/testing/judge.py" compare "$WORK/tree/etc/kubernetes/pki/apiserver.crt" \
        "$tree/etc/kubernetes/pki/apiserver.crt" \
        --allow serial,serial_hex,not_before,not_after,signature_hex,fingerprint_sha256 >"$WORK/compare.log" 2>&1; then
        pass "$v: renewed apiserver.crt keeps subject, SANs, key and extensions (judge.py)"
    else
        cat "$WORK/compare.log"
        fail "$v: renewed apiserver.crt keeps subject, SANs, key and extensions (judge.py)"
    fi
}

# --- judges of what test_handoff wrote -----------------------------------------------------------
# A kubeadm worker sharing the tree's CA: kubelet's files and ca.crt, no CA key.
make_worker() { # source destination
    cp -a "$1" "$2"
    find "$2/etc/kubernetes" -mindepth 1 \( -type f -o -type l \) ! -path "$2/etc/kubernetes/pki/ca.crt" \
        ! -path "$2/etc/kubernetes/kubelet.conf" -delete
    find "$2/etc/kubernetes" -depth -type d -empty -delete
}

# The file behind kubelet's current-pem symlink, inside ROOT (kubelet writes absolute targets).
kubelet_pem() { # root
    local link="$1/var/lib/kubelet/pki/kubelet-client-current.pem" target
    target="$(readlink "$link")" || { echo "$link"; return; }
    case "$target" in
        /*) echo "$1$target" ;;
        *) echo "$(dirname "$link")/$target" ;;
    esac
}

judge_handoff() { # out_dir variant
    local out="$1" v="$2" worker="$WORK/worker-$2"
    if grep -l "PRIVATE KEY" "$out/requests.json" "$out/signed.json" >"$WORK/grep.log" 2>&1; then
        cat "$WORK/grep.log"
        fail "$v: no private key in the files that moved (requests.json, signed.json)"
    elif [ -s "$out/requests.json" ] && [ -s "$out/signed.json" ]; then
        pass "$v: no private key in the files that moved (requests.json, signed.json)"
    else
        fail "$v: test_handoff wrote requests.json and signed.json"
    fi
    json_holds "$out/install.json" "$v: install report: kubelet-client-current renewed for 90 days (+600 s backdate), kubelet to restart" \
        "doc['changed'] and doc['manifest'] and any(r['name'] == 'kubelet-client-current' and span(r) == 90 * 86400 + 600 for r in doc['renewed']) and 'kubelet' in doc['restart']"
    json_holds "$out/scan-after.json" "$v: scan of the worker after installing: kubelet-client-current ok" \
        "any(e['name'] == 'kubelet-client-current' and e['status'] == 'ok' for e in leaves)"
    if openssl verify -CAfile "$WORK/tree-$v/etc/kubernetes/pki/ca.crt" "$(kubelet_pem "$worker")" >"$WORK/verify.log" 2>&1; then
        pass "$v: the worker's new kubelet client certificate verifies against the control plane's CA (openssl)"
    else
        cat "$WORK/verify.log"
        fail "$v: the worker's new kubelet client certificate verifies against the control plane's CA (openssl)"
    fi
    if "$PYTHON" "$REPO/testing/judge.py" key-match "$(kubelet_pem "$worker")" "$(kubelet_pem "$worker")" >"$WORK/judge.log" 2>&1; then
        pass "$v: the new kubelet pem still holds the worker's own key (judge.py)"
    else
        cat "$WORK/judge.log"
        fail "$v: the new kubelet pem still holds the worker's own key (judge.py)"
    fi
    # The refused installation took the transaction's lock: an empty file kept for later runs
    # (as renew's). Anything else written would show in the diff.
    [ -s "$WORK/worker-dry-$v/var/lib/kcert/renew.lock" ] || rm -f "$WORK/worker-dry-$v/var/lib/kcert/renew.lock"
    rmdir "$WORK/worker-dry-$v/var/lib/kcert" 2>/dev/null
    if diff -r --no-dereference "$WORK/worker-pristine" "$WORK/worker-dry-$v" >"$WORK/diff.log" 2>&1; then
        pass "$v: the dry run and the refused installation left their worker byte-identical"
    else
        cat "$WORK/diff.log"
        fail "$v: the dry run and the refused installation left their worker byte-identical"
    fi
}
make_worker "$WORK/tree" "$WORK/worker-pristine"

for test in "${TESTS[@]}"; do
    for variant in "${VARIANTS[@]}"; do
        name="$test ($variant)"
        if ! build "$test" "$variant" 2>"$WORK/build.log"; then
            cat "$WORK/build.log"
            fail "$name: compiles with -Wall -Wextra -Werror"
            continue
        fi
        mkdir -p "$WORK/out-$variant"
        if [ "$test" = test_cluster ]; then
            rm -rf "$WORK/tree-$variant" "$WORK/tree-rollback-$variant"
            cp -a "$WORK/tree" "$WORK/tree-$variant"
            cp -a "$WORK/tree" "$WORK/tree-rollback-$variant"
        fi
        if [ "$test" = test_handoff ]; then
            rm -rf "$WORK/tree-$variant" "$WORK/worker-$variant" "$WORK/worker-dry-$variant"
            cp -a "$WORK/tree" "$WORK/tree-$variant"
            cp -a "$WORK/worker-pristine" "$WORK/worker-$variant"
            cp -a "$WORK/worker-pristine" "$WORK/worker-dry-$variant"
        fi
        # shellcheck disable=SC2046 # args_of prints space-free paths
        if run "$test" "$variant" $(args_of "$test" "$variant") >"$WORK/run.log" 2>&1; then
            pass "$name"
            [ -n "${KCERT_TEST_VERBOSE:-}" ] && cat "$WORK/run.log"
        else
            cat "$WORK/run.log"
            fail "$name"
        fi
        if [ "$test" = test_resign ]; then
            judge_resigned "$WORK/out-$variant" "$variant"
        fi
        if [ "$test" = test_cluster ]; then
            judge_cluster "$WORK/out-$variant" "$variant"
        fi
        if [ "$test" = test_handoff ]; then
            judge_handoff "$WORK/out-$variant" "$variant"
        fi
    done
done

# --- the example program ------------------------------------------------------------------------
inspect_exits() { # expected-status description args...
    local expected="$1" description="$2" status
    shift 2
    "$REPO/examples/c/build/kcert-inspect" "$@" >"$WORK/inspect.log" 2>&1
    status=$?
    if [ "$status" -eq "$expected" ]; then
        pass "kcert-inspect $description: exit $expected"
    else
        cat "$WORK/inspect.log"
        fail "kcert-inspect $description: exit $status, expected $expected"
    fi
}
if make -s -C "$REPO/examples/c" LIBDIR="$TARGET" >"$WORK/make.log" 2>&1; then
    pass "examples/c builds with -Wall -Wextra -Werror"
    inspect_exits 0 "valid certificates and a chain" "$FX/client.crt" "$FX/chain.crt" "$FX/bundle_messy.pem"
    if grep -q "CN=kubernetes-admin,O=kubeadm:cluster-admins" "$WORK/inspect.log" &&
        [ "$(grep -c ' #[0-9]' "$WORK/inspect.log")" -eq 6 ]; then
        pass "kcert-inspect prints every certificate of every file"
    else
        cat "$WORK/inspect.log"
        fail "kcert-inspect prints every certificate of every file"
    fi
    inspect_exits 1 "an expired apiserver certificate" "$FX/client.crt" "$WORK/tree/etc/kubernetes/pki/apiserver.crt"
    inspect_exits 2 "a PEM without END" "$WORK/tree/etc/kubernetes/pki/apiserver.crt" "$FX/bad/pem_no_end.pem"
    inspect_exits 2 "a missing file" "$WORK/no-such-file.pem"
    if valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 \
        "$REPO/examples/c/build/kcert-inspect" "$FX/bundle_messy.pem" "$FX/bad/truncated.der" >"$WORK/inspect.log" 2>&1
        [ "$?" -eq 2 ]; then
        pass "kcert-inspect under valgrind: no leak, no error"
    else
        cat "$WORK/inspect.log"
        fail "kcert-inspect under valgrind: no leak, no error"
    fi
else
    cat "$WORK/make.log"
    fail "examples/c builds with -Wall -Wextra -Werror"
fi

if [ "$FAILED" -gt 0 ]; then
    printf 'failed: %s\n' "${FAILURES[@]}"
fi
echo "C tests: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
