//! Turning signed certificates into file changes: every place a certificate (or its key, or a
//! copy of its CA) lives is edited at the text level, so only the replaced PEM blocks or base64
//! values differ from the original bytes. Several edits to one file (a leaf and its CA chain, a
//! kubeconfig's user and cluster data) accumulate on one text, keyed by the file's real path.
//! An RKE1 cluster state is edited as JSON string values (`rke_state`); the kubeconfigs it keeps
//! in those strings (`config`, kube-admin's with embedded data) are edited as kubeconfig text
//! (`kube_text`, the same code as kubeconfig files) wherever they embed a replaced certificate.
//!
//! kubelet's `kubelet-client-current.pem` symlink is renewed the way kubelet rotates it: the
//! renewed content goes to a new `kubelet-client-<date>.pem` beside the old one, and the link is
//! swapped to it (same target style, usually absolute); the old dated file stays as history.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::check::{Check, Checks, Place, SignedCert};
use super::kube_text::{self, UserField, replace_user_data};
use super::select::Plan;
use super::sign::SignedAction;
use super::{files, pem_text};
use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::fsx::{self, Follow, RootDir};
use crate::inventory::{Entry, EntryKind, Location};
use crate::key::PrivateKey;
use crate::kubeconfig::Kubeconfig;
use crate::time::Timestamp;
use crate::txn::{Expect, FileChange, Guard};
use crate::{rke_state, tls_secret};

/// What the renewal writes, and how to check it.
pub(super) struct Written<'p> {
    /// Files in write order, symlink swaps last.
    pub changes: Vec<FileChange>,
    /// Keys kept in files of their own: they must still hold what was read when the renames
    /// begin.
    pub guards: Vec<Guard>,
    /// Checks by the real path written.
    pub checks: Checks<'p>,
    /// The paths written for each entry (copies included).
    pub paths_by_entry: BTreeMap<String, Vec<PathBuf>>,
}

/// Kubeconfigs that may embed a CA without holding an inventory entry (kubeadm's
/// `kubelet.conf` after kubelet-finalize, RKE1's `kubecfg-*.yaml`, k3s/RKE2 ones).
const KUBECONFIG_DIRS: &[(&str, &str)] = &[
    ("etc/kubernetes", ".conf"),
    ("etc/kubernetes/ssl", ".yaml"),
    ("etc/rancher/k3s", ".yaml"),
    ("etc/rancher/rke2", ".yaml"),
    ("var/lib/rancher/k3s/server/cred", ".kubeconfig"),
    ("var/lib/rancher/rke2/server/cred", ".kubeconfig"),
    ("var/lib/rancher/k3s/agent", ".kubeconfig"),
    ("var/lib/rancher/rke2/agent", ".kubeconfig"),
];

