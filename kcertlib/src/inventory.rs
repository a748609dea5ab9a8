//! The inventory of a node: every certificate each detected distribution keeps, with its state.
//!
//! `scan(root)` detects the distributions by their layout (`layout`), lists what each model
//! expects plus any unknown certificate found in their PKI directories, then reads and checks
//! every entry (`check`). A problem with one file (unreadable, malformed, dangling symlink, key
//! not matching) is recorded in that entry and the scan goes on; only an unusable `root` fails it.

mod check;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::cert::{Certificate, Status};
use crate::error::Result;
use crate::fsx::RootDir;
use crate::layout;
pub use crate::model::{Distribution, EntryKind, Location};
use crate::parallel::Threads;
use crate::time::Timestamp;

/// Options of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScanOptions {
    /// An entry expiring within this window has status `Warning`. Default 30 days.
    pub warn_within: Duration,
    /// The time taken as "now"; `None` reads the clock.
    pub now: Option<Timestamp>,
    /// Threads that read and check entries (default: one per core).
    pub threads: Threads,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            warn_within: crate::defaults::WARN_WITHIN,
            now: None,
            threads: Threads::AllCores,
        }
    }
}

impl ScanOptions {
    /// The same options with this warning window.
    pub fn with_warn_within(mut self, warn_within: Duration) -> ScanOptions {
        self.warn_within = warn_within;
        self
    }

    /// The same options judging every certificate as of `now` (planning ahead, tests).
    pub fn at(mut self, now: Timestamp) -> ScanOptions {
        self.now = Some(now);
        self
    }

    /// The same options with this many threads.
    pub fn with_threads(mut self, threads: Threads) -> ScanOptions {
        self.threads = threads;
        self
    }
}

/// The state of an entry at scan time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryStatus {
    /// Valid and not expiring within the warning window.
    Ok,
    /// Valid but expiring within the warning window.
    Warning,
    /// Past `notAfter`.
    Expired,
    /// Before `notBefore`.
    NotYetValid,
    /// The file (or kubeconfig) is absent.
    Missing,
    /// The certificate could not be read; `problems` says why.
    Error,
}

impl EntryStatus {
    /// `ok`, `warning`, `expired`, `not-yet-valid`, `missing` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            EntryStatus::Ok => "ok",
            EntryStatus::Warning => "warning",
            EntryStatus::Expired => "expired",
            EntryStatus::NotYetValid => "not-yet-valid",
            EntryStatus::Missing => "missing",
            EntryStatus::Error => "error",
        }
    }
}

impl From<Status> for EntryStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Ok => EntryStatus::Ok,
            Status::Warning => EntryStatus::Warning,
            Status::Expired => EntryStatus::Expired,
            Status::NotYetValid => EntryStatus::NotYetValid,
        }
    }
}

impl fmt::Display for EntryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One certificate of the node, as its distribution names it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Entry {
    /// Unique within the inventory: kubeadm's names (`apiserver`, `etcd-peer`, `admin.conf`,
    /// `ca`, `etcd-ca`, ...), RKE1's (`kube-apiserver`, `kube-etcd-10-0-0-5`), kubespray's etcd
    /// (`etcd-member-node1`), RKE2/k3s file names (`client-admin`, `etcd-server-client`), and
    /// the root-relative path for unknown certificates.
    pub name: String,
    /// The distribution whose layout holds it.
    pub distribution: Distribution,
    /// Leaf or CA.
    pub kind: EntryKind,
    /// Where the certificate lives.
    pub cert: Location,
    /// Where its private key lives, when it has one on this node.
    pub key: Option<Location>,
    /// The name of the CA entry that signed it (`None` for self-signed CAs and when no CA on
    /// this node signed it).
    pub ca_name: Option<String>,
    /// The certificate, `None` when missing or unreadable.
    pub certificate: Option<Certificate>,
    /// Validity at scan time, or missing/error.
    pub status: EntryStatus,
    /// Seconds from scan time to `notAfter` (negative once expired).
    pub residual_seconds: Option<i64>,
    /// The CA key is absent (for a CA: its own key; for a leaf: its CA's), so it cannot be
    /// renewed on this node.
    pub externally_managed: bool,
    /// Whether the key file is present and matches the certificate (`None` when either is
    /// absent or unreadable).
    pub key_matches: Option<bool>,
    /// Whether the signature verifies against its CA certificate on disk (`None` when no CA
    /// certificate is available to check against).
    pub chain_verifies: Option<bool>,
    /// Components to restart after this certificate changes (`kube-apiserver`, `etcd`,
    /// `kubelet`, `rke2-server`, ...).
    pub restart: Vec<String>,
    /// Human-readable reasons, each naming the file concerned.
    pub problems: Vec<String>,
    /// The name of an earlier entry that holds the very same certificate (byte-identical) in
    /// another place: a CA copy (`agent-client-ca`, `server-ca-nochain`), an agent's copy of a
    /// server file, an admin kubeconfig embedding a certificate file's content. Renewing the
    /// original means refreshing this copy too.
    pub copy_of: Option<String>,
}

