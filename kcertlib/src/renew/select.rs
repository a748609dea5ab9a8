//! Deciding what to renew: selection by name, expiry window and kind, then the preflight checks
//! that turn an entry into an action or a skip with a reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::source::{Provided, Source};
use super::{Action, RenewOptions, Skipped, files};
use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
use crate::extensions::{AltNames, ExtendedKeyUsage};
use crate::fsx::RootDir;
use crate::inventory::{self, Entry, EntryKind, EntryStatus, Inventory, Location, ScanOptions};
use crate::key::PrivateKey;
use crate::sign::Issuer;
use crate::time::Timestamp;
use crate::validity::ValidityPolicy;

/// What a renewal will do: the actions, the skips with reasons, warnings and restart hints.
/// `Plan::to_text()` is the dry run's output.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Plan {
    /// The canonical root.
    pub root: PathBuf,
    /// The root, open: every file the renewal reads or writes is resolved through it.
    pub(super) dir: RootDir,
    /// The time the plan was made for (and every new certificate is dated from).
    pub now: Timestamp,
    /// The entries to renew: CAs first, then leaves, in inventory order.
    pub actions: Vec<Action>,
    /// The entries left alone, with reasons.
    pub skipped: Vec<Skipped>,
    /// Things to know before renewing (a CA that will clamp its leaves, a key kept although
    /// rotation was asked, ...).
    pub warnings: Vec<String>,
    /// Components to restart after the renewal.
    pub restart: Vec<String>,
    /// The scan the plan was made from.
    pub(super) inventory: Inventory,
    /// The CA keys, loaded and checked, by CA entry name.
    pub(super) ca_keys: BTreeMap<String, PrivateKey>,
    /// `options.validity` with `now` pinned.
    pub(super) validity: ValidityPolicy,
    /// kubelet's self-signed serving pairs to renew, each with the throwaway CA that follows
    /// its leaf in the file (replaced by a new one: `kubelet_serving`).
    pub(super) throwaway_cas: BTreeMap<String, Certificate>,
    /// `options.add_sans`.
    pub(super) add_sans: AltNames,
    /// The certificates signed elsewhere that this plan installs (`Source::Provided`).
    pub(crate) provided: Option<Provided>,
    /// For an export (`Source::Export`): the leaves whose only obstacle is that their CA's key
    /// is not on this node (also in `skipped`, with that reason).
    pub(crate) exportable: Option<BTreeSet<String>>,
}

impl Plan {
    /// The scan the plan was made from.
    pub(crate) fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// The root, open.
    pub(crate) fn root_dir(&self) -> &RootDir {
        &self.dir
    }

    /// Whether `name` is kubelet's self-signed serving pair, renewed with a new throwaway CA.
    pub(crate) fn renews_throwaway_ca(&self, name: &str) -> bool {
        self.throwaway_cas.contains_key(name)
    }

    /// The inventory entry of an action.
    pub(super) fn entry(&self, name: &str) -> Option<&Entry> {
        self.inventory.get(name)
    }

    /// The entries holding a copy of `name`'s certificate.
    pub(super) fn copies_of(&self, name: &str) -> Vec<&Entry> {
        self.inventory
            .entries
            .iter()
            .filter(|e| e.copy_of.as_deref() == Some(name))
            .collect()
    }
}

