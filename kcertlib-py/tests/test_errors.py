"""The exception hierarchy: one class per core error kind, `.code` equal to the core's code,
raised with the library's message on bad input."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import kcert
from kcert import _errors, _kcert


@pytest.fixture
def hooks():
    """The native module's test hooks (`_error_kinds`, `_raise_error`): only in a wheel built with
    the test-hooks feature, as run-python-tests.sh builds it; the shipped wheel has none
    (test_stubs.py checks which build is under test). With KCERT_TEST_HOOKS=0 the tests that
    use this fixture are deselected (conftest.py), so reaching it without hooks is an error."""
    if not hasattr(_kcert, "_raise_error"):
        pytest.fail("the wheel under test has no test hooks (built without the test-hooks feature); "
                    "run with KCERT_TEST_HOOKS=0 to deselect the tests that need them")
    return _kcert


def test_every_core_kind_maps_to_its_own_class(hooks):
    kinds = hooks._error_kinds()
    assert len(kinds) >= 19
    classes = set()
    for code, name in kinds:
        cls = _errors.error_class(code)
        assert cls is not kcert.KcertError, f"no class for code {code} ({name})"
        assert issubclass(cls, kcert.KcertError)
        assert cls.code == code and cls.kind == name
        assert getattr(kcert, cls.__name__) is cls and cls.__name__ in kcert.__all__
        classes.add(cls)
    assert len(classes) == len(kinds)
    # The codes parametrizing the next test: Python's table, proved equal to the core's here.
    assert sorted(_errors._BY_CODE) == sorted(code for code, _ in kinds)


@pytest.mark.parametrize("code", sorted(_errors._BY_CODE))
def test_the_native_conversion_raises_the_class_of_each_code(hooks, code):
    with pytest.raises(kcert.KcertError) as info:
        hooks._raise_error(code, "something specific", "etc/kubernetes/pki/x.crt", "apiserver")
    err = info.value
    assert type(err) is _errors.error_class(code)
    assert err.code == code
    assert err.path == "etc/kubernetes/pki/x.crt" and err.entry == "apiserver"
    assert str(err) == "etc/kubernetes/pki/x.crt: apiserver: something specific"


def test_python_bases_of_parse_and_io_errors():
    for cls in (kcert.PemError, kcert.DerError, kcert.InvalidCertificateError, kcert.InvalidKeyError,
                kcert.EncryptedKeyError, kcert.UnsupportedAlgorithmError, kcert.KubeconfigError,
                kcert.InvalidArgumentError):
        assert issubclass(cls, ValueError), cls
    assert issubclass(kcert.IoError, OSError)
    assert not issubclass(kcert.KeyMismatchError, ValueError)


@pytest.mark.parametrize(
    "name, cls",
    [
        ("bad/empty.pem", kcert.PemError),
        ("bad/pem_no_end.pem", kcert.PemError),
        ("bad/base64_garbage.pem", kcert.PemError),
        ("bad/truncated.der", kcert.DerError),
        ("bad/trailing_data.der", kcert.DerError),
        ("bad/negative_serial.pem", kcert.InvalidCertificateError),
    ],
)
def test_bad_certificates_raise_their_kind(fx, name, cls):
    path = fx.path(name)
    with pytest.raises(cls) as info:
        kcert.load_certificates(path)
    assert info.value.code == cls.code
    assert str(path) in str(info.value) and info.value.path == str(path)
    with pytest.raises(cls):
        kcert.load_certificates(path.read_bytes())


@pytest.mark.parametrize(
    "name, cls",
    [
        ("bad/encrypted_pkcs8.key", kcert.EncryptedKeyError),
        ("bad/encrypted_legacy.key", kcert.EncryptedKeyError),
        ("bad/ed25519.key", kcert.UnsupportedAlgorithmError),
        ("bad/dsa.key", kcert.UnsupportedAlgorithmError),
        ("bad/empty.pem", kcert.PemError),
    ],
)
def test_bad_keys_raise_their_kind(fx, name, cls):
    with pytest.raises(cls) as info:
        kcert.PrivateKey.load(fx.path(name))
    assert info.value.code == cls.code and isinstance(info.value, ValueError)


def test_missing_file_is_an_io_error(fx):
    missing = fx.path("no-such-file.crt")
    with pytest.raises(kcert.IoError) as info:
        kcert.load_certificates(missing)
    assert isinstance(info.value, OSError)
    assert info.value.code == 1 and info.value.path == str(missing)
    assert str(info.value).startswith(f"{missing}: reading failed")


def test_wrong_python_types_are_type_errors(fx):
    with pytest.raises(TypeError):
        kcert.load_certificates(42)  # type: ignore[arg-type]
    cert = kcert.load_certificates(fx.path("client.crt"))[0]
    with pytest.raises(TypeError):
        cert.status(at="yesterday")  # type: ignore[arg-type]


def test_argument_errors_carry_the_library_message(fx):
    cert = kcert.load_certificates(fx.path("client.crt"))[0]
    with pytest.raises(kcert.InvalidArgumentError, match="naive datetime"):
        cert.status(at=datetime(2030, 1, 1))
    with pytest.raises(kcert.InvalidArgumentError, match="invalid duration"):
        cert.status(warn_within="soon")
    with pytest.raises(kcert.UnsupportedAlgorithmError):
        kcert.PrivateKey.generate("ed25519")


def test_signing_errors(fx):
    client = kcert.load_certificates(fx.path("client.crt"))[0]
    ca = kcert.load_certificates(fx.path("ca-rsa2048.crt"))[0]
    other_key = kcert.PrivateKey.load(fx.path("ca-p256.key"))
    with pytest.raises(kcert.KeyMismatchError) as info:
        kcert.resign(client, ca, other_key)
    assert info.value.code == 8
    with pytest.raises(kcert.InvalidIssuerError, match="not a CA"):
        kcert.resign(client, client, kcert.PrivateKey.load(fx.path("client.key")))
    nocertsign = kcert.load_certificates(fx.path("ca-nocertsign.crt"))[0]
    with pytest.raises(kcert.InvalidIssuerError, match="keyCertSign"):
        kcert.resign(client, nocertsign, kcert.PrivateKey.load(fx.path("ca-nocertsign.key")))
    with pytest.raises(kcert.InvalidArgumentError, match="days"):
        kcert.resign(client, ca, kcert.PrivateKey.load(fx.path("ca-rsa2048.key")), days=-1)
    # The core's rules and messages, not the module's own: the day range, the backdate syntax.
    ca_key = kcert.PrivateKey.load(fx.path("ca-rsa2048.key"))
    with pytest.raises(kcert.InvalidArgumentError, match="at least one day"):
        kcert.resign(client, ca, ca_key, days=0)
    with pytest.raises(kcert.InvalidArgumentError, match="1000 years"):
        kcert.resign(client, ca, ca_key, days=365001)
    with pytest.raises(kcert.InvalidArgumentError, match="a notBefore rule is a backdate"):
        kcert.resign(client, ca, ca_key, backdate="whenever")
    with pytest.raises(kcert.InvalidArgumentError, match="1000 years"):
        kcert.resign(client, ca, ca_key, backdate=timedelta(days=365001))
