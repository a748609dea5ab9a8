#!/usr/bin/env python3
"""W8, renewal memory: the peak RSS of `kcert renew` on a large kubespray node.

    renew_memory.py --kcert BIN [--variant LABEL=BIN ...] --work DIR [--etcd-hosts 1000]
                    [--rounds 3] [--markdown FILE]

`kcert fixture kubespray --etcd-hosts N` builds the node once (N = 1,000: 3,000 etcd
certificates of RSA-2048, each naming every host in its SANs, 16 KiB of DER apiece, plus
kubeadm's tree). Every round renews a fresh copy (`cp -a`, untimed) with each binary under
`/usr/bin/time -v`, which reports the process's maximum resident set size; the wall clock and
the CPU time (user + system) come with it. Give the binary of another revision as a variant
(e.g. `--variant before=/path/to/kcert`) to compare in the same run.

Prints one JSON result line per binary (bench_common; `extra.max_rss_mib`) and, with
`--markdown`, a table of the medians over rounds.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import emit  # noqa: E402

TIME_FIELDS = {
    "max_rss_kib": r"Maximum resident set size \(kbytes\): (\d+)",
    "user_s": r"User time \(seconds\): ([\d.]+)",
    "system_s": r"System time \(seconds\): ([\d.]+)",
}


def renew(binary: str, tree: Path, log: Path) -> Dict[str, float]:
    """`kcert renew` of `tree` under `/usr/bin/time -v`: wall seconds, RSS, CPU."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", "-o", str(log), binary, "renew", "--root", str(tree)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    # Exit 1: something was left alone (kubelet's self-signed serving certificate), as expected.
    if proc.returncode not in (0, 1):
        raise SystemExit(f"renew_memory: {binary} renew exited {proc.returncode}: {proc.stderr[-2000:]}")
    text = log.read_text()
    out: Dict[str, float] = {"wall_s": wall}
    for name, pattern in TIME_FIELDS.items():
        found = re.search(pattern, text)
        if not found:
            raise SystemExit(f"renew_memory: no {name} in /usr/bin/time output")
        out[name] = float(found.group(1))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kcert", required=True, help="the kcert binary that builds the tree")
    ap.add_argument("--variant", action="append", default=[],
                    help="LABEL=BIN: a kcert binary to measure (default: this=--kcert)")
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--etcd-hosts", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()
    variants = [tuple(v.split("=", 1)) for v in args.variant] or [("this", args.kcert)]
    if not os.access("/usr/bin/time", os.X_OK):
        raise SystemExit("renew_memory: /usr/bin/time not found (Debian package `time`)")
    work = args.work.resolve()
    template, copy = work / "template", work / "run"
    stamp = work / "stamp"
    want = f"kubespray etcd-hosts={args.etcd_hosts}"
    if not (template.is_dir() and stamp.is_file() and stamp.read_text() == want):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        subprocess.run([args.kcert, "fixture", "kubespray", str(template), "--etcd-hosts", str(args.etcd_hosts)],
                       check=True, stdout=subprocess.DEVNULL)
        stamp.write_text(want)
    runs: Dict[str, List[Dict[str, float]]] = {label: [] for label, _ in variants}
    for _ in range(max(1, args.rounds)):
        for label, binary in variants:
            shutil.rmtree(copy, ignore_errors=True)
            subprocess.run(["cp", "-a", str(template), str(copy)], check=True)
            runs[label].append(renew(binary, copy, work / "time.txt"))
    shutil.rmtree(copy, ignore_errors=True)
    rows: List[Dict[str, Any]] = []
    for label, _ in variants:
        r = runs[label]
        row = {
            "variant": label,
            "max_rss_mib": statistics.median(x["max_rss_kib"] for x in r) / 1024,
            "max_rss_mib_runs": [x["max_rss_kib"] / 1024 for x in r],
            "wall_s": statistics.median(x["wall_s"] for x in r),
            "cpu_s": statistics.median(x["user_s"] + x["system_s"] for x in r),
        }
        rows.append(row)
        emit("kcert", f"renew kubespray {args.etcd_hosts} etcd hosts, {label}", "W8", 3 * args.etcd_hosts,
             [x["wall_s"] for x in r], {"count": 3 * args.etcd_hosts},
             {"max_rss_mib": row["max_rss_mib"], "max_rss_mib_runs": row["max_rss_mib_runs"],
              "cpu_s": [x["user_s"] + x["system_s"] for x in r]})
    if args.markdown:
        args.markdown.write_text(markdown(rows, args.etcd_hosts, args.rounds))
    return 0


def markdown(rows: List[Dict[str, Any]], hosts: int, rounds: int) -> str:
    out = [
        "# W8: renewal memory",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node() or 'this machine'}, "
        f"{os.cpu_count()} cores; produced by `benches/compare/renew_memory.py`. `kcert renew` of a "
        f"kubespray node with {hosts} etcd hosts ({3 * hosts} etcd certificates), a fresh copy per "
        f"run, {rounds} rounds, every binary once per round. Peak RSS is `/usr/bin/time -v`'s maximum "
        "resident set size; medians over rounds (the machine is shared: compare rows of one table).",
        "",
        "| kcert build | peak RSS MiB (median) | each round | wall s | CPU s |",
        "|---|---:|---|---:|---:|",
    ]
    for r in rows:
        each = ", ".join(f"{m:.0f}" for m in r["max_rss_mib_runs"])
        out.append(f"| {r['variant']} | {r['max_rss_mib']:.0f} | {each} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
