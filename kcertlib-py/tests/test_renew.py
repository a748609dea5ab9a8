"""kcert.renew and kcert.rollback on generated expired trees; results judged by `cryptography`."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

import kcert
from conftest import build_tree

UTC = timezone.utc


def tree_digest(root: Path) -> dict:
    """Every file and symlink under root with its content hash (or link target) and mode."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_file():
            out[rel] = (hashlib.sha256(path.read_bytes()).hexdigest(), oct(path.stat().st_mode))
    return out


@pytest.fixture
def expired_kubeadm(tmp_path: Path) -> Path:
    build_tree(tmp_path, "kubeadm", expired=True)
    return tmp_path


def judge_pair(inventory: kcert.Inventory, name: str) -> tuple[x509.Certificate, x509.Certificate]:
    """The leaf and the CA that issued it. kubelet's self-signed serving pair has no CA in the
    inventory: its throwaway CA is the certificate after the leaf in the same file."""
    entry = inventory[name]
    assert entry.certificate is not None
    leaf = x509.load_pem_x509_certificate(entry.certificate.to_pem().encode())
    if name == "kubelet-serving":
        assert entry.ca_name is None and entry.path is not None
        blocks = x509.load_pem_x509_certificates(Path(entry.path).read_bytes())
        assert len(blocks) == 2 and blocks[0] == leaf
        return leaf, blocks[1]
    assert entry.ca_name is not None
    ca = inventory[entry.ca_name].certificate
    assert ca is not None
    return leaf, x509.load_pem_x509_certificate(ca.to_pem().encode())


def test_renew_makes_every_renewable_leaf_valid_and_verifiable(expired_kubeadm: Path):
    before = kcert.scan(expired_kubeadm)
    report = kcert.renew(expired_kubeadm)
    assert report.changed and not report.dry_run
    assert report.manifest is not None and Path(report.manifest).is_file()
    assert report.backups and all(Path(b).exists() for b in report.backups)
    assert "kube-apiserver" in report.restart
    renewed = {r.name: r for r in report.renewed}
    after = kcert.scan(expired_kubeadm)
    for name, r in renewed.items():
        entry = after[name]
        assert entry.status == "ok", name
        leaf, ca = judge_pair(after, name)
        leaf.verify_directly_issued_by(ca)
        old = before[name].certificate
        assert old is not None and entry.certificate is not None
        assert entry.certificate.subject == old.subject
        assert entry.certificate.dns_names == old.dns_names
        assert entry.certificate.ip_addresses == old.ip_addresses
        assert entry.certificate.extended_key_usage == old.extended_key_usage
        assert r.old_serial == format(old.serial_number, "x").rjust(len(r.old_serial), "0")
        assert int(r.new_serial, 16) == entry.certificate.serial_number
        assert r.old_not_after == old.not_after and r.new_not_after == entry.certificate.not_after
        for t in (r.old_not_before, r.old_not_after, r.new_not_before, r.new_not_after):
            assert t.utcoffset() == timedelta(0)
        assert not r.key_rotated
        assert all(os.path.lexists(p) for p in r.paths)  # kubelet's link points at /var/lib/...
    assert {"apiserver", "etcd-peer", "admin.conf", "kubelet-client-current"} <= set(renewed)
    assert {e.name for e in after.cas()} == {"ca", "front-proxy-ca", "etcd-ca"}
    for ca in after.cas():
        assert ca.certificate == before[ca.name].certificate  # CAs untouched
    doc = report.to_dict()
    assert json.loads(json.dumps(doc)) == doc == json.loads(report.to_json())
    assert [r["name"] for r in doc["renewed"]] == [r.name for r in report.renewed]
    assert report.renewed[0].to_dict() == doc["renewed"][0]


def test_second_run_with_expiring_within_changes_nothing(expired_kubeadm: Path):
    assert kcert.renew(expired_kubeadm, expiring_within="30d").changed
    digest = tree_digest(expired_kubeadm)
    again = kcert.renew(expired_kubeadm, expiring_within=timedelta(days=30))
    assert not again.changed and again.renewed == [] and again.manifest is None
    assert tree_digest(expired_kubeadm) == digest


def test_dry_run_writes_nothing(expired_kubeadm: Path):
    digest = tree_digest(expired_kubeadm)
    report = kcert.renew(expired_kubeadm, dry_run=True)
    assert report.dry_run and not report.changed and report.manifest is None
    assert report.renewed and all(r.new_not_after > datetime.now(UTC) for r in report.renewed)
    assert tree_digest(expired_kubeadm) == digest