/// The file changes of the signed actions. Each leaf's new DER is moved out of `signed` once it
/// is in every file that holds it (the texts are what the transaction writes; keeping 3,000
/// DERs beside them would only double the memory of a large node).
pub(super) fn build<'p>(plan: &'p Plan, signed: &mut [SignedAction<'p>]) -> Result<Written<'p>> {
    let mut editor = Editor {
        root: &plan.dir,
        now: plan.now,
        files: Vec::new(),
        by_source: HashMap::new(),
        links: Vec::new(),
        guards: Vec::new(),
        checks: HashMap::new(),
        paths_by_entry: BTreeMap::new(),
    };
    // kubelet links first, so every later edit of the dated file lands in the new one.
    for s in signed.iter() {
        for holder in holders(s) {
            if let Location::Combined(link) = &holder.cert {
                editor.redirect_link(link, &holder.name)?;
            }
        }
    }
    for s in signed.iter().filter(|s| s.action.kind == EntryKind::Ca) {
        editor.ca(plan, s)?;
    }
    for s in signed
        .iter_mut()
        .filter(|s| s.action.kind == EntryKind::Leaf)
    {
        let new_der = std::mem::take(&mut s.new.der);
        // One record of what was signed, shared by the checks of the entry and its copies.
        let checked = Arc::new(SignedCert {
            new_sha256: s.new.sha256.clone(),
            old: s.old,
            issuer: Arc::clone(&s.issuer),
            key: s.key.clone(),
            key_kept: s.new_key.is_none(),
            add_sans: (!plan.add_sans.is_empty()).then_some(&plan.add_sans),
            signed_elsewhere: plan.provided.is_some(),
        });
        let spki: Arc<[u8]> = Arc::from(s.new.spki.as_slice());
        for holder in holders(s) {
            editor
                .leaf(s, holder, &new_der, &checked, &spki)
                .at_entry(&holder.name)?;
        }
        if let Some(old_ca) = plan.throwaway_cas.get(&s.action.name) {
            editor.throwaway_ca(s, old_ca).at_entry(&s.action.name)?;
        }
    }
    Ok(editor.finish())
}

fn holders<'a>(s: &'a SignedAction<'a>) -> impl Iterator<Item = &'a Entry> {
    std::iter::once(s.entry).chain(s.copies.iter().copied())
}

/// One file being edited.
struct FileEdit {
    /// The real path read.
    source: PathBuf,
    /// The real path written (differs for kubelet's dated files).
    write_to: PathBuf,
    /// `fsx::sha256_hex` of the text read: the transaction refuses the file if it changes.
    original_sha256: String,
    /// An edit changed the text.
    changed: bool,
    text: String,
    mode: Option<u32>,
    entries: Vec<String>,
}

struct Editor<'p> {
    root: &'p RootDir,
    now: Timestamp,
    files: Vec<FileEdit>,
    by_source: HashMap<PathBuf, usize>,
    links: Vec<FileChange>,
    guards: Vec<Guard>,
    /// Checks by source path (mapped to the written path at the end).
    checks: HashMap<PathBuf, Vec<Check<'p>>>,
    paths_by_entry: BTreeMap<String, Vec<PathBuf>>,
}

impl<'p> Editor<'p> {
    /// The renewed leaf `s` where `holder` (the entry or a copy of it) keeps it; `signed` and
    /// `spki` describe `s.new` for the checks.
    fn leaf(
        &mut self,
        s: &SignedAction<'p>,
        holder: &Entry,
        new_der: &[u8],
        signed: &Arc<SignedCert<'p>>,
        spki: &Arc<[u8]>,
    ) -> Result<()> {
        // A copy holds the old certificate, or (a user's kubeconfig copy made before an
        // earlier renewal) an older one with the same key.
        let old_der = holder
            .certificate
            .as_ref()
            .map_or_else(|| s.old.as_der(), Certificate::as_der);
        let (source, place) = match &holder.cert {
            Location::File(path) | Location::Combined(path) => {
                let source = self.edit(path, &holder.name, |text| {
                    replace_certificate(text, old_der, new_der, path)
                })?;
                (source, Place::Pem)
            }
            Location::KubeconfigEmbedded { kubeconfig, user } => {
                let source = self.edit(kubeconfig, &holder.name, |text| {
                    replace_user_data(text, kubeconfig, user, UserField::Certificate, |pem| {
                        replace_certificate(pem, old_der, new_der, kubeconfig)
                    })
                })?;
                (source, Place::KubeconfigUser(user.clone()))
            }
            Location::SecretJson(path) => {
                let source = self.edit(path, &holder.name, |text| {
                    replace_secret_chain(text, path, |pem| {
                        replace_certificate(pem, old_der, new_der, path)
                    })
                })?;
                (source, Place::SecretJson)
            }
            Location::RkeState { state, certificate } => {
                return self.rke_state(s, holder, state, certificate, new_der, signed, spki);
            }
        };
        self.check(
            &source,
            Check::Renewed {
                entry: holder.name.clone(),
                place,
                signed: Arc::clone(signed),
            },
        );
        let Some(key_location) = &holder.key else {
            return Ok(());
        };
        let key_pem = match &s.new_key {
            Some(key) => Some(key.to_pem().at_entry(&holder.name)?),
            None => None,
        };
        let (source, place) = match (key_location, &key_pem) {
            (Location::File(path) | Location::Combined(path), Some(pem)) => {
                let source = self.edit(path, &holder.name, |text| {
                    pem_text::replace_private_key(text, pem).at_path(path)
                })?;
                if matches!(key_location, Location::File(_)) {
                    self.set_private(&source);
                }
                (source, Place::Pem)
            }
            (Location::KubeconfigEmbedded { kubeconfig, user }, Some(pem)) => {
                let source = self.edit(kubeconfig, &holder.name, |text| {
                    replace_user_data(text, kubeconfig, user, UserField::Key, |_| {
                        Ok(pem.to_string())
                    })
                })?;
                (source, Place::KubeconfigUser(user.clone()))
            }
            (Location::SecretJson(path), Some(pem)) => {
                let source = self.edit(path, &holder.name, |text| {
                    tls_secret::with_key_pem(text, pem).map_err(|why| secret_error(path, why))
                })?;
                (source, Place::SecretJson)
            }
            // A kept key in a file of its own is untouched; it must match the new certificate
            // now and hold the same bytes when the renames begin.
            (Location::File(path), None) => return self.guard_key(path, &holder.name, spki),
            (Location::Combined(path), None) => (self.source_of(path)?, Place::Pem),
            (Location::KubeconfigEmbedded { kubeconfig, user }, None) => (
                self.source_of(kubeconfig)?,
                Place::KubeconfigUser(user.clone()),
            ),
            (Location::SecretJson(path), None) => (self.source_of(path)?, Place::SecretJson),
            // Written with its certificate (`rke_state`).
            (Location::RkeState { .. }, _) => return Ok(()),
        };
        self.check(
            &source,
            Check::Key {
                entry: holder.name.clone(),
                place,
                spki: Arc::clone(spki),
            },
        );
        Ok(())
    }

