"""The native half of the ``kcert`` package (built from ``kcertlib-py`` with pyo3).

Import :mod:`kcert` instead: it re-exports every public name defined here. Errors raised here
are the classes of :mod:`kcert._errors`; bulk work (bundle parsing, scan, renew, key
generation) runs with the GIL released.
"""

import ipaddress
import os
from datetime import datetime, timedelta
from typing import (
    Any,
    Dict,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    final,
    overload,
)

from kcert._profile import Profile

__version__: str
__all__ = [
    "__version__",
    "Certificate",
    "PrivateKey",
    "load_certificates",
    "Issuer",
    "resign",
    "issue",
    "Inventory",
    "Entry",
    "scan",
    "LiveReport",
    "LiveComponent",
    "check_live",
    "RenewalReport",
    "Renewed",
    "Skipped",
    "RollbackReport",
    "renew",
    "rollback",
    "export_requests",
    "sign_requests",
    "install_signed",
]

#: What ``load_certificates`` and ``PrivateKey.load`` accept: bytes (PEM or DER), ``str``
#: (PEM text when it holds a ``-----BEGIN`` line, else a path) or a path-like object.
_DataOrPath = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]"]
#: A duration: a ``timedelta`` or text such as ``"30d"``, ``"12h"``, ``"1d12h"``.
_Duration = Union[timedelta, str]
_IpAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
_Status = Literal["ok", "warning", "expired", "not-yet-valid"]
_EntryStatus = Literal["ok", "warning", "expired", "not-yet-valid", "missing", "error"]

@final
class Certificate:
    """An X.509 certificate, parsed once and immutable.

    Equality and hashing follow the DER bytes. Obtain instances from :func:`load_certificates`,
    :func:`resign`, :func:`issue` or :attr:`Entry.certificate`.
    """

    @property
    def subject(self) -> str:
        """The subject as an RFC 4514 string, e.g. ``CN=kube-apiserver``."""
    @property
    def issuer(self) -> str:
        """The issuer as an RFC 4514 string."""
    @property
    def common_name(self) -> Optional[str]:
        """The subject's common name, or ``None``."""
    @property
    def organizations(self) -> List[str]:
        """The subject's organizations (Kubernetes groups), in encoding order."""
    @property
    def serial_number(self) -> int:
        """The serial number (always non-negative)."""
    @property
    def not_before(self) -> datetime:
        """``notBefore`` as an aware UTC datetime."""
    @property
    def not_after(self) -> datetime:
        """``notAfter`` as an aware UTC datetime."""
    @property
    def dns_names(self) -> List[str]:
        """DNS names of the subjectAltName extension (empty when absent)."""
    @property
    def ip_addresses(self) -> List[_IpAddress]:
        """IP addresses of the subjectAltName extension, as :mod:`ipaddress` objects."""
    @property
    def key_usage(self) -> Optional[List[str]]:
        """keyUsage bits by RFC 5280 name (``digitalSignature``, ``keyCertSign``, ...), or
        ``None`` when the extension is absent."""
    @property
    def extended_key_usage(self) -> Optional[List[str]]:
        """extendedKeyUsage purposes (``serverAuth``, ``clientAuth``, or a dotted OID), or
        ``None`` when the extension is absent."""
    @property
    def is_ca(self) -> bool:
        """Whether basicConstraints says CA:TRUE."""
    @property
    def fingerprint_sha256(self) -> str:
        """SHA-256 of the DER as colon-separated uppercase hex, as ``openssl x509
        -fingerprint -sha256`` prints it."""
    @property
    def public_key_algorithm(self) -> str:
        """The subject key's algorithm and size: ``RSA-2048``, ``ECDSA-P256``, ..."""
    @property
    def signature_algorithm(self) -> str:
        """The issuer's signature algorithm, e.g. ``sha256WithRSAEncryption``."""
    def status(
        self, at: Optional[datetime] = None, warn_within: Optional[_Duration] = None
    ) -> _Status:
        """The validity status at ``at`` (an aware datetime; default now): ``"warning"`` when
        ``notAfter`` falls within ``warn_within`` (default 30 days).

        Raises :class:`kcert.InvalidArgumentError` for a naive datetime or a bad duration.
        """
    def to_pem(self) -> str:
        """The certificate as PEM text."""
    def to_der(self) -> bytes:
        """The DER bytes, exactly as read or signed."""
    def to_dict(self) -> Dict[str, Any]:
        """A JSON-safe summary (camelCase keys, RFC 3339 times, hex serial): the same object
        ``kcert inspect --json`` and the C library print."""
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class PrivateKey:
    """A private key: RSA (2048-8192 bits) or ECDSA P-256/P-384. Immutable; never printed."""

    @staticmethod
    def load(data: _DataOrPath) -> PrivateKey:
        """Reads a key from PEM or DER bytes, PEM text or a file path (PKCS#1, PKCS#8, SEC1).

        Raises :class:`kcert.EncryptedKeyError`, :class:`kcert.UnsupportedAlgorithmError`,
        :class:`kcert.InvalidKeyError`, :class:`kcert.PemError` or :class:`kcert.IoError`.
        """
    @staticmethod
    def generate(algorithm: str = "RSA-2048") -> PrivateKey:
        """Generates a key: ``RSA-2048``, ``RSA-3072``, ``RSA-4096``, ``ECDSA-P256`` or
        ``ECDSA-P384`` (written as PKCS#1 or SEC1, as kubeadm does)."""
    def matches(self, cert: Certificate) -> bool:
        """Whether this key is the private half of ``cert``'s public key."""
    def to_pem(self) -> str:
        """PEM text in the format the key was read in."""
    @property
    def algorithm(self) -> str:
        """``RSA-2048``, ``ECDSA-P256``, ..."""
    @property
    def format(self) -> Literal["pkcs1", "pkcs8", "sec1"]:
        """The encoding :meth:`to_pem` writes."""

