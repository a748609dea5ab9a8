#!/usr/bin/env bash
# Regenerate include/kcert.h from kcertlib-ffi/src with the pinned cbindgen:
#
#   kcertlib-ffi/gen-header.sh            # writes include/kcert.h
#   kcertlib-ffi/gen-header.sh OUTPUT     # writes OUTPUT instead (check-header.sh uses this)
#
# Install the pinned cbindgen once with: kcertlib-ffi/install-cbindgen.sh
set -euo pipefail

PINNED="0.29.4"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUTPUT="${1:-$REPO/include/kcert.h}"

if ! command -v cbindgen >/dev/null 2>&1; then
    echo "gen-header: cbindgen not found; install it with kcertlib-ffi/install-cbindgen.sh" >&2
    exit 1
fi
found="$(cbindgen --version | awk '{print $2}')"
if [ "$found" != "$PINNED" ]; then
    echo "gen-header: cbindgen $found found, $PINNED required (other versions format the header differently);" >&2
    echo "gen-header: install it with kcertlib-ffi/install-cbindgen.sh" >&2
    exit 1
fi

mkdir -p "$(dirname "$OUTPUT")"
cd "$REPO"
cbindgen --quiet --config kcertlib-ffi/cbindgen.toml --crate kcertlib-ffi --output "$OUTPUT" kcertlib-ffi
