//! kubelet's self-signed serving certificate, `var/lib/kubelet/pki/kubelet.crt` + `kubelet.key`:
//! a leaf signed by a throwaway CA whose key kubelet never kept, the CA following the leaf in
//! `kubelet.crt`. kubelet makes the pair only when the files are missing, never renews it, and
//! no CA on the node can re-sign the leaf; so it is renewed the way kubelet made it: a fresh
//! throwaway CA, and the leaf re-signed faithfully by it (subject, SANs, key usages and every
//! other extension kept; the key kept unless rotated). The new CA key is dropped, as kubelet
//! drops its own. Where kubelet rotates its serving certificate through the cluster CA
//! (`kubelet-server-current.pem`), that entry is an ordinary leaf and is renewed as such.
//!
//! The CA follows client-go's `GenerateSelfSignedCertKeyWithFixtures`, which kubelet's
//! `InitializeTLS` calls (kubernetes/kubernetes
//! `staging/src/k8s.io/client-go/util/cert/cert.go` @04791b49): an RSA-2048 key, subject
//! `CN=<host>-ca@<unix time>`, keyUsage keyEncipherment | digitalSignature | keyCertSign
//! (critical), basicConstraints CA:TRUE (critical), a subjectKeyIdentifier (Go adds one to a
//! CA), no authorityKeyIdentifier (Go omits it on a self-signed certificate). The validity is
//! the renewal's (by default notBefore an hour back, as client-go does, and a year; client-go
//! counts the year from notBefore, the renewal from now, an hour later).
//!
//! `<host>` is the old CA's CN before `-ca@`, else the leaf's CN before `@`.

use std::sync::Arc;

use super::select::Plan;
use super::sign::{NewCert, SignedAction};
use super::{Action, files};
use crate::cert::Certificate;
use crate::error::{Result, ResultExt};
use crate::extensions::KeyUsageBit;
use crate::inventory::{Entry, Location};
use crate::key::{KeyAlgorithm, PrivateKey};
use crate::profile;
use crate::sign::{Issuer, KeyPolicy, NewTbs, ResignOptions, encode_name, resign, sign_new};

/// The inventory name of kubelet's self-signed serving pair (`layout::kubelet`).
const ENTRY: &str = "kubelet-serving";

/// Whether `entry` is kubelet's self-signed serving pair (`kubelet.crt` with `kubelet.key`).
pub(super) fn is_self_signed_pair(entry: &Entry) -> bool {
    entry.name == ENTRY
        && entry.ca_name.is_none()
        && matches!(&entry.cert, Location::File(p) if p.ends_with("kubelet.crt"))
        && matches!(&entry.key, Some(Location::File(_)))
}

/// The preflight of the pair: its key matches, and the throwaway CA that signed it follows it
/// in its file. Returns that old CA (replaced in the file by the new one).
pub(super) fn preflight(
    plan: &Plan,
    entry: &Entry,
    leaf: &Certificate,
) -> std::result::Result<Certificate, String> {
    match entry.key_matches {
        Some(true) => {}
        Some(false) => return Err("its key kubelet.key does not match the certificate".into()),
        None => return Err("its key kubelet.key is missing or unreadable".into()),
    }
    let path = entry.cert.path();
    let bytes = files::read(&plan.dir, path).map_err(|e| e.to_string())?;
    let certs =
        Certificate::bundle_from_pem(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let at = certs
        .iter()
        .position(|c| c.as_der() == leaf.as_der())
        .ok_or_else(|| format!("{}: the certificate changed since the scan", path.display()))?;
    let ca = certs[at + 1..]
        .iter()
        .find(|c| c.is_ca() && crate::verify::verify_signature(leaf, c).is_ok())
        .ok_or_else(|| {
            format!(
                "{}: the self-signed CA that issued it does not follow it in the file; kubelet recreates the pair when both files are removed",
                path.display()
            )
        })?;
    host(ca, leaf).ok_or_else(|| {
        format!(
            "{}: no host name in the CN of its CA ({:?}) or its own ({:?})",
            path.display(),
            ca.subject(),
            leaf.subject()
        )
    })?;
    Ok(ca.clone())
}

/// Signs a new throwaway CA and re-signs the leaf with it.
///
/// # Errors
/// `Crypto`/`Validity` from key generation and signing, naming the entry.
pub(super) fn sign<'p>(
    plan: &'p Plan,
    action: &'p Action,
    entry: &'p Entry,
    old: &'p Certificate,
    old_ca: &Certificate,
) -> Result<SignedAction<'p>> {
    let name = &action.name;
    let key_location = entry.key.as_ref().ok_or_else(|| lost(name))?;
    let current_key = files::load_key(&plan.dir, key_location).at_entry(name)?;
    let host = host(old_ca, old).ok_or_else(|| lost(name))?;
    let ca_key = PrivateKey::generate(&KeyAlgorithm::RSA_2048).at_entry(name)?;
    let validity = plan.validity.resolve(Some(old), None).at_entry(name)?;
    let spki = ca_key.public_key_der().at_entry(name)?;
    let subject = encode_name(&format!("CN={host}-ca@{}", plan.now.unix())).at_entry(name)?;
    let serial = crate::sign::random_serial().at_entry(name)?;
    let extensions = vec![
        profile::key_usage(&[
            KeyUsageBit::DigitalSignature,
            KeyUsageBit::KeyEncipherment,
            KeyUsageBit::KeyCertSign,
        ]),
        profile::basic_constraints(true).at_entry(name)?,
        profile::subject_key_identifier(&spki).at_entry(name)?.1,
    ];
    let ca = sign_new(
        &NewTbs {
            serial: &serial,
            subject: &subject,
            issuer: &subject,
            validity: &validity.to_der().at_entry(name)?,
            spki: &spki,
            extensions: &extensions,
        },
        &ca_key,
    )
    .at_entry(name)?;
    let issuer = Issuer::new(&ca, &ca_key).at_entry(name)?;
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
    let signed = resign(old, &issuer, &options).at_entry(name)?;
    let new_key = match signed.key {
        Some(k) => Some(k.with_format(current_key.format()).at_entry(name)?),
        None => None,
    };
    Ok(SignedAction {
        action,
        entry,
        copies: plan.copies_of(name),
        old,
        new: NewCert::new(signed.certificate).at_entry(name)?,
        issuer: Arc::new(ca),
        key: Some(new_key.clone().unwrap_or(current_key)),
        new_key,
        clamps: signed.clamps,
    })
}

/// `<host>` of client-go's `<host>-ca@<unix>` CA, else of the leaf's `<host>@<unix>`.
fn host(ca: &Certificate, leaf: &Certificate) -> Option<String> {
    let before_at = |cn: String| cn.rsplit_once('@').map(|(h, _)| h.to_string());
    ca.common_name()
        .and_then(before_at)
        .and_then(|h| h.strip_suffix("-ca").map(str::to_string))
        .or_else(|| leaf.common_name().and_then(before_at))
        .filter(|h| !h.is_empty() && !h.contains(['=', ',', '+', '\\', '"']))
}

fn lost(name: &str) -> crate::error::Error {
    crate::error::Error::new(
        crate::error::ErrorKind::Layout,
        format!("{name}: planned entry is incomplete (key or throwaway CA missing)"),
    )
}
