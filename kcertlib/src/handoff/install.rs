//! Step 3, on the node: checking the signed certificates and applying them as one transaction.
//!
//! Every certificate is matched to its entry (by name, or for plain PEM from an external CA by
//! its public key) and checked before the renewal's plan is made: it holds the node's key, says
//! what the old certificate said (subject and every extension but the authority key
//! identifier, byte for byte), was signed by the node's copy of its CA (or by a carried CA of
//! the same subject and key), and is valid now. Then `renew`'s pipeline installs them, the same
//! plan, edits, staged-file checks and transaction, with these certificates in place of the
//! ones it would sign.

use std::collections::BTreeMap;
use std::path::Path;

use super::{InstallOptions, SignedSet};
use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
use crate::inventory::{self, Entry, EntryKind, Inventory, ScanOptions};
use crate::renew::source::{Provided, Source};
use crate::renew::{self, RenewOptions, RenewReport};
use crate::time::Timestamp;
use crate::validity::ValidityPolicy;
use crate::verify::verify_signature;

/// One certificate of the signed file, read.
struct Offered {
    /// The entry name it was signed for (`None`: plain PEM, matched by public key).
    name: Option<String>,
    cert: Certificate,
}

pub(super) fn install(
    root: &Path,
    signed: &SignedSet,
    options: &InstallOptions,
) -> Result<RenewReport> {
    let mut offered = Vec::with_capacity(signed.signed.len());
    for (index, s) in signed.signed.iter().enumerate() {
        let label = s
            .name
            .clone()
            .unwrap_or_else(|| format!("certificate {}", index + 1));
        let cert = super::wire::one_certificate(&s.certificate_pem)
            .map_err(|why| Error::new(ErrorKind::Pem, why.to_string()).with_entry(&label))?;
        offered.push(Offered {
            name: s.name.clone(),
            cert,
        });
    }
    let mut carried = Vec::with_capacity(signed.ca_certificates.len());
    for (index, pem) in signed.ca_certificates.iter().enumerate() {
        let cert = super::wire::one_certificate(pem).map_err(|why| {
            Error::new(
                ErrorKind::Pem,
                format!("carried CA certificate {}: {why}", index + 1),
            )
        })?;
        carried.push(cert);
    }
    if offered.is_empty() && carried.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "nothing to install: the signed file holds no certificate ({} refused by the signing side)",
                signed.refused.len()
            ),
        ));
    }
    let now = options.now.unwrap_or_else(Timestamp::now);
    let renew_options = RenewOptions {
        validity: ValidityPolicy {
            now: Some(now),
            ..ValidityPolicy::default()
        },
        dry_run: options.dry_run,
        backup_dir: options.backup_dir.clone(),
        user_kubeconfigs: options.user_kubeconfigs,
        threads: options.threads,
        ..RenewOptions::default()
    };
    // Checked once before the node is touched at all (not even its lock taken): tampered input
    // is refused on a plain scan. The renewal checks again on its own scan, under the lock.
    let scan_options = ScanOptions {
        now: Some(now),
        threads: options.threads,
        ..ScanOptions::default()
    };
    resolve(
        &inventory::scan(root, &scan_options)?,
        now,
        &offered,
        &carried,
    )?;
    let resolve =
        |inventory: &Inventory, now: Timestamp| resolve(inventory, now, &offered, &carried);
    let mut report = renew::renew_from(root, &renew_options, &Source::Provided(&resolve))?;
    for refusal in &signed.refused {
        report.warnings.push(format!(
            "{}: refused by the signing side, not installed: {}",
            refusal.name, refusal.reason
        ));
    }
    Ok(report)
}

/// Matches and checks every offered certificate against the scan of the node.
fn resolve(
    inventory: &Inventory,
    now: Timestamp,
    offered: &[Offered],
    carried: &[Certificate],
) -> Result<Provided> {
    let mut provided = Provided::default();
    for cert in carried {
        match carried_ca(inventory, now, cert)? {
            Carried::Install(name) => {
                provided.cas.insert(name, cert.clone());
            }
            Carried::Same => {}
            Carried::Unknown => provided.warnings.push(format!(
                "carried CA {:?}: no CA of this node has its subject and key; not installed",
                cert.subject()
            )),
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (index, o) in offered.iter().enumerate() {
        let entry = entry_for(inventory, o)?;
        if let Some(first) = seen.insert(entry.name.clone(), index) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "{}: two certificates for it in the signed file (numbers {} and {})",
                    entry.name,
                    first + 1,
                    index + 1
                ),
            )
            .with_entry(&entry.name));
        }
        check_leaf(inventory, now, entry, &o.cert, &provided.cas)
            .map_err(|e| e.with_entry(&entry.name))?;
        provided.leaves.insert(entry.name.clone(), o.cert.clone());
    }
    Ok(provided)
}

/// The entry a certificate is for: its name's (a copy's original), or the one leaf whose
/// certificate has its public key (and, among several, its subject).
fn entry_for<'i>(inventory: &'i Inventory, offered: &Offered) -> Result<&'i Entry> {
    let entry = match &offered.name {
        Some(name) => inventory.get(name).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "no certificate of that name under {}",
                    inventory.root.display()
                ),
            )
            .with_entry(name)
        })?,
        None => by_public_key(inventory, &offered.cert)?,
    };
    let entry = match &entry.copy_of {
        Some(original) => inventory.get(original).unwrap_or(entry),
        None => entry,
    };
    if entry.kind == EntryKind::Ca {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "{}: a CA; a new CA certificate is carried in caCertificates, not signed for a request",
                entry.name
            ),
        )
        .with_entry(&entry.name));
    }
    Ok(entry)
}

