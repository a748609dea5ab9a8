#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one: installs what the tests need, builds
# once (release), and runs the Rust, C, Python and Ansible suites against that one build.
#
#   scripts/test.sh            everything
#   KCERT_SKIP_LINT=1 ...      skip fmt/clippy (quicker local runs)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "installing test dependencies"
testing/install-deps.sh
export PATH="$repo/.venv/bin:$HOME/.cargo/bin:$PATH"

if [ "${KCERT_SKIP_LINT:-0}" != 1 ]; then
  step "cargo fmt --check and clippy"
  cargo fmt --all -- --check
  cargo clippy --workspace --all-targets --release -- -D warnings
fi

step "building the workspace for its tests (release)"
# kcertlib's own tests enable its fixture and test-hooks features (a self dev-dependency), so
# this build is the test build; the products are built below, each alone, as users build them.
cargo build --workspace --release --all-targets

step "the C library and the Python module are built with the aws-lc backend"
for crate in kcertlib-ffi kcertlib-py; do
  cargo tree -p "$crate" -e features | grep -q 'kcertlib feature "aws-lc"' ||
    { echo "$crate is not built with kcertlib's aws-lc feature" >&2; exit 1; }
done

step "Rust tests (with the hostile-tree, crash, conflict and fuzz-corpus suites, and doctests)"
cargo test --workspace --release

step "public API listing, docs and packages"
python3 scripts/public-api.py --check
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p kcertlib --features fixture
# `cargo package` verifies kcert against the kcertlib it has just packed, through a temporary
# local registry whose crates cargo unpacks under $CARGO_HOME/registry/src/-<hash>/ and, on a
# later run, reuses when the version is the same, even though the source changed: on a warm
# machine kcert was checked against an old kcertlib. Drop those unpacks of our own crates.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
rm -rf "$cargo_home"/registry/src/-*/kcertlib-[0-9]* "$cargo_home"/registry/src/-*/kcert-[0-9]*
cargo package -p kcertlib -p kcert --allow-dirty --quiet

step "the products, each built alone: no test code in libkcert or the kcert binary"
product_builds() {
  cargo build --release -p kcertlib-ffi
  cargo build --release -p kcert
  if nm -C target/release/libkcert.so | grep -qE 'kcertlib::(fixture|testing)::'; then
    echo "libkcert.so carries the fixture generator or test hooks" >&2; exit 1
  fi
  if nm -C target/release/kcert | grep -qE 'kcertlib::testing::'; then
    echo "the kcert binary carries test hooks" >&2; exit 1
  fi
}
product_builds
export KCERT_BIN="$repo/target/release/kcert"

step "Fault injection: ENOSPC, EIO and SIGKILL at a sample of a real renewal's system calls"
# The full sweep (every point, about 7 minutes) is `testing/fault-injection/run.py --full`.
python3 testing/fault-injection/run.py --sample 40 --kcert "$repo/target/release/kcert"
python3 testing/fault-injection/run.py --sample 12 --target recover \
  --kcert "$repo/target/release/kcert"
# RKE1 too: its renewal also writes the cluster state and kube-admin's kubeconfig beside it,
# which the kubeadm tree does not have.
python3 testing/fault-injection/run.py --sample 10 --layout rke1 --kcert "$repo/target/release/kcert"

step "Streaming 1 GiB of PEM keeps peak RSS under 64 MiB"
# --workspace: the same feature set as the run above, so nothing is rebuilt.
cargo test --workspace --release --test pem_stream -- --ignored --test-threads=1

step "Rust tests of the pure-Rust build (no aws-lc: RustCrypto signs and verifies)"
# The default build signs with aws-lc-rs; builds without a C toolchain use RustCrypto. The
# signing, re-sign and view suites run against that second build too.
if [ "${KCERT_SKIP_LINT:-0}" != 1 ]; then
  cargo clippy -p kcertlib --no-default-features --release --lib --tests -- -D warnings
fi
cargo test -p kcertlib --no-default-features --release --lib \
  --test smoke --test openssl_fixtures --test signing_backends --test view_equivalence
# Those builds were test builds again: back to the products for the C, Python and Ansible suites.
product_builds

step "C tests (header drift, ASan, valgrind)"
kcertlib-ffi/tests/run-c-tests.sh "$repo/target/release"

step "Release artifacts: scripts/package.sh (wheel, Ansible collection, C library tarball, .deb)"
dist=$(mktemp -d)
trap 'rm -rf "$dist"' EXIT
scripts/package.sh "$dist"

step "The C library as users install it (install-c.sh into a prefix, the tarball, pkg-config)"
kcertlib-ffi/tests/run-install-test.sh "$repo/target/release" "$dist"/libkcert-*.tar.gz

step "The Debian package as users install it (dpkg -i, kcert, man page, completions, C example, dpkg -r)"
# CI runs as root on a throwaway machine: the package goes into /usr and is removed again.
testing/test-deb.sh "$(ls "$dist"/kcert_*.deb)"

step "Python tests against the wheel, installed into a fresh venv (pytest, stubs)"
python3 -m venv "$dist/venv"
# The wheel's own `test` extra brings pytest, cryptography and mypy.
wheel=$(ls "$dist"/kcert-*.whl)
"$dist/venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel[test]"
"$dist/venv/bin/python" -c 'import kcert, sys; sys.exit("site-packages" not in kcert.__file__)'
# KCERT_TEST_HOOKS=0: the shipped wheel has no test hooks (test_stubs.py checks; the tests that
# need them are deselected, not skipped: they ran in the suite of the build with the hooks).
(cd "$dist" && KCERT_TEST_HOOKS=0 "$dist/venv/bin/python" -m pytest -q -p no:cacheprovider "$repo/kcertlib-py/tests")

step "Ansible tests through the installed collection (ansible-test sanity, playbooks, the wheel)"
KCERT_COLLECTION=$(ls "$dist"/kcert-kubernetes-*.tar.gz) KCERT_PYTHON="$dist/venv/bin/python" \
  testing/ansible/run-ansible-tests.sh

step "systemd units (systemd-analyze verify, and their commands on a test tree)"
testing/verify-systemd-units.sh "$KCERT_BIN"

step "all suites passed in $(( $(date +%s) - started ))s"