    /// The renewed leaf `s` in bundle entry `name` of an RKE1 state file: `certificatePEM` (and
    /// `keyPEM` when the key rotates) in every state (desired, current) whose certificate is
    /// the old one's identity, each checked.
    // The same inputs as `leaf`, which hands this location over whole.
    #[allow(clippy::too_many_arguments)]
    fn rke_state(
        &mut self,
        s: &SignedAction<'p>,
        holder: &Entry,
        state: &Path,
        name: &str,
        new_der: &[u8],
        signed: &Arc<SignedCert<'p>>,
        spki: &Arc<[u8]>,
    ) -> Result<()> {
        let new_pem = Certificate::from_der(new_der).at_path(state)?.to_pem();
        let key_pem = match &s.new_key {
            Some(key) => Some(key.to_pem().at_entry(&holder.name)?),
            None => None,
        };
        // The identity to look for: the copy's certificate (possibly older than the node's).
        let old = holder.certificate.as_ref().unwrap_or(s.old);
        let mut states = Vec::new();
        let mut config_places = Vec::new();
        let source = self.edit(state, &holder.name, |text| {
            states = super::rke_states::states_holding(text, name, old)?;
            if states.is_empty() {
                return Err(Error::new(
                    ErrorKind::Layout,
                    format!("bundle entry {name:?} no longer holds the certificate to renew (changed since the scan?)"),
                ));
            }
            // The certificates replaced (the states may hold different ones of one identity):
            // the kubeconfigs of the state that embed them follow (kube-admin's `config`).
            let mut olds: Vec<Vec<u8>> = Vec::new();
            for st in &states {
                let der = rke_state::certificate(text, st, name)
                    .map_err(|why| Error::new(ErrorKind::Layout, why))?
                    .as_der()
                    .to_vec();
                if !olds.contains(&der) {
                    olds.push(der);
                }
            }
            let mut out = text.to_string();
            for st in &states {
                out = rke_state::with_certificate(&out, st, name, &new_pem)
                    .map_err(|why| Error::new(ErrorKind::Layout, why))?;
                if let Some(pem) = &key_pem {
                    out = rke_state::with_key(&out, st, name, pem)
                        .map_err(|why| Error::new(ErrorKind::Layout, why))?;
                }
            }
            for old_der in &olds {
                let (edited, places) = replace_in_state_configs(
                    &out,
                    state,
                    old_der,
                    new_der,
                    key_pem.as_ref().map(|k| k.as_str()),
                )?;
                out = edited;
                config_places.extend(places);
            }
            Ok(out)
        })?;
        for place in config_places {
            let Place::RkeStateConfig { inner, .. } = &place else {
                continue;
            };
            if matches!(**inner, Place::KubeconfigUser(_)) {
                self.check(
                    &source,
                    Check::Renewed {
                        entry: holder.name.clone(),
                        place: place.clone(),
                        signed: Arc::clone(signed),
                    },
                );
                self.check(
                    &source,
                    Check::Key {
                        entry: holder.name.clone(),
                        place,
                        spki: Arc::clone(spki),
                    },
                );
            } else {
                self.check(
                    &source,
                    Check::Copy {
                        entry: holder.name.clone(),
                        place,
                        der: new_der.to_vec(),
                    },
                );
            }
        }
        for st in states {
            let place = Place::RkeState {
                state: st,
                name: name.to_string(),
            };
            self.check(
                &source,
                Check::Renewed {
                    entry: holder.name.clone(),
                    place: place.clone(),
                    signed: Arc::clone(signed),
                },
            );
            if holder.key.is_some() {
                self.check(
                    &source,
                    Check::Key {
                        entry: holder.name.clone(),
                        place,
                        spki: Arc::clone(spki),
                    },
                );
            }
        }
        Ok(())
    }

