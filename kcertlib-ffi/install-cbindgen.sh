#!/usr/bin/env bash
# Make sure the pinned cbindgen is on PATH, installing it with cargo when it is missing or another
# version (about two minutes on two cores). Used by tests/run-c-tests.sh; safe to run any time.
#
#   kcertlib-ffi/install-cbindgen.sh
set -euo pipefail

PINNED="0.29.4"
export PATH="$HOME/.cargo/bin:$PATH"
if command -v cbindgen >/dev/null 2>&1 && [ "$(cbindgen --version | awk '{print $2}')" = "$PINNED" ]; then
    exit 0
fi
echo "install-cbindgen: installing cbindgen $PINNED with cargo install"
cargo install cbindgen --version "$PINNED" --locked --force --quiet
