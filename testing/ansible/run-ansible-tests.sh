#!/usr/bin/env bash
# Ansible tests of the kcert.kubernetes collection (ansible/): builds it with
# `ansible-galaxy collection build` (or takes a built tarball), installs the tarball into a temp
# collections path, runs `ansible-test sanity` on the installed copy, then runs the modules
# kcert_info, kcert_renew, kcert_export, kcert_sign and kcert_install and the playbooks
# kcert.kubernetes.renew_cluster and kcert.kubernetes.renew_workers (two local hosts) for real with
# ansible-playbook (connection local, inventory localhost) against expired node trees generated
# in a temp dir, all through the installed collection. Nothing outside the temp dir is touched
# and nothing is restarted (kcert_root is never "/").
#
#   testing/ansible/run-ansible-tests.sh
#
# Environment:
#   KCERT_COLLECTION   a built kcert-kubernetes-*.tar.gz to test (default: build ansible/)
#   KCERT_PYTHON       the managed node's interpreter, with `kcert` installed (e.g. a venv with
#                      the wheel; default: the repo's .venv, where kcertlib-py/tests/
#                      run-python-tests.sh --install-only installs kcert when it is missing)
#   KCERT_BIN          the kcert command that builds the test trees
#   KCERT_SKIP_SANITY  1 skips ansible-test sanity (quicker local runs)
#
# Needs the repo's .venv (testing/install-deps.sh: ansible-core). Ends with
# "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
collection_src="$repo/ansible"
venv="$repo/.venv"

die() { echo "run-ansible-tests: error: $*" >&2; exit 1; }
[ -x "$venv/bin/ansible-playbook" ] || "$repo/testing/install-deps.sh" || die "could not create $venv"
py="${KCERT_PYTHON:-$venv/bin/python}"
if ! "$py" -c 'import kcert' 2>/dev/null; then
    [ -z "${KCERT_PYTHON:-}" ] || die "$py cannot import kcert"
    "$repo/kcertlib-py/tests/run-python-tests.sh" --install-only || die "could not install kcert"
fi

