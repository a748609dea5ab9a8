#!/usr/bin/env bash
# Install everything the kcertlib test suites need on a fresh Debian 12 machine (run as root).
#
#   testing/install-deps.sh            # install what is missing, skip what is present
#   testing/install-deps.sh --no-venv  # system packages only
#
# Idempotent and quick when everything is present: apt-get update runs only when a package is
# missing, and the venv is reinstalled only when testing/requirements.txt changed or an import
# fails. One line of output per step; non-zero exit with a message on the first failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
VENV="$REPO/.venv"
REQS="$HERE/requirements.txt"
# dpkg-dev: dpkg-shlibdeps and dpkg-architecture for the Debian package (scripts/build-deb.sh);
# man-db: `man -w kcert` in its test.
APT_PACKAGES=(openssl faketime etcd-server etcd-client valgrind strace pkg-config systemd dpkg-dev man-db)

WANT_VENV=1
for arg in "$@"; do
    case "$arg" in
        --no-venv) WANT_VENV=0 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "install-deps: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

step() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "not root and sudo is missing; run as root"
    SUDO=(sudo)
fi

is_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        step "apt-get update"
        "${SUDO[@]}" apt-get update -qq >/dev/null || die "apt-get update failed"
        APT_UPDATED=1
    fi
    step "apt-get install $*"
    # noninteractive: no debconf prompts; --no-install-recommends keeps it small.
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" \
        >/dev/null || die "apt-get install $* failed"
}

# 1. Debian packages.
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
    step "debian packages present: ${APT_PACKAGES[*]}"
else
    apt_install "${missing[@]}"
fi
for tool in openssl faketime etcd etcdctl valgrind strace pkg-config systemd-analyze \
    dpkg-shlibdeps dpkg-architecture man; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not on PATH after install"
done

# 2. kubectl: any kubectl on PATH will do (the tests only talk to loopback servers with it);
#    otherwise Debian's kubernetes-client.
if command -v kubectl >/dev/null 2>&1; then
    step "kubectl present: $(command -v kubectl)"
else
    apt_install kubernetes-client
    command -v kubectl >/dev/null 2>&1 || die "kubectl not on PATH after installing kubernetes-client"
fi

# 3. Python venv at $REPO/.venv.
if [ "$WANT_VENV" -eq 0 ]; then
    step "venv skipped (--no-venv)"
    step "done"
    exit 0
fi
[ -f "$REQS" ] || die "missing $REQS"

# The stamp records the requirements that were installed; a changed requirements file reinstalls.
STAMP="$VENV/.kcert-requirements.sha256"
want_sum="$(sha256sum "$REQS" | cut -d' ' -f1)"
venv_ok() {
    [ -x "$VENV/bin/python" ] || return 1
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_sum" ] || return 1
    "$VENV/bin/python" -c 'import cryptography.x509.verification, pytest, ansible, mypy' \
        >/dev/null 2>&1 || return 1
    [ -x "$VENV/bin/maturin" ] && [ -x "$VENV/bin/auditwheel" ] &&
        "$VENV/bin/python" -m ziglang version >/dev/null 2>&1
}

if venv_ok; then
    step "venv present and up to date: $VENV"
else
    if [ ! -x "$VENV/bin/python" ]; then
        step "create venv $VENV"
        # pyenv's python3 has venv built in; Debian's python3 needs python3-venv for ensurepip.
        if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
            rm -rf "$VENV"
            is_installed python3-venv || apt_install python3-venv
            python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
        fi
    fi
    step "pip install -r testing/requirements.txt into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQS" \
        || die "pip install into $VENV failed"
    echo "$want_sum" > "$STAMP"
    venv_ok || die "venv $VENV is incomplete after pip install"
fi
step "done"