def load_certificates(data: _DataOrPath) -> List[Certificate]:
    """Every certificate in ``data``: a PEM bundle (kubelet's cert + key pem included; keys are
    skipped), one DER certificate, a kubeconfig (its users' client certificates, then its
    clusters' CAs, embedded or referenced), or the path of a file holding any of these.

    A kubeconfig's relative file references are resolved against the kubeconfig's directory,
    so they can be followed only when ``data`` is a path; given as bytes, a kubeconfig with a
    relative reference raises :class:`kcert.KubeconfigError`.

    Runs with the GIL released. Raises :class:`kcert.PemError`, :class:`kcert.DerError`,
    :class:`kcert.InvalidCertificateError`, :class:`kcert.KubeconfigError` or
    :class:`kcert.IoError`; ``TypeError`` for other argument types.
    """

@overload
def resign(
    cert: Certificate,
    ca_cert: Certificate,
    ca_key: PrivateKey,
    *,
    days: int = 365,
    backdate: Optional[_Duration] = None,
    not_before: Optional[datetime] = None,
    rotate_key: Literal[False] = False,
) -> Certificate:
    """Re-signs ``cert`` with the CA, changing only serial, validity, issuer, authority key
    identifier and signature algorithm; subject, public key and every other extension stay
    byte-identical.

    ``days`` of lifetime from now; ``not_before`` (an aware datetime) or ``backdate``: a
    duration before now (default one hour), ``"ca"`` for the CA's own notBefore, ``"keep"``
    for the certificate's current one, or an RFC 3339 UTC time (text is read by the same
    parser as ``kcert renew --backdate``). ``days`` is 1 to 365000. The window is kept inside the CA's, with a
    :class:`UserWarning` saying what was adjusted. With ``rotate_key=True`` a new key of the
    same algorithm replaces the old one and ``(certificate, new_key)`` is returned.
    """

@overload
def resign(
    cert: Certificate,
    ca_cert: Certificate,
    ca_key: PrivateKey,
    *,
    days: int = 365,
    backdate: Optional[_Duration] = None,
    not_before: Optional[datetime] = None,
    rotate_key: Literal[True],
) -> Tuple[Certificate, PrivateKey]:
    """As above, with ``rotate_key=True``: returns ``(certificate, new_key)``."""

