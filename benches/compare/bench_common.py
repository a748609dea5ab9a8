"""Shared by the suite's Python programs: timing, the checksum every tool computes, result lines.

A result is one JSON object on one line of stdout (see benches/compare/README.md):
``{"tool", "variant", "workload", "n", "runs_s", "certs_per_s", "checksum", "extra"}``.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any, Callable, Dict, List, Tuple, TypeVar

T = TypeVar("T")


class Checksum:
    """Count, DNS+IP SANs, latest notAfter (Unix seconds) and total common-name bytes."""

    def __init__(self) -> None:
        self.count = 0
        self.sans = 0
        self.max_not_after = 0
        self.cn_bytes = 0

    def add(self, sans: int, not_after: int, cn: str) -> None:
        self.max_not_after = not_after if self.count == 0 else max(self.max_not_after, not_after)
        self.count += 1
        self.sans += sans
        self.cn_bytes += len(cn.encode())

    def to_json(self, timeless: bool = False) -> Dict[str, int]:
        out = {"count": self.count, "sans": self.sans, "cn_bytes": self.cn_bytes}
        if not timeless:
            out["max_not_after"] = self.max_not_after
        return out


def time_runs(reps: int, work: Callable[[], T]) -> Tuple[List[float], T]:
    """Runs ``work`` ``reps`` times; returns the seconds of each run and the last value."""
    runs: List[float] = []
    value = None
    for _ in range(max(1, reps)):
        value = None  # the previous run's output is freed outside the timing (see time_runs_cpu)
        start = time.perf_counter()
        value = work()
        runs.append(time.perf_counter() - start)
    return runs, value  # type: ignore[return-value]


def time_runs_cpu(reps: int, work: Callable[[], T]) -> Tuple[List[float], List[float], T]:
    """As ``time_runs``, with the process CPU seconds (user + system) of each run too."""
    runs: List[float] = []
    cpu: List[float] = []
    value = None
    for _ in range(max(1, reps)):
        # Freed before the clocks start, as kcert-bench (keeps the last value after timing) and
        # kcert_bench.c (frees before timing) do: assigning over it would free the previous
        # run's thousands of objects inside this run's time.
        value = None
        start, cpu_start = time.perf_counter(), time.process_time()
        value = work()
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return runs, cpu, value  # type: ignore[return-value]


def emit(tool: str, variant: str, workload: str, n: int, runs: List[float],
         checksum: Dict[str, int], extra: Dict[str, Any] | None = None,
         cpu: List[float] | None = None) -> None:
    """Prints one result line; certs/s is ``n`` over the median run (and certs per CPU second
    over the median CPU time when ``cpu`` is given)."""
    med = statistics.median(runs)
    line: Dict[str, Any] = {
        "tool": tool, "variant": variant, "workload": workload, "n": n, "runs_s": runs,
        "certs_per_s": n / med if med > 0 else 0.0, "checksum": checksum, "extra": extra or {},
    }
    if cpu:
        med_cpu = statistics.median(cpu)
        line["cpu_s"] = cpu
        line["certs_per_cpu_s"] = n / med_cpu if med_cpu > 0 else 0.0
    print(json.dumps(line), flush=True)
