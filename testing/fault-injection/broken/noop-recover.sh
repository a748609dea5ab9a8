#!/bin/sh
# A deliberately broken kcert for checking that run.py can fail: `recover` claims there is
# nothing to do. The real binary is $KCERT_REAL.
#
#   KCERT_REAL=target/release/kcert \
#     testing/fault-injection/run.py --kcert testing/fault-injection/broken/noop-recover.sh \
#     --sample 6 --kinds SIGKILL --only rename    # must exit 1
real=${KCERT_REAL:?set KCERT_REAL to the real kcert binary}
if [ "$1" = recover ]; then
    echo "no interrupted renewal to recover"
    exit 0
fi
exec "$real" "$@"
