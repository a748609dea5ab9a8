#!/usr/bin/env bash
# The C library as a user installs it: scripts/install-c.sh into a temporary prefix (and once
# more staged under a DESTDIR), then examples/c built with `pkg-config --cflags --libs kcert`
# alone and run against the installed libkcert.so.<major>.
#
#   cargo build --release -p kcertlib-ffi
#   kcertlib-ffi/tests/run-install-test.sh target/release [libkcert-*.tar.gz]
#
# Given the release tarball (scripts/package.sh) too, also unpacks it into a directory of its
# own and builds and runs a program against it with pkg-config alone (its kcert.pc is
# relocatable).
#
# Checks the SONAME and the .so.<major>/.so links, kcert.pc (version, prefix, --static flags),
# that KCERT_VERSION_MAJOR/MINOR/PATCH in the installed header equal kcert_version() of the
# installed library, and that the example program needs libkcert.so.<major> and finds it in
# the prefix. Ends with "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
[ "$#" -ge 1 ] && [ "$#" -le 2 ] || { echo "usage: $0 TARGET_DIR [TARBALL]  (e.g. target/release)" >&2; exit 2; }
TARBALL="${2:-}"
TARGET="$(cd "$1" 2>/dev/null && pwd)" || { echo "run-install-test: no such directory: $1" >&2; exit 2; }
# shellcheck source=../../testing/installed-c-checks.sh
. "$REPO/testing/installed-c-checks.sh"
require_tools run-install-test cc pkg-config readelf openssl make ldd

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PREFIX="$WORK/prefix"
LIB="$PREFIX/lib"

# --- install ------------------------------------------------------------------------------------
install_c() { "$REPO/scripts/install-c.sh" --no-build --target-dir "$(dirname "$TARGET")" "$@"; }
check "install-c.sh into a temporary prefix" install_c --prefix "$PREFIX"
check "install-c.sh staged: DESTDIR=stage PREFIX=/opt/kcert" \
    env DESTDIR="$WORK/stage" PREFIX=/opt/kcert "$REPO/scripts/install-c.sh" --no-build \
    --target-dir "$(dirname "$TARGET")"
check "the staged tree has every file under stage/opt/kcert, and kcert.pc names /opt/kcert" bash -c "
    cd '$WORK/stage/opt/kcert' && test -f include/kcert.h -a -f lib/libkcert.a -a -L lib/libkcert.so &&
    grep -qx 'prefix=/opt/kcert' lib/pkgconfig/kcert.pc && ! grep -q '$WORK' lib/pkgconfig/kcert.pc"

major=$(header_major "$PREFIX/include/kcert.h")
real=$(cd "$LIB" && ls libkcert.so.*.*.* 2>/dev/null)
check "libkcert.so -> libkcert.so.$major -> $real, a regular file" bash -c "
    [ \"\$(readlink '$LIB/libkcert.so')\" = libkcert.so.$major ] &&
    [ \"\$(readlink '$LIB/libkcert.so.$major')\" = '$real' ] && [ -f '$LIB/$real' ] && [ ! -L '$LIB/$real' ]"
check "SONAME of the installed library is libkcert.so.$major" bash -c \
    "readelf -d '$LIB/$real' | grep -q 'Library soname: \[libkcert.so.$major\]'"
check "SONAME of the build tree's library is libkcert.so.$major too, with the link beside it" bash -c \
    "readelf -d '$TARGET/libkcert.so' | grep -q 'Library soname: \[libkcert.so.$major\]' && [ -e '$TARGET/libkcert.so.$major' ]"

# --- pkg-config ---------------------------------------------------------------------------------
export PKG_CONFIG_PATH="$LIB/pkgconfig"
check "pkg-config --modversion kcert is the file name's version" \
    test "$(pkg-config --modversion kcert)" = "${real#libkcert.so.}"
check "pkg-config --cflags --libs kcert point into the prefix" bash -c "
    [ \"\$(pkg-config --cflags kcert | xargs)\" = '-I$PREFIX/include' ] &&
    [ \"\$(pkg-config --libs kcert | xargs)\" = '-L$LIB -lkcert' ]"
check "pkg-config --static adds the system libraries" bash -c \
    "pkg-config --static --libs kcert | grep -q -- '-lpthread'"

# --- programs built with pkg-config alone -------------------------------------------------------
cat >"$WORK/version.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "kcert.h"
#define STR2(x) #x
#define STR(x) STR2(x)
#if !defined(KCERT_VERSION_MAJOR) || !defined(KCERT_VERSION_MINOR) || !defined(KCERT_VERSION_PATCH)
#error "kcert.h lacks the KCERT_VERSION_* macros"
#endif
int main(void) {
    const char *header = STR(KCERT_VERSION_MAJOR) "." STR(KCERT_VERSION_MINOR) "." STR(KCERT_VERSION_PATCH);
    printf("header %s, library %s\n", header, kcert_version());
    return strcmp(header, kcert_version()) == 0 ? 0 : 1;
}
C
# shellcheck disable=SC2046 # pkg-config prints flags to be split
check "a program using KCERT_VERSION_* builds with pkg-config flags only" \
    cc -std=c11 -Wall -Wextra -Werror -o "$WORK/version" "$WORK/version.c" $(pkg-config --cflags --libs kcert)
check "KCERT_VERSION_MAJOR.MINOR.PATCH equals kcert_version()" env LD_LIBRARY_PATH="$LIB" "$WORK/version"

check_installed_example "$major" "$LIB/pkgconfig" "$LIB" "$LIB/libkcert.so.$major"

# --- the release tarball ------------------------------------------------------------------------
if [ -n "$TARBALL" ]; then
    mkdir -p "$WORK/unpacked"
    check "the tarball unpacks" tar -xzf "$TARBALL" -C "$WORK/unpacked"
    top="$WORK/unpacked/$(basename "$TARBALL" .tar.gz)"
    check "the tarball holds the library, its links, libkcert.a, kcert.h, kcert.pc and the licences" bash -c "
        cd '$top' && [ -f lib/$real ] && [ -L lib/libkcert.so.$major ] && [ -L lib/libkcert.so ] &&
        [ -f lib/libkcert.a ] && [ -f include/kcert.h ] && [ -f lib/pkgconfig/kcert.pc ] &&
        [ -f LICENSE-MIT ] && [ -f LICENSE-APACHE ]"
    check "the tarball's library is stripped of debug info" bash -c \
        "! readelf -S '$top/lib/$real' | grep -q '\.debug_info'"
    check "the tarball's kcert.pc finds the directory it was unpacked into" bash -c "
        [ \"\$(PKG_CONFIG_PATH='$top/lib/pkgconfig' pkg-config --variable=libdir kcert | xargs realpath)\" = \"\$(realpath '$top/lib')\" ]"
    # shellcheck disable=SC2046 # pkg-config prints flags to be split
    check "a program builds against the unpacked tarball with pkg-config only, and runs" bash -c "
        cc -std=c11 -Wall -Wextra -Werror -o '$WORK/version-tarball' '$WORK/version.c' \$(PKG_CONFIG_PATH='$top/lib/pkgconfig' pkg-config --cflags --libs kcert) &&
        LD_LIBRARY_PATH='$top/lib' '$WORK/version-tarball'"
fi

check_summary C-install
