"""kcert.resign and kcert.issue: outputs loaded and verified by Python `cryptography`."""

from __future__ import annotations

import ipaddress
import warnings
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

import kcert

UTC = timezone.utc


def crypto(cert: kcert.Certificate) -> x509.Certificate:
    return x509.load_pem_x509_certificate(cert.to_pem().encode())


def extensions_except(cert: x509.Certificate, *skip) -> dict:
    return {e.oid.dotted_string: (e.critical, e.value.public_bytes()) for e in cert.extensions if e.oid not in skip}


def load_pair(fx, name):
    return kcert.load_certificates(fx.path(name))[0], kcert.PrivateKey.load(fx.path(name.replace(".crt", ".key")))


@pytest.mark.parametrize("leaf", ["client.crt", "apiproxyclient.crt", "etcd.crt", "api.crt", "century.crt", "noski.crt", "exotic.crt", "p384leaf.crt"])
def test_resign_is_faithful_and_verifies(fx, leaf):
    old = kcert.load_certificates(fx.path(leaf))[0]
    ca, ca_key = load_pair(fx, fx.info(leaf)["issuer_file"])
    start = ca.not_before + timedelta(minutes=5)
    before = datetime.now(UTC).replace(microsecond=0)
    new = kcert.resign(old, ca, ca_key, days=30, not_before=start)
    after = datetime.now(UTC)
    theirs, judge_ca, original = crypto(new), crypto(ca), crypto(old)
    theirs.verify_directly_issued_by(judge_ca)
    assert theirs.subject == original.subject
    assert theirs.public_key() == original.public_key()
    assert theirs.serial_number != original.serial_number
    assert extensions_except(theirs, ExtensionOID.AUTHORITY_KEY_IDENTIFIER) == extensions_except(
        original, ExtensionOID.AUTHORITY_KEY_IDENTIFIER
    )
    assert theirs.not_valid_before_utc == start == new.not_before
    assert before + timedelta(days=30) <= theirs.not_valid_after_utc <= after + timedelta(days=30)
    assert new.not_after == theirs.not_valid_after_utc


def test_default_backdate_is_clamped_to_a_fresh_ca_with_a_warning(fx):
    old = kcert.load_certificates(fx.path("client.crt"))[0]
    ca, ca_key = load_pair(fx, "ca-rsa2048.crt")
    with pytest.warns(UserWarning, match="notBefore raised"):
        new = kcert.resign(old, ca, ca_key)
    assert new.not_before == ca.not_before
    assert new.not_after - datetime.now(UTC) > timedelta(days=364)