work=$(mktemp -d)
[ -n "${KCERT_KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
export ANSIBLE_HOME="$work/ansible-home"
export ANSIBLE_LOCAL_TEMP="$work/ansible-tmp"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
export ANSIBLE_DEPRECATION_WARNINGS=0
unset ANSIBLE_LIBRARY ANSIBLE_COLLECTIONS_PATHS
# Only the installed collection: nothing is found from this checkout.
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
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
play() { # play NAME PLAYBOOK [ansible-playbook args...]; PLAY_INVENTORY overrides the inventory
    local name=$1 book=$2
    shift 2
    ANSIBLE_STDOUT_CALLBACK=kcert_json "$venv/bin/ansible-playbook" -i "${PLAY_INVENTORY:-$inventory}" \
        -e ansible_become=false -e kcert_hosts=localhost "$book" "$@" > "$work/$name.json" 2> "$work/$name.log"
    echo $? > "$work/$name.rc"
}

# Evaluates a Python expression over a play's JSON: `task(prefix)` is the localhost result of
# the first task whose name starts with prefix, `tasks(prefix)` all of them, `stats` the
# localhost stats, `rc` the exit code. KCERT_Q_HOST names another host than localhost;
# KCERT_Q_PRINT=1 prints the expression's value instead (qv).
q() { # q NAME EXPRESSION -> exit 0 iff the expression is true
    "$py" - "$work/$1.json" "$(cat "$work/$1.rc")" "$2" <<'PY'
import json, os, re, sys
raw = open(sys.argv[1]).read()
doc = json.loads(raw[raw.index("{"):]) if "{" in raw else {"plays": [], "stats": {}}
rc = int(sys.argv[2])
host = os.environ.get("KCERT_Q_HOST", "localhost")
results = [(t["task"]["name"], t["hosts"].get(host, {})) for p in doc["plays"] for t in p["tasks"]]
def tasks(prefix):
    return [r for n, r in results if n.startswith(prefix)]
def task(prefix):
    found = tasks(prefix)
    return found[0] if found else {}
stats = doc.get("stats", {}).get(host, {})
if os.environ.get("KCERT_Q_PRINT") == "1":
    print(eval(sys.argv[3]))
    sys.exit(0)
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

qv() { KCERT_Q_PRINT=1 q "$@"; } # qv NAME EXPRESSION -> prints the expression's value

entry_status() { # entry_status ROOT NAME -> prints the entry's status from a fresh scan
    "$py" -c 'import sys, kcert; print(kcert.scan(sys.argv[1])[sys.argv[2]].status)' "$1" "$2"
}

echo "== the collection: built, installed from its tarball, documented"
tarball="${KCERT_COLLECTION:-}"
if [ -z "$tarball" ]; then
    "$venv/bin/ansible-galaxy" collection build "$collection_src" --output-path "$work/dist" \
        > "$work/build.log" 2>&1 || { cat "$work/build.log"; die "ansible-galaxy collection build failed"; }
    tarball=$(ls "$work"/dist/kcert-kubernetes-*.tar.gz)
fi
check "ansible-galaxy collection install of $(basename "$tarball")" \
    "$venv/bin/ansible-galaxy" collection install -p "$work/collections" "$tarball"
installed="$work/collections/ansible_collections/kcert/kubernetes"
workspace_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml")
check "the collection's version is the workspace's ($workspace_version)" \
    grep -qx "version: $workspace_version" "$collection_src/galaxy.yml"
check "ansible-galaxy collection list finds kcert.kubernetes only in the temp path" bash -c \
    "'$venv/bin/ansible-galaxy' collection list kcert.kubernetes 2>/dev/null | grep -q '^kcert.kubernetes '"
for module in kcert_info kcert_renew kcert_export kcert_sign kcert_install; do
    # Every module takes the base fragment; all but kcert_install take relative times.
    fragments="grep -q 'ansible_python_interpreter' '$work/doc-$module.txt'"
    [ "$module" = kcert_install ] || fragments="$fragments && grep -q 'community.crypto' '$work/doc-$module.txt'"
    check "ansible-doc kcert.kubernetes.$module (with the doc fragments)" bash -c \
        "'$venv/bin/ansible-doc' kcert.kubernetes.$module > '$work/doc-$module.txt' 2>&1 && $fragments"
done
if [ "${KCERT_SKIP_SANITY:-0}" != 1 ]; then
    # ansible-test runs from the installed copy (it needs ansible_collections/<ns>/<name>/); its
    # pinned checkers go into venvs it manages under $ANSIBLE_TEST_CACHE (~/.ansible/test by default).
    pyver=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    # ansible-test bootstraps pip in its venvs with a get-pip.py it downloads from outside the
    # package registries: give it ours (testing/ansible/get-pip-offline.py) under its cache name.
    pip_for_venvs=$("$venv/bin/python" -c 'import sys, types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version=sys.argv[1]))["pip"])' "$pyver") ||
        die "cannot tell which pip ansible-test bootstraps"
    get_pip="$HOME/.ansible/test/cache/get_pip_${pip_for_venvs//./_}.py"
    mkdir -p "$(dirname "$get_pip")"
    cp "$here/get-pip-offline.py" "$get_pip"
    if (cd "$installed" && "$venv/bin/ansible-test" sanity --venv --requirements --python "$pyver" \
        > "$work/sanity.log" 2>&1); then
        passed=$((passed + 1)); echo "ok   - ansible-test sanity on the installed collection"
    else
        failed=$((failed + 1)); echo "FAIL - ansible-test sanity on the installed collection"
        grep -Ev '^(Running sanity test|Installing requirements|Collecting|Downloading)' "$work/sanity.log" | tail -n 60
    fi
fi

playbook=kcert.kubernetes.renew_cluster
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
check "backup_dir (a directory) and manifest (a file in it) returned" q first \
    'task("'"$RENEW"'")["manifest"].startswith(task("'"$RENEW"'")["backup_dir"] + "/") and "backup_file" not in task("'"$RENEW"'")'
check "backup_dir is a directory holding the manifest" q first \
    'os.path.isdir(task("'"$RENEW"'")["backup_dir"]) and os.path.isfile(task("'"$RENEW"'")["manifest"])'
check "apiserver is valid on disk" test "$(entry_status "$work/kubeadm" apiserver)" = ok
check "final info shows nothing renewable expired" q first \
    'not task("Nothing renewable").get("failed") and task("Nothing renewable")["msg"].startswith("renewed ")'

echo "== second run is idempotent (its root set in the inventory, not with -e)"
hash_before=$(tree_hash "$work/kubeadm")
echo "localhost ansible_connection=local ansible_python_interpreter=$py kcert_root=$work/kubeadm" \
    > "$work/hosts-with-root.ini"
PLAY_INVENTORY="$work/hosts-with-root.ini" play second "$playbook"
check "second run succeeds" q second 'rc == 0'
check "second run works on the inventory's kcert_root (a host var, not overridden by the play)" q second \
    'task("Inventory the node'"'"'s certificates")["root"] == os.path.realpath("'"$work/kubeadm"'")'
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

echo "== input the modules or the library reject fails the task with its message, no traceback"
play bad "$here/bad-input.yml" -e "kcert_root=$work/kubeadm"
for t in "bad duration" "window in the past" "notBefore in the future" "unknown entry" \
    "non-positive days" "missing root" "not a certificate"; do
    check "$t: task failed" q bad 'task("'"$t"'").get("failed") is True'
done
check "bad duration: names the option and the forms" q bad \
    '"expiring_within: invalid relative time \"soon\"" in task("bad duration")["msg"] and "+30d, -1d, 32w1d2h" in task("bad duration")["msg"]'
check "window in the past: says so" q bad '"lies in the past" in task("window in the past")["msg"]'
check "notBefore in the future: says so" q bad '"in the future" in task("notBefore in the future")["msg"]'
check "unknown entry: library message" q bad '"no certificate named \"no-such-entry\"" in task("unknown entry")["msg"]'
check "non-positive days: library message" q bad '"a lifetime of 0 days" in task("non-positive days")["msg"]'
check "missing root: library message and code" q bad \
    '"does-not-exist" in task("missing root")["msg"] and task("missing root")["error_code"] == 1'
check "not a certificate: PEM error" q bad 'task("not a certificate")["error_kind"] == "pem"'
# (ansible-core 2.19 puts "exception": "(traceback unavailable)" in every failed result.)
check "no traceback anywhere" q bad \
    'results and not any(k in r for _, r in results for k in ("module_stderr", "module_stdout")) and "Traceback" not in raw and "File \"" not in raw'

echo "== relative times (community.crypto's and kcert's), snake_case keys, backup_dir"
make_tree "$work/relative" kubeadm
play relative "$here/relative-times.yml" -e "kcert_root=$work/relative" -e "kcert_backup_dir=$work/backups/explicit"
check "every relative-time task succeeds" q relative 'rc == 0 and stats["failures"] == 0'
check "kcert_info: every key of every entry is snake_case" q relative \
    'all(re.fullmatch("[a-z0-9_]+", k) for e in task("info with +4w")["certificates"] + task("info with +4w")["certificate_authorities"] for k in e)'
check "kcert_info: kubeadm's fields in snake_case beside RFC 3339 not_before/not_after" q relative \
    'all(e["not_after"] == e["expiration_date"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["not_before"]) and isinstance(e["residual_time"], int) and "externally_managed" in e and "ca_name" in e and "missing" in e for e in task("info with +4w")["certificates"] if e["not_after"])'
check "kcert_info: scanned_at is RFC 3339" q relative \
    're.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", task("info with +4w")["scanned_at"])'
check "check mode with +30d and -1d plans the expired leaves" q relative \
    'task("renew check mode")["changed"] is True and "apiserver" in {r["name"] for r in task("renew check mode")["renewed"]}'
check "-1d backdates notBefore by a day" q relative \
    'all(abs((__import__("datetime").datetime.strptime(r["new_not_after"], "%Y-%m-%dT%H:%M:%SZ") - __import__("datetime").datetime.strptime(r["new_not_before"], "%Y-%m-%dT%H:%M:%SZ")).total_seconds() - (365 + 1) * 86400) < 5 for r in task("renew check mode")["renewed"])'
check "backup_dir given: the backups and manifest land in that directory" q relative \
    'task("renew with 32w1d2h")["backup_dir"] == "'"$work/backups/explicit"'" and os.path.isfile(task("renew with 32w1d2h")["manifest"]) and os.path.dirname(task("renew with 32w1d2h")["manifest"]) == task("renew with 32w1d2h")["backup_dir"]'

echo "== kcert_info on files"
play paths "$here/info-paths.yml" -e "kcert_root=$work/partial"
check "kcert_info reads a certificate file and a kubeconfig" q paths \
    'rc == 0 and [c["index"] for c in task("read files")["certificates"]] == [0, 0, 1] and task("read files")["changed"] is False'
check "kcert_info on files: snake_case keys, RFC 3339 times" q paths \
    'all(re.fullmatch("[a-z0-9_]+", k) for c in task("read files")["certificates"] for k in c) and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c["not_after"]) for c in task("read files")["certificates"])'

echo "== missing kcert library"
# A fresh venv is an interpreter that certainly lacks kcert (made here, never skipped).
python3 -m venv "$work/nolib-venv"
"$work/nolib-venv/bin/python" -c 'import kcert' 2>/dev/null && { echo "not ok - the bare venv imports kcert"; exit 1; }
play nolib "$here/info-paths.yml" -e "kcert_root=$work/partial" -e ansible_python_interpreter="$work/nolib-venv/bin/python"
check "missing_required_lib message" q nolib \
    '"Failed to import the required Python library (kcert)" in task("read files")["msg"]'


echo "== add_sans: extra names on a serving certificate"
make_tree "$work/sans" kubeadm
sans_before=$(tree_hash "$work/sans")
play sansbad "$here/add-sans.yml" -e "kcert_root=$work/sans" --tags bad
check "bad san: task failed with the library's message" q sansbad \
    'task("bad san").get("failed") is True and "unknown kind" in task("bad san")["msg"] and "bogus:1" in task("bad san")["msg"]'
check "bad san: nothing written" test "$sans_before" = "$(tree_hash "$work/sans")"
play sans "$here/add-sans.yml" -e "kcert_root=$work/sans" --tags good
check "add_sans run renews apiserver only" q sans \
    '[r["name"] for r in task("renew apiserver with extra names")["renewed"]] == ["apiserver"]'
# Judged by Python cryptography, not by kcert: the old names stay, the new ones are added once.
check "apiserver has the added DNS and IP names, and its old ones" "$py" - "$work/sans/etc/kubernetes/pki/apiserver.crt" <<'PY'
import ipaddress, sys
from cryptography import x509
cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
dns = san.get_values_for_type(x509.DNSName)
ips = san.get_values_for_type(x509.IPAddress)
ok = ({"lb.example.com", "api.internal", "kubernetes"} <= set(dns)
      and ipaddress.ip_address("10.0.0.10") in ips
      and len(dns) == len(set(dns)) and len(ips) == len(set(ips)))
print("    DNS %s IP %s" % (dns, ips), file=sys.stderr) if not ok else None
sys.exit(0 if ok else 1)
PY

echo "== rke_state: RKE1's cluster state renewed with the node; user_kubeconfigs: users' copies"
make_tree "$work/rke" rke1
mkdir -p "$work/rke/srv/rke"
mv "$work/rke/root/cluster.rkestate" "$work/rke/srv/rke/cluster-a.rkestate"
state="$work/rke/srv/rke/cluster-a.rkestate"
state_before=$(sha256sum "$state")
play stateout "$here/renew-options.yml" -e "kcert_root=$work/rke" --tags state_outside
check "rke_state outside the root: task failed, names the root" q stateout \
    'task("state outside the root").get("failed") is True and "outside the root" in task("state outside the root")["msg"]'
check "rke_state outside the root: the state is untouched" test "$state_before" = "$(sha256sum "$state")"
play state "$here/renew-options.yml" -e "kcert_root=$work/rke" -e "kcert_state=$state" --tags state
check "rke_state run succeeds" q state 'rc == 0 and task("renew with the state named")["changed"] is True'
# Judged by reading the JSON and the node's file, not by kcert: both states hold the node's new
# kube-apiserver certificate.
check "both states hold the node's renewed kube-apiserver certificate" "$py" - "$state" "$work/rke/etc/kubernetes/ssl/kube-apiserver.pem" <<'PY'
import json, sys
from cryptography import x509
state = json.load(open(sys.argv[1]))
node = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
ok = True
for part in ("desiredState", "currentState"):
    pem = state[part]["certificatesBundle"]["kube-apiserver"]["certificatePEM"].encode()
    ok = ok and x509.load_pem_x509_certificate(pem).serial_number == node.serial_number
sys.exit(0 if ok else 1)
PY

make_tree "$work/copies" kubeadm
mkdir -p "$work/copies/root/.kube"
cp -p "$work/copies/etc/kubernetes/admin.conf" "$work/copies/root/.kube/config"
copy_before=$(sha256sum < "$work/copies/root/.kube/config")
play nocopies "$here/renew-options.yml" -e "kcert_root=$work/copies" --tags no_copies
check "user_kubeconfigs false: admin.conf renewed, root/.kube/config untouched" bash -c \
    '[ "$(sha256sum < "$1/root/.kube/config")" = "$2" ] && ! cmp -s "$1/etc/kubernetes/admin.conf" "$1/root/.kube/config"' \
    _ "$work/copies" "$copy_before"
play copies "$here/renew-options.yml" -e "kcert_root=$work/copies" --tags copies
check "user_kubeconfigs default: root/.kube/config renewed with admin.conf" bash -c \
    '[ "$(sha256sum < "$1/root/.kube/config")" != "$2" ]' _ "$work/copies" "$copy_before"

echo "== kcert_export refuses a destination reached through a symlink (the tree is untrusted)"
make_tree "$work/linked" kubeadm
rm "$work/linked/etc/kubernetes/pki/ca.key"
mkdir -p "$work/linked-outside" "$work/linked/var/lib/kcert"
ln -s "$work/linked-outside" "$work/linked/var/lib/kcert/handoff"
play exportlink "$here/renew-options.yml" -e "kcert_root=$work/linked" \
    -e "kcert_dest=$work/linked/var/lib/kcert/handoff/requests.json" --tags export_link
check "export through a symlinked directory: task failed, says why" q exportlink \
    'task("export through a symlinked directory").get("failed") is True and "symbolic link" in task("export through a symlinked directory")["msg"]'
check "export through a symlinked directory: nothing written where it points" \
    test -z "$(ls -A "$work/linked-outside")"

echo "== live check in the playbook: an outdated server fails the node, a restarted one passes"
make_tree "$work/live" kubeadm
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
s_server_pid=""
stop_s_server() { [ -z "$s_server_pid" ] || { kill "$s_server_pid" 2>/dev/null; wait "$s_server_pid" 2>/dev/null; s_server_pid=""; }; }
start_s_server() { # start_s_server CERT KEY PORT: openssl s_server standing in for kube-apiserver
    openssl s_server -quiet -www -accept "127.0.0.1:$3" -cert "$1" -key "$2" </dev/null >/dev/null 2>&1 &
    s_server_pid=$!
    for _ in $(seq 200); do
        "$py" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$3" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
trap 'stop_s_server; [ -n "${KCERT_KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
mkdir -p "$work/loaded-before" "$work/loaded-after"
cp "$work/live/etc/kubernetes/pki/apiserver.crt" "$work/live/etc/kubernetes/pki/apiserver.key" "$work/loaded-before/"
api_port=$(free_port)
closed=$(free_port)
live_ports="{\"kcert_live_ports\": {\"kube-apiserver\": $api_port, \"etcd\": $closed, \"etcd-peer\": $closed, \"kubelet\": $closed, \"kube-controller-manager\": $closed, \"kube-scheduler\": $closed}}"
check "s_server serves the apiserver pair as loaded before the renewal" \
    start_s_server "$work/loaded-before/apiserver.crt" "$work/loaded-before/apiserver.key" "$api_port"
play live1 "$playbook" -e "kcert_root=$work/live" -e kcert_live_check=true \
    -e kcert_live_retries=1 -e kcert_live_delay=1 -e "$live_ports"
check "outdated: the node fails after the renewal" q live1 \
    'rc != 0 and stats["failures"] == 1 and task("'"$RENEW"'")["changed"] is True'
check "outdated: the failure names kube-apiserver and says restart" q live1 \
    '"kube-apiserver: serves an older certificate of apiserver" in task("Stop the rollout")["msg"] and "restart" in task("Stop the rollout")["msg"]'
check "outdated: kcert_info live lists it, etcd not running" q live1 \
    'task("Dial each component")["live"]["outdated"] == ["kube-apiserver"] and {c["component"]: c["state"] for c in task("Dial each component")["live"]["components"]}["etcd"] == "not-running"'
stop_s_server
cp "$work/live/etc/kubernetes/pki/apiserver.crt" "$work/live/etc/kubernetes/pki/apiserver.key" "$work/loaded-after/"
check "s_server restarted with the renewed pair" \
    start_s_server "$work/loaded-after/apiserver.crt" "$work/loaded-after/apiserver.key" "$api_port"
play live2 "$playbook" -e "kcert_root=$work/live" -e kcert_live_check=true \
    -e kcert_live_retries=1 -e kcert_live_delay=1 -e "$live_ports"
check "current: the node passes, kube-apiserver serves the file on disk" q live2 \
    'rc == 0 and stats["failures"] == 0 and task("Dial each component")["live"]["outdated"] == [] and [c for c in task("Dial each component")["live"]["components"] if c["component"] == "kube-apiserver"][0]["state"] == "current" and [c for c in task("Dial each component")["live"]["components"] if c["component"] == "kube-apiserver"][0]["on_disk"]["serial"]'
stop_s_server
check "live check is off by default on a copied tree (no restarts)" q first \
    'task("Dial each component").get("skipped", True) is True'

echo "== a k3s node"
make_tree "$work/k3s" k3s
play k3s1 "$playbook" -e "kcert_root=$work/k3s"
play k3s2 "$playbook" -e "kcert_root=$work/k3s"
check "k3s: first run renews" q k3s1 'rc == 0 and task("'"$RENEW"'")["changed"] is True and "k3s" in task("Inventory the node")["distributions"]'
check "k3s: second run changes nothing" q k3s2 'rc == 0 and stats["changed"] == 0'

echo "== renew_workers: a worker without its CA key renewed with a control-plane node's CA"
# Two hosts over the local connection: the control plane (a kubeadm tree) and a worker made
# from a copy of it, reduced to kubelet's files and ca.crt (no CA key).
make_worker() { # make_worker CONTROL_PLANE WORKER
    rm -rf "$2"
    cp -a "$1" "$2"
    find "$2/etc/kubernetes" -mindepth 1 \( -type f -o -type l \) \
        ! -path "$2/etc/kubernetes/pki/ca.crt" ! -path "$2/etc/kubernetes/kubelet.conf" -delete
    find "$2/etc/kubernetes" -depth -type d -empty -delete
}
make_tree "$work/hw-cp" kubeadm
make_worker "$work/hw-cp" "$work/hw-worker"
workers_inventory() { # workers_inventory CONTROL_PLANE WORKER -> the inventory file of the two
    local file="$work/workers-$(basename "$2").ini"
    {
        echo "[kube_control_plane]"
        echo "cp ansible_connection=local ansible_python_interpreter=$py kcert_root=$1"
        echo "[kube_node]"
        echo "worker ansible_connection=local ansible_python_interpreter=$py kcert_root=$2"
    } > "$file"
    echo "$file"
}
WORKERS_INVENTORY=$(workers_inventory "$work/hw-cp" "$work/hw-worker")
play_workers() { # play_workers NAME [ansible-playbook args...]; WORKERS_INVENTORY is the inventory
    local name=$1
    shift
    ANSIBLE_STDOUT_CALLBACK=kcert_json "$venv/bin/ansible-playbook" -i "$WORKERS_INVENTORY" \
        -e ansible_become=false kcert.kubernetes.renew_workers "$@" > "$work/$name.json" 2> "$work/$name.log"
    echo $? > "$work/$name.rc"
}
wq() { KCERT_Q_HOST=worker q "$@"; }
wqv() { KCERT_Q_HOST=worker qv "$@"; }
export_names='{r["name"] for r in task("Export the requests")["requests"]}'
WORKER_TRANSIT='task("Make a directory on the worker")["path"]'
CA_TRANSIT='task("Make a directory on the CA host")["path"]'
# Kept (kcert_keep_handoff_files) under the test's own temp dir (kcert_handoff_dir), to look at.
mkdir -p "$work/transit"
play_workers workers1 -e "kcert_fetch_dir=$work/hw-moved" -e kcert_keep_handoff_files=true \
    -e "kcert_handoff_dir=$work/transit"
check "renew_workers succeeds; the files in transit lie in directories of the run, outside both trees" wq workers1 \
    'rc == 0 and stats["failures"] == 0 and task("Export the requests")["dest"] == '"$WORKER_TRANSIT"' + "/requests.json" and all(d.startswith("'"$work"'/transit/kcert-handoff") for d in ('"$WORKER_TRANSIT, $CA_TRANSIT"'))'
check "the worker exports kubelet-client-current" wq workers1 '"kubelet-client-current" in '"$export_names"
check "the control plane signs it, refusing nothing" wq workers1 \
    '"kubelet-client-current" in task("Sign the requests")["signed"] and task("Sign the requests")["refused"] == []'
check "the worker installs it; kubelet to restart, restart skipped off a real node" wq workers1 \
    '"kubelet-client-current" in {r["name"] for r in task("Install the signed")["renewed"]} and "kubelet" in task("Install the signed")["restart"] and task("Restart kubelet").get("skipped") is True'
check "the final check passes" wq workers1 \
    'not task("Nothing is left expired").get("failed") and task("Nothing is left expired")["msg"].startswith("installed ")'
check "kubelet-client-current is valid on the worker" test "$(entry_status "$work/hw-worker" kubelet-client-current)" = ok
check "the new certificate is valid now and signed by the control plane's CA (cryptography)" "$py" -c '
import sys, kcert
from datetime import datetime, timezone
from cryptography import x509
leaf = x509.load_pem_x509_certificate(kcert.scan(sys.argv[1])["kubelet-client-current"].certificate.to_pem().encode())
ca = x509.load_pem_x509_certificate(open(sys.argv[2] + "/etc/kubernetes/pki/ca.crt", "rb").read())
leaf.verify_directly_issued_by(ca)
sys.exit(0 if leaf.not_valid_before_utc <= datetime.now(timezone.utc) < leaf.not_valid_after_utc else 1)' "$work/hw-worker" "$work/hw-cp"
worker_transit=$(wqv workers1 "$WORKER_TRANSIT")
ca_transit=$(wqv workers1 "$CA_TRANSIT")
moved=("$work/hw-moved/worker/requests.json" "$work/hw-moved/worker/signed.json"
    "$ca_transit/requests.json" "$ca_transit/signed.json"
    "$worker_transit/requests.json" "$worker_transit/signed.json")
check "every file that moved is there and holds a certificate" bash -c \
    'for f in "$@"; do grep -q "BEGIN CERTIFICATE" "$f" || { echo "    missing or empty: $f"; exit 1; }; done' _ "${moved[@]}"
check "the nodes' directories in transit are 0700, their files 0600" bash -c \
    '[ "$(stat -c %a "$1" "$2")" = "700
700" ] && [ "$(stat -c %a "$1"/*.json "$2"/*.json | sort -u)" = 600 ]' _ "$worker_transit" "$ca_transit"
check "no file that moved holds a private key" bash -c \
    'for f in "$@"; do [ -s "$f" ] || exit 1; done; ! grep -l "PRIVATE KEY" "$@"' _ "${moved[@]}"
check "no task result holds a private key" bash -c "! grep -q 'PRIVATE KEY' '$work/workers1.json'"

play_workers workers2 -e "kcert_fetch_dir=$work/hw-moved2"
check "second run: nothing exported or installed, the worker's directory in transit removed" wq workers2 \
    'rc == 0 and task("Export the requests")["requests"] == [] and task("Install the signed").get("skipped") is True and task("Renew what the worker").get("changed") is False and not os.path.exists('"$WORKER_TRANSIT"')'
play_workers workers3 -e "kcert_fetch_dir=$work/hw-moved3"
check "third run changes nothing" wq workers3 'rc == 0 and stats["changed"] == 0'

echo "== renew_workers writes nothing through a link planted where the files in transit once lay"
# Both trees are untrusted: var/lib/kcert/handoff, in each, is a link to a directory outside.
make_tree "$work/hl-cp" kubeadm
make_worker "$work/hl-cp" "$work/hl-worker"
for node in hl-cp hl-worker; do
    mkdir -p "$work/$node/var/lib/kcert" "$work/$node-outside"
    chmod 0755 "$work/$node-outside"
    ln -s "$work/$node-outside" "$work/$node/var/lib/kcert/handoff"
done
WORKERS_INVENTORY=$(workers_inventory "$work/hl-cp" "$work/hl-worker")
play_workers planted
check "renew_workers succeeds with the links planted, and installs" wq planted \
    'rc == 0 and stats["failures"] == 0 and "kubelet-client-current" in {r["name"] for r in task("Install the signed")["renewed"]}'
check "nothing written where the links point: empty, mode unchanged" bash -c \
    'for d in "$@"; do [ -z "$(ls -A "$d")" ] && [ "$(stat -c %a "$d")" = 755 ] || { echo "    written through: $d"; exit 1; }; done' \
    _ "$work/hl-cp-outside" "$work/hl-worker-outside"
check "the directories in transit of the worker, the CA host and the controller are removed" wq planted \
    'not any(os.path.exists(d) for d in ('"$WORKER_TRANSIT, $CA_TRANSIT"', task("Make a directory on the controller")["path"]))'

echo "== renew_workers removes the files in transit when a step fails"
make_worker "$work/hl-cp" "$work/hl-worker"
play_workers failing -e kcert_backdate=+1h
check "a failing signing fails the worker" wq failing \
    'rc != 0 and task("Sign the requests").get("failed") is True and "in the future" in task("Sign the requests")["msg"]'
check "after the failure, the directories in transit of the worker, the CA host and the controller are removed" wq failing \
    'all(d.startswith("/") for d in ('"$WORKER_TRANSIT, $CA_TRANSIT"')) and not any(os.path.exists(d) for d in ('"$WORKER_TRANSIT, $CA_TRANSIT"', task("Make a directory on the controller")["path"]))'
WORKERS_INVENTORY=$(workers_inventory "$work/hw-cp" "$work/hw-worker")

echo "== renew_workers in check mode changes nothing"
make_worker "$work/hw-cp" "$work/hw-worker"
hash_before=$(tree_hash "$work/hw-worker")
play_workers workers_check --check -e "kcert_fetch_dir=$work/hw-moved-check"
check "check mode succeeds and reports the requests" wq workers_check \
    'rc == 0 and "kubelet-client-current" in '"$export_names"' and task("Export the requests")["changed"] is True'
check "check mode left the worker byte-identical" test "$hash_before" = "$(tree_hash "$work/hw-worker")"
check "check mode left no directory in transit behind" wq workers_check 'not os.path.exists('"$WORKER_TRANSIT"')'

if [ "$failed" -gt 0 ]; then
    echo "logs kept in the output above; last stderr:"
    for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
