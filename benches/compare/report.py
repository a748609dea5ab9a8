#!/usr/bin/env python3
"""Turns the suite's result lines into results.json, results.md and plot.svg, and checks that
every tool read the same values (exit status 1 when a checksum disagrees).

    report.py --raw results/raw.jsonl --expected WORK/data/expected.json --out results/
              [--stream-copies N] [--quick]

Ratios are always between results of this one run: run.sh runs every tool of a workload once per
round, several rounds; a ratio is the median of the per-round ratios (tool and baseline measured
in the same round), certs/s is `n` over the median of all runs of all rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_svg import grouped_bars  # noqa: E402

TOOL_NAMES = {
    "kcertlib-rust": "kcertlib (Rust)",
    "kcertlib-c": "kcertlib (C, libkcert.so)",
    "kcertlib-python": "kcertlib (Python, import kcert)",
    "x509-parser": "x509-parser 0.18 (Rust)",
    "go-crypto-x509": "Go crypto/x509",
    "python-cryptography": "Python cryptography",
    "openssl-cli": "openssl x509, one process per file",
    "openssl-speed": "openssl speed",
}
# The targets: kcertlib (Rust, per core) parse + inventory fields from a PEM bundle.
PARSE_TARGETS = {"x509-parser": 1.0, "go-crypto-x509": 2.5, "python-cryptography": 10.0}
SIGN_TARGET = 0.95  # re-sign rate ≥ 0.95 × openssl speed sign rate, per core, Rust, C and Python
# The full `Certificate` path (W1, from a PEM bundle) against x509-parser, per core.
CERTIFICATE_PATH_TARGET = 1.0
RSS_TARGET_MIB = 64.0


def sh(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine(repo: Path) -> Dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    lock = (repo / "benches/compare/x509-parser-bench/Cargo.lock").read_text()
    x509p = lock.split('name = "x509-parser"\nversion = "', 1)[-1].split('"', 1)[0]
    py = repo / ".venv/bin/python"
    return {
        "cpu": cpu,
        "cores": int(sh("nproc") or 0),
        "ram_gib": round(mem_kib / 1048576, 1),
        "kernel": f"{platform.system()} {platform.release()}",
        "os": sh("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "rustc": sh("rustc", "--version"),
        "go": sh("go", "version"),
        "gcc": sh("gcc", "-dumpfullversion"),
        "python": sh(str(py), "-c", "import sys; print(sys.version.split()[0])"),
        "cryptography": sh(str(py), "-c", "import cryptography; print(cryptography.__version__)"),
        "openssl": sh("openssl", "version"),
        "x509-parser": x509p,
        "kcertlib_commit": sh("git", "-C", str(repo), "rev-parse", "--short", "HEAD"),
    }


def check(results: List[Dict[str, Any]], expected: Dict[str, Any], copies: int) -> List[str]:
    """Every checksum field a tool printed must equal the generator's."""
    problems = []
    w1 = expected["W1"]
    stream = {"count": w1["count"] * copies, "sans": w1["sans"] * copies,
              "cn_bytes": w1["cn_bytes"] * copies, "max_not_after": w1["max_not_after"]}
    for r in results:
        want = stream if r["workload"] == "W6" else expected.get(r["workload"])
        if not isinstance(want, dict) or not r.get("checksum"):
            continue
        for key, value in r["checksum"].items():
            if key in want and want[key] != value:
                problems.append(f"{r['workload']} {r['tool']} ({r['variant']}): {key} = {value}, "
                                f"expected {want[key]}")
    w5 = [r for r in results if r["workload"] == "W5" and not r["variant"].startswith("scan")]
    if len({r["n"] for r in w5}) > 1:
        problems.append("W5: renewal and signature loops handled different numbers of certificates")
    return problems