def test_unrenewable_entries_are_skipped_with_reasons(expired_kubeadm: Path):
    pki = expired_kubeadm / "etc/kubernetes/pki"
    (pki / "front-proxy-ca.key").unlink()
    (pki / "apiserver-kubelet-client.key").write_text(kcert.PrivateKey.generate("RSA-2048").to_pem())
    report = kcert.renew(expired_kubeadm)
    reasons = {s.name: s.reason for s in report.skipped}
    assert "front-proxy-client" in reasons and "front-proxy-ca" in reasons["front-proxy-client"]
    assert "apiserver-kubelet-client" in reasons
    assert report.changed and "apiserver" in {r.name for r in report.renewed}
    assert report.skipped[0].to_dict() == report.to_dict()["skipped"][0]


def test_only_and_unknown_names(expired_kubeadm: Path):
    report = kcert.renew(expired_kubeadm, only="apiserver")
    assert [r.name for r in report.renewed] == ["apiserver"]
    report = kcert.renew(expired_kubeadm, only=["etcd-peer", "admin.conf"])
    assert sorted(r.name for r in report.renewed) == ["admin.conf", "etcd-peer"]
    with pytest.raises(kcert.InvalidArgumentError, match="no certificate named"):
        kcert.renew(expired_kubeadm, only=["nope"])


def test_add_sans_extend_a_serving_certificate_only(expired_kubeadm: Path):
    crt = expired_kubeadm / "etc/kubernetes/pki/apiserver.crt"
    sans = lambda: x509.load_pem_x509_certificate(crt.read_bytes()).extensions.get_extension_for_class(  # noqa: E731
        x509.SubjectAlternativeName
    ).value
    before = sans()
    report = kcert.renew(expired_kubeadm, only="apiserver", add_sans="DNS:lb.example.com,IP:10.0.0.10")
    assert [r.name for r in report.renewed] == ["apiserver"]
    after = sans()
    assert list(after)[: len(list(before))] == list(before)
    assert "lb.example.com" in after.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in after.get_values_for_type(x509.IPAddress)][-1] == "10.0.0.10"
    with pytest.raises(kcert.InvalidArgumentError, match="not a serving certificate"):
        kcert.renew(expired_kubeadm, only=["admin.conf"], add_sans=["DNS:x.example.com"])


def test_rotate_keys_writes_matching_new_keys(expired_kubeadm: Path):
    key_path = expired_kubeadm / "etc/kubernetes/pki/apiserver.key"
    old_key = key_path.read_bytes()
    report = kcert.renew(expired_kubeadm, only=["apiserver"], rotate_keys=True)
    assert report.renewed[0].key_rotated
    assert key_path.read_bytes() != old_key
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate((expired_kubeadm / "etc/kubernetes/pki/apiserver.crt").read_bytes())
    assert key.public_key() == cert.public_key()


def test_include_ca_and_days(expired_kubeadm: Path):
    report = kcert.renew(expired_kubeadm, include_ca=True, days=730, backdate="2h")
    names = {r.name for r in report.renewed}
    assert {"ca", "etcd-ca", "apiserver"} <= names
    apiserver = next(r for r in report.renewed if r.name == "apiserver")
    assert apiserver.new_not_after - apiserver.new_not_before == timedelta(days=730, hours=2)


def test_rollback_restores_every_byte(expired_kubeadm: Path):
    digest = tree_digest(expired_kubeadm)
    report = kcert.renew(expired_kubeadm, backup_dir=expired_kubeadm.parent / f"{expired_kubeadm.name}-backup")
    assert report.manifest is not None and report.manifest.startswith(str(expired_kubeadm.parent))
    # The manifest lies outside the tree, so the tree must be named (it is checked against the
    # root the manifest records).
    with pytest.raises(kcert.InvalidArgumentError) as info:
        kcert.rollback(report.manifest)
    assert "say which root" in str(info.value)
    with pytest.raises(kcert.TransactionError):
        kcert.rollback(report.manifest, root=expired_kubeadm.parent)
    rolled = kcert.rollback(report.manifest, root=expired_kubeadm)
    assert rolled.restored and rolled.to_dict()["restored"] == rolled.restored
    assert rolled.manifest is not None
    restored = tree_digest(expired_kubeadm)
    assert {k: v for k, v in restored.items() if not k.startswith("var/lib/kcert")} == {
        k: v for k, v in digest.items() if not k.startswith("var/lib/kcert")
    }


