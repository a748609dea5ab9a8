"""The GIL is released during bundle parsing, scan and renew: another Python thread makes
progress while the native call runs.

How this proves it without timing: the switch interval is raised to an hour, so the thread
holding the GIL is never asked to give it up. A helper thread waits for the GIL; it can only run
(and count to 10,000) if the main thread *releases* the GIL, which pure Python bytecode and a
native call that keeps the GIL never do. The helper's progress is read right after the call,
before the main thread could have yielded anywhere else. Every module the call imports is
imported beforehand, since imports read files and would release the GIL on their own.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Callable

import pytest

import kcert
from conftest import build_tree

ATTEMPTS = 5


def progressed_during(call: Callable[[], object]) -> bool:
    """Whether a helper Python thread ran to completion while `call()` was running."""
    go, done = threading.Event(), threading.Event()

    def helper() -> None:
        go.wait()
        count = 0
        while count < 10_000:
            count += 1
        done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(3600)
    try:
        thread = threading.Thread(target=helper)
        thread.start()
        go.set()
        call()
        finished = done.is_set()
    finally:
        sys.setswitchinterval(old)
    thread.join()
    return finished


def run_until_progress(make_call: Callable[[int], Callable[[], object]]) -> None:
    # The helper must also be scheduled by the OS while the call runs; a few attempts make a
    # busy machine irrelevant. With the GIL held, no attempt can ever succeed.
    for attempt in range(ATTEMPTS):
        if progressed_during(make_call(attempt)):
            return
    pytest.fail(f"no other Python thread ran during the call in {ATTEMPTS} attempts: GIL held")


def test_negative_control_a_gil_holding_call_blocks_the_helper():
    def busy() -> None:
        total = 0
        for i in range(3_000_000):
            total += i

    assert not progressed_during(busy)


def test_bundle_parsing_releases_the_gil(fx):
    bundle = b"".join(fx.path(n).read_bytes() for n in ("client.crt", "api.crt", "etcd.crt")) * 3000
    kcert.load_certificates(fx.path("client.crt"))  # warm up imports
    run_until_progress(lambda _: lambda: kcert.load_certificates(bundle))


def test_scan_releases_the_gil(tmp_path: Path):
    build_tree(tmp_path, "kubespray", etcd_hosts=40, reuse_leaf_keys=True)
    kcert.scan(tmp_path)  # warm up imports
    run_until_progress(lambda _: lambda: kcert.scan(tmp_path))


def test_renew_releases_the_gil(tmp_path: Path):
    roots = []
    for attempt in range(ATTEMPTS + 1):
        root = tmp_path / f"tree{attempt}"
        build_tree(root, "kubeadm", expired=True)
        roots.append(root)
    kcert.renew(roots[-1])  # warm up imports
    run_until_progress(lambda attempt: lambda: kcert.renew(roots[attempt]))
