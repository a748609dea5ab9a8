//! Step 2, where the CA key is: re-signing the requests faithfully. Each request's CA is found
//! in this root's inventory by the identity the node recorded (subject and subjectKeyIdentifier)
//! and proven by the old certificate's signature, which must verify against it; the old
//! certificate is then re-signed as `renew` re-signs (`resign`, the key kept: subject, SANs and
//! every other extension unchanged). A request that does not fit is refused with the reason.

use std::path::Path;

use super::{CaIdentity, Refusal, Request, RequestSet, SignOptions, SignedCertificate, SignedSet};
use crate::cert::Certificate;
use crate::error::Result;
use crate::fsx::RootDir;
use crate::inventory::{self, Entry, EntryKind, Inventory, ScanOptions};
use crate::key::PrivateKey;
use crate::parallel::{self, Spread};
use crate::renew;
use crate::sign::{Issuer, KeyPolicy, ResignOptions, resign};
use crate::validity::ValidityPolicy;
use crate::verify::verify_signature;

/// A CA of the signing root, with its key when it is here and usable (else why not).
struct Ca<'i> {
    entry: &'i Entry,
    cert: &'i Certificate,
    key: std::result::Result<PrivateKey, String>,
}

pub(super) fn sign(
    ca_root: &Path,
    requests: &RequestSet,
    options: &SignOptions,
) -> Result<SignedSet> {
    let now = options.validity.now();
    let validity = ValidityPolicy {
        now: Some(now),
        ..options.validity
    };
    let dir = RootDir::open(ca_root)?;
    let inventory = inventory::scan_dir(
        &dir,
        &ScanOptions {
            now: Some(now),
            threads: options.threads,
            ..ScanOptions::default()
        },
    )?;
    let cas = cas(&dir, &inventory);
    let outcomes = parallel::map(Spread::cpu(options.threads), &requests.requests, |r| {
        sign_one(&cas, r, &validity)
    });
    let mut set = SignedSet {
        created: now,
        signed: Vec::new(),
        refused: Vec::new(),
        ca_certificates: Vec::new(),
    };
    for (request, outcome) in requests.requests.iter().zip(outcomes) {
        match outcome {
            Ok((certificate, ca)) => {
                let pem = ca.cert.to_pem();
                if options.include_ca && !set.ca_certificates.contains(&pem) {
                    set.ca_certificates.push(pem);
                }
                set.signed.push(SignedCertificate {
                    name: Some(request.name.clone()),
                    certificate_pem: certificate.to_pem(),
                    ca: Some(CaIdentity::of(&ca.entry.name, ca.cert)),
                });
            }
            Err(reason) => set.refused.push(Refusal {
                name: request.name.clone(),
                reason,
            }),
        }
    }
    Ok(set)
}

/// Every original CA of the root that has a certificate, its key loaded once.
fn cas<'i>(dir: &RootDir, inventory: &'i Inventory) -> Vec<Ca<'i>> {
    inventory
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Ca && e.copy_of.is_none())
        .filter_map(|entry| {
            let cert = entry.certificate.as_ref()?;
            let key = match &entry.key {
                // `externally_managed`: the scan found no key where the layout keeps it.
                Some(_) if entry.externally_managed => {
                    Err(format!("the key of CA {} is not on this node", entry.name))
                }
                None => Err(format!("the key of CA {} is not on this node", entry.name)),
                Some(location) => renew::load_key(dir, location)
                    .map_err(|e| format!("the key of CA {} cannot be used: {e}", entry.name)),
            };
            Some(Ca { entry, cert, key })
        })
        .collect()
}

fn sign_one<'c, 'i>(
    cas: &'c [Ca<'i>],
    request: &Request,
    validity: &ValidityPolicy,
) -> std::result::Result<(Certificate, &'c Ca<'i>), String> {
    let old = super::wire::one_certificate(&request.certificate_pem)
        .map_err(|why| format!("its certificate cannot be read: {why}"))?;
    if old.is_ca() {
        return Err(
            "a CA certificate: CAs are renewed where their key is (kcert renew --include-ca)"
                .to_string(),
        );
    }
    let named: Vec<&Ca<'_>> = cas.iter().filter(|ca| request.ca.names(ca.cert)).collect();
    if named.is_empty() {
        return Err(format!(
            "its CA {} is not on this node",
            request.ca.describe()
        ));
    }
    let ca = named
        .iter()
        .find(|ca| verify_signature(&old, ca.cert).is_ok())
        .ok_or_else(|| {
            format!(
                "its certificate was not signed by CA {} here ({}): the signature does not verify",
                named[0].entry.name,
                request.ca.describe()
            )
        })?;
    let key = ca.key.as_ref().map_err(Clone::clone)?;
    let issuer = Issuer::new(ca.cert, key)
        .map_err(|e| format!("CA {} cannot sign: {}", ca.entry.name, e.message()))?;
    let options = ResignOptions {
        validity: *validity,
        key: KeyPolicy::Keep,
        ..ResignOptions::default()
    };
    let signed =
        resign(&old, &issuer, &options).map_err(|e| format!("signing failed: {}", e.message()))?;
    Ok((signed.certificate, ca))
}