def test_backdate_ca_uses_the_ca_not_before(fx):
    old = kcert.load_certificates(fx.path("etcd.crt"))[0]
    ca, ca_key = load_pair(fx, "ca-p256.crt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = kcert.resign(old, ca, ca_key, backdate="ca", days=10)
    assert new.not_before == ca.not_before


def test_leaf_cannot_outlive_its_ca(fx):
    old = kcert.load_certificates(fx.path("client.crt"))[0]
    ca, ca_key = load_pair(fx, "ca-rsa2048.crt")
    with pytest.warns(UserWarning, match="notAfter lowered"):
        new = kcert.resign(old, ca, ca_key, days=365 * 50, backdate="ca")
    assert new.not_after == ca.not_after


def test_rotate_key_returns_the_new_key(fx):
    old, old_key = load_pair(fx, "api.crt")
    ca, ca_key = load_pair(fx, "ca-rsa4096.crt")
    new, key = kcert.resign(old, ca, ca_key, rotate_key=True, backdate="ca")
    assert isinstance(new, kcert.Certificate) and isinstance(key, kcert.PrivateKey)
    assert key.matches(new) and not old_key.matches(new)
    assert key.algorithm == old_key.algorithm == "RSA-3072"
    theirs = crypto(new)
    theirs.verify_directly_issued_by(crypto(ca))
    judge_key = serialization.load_pem_private_key(key.to_pem().encode(), password=None)
    assert judge_key.public_key() == theirs.public_key()


def test_self_signed_ca_resigned_by_itself_keeps_name_and_key(fx):
    ca, ca_key = load_pair(fx, "ca-p384.crt")
    new = kcert.resign(ca, ca, ca_key, days=3650, backdate="keep")
    theirs = crypto(new)
    theirs.verify_directly_issued_by(theirs)
    crypto(kcert.load_certificates(fx.path("p384leaf.crt"))[0]).verify_directly_issued_by(theirs)
    assert new.not_before == ca.not_before and new.subject == ca.subject and new.is_ca


@pytest.mark.parametrize("profile", list(kcert.Profile))
def test_issue_each_profile(fx, profile):
    ca, ca_key = load_pair(fx, "ca-p256.crt")
    key = kcert.PrivateKey.generate("ECDSA-P256")
    cert = kcert.issue(
        "CN=system:node:node1,O=system:nodes",
        key,
        ca,
        ca_key,
        profile=profile,
        dns_names=["node1", "node1.cluster.local"],
        ip_addresses=[ipaddress.ip_address("10.0.0.5"), "fd00::5"],
        days=90,
        backdate="ca",
    )
    theirs = crypto(cert)
    theirs.verify_directly_issued_by(crypto(ca))
    assert cert.common_name == "system:node:node1" and cert.organizations == ["system:nodes"]
    assert key.matches(cert)
    assert cert.is_ca == (profile is kcert.Profile.ca)
    if profile in (kcert.Profile.etcd, kcert.Profile.api):
        assert cert.dns_names == ["node1", "node1.cluster.local"]
        assert cert.ip_addresses == [ipaddress.ip_address("10.0.0.5"), ipaddress.ip_address("fd00::5")]
    if profile is kcert.Profile.client:
        assert cert.extended_key_usage == ["clientAuth"]


def test_profile_is_a_string_enum():
    assert kcert.Profile("etcd") is kcert.Profile.etcd
    assert kcert.Profile.apiproxyclient == "apiproxyclient"
    assert [p.value for p in kcert.Profile] == ["client", "apiproxyclient", "etcd", "api", "ca"]


def test_issue_rejects_unknown_profile_and_bad_ip(fx):
    ca, ca_key = load_pair(fx, "ca-p256.crt")
    key = kcert.PrivateKey.generate("p256")
    with pytest.raises(kcert.InvalidArgumentError, match="unknown profile"):
        kcert.issue("CN=x", key, ca, ca_key, profile="server")
    with pytest.raises(kcert.InvalidArgumentError, match="invalid IP address"):
        kcert.issue("CN=x", key, ca, ca_key, profile="api", ip_addresses=["10.0.0.999"])


def test_issuer_checks_once_and_signs_many(fx):
    ca, ca_key = load_pair(fx, "ca-p256.crt")
    issuer = kcert.Issuer(ca, ca_key)
    assert issuer.certificate.to_pem() == ca.to_pem()
    assert "CN=" in repr(issuer)
    old, old_key = load_pair(fx, "etcd.crt")
    judge_ca, original = crypto(ca), crypto(old)
    serials = set()
    for _ in range(3):
        new = issuer.resign(old, days=20, backdate="ca")
        theirs = crypto(new)
        theirs.verify_directly_issued_by(judge_ca)
        assert theirs.subject == original.subject and old_key.matches(new)
        assert extensions_except(theirs, ExtensionOID.AUTHORITY_KEY_IDENTIFIER) == extensions_except(
            original, ExtensionOID.AUTHORITY_KEY_IDENTIFIER
        )
        assert new.not_before == ca.not_before
        serials.add(theirs.serial_number)
    assert len(serials) == 3
    rotated, key = issuer.resign(old, rotate_key=True, backdate="ca")
    assert key.matches(rotated) and not old_key.matches(rotated)
    leaf_key = kcert.PrivateKey.generate("ECDSA-P256")
    issued = issuer.issue("CN=etcd-client", leaf_key, profile="client", backdate="ca")
    crypto(issued).verify_directly_issued_by(judge_ca)
    assert leaf_key.matches(issued) and issued.extended_key_usage == ["clientAuth"]


def test_issuer_refuses_what_resign_refuses(fx):
    ca, ca_key = load_pair(fx, "ca-p256.crt")
    leaf, leaf_key = load_pair(fx, "etcd.crt")
    with pytest.raises(kcert.KeyMismatchError):
        kcert.Issuer(ca, leaf_key)
    with pytest.raises(kcert.InvalidIssuerError):
        kcert.Issuer(leaf, leaf_key)
    nocertsign, its_key = load_pair(fx, "ca-nocertsign.crt")
    with pytest.raises(kcert.InvalidIssuerError, match="keyCertSign"):
        kcert.Issuer(nocertsign, its_key)
    with pytest.raises(TypeError):
        kcert.Issuer(ca, "not a key")