impl Entry {
    /// Whether this entry is a leaf.
    pub fn is_leaf(&self) -> bool {
        self.kind == EntryKind::Leaf
    }

    /// Whether this entry is a CA.
    pub fn is_ca(&self) -> bool {
        self.kind == EntryKind::Ca
    }
}

/// Every certificate found under a root.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Inventory {
    /// The root that was scanned (canonical).
    pub root: PathBuf,
    /// The distributions detected, in a fixed order.
    pub distributions: Vec<Distribution>,
    /// Every entry, in the order the layouts list them.
    pub entries: Vec<Entry>,
    /// The time the statuses refer to.
    pub scanned_at: Timestamp,
}

impl Inventory {
    /// The leaf entries.
    pub fn leaves(&self) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.is_leaf()).collect()
    }

    /// The CA entries.
    pub fn cas(&self) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.is_ca()).collect()
    }

    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Whether any entry is expired (what `kcert check` turns into its exit code).
    pub fn any_expired(&self) -> bool {
        self.entries
            .iter()
            .any(|e| e.status == EntryStatus::Expired)
    }
}

/// Scans a generated kubeadm node in a temporary directory:
///
/// ```
/// use kcertlib::fixture::{self, FixtureLayout, FixtureOptions};
/// use kcertlib::{Distribution, EntryStatus, KeyAlgorithm, ScanOptions, scan};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let root = dir.path();
/// let options = FixtureOptions::default().with_leaf_key(KeyAlgorithm::P256);
/// fixture::build(root, FixtureLayout::Kubeadm, &options)?; // an expired kubeadm node
/// let inventory = scan(root, &ScanOptions::default())?;
/// let apiserver = inventory.get("apiserver").ok_or("kubeadm has an apiserver")?;
/// assert_eq!(apiserver.status, EntryStatus::Expired);
/// assert_eq!(apiserver.distribution, Distribution::Kubeadm);
/// assert!(inventory.to_table().contains("apiserver"));
/// # Ok(())
/// # }
/// ```
///
/// Scans `root` (the node's `/`, or a copy of it) and checks every certificate found.
///
/// # Errors
/// `Io` or `InvalidArgument` only when `root` itself cannot be used (absent, not a directory,
/// unreadable); every per-file problem is reported inside its entry.
pub fn scan(root: &Path, options: &ScanOptions) -> Result<Inventory> {
    let dir = RootDir::open(root)?;
    dir.list(Path::new(""))
        .map_err(|e| e.with_path(dir.path()))?;
    scan_dir(&dir, options)
}

/// `scan` of a root already open (a renewal scans under its lock).
pub(crate) fn scan_dir(root: &RootDir, options: &ScanOptions) -> Result<Inventory> {
    let now = options.now.unwrap_or_else(Timestamp::now);
    let mut context = layout::Context::new(root);
    let found = layout::collect(&mut context);
    let entries = check::check_all(
        &context,
        found.specs,
        now,
        options.warn_within,
        options.threads,
    );
    Ok(Inventory {
        root: root.path().to_path_buf(),
        distributions: found.distributions,
        entries,
        scanned_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_serialize_with_a_type() {
        let json = |l: &Location| serde_json::to_string(l).expect("serializes");
        assert_eq!(
            json(&Location::File("/r/a.crt".into())),
            r#"{"type":"file","path":"/r/a.crt"}"#
        );
        assert_eq!(
            json(&Location::Combined("/r/k.pem".into())),
            r#"{"type":"combined","path":"/r/k.pem"}"#
        );
        assert_eq!(
            json(&Location::KubeconfigEmbedded {
                kubeconfig: "/r/admin.conf".into(),
                user: "u".into()
            }),
            r#"{"type":"kubeconfig-embedded","kubeconfig":"/r/admin.conf","user":"u"}"#
        );
    }
}