pub(super) fn plan(root: &RootDir, options: &RenewOptions, source: &Source<'_>) -> Result<Plan> {
    let now = options.validity.now();
    let validity = ValidityPolicy {
        now: Some(now),
        ..options.validity
    };
    let mut inventory = inventory::scan_dir(
        root,
        &ScanOptions {
            warn_within: options.warn_within,
            now: Some(now),
            threads: options.threads,
        },
    )?;
    let states = super::rke_states::find(
        root,
        &inventory,
        options.rke_state.as_deref(),
        now,
        options.warn_within,
    )?;
    inventory.entries.extend(states.entries);
    // After the states: a user's copy may be of the state's kube-admin (rke's
    // kube_config_<cluster>.yml beside the state, or that file copied to ~/.kube/config).
    if options.user_kubeconfigs {
        let copies = super::kube_copies::find(
            root,
            &inventory,
            &states.admin_kubeconfigs,
            now,
            options.warn_within,
        );
        inventory.entries.extend(copies);
    }
    let mut plan = Plan {
        root: inventory.root.clone(),
        dir: root.clone(),
        now,
        actions: Vec::new(),
        skipped: Vec::new(),
        warnings: states.warnings,
        restart: Vec::new(),
        inventory,
        ca_keys: BTreeMap::new(),
        validity,
        throwaway_cas: BTreeMap::new(),
        add_sans: options.add_sans.clone(),
        provided: None,
        exportable: matches!(source, Source::Export).then(BTreeSet::new),
    };
    // An install renews exactly the entries it was given certificates for, as if named, and
    // the CAs whose new certificate came along; nothing else, and nothing added.
    let provided_options;
    let options = match source {
        Source::Provided(resolve) => {
            let provided = resolve(&plan.inventory, now)?;
            plan.warnings.extend(provided.warnings.iter().cloned());
            provided_options = RenewOptions {
                only: provided.names(),
                expiring_within: None,
                rotate_keys: false,
                include_ca: !provided.cas.is_empty(),
                add_sans: AltNames::default(),
                ..options.clone()
            };
            plan.add_sans = AltNames::default();
            let nothing = provided.names().is_empty();
            plan.provided = Some(provided);
            if nothing {
                // Nothing new (a carried CA the node already has): an empty `only` would
                // otherwise select every leaf.
                return Ok(plan);
            }
            &provided_options
        }
        Source::Local | Source::Export => options,
    };
    let named = named_entries(&mut plan, options)?;
    let mut renewed_cas = BTreeSet::new();
    // Entries are cloned one at a time while the plan is built (the checks below update the
    // plan), never all at once: a large node's inventory holds 3,000 parsed certificates.
    let originals = |kind: EntryKind, inventory: &Inventory| -> Vec<usize> {
        (0..inventory.entries.len())
            .filter(|&i| {
                let e = &inventory.entries[i];
                e.kind == kind && e.copy_of.is_none()
            })
            .collect()
    };
    for index in originals(EntryKind::Ca, &plan.inventory) {
        let ca = &plan.inventory.entries[index].clone();
        let Some(reason) = selection(&mut plan, options, &named, ca) else {
            continue;
        };
        if !options.include_ca {
            if named.contains(&ca.name) {
                let why = if plan.exportable.is_some() {
                    "a CA: a CA is renewed where its key is (kcert renew --include-ca there), not exported"
                } else {
                    "a CA: CAs are renewed only with include_ca"
                };
                plan.skip(&ca.name, why);
            }
            continue;
        }
        if plan
            .provided
            .as_ref()
            .is_some_and(|p| p.cas.contains_key(&ca.name))
        {
            renewed_cas.insert(ca.name.clone());
            let action = plan.action(ca, reason, false);
            plan.actions.push(action);
            continue;
        }
        match preflight_ca(&plan, ca) {
            Ok(key) => {
                plan.ca_keys.insert(ca.name.clone(), key);
                renewed_cas.insert(ca.name.clone());
                let action = plan.action(ca, reason, false);
                plan.actions.push(action);
            }
            Err(why) => plan.skip(&ca.name, &why),
        }
    }
    for index in originals(EntryKind::Leaf, &plan.inventory) {
        let leaf = &plan.inventory.entries[index].clone();
        let selected = selection(&mut plan, options, &named, leaf);
        // A CA certificate provided for an install has the old one's key: what it signed stays
        // valid, and only the leaves provided are replaced.
        let by_ca = leaf
            .ca_name
            .as_ref()
            .filter(|ca| renewed_cas.contains(*ca) && plan.provided.is_none())
            .map(|ca| format!("its CA {ca} is renewed"));
        let Some(reason) = selected.or(by_ca) else {
            continue;
        };
        match preflight_leaf(&mut plan, leaf, &renewed_cas) {
            Ok(()) => {
                let rotate = options.rotate_keys && !holds_service_account_key(leaf);
                if options.rotate_keys && !rotate {
                    plan.warnings.push(format!(
                        "{}: key kept although rotate_keys is set: it signs service-account tokens, and a new one would invalidate them all",
                        leaf.name
                    ));
                }
                let action = plan.action(leaf, reason, rotate);
                plan.actions.push(action);
            }
            Err(why) => plan.skip(&leaf.name, &why),
        }
    }
    keep_shared_keys(&mut plan);
    check_add_sans(&plan)?;
    check_provided(&plan)?;
    serving_secret_notes(&mut plan);
    rke_state_notes(&mut plan, &states.states);
    let mut restart = Vec::new();
    for action in &plan.actions {
        for component in &action.restart {
            if !restart.contains(component) {
                restart.push(component.clone());
            }
        }
    }
    plan.restart = restart;
    Ok(plan)
}

