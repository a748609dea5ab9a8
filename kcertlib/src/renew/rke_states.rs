//! RKE1's cluster state (`cluster.rkestate`, `rke_state`) as copies of the node's
//! certificates: `rke up` deploys the state's bundle to the nodes, so a certificate renewed on
//! a node must be renewed in the state too, in the same transaction, or the next `rke up`
//! puts the old one back.
//!
//! The state lives beside `cluster.yml` on the machine that runs `rke up`, often not a node.
//! It is taken from `RenewOptions::rke_state` when given (a path under the root), else looked
//! for when the root holds an RKE1 node: `*.rkestate` directly in the places an operator runs
//! `rke` from — root's home (`root/`), users' homes (`home/*/`), an `rke/` directory in either,
//! `opt/rke/` and `etc/rke/`. A bundle entry whose certificate has the public key and subject
//! of a node leaf (in either state) is a copy of that leaf; a leaf without one gets a warning.
//! Reads go through the root's resolver; found files that cannot be read or parsed are passed
//! over with a warning, a named one is an error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::files;
use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
use crate::fsx::{Follow, RootDir};
use crate::inventory::{Distribution, Entry, EntryKind, EntryStatus, Inventory, Location};
use crate::key::same_public_key;
use crate::rke_state;
use crate::time::Timestamp;

/// Where `rke` is usually run from, relative to the root (`*` is every entry of the directory).
const SEARCHED: &[&str] = &[
    "root",
    "root/rke",
    "home/*",
    "home/*/rke",
    "opt/rke",
    "etc/rke",
];

/// The copies found, and what to warn about.
pub(super) struct Found {
    pub entries: Vec<Entry>,
    pub warnings: Vec<String>,
    /// The state files read (for the "no state holds it" warning).
    pub states: Vec<PathBuf>,
}

/// The copies of `inventory`'s RKE1 leaves in the state files under `root` (or in `explicit`).
///
/// # Errors
/// `InvalidArgument` when `explicit` is outside the root, unreadable or not an RKE state.
pub(super) fn find(
    root: &RootDir,
    inventory: &Inventory,
    explicit: Option<&Path>,
    now: Timestamp,
    warn_within: std::time::Duration,
) -> Result<Found> {
    let mut found = Found {
        entries: Vec::new(),
        warnings: Vec::new(),
        states: Vec::new(),
    };
    let candidates = match explicit {
        Some(path) => vec![inside(root, path)?],
        None if inventory.distributions.contains(&Distribution::Rke1) => candidates(root),
        None => return Ok(found),
    };
    let leaves: Vec<(&Entry, &Certificate, &[u8])> = inventory
        .entries
        .iter()
        .filter(|e| {
            e.kind == EntryKind::Leaf && e.copy_of.is_none() && e.distribution == Distribution::Rke1
        })
        .filter_map(|e| {
            let cert = e.certificate.as_ref()?;
            Some((e, cert, cert.spki_der().ok()?))
        })
        .collect();
    for file in candidates {
        let text = match files::read_text(root, &file) {
            Ok(text) => zeroize::Zeroizing::new(text),
            Err(e) if explicit.is_some() => return Err(e),
            Err(e) => {
                found
                    .warnings
                    .push(format!("RKE state {}: passed over: {e}", file.display()));
                continue;
            }
        };
        let bundle = match rke_state::bundle(&text) {
            Ok(b) if !b.is_empty() => b,
            outcome => {
                let why = outcome
                    .err()
                    .unwrap_or_else(|| "no desiredState or currentState certificatesBundle".into());
                if explicit.is_some() {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!("not an RKE cluster state: {why}"),
                    )
                    .with_path(&file));
                }
                found
                    .warnings
                    .push(format!("RKE state {}: passed over: {why}", file.display()));
                continue;
            }
        };
        found.states.push(file.clone());
        let relative = file
            .strip_prefix(&inventory.root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let mut taken = BTreeSet::new();
        for item in &bundle {
            let Ok(cert) = Certificate::from_pem(item.certificate_pem.value.as_bytes()) else {
                continue;
            };
            let Ok(spki) = cert.spki_der() else {
                continue;
            };
            let subject = cert.subject_der().ok();
            // The leaf of the same name (RKE names its files after the bundle), else the only
            // one with this identity: every kube-etcd-<host> has the subject CN=kube-etcd, so
            // an identity alone may be ambiguous.
            let same: Vec<&Entry> = leaves
                .iter()
                .filter(|(_, c, s)| same_public_key(s, spki) && c.subject_der().ok() == subject)
                .map(|(e, _, _)| *e)
                .collect();
            let leaf = match same.iter().find(|e| e.name == item.name) {
                Some(leaf) => *leaf,
                None if same.len() == 1 => same[0],
                None => continue,
            };
            // One entry per bundle name; both states are edited through it.
            if !taken.insert(item.name.clone()) {
                continue;
            }
            let location = Location::RkeState {
                state: file.clone(),
                certificate: item.name.clone(),
            };
            found.entries.push(Entry {
                name: format!("{relative}:{}", item.name),
                distribution: Distribution::Rke1,
                kind: EntryKind::Leaf,
                cert: location.clone(),
                key: item.key_pem.as_ref().map(|_| location),
                ca_name: leaf.ca_name.clone(),
                residual_seconds: Some(now.seconds_until(cert.not_after())),
                status: EntryStatus::from(cert.status(now, warn_within)),
                certificate: Some(cert),
                externally_managed: leaf.externally_managed,
                key_matches: None,
                chain_verifies: None,
                restart: Vec::new(),
                problems: Vec::new(),
                copy_of: Some(leaf.name.clone()),
            });
        }
    }
    Ok(found)
}

