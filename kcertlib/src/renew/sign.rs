//! Signing the plan's actions in memory: CAs first (with their own key), then each leaf against
//! its CA's current certificate, the new one when the CA was renewed in this run.
//!
//! A signed action keeps the new certificate as DER with the few facts the report and the
//! checks need (`NewCert`), not as a parsed `Certificate`: a kubespray etcd certificate with a
//! thousand SANs is 16 KiB of DER and as much again once parsed, times 3,000 on a large node.
//! The old certificate is borrowed from the plan's inventory, and the issuing CA is shared.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::select::Plan;
use super::{Action, Renewed, files};
use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::inventory::{Entry, EntryKind};
use crate::key::PrivateKey;
use crate::parallel::{self, Spread, Threads};
use crate::sign::{Issuer, KeyPolicy, ResignOptions, resign, self_resign_ca};
use crate::time::Timestamp;
use crate::validity::{Clamp, ValidityPolicy};

/// One action, signed.
#[derive(Clone, Debug)]
pub(super) struct SignedAction<'p> {
    /// The planned action.
    pub action: &'p Action,
    /// Its inventory entry.
    pub entry: &'p Entry,
    /// Entries holding a copy of the certificate.
    pub copies: Vec<&'p Entry>,
    /// The certificate before (the inventory's).
    pub old: &'p Certificate,
    /// The certificate after.
    pub new: NewCert,
    /// The CA certificate that signed `new` (for a CA: `new` itself).
    pub issuer: Arc<Certificate>,
    /// The key that belongs to `new` (the current one, or the new one when rotated); `None` for
    /// a CA certificate provided by an install, whose key is not on this node (the check then
    /// holds it to the old certificate's public key).
    pub key: Option<PrivateKey>,
    /// The new key, in the old key's format, when rotated.
    pub new_key: Option<PrivateKey>,
    /// Validity adjustments made to stay inside the CA's window.
    pub clamps: Vec<Clamp>,
}

/// A new certificate as the renewal keeps it after signing: its DER and what is read from it.
#[derive(Clone, Debug)]
pub(super) struct NewCert {
    /// The DER, as written into every place the certificate lives (a leaf's is moved into the
    /// file texts by `edits::build`, and empty afterwards).
    pub der: Vec<u8>,
    /// `fsx::sha256_hex` of `der`: the staged-file check compares what it reads with this.
    pub sha256: String,
    /// Its subjectPublicKeyInfo (DER), which the key written or kept with it must match.
    pub spki: Vec<u8>,
    /// Serial, lower-case hex.
    pub serial_hex: String,
    /// `notBefore`.
    pub not_before: Timestamp,
    /// `notAfter`.
    pub not_after: Timestamp,
}

impl NewCert {
    pub(super) fn new(cert: Certificate) -> Result<NewCert> {
        let spki = cert.spki_der()?.to_vec();
        let serial_hex = cert.serial_hex();
        let (not_before, not_after) = (cert.not_before(), cert.not_after());
        let der = cert.as_der().to_vec();
        Ok(NewCert {
            sha256: crate::fsx::sha256_hex(&der),
            der,
            spki,
            serial_hex,
            not_before,
            not_after,
        })
    }
}

pub(super) fn sign_all(plan: &Plan, threads: Threads) -> Result<Vec<SignedAction<'_>>> {
    // Every CA that signs a planned leaf, once: renewed ones below replace their entry.
    let mut issuers: BTreeMap<&str, Arc<Certificate>> = BTreeMap::new();
    for ca_name in plan.actions.iter().filter_map(|a| a.ca_name.as_deref()) {
        if !issuers.contains_key(ca_name) {
            let ca = plan
                .entry(ca_name)
                .and_then(|ca| ca.certificate.clone())
                .ok_or_else(|| lost(ca_name))?;
            issuers.insert(ca_name, Arc::new(ca));
        }
    }
    let mut out = Vec::with_capacity(plan.actions.len());
    for action in plan.actions.iter().filter(|a| a.kind == EntryKind::Ca) {
        let entry = plan.entry(&action.name).ok_or_else(|| lost(&action.name))?;
        let old = entry
            .certificate
            .as_ref()
            .ok_or_else(|| lost(&action.name))?;
        if let Some(provided) = &plan.provided {
            let new = provided
                .cas
                .get(&action.name)
                .ok_or_else(|| lost(&action.name))?;
            let issuer = Arc::new(new.clone());
            issuers.insert(&action.name, Arc::clone(&issuer));
            out.push(SignedAction {
                action,
                entry,
                copies: plan.copies_of(&action.name),
                new: NewCert::new(new.clone()).at_entry(&action.name)?,
                issuer,
                old,
                key: None,
                new_key: None,
                clamps: Vec::new(),
            });
            continue;
        }
        let key = plan
            .ca_keys
            .get(&action.name)
            .ok_or_else(|| lost(&action.name))?;
        let signed = self_resign_ca(
            old,
            key,
            &ResignOptions {
                validity: ca_validity(&plan.validity, old),
                ..ResignOptions::default()
            },
        )
        .at_entry(&action.name)?;
        let issuer = Arc::new(signed.certificate);
        issuers.insert(&action.name, Arc::clone(&issuer));
        out.push(SignedAction {
            action,
            entry,
            copies: plan.copies_of(&action.name),
            new: NewCert::new((*issuer).clone()).at_entry(&action.name)?,
            issuer,
            old,
            key: Some(key.clone()),
            new_key: None,
            clamps: signed.clamps,
        });
    }
    let leaves: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| a.kind == EntryKind::Leaf)
        .collect();
    out.extend(sign_leaves(plan, &leaves, &issuers, threads)?);
    Ok(out)
}