impl Plan {
    fn skip(&mut self, name: &str, reason: &str) {
        self.skipped.push(Skipped {
            name: name.to_string(),
            reason: reason.to_string(),
        });
    }

    fn action(&self, entry: &Entry, reason: String, rotate_key: bool) -> Action {
        let copies = self.copies_of(&entry.name);
        let mut paths = vec![entry.cert.path().to_path_buf()];
        let mut restart = entry.restart.clone();
        if rotate_key && let Some(key) = &entry.key {
            paths.push(key.path().to_path_buf());
        }
        for copy in &copies {
            paths.push(copy.cert.path().to_path_buf());
            if rotate_key && let Some(key) = &copy.key {
                paths.push(key.path().to_path_buf());
            }
            restart.extend(copy.restart.iter().cloned());
        }
        paths.dedup();
        let mut unique_restart = Vec::new();
        for r in restart {
            if !unique_restart.contains(&r) {
                unique_restart.push(r);
            }
        }
        Action {
            name: entry.name.clone(),
            kind: entry.kind,
            reason,
            ca_name: entry.ca_name.clone(),
            copies: copies.iter().map(|c| c.name.clone()).collect(),
            paths,
            not_after: entry
                .certificate
                .as_ref()
                .map_or(self.now, Certificate::not_after),
            rotate_key,
            restart: unique_restart,
        }
    }
}

/// A renewed k3s/RKE2 `dynamic-cert.json` has an in-cluster copy, Secret
/// `kube-system/<prog>-serving`, that dynamiclistener merges with the file when the server
/// starts: one it still judges valid (not within its renewal window) is preferred to the file
/// and written back over it, and releases before rancher/dynamiclistener 2022-07 let even an
/// expired one win. Deleting the Secret makes the renewed file the only copy.
fn serving_secret_notes(plan: &mut Plan) {
    let mut notes = Vec::new();
    for action in &plan.actions {
        let Some(entry) = plan.inventory.get(&action.name) else {
            continue;
        };
        let Location::SecretJson(path) = &entry.cert else {
            continue;
        };
        let Some(secret) = crate::layout::rancher::serving_secret(entry.distribution) else {
            continue;
        };
        notes.push(format!(
            "{name}: {path} has an in-cluster copy, Secret kube-system/{secret}, that {restart} may restore over the renewed file when it restarts (it prefers a copy still valid, older releases any copy): delete it with `kubectl -n kube-system delete secret {secret}` and restart {restart}; if `kcert check --live` then still finds the supervisor serving the old certificate, renew again after the restart",
            name = action.name,
            path = path.display(),
            restart = action.restart.join(", "),
        ));
    }
    plan.warnings.extend(notes);
}

/// RKE1 leaves renewed without a copy in a cluster state: `rke up` would deploy the old ones
/// from the state again.
fn rke_state_notes(plan: &mut Plan, states: &[PathBuf]) {
    let uncovered: Vec<&str> = plan
        .actions
        .iter()
        .filter(|a| a.kind == EntryKind::Leaf)
        .filter(|a| {
            plan.inventory.get(&a.name).is_some_and(|e| {
                e.distribution == crate::inventory::Distribution::Rke1
                    && !matches!(e.cert, Location::RkeState { .. })
            })
        })
        .filter(|a| {
            !plan
                .copies_of(&a.name)
                .iter()
                .any(|c| matches!(c.cert, Location::RkeState { .. }))
        })
        .map(|a| a.name.as_str())
        .collect();
    if uncovered.is_empty() {
        return;
    }
    let looked = if states.is_empty() {
        "no RKE cluster state (cluster.rkestate) was found under the root".to_string()
    } else {
        let shown: Vec<String> = states.iter().map(|p| p.display().to_string()).collect();
        format!(
            "the RKE cluster state {} does not hold them",
            shown.join(", ")
        )
    };
    plan.warnings.push(format!(
        "{}: renewed on this node only: {looked}, so a later `rke up` deploys the old certificates from the state again; renew with the state file (kcert renew --rke-state FILE, the cluster.rkestate beside cluster.yml) or run `rke cert rotate` where rke runs",
        uncovered.join(", ")
    ));
}

