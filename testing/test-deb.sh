#!/usr/bin/env bash
# The Debian package as a user installs it: `dpkg -i kcert_*.deb`, then the command, its man
# page and completions, and the C example built with `pkg-config --cflags --libs kcert` alone
# against the installed libkcert; then `dpkg -r kcert` and a check that nothing is left.
#
#   testing/test-deb.sh dist/kcert_0.1.0_amd64.deb      (as root: CI's throwaway machine)
#
# Installs into the real system (/usr), so it runs as root only; an installed kcert package
# that was there before is removed at the end too. Ends with "N passed, N failed"; exits
# non-zero when anything failed.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
[ "$#" -eq 1 ] && [ -f "$1" ] || { echo "usage: $0 KCERT_DEB" >&2; exit 2; }
DEB="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ "$(id -u)" -eq 0 ] || { echo "test-deb: needs root (dpkg -i into /usr)" >&2; exit 2; }
# shellcheck source=installed-c-checks.sh
. "$HERE/installed-c-checks.sh"
require_tools test-deb dpkg dpkg-deb cc make pkg-config readelf openssl ldd

WORK="$(mktemp -d)"
cleanup() {
    dpkg -s kcert >/dev/null 2>&1 && dpkg -r kcert >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' "$REPO/Cargo.toml")
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
LIB="/usr/lib/$multiarch"

# --- the package file ----------------------------------------------------------------------------
field() { dpkg-deb -f "$DEB" "$1"; }
check "control: Package kcert, Version $version, Architecture $arch" bash -c "
    [ '$(field Package)' = kcert ] && [ '$(field Version)' = '$version' ] && [ '$(field Architecture)' = '$arch' ]"
check "control: Depends names libc6 with a minimum version, Maintainer, Section, Description" bash -c "
    dpkg-deb -f '$DEB' Depends | grep -Eq 'libc6 \(>= [0-9.]+\)' &&
    [ -n \"\$(dpkg-deb -f '$DEB' Maintainer)\" ] && [ -n \"\$(dpkg-deb -f '$DEB' Section)\" ] &&
    [ -n \"\$(dpkg-deb -f '$DEB' Description)\" ]"
check "files are owned by root:root" bash -c "! dpkg-deb -c '$DEB' | awk '{print \$2}' | grep -v '^root/root$'"

# --- install -------------------------------------------------------------------------------------
check "dpkg -i $(basename "$DEB")" dpkg -i "$DEB"
check "dpkg -s kcert: installed" bash -c "dpkg-query -W -f='\${Status}' kcert | grep -qx 'install ok installed'"

# --- the command, its man page and completions ---------------------------------------------------
check "kcert is /usr/bin/kcert on PATH" test "$(command -v kcert)" = /usr/bin/kcert
check "kcert --version names $version" bash -c "/usr/bin/kcert --version | grep -q '$version'"
check "kcert check --help runs" /usr/bin/kcert check --help
check "the man page is /usr/share/man/man1/kcert.1.gz, valid roff" bash -c "
    [ -f /usr/share/man/man1/kcert.1.gz ] && zcat /usr/share/man/man1/kcert.1.gz | grep -q '^\.TH'"
if command -v man >/dev/null 2>&1; then
    check "man -w kcert finds it" bash -c "[ \"\$(man -w kcert)\" = /usr/share/man/man1/kcert.1.gz ]"
fi
check "bash completion: /usr/share/bash-completion/completions/kcert defines the kcert completion" \
    bash -c "source /usr/share/bash-completion/completions/kcert && complete -p kcert"
check "zsh completion: /usr/share/zsh/vendor-completions/_kcert" bash -c \
    "head -n 1 /usr/share/zsh/vendor-completions/_kcert | grep -q '^#compdef kcert'"
check "fish completion: /usr/share/fish/vendor_completions.d/kcert.fish" \
    grep -q 'complete -c kcert' /usr/share/fish/vendor_completions.d/kcert.fish

# --- the C library -------------------------------------------------------------------------------
major=$(header_major /usr/include/kcert.h)
check "$LIB: libkcert.so -> libkcert.so.$major -> libkcert.so.$version, libkcert.a" bash -c "
    [ \"\$(readlink '$LIB/libkcert.so')\" = libkcert.so.$major ] &&
    [ \"\$(readlink '$LIB/libkcert.so.$major')\" = libkcert.so.$version ] &&
    [ -f '$LIB/libkcert.so.$version' ] && [ -f '$LIB/libkcert.a' ]"
# /lib is /usr/lib on merged-/usr systems (Debian 12): the loader may name either.
check "ldconfig knows libkcert.so.$major (the package's ldconfig trigger ran)" bash -c \
    "ldconfig -p | grep -Eq 'libkcert.so.$major .*=> (/usr)?/lib/$multiarch/libkcert.so.$major\$'"
check "pkg-config finds kcert $version with no PKG_CONFIG_PATH" \
    env -u PKG_CONFIG_PATH bash -c "[ \"\$(pkg-config --modversion kcert)\" = '$version' ] && pkg-config --libs kcert | grep -q -- -lkcert"

# The system's pkg-config path and loader search alone: no PKG_CONFIG_PATH, no LD_LIBRARY_PATH.
check_installed_example "$major" "" "" "(/usr)?/lib/$multiarch/libkcert.so.$major"
check "kcert inspect (the installed command) reads the same certificate" bash -c \
    "/usr/bin/kcert inspect '$WORK/example.pem' | grep -q 'installed-example'"

# --- remove --------------------------------------------------------------------------------------
check "dpkg -r kcert" dpkg -r kcert
check "nothing of the package is left" bash -c "
    ! dpkg-query -W -f='\${Status}' kcert 2>/dev/null | grep -q 'ok installed' &&
    for f in \$(dpkg-deb -c '$DEB' | awk '{print \$6}' | sed 's|^\./|/|' | grep -v '/\$'); do
        [ ! -e \"\$f\" ] && [ ! -L \"\$f\" ] || { echo \"left: \$f\"; exit 1; }
    done"
check "ldconfig no longer lists libkcert.so.$major" bash -c "! ldconfig -p | grep -q 'libkcert.so.$major =>'"

check_summary deb
