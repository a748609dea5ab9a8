"""kcert.export_requests, kcert.sign_requests and kcert.install_signed: a worker node without
its CA key renewed by a control-plane tree that holds it. Results judged by `cryptography`."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import kcert
from conftest import build_tree
from test_renew import tree_digest as full_digest

UTC = timezone.utc

# What a kubeadm worker keeps of a control-plane tree: its kubelet's credentials and the
# cluster CA's certificate, never a CA key.
WORKER_FILES = ("etc/kubernetes/kubelet.conf", "etc/kubernetes/pki/ca.crt")


def tree_digest(root: Path) -> dict:
    """Every file under root, but the transaction's lock file: a refused installation has taken
    the lock (an empty file kept for later runs, as renew's) and written nothing else."""
    return {k: v for k, v in full_digest(root).items() if k != "var/lib/kcert/renew.lock"}


def make_worker(control_plane: Path, worker: Path) -> Path:
    """A kubeadm worker sharing `control_plane`'s CA: a copy of its tree reduced to kubelet's
    files and `ca.crt`."""
    shutil.copytree(control_plane, worker, symlinks=True)
    for path in sorted((worker / "etc/kubernetes").rglob("*"), reverse=True):
        rel = str(path.relative_to(worker))
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        elif rel not in WORKER_FILES:
            path.unlink()
    assert [k.name for k in worker.rglob("*.key")] == ["kubelet.key"]
    return worker


@pytest.fixture
def cluster(tmp_path: Path) -> tuple[Path, Path]:
    """(control plane, worker): expired leaves, one CA, whose key only the control plane has."""
    control_plane = tmp_path / "control-plane"
    build_tree(control_plane, "kubeadm", expired=True)
    return control_plane, make_worker(control_plane, tmp_path / "worker")


def cert_of(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificates(path.read_bytes())[0]


def kubelet_pem(root: Path) -> Path:
    """The file behind kubelet's current-pem symlink, inside `root` (kubelet writes absolute
    targets, which name the real node's path)."""
    link = root / "var/lib/kubelet/pki/kubelet-client-current.pem"
    target = Path(os.readlink(link)) if link.is_symlink() else link
    return root / target.relative_to("/") if target.is_absolute() else link.parent / target


def spki(cert: x509.Certificate | x509.CertificateSigningRequest) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- arguments: converted before the core is called, refused with the core's error classes ---


def test_the_three_steps_are_public():
    for name in ("export_requests", "sign_requests", "install_signed"):
        assert name in kcert.__all__ and callable(getattr(kcert, name))


def test_sign_refuses_text_that_is_not_a_request_set(tmp_path: Path):
    with pytest.raises(kcert.InvalidArgumentError) as err:
        kcert.sign_requests(tmp_path, "this is not JSON")
    assert isinstance(err.value, ValueError) and err.value.code == 16


def test_sign_refuses_zero_days_with_the_cores_message(tmp_path: Path):
    with pytest.raises(kcert.InvalidArgumentError, match="a lifetime of 0 days"):
        kcert.sign_requests(tmp_path, "{}", days=0)


def test_install_refuses_text_that_holds_no_certificate(tmp_path: Path):
    with pytest.raises((kcert.InvalidArgumentError, kcert.PemError)):
        kcert.install_signed(tmp_path, "neither JSON nor PEM")


def test_a_naive_moment_is_refused_everywhere(tmp_path: Path):
    naive = datetime(2026, 1, 1)
    with pytest.raises(kcert.InvalidArgumentError, match="naive datetime"):
        kcert.export_requests(tmp_path, at=naive)
    with pytest.raises(kcert.InvalidArgumentError, match="naive datetime"):
        kcert.sign_requests(tmp_path, "{}", at=naive)
    with pytest.raises(kcert.InvalidArgumentError, match="naive datetime"):
        kcert.install_signed(tmp_path, "{}", at=naive)
    with pytest.raises(TypeError):
        kcert.export_requests(tmp_path, at="2026-01-01")  # type: ignore[arg-type]


def test_export_refuses_an_unreadable_window(tmp_path: Path):
    with pytest.raises(kcert.InvalidArgumentError):
        kcert.export_requests(tmp_path, expiring_within="soon")


def test_export_of_a_missing_root_names_it(tmp_path: Path):
    with pytest.raises(kcert.KcertError) as err:
        kcert.export_requests(tmp_path / "does-not-exist")
    assert "does-not-exist" in str(err.value)


# --- the three steps end to end ---


def test_worker_is_renewed_without_a_key_leaving_it(cluster: tuple[Path, Path]):
    control_plane, worker = cluster
    old = cert_of(kubelet_pem(worker))
    assert kcert.scan(worker)["kubelet-client-current"].status == "expired"

    requests = kcert.export_requests(worker)
    assert "PRIVATE KEY" not in requests
    exported = {r["name"] for r in json.loads(requests)["requests"]}
    assert "kubelet-client-current" in exported

    signed = kcert.sign_requests(control_plane, requests, days=90)
    assert "PRIVATE KEY" not in signed
    assert json.loads(signed)["refused"] == []

    report = kcert.install_signed(worker, signed)
    assert isinstance(report, kcert.RenewalReport)
    assert report.changed and report.manifest is not None and Path(report.manifest).is_file()
    assert "kubelet-client-current" in {r.name for r in report.renewed}
    assert "kubelet" in report.restart

    assert kcert.scan(worker)["kubelet-client-current"].status == "ok"
    new = cert_of(kubelet_pem(worker))
    ca = cert_of(control_plane / "etc/kubernetes/pki/ca.crt")
    new.verify_directly_issued_by(ca)
    assert new.subject == old.subject and spki(new) == spki(old)
    assert list(new.extensions) == list(old.extensions)
    lifetime = new.not_valid_after_utc - new.not_valid_before_utc
    assert abs(lifetime.total_seconds() - (90 * 86400 + 3600)) < 5


def test_install_returns_the_report_renew_returns(cluster: tuple[Path, Path]):
    control_plane, worker = cluster
    signed = kcert.sign_requests(control_plane, kcert.export_requests(worker))
    report = kcert.install_signed(worker, signed, dry_run=True)
    as_dict = report.to_dict()
    assert set(as_dict) >= {"dryRun", "changed", "renewed", "skipped", "restart", "warnings"}
    assert as_dict["dryRun"] is True and report.dry_run


def test_dry_run_install_writes_nothing(cluster: tuple[Path, Path]):
    control_plane, worker = cluster
    signed = kcert.sign_requests(control_plane, kcert.export_requests(worker))
    before = tree_digest(worker)
    report = kcert.install_signed(worker, signed, dry_run=True)
    assert report.dry_run and report.manifest is None
    assert "kubelet-client-current" in {r.name for r in report.renewed}
    assert tree_digest(worker) == before


def test_export_at_a_moment_before_expiry_with_a_window_exports_nothing(cluster: tuple[Path, Path]):
    _, worker = cluster
    not_after = cert_of(kubelet_pem(worker)).not_valid_after_utc
    early = datetime.fromtimestamp(not_after.timestamp() - 400 * 86400, UTC)
    requests = json.loads(kcert.export_requests(worker, expiring_within="30d", at=early))
    assert requests["requests"] == []
    late = json.loads(kcert.export_requests(worker, expiring_within="30d", at=not_after))
    assert "kubelet-client-current" in {r["name"] for r in late["requests"]}


def test_a_request_for_another_clusters_ca_is_refused_not_raised(
    cluster: tuple[Path, Path], tmp_path: Path
):
    _, worker = cluster
    other = tmp_path / "other-control-plane"
    build_tree(other, "kubeadm", expired=True)
    signed = json.loads(kcert.sign_requests(other, kcert.export_requests(worker)))
    assert signed["signed"] == []
    refused = {r["name"]: r["reason"] for r in signed["refused"]}
    assert "kubelet-client-current" in refused and refused["kubelet-client-current"]


def test_install_refuses_certificates_for_another_nodes_key_and_writes_nothing(
    cluster: tuple[Path, Path], tmp_path: Path
):
    _, worker = cluster
    other_cp = tmp_path / "other-control-plane"
    build_tree(other_cp, "kubeadm", expired=True)
    other_worker = make_worker(other_cp, tmp_path / "other-worker")
    foreign = kcert.sign_requests(other_cp, kcert.export_requests(other_worker))
    before = tree_digest(worker)
    with pytest.raises(kcert.KeyMismatchError) as err:
        kcert.install_signed(worker, foreign)
    assert err.value.code == 8 and "kubelet-client-current" in str(err.value)
    assert tree_digest(worker) == before


def test_install_refuses_certificates_of_another_ca_and_writes_nothing(
    cluster: tuple[Path, Path], tmp_path: Path
):
    control_plane, worker = cluster
    signed = kcert.sign_requests(control_plane, kcert.export_requests(worker))
    # The same node (same key) trusting another cluster's CA: what our CA signed must not pass.
    other_cp = tmp_path / "other-control-plane"
    build_tree(other_cp, "kubeadm", expired=True)
    shutil.copyfile(other_cp / "etc/kubernetes/pki/ca.crt", worker / "etc/kubernetes/pki/ca.crt")
    before = tree_digest(worker)
    with pytest.raises(kcert.VerificationFailedError) as err:
        kcert.install_signed(worker, signed)
    assert err.value.code == 9 and "kubelet-client-current" in str(err.value)
    assert tree_digest(worker) == before


def test_csr_and_include_ca_reach_the_core(cluster: tuple[Path, Path]):
    control_plane, worker = cluster
    requests = kcert.export_requests(worker, only="kubelet-client-current", csr=True, threads=1)
    assert "PRIVATE KEY" not in requests
    (request,) = json.loads(requests)["requests"]
    csr = x509.load_pem_x509_csr(request["csrPem"].encode())
    assert csr.is_signature_valid
    assert spki(csr) == spki(cert_of(kubelet_pem(worker)))
    signed = json.loads(kcert.sign_requests(control_plane, requests, include_ca=True))
    ca = cert_of(control_plane / "etc/kubernetes/pki/ca.crt")
    carried = [x509.load_pem_x509_certificate(pem.encode()) for pem in signed["caCertificates"]]
    assert carried == [ca]
