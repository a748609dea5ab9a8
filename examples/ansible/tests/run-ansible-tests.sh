#!/usr/bin/env bash
# Ansible tests of examples/ansible: the kcert_info and kcert_renew modules and the
# renew-cluster.yml playbook, run for real with ansible-playbook (connection local, inventory
# localhost) against expired node trees generated in a temp dir. Nothing outside the temp dir is
# touched and nothing is restarted (kcert_root is never "/").
#
#   examples/ansible/tests/run-ansible-tests.sh
#
# Needs the repo's .venv (testing/install-deps.sh: ansible-core) with kcert installed
# (kcertlib-py/tests/run-python-tests.sh installs it; this script does so when it is missing).
# Ends with "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ansible_dir=$(cd "$here/.." && pwd)
repo=$(cd "$ansible_dir/../.." && pwd)
venv="$repo/.venv"
py="$venv/bin/python"

die() { echo "run-ansible-tests: error: $*" >&2; exit 1; }
[ -x "$py" ] || "$repo/testing/install-deps.sh" || die "could not create $venv"
if [ ! -x "$venv/bin/ansible-playbook" ]; then
    "$venv/bin/pip" install -q 'ansible-core>=2.15,<3' || die "could not install ansible-core"
fi
if ! "$py" -c 'import kcert' 2>/dev/null; then
    "$repo/kcertlib-py/tests/run-python-tests.sh" --install-only || die "could not install kcert"
fi

