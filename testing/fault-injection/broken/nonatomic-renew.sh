#!/bin/sh
# A deliberately broken kcert for checking that run.py can fail: when a renewal fails, it renews
# one entry anyway (a half-renewed tree behind exit 2) and drops a stray temporary, as a
# non-atomic library would. The real binary is $KCERT_REAL.
#
#   KCERT_REAL=target/release/kcert \
#     testing/fault-injection/run.py --kcert testing/fault-injection/broken/nonatomic-renew.sh \
#     --sample 8 --kinds EIO          # must exit 1, every point failing
real=${KCERT_REAL:?set KCERT_REAL to the real kcert binary}
if [ "$1" = renew ] && [ "$2" = --root ]; then
    "$real" "$@"
    rc=$?
    if [ "$rc" = 2 ]; then
        "$real" renew --root "$3" --only apiserver >/dev/null 2>&1
        : >"$3/etc/kubernetes/pki/.ca.crt.kcert-stage-1-1"
    fi
    exit "$rc"
fi
exec "$real" "$@"
