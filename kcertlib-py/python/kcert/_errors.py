"""The exceptions kcert raises: one class per core error kind, rooted at :class:`KcertError`.

Every class carries the permanent numeric ``code`` of its kind (the same numbers as the Rust
``ErrorKind`` and the C ``kcert_result``). Errors about unreadable input also derive from
:class:`ValueError`, and I/O errors from :class:`OSError`, so generic handlers keep working.
The native module builds these in exactly one function (``errors.rs``) via :func:`error_class`.
"""

from __future__ import annotations

from typing import Dict, Optional, Type


class KcertError(Exception):
    """Base class of every kcert error.

    ``str(error)`` is the library's message, prefixed by the file and entry it concerns.
    """

    #: The permanent numeric code of the error kind (0 only for this base class).
    code: int = 0
    #: The stable short name of the error kind, e.g. ``"encrypted-key"``.
    kind: str = "error"

    def __init__(
        self,
        message: str,
        *,
        code: Optional[int] = None,
        path: Optional[str] = None,
        entry: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        #: The library's message, with its file/entry prefix.
        self.message: str = message
        #: The file the error is about, if known.
        self.path: Optional[str] = path
        #: The inventory entry (``apiserver``, ``admin.conf``, ...) the error is about, if known.
        self.entry: Optional[str] = entry

    def __str__(self) -> str:
        return self.message


class IoError(KcertError, OSError):
    """Reading or writing a file failed."""

    code = 1
    kind = "io"

    def __init__(
        self,
        message: str,
        *,
        code: Optional[int] = None,
        path: Optional[str] = None,
        entry: Optional[str] = None,
    ) -> None:
        super().__init__(message, code=code, path=path, entry=entry)
        self.filename = path


class PemError(KcertError, ValueError):
    """Input is not valid PEM (no END line, bad base64, no certificate, empty input)."""

    code = 2
    kind = "pem"


class DerError(KcertError, ValueError):
    """DER could not be decoded (truncated, trailing data, wrong structure)."""

    code = 3
    kind = "der"


class InvalidCertificateError(KcertError, ValueError):
    """A certificate decoded but breaks a rule kcert relies on (e.g. a negative serial)."""

    code = 4
    kind = "invalid-certificate"


class InvalidKeyError(KcertError, ValueError):
    """A private key could not be decoded."""

    code = 5
    kind = "invalid-key"


class EncryptedKeyError(KcertError, ValueError):
    """The private key is encrypted; kcert needs it in clear."""

    code = 6
    kind = "encrypted-key"


class UnsupportedAlgorithmError(KcertError, ValueError):
    """The key or signature algorithm is not supported (Ed25519, DSA, P-521, ...)."""

    code = 7
    kind = "unsupported-algorithm"


class KeyMismatchError(KcertError):
    """A private key does not belong to the certificate it was paired with."""

    code = 8
    kind = "key-mismatch"


class VerificationFailedError(KcertError):
    """A signature did not verify, or a chain could not be built."""

    code = 9
    kind = "verification-failed"


class InvalidIssuerError(KcertError):
    """The certificate meant to sign is not usable as a CA."""

    code = 10
    kind = "invalid-issuer"


class ValidityError(KcertError):
    """The requested validity cannot be honoured (e.g. the CA has expired)."""

    code = 11
    kind = "validity"


class KubeconfigError(KcertError, ValueError):
    """A kubeconfig file is malformed or does not hold what it should."""

    code = 12
    kind = "kubeconfig"


class LayoutError(KcertError):
    """A cluster layout entry is missing or inconsistent."""

    code = 13
    kind = "layout"


class LockedError(KcertError):
    """Another renewal holds the lock of this root."""

    code = 14
    kind = "locked"


class TransactionError(KcertError):
    """A renewal transaction failed; everything it replaced was restored."""

    code = 15
    kind = "transaction"


class InvalidArgumentError(KcertError, ValueError):
    """An argument or option is invalid."""

    code = 16
    kind = "invalid-argument"


class CryptoError(KcertError):
    """Signing or key generation failed inside the crypto backend."""

    code = 17
    kind = "crypto"


class PathEscapeError(KcertError):
    """A path resolves outside the root directory being worked on."""

    code = 18
    kind = "path-escape"


class PanicError(KcertError):
    """An internal error (a Rust panic) was caught at the Python boundary."""

    code = 19
    kind = "panic"


class ConflictError(KcertError):
    """A file changed between kcert reading it and replacing it; nothing was replaced."""

    code = 20
    kind = "conflict"


class UntrustedError(KcertError):
    """A file kcert must trust (its lock, journal, manifest, state or backup directory) is a
    symlink, a special file, another user's, or writable by others."""

    code = 21
    kind = "untrusted"


_BY_CODE: Dict[int, Type[KcertError]] = {
    cls.code: cls
    for cls in (
        IoError,
        PemError,
        DerError,
        InvalidCertificateError,
        InvalidKeyError,
        EncryptedKeyError,
        UnsupportedAlgorithmError,
        KeyMismatchError,
        VerificationFailedError,
        InvalidIssuerError,
        ValidityError,
        KubeconfigError,
        LayoutError,
        LockedError,
        TransactionError,
        InvalidArgumentError,
        CryptoError,
        PathEscapeError,
        PanicError,
        ConflictError,
        UntrustedError,
    )
}


# Shown as `kcert.PemError` in tracebacks and reprs: the public name, not the private module.
for _cls in (KcertError, *_BY_CODE.values()):
    _cls.__module__ = "kcert"


def error_class(code: int) -> Type[KcertError]:
    """The exception class for a core error code (:class:`KcertError` for an unknown one)."""
    return _BY_CODE.get(code, KcertError)
