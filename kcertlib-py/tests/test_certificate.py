"""kcert.load_certificates and kcert.Certificate, judged by Python `cryptography`."""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

import kcert

UTC = timezone.utc


def judge(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificates(path.read_bytes())[0]


@pytest.mark.parametrize("form", ["str-path", "pathlike", "bytes-pem", "str-pem", "der", "bytearray"])
def test_every_input_form_yields_the_same_certificate(fx, form):
    path = fx.path("client.crt")
    data = {
        "str-path": str(path),
        "pathlike": path,
        "bytes-pem": path.read_bytes(),
        "str-pem": path.read_text(),
        "der": judge(path).public_bytes(serialization.Encoding.DER),
        "bytearray": bytearray(path.read_bytes()),
    }[form]
    certs = kcert.load_certificates(data)
    assert len(certs) == 1
    assert certs[0].to_der() == judge(path).public_bytes(serialization.Encoding.DER)


def test_bundle_yields_every_certificate_in_order(fx):
    info = fx.info("bundle_messy.pem")
    certs = kcert.load_certificates(fx.path("bundle_messy.pem"))
    assert [c.subject for c in certs] == info["subjects"]


def test_chain_file_yields_leaf_then_ca(fx):
    certs = kcert.load_certificates(fx.path("chain.crt"))
    assert [c.subject for c in certs] == fx.info("chain.crt")["subjects"]
    assert certs[1] == kcert.load_certificates(fx.path("ca-p256.crt"))[0]


@pytest.mark.parametrize("name", ["client.crt", "api.crt", "etcd.crt", "century.crt", "exotic.crt", "noski.crt", "ca-p384.crt"])
def test_fields_agree_with_cryptography_and_manifest(fx, name):
    info = fx.info(name)
    ours = kcert.load_certificates(fx.path(name))[0]
    theirs = judge(fx.path(name))
    assert ours.subject == info["subject"]
    assert ours.issuer == info["issuer"]
    assert ours.serial_number == info["serial"] == theirs.serial_number
    assert isinstance(ours.serial_number, int)
    for ours_t, theirs_t, text in [
        (ours.not_before, theirs.not_valid_before_utc, info["not_before"]),
        (ours.not_after, theirs.not_valid_after_utc, info["not_after"]),
    ]:
        assert ours_t.tzinfo is not None and ours_t.utcoffset() == timedelta(0)
        assert ours_t == theirs_t
        assert ours_t == datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert ours.fingerprint_sha256 == theirs.fingerprint(hashes.SHA256()).hex(":").upper()
    assert ours.is_ca == (info["role"] == "ca")
    assert ours.public_key_algorithm.lower().replace("ecdsa-p", "ec-p") == info["key_algorithm"]
    assert ours.signature_algorithm == info["signature_algorithm"]
    try:
        san = theirs.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns, ips = san.get_values_for_type(x509.DNSName), san.get_values_for_type(x509.IPAddress)
    except x509.ExtensionNotFound:
        dns, ips = [], []
    assert ours.dns_names == dns
    assert ours.ip_addresses == ips
    assert all(isinstance(ip, (ipaddress.IPv4Address, ipaddress.IPv6Address)) for ip in ours.ip_addresses)
    try:
        eku = theirs.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert ours.extended_key_usage == [o._name for o in eku]
    except x509.ExtensionNotFound:
        assert ours.extended_key_usage is None


def test_century_certificate_reads_generalized_time(fx):
    cert = kcert.load_certificates(fx.path("century.crt"))[0]
    assert cert.not_after.year == 2126
    assert cert.not_after == judge(fx.path("century.crt")).not_valid_after_utc


def test_key_usage_names(fx):
    ca = kcert.load_certificates(fx.path("ca-rsa2048.crt"))[0]
    assert ca.key_usage is not None and {"keyCertSign", "cRLSign"} <= set(ca.key_usage)
    client = kcert.load_certificates(fx.path("client.crt"))[0]
    assert client.key_usage == ["digitalSignature", "keyEncipherment"]
    assert client.extended_key_usage == ["clientAuth"]
    assert client.common_name == "kubernetes-admin"
    assert client.organizations == ["kubeadm:cluster-admins"]


def test_status_at_times_and_windows(fx):
    cert = kcert.load_certificates(fx.path("client.crt"))[0]
    assert cert.status(at=cert.not_before - timedelta(seconds=1)) == "not-yet-valid"
    assert cert.status(at=cert.not_after + timedelta(seconds=1)) == "expired"
    middle = cert.not_after - timedelta(days=100)
    assert cert.status(at=middle) == "ok"
    assert cert.status(at=middle, warn_within=timedelta(days=101)) == "warning"
    assert cert.status(at=middle, warn_within="101d") == "warning"
    assert cert.status() == "ok"
    # an aware time in another zone means the same instant
    plus_two = timezone(timedelta(hours=2))
    assert cert.status(at=(cert.not_after + timedelta(seconds=1)).astimezone(plus_two)) == "expired"


def test_pem_and_der_round_trip_byte_exact(fx):
    path = fx.path("exotic.crt")
    cert = kcert.load_certificates(path)[0]
    assert cert.to_der() == judge(path).public_bytes(serialization.Encoding.DER)
    assert kcert.load_certificates(cert.to_pem())[0] == cert
    assert kcert.load_certificates(cert.to_der())[0] == cert


def test_to_dict_is_json_safe_and_complete(fx):
    cert = kcert.load_certificates(fx.path("api.crt"))[0]
    d = cert.to_dict()
    again = json.loads(json.dumps(d))
    assert again == d
    assert d["subject"] == cert.subject
    assert int(d["serial"], 16) == cert.serial_number
    assert d["notAfter"] == cert.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert d["dnsNames"] == cert.dns_names
    assert d["ipAddresses"] == [str(ip) for ip in cert.ip_addresses]
    assert d["status"] == cert.status()


def test_equality_and_hash_follow_der(fx):
    a = kcert.load_certificates(fx.path("client.crt"))[0]
    b = kcert.load_certificates(fx.path("client.crt").read_bytes())[0]
    c = kcert.load_certificates(fx.path("api.crt"))[0]
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2
    assert a != "not a certificate"
    assert "CN=kubernetes-admin" in repr(a) and "not_after=" in repr(a)


def test_certificates_are_frozen(fx):
    cert = kcert.load_certificates(fx.path("client.crt"))[0]
    with pytest.raises(AttributeError):
        cert.subject = "CN=evil"  # type: ignore[misc]
    with pytest.raises(TypeError):
        kcert.Certificate()  # type: ignore[call-arg]
