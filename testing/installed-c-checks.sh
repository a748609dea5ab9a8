# shellcheck shell=bash
# What kcertlib-ffi/tests/run-install-test.sh (install-c.sh into a prefix, the tarball) and
# testing/test-deb.sh (the Debian package) check alike of an installed libkcert: sourced by both,
# not run on its own. The caller sets REPO (the checkout) and WORK (its temporary directory,
# which it removes).
#
#   require_tools NAME TOOL...     exits 1 naming the first TOOL missing
#   check DESCRIPTION COMMAND...   runs COMMAND; prints ok/FAIL (and the output on FAIL), counts
#   header_major HEADER            KCERT_VERSION_MAJOR of an installed kcert.h
#   check_installed_example MAJOR PKG_CONFIG_DIR LIBDIR RESOLVED
#                                  examples/c built and run against the installed library
#   check_summary NAME             prints "NAME: N passed, N failed"; fails when any check failed

PASSED=0
FAILED=0

require_tools() { # require_tools NAME TOOL...
    local name=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || { echo "$name: $tool not found" >&2; exit 1; }
    done
}

check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >"$WORK/check.log" 2>&1; then
        PASSED=$((PASSED + 1)); echo "ok   $what"
    else
        FAILED=$((FAILED + 1)); echo "FAIL $what"; sed 's/^/    /' "$WORK/check.log"
    fi
}

header_major() { # header_major HEADER
    sed -n 's/^#define KCERT_VERSION_MAJOR \([0-9]*\)$/\1/p' "$1" 2>/dev/null
}

# examples/c built in a copy (the checkout's own build/ is left alone, and REPO=/nonexistent so
# nothing can come from the checkout) with `make installed`: pkg-config flags alone, found in
# PKG_CONFIG_DIR, or with no PKG_CONFIG_PATH at all when it is empty (the system's). Then:
# kcert-inspect needs libkcert.so.MAJOR and has no rpath, the loader resolves it to RESOLVED (an
# extended regex of the path), and it reads a fresh certificate, $WORK/example.pem. LIBDIR is the
# LD_LIBRARY_PATH it runs with; empty means none (the system's search alone).
check_installed_example() { # check_installed_example MAJOR PKG_CONFIG_DIR LIBDIR RESOLVED
    local major=$1 pkg_config_dir=$2 libdir=$3 resolved=$4
    local build=(env -u PKG_CONFIG_PATH) run=(env -u LD_LIBRARY_PATH)
    [ -n "$pkg_config_dir" ] && build=(env PKG_CONFIG_PATH="$pkg_config_dir")
    [ -n "$libdir" ] && run=(env LD_LIBRARY_PATH="$libdir")

    rm -rf "$WORK/c" && cp -r "$REPO/examples/c" "$WORK/c" && rm -rf "$WORK/c/build"
    check "examples/c builds with pkg-config --cflags --libs kcert only (make installed)" \
        "${build[@]}" make -s -C "$WORK/c" REPO=/nonexistent installed
    local inspect="$WORK/c/build/kcert-inspect-installed"
    check "kcert-inspect needs libkcert.so.$major and has no rpath" bash -c "
        readelf -d '$inspect' | grep -q 'NEEDED.*\[libkcert.so.$major\]' &&
        ! readelf -d '$inspect' | grep -Eq 'R(UN)?PATH'"
    check "the loader resolves libkcert.so.$major to $resolved" "${run[@]}" bash -c \
        "ldd '$inspect' | grep -Eq 'libkcert.so.$major => $resolved '"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$WORK/example.key" -out "$WORK/example.pem" -subj "/CN=installed-example" \
        -days 2 >/dev/null 2>&1
    check "kcert-inspect runs against the installed library" "${run[@]}" bash -c "
        '$inspect' '$WORK/example.pem' > '$WORK/inspect.out' &&
        grep -q 'CN=installed-example' '$WORK/inspect.out'"
}

check_summary() { # check_summary NAME
    echo "$1: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
