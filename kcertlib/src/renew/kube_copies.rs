//! Copies of a node's client credentials in users' kubeconfigs: `root/.kube/*` and
//! `home/<user>/.kube/*` inside the root (`cp /etc/kubernetes/admin.conf ~/.kube/config`, as
//! kubeadm's own init output tells every user to do). A user there whose embedded
//! `client-certificate-data` has the public key (and subject, when several leaves share that key)
//! of a leaf of the inventory holds a copy of that leaf's credentials, possibly a stale one from
//! before an earlier renewal: it becomes an entry
//! of the plan's inventory marked `copy_of` that leaf, so renewing the leaf refreshes it in the
//! same transaction (and writes the new key into its `client-key-data` when keys rotate). The
//! kubeconfig keeps its owner and mode, as every file the transaction replaces.
//!
//! The caller may name more kubeconfigs to look in (`extra`): rke's `kube_config_<cluster>.yml`
//! beside an RKE1 cluster state, whose user holds the state's kube-admin credentials.
//!
//! Every read goes through the root's resolver (nothing outside the root is opened, links are
//! followed only inside it), directories are listed one level deep, and unreadable or
//! unparsable files are passed over: they are the users' own, not the node's layout.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::files;
use crate::cert::Certificate;
use crate::fsx::{Follow, RootDir};
use crate::inventory::{Entry, EntryKind, EntryStatus, Inventory, Location};
use crate::key::same_public_key;
use crate::kubeconfig::Kubeconfig;
use crate::time::Timestamp;

/// The entries for the credential copies found under `root` (and in `extra`), to append to
/// `inventory`.
pub(super) fn find(
    root: &RootDir,
    inventory: &Inventory,
    extra: &[PathBuf],
    now: Timestamp,
    warn_within: std::time::Duration,
) -> Vec<Entry> {
    // The leaves a copy can be of, with their public keys (originals only).
    let leaves: Vec<(&Entry, &[u8])> = inventory
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Leaf && e.copy_of.is_none())
        .filter_map(|e| {
            let spki = e.certificate.as_ref()?.spki_der().ok()?;
            Some((e, spki))
        })
        .collect();
    // Files are compared by their real path: `~/.kube/config` is often a link to admin.conf
    // (already an entry), and two users' links may share one file (edited once).
    let mut seen: BTreeSet<PathBuf> = inventory
        .entries
        .iter()
        .map(|e| e.cert.path())
        .map(|p| files::real_path(root, p).unwrap_or_else(|_| p.to_path_buf()))
        .collect();
    let mut out: Vec<Entry> = Vec::new();
    for file in candidates(root).into_iter().chain(extra.iter().cloned()) {
        let Ok(real) = files::real_path(root, &file) else {
            continue;
        };
        if !seen.insert(real) {
            continue;
        }
        let Ok(text) = files::read_text(root, &file) else {
            continue;
        };
        let text = zeroize::Zeroizing::new(text);
        let Ok(parsed) = Kubeconfig::parse(&text, &file) else {
            continue;
        };
        let mut found = Vec::new();
        for user in parsed.user_entries() {
            let Some(cert) = user
                .client_certificate_data
                .as_deref()
                .and_then(|pem| Certificate::from_pem(pem).ok())
            else {
                continue;
            };
            let Ok(spki) = cert.spki_der() else {
                continue;
            };
            let Some(original) = original_of(&leaves, &cert, spki) else {
                continue;
            };
            let location = |kubeconfig: &Path| Location::KubeconfigEmbedded {
                kubeconfig: kubeconfig.to_path_buf(),
                user: user.name.clone(),
            };
            let status = EntryStatus::from(cert.status(now, warn_within));
            found.push(Entry {
                name: String::new(),
                distribution: original.distribution,
                kind: EntryKind::Leaf,
                cert: location(&file),
                key: user.client_key_data.as_ref().map(|_| location(&file)),
                ca_name: original.ca_name.clone(),
                residual_seconds: Some(now.seconds_until(cert.not_after())),
                certificate: Some(cert),
                status,
                externally_managed: original.externally_managed,
                key_matches: None,
                chain_verifies: None,
                restart: Vec::new(),
                problems: Vec::new(),
                copy_of: Some(original.name.clone()),
            });
        }
        let relative = file
            .strip_prefix(&inventory.root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let single = found.len() == 1;
        for mut entry in found {
            entry.name = match (&entry.cert, single) {
                (_, true) => relative.clone(),
                (Location::KubeconfigEmbedded { user, .. }, false) => format!("{relative}:{user}"),
                _ => relative.clone(),
            };
            out.push(entry);
        }
    }
    out
}

/// The leaf whose credentials `cert` (with public key `spki`) copies: one with the same key and
/// subject, else the only one with the same key (an older copy whose subject a kubeadm upgrade
/// changed). Several leaves sharing a key and none with this subject: none (which identity the
/// user holds is unknown).
fn original_of<'a>(
    leaves: &[(&'a Entry, &[u8])],
    cert: &Certificate,
    spki: &[u8],
) -> Option<&'a Entry> {
    let same_key: Vec<&Entry> = leaves
        .iter()
        .filter(|(_, s)| same_public_key(s, spki))
        .map(|(e, _)| *e)
        .collect();
    let subject = cert.subject_der().ok();
    same_key
        .iter()
        .find(|e| e.certificate.as_ref().and_then(|c| c.subject_der().ok()) == subject)
        .or(match same_key.as_slice() {
            [only] => Some(only),
            _ => None,
        })
        .copied()
}

/// The regular files directly in `root/.kube` and `home/*/.kube`, in a fixed order.
fn candidates(root: &RootDir) -> Vec<PathBuf> {
    let base = root.path().to_path_buf();
    let mut dirs = vec![base.join("root/.kube")];
    if let Ok(homes) = root.list(&base.join("home")) {
        dirs.extend(
            homes
                .iter()
                .map(|h| base.join("home").join(h).join(".kube")),
        );
    }
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(names) = root.list(&dir) else {
            continue;
        };
        for name in names {
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
