#!/usr/bin/env bash
# Install the C library: libkcert.so.<version> with its SONAME link libkcert.so.<major> and the
# development link libkcert.so, libkcert.a, include/kcert.h and a generated pkg-config file
# kcert.pc. Builds the library first (cargo build --release -p kcertlib-ffi) unless --no-build.
#
#   scripts/install-c.sh                                  # into /usr/local (lib/, include/)
#   scripts/install-c.sh --prefix /usr --libdir lib/x86_64-linux-gnu
#   scripts/install-c.sh --prefix /usr --destdir "$PWD/stage"   # staged, for packaging
#   PREFIX=/opt/kcert DESTDIR=/tmp/stage scripts/install-c.sh   # the same, make-style
#
# Options: --prefix DIR (default $PREFIX or /usr/local), --libdir DIR (relative to the prefix
# unless absolute; default lib), --destdir DIR (default $DESTDIR; prepended to every path
# written, not to the paths inside kcert.pc), --target-dir DIR (the cargo target dir; default
# $CARGO_TARGET_DIR or ./target), --no-build (install what is built), --strip (drop debug
# info from the installed libraries), --relocatable (kcert.pc finds the prefix from its own
# place, ${pcfiledir}/../..: for a tree that may be unpacked anywhere, such as the release
# tarball; needs a libdir one level under the prefix). Prints every file it installs.
#
# Then: cc prog.c $(pkg-config --cflags --libs kcert)  (set PKG_CONFIG_PATH for a prefix
# pkg-config does not search, and LD_LIBRARY_PATH or ldconfig for one ld.so does not).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix="${PREFIX:-/usr/local}"
libdir=lib
destdir="${DESTDIR:-}"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
build=1
strip=0
relocatable=0
# What Rust's std needs when libkcert.a is linked statically (`cargo rustc -p kcertlib-ffi
# --release -- --print native-static-libs`); pkg-config --static adds them.
libs_private="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

die() { echo "install-c: error: $*" >&2; exit 1; }
need_arg() { [ "$#" -ge 2 ] || die "$1 needs an argument"; }
while [ "$#" -gt 0 ]; do
    case "$1" in
        --prefix) need_arg "$@"; prefix=$2; shift ;;
        --libdir) need_arg "$@"; libdir=$2; shift ;;
        --destdir) need_arg "$@"; destdir=$2; shift ;;
        --target-dir) need_arg "$@"; target_dir=$2; shift ;;
        --no-build) build=0 ;;
        --strip) strip=1 ;;
        --relocatable) relocatable=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
done
case "$prefix" in /*) ;; *) die "--prefix must be absolute: $prefix" ;; esac
case "$libdir" in /*) ;; *) libdir="$prefix/$libdir" ;; esac
includedir="$prefix/include"

if [ "$build" -eq 1 ]; then
    (cd "$repo" && cargo build --release --quiet -p kcertlib-ffi --target-dir "$target_dir")
fi
built="$target_dir/release"
[ -f "$built/libkcert.so" ] && [ -f "$built/libkcert.a" ] ||
    die "$built has no libkcert.so/libkcert.a (cargo build --release -p kcertlib-ffi)"

# The version and SONAME the library was built with, from the header and the ELF file.
header="$repo/include/kcert.h"
macro() { sed -n "s/^#define KCERT_VERSION_$1 \([0-9][0-9]*\)\$/\1/p" "$header"; }
version="$(macro MAJOR).$(macro MINOR).$(macro PATCH)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "$header has no KCERT_VERSION_* macros"
soname=$(readelf -d "$built/libkcert.so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$soname" = "libkcert.so.$(macro MAJOR)" ] ||
    die "$built/libkcert.so has SONAME '${soname:-none}', expected libkcert.so.$(macro MAJOR) (rebuild it)"
real="libkcert.so.$version"

dest_lib="$destdir$libdir"
dest_inc="$destdir$includedir"
install -d "$dest_lib" "$dest_lib/pkgconfig" "$dest_inc"
install -m 0755 "$built/libkcert.so" "$dest_lib/$real"
install -m 0644 "$built/libkcert.a" "$dest_lib/libkcert.a"
if [ "$strip" -eq 1 ]; then
    strip --strip-unneeded "$dest_lib/$real"
    strip --strip-debug "$dest_lib/libkcert.a"
fi
ln -sfn "$real" "$dest_lib/$soname"
ln -sfn "$soname" "$dest_lib/libkcert.so"
install -m 0644 "$header" "$dest_inc/kcert.h"
# Paths under the prefix are written relative to ${prefix}, as pkg-config files usually are.
under_prefix() { case "$1" in "$prefix"/*) echo "\${prefix}${1#"$prefix"}" ;; *) echo "$1" ;; esac; }
pc_libdir=$(under_prefix "$libdir")
pc_includedir=$(under_prefix "$includedir")
pc_prefix=$prefix
if [ "$relocatable" -eq 1 ]; then
    [ "$(dirname "$libdir")" = "$prefix" ] || die "--relocatable needs a libdir one level under the prefix"
    pc_prefix='${pcfiledir}/../..'
fi
sed -e "s|@PREFIX@|$pc_prefix|" -e "s|@LIBDIR@|$pc_libdir|" -e "s|@INCLUDEDIR@|$pc_includedir|" \
    -e "s|@VERSION@|$version|" -e "s|@LIBS_PRIVATE@|$libs_private|" \
    "$repo/kcertlib-ffi/kcert.pc.in" > "$dest_lib/pkgconfig/kcert.pc"
chmod 0644 "$dest_lib/pkgconfig/kcert.pc"

# A real install into the system's library directories: refresh the loader's cache.
if [ -z "$destdir" ] && [ "$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null 2>&1; then
    case "$libdir" in /usr/lib|/usr/lib/*|/usr/local/lib|/usr/local/lib/*|/lib|/lib/*) ldconfig ;; esac
fi

for f in "$dest_lib/$real" "$dest_lib/$soname" "$dest_lib/libkcert.so" "$dest_lib/libkcert.a" \
    "$dest_inc/kcert.h" "$dest_lib/pkgconfig/kcert.pc"; do
    echo "install-c: $f"
done
