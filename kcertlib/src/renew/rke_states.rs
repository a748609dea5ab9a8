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
//!
//! `kube-admin` is deployed to no node: the state is its home. Its bundle entry becomes an
//! entry of its own, signed by the node's CA (`kube-ca`, whose key a control-plane node keeps),
//! renewed like any leaf. The kubeconfigs kept in the state (`config`; kube-admin's embeds its
//! certificate, key and CA) are edited with the certificates they embed, so a state holding a
//! `config` that is not a kubeconfig kcert can read is passed over (named: refused) before
//! anything is signed. The `kube_config_<cluster>.yml` that `rke` writes beside the state from
//! kube-admin's `config` is returned too: the caller adds it as a copy of kube-admin when users'
//! copies are renewed (`kube_copies`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::files;
use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
use crate::fsx::{Follow, RootDir};
use crate::inventory::{Distribution, Entry, EntryKind, EntryStatus, Inventory, Location};
use crate::key::{PrivateKey, same_public_key};
use crate::kubeconfig::Kubeconfig;
use crate::rke_state::{self, BundleCertificate};
use crate::time::Timestamp;
use crate::verify::verify_signature;

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
    /// The `kube_config_<cluster>.yml` (or `.yaml`) beside each state whose kube-admin is an
    /// entry: kubeconfigs that may hold a copy of it.
    pub admin_kubeconfigs: Vec<PathBuf>,
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
        admin_kubeconfigs: Vec::new(),
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
        if let Err(why) = readable_configs(&text, &file) {
            if explicit.is_some() {
                return Err(Error::new(ErrorKind::InvalidArgument, why).with_path(&file));
            }
            found
                .warnings
                .push(format!("RKE state {}: passed over: {why}", file.display()));
            continue;
        }
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
                None if item.name == rke_state::ADMIN && taken.insert(item.name.clone()) => {
                    match admin_entry(inventory, &file, &relative, item, cert, now, warn_within) {
                        Ok(entry) => {
                            found.entries.push(entry);
                            found
                                .admin_kubeconfigs
                                .extend(admin_kubeconfigs(root, &file));
                        }
                        Err(why) => found.warnings.push(format!(
                            "RKE state {}: {}: left alone: {why}",
                            file.display(),
                            item.name
                        )),
                    }
                    continue;
                }
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

/// The entry of the state's `kube-admin` certificate `cert` (bundle `item`): signed by a CA of
/// the node, its key the state's `keyPEM`.
///
/// # Errors
/// A sentence saying why it cannot be renewed here (no CA of the node signed it).
fn admin_entry(
    inventory: &Inventory,
    file: &Path,
    relative: &str,
    item: &BundleCertificate,
    cert: Certificate,
    now: Timestamp,
    warn_within: std::time::Duration,
) -> std::result::Result<Entry, String> {
    let issuer = cert.issuer_der().ok();
    let ca = inventory
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Ca && e.copy_of.is_none())
        .find(|e| {
            e.certificate.as_ref().is_some_and(|ca| {
                ca.subject_der().ok() == issuer && verify_signature(&cert, ca).is_ok()
            })
        })
        .ok_or_else(|| {
            format!(
                "no CA certificate on this node signed it (issuer {:?})",
                cert.issuer()
            )
        })?;
    let mut problems = Vec::new();
    let key_matches =
        item.key_pem
            .as_ref()
            .and_then(|pem| match PrivateKey::from_pem(pem.value.as_bytes()) {
                Ok(key) => Some(key.matches(&cert)),
                Err(e) => {
                    problems.push(format!("{}: keyPEM: {}", item.name, e.message()));
                    None
                }
            });
    let location = Location::RkeState {
        state: file.to_path_buf(),
        certificate: item.name.clone(),
    };
    Ok(Entry {
        name: format!("{relative}:{}", item.name),
        distribution: Distribution::Rke1,
        kind: EntryKind::Leaf,
        cert: location.clone(),
        key: item.key_pem.as_ref().map(|_| location),
        ca_name: Some(ca.name.clone()),
        residual_seconds: Some(now.seconds_until(cert.not_after())),
        status: EntryStatus::from(cert.status(now, warn_within)),
        certificate: Some(cert),
        externally_managed: ca.externally_managed,
        key_matches,
        chain_verifies: Some(true),
        // The administrator's credential: no component restarts for it.
        restart: Vec::new(),
        problems,
        copy_of: None,
    })
}

/// `kube_config_<cluster>.yml` and `.yaml` beside the state `<cluster>.rkestate`, where they are
/// regular files (rancher/rke `pki.GetLocalKubeConfig`: the prefix and the cluster file's name).
fn admin_kubeconfigs(root: &RootDir, state: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(stem)) = (state.parent(), state.file_stem()) else {
        return Vec::new();
    };
    let stem = stem.to_string_lossy();
    ["yml", "yaml"]
        .iter()
        .map(|ext| dir.join(format!("kube_config_{stem}.{ext}")))
        .filter(|path| is_regular(root, path))
        .collect()
}

/// Every non-empty `config` of the state parses as a kubeconfig (they are edited with the
/// certificates they embed, and one that cannot be read could hold one).
///
/// # Errors
/// Naming the `config` and what is wrong with it.
fn readable_configs(text: &str, file: &Path) -> std::result::Result<(), String> {
    for config in rke_state::configs(text)? {
        let field = config.field();
        let value = zeroize::Zeroizing::new(config.config.value);
        if let Err(e) = Kubeconfig::parse(&value, file) {
            return Err(format!(
                "{field}: not a kubeconfig kcert can read: {}",
                e.message()
            ));
        }
    }
    Ok(())
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
            if is_regular(root, &path) {
                out.push(path);
            }
        }
    }
    out
}

/// Whether `path` is (or links, inside the root, to) a regular file.
fn is_regular(root: &RootDir, path: &Path) -> bool {
    root.resolve(path, Follow::Last)
        .and_then(|p| p.lstat())
        .is_ok_and(|s| s.is_some_and(|s| rustix::fs::FileType::from_raw_mode(s.st_mode).is_file()))
}