def issue(
    subject: str,
    key: PrivateKey,
    ca_cert: Certificate,
    ca_key: PrivateKey,
    *,
    profile: Union[Profile, str] = "client",
    dns_names: Optional[Sequence[str]] = None,
    ip_addresses: Optional[Sequence[Union[_IpAddress, str]]] = None,
    days: int = 365,
    backdate: Optional[_Duration] = None,
    not_before: Optional[datetime] = None,
) -> Certificate:
    """Issues a new certificate for ``key``'s public half, signed by the CA, with the
    extensions of ``profile`` (``client``, ``apiproxyclient``, ``etcd``, ``api``, ``ca``).

    ``subject`` is RFC 4514 text such as ``CN=system:node:node1,O=system:nodes``; SANs are
    used by the ``etcd`` and ``api`` profiles. Validity keywords as for :func:`resign`.
    """

@final
class Issuer:
    """A CA certificate and its key, checked once (a CA whose keyUsage allows keyCertSign, the
    key its own) and then used for any number of certificates. :func:`resign` and
    :func:`issue` make that check on every call; an ``Issuer`` makes it once, which is what
    re-signing many leaves with one CA wants. Immutable and safe to share between threads.

    Raises :class:`kcert.InvalidIssuerError` or :class:`kcert.KeyMismatchError`.
    """

    def __new__(cls, ca_cert: Certificate, ca_key: PrivateKey) -> Issuer: ...
    @property
    def certificate(self) -> Certificate:
        """The CA certificate."""
    @overload
    def resign(
        self,
        cert: Certificate,
        *,
        days: int = 365,
        backdate: Optional[_Duration] = None,
        not_before: Optional[datetime] = None,
        rotate_key: Literal[False] = False,
    ) -> Certificate:
        """Re-signs ``cert`` with this CA, as :func:`resign` does."""
    @overload
    def resign(
        self,
        cert: Certificate,
        *,
        days: int = 365,
        backdate: Optional[_Duration] = None,
        not_before: Optional[datetime] = None,
        rotate_key: Literal[True],
    ) -> Tuple[Certificate, PrivateKey]:
        """As above, with ``rotate_key=True``: returns ``(certificate, new_key)``."""
    def issue(
        self,
        subject: str,
        key: PrivateKey,
        *,
        profile: Union[Profile, str] = "client",
        dns_names: Optional[Sequence[str]] = None,
        ip_addresses: Optional[Sequence[Union[_IpAddress, str]]] = None,
        days: int = 365,
        backdate: Optional[_Duration] = None,
        not_before: Optional[datetime] = None,
    ) -> Certificate:
        """Issues a new certificate for ``key``, signed by this CA, as :func:`issue` does."""

@final
class Entry:
    """One certificate of a node, as its distribution names it (see :func:`scan`)."""

    @property
    def name(self) -> str:
        """Unique in the inventory: kubeadm's ``apiserver``, ``admin.conf``, ``ca``; RKE1's
        ``kube-apiserver``; kubespray's ``etcd-member-node1``; k3s/RKE2 file names."""
    @property
    def distribution(self) -> Literal["kubeadm", "kubespray", "rke1", "rke2", "k3s"]:
        """The distribution whose layout holds it."""
    @property
    def kind(self) -> Literal["leaf", "ca"]:
        """Leaf or certificate authority."""
    @property
    def path(self) -> str:
        """The file holding the certificate (the kubeconfig for embedded data)."""
    @property
    def storage(self) -> Literal["file", "kubeconfig", "combined", "secret-json", "rke-state"]:
        """A PEM file, kubeconfig-embedded data, a combined cert+key file, a JSON TLS Secret, or an RKE1 state bundle entry."""
    @property
    def kubeconfig_user(self) -> Optional[str]:
        """The kubeconfig user holding the certificate, for embedded data."""
    @property
    def key_path(self) -> Optional[str]:
        """The file holding the private key, when the node has it."""
    @property
    def ca_name(self) -> Optional[str]:
        """The name of the CA entry that signed it."""
    @property
    def certificate(self) -> Optional[Certificate]:
        """The certificate; ``None`` when missing or unreadable."""
    @property
    def status(self) -> _EntryStatus:
        """The state at scan time."""
    @property
    def not_after(self) -> Optional[datetime]:
        """``notAfter`` as an aware UTC datetime; ``None`` without a certificate."""
    @property
    def residual_seconds(self) -> Optional[int]:
        """Seconds from scan time to ``notAfter`` (negative once expired)."""
    @property
    def externally_managed(self) -> bool:
        """The CA key is absent, so the entry cannot be renewed on this node."""
    @property
    def key_matches(self) -> Optional[bool]:
        """Whether the key matches the certificate (``None`` when either is absent)."""
    @property
    def chain_verifies(self) -> Optional[bool]:
        """Whether the signature verifies against its CA on disk (``None`` without a CA)."""
    @property
    def restart(self) -> List[str]:
        """Components to restart after this certificate changes (``kube-apiserver``, ...)."""
    @property
    def problems(self) -> List[str]:
        """Human-readable problems, each naming its file."""
    @property
    def copy_of(self) -> Optional[str]:
        """The entry holding the very same certificate elsewhere, when this one is a copy."""
    def to_dict(self) -> Dict[str, Any]:
        """This entry as an item of :meth:`Inventory.to_dict` (kubeadm's field names plus
        kcert's)."""

