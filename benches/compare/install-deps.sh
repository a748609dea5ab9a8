#!/usr/bin/env bash
# Install what the comparison suite (benches/compare/run.sh) needs on Debian 12, as root.
#
#   benches/compare/install-deps.sh
#
# The test suite's installer (testing/install-deps.sh) already provides openssl and the venv
# with cryptography and maturin; this script reuses it, then adds Debian's Go (golang-go; the
# Go program uses the standard library only) and a C compiler for the libkcert.so program.
# Idempotent: apt-get runs only when a package is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
APT_PACKAGES=(golang-go gcc libc6-dev)

step() { printf 'compare/install-deps: %s\n' "$*"; }
die() { printf 'compare/install-deps: error: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "not root and sudo is missing; run as root"
    SUDO=(sudo)
fi

"$REPO/testing/install-deps.sh" || die "testing/install-deps.sh failed"

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ] \
        || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
    step "debian packages present: ${APT_PACKAGES[*]}"
else
    step "apt-get update"
    "${SUDO[@]}" apt-get update -qq >/dev/null || die "apt-get update failed"
    step "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi
for tool in go gcc openssl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not on PATH after install"
done
step "done ($(go version))"