/// Entries sharing one key file (RKE1's kube-node and kube-proxy) cannot each get a new key:
/// they keep it, with a warning.
fn keep_shared_keys(plan: &mut Plan) {
    let mut by_key: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (index, action) in plan.actions.iter().enumerate() {
        if !action.rotate_key {
            continue;
        }
        let key = plan.inventory.get(&action.name).and_then(|e| e.key.clone());
        if let Some(Location::File(path)) = key {
            let real = files::real_path(&plan.dir, &path).unwrap_or(path);
            by_key.entry(real).or_default().push(index);
        }
    }
    for (key, sharing) in by_key.into_iter().filter(|(_, v)| v.len() > 1) {
        let names: Vec<String> = sharing
            .iter()
            .map(|&i| plan.actions[i].name.clone())
            .collect();
        for &i in &sharing {
            let reason = plan.actions[i].reason.clone();
            if let Some(entry) = plan.inventory.get(&plan.actions[i].name).cloned() {
                plan.actions[i] = plan.action(&entry, reason, false);
            }
        }
        plan.warnings.push(format!(
            "{}: keys kept although rotate_keys is set: they share {}",
            names.join(", "),
            key.display()
        ));
    }
}

/// The names in `only`, checked against the inventory, with copies mapped to their originals.
fn named_entries(plan: &mut Plan, options: &RenewOptions) -> Result<BTreeSet<String>> {
    let mut named = BTreeSet::new();
    for name in &options.only {
        let Some(entry) = plan.inventory.get(name) else {
            let known: Vec<&str> = plan
                .inventory
                .entries
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "no certificate named {name:?} under {}; known: {}",
                    plan.root.display(),
                    known.join(", ")
                ),
            ));
        };
        match &entry.copy_of {
            Some(original) => {
                plan.warnings.push(format!(
                    "{name} holds a copy of {original}: renewing {original} and every copy of it"
                ));
                named.insert(original.clone());
            }
            None => {
                named.insert(name.clone());
            }
        }
    }
    Ok(named)
}

/// Why `entry` is selected by the options, or `None`. Named entries outside the expiry window
/// are reported as skipped; others are left out silently.
fn selection(
    plan: &mut Plan,
    options: &RenewOptions,
    named: &BTreeSet<String>,
    entry: &Entry,
) -> Option<String> {
    let is_named = named.contains(&entry.name);
    if !options.only.is_empty() && !is_named {
        return None;
    }
    let not_after = entry.certificate.as_ref().map(Certificate::not_after);
    if let (Some(window), Some(not_after)) = (options.expiring_within, not_after)
        && not_after > plan.now.plus(window)
    {
        if is_named {
            plan.skip(
                &entry.name,
                &format!(
                    "valid until {not_after}, beyond the expiring_within window of {}",
                    crate::time::short_human_duration(window.as_secs() as i64)
                ),
            );
        }
        return None;
    }
    Some(match (entry.status, not_after) {
        (EntryStatus::Expired, Some(t)) => format!("expired {t}"),
        (EntryStatus::NotYetValid, _) => "not yet valid".to_string(),
        (_, Some(t)) if options.expiring_within.is_some() => format!("expires {t}"),
        _ if is_named => "named".to_string(),
        (_, Some(t)) => format!("valid until {t}"),
        (_, None) => "listed".to_string(),
    })
}

