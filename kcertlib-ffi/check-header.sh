#!/usr/bin/env bash
# Fail (exit 1) when the checked-in include/kcert.h differs from a fresh generation, printing the
# difference. Fix a failure with kcertlib-ffi/gen-header.sh and commit the header.
#
#   kcertlib-ffi/check-header.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
FRESH="$(mktemp -d)"
trap 'rm -rf "$FRESH"' EXIT

"$HERE/gen-header.sh" "$FRESH/kcert.h"
if ! diff -u "$REPO/include/kcert.h" "$FRESH/kcert.h"; then
    echo "check-header: include/kcert.h is stale: run kcertlib-ffi/gen-header.sh and commit it" >&2
    exit 1
fi
echo "check-header: include/kcert.h is up to date"
