"""kcert.scan over trees built by the core's fixture builder and by the openssl CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509

import kcert

from conftest import REPO, build_tree

UTC = timezone.utc


@pytest.fixture(scope="module")
def kubeadm_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("kubeadm")
    summary = build_tree(root, "kubeadm", expired=True)
    return root, summary


def test_scan_finds_every_generated_entry(kubeadm_tree):
    root, summary = kubeadm_tree
    inventory = kcert.scan(root)
    assert inventory.distributions == ["kubeadm"]
    assert inventory.root == str(root.resolve())
    assert len(inventory) == len(inventory.entries)
    names = {e.name for e in inventory}
    assert {e["name"] for e in summary["entries"]} <= names
    for built in summary["entries"]:
        entry = inventory[built["name"]]
        assert entry.kind == built["kind"]
        assert entry.ca_name == built["ca_name"]
        assert entry.certificate is not None
        assert entry.certificate.subject == built["subject"]
        assert entry.not_after == datetime.strptime(built["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert entry.status == ("expired" if built["kind"] == "leaf" else "ok")


def test_entry_fields(kubeadm_tree):
    root, _ = kubeadm_tree
    inventory = kcert.scan(str(root))
    api = inventory["apiserver"]
    assert api.path == str(root.resolve() / "etc/kubernetes/pki/apiserver.crt")
    assert api.key_path == str(root.resolve() / "etc/kubernetes/pki/apiserver.key")
    assert api.storage == "file" and api.kubeconfig_user is None
    assert api.key_matches is True and api.chain_verifies is True and not api.externally_managed
    assert api.restart == ["kube-apiserver"]
    assert api.residual_seconds is not None and api.residual_seconds < 0
    assert api.not_after is not None and api.not_after.utcoffset() == timedelta(0)
    admin = inventory["admin.conf"]
    assert admin.storage == "kubeconfig" and admin.kubeconfig_user == "kubernetes-admin"
    assert inventory.get("no-such-entry") is None and "no-such-entry" not in inventory
    with pytest.raises(KeyError):
        inventory["no-such-entry"]
    assert inventory[0].name == inventory.entries[0].name and inventory[-1].name == inventory.entries[-1].name
    assert {e.name for e in inventory.cas()} == {"ca", "front-proxy-ca", "etcd-ca"}
    assert len(inventory.leaves()) + len(inventory.cas()) == len(inventory)
    assert inventory.any_expired
    assert inventory.scanned_at.utcoffset() == timedelta(0)
    assert "apiserver" in repr(api) and "kubeadm" in repr(inventory)


def test_reports(kubeadm_tree):
    root, _ = kubeadm_tree
    inventory = kcert.scan(root)
    doc = inventory.to_dict()
    assert doc == json.loads(inventory.to_json())
    assert {c["name"] for c in doc["certificateAuthorities"]} == {"ca", "front-proxy-ca", "etcd-ca"}
    by_name = {c["name"]: c for c in doc["certificates"] + doc["certificateAuthorities"]}
    for entry in inventory:
        assert entry.to_dict() == by_name[entry.name]
    assert by_name["apiserver"]["caName"] == "ca" and by_name["apiserver"]["status"] == "expired"
    table = inventory.to_table()
    assert table.startswith("CERTIFICATE ") and "CERTIFICATE AUTHORITY" in table
    prom = inventory.to_prometheus()
    assert "# TYPE x509_cert_not_after gauge" in prom
    assert 'x509_cert_expired{name="apiserver"' in prom


def test_warn_within(tmp_path):
    build_tree(tmp_path, "k3s", expired=False)
    assert {e.status for e in kcert.scan(tmp_path).leaves()} == {"ok"}
    warned = kcert.scan(tmp_path, warn_within=timedelta(days=400))
    assert {e.status for e in warned.leaves()} == {"warning"}
    assert {e.status for e in kcert.scan(tmp_path, warn_within="400d").leaves()} == {"warning"}


@pytest.mark.parametrize("layout", ["kubespray", "rke1", "rke2"])
def test_other_layouts_are_detected(tmp_path, layout):
    build_tree(tmp_path, layout, etcd_hosts=1, reuse_leaf_keys=True)
    inventory = kcert.scan(tmp_path)
    assert layout in inventory.distributions
    assert all(e.distribution in ("kubeadm", "kubespray", "rke1", "rke2", "k3s") for e in inventory)


def test_problems_are_reported_per_entry(tmp_path):
    build_tree(tmp_path, "kubeadm")
    (tmp_path / "etc/kubernetes/pki/front-proxy-ca.key").unlink()
    (tmp_path / "etc/kubernetes/pki/apiserver.crt").write_text("not a certificate\n")
    inventory = kcert.scan(tmp_path)
    assert inventory["apiserver"].status == "error" and inventory["apiserver"].certificate is None
    assert any("apiserver.crt" in p for p in inventory["apiserver"].problems)
    assert inventory["front-proxy-client"].externally_managed


def test_scan_of_openssl_built_tree(tmp_path):
    assert shutil.which("faketime"), "faketime is needed (testing/install-deps.sh installs it)"
    subprocess.run(["bash", str(REPO / "testing/openssl-tree.sh"), str(tmp_path)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    inventory = kcert.scan(tmp_path)
    assert "kubeadm" in inventory.distributions
    apiserver = inventory["apiserver"]
    judged = x509.load_pem_x509_certificate((tmp_path / "etc/kubernetes/pki/apiserver.crt").read_bytes())
    assert apiserver.not_after == judged.not_valid_after_utc
    assert apiserver.status == "expired"


def test_unusable_root_raises(tmp_path):
    with pytest.raises(kcert.IoError):
        kcert.scan(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(kcert.KcertError):
        kcert.scan(tmp_path / "file")


def test_load_certificates_reads_kubeconfigs(kubeadm_tree, tmp_path):
    root, _ = kubeadm_tree
    conf = root / "etc/kubernetes/admin.conf"
    certs = kcert.load_certificates(conf)
    inventory = kcert.scan(root)
    # The user's client certificate first, then the cluster's CA.
    assert [c.subject for c in certs] == [
        inventory["admin.conf"].certificate.subject,
        inventory["ca"].certificate.subject,
    ]
    assert kcert.load_certificates(conf.read_bytes()) == certs
    # A relative reference is resolved against the kubeconfig's directory, `..` included.
    (tmp_path / "conf").mkdir()
    referencing = tmp_path / "conf/ref.conf"
    (tmp_path / "ca.crt").write_bytes(certs[1].to_pem().encode())
    referencing.write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    certificate-authority: ../ca.crt\n"
    )
    assert kcert.load_certificates(referencing) == [certs[1]]
    with pytest.raises(kcert.KubeconfigError, match="relative reference"):
        kcert.load_certificates(referencing.read_bytes())
    broken = tmp_path / "broken.conf"
    broken.write_text("apiVersion: v1\nkind: Config\nusers:\n- name: x\n  user:\n    client-certificate-data: '%%%'\n")
    with pytest.raises(kcert.KubeconfigError):
        kcert.load_certificates(broken)