def test_locked_root_is_refused(expired_kubeadm: Path):
    state = expired_kubeadm / "var/lib/kcert"
    state.mkdir(parents=True, exist_ok=True)
    with open(state / "renew.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(kcert.LockedError) as info:
            kcert.renew(expired_kubeadm)
    assert info.value.code == 14 and "another renewal" in str(info.value)


def test_bad_options_raise(expired_kubeadm: Path):
    with pytest.raises(kcert.InvalidArgumentError):
        kcert.renew(expired_kubeadm, expiring_within="soon")
    with pytest.raises(kcert.InvalidArgumentError):
        kcert.renew(expired_kubeadm, days=0)
    with pytest.raises(kcert.IoError):
        kcert.renew(expired_kubeadm / "missing")
    with pytest.raises(kcert.KcertError):
        kcert.rollback(expired_kubeadm / "no-manifest.json")


def test_thread_count_changes_nothing_but_serials(expired_kubeadm: Path):
    one = kcert.renew(expired_kubeadm, dry_run=True, threads=1)
    many = kcert.renew(expired_kubeadm, dry_run=True, threads=3)
    assert [r.name for r in one.renewed] == [r.name for r in many.renewed]
    assert {r.new_serial for r in one.renewed}.isdisjoint({r.new_serial for r in many.renewed})
    scanned = [[(e.name, e.status, e.ca_name) for e in kcert.scan(expired_kubeadm, threads=n)]
               for n in (1, 2)]
    assert scanned[0] == scanned[1] and len(scanned[0]) > 10
    with pytest.raises((TypeError, OverflowError)):
        kcert.renew(expired_kubeadm, dry_run=True, threads=-1)


def test_k3s_dynamic_cert_is_listed_and_renewed_in_its_json_secret(tmp_path: Path):
    build_tree(tmp_path, "k3s", expired=True, reuse_leaf_keys=True)
    path = tmp_path / "var/lib/rancher/k3s/server/tls/dynamic-cert.json"
    entry = kcert.scan(tmp_path)["dynamic-cert"]
    assert entry.storage == "secret-json"
    assert entry.status == "expired"
    before = json.loads(path.read_text())
    report = kcert.renew(tmp_path, only="dynamic-cert")
    assert [r.name for r in report.renewed] == ["dynamic-cert"]
    assert any("kubectl -n kube-system delete secret k3s-serving" in w for w in report.warnings)
    after = json.loads(path.read_text())
    chain = x509.load_pem_x509_certificates(base64.b64decode(after["data"]["tls.crt"]))
    ca = x509.load_pem_x509_certificate((path.parent / "server-ca.crt").read_bytes())
    chain[0].verify_directly_issued_by(ca)
    assert chain[0].not_valid_after_utc > datetime.now(UTC)
    fingerprint = chain[0].fingerprint(hashes.SHA1())
    assert after["metadata"]["annotations"]["listener.cattle.io/fingerprint"] == "SHA1=" + fingerprint.hex().upper()
    for secret in (before, after):
        secret["data"]["tls.crt"] = ""
        secret["metadata"]["annotations"]["listener.cattle.io/fingerprint"] = ""
    assert after == before


def test_rke1_state_is_renewed_with_the_node(tmp_path: Path):
    build_tree(tmp_path, "rke1", expired=True, etcd_hosts=1, reuse_leaf_keys=True)
    found = tmp_path / "root/cluster.rkestate"
    named = tmp_path / "srv/prod.rkestate"
    named.parent.mkdir()
    found.rename(named)
    report = kcert.renew(tmp_path, dry_run=True)
    assert any("rke up" in w for w in report.warnings)
    report = kcert.renew(tmp_path, rke_state=named)
    assert "srv/prod.rkestate:kube-apiserver" in [r.name for r in report.renewed]
    state = json.loads(named.read_text())
    node = (tmp_path / "etc/kubernetes/ssl/kube-apiserver.pem").read_text()
    for which in ("desiredState", "currentState"):
        assert state[which]["certificatesBundle"]["kube-apiserver"]["certificatePEM"] == node
    with pytest.raises(kcert.InvalidArgumentError):
        kcert.renew(tmp_path, rke_state=tmp_path.parent / "elsewhere.rkestate")