/// Signs leaves on every core: RSA signing dominates a large renewal (3,000 kubespray etcd
/// certificates), and the leaves are independent. Results keep the plan's order.
fn sign_leaves<'p>(
    plan: &'p Plan,
    leaves: &[&'p Action],
    issuers: &BTreeMap<&str, Arc<Certificate>>,
    threads: Threads,
) -> Result<Vec<SignedAction<'p>>> {
    parallel::try_map(Spread::cpu(threads), leaves, |action| {
        let entry = plan.entry(&action.name).ok_or_else(|| lost(&action.name))?;
        let old = entry
            .certificate
            .as_ref()
            .ok_or_else(|| lost(&action.name))?;
        if let Some(old_ca) = plan.throwaway_cas.get(&action.name) {
            return super::kubelet_serving::sign(plan, action, entry, old, old_ca);
        }
        sign_leaf(plan, action, entry, old, issuers)
    })
}

fn sign_leaf<'p>(
    plan: &'p Plan,
    action: &'p Action,
    entry: &'p Entry,
    old: &'p Certificate,
    issuers: &BTreeMap<&str, Arc<Certificate>>,
) -> Result<SignedAction<'p>> {
    let ca_name = action
        .ca_name
        .as_deref()
        .ok_or_else(|| lost(&action.name))?;
    let ca_cert = Arc::clone(issuers.get(ca_name).ok_or_else(|| lost(ca_name))?);
    let key_location = entry.key.as_ref().ok_or_else(|| lost(&action.name))?;
    let current_key = files::load_key(&plan.dir, key_location).at_entry(&action.name)?;
    if let Some(provided) = &plan.provided {
        // Signed elsewhere and checked when matched; the staged files are checked again.
        let new = provided
            .leaves
            .get(&action.name)
            .ok_or_else(|| lost(&action.name))?;
        return Ok(SignedAction {
            action,
            entry,
            copies: plan.copies_of(&action.name),
            old,
            new: NewCert::new(new.clone()).at_entry(&action.name)?,
            issuer: ca_cert,
            key: Some(current_key),
            new_key: None,
            clamps: Vec::new(),
        });
    }
    let ca_key = plan.ca_keys.get(ca_name).ok_or_else(|| lost(ca_name))?;
    let issuer = Issuer::new(&ca_cert, ca_key).at_entry(ca_name)?;
    let options = ResignOptions {
        validity: plan.validity,
        key: if action.rotate_key {
            KeyPolicy::Rotate
        } else {
            KeyPolicy::Keep
        },
        add_alt_names: plan.add_sans.clone(),
        ..ResignOptions::default()
    };
    let signed = resign(old, &issuer, &options).at_entry(&action.name)?;
    let new_key = match signed.key {
        Some(k) => Some(k.with_format(current_key.format()).at_entry(&action.name)?),
        None => None,
    };
    Ok(SignedAction {
        action,
        entry,
        copies: plan.copies_of(&action.name),
        old,
        new: NewCert::new(signed.certificate).at_entry(&action.name)?,
        issuer: ca_cert,
        key: Some(new_key.clone().unwrap_or(current_key)),
        new_key,
        clamps: signed.clamps,
    })
}

/// A CA keeps at least its original lifetime: renewing kubeadm's ten-year CA for the leaves'
/// one year would bring its end closer, not push it away.
fn ca_validity(requested: &ValidityPolicy, ca: &Certificate) -> ValidityPolicy {
    let original = ca.not_before().seconds_until(ca.not_after()).max(0) as u64;
    ValidityPolicy {
        lifetime: requested.lifetime.max(Duration::from_secs(original)),
        ..*requested
    }
}

/// The report lines: one per action and one per copy, with the files written for each.
pub(super) fn renewed(
    signed: &[SignedAction<'_>],
    paths: &BTreeMap<String, Vec<PathBuf>>,
) -> Vec<Renewed> {
    let mut out = Vec::new();
    for s in signed {
        let holders = std::iter::once(s.entry).chain(s.copies.iter().copied());
        for holder in holders {
            out.push(Renewed {
                name: holder.name.clone(),
                paths: paths.get(&holder.name).cloned().unwrap_or_default(),
                old_serial: s.old.serial_hex(),
                new_serial: s.new.serial_hex.clone(),
                old_not_before: s.old.not_before(),
                old_not_after: s.old.not_after(),
                new_not_before: s.new.not_before,
                new_not_after: s.new.not_after,
                key_rotated: s.new_key.is_some(),
            });
        }
    }
    out
}

/// An entry the plan relies on vanished between planning and signing: a bug, not user error.
fn lost(name: &str) -> Error {
    Error::new(
        ErrorKind::Layout,
        format!("{name}: planned entry is incomplete (certificate, key or CA missing)"),
    )
}
