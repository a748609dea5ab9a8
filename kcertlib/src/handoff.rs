//! Renewing a node that does not hold its CA's key, in three steps, without a private key ever
//! leaving its node.
//!
//! A faithful re-sign needs only the old certificate and the CA key, so a renewal can be split
//! between the node and whoever holds the CA key (a control-plane node, an offline CA host):
//!
//! 1. **Export** on the node ([`export_requests`]): every entry that needs renewal and cannot be
//!    signed here becomes a [`Request`]: its name, its certificate (PEM), the identity of its CA
//!    as found on the node, the layout and where the certificate lives. Certificates only, never
//!    key material. With `csr` each request also carries a PKCS#10 request for the same subject
//!    and extensions, signed by the node's own key, for CAs that only accept CSRs.
//! 2. **Sign** where the CA key is ([`sign_requests`]): each request's CA is found in that
//!    root's inventory by the recorded identity, the old certificate is checked to have been
//!    signed by it, and it is re-signed faithfully with the usual validity policy. What does not
//!    match is refused with a reason, per request.
//! 3. **Install** on the node ([`install_signed`]): each new certificate is checked against the
//!    node's copy of its CA, the node's private key and the old certificate's subject and
//!    extensions, then applied as one transaction with backups, manifest and rollback, exactly
//!    as `renew` applies what it signs (kubelet symlink swaps, kubeconfig edits, copies, restart
//!    hints). A CA certificate carried along (`include_ca` on the signing side) is installed into
//!    the node's CA copies and kubeconfigs.
//!
//! The files that move between the two machines ([`RequestSet`], [`SignedSet`]) are JSON with a
//! format number; both are untrusted input on the side that reads them.

mod export;
mod identity;
mod install;
mod sign;
mod wire;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Result;
use crate::parallel::Threads;
use crate::renew::{RenewReport, Skipped};
use crate::time::Timestamp;
use crate::validity::ValidityPolicy;

pub use identity::CaIdentity;

/// The format number written into, and required of, request and signed files.
pub const FORMAT: u32 = 1;

/// What a node asks the holder of a CA key to sign.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The inventory entry name on the node (`apiserver-kubelet-client`, `kubelet-client`).
    pub name: String,
    /// The node's layout (`Distribution::name`).
    pub layout: String,
    /// Where the certificate lives on the node, relative to its root (for people; never used
    /// to open anything on the signing side).
    pub path: PathBuf,
    /// The certificate to renew, PEM.
    pub certificate_pem: String,
    /// The CA that signed it, as the node knows it.
    pub ca: CaIdentity,
    /// A PKCS#10 request with the certificate's subject and extensions, signed by the node's
    /// key, when asked for (`ExportOptions::csr`).
    pub csr_pem: Option<String>,
}

/// The export file: every request of one node, and what was not exported and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestSet {
    /// The node's root as given to `export_requests` (for people).
    pub root: PathBuf,
    /// When the export was made.
    pub created: Timestamp,
    /// The requests.
    pub requests: Vec<Request>,
    /// Entries not exported, with the reason (valid, signable on this node, no key, ...).
    pub skipped: Vec<Skipped>,
}

/// One certificate signed for a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedCertificate {
    /// The request's entry name (`None` for a plain PEM certificate from an external CA: it is
    /// matched to its entry on the node by its public key).
    pub name: Option<String>,
    /// The new certificate, PEM.
    pub certificate_pem: String,
    /// The CA that signed it, as the signing side holds it (`None` for plain PEM input).
    pub ca: Option<CaIdentity>,
}

/// A request the signing side refused, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refusal {
    /// The request's entry name.
    pub name: String,
    /// Why (the CA is not here, the certificate was not signed by it, ...).
    pub reason: String,
}

/// The signed file: the new certificates, the refusals, and the CA certificates carried along.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedSet {
    /// When the signing was done.
    pub created: Timestamp,
    /// The new certificates.
    pub signed: Vec<SignedCertificate>,
    /// Requests that were refused.
    pub refused: Vec<Refusal>,
    /// CA certificates (PEM) carried to the node with `include_ca`: the signing side's current
    /// certificate of each CA used, for the node to install into its CA copies.
    pub ca_certificates: Vec<String>,
}

/// What `export_requests` exports.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ExportOptions {
    /// Export only these entries (inventory names). Empty means every leaf that needs it.
    pub only: Vec<String>,
    /// Export only entries whose `notAfter` falls within this duration (expired included).
    /// Without it (and without `only`) every leaf whose CA key is not here is exported.
    pub expiring_within: Option<Duration>,
    /// Also write a PKCS#10 request per entry, signed by the node's own key.
    pub csr: bool,
    /// "Now" for the expiry decisions (default: the system clock).
    pub now: Option<Timestamp>,
    /// Threads that scan (default: one per core).
    pub threads: Threads,
}

/// How `sign_requests` signs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SignOptions {
    /// Lifetime and `notBefore` of the new certificates (default 365 days, backdated one hour).
    pub validity: ValidityPolicy,
    /// Carry the signing side's CA certificates along, for the node to install.
    pub include_ca: bool,
    /// Threads that scan and sign (default: one per core).
    pub threads: Threads,
}

/// How `install_signed` applies what was signed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct InstallOptions {
    /// Check everything and report, write nothing.
    pub dry_run: bool,
    /// Where the originals are backed up (as `RenewOptions::backup_dir`).
    pub backup_dir: Option<PathBuf>,
    /// "Now" for the checks of the new certificates' validity (default: the system clock).
    pub now: Option<Timestamp>,
    /// Also refresh users' kubeconfig copies of renewed credentials (default on; as
    /// `RenewOptions::user_kubeconfigs`).
    pub user_kubeconfigs: bool,
    /// Threads (default: one per core).
    pub threads: Threads,
}