    /// kubelet's self-signed serving pair: the new throwaway CA (`s.issuer`) takes the old
    /// one's place after the leaf in `kubelet.crt`, as kubelet writes the pair.
    fn throwaway_ca(&mut self, s: &SignedAction<'p>, old_ca: &Certificate) -> Result<()> {
        let path = s.entry.cert.path();
        let new_der = s.issuer.as_der();
        let source = self.edit(path, &s.action.name, |text| {
            replace_certificate(text, old_ca.as_der(), new_der, path)
        })?;
        self.check(
            &source,
            Check::Copy {
                entry: s.action.name.clone(),
                place: Place::Pem,
                der: new_der.to_vec(),
            },
        );
        Ok(())
    }

    /// The renewed CA `s`: its file, its copies, every chain and kubeconfig that embeds it.
    fn ca(&mut self, plan: &Plan, s: &SignedAction<'p>) -> Result<()> {
        let old_der = s.old.as_der();
        let new_der = s.new.der.as_slice();
        let name = &s.action.name;
        let signed = Arc::new(SignedCert {
            new_sha256: s.new.sha256.clone(),
            old: s.old,
            issuer: Arc::clone(&s.issuer),
            key: s.key.clone(),
            key_kept: true,
            add_sans: None,
            signed_elsewhere: plan.provided.is_some(),
        });
        let own = s.entry.cert.path();
        let source = self
            .edit(own, name, |text| {
                replace_certificate(text, old_der, new_der, own)
            })
            .at_entry(name)?;
        self.check(
            &source,
            Check::Renewed {
                entry: name.clone(),
                place: Place::Pem,
                signed,
            },
        );
        // Every PEM file of the inventory that holds the old CA (copies, chains).
        let mut pem_files = BTreeSet::new();
        for entry in &plan.inventory.entries {
            if let Location::File(p) | Location::Combined(p) = &entry.cert {
                pem_files.insert(p.clone());
            }
        }
        for path in pem_files {
            let Ok(text) = self.current_text(&path) else {
                continue;
            };
            if !pem_text::contains_certificate(&text, old_der).unwrap_or(false) {
                continue;
            }
            let holder = self.holder_name(plan, &path, name);
            let source = self
                .edit(&path, &holder, |text| {
                    Ok(pem_text::replace_certificate(text, old_der, new_der)?.0)
                })
                .at_entry(&holder)?;
            self.check(
                &source,
                Check::Copy {
                    entry: holder,
                    place: Place::Pem,
                    der: new_der.to_vec(),
                },
            );
        }
        // RKE1 cluster states keep the CA in their bundles (`rke up` deploys it).
        let mut states = BTreeSet::new();
        for entry in &plan.inventory.entries {
            if let Location::RkeState { state, .. } = &entry.cert {
                states.insert(state.clone());
            }
        }
        let new_pem = Certificate::from_der(new_der).at_entry(name)?.to_pem();
        for path in states {
            let Ok(text) = self.current_text(&path) else {
                continue;
            };
            let holding: Vec<(&'static str, String)> = rke_state::bundle(&text)
                .unwrap_or_default()
                .into_iter()
                .filter(|b| {
                    Certificate::from_pem(b.certificate_pem.value.as_bytes())
                        .is_ok_and(|c| c.as_der() == old_der)
                })
                .map(|b| (b.state, b.name))
                .collect();
            // The kubeconfigs kept in the state (kube-admin's `config`) embed it too.
            let (with_configs, config_places) =
                replace_in_state_configs(&text, &path, old_der, new_der, None).at_entry(name)?;
            if holding.is_empty() && config_places.is_empty() {
                continue;
            }
            let source = self
                .edit(&path, name, |_| {
                    let mut out = with_configs;
                    for (state, bundle_name) in &holding {
                        out = rke_state::with_certificate(&out, state, bundle_name, &new_pem)
                            .map_err(|why| Error::new(ErrorKind::Layout, why))?;
                    }
                    Ok(out)
                })
                .at_entry(name)?;
            for place in config_places {
                self.check(
                    &source,
                    Check::Copy {
                        entry: name.clone(),
                        place,
                        der: new_der.to_vec(),
                    },
                );
            }
            for (state, bundle_name) in holding {
                self.check(
                    &source,
                    Check::Copy {
                        entry: name.clone(),
                        place: Place::RkeState {
                            state,
                            name: bundle_name,
                        },
                        der: new_der.to_vec(),
                    },
                );
            }
        }
        // TLS Secrets (k3s/RKE2's dynamic-cert.json) carry their CA after the leaf.
        let mut secrets = BTreeSet::new();
        for entry in &plan.inventory.entries {
            if let Location::SecretJson(p) = &entry.cert {
                secrets.insert(p.clone());
            }
        }
        for path in secrets {
            let Ok(text) = self.current_text(&path) else {
                continue;
            };
            let holds_old = tls_secret::certificate_pem(&text)
                .ok()
                .and_then(|pem| String::from_utf8(pem).ok())
                .is_some_and(|pem| pem_text::contains_certificate(&pem, old_der).unwrap_or(false));
            if !holds_old {
                continue;
            }
            let holder = self.holder_name(plan, &path, name);
            let source = self
                .edit(&path, &holder, |text| {
                    replace_secret_chain(text, &path, |pem| {
                        Ok(pem_text::replace_certificate(pem, old_der, new_der)?.0)
                    })
                })
                .at_entry(&holder)?;
            self.check(
                &source,
                Check::Copy {
                    entry: holder,
                    place: Place::SecretJson,
                    der: new_der.to_vec(),
                },
            );
        }
        for path in kubeconfig_candidates(plan) {
            let Ok(text) = self.current_text(&path) else {
                continue;
            };
            let Ok(parsed) = Kubeconfig::parse(&text, &path) else {
                continue;
            };
            // A client certificate's chain may carry the CA too (k3s.yaml's admin user).
            if !kube_text::holding(&parsed, old_der).any() {
                continue;
            }
            let holder = self.holder_name(plan, &path, name);
            let mut found = kube_text::Holding::default();
            let source = self
                .edit(&path, &holder, |text| {
                    let (out, holding) =
                        kube_text::replace_everywhere(text, &path, old_der, new_der)?;
                    found = holding;
                    Ok(out)
                })
                .at_entry(&holder)?;
            for place in kubeconfig_places(&found) {
                self.check(
                    &source,
                    Check::Copy {
                        entry: holder.clone(),
                        place,
                        der: new_der.to_vec(),
                    },
                );
            }
        }
        Ok(())
    }

    /// Reads a kept key file, checks it matches the renewed certificate (its
    /// subjectPublicKeyInfo `spki`), and guards its bytes.
    fn guard_key(&mut self, path: &Path, entry: &str, spki: &[u8]) -> Result<()> {
        let bytes = zeroize::Zeroizing::new(files::read(self.root, path)?);
        let key = PrivateKey::load(&bytes).at_path(path)?;
        if !super::check::key_matches(&key, spki) {
            return Err(Error::new(
                ErrorKind::Conflict,
                "the key file no longer matches the certificate being renewed (changed since the scan?)",
            )
            .with_path(path)
            .with_entry(entry));
        }
        self.guards.push(Guard {
            path: path.to_path_buf(),
            sha256: fsx::sha256_hex(&bytes),
            entry: entry.to_string(),
        });
        Ok(())
    }

    /// Sends kubelet's renewed pem to a new dated file and swaps the link to it.
    fn redirect_link(&mut self, link: &Path, entry: &str) -> Result<()> {
        let place = self.root.resolve(link, Follow::NotLast)?;
        if !place
            .lstat()?
            .is_some_and(|s| rustix::fs::FileType::from_raw_mode(s.st_mode).is_symlink())
        {
            return Ok(());
        }
        let source = files::real_path(self.root, link)?;
        if self.by_source.contains_key(&source) {
            return Ok(());
        }
        let old_target = place.read_link()?;
        let dir = source.parent().ok_or_else(|| {
            Error::new(ErrorKind::Layout, "kubelet pem has no directory").with_path(link)
        })?;
        let new_name = self.dated_name(link, dir);
        let index = self.open(link)?;
        let file = &mut self.files[index];
        file.write_to = dir.join(&new_name);
        file.mode = Some(0o600);
        self.links.push(
            FileChange::symlink(entry, link, old_target.with_file_name(&new_name))
                .expecting(Expect::Sha256(fsx::link_sha256(&old_target))),
        );
        self.note(entry, link.to_path_buf());
        Ok(())
    }

    /// `kubelet-client-2026-02-03-04-05-06.pem`: kubelet's naming, at the plan's time, moved on
    /// by a second while the name is taken.
    fn dated_name(&self, link: &Path, dir: &Path) -> String {
        let link_name = link
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = match link_name.strip_suffix("current.pem") {
            Some(prefix) => prefix.to_string(),
            None => format!("{}-", link_name.strip_suffix(".pem").unwrap_or(&link_name)),
        };
        let mut at = self.now;
        loop {
            let stamp: String = at
                .to_rfc3339()
                .trim_end_matches('Z')
                .chars()
                .map(|c| if c == 'T' || c == ':' { '-' } else { c })
                .collect();
            let name = format!("{prefix}{stamp}.pem");
            let on_disk = self
                .root
                .resolve(&dir.join(&name), Follow::NotLast)
                .and_then(|p| p.lstat())
                .map_or(true, |s| s.is_some());
            let taken = on_disk || self.files.iter().any(|f| f.write_to == dir.join(&name));
            if !taken {
                return name;
            }
            at = at.plus(std::time::Duration::from_secs(1));
        }
    }

    /// Opens `path` (as the inventory names it) for editing, once per real file.
    fn open(&mut self, path: &Path) -> Result<usize> {
        let source = files::real_path(self.root, path)?;
        if let Some(&index) = self.by_source.get(&source) {
            return Ok(index);
        }
        let text = files::read_text(self.root, path)?;
        self.files.push(FileEdit {
            write_to: source.clone(),
            source: source.clone(),
            original_sha256: fsx::sha256_hex(text.as_bytes()),
            changed: false,
            text,
            mode: None,
            entries: Vec::new(),
        });
        let index = self.files.len() - 1;
        self.by_source.insert(source, index);
        Ok(index)
    }

    /// Applies `change` to the current text of `path` for `entry`; returns the source path.
    fn edit(
        &mut self,
        path: &Path,
        entry: &str,
        change: impl FnOnce(&str) -> Result<String>,
    ) -> Result<PathBuf> {
        let index = self.open(path)?;
        let file = &mut self.files[index];
        let text = change(&file.text).map_err(|e| e.with_path(path))?;
        file.changed |= text != file.text;
        file.text = text;
        if !file.entries.iter().any(|e| e == entry) {
            file.entries.push(entry.to_string());
        }
        let (source, write_to) = (file.source.clone(), file.write_to.clone());
        self.note(entry, write_to);
        Ok(source)
    }

    /// The text of `path` with the edits so far.
    fn current_text(&self, path: &Path) -> Result<String> {
        let source = files::real_path(self.root, path)?;
        match self.by_source.get(&source) {
            Some(&index) => Ok(self.files[index].text.clone()),
            None => files::read_text(self.root, path),
        }
    }

    fn source_of(&mut self, path: &Path) -> Result<PathBuf> {
        let index = self.open(path)?;
        Ok(self.files[index].source.clone())
    }

    fn set_private(&mut self, source: &Path) {
        if let Some(&index) = self.by_source.get(source) {
            self.files[index].mode = Some(0o600);
        }
    }

    fn check(&mut self, source: &Path, check: Check<'p>) {
        self.checks
            .entry(source.to_path_buf())
            .or_default()
            .push(check);
    }

    fn note(&mut self, entry: &str, path: PathBuf) {
        let paths = self.paths_by_entry.entry(entry.to_string()).or_default();
        if !paths.contains(&path) {
            paths.push(path);
        }
    }

    /// The entry that owns `path` for messages: the inventory entry whose certificate lives
    /// there, else the CA being refreshed.
    fn holder_name(&self, plan: &Plan, path: &Path, ca: &str) -> String {
        plan.inventory
            .entries
            .iter()
            .find(|e| e.cert.path() == path)
            .map_or_else(|| ca.to_string(), |e| e.name.clone())
    }

    /// The changes, each file's text moved (not copied) into its change.
    fn finish(mut self) -> Written<'p> {
        let mut changes = Vec::new();
        let mut checks: Checks<'p> = HashMap::new();
        for file in self.files {
            if !file.changed && file.write_to == file.source {
                continue;
            }
            // The file read, or for kubelet's new dated pem a name that must still be free.
            let expect = if file.write_to == file.source {
                Expect::Sha256(file.original_sha256)
            } else {
                Expect::Absent
            };
            let mut change = FileChange::bytes(
                file.entries.join(","),
                &file.write_to,
                zeroize::Zeroizing::new(file.text.into_bytes()),
            )
            .expecting(expect);
            change.mode = file.mode;
            changes.push(change);
            if let Some(list) = self.checks.remove(&file.source) {
                checks.insert(file.write_to, list);
            }
        }
        changes.extend(self.links);
        Written {
            changes,
            guards: self.guards,
            checks,
            paths_by_entry: self.paths_by_entry,
        }
    }
}