@final
class Inventory:
    """Every certificate found under a root; iterating yields :class:`Entry` objects, and
    ``inventory["apiserver"]`` looks one up by name."""

    @property
    def root(self) -> str:
        """The scanned root, canonical."""
    @property
    def distributions(self) -> List[str]:
        """The distributions detected (``kubeadm``, ``kubespray``, ``rke1``, ``rke2``, ``k3s``)."""
    @property
    def scanned_at(self) -> datetime:
        """The time the statuses refer to (aware UTC)."""
    @property
    def entries(self) -> List[Entry]:
        """Every entry, in the order the layouts list them."""
    @property
    def any_expired(self) -> bool:
        """Whether any entry has expired."""
    def leaves(self) -> List[Entry]:
        """The leaf entries."""
    def cas(self) -> List[Entry]:
        """The CA entries."""
    def get(self, name: str) -> Optional[Entry]:
        """The entry called ``name``, or ``None``."""
    def to_table(self) -> str:
        """kubeadm's ``certs check-expiration`` table, with a STATUS column."""
    def to_json(self) -> str:
        """kubeadm's ``check-expiration -o json`` document (``certificates``,
        ``certificateAuthorities``), extended with kcert's fields."""
    def to_dict(self) -> Dict[str, Any]:
        """:meth:`to_json` as a dict (JSON-safe)."""
    def to_prometheus(self) -> str:
        """Prometheus text-file lines (``x509_cert_not_after``, ``x509_cert_expired``, ...)."""
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Entry]: ...
    def __contains__(self, name: str, /) -> bool: ...
    def __getitem__(self, key: Union[str, int], /) -> Entry: ...

def scan(
    root: Union[str, "os.PathLike[str]", None] = None,
    *,
    warn_within: Optional[_Duration] = None,
    threads: int = 0,
) -> Inventory:
    """Scans ``root`` (default ``/``) for the certificates of every distribution detected
    there (kubeadm, kubespray, RKE1, RKE2, k3s); ``warn_within`` (default 30 days) sets the
    ``warning`` window; ``threads`` (default 0: one per core) the threads that check entries.

    Runs with the GIL released. Fails (:class:`kcert.IoError`,
    :class:`kcert.InvalidArgumentError`) only when ``root`` itself is unusable; per-file
    problems are reported in the entries.
    """

@final
class LiveComponent:
    """What one component of the node serves on loopback, judged against the disk."""

    @property
    def component(self) -> str:
        """``kube-apiserver``, ``etcd``, ``etcd-peer``, ``kubelet``,
        ``kube-controller-manager``, ``kube-scheduler`` or ``supervisor``."""
    @property
    def port(self) -> int:
        """The port dialled."""
    @property
    def address(self) -> str:
        """The loopback address that answered, or was tried first (``127.0.0.1:6443``)."""
    @property
    def state(self) -> str:
        """``current`` (the certificate on disk), ``outdated`` (an older one: restart the
        component), ``unmatched`` (a certificate of its own), ``not-running`` or
        ``no-certificate``."""
    @property
    def matched_by(self) -> Optional[str]:
        """``certificate``, ``public-key`` or ``subject-and-issuer``; ``None`` when nothing on
        disk matched."""
    @property
    def entry(self) -> Optional[str]:
        """The inventory entry the served certificate was tied to."""
    @property
    def served(self) -> Optional[Certificate]:
        """The certificate served, when one was read."""
    @property
    def on_disk(self) -> Optional[Certificate]:
        """The tied entry's certificate on disk."""
    @property
    def detail(self) -> str:
        """What was seen, in words."""

