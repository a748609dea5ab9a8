"""kcert.PrivateKey: load in every format, generate, match, write back in the format read."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

import kcert

LABELS = {"pkcs1": "RSA PRIVATE KEY", "pkcs8": "PRIVATE KEY", "sec1": "EC PRIVATE KEY"}


@pytest.mark.parametrize("name", ["client.key", "apiproxyclient.key", "etcd.key", "api.key", "century.key", "p384leaf.key", "ca-rsa4096.key"])
def test_load_keeps_format_and_matches_its_certificate(fx, name):
    info = fx.info(name)
    key = kcert.PrivateKey.load(fx.path(name))
    assert key.format == info["key_format"]
    assert key.algorithm.lower().replace("ecdsa-p", "ec-p") == info["key_algorithm"]
    cert = kcert.load_certificates(fx.path(name.replace(".key", ".crt")))[0]
    assert key.matches(cert)
    pem = key.to_pem()
    assert pem.startswith(f"-----BEGIN {LABELS[key.format]}-----")
    theirs = serialization.load_pem_private_key(pem.encode(), password=None)
    original = serialization.load_pem_private_key(fx.path(name).read_bytes(), password=None)
    assert theirs.private_numbers() == original.private_numbers()


def test_load_from_bytes_and_text(fx):
    path = fx.path("etcd.key")
    assert kcert.PrivateKey.load(path.read_bytes()).to_pem() == kcert.PrivateKey.load(path.read_text()).to_pem()
    der = serialization.load_pem_private_key(path.read_bytes(), None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert kcert.PrivateKey.load(der).format == "pkcs8"


def test_key_does_not_match_another_certificate(fx):
    key = kcert.PrivateKey.load(fx.path("bad/wrong_key_for_client.key"))
    assert not key.matches(kcert.load_certificates(fx.path("client.crt"))[0])


@pytest.mark.parametrize("algorithm, fmt", [("RSA-2048", "pkcs1"), ("ECDSA-P256", "sec1"), ("p384", "sec1")])
def test_generate(algorithm, fmt):
    key = kcert.PrivateKey.generate(algorithm)
    assert key.format == fmt
    loaded = serialization.load_pem_private_key(key.to_pem().encode(), password=None)
    assert loaded.key_size in (2048, 256, 384)
    assert "PRIVATE" not in repr(key) and repr(key).startswith("<PrivateKey")


def test_default_generate_is_rsa_2048():
    assert kcert.PrivateKey.generate().algorithm == "RSA-2048"
