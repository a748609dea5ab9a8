#!/usr/bin/env bash
# The comparison suite: kcertlib (Rust, C, Python) against x509-parser, Go crypto/x509, Python
# cryptography and the openssl command line, on the same generated workloads, in one run.
#
#   benches/compare/run.sh            full run (100,000-cert bundle, 1 GiB stream; long)
#   benches/compare/run.sh --quick    small sizes, a couple of minutes (checks the scripts)
#   benches/compare/run.sh --sign     only the re-sign workloads W3/W4 (full size, 5 rounds;
#                                     results in target/compare-work/results-sign/)
#
# KCERT_VARIANTS="LABEL=BIN ..." adds other kcert binaries (another revision, a build with
# AWS_LC_SYS_NO_JITTER_ENTROPY=1) to W7 and W8, measured in the same rounds as this build's.
#
# Results: benches/compare/results/{results.json,results.md,plot.svg,raw.jsonl} for a full run,
# target/compare-work-quick/results/ for --quick (so a quick run never overwrites the committed
# results). Exits non-zero when a tool fails or the tools' checksums disagree.
# Needs: benches/compare/install-deps.sh (Go, gcc, openssl, the venv with cryptography+maturin).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"

QUICK=0 SIGN_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        --sign) SIGN_ONLY=1 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument: $arg" >&2; exit 64 ;;
    esac
done

if [ "$QUICK" -eq 1 ]; then
    WORK="$REPO/target/compare-work-quick"; OUT="$WORK/results"
    COUNT=2000 FILES=500 RESIGN=300 SAMPLE=40 ETCD=20 W7_ROUNDS=1 W8_HOSTS=50
    ROUNDS=2 SIGN_ROUNDS=2 REPS_PARSE=2 REPS_SIGN=1 REPS_W5=1 STREAM_BYTES=$((32 << 20)) SPEED_SECONDS=1
else
    WORK="$REPO/target/compare-work"; OUT="$HERE/results"
    COUNT=100000 FILES=10000 RESIGN=10000 SAMPLE=500 ETCD=1000 W7_ROUNDS=5 W8_HOSTS=1000
    ROUNDS=3 SIGN_ROUNDS=5 REPS_PARSE=2 REPS_SIGN=1 REPS_W5=3 STREAM_BYTES=$((1 << 30)) SPEED_SECONDS=3
fi
[ "$SIGN_ONLY" -eq 1 ] && OUT="$WORK/results-sign"
PY="$REPO/.venv/bin/python"
BIN="$REPO/target/release"
say() { printf '\n== %s (%s)\n' "$*" "$(date +%H:%M:%S)" >&2; }

say "build"
cargo build --release -q -p kcert-bench -p kcertlib-ffi -p kcert
cargo build --release -q --manifest-path "$HERE/x509-parser-bench/Cargo.toml" --target-dir "$REPO/target"
VIRTUAL_ENV="$REPO/.venv" "$REPO/.venv/bin/maturin" develop --release -q -m kcertlib-py/Cargo.toml >/dev/null 2>&1 \
    || VIRTUAL_ENV="$REPO/.venv" "$REPO/.venv/bin/maturin" develop --release -m kcertlib-py/Cargo.toml
mkdir -p "$WORK"
(cd "$HERE/go" && GOPATH="$WORK/gopath" GOCACHE="$WORK/gocache" GOPROXY=off GOFLAGS=-mod=mod \
    go build -o "$WORK/kcertbench-go" .)
gcc -O2 -Wall -Wextra -Werror -std=c11 -I"$REPO/include" -o "$WORK/kcert_bench" "$HERE/c/kcert_bench.c" \
    -L"$BIN" -lkcert -Wl,-rpath,"$BIN"

STAMP="count=$COUNT files=$FILES resign=$RESIGN sample=$SAMPLE etcd=$ETCD"
if [ -f "$WORK/data/expected.json" ] && [ "$(cat "$WORK/data/stamp" 2>/dev/null)" = "$STAMP" ]; then
    say "reusing workloads in $WORK/data ($STAMP)"
else
    say "generating workloads ($STAMP)"
    rm -rf "$WORK/data"
    "$BIN/kcert-bench" gen --work "$WORK/data" --count "$COUNT" --files "$FILES" --resign "$RESIGN" \
        --sample "$SAMPLE" --etcd-hosts "$ETCD"
    echo "$STAMP" > "$WORK/data/stamp"
fi
DATA="$WORK/data"

mkdir -p "$OUT"
RAW="$OUT/raw.jsonl"
: > "$RAW"
run() { "$@" | tee -a "$RAW" >&2; }

# Every tool of a workload runs once per round; report.py takes per-round ratios, so a burst of
# load from other processes on this shared machine hits a round, not one tool.
if [ "$SIGN_ONLY" -eq 0 ]; then
for round in $(seq "$ROUNDS"); do
    say "round $round/$ROUNDS W1: PEM bundle of $COUNT certificates"
    run "$BIN/kcert-bench" w1 --work "$DATA" --reps "$REPS_PARSE"
    run "$WORK/kcert_bench" w1 "$DATA" "$REPS_PARSE"
    run "$PY" "$HERE/python_parse.py" --lib kcert --workload W1 --work "$DATA" --reps "$REPS_PARSE"
    run "$BIN/x509-parser-bench" w1 "$DATA" "$REPS_PARSE"
    run "$WORK/kcertbench-go" w1 "$DATA" "$REPS_PARSE"
    run "$PY" "$HERE/python_parse.py" --lib cryptography --workload W1 --work "$DATA" --reps "$REPS_PARSE"
