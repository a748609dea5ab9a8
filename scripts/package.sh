#!/usr/bin/env bash
# Build every release artifact into OUTDIR, from one release build of the workspace:
#
#   scripts/package.sh OUTDIR
#
#   kcert-<version>-cp39-abi3-manylinux_2_28_<arch>.whl   the Python module (pip install)
#   kcert-kubernetes-<version>.tar.gz                      the Ansible collection
#                                                          (ansible-galaxy collection install)
#   libkcert-<version>-<arch>-linux.tar.gz                 the C library: lib/libkcert.so.*,
#                                                          lib/libkcert.a, include/kcert.h,
#                                                          lib/pkgconfig/kcert.pc (relocatable)
#   kcert_<version>_<debian arch>.deb                      the Debian package (dpkg -i): the kcert
#                                                          command, its man page and completions,
#                                                          libkcert with kcert.h and kcert.pc
#                                                          (scripts/build-deb.sh)
#   SHA256SUMS
#
# The wheel is checked with auditwheel (it must carry a manylinux tag). Needs the repo's .venv
# (testing/install-deps.sh: maturin, ziglang, auditwheel, ansible-core) and dpkg-dev for the
# Debian package.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ "$#" -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
venv="$repo/.venv"
# The oldest glibc the wheel supports: glibc 2.28 (RHEL 8, Debian 10, Ubuntu 18.10 and later).
# The build host's glibc is newer (Debian 12: 2.36) and a native link picks its newest symbol
# versions, so the extension is linked by zig (the `ziglang` package from PyPI, through maturin
# --zig) against glibc 2.28's symbols; maturin then checks the result like auditwheel does.
manylinux="${KCERT_MANYLINUX:-manylinux_2_28}"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"

step() { printf 'package: %s\n' "$*"; }
die() { printf 'package: error: %s\n' "$*" >&2; exit 1; }
for tool in maturin auditwheel ansible-galaxy; do
    [ -x "$venv/bin/$tool" ] || die "$venv/bin/$tool missing (testing/install-deps.sh)"
done
"$venv/bin/python" -m ziglang version > /dev/null 2>&1 || die "ziglang missing from $venv (testing/install-deps.sh)"
# maturin finds zig as `python3 -m ziglang`: the venv's python first.
export PATH="$venv/bin:$PATH"
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml")
[ -n "$version" ] || die "no workspace version in Cargo.toml"
arch=$(uname -m)
cd "$repo"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
stage_log="$stage/log"

step "the Python wheel (maturin build --release --zig, abi3, $manylinux)"
rm -f "$out"/kcert-*.whl
"$venv/bin/maturin" build --release -m kcertlib-py/Cargo.toml --zig --compatibility "$manylinux" \
    --target-dir "$target_dir" -o "$out" > "$stage_log" 2>&1 || { cat "$stage_log"; die "maturin build failed"; }
wheel=$(ls "$out"/kcert-"$version"-*.whl) || die "maturin made no kcert-$version wheel"
"$venv/bin/auditwheel" show "$wheel" > "$out/auditwheel.txt" || die "auditwheel show failed"
grep -Eq "manylinux_[0-9]+_[0-9]+_$arch" "$out/auditwheel.txt" ||
    { cat "$out/auditwheel.txt"; die "auditwheel does not find $wheel $manylinux-compliant"; }
step "  $(basename "$wheel"): auditwheel: $(grep -Eo "manylinux_[0-9]+_[0-9]+_$arch" "$out/auditwheel.txt" | head -n 1)"
rm "$out/auditwheel.txt"

step "the Ansible collection (ansible-galaxy collection build)"
rm -f "$out"/kcert-kubernetes-*.tar.gz
"$venv/bin/ansible-galaxy" collection build ansible --output-path "$out" > "$stage_log" 2>&1 ||
    { cat "$stage_log"; die "ansible-galaxy collection build failed"; }
[ -f "$out/kcert-kubernetes-$version.tar.gz" ] ||
    die "no kcert-kubernetes-$version.tar.gz (is ansible/galaxy.yml's version $version?)"

step "the C library tarball (scripts/install-c.sh, stripped, relocatable kcert.pc)"
name="libkcert-$version-$arch-linux"
cargo build --release --quiet -p kcertlib-ffi --target-dir "$target_dir"
scripts/install-c.sh --no-build --strip --relocatable --prefix "/$name" --destdir "$stage" \
    --target-dir "$target_dir" > /dev/null
cp LICENSE-MIT LICENSE-APACHE "$stage/$name/"
tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name -czf "$out/$name.tar.gz" "$name"

step "the Debian package (scripts/build-deb.sh: dpkg-deb, from the same release build)"
cargo build --release --quiet -p kcert --target-dir "$target_dir"
scripts/build-deb.sh "$out" --target-dir "$target_dir" > "$stage_log" 2>&1 ||
    { cat "$stage_log"; die "scripts/build-deb.sh failed"; }
deb=$(ls "$out"/kcert_"$version"_*.deb) || die "build-deb made no kcert_${version}_*.deb"
step "  $(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"

(cd "$out" && sha256sum kcert-*.whl kcert-kubernetes-*.tar.gz libkcert-*.tar.gz kcert_*.deb > SHA256SUMS)
step "done: $out"
sed 's/^/package:   /' "$out/SHA256SUMS"