fn by_public_key<'i>(inventory: &'i Inventory, cert: &Certificate) -> Result<&'i Entry> {
    let spki = cert.spki_der()?;
    let same_key: Vec<&Entry> = inventory
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Leaf && e.copy_of.is_none())
        .filter(|e| {
            e.certificate
                .as_ref()
                .is_some_and(|c| c.spki_der().ok() == Some(spki))
        })
        .collect();
    let candidates: Vec<&Entry> = if same_key.len() > 1 {
        same_key
            .iter()
            .copied()
            .filter(|e| {
                e.certificate
                    .as_ref()
                    .is_some_and(|c| c.subject_der().ok() == cert.subject_der().ok())
            })
            .collect()
    } else {
        same_key
    };
    match candidates.as_slice() {
        [entry] => Ok(entry),
        [] => Err(Error::new(
            ErrorKind::KeyMismatch,
            format!(
                "the certificate for {:?} holds a public key no certificate of this node has",
                cert.subject()
            ),
        )),
        many => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "the certificate for {:?} fits several entries ({}); name it in a kcert-signed file",
                cert.subject(),
                many.iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The install checks of one leaf (see the module documentation).
fn check_leaf(
    inventory: &Inventory,
    now: Timestamp,
    entry: &Entry,
    new: &Certificate,
    carried: &BTreeMap<String, Certificate>,
) -> Result<()> {
    let old = entry.certificate.as_ref().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            "its current certificate is missing or unreadable".to_string(),
        )
    })?;
    if new.is_ca() {
        return Err(Error::new(
            ErrorKind::InvalidCertificate,
            "the new certificate is a CA".to_string(),
        ));
    }
    if new.spki_der()? != old.spki_der()? {
        return Err(Error::new(
            ErrorKind::KeyMismatch,
            "the new certificate does not hold this node's key".to_string(),
        ));
    }
    let ca_name = entry.ca_name.as_deref().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            "no CA of this node signs it".to_string(),
        )
    })?;
    let ca = inventory
        .get(ca_name)
        .and_then(|ca| ca.certificate.as_ref())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("its CA {ca_name} is not readable on this node"),
            )
        })?;
    let by_node_ca = verify_signature(new, ca).is_ok();
    let by_carried = carried
        .get(ca_name)
        .is_some_and(|c| verify_signature(new, c).is_ok());
    if !by_node_ca && !by_carried {
        return Err(Error::new(
            ErrorKind::VerificationFailed,
            format!(
                "the new certificate was not signed by CA {ca_name} of this node ({:?}): its signature does not verify",
                ca.subject()
            ),
        ));
    }
    renew::signed_elsewhere_says_the_same(old, new).map_err(|why| {
        Error::new(
            ErrorKind::InvalidCertificate,
            format!("the new certificate differs from the one it replaces: {why}"),
        )
    })?;
    if !(new.not_before() <= now && now < new.not_after()) {
        return Err(Error::new(
            ErrorKind::Validity,
            format!(
                "the new certificate is not valid at {now}: {} to {}",
                new.not_before(),
                new.not_after()
            ),
        ));
    }
    Ok(())
}

enum Carried {
    /// A new certificate of this node's CA of that name.
    Install(String),
    /// The node has it already.
    Same,
    /// No CA of the node has its subject and key.
    Unknown,
}

/// A carried CA certificate: for a CA of the node with the same subject and key, a self-signed
/// certificate that says what the node's copy says and is valid now.
fn carried_ca(inventory: &Inventory, now: Timestamp, cert: &Certificate) -> Result<Carried> {
    let (subject, spki) = (cert.subject_der()?, cert.spki_der()?);
    let node_ca = inventory.entries.iter().find(|e| {
        e.kind == EntryKind::Ca
            && e.copy_of.is_none()
            && e.certificate.as_ref().is_some_and(|c| {
                c.subject_der().ok() == Some(subject) && c.spki_der().ok() == Some(spki)
            })
    });
    let Some(entry) = node_ca else {
        return Ok(Carried::Unknown);
    };
    let Some(old) = entry.certificate.as_ref() else {
        return Ok(Carried::Unknown);
    };
    if old.as_der() == cert.as_der() {
        return Ok(Carried::Same);
    }
    let name = &entry.name;
    let fail = |kind: ErrorKind, why: String| {
        Err(Error::new(kind, format!("carried CA certificate: {why}")).with_entry(name))
    };
    if !cert.is_self_issued() || verify_signature(cert, cert).is_err() {
        return fail(
            ErrorKind::VerificationFailed,
            "not self-signed by the CA's key".to_string(),
        );
    }
    if let Err(why) = renew::signed_elsewhere_says_the_same(old, cert) {
        return fail(
            ErrorKind::InvalidCertificate,
            format!("differs from this node's copy: {why}"),
        );
    }
    if !(cert.not_before() <= now && now < cert.not_after()) {
        return fail(
            ErrorKind::Validity,
            format!(
                "not valid at {now}: {} to {}",
                cert.not_before(),
                cert.not_after()
            ),
        );
    }
    Ok(Carried::Install(name.clone()))
}