done

for round in $(seq "$ROUNDS"); do
    say "round $round/$ROUNDS W2: $FILES files"
    run "$BIN/kcert-bench" w2 --work "$DATA" --reps "$REPS_PARSE"
    run "$PY" "$HERE/python_parse.py" --lib kcert --workload W2 --work "$DATA" --reps "$REPS_PARSE"
    run "$BIN/x509-parser-bench" w2 "$DATA" "$REPS_PARSE"
    run "$WORK/kcertbench-go" w2 "$DATA" "$REPS_PARSE"
    run "$PY" "$HERE/python_parse.py" --lib cryptography --workload W2 --work "$DATA" --reps "$REPS_PARSE"
done
say "W2 the shell way: openssl x509 over the first $SAMPLE files"
run "$PY" "$HERE/openssl_cli.py" loop --work "$DATA" --sample "$SAMPLE" --reps 1
fi

for round in $(seq "$SIGN_ROUNDS"); do
    say "round $round/$SIGN_ROUNDS openssl speed (hardware baseline of W3/W4)"
    run "$PY" "$HERE/openssl_cli.py" speed --seconds "$SPEED_SECONDS" --reps 1
    for ca in rsa p256; do
        say "round $round/$SIGN_ROUNDS W3/W4: re-sign $RESIGN leaves with the $ca CA"
        run "$BIN/kcert-bench" resign --work "$DATA" --ca "$ca" --reps "$REPS_SIGN" --threads 2
        run "$WORK/kcert_bench" resign "$DATA" "$ca" "$REPS_SIGN"
        run "$PY" "$HERE/python_resign.py" --lib kcert --ca "$ca" --work "$DATA" --reps "$REPS_SIGN"
        run "$PY" "$HERE/python_resign.py" --lib kcert-one-shot --ca "$ca" --work "$DATA" --reps "$REPS_SIGN"
        run "$WORK/kcertbench-go" resign "$DATA" "$ca" "$REPS_SIGN"
        run "$PY" "$HERE/python_resign.py" --lib cryptography --ca "$ca" --work "$DATA" --reps "$REPS_SIGN"
    done
done

COPIES=1
if [ "$SIGN_ONLY" -eq 0 ]; then
say "W5: kubespray node with $ETCD etcd hosts: scan, renew, bare signatures; 2 threads and 1"
run "$BIN/kcert-bench" w5 --work "$DATA" --reps "$REPS_W5" --threads 2
run "$BIN/kcert-bench" w5 --work "$DATA" --reps "$REPS_W5" --threads 1

BUNDLE_BYTES=$(stat -c %s "$DATA/bundle.pem")
COPIES=$(( (STREAM_BYTES + BUNDLE_BYTES - 1) / BUNDLE_BYTES ))
for path in view certificate; do
    say "W6 ($path): stream $COPIES copies of the bundle ($((COPIES * BUNDLE_BYTES / 1048576)) MiB) through a pipe"
    TIMEV="$WORK/w6-time-$path.txt"
    # A pipe, not a file: no 1 GiB file is ever written.
    for _ in $(seq "$COPIES"); do cat "$DATA/bundle.pem"; done \
        | /usr/bin/time -v -o "$TIMEV" "$BIN/kcert-bench" w6 --label "$path" | tee -a "$RAW" >&2
    MAXRSS_KIB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TIMEV")
    echo "{\"tool\":\"time-v\",\"workload\":\"W6\",\"variant\":\"$path\",\"n\":0,\"runs_s\":[],\"certs_per_s\":0,\"checksum\":{},\"extra\":{\"max_rss_kib\":$MAXRSS_KIB,\"copies\":$COPIES}}" \
        | tee -a "$RAW" >&2
done

VARIANTS=(--variant "this build=$BIN/kcert")
for v in ${KCERT_VARIANTS:-}; do VARIANTS+=(--variant "$v"); done
say "W7: a real node per layout, whole process: kcert renew against the openssl + faketime script"
run "$PY" "$HERE/e2e_node.py" --kcert "$BIN/kcert" "${VARIANTS[@]}" --work "$WORK/w7" \
    --rounds "$W7_ROUNDS" --markdown "$OUT/e2e-node.md"
say "W8: peak RSS of renewing a kubespray node with $W8_HOSTS etcd hosts"
run "$PY" "$HERE/renew_memory.py" --kcert "$BIN/kcert" "${VARIANTS[@]}" --work "$WORK/w8" \
    --etcd-hosts "$W8_HOSTS" --rounds 3 --markdown "$OUT/renew-memory.md"

fi

say "report"
"$PY" "$HERE/report.py" --raw "$RAW" --expected "$DATA/expected.json" --out "$OUT" \
    --stream-copies "$COPIES" $([ "$QUICK" -eq 1 ] && echo --quick)
say "done: $OUT/results.md"
