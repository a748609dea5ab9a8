#!/usr/bin/env python3
"""The openssl command line in the suite: the hardware baseline and the shell way.

    openssl_cli.py speed --seconds 3 --reps 1
        `openssl speed -mr [-elapsed] -seconds S rsa2048 ecdsap256`: RSA-2048 and P-256 sign
        rates (the baseline of W3 and W4: what this CPU signs with OpenSSL's assembly), per
        wall-clock second (the baseline) and per CPU second (context).
    openssl_cli.py loop --work DIR --sample N [--reps 1]
        W2 the shell way: one `openssl x509 -noout -subject -enddate -ext subjectAltName`
        process per file over the first N files of DIR/files, run by one bash loop; the output
        is read back for the cross-check checksum.

Prints JSON result lines (bench_common).
"""

from __future__ import annotations

import argparse
import calendar
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Checksum, emit  # noqa: E402


def openssl_version() -> str:
    return subprocess.run(["openssl", "version"], capture_output=True, text=True, check=True).stdout.strip()


def speed(seconds: int, reps: int) -> None:
    """Sign rates divided by wall-clock time (`-elapsed`, like every other tool of the suite,
    so a busy machine slows the baseline as much as the tools) and, for context, by user CPU
    time (openssl speed's default, which a busy machine does not slow)."""
    for clock, flags in (("wall clock", ["-elapsed"]), ("CPU time", [])):
        rates: Dict[str, List[float]] = {"rsa2048": [], "ecdsap256": []}
        for _ in range(max(1, reps)):
            out = subprocess.run(
                ["openssl", "speed", "-mr", *flags, "-seconds", str(seconds), "rsa2048", "ecdsap256"],
                capture_output=True, text=True, check=True,
            ).stdout
            for line in out.splitlines():
                # +F2:<index>:<bits>:<signs/s>:<verifies/s> (RSA), +F4:... (ECDSA)
                fields = line.split(":")
                if line.startswith("+F2:") and fields[2] == "2048":
                    rates["rsa2048"].append(float(fields[3]))
                elif line.startswith("+F4:") and fields[2] == "256":
                    rates["ecdsap256"].append(float(fields[3]))
        for algorithm, workload in (("rsa2048", "W3"), ("ecdsap256", "W4")):
            runs = rates[algorithm]
            if not runs:
                raise SystemExit(f"openssl speed printed no {algorithm} sign rate")
            # As the seconds of one signature, so the median logic is shared with the tools.
            emit("openssl-speed", f"{algorithm} sign, {clock}", workload, 1, [1.0 / r for r in runs], {},
                 {"version": openssl_version(), "seconds": seconds, "sign_per_s": runs})


SUBJECT_CN = re.compile(r"CN\s*=\s*([^,/]+)")


def loop(work: Path, sample: int, reps: int) -> None:
    files = sorted((work / "files").iterdir())[:sample]
    listing = work / "openssl-loop-files.txt"
    listing.write_text("".join(f"{f}\n" for f in files))
    script = (
        'while IFS= read -r f; do '
        'openssl x509 -noout -subject -enddate -ext subjectAltName -in "$f" || exit 1; '
        'done < "$1"'
    )
    runs: List[float] = []
    out = ""
    for _ in range(max(1, reps)):
        start = time.perf_counter()
        out = subprocess.run(["bash", "-c", script, "loop", str(listing)],
                             capture_output=True, text=True, check=True).stdout
        runs.append(time.perf_counter() - start)
    sum_ = Checksum()
    cn, not_after, sans = "", 0, 0
    started = False

    def flush() -> None:
        if started:
            sum_.add(sans, not_after, cn)

    for line in out.splitlines():
        if line.startswith("subject="):
            flush()
            started = True
            m = SUBJECT_CN.search(line)
            cn, not_after, sans = (m.group(1).strip() if m else ""), 0, 0
        elif line.startswith("notAfter="):
            t = time.strptime(line.split("=", 1)[1].strip(), "%b %d %H:%M:%S %Y %Z")
            not_after = calendar.timegm(t)
        elif "DNS:" in line or "IP Address:" in line:
            sans += line.count("DNS:") + line.count("IP Address:")
    flush()
    emit("openssl-cli", "bash loop", "W2-sample", len(files), runs, sum_.to_json(),
         {"version": openssl_version()})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--seconds", type=int, default=3)
    s.add_argument("--reps", type=int, default=3)
    lo = sub.add_parser("loop")
    lo.add_argument("--work", type=Path, required=True)
    lo.add_argument("--sample", type=int, default=500)
    lo.add_argument("--reps", type=int, default=1)
    a = p.parse_args()
    if a.command == "speed":
        speed(a.seconds, a.reps)
    else:
        loop(a.work, a.sample, a.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
