"""kcert: inspect and faithfully renew the X.509 certificates of Kubernetes clusters.

A thin Python layer over the Rust library kcertlib. See :func:`load_certificates`,
:func:`resign`, :func:`issue`, :class:`Issuer`, :func:`scan`, :func:`renew` and :class:`KcertError`.
"""

from kcert._errors import CryptoError as CryptoError
from kcert._errors import DerError as DerError
from kcert._errors import EncryptedKeyError as EncryptedKeyError
from kcert._errors import InvalidArgumentError as InvalidArgumentError
from kcert._errors import InvalidCertificateError as InvalidCertificateError
from kcert._errors import InvalidIssuerError as InvalidIssuerError
from kcert._errors import InvalidKeyError as InvalidKeyError
from kcert._errors import IoError as IoError
from kcert._errors import KcertError as KcertError
from kcert._errors import KeyMismatchError as KeyMismatchError
from kcert._errors import KubeconfigError as KubeconfigError
from kcert._errors import LayoutError as LayoutError
from kcert._errors import LockedError as LockedError
from kcert._errors import PanicError as PanicError
from kcert._errors import ConflictError as ConflictError
from kcert._errors import UntrustedError as UntrustedError
from kcert._errors import PathEscapeError as PathEscapeError
from kcert._errors import PemError as PemError
from kcert._errors import TransactionError as TransactionError
from kcert._errors import UnsupportedAlgorithmError as UnsupportedAlgorithmError
from kcert._errors import ValidityError as ValidityError
from kcert._errors import VerificationFailedError as VerificationFailedError
from kcert._kcert import Certificate as Certificate
from kcert._kcert import Entry as Entry
from kcert._kcert import Inventory as Inventory
from kcert._kcert import Issuer as Issuer
from kcert._kcert import LiveComponent as LiveComponent
from kcert._kcert import LiveReport as LiveReport
from kcert._kcert import PrivateKey as PrivateKey
from kcert._kcert import RenewalReport as RenewalReport
from kcert._kcert import Renewed as Renewed
from kcert._kcert import RollbackReport as RollbackReport
from kcert._kcert import Skipped as Skipped
from kcert._kcert import check_live as check_live
from kcert._kcert import export_requests as export_requests
from kcert._kcert import install_signed as install_signed
from kcert._kcert import issue as issue
from kcert._kcert import load_certificates as load_certificates
from kcert._kcert import renew as renew
from kcert._kcert import resign as resign
from kcert._kcert import rollback as rollback
from kcert._kcert import scan as scan
from kcert._kcert import sign_requests as sign_requests
from kcert._profile import Profile as Profile

__version__: str
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