work=$(mktemp -d)
[ -n "${KCERT_KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
export ANSIBLE_HOME="$work/ansible-home"
export ANSIBLE_LOCAL_TEMP="$work/ansible-tmp"
export ANSIBLE_LIBRARY="$ansible_dir/library"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
export ANSIBLE_DEPRECATION_WARNINGS=0
# ansible-core has no JSON stdout callback of its own; the tests bring one.
export ANSIBLE_CALLBACK_PLUGINS="$here/callback_plugins"
inventory="$work/hosts.ini"
echo "localhost ansible_connection=local ansible_python_interpreter=$py" > "$inventory"

passed=0
failed=0
check() { # check DESCRIPTION COMMAND...: one test outcome
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   - $what"
    else
        failed=$((failed + 1))
        echo "FAIL - $what"
    fi
}

# A generated node tree with expired leaves, built by the kcert command ($KCERT_BIN, `kcert` on
# PATH, or the workspace's release build).
kcert_bin="${KCERT_BIN:-$(command -v kcert || echo "$repo/target/release/kcert")}"
make_tree() { # make_tree DIR LAYOUT
    "$kcert_bin" fixture "$2" "$1" >/dev/null
}

# A hash of every file, link and mode under a tree.
tree_hash() {
    "$py" - "$1" <<'PY'
import hashlib, os, sys
root = sys.argv[1]
h = hashlib.sha256()
for dirpath, dirnames, filenames in sorted(os.walk(root)):
    dirnames.sort()
    for name in sorted(dirnames + filenames):
        path = os.path.join(dirpath, name)
        st = os.lstat(path)
        h.update(os.path.relpath(path, root).encode() + b"\0" + oct(st.st_mode).encode())
        if os.path.islink(path):
            h.update(os.readlink(path).encode())
        elif os.path.isfile(path):
            with open(path, "rb") as f:
                h.update(f.read())
print(h.hexdigest())
PY
}

# Runs a playbook with the JSON callback; the result lands in $work/NAME.json (+ .log, .rc).
play() { # play NAME PLAYBOOK [ansible-playbook args...]
    local name=$1 book=$2
    shift 2
    ANSIBLE_STDOUT_CALLBACK=kcert_json "$venv/bin/ansible-playbook" -i "$inventory" \
        -e ansible_become=false -e kcert_hosts=localhost "$book" "$@" > "$work/$name.json" 2> "$work/$name.log"
    echo $? > "$work/$name.rc"
}

# Evaluates a Python expression over a play's JSON: `task(prefix)` is the localhost result of
# the first task whose name starts with prefix, `tasks(prefix)` all of them, `stats` the
# localhost stats, `rc` the exit code.
q() { # q NAME EXPRESSION -> exit 0 iff the expression is true
    "$py" - "$work/$1.json" "$(cat "$work/$1.rc")" "$2" <<'PY'
import json, sys
raw = open(sys.argv[1]).read()
doc = json.loads(raw[raw.index("{"):]) if "{" in raw else {"plays": [], "stats": {}}
rc = int(sys.argv[2])
results = [(t["task"]["name"], t["hosts"].get("localhost", {})) for p in doc["plays"] for t in p["tasks"]]
def tasks(prefix):
    return [r for n, r in results if n.startswith(prefix)]
def task(prefix):
    found = tasks(prefix)
    return found[0] if found else {}
stats = doc.get("stats", {}).get("localhost", {})
try:
    ok = bool(eval(sys.argv[3]))
except (KeyError, IndexError, TypeError) as err:
    ok = False
    print("    %s: %r" % (type(err).__name__, err), file=sys.stderr)
if not ok:
    print("    expression false: %s (rc=%d)" % (sys.argv[3], rc), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

entry_status() { # entry_status ROOT NAME -> prints the entry's status from a fresh scan
    "$py" -c 'import sys, kcert; print(kcert.scan(sys.argv[1])[sys.argv[2]].status)' "$1" "$2"
}

playbook="$ansible_dir/renew-cluster.yml"
RENEW="Renew what expires"

echo "== first run on an expired kubeadm node renews it"
make_tree "$work/kubeadm" kubeadm
play first "$playbook" -e "kcert_root=$work/kubeadm"
check "first run succeeds" q first 'rc == 0 and stats["failures"] == 0'
check "first run reports changed" q first 'task("'"$RENEW"'")["changed"] is True and stats["changed"] >= 1'
check "first run renews every kubeadm leaf" q first \
    '{"apiserver","etcd-peer","admin.conf","kubelet-client-current"} <= {r["name"] for r in task("'"$RENEW"'")["renewed"]}'
check "restart hints listed, nothing restarted" q first \
    '"kube-apiserver" in task("'"$RENEW"'")["restart"] and "restart needed" in task("List what would be restarted")["msg"] and task("Restart static-pod").get("skipped", True)'
check "backup_file and manifest returned" q first \
    'task("'"$RENEW"'")["manifest"].startswith(task("'"$RENEW"'")["backup_file"])'
check "apiserver is valid on disk" test "$(entry_status "$work/kubeadm" apiserver)" = ok
check "final info shows nothing renewable expired" q first \
    'not task("Nothing renewable").get("failed") and task("Nothing renewable")["msg"].startswith("renewed ")'

echo "== second run is idempotent"
hash_before=$(tree_hash "$work/kubeadm")
play second "$playbook" -e "kcert_root=$work/kubeadm"
check "second run succeeds" q second 'rc == 0'
check "second run: renew task ok, not changed" q second 'task("'"$RENEW"'")["changed"] is False and task("'"$RENEW"'")["renewed"] == []'
check "second run: no task changed" q second 'stats["changed"] == 0'
check "second run left the tree byte-identical" test "$hash_before" = "$(tree_hash "$work/kubeadm")"

echo "== check mode changes nothing"
make_tree "$work/check" kubeadm
hash_before=$(tree_hash "$work/check")
play check "$playbook" --check -e "kcert_root=$work/check"
check "check mode succeeds" q check 'rc == 0'
check "check mode reports what would change" q check \
    'task("'"$RENEW"'")["changed"] is True and len(task("'"$RENEW"'")["renewed"]) >= 10 and "manifest" not in task("'"$RENEW"'")'
check "check mode left the tree byte-identical" test "$hash_before" = "$(tree_hash "$work/check")"

echo "== diff mode shows the dates"
make_tree "$work/diff" kubeadm
old_after=$("$py" -c 'import sys,kcert; print(kcert.load_certificates(sys.argv[1])[0].not_after.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$work/diff/etc/kubernetes/pki/apiserver.crt")
"$venv/bin/ansible-playbook" -i "$inventory" -e ansible_become=false -e kcert_hosts=localhost --diff \
    -e "kcert_root=$work/diff" "$playbook" > "$work/diff.out" 2>&1
echo $? > "$work/diff.rc"
check "diff run succeeds" test "$(cat "$work/diff.rc")" = 0
check "diff names the certificate" grep -q -- '^--- before: apiserver (before)$' "$work/diff.out"
check "diff shows old and new notAfter" bash -c \
    "grep -Eq '^-notAfter: +$old_after\$' '$work/diff.out' && grep -Eq '^\+notAfter: +[0-9]{4}-' '$work/diff.out'"
check "diff shows old and new serials" bash -c "grep -Eq '^-serial: ' '$work/diff.out' && grep -Eq '^\+serial: ' '$work/diff.out'"

echo "== entries that cannot be renewed are listed under not_renewed, the rest renews"
make_tree "$work/partial" kubeadm
rm "$work/partial/etc/kubernetes/pki/front-proxy-ca.key"
"$py" -c 'import sys, kcert; open(sys.argv[1], "w").write(kcert.PrivateKey.generate().to_pem())' \
    "$work/partial/etc/kubernetes/pki/apiserver-kubelet-client.key"
play partial "$playbook" -e "kcert_root=$work/partial"
check "partial run succeeds" q partial 'rc == 0 and stats["failures"] == 0'
check "CA key missing and key mismatch are not_renewed, with reasons" q partial \
    '{"front-proxy-client","apiserver-kubelet-client"} <= {n["name"] for n in task("'"$RENEW"'")["not_renewed"]} and all(n["reason"] for n in task("'"$RENEW"'")["not_renewed"])'
check "each one raises an Ansible warning" q partial \
    'any("front-proxy-client was not renewed" in w for w in task("'"$RENEW"'")["warnings"]) and any("apiserver-kubelet-client was not renewed" in w for w in task("'"$RENEW"'")["warnings"])'
check "no key named skipped; the task is not marked skipped" q partial \
    '"skipped" not in task("'"$RENEW"'") and task("'"$RENEW"'")["changed"] is True'
check "the rest is renewed" test "$(entry_status "$work/partial" apiserver)" = ok

echo "== input the library rejects fails the task with its message, no traceback"
play bad "$here/bad-input.yml" -e "kcert_root=$work/kubeadm"
for t in "bad duration" "unknown entry" "non-positive days" "missing root" "not a certificate"; do
    check "$t: task failed" q bad 'task("'"$t"'").get("failed") is True'
done
check "bad duration: library message" q bad '"invalid duration \"soon\"" in task("bad duration")["msg"]'
check "unknown entry: library message" q bad '"no certificate named \"no-such-entry\"" in task("unknown entry")["msg"]'
check "non-positive days: library message" q bad '"days must be a positive number" in task("non-positive days")["msg"]'
check "missing root: library message and code" q bad \
    '"does-not-exist" in task("missing root")["msg"] and task("missing root")["error_code"] == 1'
check "not a certificate: PEM error" q bad 'task("not a certificate")["error_kind"] == "pem"'
# (ansible-core 2.19 puts "exception": "(traceback unavailable)" in every failed result.)
check "no traceback anywhere" q bad \
    'results and not any(k in r for _, r in results for k in ("module_stderr", "module_stdout")) and "Traceback" not in raw and "File \"" not in raw'

echo "== kcert_info on files"
play paths "$here/info-paths.yml" -e "kcert_root=$work/partial"
check "kcert_info reads a certificate file and a kubeconfig" q paths \
    'rc == 0 and [c["index"] for c in task("read files")["certificates"]] == [0, 0, 1] and task("read files")["changed"] is False'

echo "== missing kcert library"
# A fresh venv is an interpreter that certainly lacks kcert (made here, never skipped).
python3 -m venv "$work/nolib-venv"
"$work/nolib-venv/bin/python" -c 'import kcert' 2>/dev/null && { echo "not ok - the bare venv imports kcert"; exit 1; }
play nolib "$here/info-paths.yml" -e "kcert_root=$work/partial" -e ansible_python_interpreter="$work/nolib-venv/bin/python"
check "missing_required_lib message" q nolib \
    '"Failed to import the required Python library (kcert)" in task("read files")["msg"]'


echo "== a k3s node"
make_tree "$work/k3s" k3s
play k3s1 "$playbook" -e "kcert_root=$work/k3s"
play k3s2 "$playbook" -e "kcert_root=$work/k3s"
check "k3s: first run renews" q k3s1 'rc == 0 and task("'"$RENEW"'")["changed"] is True and "k3s" in task("Inventory the node")["distributions"]'
check "k3s: second run changes nothing" q k3s2 'rc == 0 and stats["changed"] == 0'

if [ "$failed" -gt 0 ]; then
    echo "logs kept in the output above; last stderr:"
    for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
