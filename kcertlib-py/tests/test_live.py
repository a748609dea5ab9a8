"""kcert.check_live against real TLS servers: `openssl s_server` on free loopback ports serves
copies of a generated kubeadm tree's pairs (what a running process loaded), and the served
certificates are judged by Python `cryptography` as well as by kcert."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from cryptography import x509

import kcert
from conftest import build_tree

COMPONENTS = [
    "supervisor",
    "kube-apiserver",
    "etcd",
    "etcd-peer",
    "kubelet",
    "kube-controller-manager",
    "kube-scheduler",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Servers:
    """openssl s_server processes, each killed by PID and reaped at the end of the test."""

    def __init__(self) -> None:
        self.procs: List[subprocess.Popen[bytes]] = []

    def serve(self, cert: Path, key: Path, port: int) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            ["openssl", "s_server", "-quiet", "-www", "-accept", "127.0.0.1:%d" % port,
             "-cert", str(cert), "-key", str(key)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError("openssl s_server exited with %s" % proc.returncode)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return proc
            except OSError:
                time.sleep(0.1)
        raise AssertionError("openssl s_server did not listen on %d within 20 s" % port)

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        proc.kill()
        proc.wait()

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


@pytest.fixture
def servers() -> Iterator[Servers]:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed: run testing/install-deps.sh")
    s = Servers()
    try:
        yield s
    finally:
        s.close()


def loaded(root: Path, name: str, into: Path) -> tuple[Path, Path]:
    """Copies of the tree's `name` pair as of now: what a process holds once it loaded them."""
    into.mkdir(parents=True, exist_ok=True)
    pki = root / "etc/kubernetes/pki"
    cert, key = into / (name + ".crt"), into / (name + ".key")
    shutil.copy(pki / (name + ".crt"), cert)
    shutil.copy(pki / (name + ".key"), key)
    return cert, key


def closed_ports(**chosen: int) -> Dict[str, int]:
    """Every component on a port nothing listens on, except those chosen."""
    ports = {c: free_port() for c in COMPONENTS}
    ports.update({k.replace("_", "-"): v for k, v in chosen.items()})
    return ports


def by_name(report: kcert.LiveReport) -> Dict[str, kcert.LiveComponent]:
    return {c.component: c for c in report.components}


def test_outdated_after_renewal_and_current_after_restart(tmp_path: Path, servers: Servers) -> None:
    root = tmp_path / "node"
    build_tree(root, "kubeadm", expired=True)
    cert, key = loaded(root, "apiserver", tmp_path / "before")
    port = free_port()
    server = servers.serve(cert, key, port)
    ports = closed_ports(kube_apiserver=port)

    before = kcert.check_live(root, ports=ports, timeout=10)
    api = by_name(before)["kube-apiserver"]
    assert (api.state, api.matched_by, api.entry) == ("current", "certificate", "apiserver")
    assert not before.any_outdated and before.outdated == []
    assert by_name(before)["etcd"].state == "not-running"
    assert [c.component for c in before.components] == COMPONENTS

    kcert.renew(root)
    after = kcert.check_live(root, ports=ports, timeout=timedelta(seconds=10))
    api = by_name(after)["kube-apiserver"]
    assert (api.state, api.matched_by, api.entry) == ("outdated", "public-key", "apiserver")
    assert after.any_outdated and after.outdated == ["kube-apiserver"]
    # The served certificate is the stale copy, as cryptography reads it.
    stale = x509.load_pem_x509_certificate(cert.read_bytes())
    assert api.served is not None and api.on_disk is not None
    assert api.served.serial_number == stale.serial_number
    assert api.on_disk.not_after > api.served.not_after
    assert "restart" in api.detail
    doc = after.to_dict()
    assert doc["outdated"] == 1
    assert any(c["component"] == "kube-apiserver" and c["state"] == "outdated" for c in doc["components"])
    assert 'kcert_live_outdated{component="kube-apiserver"' in after.to_prometheus()
    assert "outdated" in after.to_table()

    servers.stop(server)
    cert, key = loaded(root, "apiserver", tmp_path / "after")
    port = free_port()
    servers.serve(cert, key, port)
    ports["kube-apiserver"] = port
    restarted = kcert.check_live(root, ports=ports, timeout="10s")
    assert by_name(restarted)["kube-apiserver"].state == "current"
    assert not restarted.any_outdated


def test_bad_ports_and_timeouts_are_invalid_arguments(tmp_path: Path) -> None:
    root = tmp_path / "node"
    build_tree(root, "kubeadm", expired=True, etcd_hosts=1, reuse_leaf_keys=True)
    with pytest.raises(kcert.InvalidArgumentError, match="kube-apiserver"):
        kcert.check_live(root, ports={"apiserver": 6443})
    for bad in (0, 70000, -1):
        with pytest.raises(kcert.InvalidArgumentError, match="etcd"):
            kcert.check_live(root, ports={"etcd": bad})
    for timeout in (0, -1.0, float("nan")):
        with pytest.raises(kcert.InvalidArgumentError, match="timeout"):
            kcert.check_live(root, ports=closed_ports(), timeout=timeout)
    with pytest.raises(kcert.IoError):
        kcert.check_live(tmp_path / "does-not-exist")