/// A CA can be renewed when its certificate and key are here, match, and it is self-issued.
fn preflight_ca(plan: &Plan, ca: &Entry) -> std::result::Result<PrivateKey, String> {
    let cert = readable(ca)?;
    let Some(key_location) = &ca.key else {
        return Err("externally managed: no CA key on this node".to_string());
    };
    let key = files::load_key(&plan.dir, key_location).map_err(|e| {
        if ca.externally_managed {
            format!("externally managed: its key {key_location} is not on this node")
        } else {
            format!("its key cannot be used: {e}")
        }
    })?;
    Issuer::new(cert, &key).map_err(|e| format!("cannot sign: {}", e.message()))?;
    if !cert.is_self_issued() {
        return Err(format!(
            "an intermediate CA (issued by {:?}): only self-signed CAs are renewed",
            cert.issuer()
        ));
    }
    Ok(key)
}

/// A leaf can be renewed when it is readable, its key matches, and its CA can sign now.
fn preflight_leaf(
    plan: &mut Plan,
    leaf: &Entry,
    renewed_cas: &BTreeSet<String>,
) -> std::result::Result<(), String> {
    let cert = readable(leaf)?;
    if let Location::SecretJson(path) = &leaf.cert
        && files::read_text(&plan.dir, path).is_ok_and(|t| crate::tls_secret::is_static(&t))
    {
        return Err(
            "user-provided (annotation listener.cattle.io/static: \"true\"): dynamiclistener never re-issues it; replace it with a certificate from its issuer"
                .to_string(),
        );
    }
    if super::kubelet_serving::is_self_signed_pair(leaf) && !cert.is_self_issued() {
        let old_ca = super::kubelet_serving::preflight(plan, leaf, cert)?;
        plan.throwaway_cas.insert(leaf.name.clone(), old_ca);
        return Ok(());
    }
    let Some(ca_name) = leaf.ca_name.clone() else {
        return Err(if cert.is_self_issued() {
            "self-signed: no CA on this node signs it".to_string()
        } else if matches!(leaf.cert, Location::File(_)) && leaf.externally_managed {
            "externally managed: signed by a CA whose key is not kept (the next certificate in its file)".to_string()
        } else {
            format!(
                "no CA certificate on this node issued it (issuer {:?})",
                cert.issuer()
            )
        });
    };
    match leaf.key_matches {
        Some(true) => {}
        Some(false) => {
            return Err(format!(
                "its key {} does not match the certificate",
                describe_key(leaf)
            ));
        }
        None => {
            return Err(format!(
                "its key {} is missing or unreadable{}",
                describe_key(leaf),
                problems(leaf)
            ));
        }
    }
    if leaf.chain_verifies == Some(false) {
        return Err(format!(
            "its signature does not verify against CA {ca_name}{}",
            problems(leaf)
        ));
    }
    let ca = plan
        .inventory
        .get(&ca_name)
        .cloned()
        .ok_or_else(|| format!("its CA {ca_name} is not in the inventory"))?;
    if plan.provided.is_some() {
        // Signed elsewhere: the certificate was checked against this CA when it was matched.
    } else if !plan.ca_keys.contains_key(&ca_name) {
        let external = ca.externally_managed || leaf.externally_managed;
        // A certificate kept only in an RKE state (kube-admin) is not exported: an install
        // matches what it is given against the node's own certificates, and the state is
        // renewed where rke runs, with the CA key.
        let state_only = matches!(leaf.cert, Location::RkeState { .. });
        if (external || ca.key.is_none())
            && !state_only
            && let Some(exportable) = &mut plan.exportable
        {
            exportable.insert(leaf.name.clone());
        }
        if external && state_only {
            return Err(format!(
                "kept only in the RKE cluster state, and the key of CA {ca_name} is not on this node: renew it where that key is (kcert renew --rke-state FILE)"
            ));
        }
        if external {
            return Err(format!(
                "externally managed: the key of CA {ca_name} is not on this node"
            ));
        }
        let key = preflight_ca_key(plan, &ca)?;
        plan.ca_keys.insert(ca_name.clone(), key);
    }
    if renewed_cas.contains(&ca_name) {
        return Ok(());
    }
    let ca_cert = readable(&ca)?;
    if ca_cert.not_after() <= plan.now {
        return Err(format!(
            "its CA {ca_name} expired at {}: renew the CA too (include_ca)",
            ca_cert.not_after()
        ));
    }
    if plan.provided.is_some() {
        // The validity was chosen where it was signed.
        return Ok(());
    }
    let wanted = plan.now.plus(plan.validity.lifetime);
    let warning = format!(
        "CA {ca_name} expires at {}, before the requested notAfter {wanted}: the certificates it signs end then (renew the CA with include_ca to go further)",
        ca_cert.not_after()
    );
    if ca_cert.not_after() < wanted && !plan.warnings.contains(&warning) {
        plan.warnings.push(warning);
    }
    Ok(())
}