@final
class LiveReport:
    """What every component of a node serves (:func:`check_live`)."""

    @property
    def root(self) -> str:
        """The scanned root, canonical."""
    @property
    def checked_at(self) -> datetime:
        """When the check ran (aware, UTC)."""
    @property
    def components(self) -> List[LiveComponent]:
        """One result per component, in a fixed order."""
    @property
    def any_outdated(self) -> bool:
        """Whether any component serves an older certificate than the one on disk."""
    @property
    def outdated(self) -> List[str]:
        """The components that serve an older certificate (restart them)."""
    def to_table(self) -> str:
        """One line per component, then the details."""
    def to_json(self) -> str:
        """The report as JSON (camelCase keys), as ``kcert check --live -o json``."""
    def to_dict(self) -> Dict[str, Any]:
        """:meth:`to_json` as a dict (JSON-safe)."""
    def to_prometheus(self) -> str:
        """Prometheus text-file lines (``kcert_live_state``, ``kcert_live_outdated``, ...)."""

def check_live(
    root: Union[str, "os.PathLike[str]", None] = None,
    *,
    ports: Optional[Mapping[str, int]] = None,
    timeout: Union[float, _Duration, None] = None,
    warn_within: Optional[_Duration] = None,
) -> LiveReport:
    """Scans ``root`` (default ``/``) and dials each component of its layout on 127.0.0.1 (or
    ::1) only - never an address from the tree - reading the certificate it serves: after a
    renewal and the restarts, proof that each serves the certificate on disk.

    ``ports`` maps component names (see :attr:`LiveComponent.component`) to ports that replace
    the layout's defaults (kube-apiserver 6443, etcd 2379, etcd-peer 2380, kubelet 10250,
    kube-controller-manager 10257, kube-scheduler 10259, RKE2 supervisor 9345; k3s: supervisor
    6443, kube-apiserver 6444); a component named there is dialled even when the layout lacks
    it. ``timeout`` (seconds, a ``timedelta`` or ``"5s"``; default 5 s) bounds each dial; they
    run in parallel. Runs with the GIL released.

    Raises :class:`kcert.InvalidArgumentError` for an unknown component or a bad port or
    timeout, and what :func:`scan` raises for an unusable ``root``. A component that is not
    running is reported, not raised.
    """

@final
class Renewed:
    """One certificate renewed (in a dry run: that would be, with the values it would get)."""

    @property
    def name(self) -> str:
        """The inventory name."""
    @property
    def paths(self) -> List[str]:
        """The files written for it (certificate, key when rotated, copies)."""
    @property
    def old_serial(self) -> str:
        """Serial before, lower-case hex."""
    @property
    def new_serial(self) -> str:
        """Serial after, lower-case hex."""
    @property
    def old_not_before(self) -> datetime:
        """``notBefore`` before (aware UTC)."""
    @property
    def old_not_after(self) -> datetime:
        """``notAfter`` before (aware UTC)."""
    @property
    def new_not_before(self) -> datetime:
        """``notBefore`` after (aware UTC)."""
    @property
    def new_not_after(self) -> datetime:
        """``notAfter`` after (aware UTC)."""
    @property
    def key_rotated(self) -> bool:
        """Whether a new key was written."""
    def to_dict(self) -> Dict[str, Any]:
        """This item as in ``RenewalReport.to_dict()["renewed"]`` (camelCase, RFC 3339)."""

@final
class Skipped:
    """An entry a renewal left alone, and why."""

    @property
    def name(self) -> str:
        """The inventory name."""
    @property
    def reason(self) -> str:
        """Why: CA key not on this node, key not matching its certificate, self-signed, ..."""
    def to_dict(self) -> Dict[str, Any]:
        """This item as in ``RenewalReport.to_dict()["skipped"]``."""