/// The states of bundle entry `name` in `text` whose certificate is `old`'s identity (public
/// key and subject): the ones a renewal of `old` must rewrite.
pub(super) fn states_holding(
    text: &str,
    name: &str,
    old: &Certificate,
) -> Result<Vec<&'static str>> {
    let bundle = rke_state::bundle(text).map_err(|why| Error::new(ErrorKind::Layout, why))?;
    let spki = old.spki_der()?;
    let subject = old.subject_der().ok();
    Ok(bundle
        .iter()
        .filter(|b| b.name == name)
        .filter(|b| {
            Certificate::from_pem(b.certificate_pem.value.as_bytes()).is_ok_and(|c| {
                c.spki_der().is_ok_and(|s| same_public_key(s, spki))
                    && c.subject_der().ok() == subject
            })
        })
        .map(|b| b.state)
        .collect())
}

/// `path` made absolute under the root (a relative path is taken from the root) and checked to
/// stay inside it: kcert never writes outside the root.
fn inside(root: &RootDir, path: &Path) -> Result<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.path().join(path)
    };
    if !absolute.starts_with(root.path()) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "the RKE state file is outside the root {}: kcert writes only under the root",
                root.path().display()
            ),
        )
        .with_path(path));
    }
    // Resolving also refuses a link that leads out of the root.
    root.resolve(&absolute, Follow::Last)?;
    Ok(absolute)
}

/// The `*.rkestate` regular files in the searched places, in a fixed order.
fn candidates(root: &RootDir) -> Vec<PathBuf> {
    let base = root.path().to_path_buf();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for pattern in SEARCHED {
        match pattern.split_once("/*") {
            Some((parent, rest)) => {
                let parent = base.join(parent);
                if let Ok(names) = root.list(&parent) {
                    for name in names {
                        let dir = parent.join(name);
                        let rest = rest.trim_start_matches('/');
                        dirs.push(if rest.is_empty() { dir } else { dir.join(rest) });
                    }
                }
            }
            None => dirs.push(base.join(pattern)),
        }
    }
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(names) = root.list(&dir) else {
            continue;
        };
        for name in names {
            if !name.to_string_lossy().ends_with(".rkestate") {
                continue;
            }
            let path = dir.join(&name);
            let regular = root
                .resolve(&path, Follow::Last)
                .and_then(|p| p.lstat())
                .is_ok_and(|s| {
                    s.is_some_and(|s| rustix::fs::FileType::from_raw_mode(s.st_mode).is_file())
                });
            if regular {
                out.push(path);
            }
        }
    }
    out
}