/// Writes the requests of `root` (see the module documentation). Reads only; writes nothing.
///
/// # Errors
/// As `inventory::scan` for an unusable root; `InvalidArgument` when `only` names an entry the
/// inventory does not have; `Crypto` when a CSR cannot be signed with the node's key.
pub fn export_requests(root: &Path, options: &ExportOptions) -> Result<RequestSet> {
    export::export(root, options)
}

/// Signs `requests` with the CA keys found under `ca_root` (see the module documentation).
/// Requests that cannot be signed are refused in the result, not as an error.
///
/// # Errors
/// As `inventory::scan` for an unusable `ca_root`; `Crypto`/`Validity` when signing fails.
pub fn sign_requests(
    ca_root: &Path,
    requests: &RequestSet,
    options: &SignOptions,
) -> Result<SignedSet> {
    sign::sign(ca_root, requests, options)
}

/// Installs `signed` into `root` as one transaction (see the module documentation). Every
/// certificate is checked before anything is written; a certificate that fails a check refuses
/// the whole installation.
///
/// # Errors
/// `VerificationFailed` when a certificate was not signed by the node's CA (or a carried CA of
/// the same subject and key); `KeyMismatch` when it does not hold the node's key;
/// `InvalidCertificate` when its subject or extensions differ from the certificate it replaces;
/// `InvalidArgument` when it names an entry the node does not have; otherwise as `renew`.
pub fn install_signed(
    root: &Path,
    signed: &SignedSet,
    options: &InstallOptions,
) -> Result<RenewReport> {
    install::install(root, signed, options)
}

impl RequestSet {
    /// The set as pretty JSON (camelCase keys, `format` 1).
    pub fn to_json(&self) -> String {
        wire::requests_to_json(self)
    }

    /// Reads a set written by `to_json`.
    ///
    /// # Errors
    /// `InvalidArgument` naming the field when the text is not a request set of a known format.
    pub fn from_json(text: &str) -> Result<RequestSet> {
        wire::requests_from_json(text)
    }
}

impl SignedSet {
    /// The set as pretty JSON (camelCase keys, `format` 1).
    pub fn to_json(&self) -> String {
        wire::signed_to_json(self)
    }

    /// Reads a signed file: the JSON written by `to_json`, or plain PEM certificates as an
    /// external CA returns them for the CSR path (each matched to its entry on the node by its
    /// public key when installed; such certificates carry no name).
    ///
    /// # Errors
    /// `InvalidArgument` naming the field when JSON is not a signed set of a known format; `Pem`
    /// or `Der` when PEM text does not hold certificates.
    pub fn parse(text: &str) -> Result<SignedSet> {
        wire::signed_parse(text)
    }
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            only: Vec::new(),
            expiring_within: None,
            csr: false,
            now: None,
            threads: Threads::AllCores,
        }
    }
}

impl ExportOptions {
    /// The same options exporting only these entries.
    pub fn with_only<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> ExportOptions {
        self.only = names.into_iter().map(Into::into).collect();
        self
    }

    /// The same options exporting only what expires within `window` (expired included).
    pub fn with_expiring_within(mut self, window: Duration) -> ExportOptions {
        self.expiring_within = Some(window);
        self
    }

    /// The same options writing a CSR per request (or not).
    pub fn with_csr(mut self, csr: bool) -> ExportOptions {
        self.csr = csr;
        self
    }

    /// The same options deciding expiry at `now`.
    pub fn at(mut self, now: Timestamp) -> ExportOptions {
        self.now = Some(now);
        self
    }

    /// The same options with this many threads.
    pub fn with_threads(mut self, threads: Threads) -> ExportOptions {
        self.threads = threads;
        self
    }
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            validity: ValidityPolicy::default(),
            include_ca: false,
            threads: Threads::AllCores,
        }
    }
}

impl SignOptions {
    /// The same options with this validity policy.
    pub fn with_validity(mut self, validity: ValidityPolicy) -> SignOptions {
        self.validity = validity;
        self
    }

    /// The same options carrying CA certificates along (or not).
    pub fn with_include_ca(mut self, include: bool) -> SignOptions {
        self.include_ca = include;
        self
    }

    /// The same options with this many threads.
    pub fn with_threads(mut self, threads: Threads) -> SignOptions {
        self.threads = threads;
        self
    }
}

impl Default for InstallOptions {
    fn default() -> Self {
        InstallOptions {
            dry_run: false,
            backup_dir: None,
            now: None,
            user_kubeconfigs: true,
            threads: Threads::AllCores,
        }
    }
}

impl InstallOptions {
    /// The same options checking only, writing nothing (or not).
    pub fn with_dry_run(mut self, dry_run: bool) -> InstallOptions {
        self.dry_run = dry_run;
        self
    }

    /// The same options backing the originals up into `dir`.
    pub fn with_backup_dir(mut self, dir: impl Into<PathBuf>) -> InstallOptions {
        self.backup_dir = Some(dir.into());
        self
    }

    /// The same options checking validity at `now`.
    pub fn at(mut self, now: Timestamp) -> InstallOptions {
        self.now = Some(now);
        self
    }

    /// The same options refreshing users' kubeconfig copies (or not).
    pub fn with_user_kubeconfigs(mut self, refresh: bool) -> InstallOptions {
        self.user_kubeconfigs = refresh;
        self
    }

    /// The same options with this many threads.
    pub fn with_threads(mut self, threads: Threads) -> InstallOptions {
        self.threads = threads;
        self
    }
}