/// The key of a CA that is not itself renewed, loaded and checked against its certificate.
fn preflight_ca_key(plan: &Plan, ca: &Entry) -> std::result::Result<PrivateKey, String> {
    let cert = readable(ca).map_err(|why| format!("its CA {}: {why}", ca.name))?;
    let location = ca
        .key
        .as_ref()
        .ok_or_else(|| format!("externally managed: CA {} has no key on this node", ca.name))?;
    let key = files::load_key(&plan.dir, location)
        .map_err(|e| format!("the key of its CA {} cannot be used: {e}", ca.name))?;
    Issuer::new(cert, &key)
        .map_err(|e| format!("its CA {} cannot sign: {}", ca.name, e.message()))?;
    Ok(key)
}

fn readable(entry: &Entry) -> std::result::Result<&Certificate, String> {
    match (&entry.certificate, entry.status) {
        (Some(cert), _) => Ok(cert),
        (None, EntryStatus::Missing) if entry.problems.is_empty() => {
            Err(format!("missing: {}", entry.cert))
        }
        (None, EntryStatus::Missing) => Err(format!("missing{}", problems(entry))),
        (None, _) => Err(format!("unreadable{}", problems(entry))),
    }
}

fn problems(entry: &Entry) -> String {
    if entry.problems.is_empty() {
        String::new()
    } else {
        format!(": {}", entry.problems.join("; "))
    }
}

fn describe_key(entry: &Entry) -> String {
    entry
        .key
        .as_ref()
        .map_or_else(|| "(no key location)".to_string(), ToString::to_string)
}

/// Extra SANs go on serving certificates only: a CA, or a certificate without serverAuth in its
/// extendedKeyUsage (a client), has no use for them, and a plan renewing one is refused.
fn check_add_sans(plan: &Plan) -> Result<()> {
    if plan.add_sans.is_empty() {
        return Ok(());
    }
    for action in &plan.actions {
        let why = if action.kind == EntryKind::Ca {
            Some("it is a CA")
        } else {
            let serves = plan
                .entry(&action.name)
                .and_then(|e| e.certificate.as_ref())
                .and_then(Certificate::extended_key_usage)
                .is_some_and(|eku| eku.contains(&ExtendedKeyUsage::ServerAuth));
            (!serves).then_some(
                "it is not a serving certificate (no serverAuth in its extendedKeyUsage)",
            )
        };
        if let Some(why) = why {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "cannot add subject alternative names to {}: {why}; name the serving certificates to extend with only (e.g. apiserver)",
                    action.name
                ),
            )
            .with_entry(&action.name));
        }
    }
    Ok(())
}

/// An install writes every certificate it was given, or nothing: one that cannot be installed
/// (its key unreadable, its CA expired here, ...) refuses the whole plan.
fn check_provided(plan: &Plan) -> Result<()> {
    let Some(provided) = &plan.provided else {
        return Ok(());
    };
    for skipped in &plan.skipped {
        if provided.leaves.contains_key(&skipped.name) || provided.cas.contains_key(&skipped.name) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "{}: the signed certificate cannot be installed: {}",
                    skipped.name, skipped.reason
                ),
            )
            .with_entry(&skipped.name));
        }
    }
    Ok(())
}

/// RKE1's `kube-service-account-token` pairs a certificate with the key that signs every
/// service-account token; rotating that key would invalidate them all.
fn holds_service_account_key(entry: &Entry) -> bool {
    entry.name.contains("service-account")
}
