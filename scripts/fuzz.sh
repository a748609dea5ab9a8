#!/usr/bin/env bash
# Runs kcertlib's cargo-fuzz targets one after the other (see fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; no TARGET means every target. Each target runs niced, one
# libFuzzer job at a time, over its committed corpus (fuzz/corpus/<target>, which it grows; run
# `cargo fuzz cmin` before committing). Prints per target the executions done and whether it
# crashed; crash, timeout and out-of-memory inputs are left in fuzz/artifacts/<target>/.
# Exits 1 when any target failed. Needs the nightly toolchain; installs cargo-fuzz if missing.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo/fuzz"

seconds=${1:-60}
case "$seconds" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 64 ;;
esac
shift $(( $# > 0 ? 1 : 0 ))

cargo +nightly --version >/dev/null 2>&1 ||
  { echo "fuzz.sh: the nightly toolchain is needed (rustup toolchain install nightly)" >&2; exit 2; }
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked || exit 2
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

# Bounded in time and memory: a kubeconfig alias bomb must fail fast, not swap.
flags=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1)

echo "==> building ${targets[*]}"
nice -n 10 cargo +nightly fuzz build || exit 2

failed=0
summary=()
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  log="artifacts/$target/last-run.log"
  echo "==> $target for ${seconds}s (log: fuzz/$log)"
  marker="artifacts/$target/.started"
  touch "$marker"
  started=$SECONDS
  nice -n 19 cargo +nightly fuzz run "$target" "corpus/$target" -- "${flags[@]}" >"$log" 2>&1
  rc=$?
  elapsed=$((SECONDS - started))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ -z "$execs" ]; then
    # libFuzzer prints no final stats when it dies on a crash: take its last status line.
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
  fi
  found=$(find "artifacts/$target" -type f -newer "$marker" ! -name '*.log' | sort | tr '\n' ' ')
  rm -f "$marker"
  if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
    verdict="no crash"
  else
    verdict="CRASHED (exit $rc): ${found:-see the log}"
    failed=1
  fi
  line="$target: ${execs:-?} executions in ${elapsed}s, corpus $(find "corpus/$target" -type f | wc -l) files, $verdict"
  echo "$line"
  summary+=("$line")
done

echo
echo "==> summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