@final
class RenewalReport:
    """What :func:`renew` did (or, in a dry run, would do)."""

    @property
    def dry_run(self) -> bool:
        """Nothing was written because a dry run was asked for."""
    @property
    def changed(self) -> bool:
        """Files were changed."""
    @property
    def renewed(self) -> List[Renewed]:
        """Every certificate renewed (in a dry run: that would be)."""
    @property
    def skipped(self) -> List[Skipped]:
        """Entries that were selected but could not be renewed, with reasons."""
    @property
    def backups(self) -> List[str]:
        """The backup copies written."""
    @property
    def manifest(self) -> Optional[str]:
        """The manifest to pass to :func:`rollback`, when files were changed."""
    @property
    def restart(self) -> List[str]:
        """Components to restart (``kube-apiserver``, ``etcd``, ``kubelet``, ...)."""
    @property
    def warnings(self) -> List[str]:
        """Things to know: validity clamped to a CA, an interrupted renewal rolled back, ..."""
    def to_json(self) -> str:
        """The report as JSON (camelCase keys, RFC 3339 times)."""
    def to_dict(self) -> Dict[str, Any]:
        """:meth:`to_json` as a dict (JSON-safe)."""

@final
class RollbackReport:
    """What :func:`rollback` restored."""

    @property
    def restored(self) -> List[str]:
        """Paths put back (or removed, when the renewal had created them)."""
    @property
    def warnings(self) -> List[str]:
        """Things to know (an interrupted renewal rolled back first, ...)."""
    @property
    def manifest(self) -> Optional[str]:
        """The rollback's own manifest (a rollback is a transaction too), or ``None`` when
        there was nothing to restore."""
    def to_json(self) -> str:
        """The report as JSON."""
    def to_dict(self) -> Dict[str, Any]:
        """:meth:`to_json` as a dict."""

def renew(
    root: Union[str, "os.PathLike[str]", None] = None,
    *,
    days: int = 365,
    backdate: Optional[_Duration] = None,
    only: Union[str, Sequence[str], None] = None,
    expiring_within: Optional[_Duration] = None,
    rotate_keys: bool = False,
    include_ca: bool = False,
    dry_run: bool = False,
    backup_dir: Union[str, "os.PathLike[str]", None] = None,
    warn_within: Optional[_Duration] = None,
    threads: int = 0,
    add_sans: Union[str, Sequence[str], None] = None,
    user_kubeconfigs: bool = True,
    rke_state: Union[str, "os.PathLike[str]", None] = None,
) -> RenewalReport:
    """Renews the certificates under ``root`` (default ``/``) as one transaction: every leaf,
    the entries named in ``only``, or those expiring within ``expiring_within`` (e.g.
    ``"30d"``; expired ones included).

    Keys are kept unless ``rotate_keys``; CAs are renewed (with their own key) only with
    ``include_ca``. ``days`` and ``backdate`` as for :func:`resign` (``backdate="ca"`` uses each
    CA's notBefore). Originals are backed up (default ``<root>/var/lib/kcert/backups/<time>``)
    with a manifest for :func:`rollback`; on any failure every original is restored. With
    ``dry_run`` nothing is written. ``threads`` (default 0: one per core) sign in parallel.
    ``add_sans`` (e.g. ``"DNS:lb.example.com,IP:10.0.0.10"``, or a list of such) adds subject
    alternative names to what is renewed (names already there are not repeated); only serving
    certificates take them, so name those in ``only``. ``user_kubeconfigs`` (default on) also
    refreshes users' copies of the node's credentials in ``root/.kube`` and ``home/*/.kube``
    (and RKE1's ``kube_config_<cluster>.yml`` beside the cluster state).
    ``rke_state`` names RKE1's ``cluster.rkestate`` (a path under ``root``; relative paths are
    taken from ``root``): the node's renewed certificates are renewed in it too, so a later
    ``rke up`` does not restore the old ones, and so is its ``kube-admin`` with the kubeconfigs
    that embed it; by default it is looked for under ``root`` and
    :attr:`RenewalReport.warnings` says when none holds them.
    Runs with the GIL released.

    Raises :class:`kcert.LockedError` when another renewal holds the root,
    :class:`kcert.TransactionError` when writing failed (originals restored),
    :class:`kcert.InvalidArgumentError` for an unknown name in ``only`` or a bad option.
    Entries that cannot be renewed are reported in :attr:`RenewalReport.skipped`.
    """

