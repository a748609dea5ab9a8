#!/usr/bin/env bash
# The Python suite: builds the `kcert` wheel once (maturin, release, abi3, with the test hooks),
# installs it into the repo's .venv, then runs pytest over kcertlib-py/tests (which includes
# mypy.stubtest).
#
#   kcertlib-py/tests/run-python-tests.sh                 build, install, test
#   kcertlib-py/tests/run-python-tests.sh --install-only  build and install (the Ansible tests use it)
#   kcertlib-py/tests/run-python-tests.sh -- -k renew     extra arguments after -- go to pytest
#
# Exits non-zero when the build, the install or any test fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv="$repo/.venv"

install_only=0
pytest_args=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --install-only) install_only=1 ;;
        --) shift; pytest_args=("$@"); break ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "run-python-tests: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

[ -x "$venv/bin/maturin" ] || "$repo/testing/install-deps.sh"

wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
echo "run-python-tests: building the kcert wheel (release, with the test hooks)"
# test-hooks: kcert._kcert._error_kinds and _raise_error, for test_errors.py; the wheel that
# ships (scripts/package.sh) is built without them.
"$venv/bin/maturin" build --release --quiet -m "$repo/kcertlib-py/Cargo.toml" --features test-hooks -o "$wheels"
"$venv/bin/pip" install --quiet --force-reinstall --no-deps "$wheels"/kcert-*.whl
echo "run-python-tests: installed $("$venv/bin/python" -c 'import kcert; print(kcert.__file__)')"
[ "$install_only" -eq 1 ] && exit 0

# From a neutral directory, so `import kcert` finds the installed package and nothing else.
cd "$wheels"
# The wheel under test has the test hooks; test_stubs.py checks it.
KCERT_TEST_HOOKS=1 exec "$venv/bin/python" -m pytest "$here" -p no:cacheprovider "${pytest_args[@]}"
