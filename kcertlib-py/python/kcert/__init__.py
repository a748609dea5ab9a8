"""kcert: inspect and faithfully renew the X.509 certificates of Kubernetes clusters.

A thin Python layer over the Rust library kcertlib::

    import kcert

    for cert in kcert.load_certificates("/etc/kubernetes/pki/apiserver.crt"):
        print(cert.subject, cert.not_after, cert.status())

    inventory = kcert.scan("/")                      # kubeadm, kubespray, RKE1, RKE2, k3s
    report = kcert.renew("/", expiring_within="30d")  # a transaction with backups
    print(report.renewed, report.restart)

A node without its CA key is renewed in three steps; only certificates move between machines::

    requests = kcert.export_requests("/")                       # on the node
    signed = kcert.sign_requests("/", requests)                 # where the CA key is
    report = kcert.install_signed("/", signed)                  # on the node again

Errors are :class:`KcertError` subclasses whose ``code`` is the library's permanent error code.
"""

from kcert import _kcert
from kcert._errors import (
    CryptoError,
    DerError,
    EncryptedKeyError,
    InvalidArgumentError,
    InvalidCertificateError,
    InvalidIssuerError,
    InvalidKeyError,
    IoError,
    KcertError,
    KeyMismatchError,
    KubeconfigError,
    LayoutError,
    LockedError,
    PanicError,
    ConflictError,
    UntrustedError,
    PathEscapeError,
    PemError,
    TransactionError,
    UnsupportedAlgorithmError,
    ValidityError,
    VerificationFailedError,
)
from kcert._kcert import (
    Certificate,
    Entry,
    Inventory,
    Issuer,
    LiveComponent,
    LiveReport,
    PrivateKey,
    RenewalReport,
    Renewed,
    RollbackReport,
    Skipped,
    check_live,
    export_requests,
    install_signed,
    issue,
    load_certificates,
    renew,
    resign,
    rollback,
    scan,
    sign_requests,
)
from kcert._profile import Profile

__version__: str = _kcert.__version__

__all__ = [
    "Certificate",
    "CryptoError",
    "DerError",
    "Entry",
    "EncryptedKeyError",
    "InvalidArgumentError",
    "InvalidCertificateError",
    "InvalidIssuerError",
    "InvalidKeyError",
    "Inventory",
    "Issuer",
    "LiveComponent",
    "LiveReport",
    "IoError",
    "KcertError",
    "KeyMismatchError",
    "KubeconfigError",
    "LayoutError",
    "LockedError",
    "PanicError",
    "ConflictError",
    "UntrustedError",
    "PathEscapeError",
    "PemError",
    "PrivateKey",
    "Profile",
    "RenewalReport",
    "Renewed",
    "RollbackReport",
    "Skipped",
    "TransactionError",
    "UnsupportedAlgorithmError",
    "ValidityError",
    "VerificationFailedError",
    "__version__",
    "check_live",
    "export_requests",
    "install_signed",
    "issue",
    "load_certificates",
    "renew",
    "resign",
    "rollback",
    "scan",
    "sign_requests",
]
