#!/usr/bin/env bash
# Checks the systemd units in examples/systemd with `systemd-analyze verify`: syntax, known
# keys, calendar specifications, that each timer has its service, and that every command
# exists and is executable. Any warning fails the check, not only errors.
#
#   testing/verify-systemd-units.sh [KCERT_BIN]
#
# systemd-analyze checks that /usr/bin/kcert exists; it does not here, so the units are
# verified from copies whose /usr/bin/kcert is KCERT_BIN (default: $KCERT_BIN, then
# target/release/kcert). The copies are otherwise byte-identical. Works without systemd running
# (in a container): verify reads the files only. Ends with "N passed, N failed".
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kcert_bin="${1:-${KCERT_BIN:-$repo/target/release/kcert}}"
command -v systemd-analyze >/dev/null 2>&1 || { echo "verify-systemd-units: systemd-analyze not found (testing/install-deps.sh)" >&2; exit 1; }
[ -x "$kcert_bin" ] || { echo "verify-systemd-units: $kcert_bin is not executable (cargo build --release -p kcert)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
for unit in "$repo"/examples/systemd/*.service "$repo"/examples/systemd/*.timer; do
    sed "s|/usr/bin/kcert |$kcert_bin |g" "$unit" > "$work/$(basename "$unit")"
done
# The services' kcert arguments, to run them below.
for unit in "$repo"/examples/systemd/*.service; do
    name=$(basename "$unit")
    sed -n 's|^ExecStart=/usr/bin/kcert \(.*\)$|\1|p' "$unit" > "$work/$name.args"
done
for unit in "$work"/*.service "$work"/*.timer; do
    name=$(basename "$unit")
    # The services run as root with the journal; verify needs no running systemd.
    if (cd "$work" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$name") > "$work/$name.log" 2>&1 &&
        [ ! -s "$work/$name.log" ]; then
        passed=$((passed + 1)); echo "ok   - systemd-analyze verify $name"
    else
        failed=$((failed + 1)); echo "FAIL - systemd-analyze verify $name"; sed 's/^/    /' "$work/$name.log"
    fi
done
# The commands themselves, run as the services run them but on a generated expired kubeadm
# tree instead of /: the check writes metrics (exit 1: something expired), the renewal renews.
"$kcert_bin" fixture kubeadm "$work/tree" > /dev/null || { echo "verify-systemd-units: kcert fixture failed" >&2; exit 1; }
for args in "$work"/*.args; do
    name=$(basename "$args" .args)
    # shellcheck disable=SC2046 # the unit's arguments, split as systemd splits them (no quotes used)
    "$kcert_bin" $(sed "s|--root / |--root $work/tree |" "$args") > "$work/$name.out" 2> "$work/$name.err"
    rc=$?
    case "$name" in
        kcert-textfile.service) grep -q '^x509_cert_not_after{' "$work/$name.out" && [ "$rc" -le 1 ] ;;
        # An expired generated node renews whole (kubelet's serving pair included): exit 0.
        kcert-renew.service) [ "$rc" -eq 0 ] && grep -q '"changed": true' "$work/$name.out" ;;
        *) false ;;
    esac
    if [ $? -eq 0 ]; then
        passed=$((passed + 1)); echo "ok   - the command of $name runs on a test tree (exit $rc)"
    else
        failed=$((failed + 1)); echo "FAIL - the command of $name runs on a test tree (exit $rc)"
        head -n 20 "$work/$name.err" "$work/$name.out" | sed 's/^/    /'
    fi
done
echo "systemd: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