/// `text`, an RKE state read from `path`, with the certificate `old_der` replaced by `new_der`
/// in every bundle entry's `config` (kubeconfig text) that embeds it, and with `key_pem` as the
/// `client-key-data` of each user whose client certificate it was (a rotated key); the places
/// replaced, for the checks.
///
/// # Errors
/// `Layout` when the state does not parse; `Kubeconfig` when a `config` is not a kubeconfig or
/// holds a bad value, naming the state file and the `config` (`desiredState.certificatesBundle.
/// kube-admin.config`): nothing is half edited.
fn replace_in_state_configs(
    text: &str,
    path: &Path,
    old_der: &[u8],
    new_der: &[u8],
    key_pem: Option<&str>,
) -> Result<(String, Vec<Place>)> {
    let configs = rke_state::configs(text)
        .map_err(|why| Error::new(ErrorKind::Layout, why).with_path(path))?;
    let mut out = text.to_string();
    let mut places = Vec::new();
    for c in configs {
        let field = c.field();
        let in_config =
            |e: Error| Error::new(e.kind(), format!("{field}: {}", e.message())).with_path(path);
        let value = zeroize::Zeroizing::new(c.config.value);
        let (config, holding) =
            kube_text::replace_everywhere(&value, path, old_der, new_der).map_err(in_config)?;
        if !holding.any() {
            continue;
        }
        let mut config = zeroize::Zeroizing::new(config);
        if let Some(pem) = key_pem {
            for user in &holding.users {
                config = zeroize::Zeroizing::new(
                    replace_user_data(&config, path, user, UserField::Key, |_| Ok(pem.to_string()))
                        .map_err(in_config)?,
                );
            }
        }
        out = rke_state::with_config(&out, c.state, &c.name, &config)
            .map_err(|why| Error::new(ErrorKind::Layout, why).with_path(path))?;
        places.extend(
            kubeconfig_places(&holding)
                .into_iter()
                .map(|inner| Place::RkeStateConfig {
                    state: c.state,
                    name: c.name.clone(),
                    inner: Box::new(inner),
                }),
        );
    }
    Ok((out, places))
}