def rollback(
    manifest: Union[str, "os.PathLike[str]"],
    *,
    root: Optional[Union[str, "os.PathLike[str]"]] = None,
) -> RollbackReport:
    """Restores the files a renewal replaced, from its manifest (:attr:`RenewalReport.manifest`),
    as one transaction: every file or none. ``root`` names the renewed tree when the manifest is
    outside its default place (a renewal made with ``backup_dir``). Raises
    :class:`ConflictError` when a file changed since the renewal (nothing is restored then).
    Runs with the GIL released."""

def export_requests(
    root: Union[str, "os.PathLike[str]"],
    *,
    only: Union[str, Sequence[str], None] = None,
    expiring_within: Optional[_Duration] = None,
    csr: bool = False,
    at: Optional[datetime] = None,
    threads: int = 0,
) -> str:
    """Step 1 of renewing a node that does not hold its CA key, run on the node: the JSON text
    of a request set, one request per entry that needs renewal and whose CA key is not under
    ``root`` (its name, certificate, CA identity, layout and path). Certificates only: no key
    material is ever written into it. ``only`` and ``expiring_within`` select as for
    :func:`renew`; ``csr`` adds a PKCS#10 request per entry signed by the node's own key (for
    CAs that only take CSRs); ``at`` (an aware datetime) is "now" for the expiry decisions.
    Entries left out are listed under ``skipped`` with the reason. Reads only.

    Raises :class:`kcert.IoError` or :class:`kcert.LayoutError` for an unusable root,
    :class:`kcert.InvalidArgumentError` for an unknown name in ``only``,
    :class:`kcert.CryptoError` when a CSR cannot be signed.
    """

def sign_requests(
    ca_root: Union[str, "os.PathLike[str]"],
    requests: str,
    *,
    days: int = 365,
    backdate: Optional[_Duration] = None,
    include_ca: bool = False,
    at: Optional[datetime] = None,
    threads: int = 0,
) -> str:
    """Step 2, where the CA keys are: re-signs every request of ``requests`` (the text
    :func:`export_requests` returned) faithfully with the CA found under ``ca_root`` by the
    identity the request records, and returns the JSON text of a signed set. Requests whose CA
    is not there, or whose certificate that CA did not sign, are refused in its ``refused``
    list with the reason, not raised. ``days`` and ``backdate`` as for :func:`renew`;
    ``include_ca`` carries the CA certificates along for the node; ``at`` is "now" for the new
    validity. Writes nothing.

    Raises :class:`kcert.InvalidArgumentError` naming the field when ``requests`` is not a
    request set, or for a bad option; :class:`kcert.IoError` or :class:`kcert.LayoutError`
    for an unusable ``ca_root``; :class:`kcert.CryptoError` or :class:`kcert.ValidityError`
    when signing fails.
    """

def install_signed(
    root: Union[str, "os.PathLike[str]"],
    signed: str,
    *,
    dry_run: bool = False,
    backup_dir: Union[str, "os.PathLike[str]", None] = None,
    user_kubeconfigs: bool = True,
    at: Optional[datetime] = None,
    threads: int = 0,
) -> RenewalReport:
    """Step 3, on the node: checks every certificate of ``signed`` (the text
    :func:`sign_requests` returned, or PEM certificates an external CA returned for the CSRs)
    against the node's CA copy, its private key and the certificate it replaces, then applies
    them under ``root`` as one transaction with backups and a manifest, as :func:`renew` does,
    and returns the same :class:`RenewalReport`. A certificate that fails a check refuses the
    whole installation. ``dry_run``, ``backup_dir`` and ``user_kubeconfigs`` as for
    :func:`renew`; ``at`` is "now" for the validity checks. Runs with the GIL released.

    Raises :class:`kcert.VerificationFailedError` when a certificate was not signed by the
    node's CA, :class:`kcert.KeyMismatchError` when it does not hold the node's key,
    :class:`kcert.InvalidCertificateError` when its subject or extensions differ from the
    certificate it replaces, :class:`kcert.InvalidArgumentError` when ``signed`` is unreadable
    or names an entry the node does not have; otherwise as :func:`renew`.
    """