def merge(results: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """One entry per (workload, tool, variant): the runs of every round together (certs/s is
    `n` over their median) and each round's own rate, in order, for per-round ratios."""
    merged: Dict[tuple, Dict[str, Any]] = {}
    for r in results:
        key = (r["workload"], r["tool"], r["variant"])
        if key not in merged:
            merged[key] = dict(r, runs_s=[], rounds=[], cpu_s=[], cpu_rounds=[])
        m = merged[key]
        m["runs_s"] = m["runs_s"] + list(r["runs_s"])
        m["rounds"].append(r["certs_per_s"])
        m["cpu_s"] = m["cpu_s"] + list(r.get("cpu_s", []))
        if r.get("certs_per_cpu_s"):
            m["cpu_rounds"].append(r["certs_per_cpu_s"])
    for m in merged.values():
        med = statistics.median(m["runs_s"]) if m["runs_s"] else 0
        if m["tool"] == "openssl-speed":
            m["certs_per_s"] = statistics.median(m["rounds"])
        elif med > 0:
            m["certs_per_s"] = m["n"] / med
        cpu = statistics.median(m["cpu_s"]) if m["cpu_s"] else 0
        m["certs_per_cpu_s"] = m["n"] / cpu if cpu > 0 else 0
    return list(merged.values())


def ratio(a: Dict[str, Any], b: Dict[str, Any]) -> float:
    """a ÷ b: the median of the per-round ratios (round k of a against round k of b)."""
    pairs = [x / y for x, y in zip(a["rounds"], b["rounds"]) if y > 0]
    return statistics.median(pairs) if pairs else 0.0


def find(results: List[Dict[str, Any]], workload: str, tool: str, variant: Optional[str] = None):
    rows = [r for r in results if r["workload"] == workload and r["tool"] == tool
            and (variant is None or r["variant"] == variant)]
    return max(rows, key=lambda r: r["certs_per_s"]) if rows else None


def verdict(ratio: float, target: Optional[float], below: bool = False) -> str:
    if target is None:
        return ""
    ok = ratio < target if below else ratio >= target
    return "met" if ok else "**missed**"


def rows_for(results: List[Dict[str, Any]], streamed_gib: float) -> List[Dict[str, Any]]:
    """One table row per result, with its ratio against the relevant baseline."""
    rows: List[Dict[str, Any]] = []
    for w in ("W1", "W2", "W2-sample"):
        ours = find(results, w, "kcertlib-rust") or find(results, "W2", "kcertlib-rust")
        for r in [x for x in results if x["workload"] == w]:
            row = base_row(r)
            if r["tool"] == "kcertlib-rust" or ours is None:
                row["baseline"] = "—"
            else:
                row["ratio"] = ratio(ours, r)
                row["baseline"] = f"kcertlib (Rust, {ours['variant']}) ÷ this"
                if w == "W1" and r["tool"] in PARSE_TARGETS:
                    row["target"] = PARSE_TARGETS[r["tool"]]
                elif w in ("W2", "W2-sample") and r["tool"] in PARSE_TARGETS:
                    row["target"] = 1.0
            rows.append(row)
            full = find(results, w, "kcertlib-rust", "Certificate")
            if w == "W1" and r["tool"] == "x509-parser" and full:
                rows.append(base_row(full) | {
                    "ratio": ratio(full, r), "target": CERTIFICATE_PATH_TARGET,
                    "baseline": f"this ÷ {TOOL_NAMES['x509-parser']} (the full Certificate path)"})
    # The signing target is for the default build: the fastest backend, one thread.
    backends = {r["variant"] for r in results if r["workload"] in ("W3", "W4")}
    default_backend = "aws-lc" if "aws-lc" in backends else "rustcrypto"
    for w, alg in (("W3", "rsa2048"), ("W4", "ecdsap256")):
        speed = find(results, w, "openssl-speed", f"{alg} sign, wall clock")
        for r in [x for x in results if x["workload"] == w]:
            row = base_row(r)
            if r is speed:
                row["baseline"] = f"hardware baseline ({alg} signatures per wall-clock second)"
            elif r["tool"] == "openssl-speed" and speed:
                row["ratio"] = ratio(r, speed)
                row["baseline"] = "per CPU second ÷ per wall-clock second (how busy the machine was)"
            elif speed:
                row["ratio"] = ratio(r, speed)
                row["baseline"] = f"this ÷ openssl speed {alg} sign"
                if is_default_signing(r, default_backend):
                    row["target"] = SIGN_TARGET
            rows.append(row)
            cpu_speed = find(results, w, "openssl-speed", f"{alg} sign, CPU time")
            if is_default_signing(r, default_backend) and r["cpu_rounds"] and cpu_speed:
                pairs = [x / y for x, y in zip(r["cpu_rounds"], cpu_speed["rounds"]) if y > 0]
                rows.append(base_row(r) | {
                    "variant": f"{r['variant']}, per CPU second", "certs_per_s": r["certs_per_cpu_s"],
                    "ratio": statistics.median(pairs), "target": SIGN_TARGET,
                    "baseline": f"per CPU second ÷ openssl speed {alg} sign per CPU second"})
    for label in ("2-threads", "1-thread"):
        renew = find(results, "W5", "kcertlib-rust", f"renew-{label}")
        sigs = find(results, "W5", "kcertlib-rust", f"signatures-{label}")
        scan = find(results, "W5", "kcertlib-rust", f"scan-{label}")
        for r in (scan, sigs):
            if r:
                rows.append(base_row(r) | {"baseline": "—"})
        if renew and sigs:
            rows.append(base_row(renew) | {"ratio": ratio(renew, sigs),
                                           "baseline": "renewal ÷ its signatures alone (1 = no overhead)"})
    r2 = find(results, "W5", "kcertlib-rust", "renew-2-threads")
    r1 = find(results, "W5", "kcertlib-rust", "renew-1-thread")
    if r2 and r1:
        rows.append(base_row(r2) | {"variant": "renew, 2 threads vs 1",
                                    "ratio": ratio(r2, r1),
                                    "baseline": "2 threads ÷ 1 thread"})
    for w6 in [r for r in results if r["workload"] == "W6" and r["tool"] == "kcertlib-rust"]:
        rss = w6["extra"].get("peak_rss_kib", 0) / 1024
        path = "certificate" if w6["variant"].endswith("+Certificate") else "view"
        timev = next((r for r in results if r["workload"] == "W6" and r["tool"] == "time-v"
                      and r["variant"] == path), None)
        if timev:
            rss = max(rss, timev["extra"]["max_rss_kib"] / 1024)
        rows.append(base_row(w6) | {"ratio": rss, "target": RSS_TARGET_MIB, "below": True,
                                    "baseline": f"peak RSS MiB ({streamed_gib:.2f} GiB streamed)"})
    for row in rows:
        if "ratio" in row:
            row["verdict"] = verdict(row["ratio"], row.get("target"), row.get("below", False))
    return rows


def is_default_signing(r: Dict[str, Any], default_backend: str) -> bool:
    """The rows the signing target applies to: the default build (fastest backend, one thread)
    from Rust, and the C and Python bindings (which use that build) with one issuer for every
    leaf. The one-shot calls, which check the CA on every call, are context rows."""
    if r["tool"] == "kcertlib-rust":
        return r["variant"] == default_backend
    return r["tool"] in ("kcertlib-c", "kcertlib-python") and "issuer per call" not in r["variant"]


def base_row(r: Dict[str, Any]) -> Dict[str, Any]:
    return {"workload": r["workload"], "tool": r["tool"], "variant": r["variant"],
            "certs_per_s": r["certs_per_s"], "n": r["n"], "runs": len(r["runs_s"]),
            "rounds": len(r.get("rounds", [1]))}


WORKLOAD_TITLES = {
    "W1": "W1 PEM bundle → subject, notAfter, SANs",
    "W2": "W2 one file per cert",
    "W2-sample": "W2 sample (openssl loop)",
    "W3": "W3 re-sign, RSA-2048 CA",
    "W4": "W4 re-sign, P-256 CA",
    "W5": "W5 kubespray node",
    "W6": "W6 1 GiB stream",
}


def markdown(rows: List[Dict[str, Any]], m: Dict[str, Any], date: str, quick: bool,
             problems: List[str]) -> str:
    out = [f"# kcertlib comparison benchmarks{' (QUICK, small sizes)' if quick else ''}", ""]
    out.append(f"Run {date} on {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, "
               f"{m['kernel']} ({m['os']}), kcertlib {m['kcertlib_commit']}.  ")
    out.append(f"Tools: {m['rustc']}; x509-parser {m['x509-parser']}; {m['go']}; Python {m['python']} "
               f"with cryptography {m['cryptography']}; {m['openssl']}; gcc {m['gcc']}.  ")
    out.append("Certs/s: `n` over the median of all runs (runs = rounds × repetitions). Ratio: the "
               "median over rounds of (tool ÷ baseline measured in the same round). The machine is "
               "shared and noisy: read ratios, not absolute rates.")
    out.append("")
    out.append("| workload | tool | certs/s | runs | ratio | ratio means | target | |")
    out.append("|---|---|---:|---:|---:|---|---:|---|")
    for r in rows:
        tool = TOOL_NAMES.get(r["tool"], r["tool"])
        ratio = "" if "ratio" not in r else (f"{r['ratio']:.3f}" if r["ratio"] < 10 else f"{r['ratio']:,.1f}")
        target = ""
        if r.get("target") is not None:
            target = f"< {r['target']:g}" if r.get("below") else f"≥ {r['target']:g}"
        rate = f"{r['certs_per_s']:,.0f}"
        out.append(f"| {WORKLOAD_TITLES.get(r['workload'], r['workload'])} | {tool} — {r['variant']} | "
                   f"{rate} | {r['runs']} | {ratio} | {r.get('baseline', '')} | {target} | "
                   f"{r.get('verdict', '')} |")
    out.append("")
    out.append("Checksums (count, DNS+IP SANs, latest notAfter, common-name bytes) agree across tools."
               if not problems else "**Checksum disagreements:** " + "; ".join(problems))
    out.append("")
    out.append("Notes:")
    out.append("- W1/W2 ratios: kcertlib's fastest Rust path ÷ the tool, per round. The issue's W1 "
               "targets apply per core; every parse here runs on one thread.")
    out.append("- W3/W4: the baseline is `openssl speed -elapsed` (signatures per wall-clock "
               "second, measured in the same round), since every tool is timed by the wall clock; "
               "the CPU-time row shows how much the shared machine slowed a single thread. The "
               "`per CPU second` row compares CPU time with CPU time (openssl speed's default "
               "divisor; user+system seconds of our process), which time-sharing with other "
               "processes does not distort: the per-core comparison the issue asks for. The "
               "target applies to the default build (aws-lc backend, one thread) from Rust, C and "
               "Python, the bindings through their issuer handles; rustcrypto, 2-thread and "
               "issuer-per-call rows are context. Go rebuilds the extensions from the "
               "parsed fields (unknown extensions are dropped) and cryptography re-encodes the "
               "parsed extension values; kcertlib copies the original extension bytes.")
    out.append("- W5: `signatures` re-signs the renewed leaves with their CAs' keys in a bare loop "
               "on one thread; `renew` is the whole transaction (scan, plan, checks, signing, "
               "staging, verification, backups, fsyncs, renames).")
    out.append("- W6: the stream comes from `cat` through a pipe, so `cat` shares the two cores; "
               "RSS is the larger of the process's VmHWM and `/usr/bin/time -v`'s maximum.")
    out.append("")
    return "\n".join(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--raw", type=Path, required=True)
    p.add_argument("--expected", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--stream-copies", type=int, default=1)
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()

    results = [json.loads(line) for line in a.raw.read_text().splitlines() if line.startswith("{")]
    expected = json.loads(a.expected.read_text())
    repo = Path(__file__).resolve().parents[2]
    m = machine(repo)
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    problems = check(results, expected, a.stream_copies)
    rows = rows_for(merge(results), expected["bundle_bytes"] * a.stream_copies / 2**30)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "results.json").write_text(json.dumps(
        {"date": date, "quick": a.quick, "machine": m, "expected": expected, "table": rows,
         "checksum_problems": problems, "results": results}, indent=1) + "\n")
    text = markdown(rows, m, date, a.quick, problems)
    # W7 and W8 write their own tables (e2e_node.py, renew_memory.py); they follow the main one.
    for name in ("e2e-node.md", "renew-memory.md"):
        part = a.out / name
        if part.is_file():
            text += "\n" + part.read_text().replace("# ", "## ", 1)
    (a.out / "results.md").write_text(text)
    bars = [r for r in rows if r["workload"] in ("W1", "W2", "W2-sample", "W3", "W4")
            and r["certs_per_s"] > 0]
    (a.out / "plot.svg").write_text(grouped_bars(
        [(WORKLOAD_TITLES[r["workload"]], TOOL_NAMES.get(r["tool"], r["tool"]) +
          ("" if r["tool"] != "kcertlib-rust" else f" [{r['variant']}]"), r["certs_per_s"]) for r in bars],
        title=f"certificates per second (log scale), {m['cpu']}, {date}"))
    print((a.out / "results.md").read_text())
    for problem in problems:
        print(f"report: checksum mismatch: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