/// The check places of a kubeconfig's embedded copies.
fn kubeconfig_places(holding: &kube_text::Holding) -> Vec<Place> {
    let clusters = holding.clusters.then_some(Place::KubeconfigClusters);
    clusters
        .into_iter()
        .chain(holding.users.iter().cloned().map(Place::KubeconfigUser))
        .collect()
}

fn replace_certificate(text: &str, old_der: &[u8], new_der: &[u8], path: &Path) -> Result<String> {
    let (out, replaced) = pem_text::replace_certificate(text, old_der, new_der)?;
    if replaced == 0 {
        return Err(Error::new(
            ErrorKind::Layout,
            "the certificate to renew is no longer in the file (changed since the scan?)",
        )
        .with_path(path));
    }
    Ok(out)
}

/// Re-encodes a TLS Secret's `data."tls.crt"` after `change` edits its decoded PEM chain; the
/// fingerprint annotation follows the chain's first certificate.
fn replace_secret_chain(
    text: &str,
    path: &Path,
    change: impl FnOnce(&str) -> Result<String>,
) -> Result<String> {
    let pem = tls_secret::certificate_pem(text).map_err(|why| secret_error(path, why))?;
    let pem = String::from_utf8(pem)
        .map_err(|_| secret_error(path, "data.tls.crt is not PEM text".to_string()))?;
    let new_pem = change(&pem)?;
    let leaf = Certificate::from_pem(new_pem.as_bytes()).at_path(path)?;
    tls_secret::with_certificate_pem(text, &new_pem, leaf.as_der())
        .map_err(|why| secret_error(path, why))
}

fn secret_error(path: &Path, why: String) -> Error {
    Error::new(ErrorKind::Layout, why).with_path(path)
}

/// The kubeconfigs of the inventory plus those in the usual directories.
fn kubeconfig_candidates(plan: &Plan) -> Vec<PathBuf> {
    let mut out = BTreeSet::new();
    for entry in &plan.inventory.entries {
        if let Location::KubeconfigEmbedded { kubeconfig, .. } = &entry.cert {
            out.insert(kubeconfig.clone());
        }
    }
    for (dir, suffix) in KUBECONFIG_DIRS {
        let dir = plan.root.join(dir);
        let Ok(listing) = plan.dir.list(&dir) else {
            continue;
        };
        for name in listing {
            let path = dir.join(&name);
            let is_file = plan
                .dir
                .resolve(&path, Follow::Last)
                .and_then(|p| p.lstat())
                .is_ok_and(|s| {
                    s.is_some_and(|s| rustix::fs::FileType::from_raw_mode(s.st_mode).is_file())
                });
            if name.to_string_lossy().ends_with(suffix) && is_file {
                out.insert(path);
            }
        }
    }
    out.into_iter().collect()
}
