//! The verify callback of the renewal transaction: each staged file is read back from disk and
//! must hold exactly what was signed, signed by its CA, with its key, and saying what the old
//! certificate said (the same subject and, byte for byte, every extension but the key
//! identifiers: SANs, key usages, basic constraints, unknown ones).
//!
//! The certificate checked is the one parsed from the staged file, which must hash to what was
//! signed; the checks keep that hash and borrow the old certificate from the plan, so a
//! renewal holds each new certificate once (in the file content) while it commits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::pem_text;
use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
use crate::extensions::AltNames;
use crate::key::{PrivateKey, same_public_key};
use crate::kubeconfig::Kubeconfig;
use crate::time::Timestamp;
use crate::txn::{Content, StagedFile};
use crate::verify::verify_signature;
use crate::{rke_state, tls_secret};

/// authorityKeyIdentifier: follows the CA's SKI.
const AUTHORITY_KEY_ID: &str = "2.5.29.35";
/// subjectKeyIdentifier: follows the key when it rotates.
const SUBJECT_KEY_ID: &str = "2.5.29.14";
/// subjectAltName: extended when names are added.
const SUBJECT_ALT_NAME: &str = "2.5.29.17";

/// The checks of each file, by the real path it is written to.
pub(super) type Checks<'p> = HashMap<PathBuf, Vec<Check<'p>>>;

/// One thing a staged file must hold.
#[derive(Clone, Debug)]
pub(super) enum Check<'p> {
    /// An entry's renewed certificate (shared by the entry and its copies).
    Renewed {
        entry: String,
        place: Place,
        signed: Arc<SignedCert<'p>>,
    },
    /// A copy of a certificate (a CA in a chain, a CA file copy, `certificate-authority-data`).
    Copy {
        entry: String,
        place: Place,
        der: Vec<u8>,
    },
    /// The private key belonging to the renewed certificate with this subjectPublicKeyInfo.
    Key {
        entry: String,
        place: Place,
        spki: Arc<[u8]>,
    },
}

/// Where in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// PEM text: the first certificate block (for `Renewed`), any block (for `Copy`), the first
    /// private key block (for `Key`).
    Pem,
    /// The `client-certificate-data` / `client-key-data` of this kubeconfig user.
    KubeconfigUser(String),
    /// Any cluster's `certificate-authority-data`.
    KubeconfigClusters,
    /// A JSON TLS Secret's `data."tls.crt"` (its first certificate for `Renewed`, whose
    /// fingerprint annotation must follow it) and `data."tls.key"`.
    SecretJson,
    /// The `certificatePEM` and `keyPEM` of bundle entry `name` in one state (`desiredState`,
    /// `currentState`) of an RKE1 cluster state file.
    RkeState { state: &'static str, name: String },
    /// `inner` (a kubeconfig place) in the kubeconfig text of the `config` of bundle entry
    /// `name` in one state of an RKE1 cluster state file.
    RkeStateConfig {
        state: &'static str,
        name: String,
        inner: Box<Place>,
    },
}

impl Check<'_> {
    fn place(&self) -> &Place {
        match self {
            Check::Renewed { place, .. } | Check::Copy { place, .. } | Check::Key { place, .. } => {
                place
            }
        }
    }
}

/// A renewed certificate with what it must agree with.
#[derive(Clone, Debug)]
pub(super) struct SignedCert<'p> {
    /// `fsx::sha256_hex` of the DER signed.
    pub new_sha256: String,
    pub old: &'p Certificate,
    pub issuer: Arc<Certificate>,
    /// The key that goes with `new` (`None`: a provided CA certificate, whose key is not on
    /// this node; `key_kept` then holds it to the old public key).
    pub key: Option<PrivateKey>,
    /// The key was kept, so the public key must be unchanged.
    pub key_kept: bool,
    /// Names asked to be added to the subjectAltName: it must then hold the old names and
    /// these, and is not compared byte for byte.
    pub add_sans: Option<&'p AltNames>,
    /// Signed elsewhere (an install): held to `signed_elsewhere_says_the_same`.
    pub signed_elsewhere: bool,
}

/// Runs every check of the staged file.
///
/// # Errors
/// `VerificationFailed` naming the entry and what differs; `Io`/`Pem`/`Kubeconfig` when the
/// staged file cannot be read back.
pub(super) fn staged(staged: &StagedFile<'_>, checks: &Checks<'_>, now: Timestamp) -> Result<()> {
    if !matches!(staged.content, Content::Bytes(_)) {
        return Ok(());
    }
    let Some(list) = checks.get(staged.path) else {
        return Ok(());
    };
    let bytes = staged.staged.read()?;
    let text = zeroize::Zeroizing::new(String::from_utf8(bytes).map_err(|_| {
        Error::new(
            ErrorKind::VerificationFailed,
            "staged file is not UTF-8 text",
        )
        .with_path(staged.path)
    })?);
    for check in list {
        run(check, &text, staged.path, now)?;
    }
    Ok(())
}

fn run(check: &Check<'_>, text: &str, path: &Path, now: Timestamp) -> Result<()> {
    // A kubeconfig inside an RKE state is checked as the kubeconfig it is.
    let config;
    let (text, place) = match check.place() {
        Place::RkeStateConfig { state, name, inner } => {
            let field = rke_state::field(state, name);
            config = zeroize::Zeroizing::new(
                rke_state::config(text, state, name)
                    .map_err(|why| staged_json(path, why))?
                    .ok_or_else(|| staged_json(path, format!("{field} is empty")))?,
            );
            (config.as_str(), inner.as_ref())
        }
        place => (text, place),
    };
    match check {
        Check::Renewed { entry, signed, .. } => {
            let found = certificate_at(text, place, path)?;
            if crate::fsx::sha256_hex(found.as_der()) != signed.new_sha256 {
                return Err(failed(
                    entry,
                    path,
                    "the staged certificate is not the one signed",
                ));
            }
            if *place == Place::SecretJson {
                check_fingerprint(text, &found).map_err(|why| failed(entry, path, &why))?;
            }
            verify_renewed(&found, signed, now).map_err(|why| failed(entry, path, &why))
        }
        Check::Copy { entry, der, .. } => {
            let present = match place {
                Place::KubeconfigClusters => Kubeconfig::parse(text, path)?
                    .clusters()
                    .iter()
                    .filter_map(|c| c.certificate_authority_data.as_deref())
                    .any(|data| {
                        String::from_utf8(data.to_vec())
                            .ok()
                            .and_then(|t| pem_text::contains_certificate(&t, der).ok())
                            .unwrap_or(false)
                    }),
                Place::Pem => pem_text::contains_certificate(text, der)?,
                Place::RkeState { state, name } => rke_state::certificate(text, state, name)
                    .is_ok_and(|c| c.as_der() == der.as_slice()),
                Place::SecretJson => secret_pem(text, path)
                    .ok()
                    .and_then(|t| pem_text::contains_certificate(&t, der).ok())
                    .unwrap_or(false),
                Place::KubeconfigUser(user) => user_data(text, path, user, Field::Certificate)
                    .ok()
                    .and_then(|t| pem_text::contains_certificate(&t, der).ok())
                    .unwrap_or(false),
                Place::RkeStateConfig { .. } => false,
            };
            if present {
                Ok(())
            } else {
                Err(failed(
                    entry,
                    path,
                    "the renewed certificate is not in the staged file",
                ))
            }
        }
        Check::Key { entry, spki, .. } => {
            let pem = match place {
                Place::KubeconfigUser(user) => user_data(text, path, user, Field::Key)?,
                Place::SecretJson => secret_key(text, path)?,
                Place::RkeState { state, name } => rke_state::key_pem(text, state, name)
                    .map_err(|why| staged_json(path, why))?
                    .ok_or_else(|| staged_json(path, format!("{name} has no keyPEM")))?,
                Place::Pem | Place::KubeconfigClusters => text.to_string(),
                Place::RkeStateConfig { .. } => return Err(nested(path)),
            };
            let pem = zeroize::Zeroizing::new(pem);
            let key = PrivateKey::from_pem(pem.as_bytes()).map_err(|e| e.with_path(path))?;
            if key_matches(&key, spki) {
                Ok(())
            } else {
                Err(failed(
                    entry,
                    path,
                    "the staged key does not match the renewed certificate",
                ))
            }
        }
    }
}

/// Whether `key` is the private half of the public key `spki` (DER).
pub(super) fn key_matches(key: &PrivateKey, spki: &[u8]) -> bool {
    key.public_key_der()
        .is_ok_and(|ours| same_public_key(&ours, spki))
}

/// Signature, validity now, unchanged identity and usages, and the key, of the certificate
/// `new` found in the staged file.
fn verify_renewed(
    new: &Certificate,
    s: &SignedCert<'_>,
    now: Timestamp,
) -> std::result::Result<(), String> {
    verify_signature(new, &s.issuer).map_err(|e| {
        format!(
            "signature does not verify against {:?}: {}",
            s.issuer.subject(),
            e.message()
        )
    })?;
    if !(new.not_before() <= now && now < new.not_after()) {
        return Err(format!(
            "not valid now: {} to {}",
            new.not_before(),
            new.not_after()
        ));
    }
    let mut identifiers = Vec::new();
    if !s.key_kept {
        identifiers.push(SUBJECT_KEY_ID);
    }
    if let Some(add) = s.add_sans {
        identifiers.push(SUBJECT_ALT_NAME);
        let wanted = s.old.alt_names().merged(add);
        if new.alt_names() != wanted {
            return Err(format!(
                "subjectAltName is {:?}, expected the old names plus the added ones: {wanted:?}",
                new.alt_names()
            ));
        }
    }
    if s.signed_elsewhere {
        signed_elsewhere_says_the_same(s.old, new)?;
    } else {
        same_identity(s.old, new, &identifiers)?;
    }
    if s.key_kept && new.spki_der().ok() != s.old.spki_der().ok() {
        return Err("public key changed".to_string());
    }
    if s.key.as_ref().is_some_and(|key| !key.matches(new)) {
        return Err("its key does not match it".to_string());
    }
    Ok(())
}

/// Whether `new` says what `old` said: the same subject and, byte for byte, every extension
/// but the `ignored` ones (by OID; the authority key identifier always follows the issuer).
/// Every extension must be byte-identical: subjectAltName, key usages, basic constraints and
/// unknown extensions alike (comparing the raw values is also far cheaper than decoding a
/// kubespray etcd certificate's thousand SANs).
pub(crate) fn same_identity(
    old: &Certificate,
    new: &Certificate,
    ignored: &[&str],
) -> std::result::Result<(), String> {
    if new.subject_der().ok() != old.subject_der().ok() {
        return Err(format!(
            "subject changed: {:?}, was {:?}",
            new.subject(),
            old.subject()
        ));
    }
    let kept = |c: &Certificate| -> Vec<_> {
        c.extensions()
            .into_iter()
            .filter(|e| e.oid != AUTHORITY_KEY_ID && !ignored.contains(&e.oid.as_str()))
            .collect()
    };
    let (old_exts, new_exts) = (kept(old), kept(new));
    if old_exts != new_exts {
        let differing = old_exts
            .iter()
            .zip(&new_exts)
            .find(|(a, b)| a != b)
            .map_or_else(
                || {
                    let oids = |exts: &[crate::extensions::RawExtensionView]| {
                        exts.iter()
                            .map(|e| e.oid.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    format!(
                        "the set of extensions (was {}, is {})",
                        oids(&old_exts),
                        oids(&new_exts)
                    )
                },
                |(a, _)| format!("extension {}", a.oid),
            );
        return Err(format!("{differing} changed"));
    }
    Ok(())
}

/// `same_identity` for a certificate signed elsewhere with the key kept: a CA that adds a
/// subjectKeyIdentifier where the old certificate had none (OpenSSL 3's `ca` and `x509` do by
/// default, Vault does) changes nothing that matters, so only an identifier that was there must
/// stay as it was.
pub(crate) fn signed_elsewhere_says_the_same(
    old: &Certificate,
    new: &Certificate,
) -> std::result::Result<(), String> {
    same_identity(old, new, &[SUBJECT_KEY_ID])?;
    let ski = |c: &Certificate| c.extensions().into_iter().find(|e| e.oid == SUBJECT_KEY_ID);
    match ski(old) {
        Some(was) if ski(new).as_ref() != Some(&was) => {
            Err(format!("extension {SUBJECT_KEY_ID} changed"))
        }
        _ => Ok(()),
    }
}

fn certificate_at(text: &str, place: &Place, path: &Path) -> Result<Certificate> {
    let pem = match place {
        Place::KubeconfigUser(user) => user_data(text, path, user, Field::Certificate)?,
        Place::SecretJson => secret_pem(text, path)?,
        Place::RkeState { state, name } => {
            return rke_state::certificate(text, state, name).map_err(|why| {
                Error::new(
                    ErrorKind::VerificationFailed,
                    format!("staged RKE state: {why}"),
                )
                .with_path(path)
            });
        }
        Place::Pem | Place::KubeconfigClusters => text.to_string(),
        Place::RkeStateConfig { .. } => return Err(nested(path)),
    };
    Certificate::from_pem(pem.as_bytes()).map_err(|e| e.with_path(path))
}

/// A state's kubeconfig holds no state: a check planned that way is a bug, reported, not run.
fn nested(path: &Path) -> Error {
    staged_json(
        path,
        "a kubeconfig inside an RKE state holds no RKE state".into(),
    )
}

/// dynamiclistener compares the fingerprint annotation to decide whether the Secret changed
/// (and pushes it to the cluster's copy only then): when the Secret has one, it must be the
/// staged leaf's.
fn check_fingerprint(text: &str, leaf: &Certificate) -> std::result::Result<(), String> {
    match tls_secret::fingerprint(text)? {
        Some(found) if found != tls_secret::fingerprint_of(leaf.as_der()) => Err(format!(
            "the fingerprint annotation {found} is not the staged certificate's"
        )),
        _ => Ok(()),
    }
}

fn secret_pem(text: &str, path: &Path) -> Result<String> {
    let pem = tls_secret::certificate_pem(text).map_err(|why| staged_json(path, why))?;
    String::from_utf8(pem).map_err(|_| staged_json(path, "data.tls.crt is not PEM text".into()))
}

fn secret_key(text: &str, path: &Path) -> Result<String> {
    let pem = tls_secret::key_pem(text)
        .map_err(|why| staged_json(path, why))?
        .ok_or_else(|| staged_json(path, "has no data.tls.key".into()))?;
    String::from_utf8(pem.to_vec())
        .map_err(|_| staged_json(path, "data.tls.key is not PEM text".into()))
}

fn staged_json(path: &Path, why: String) -> Error {
    Error::new(ErrorKind::VerificationFailed, format!("staged file: {why}")).with_path(path)
}

#[derive(Clone, Copy)]
enum Field {
    Certificate,
    Key,
}

fn user_data(text: &str, path: &Path, user: &str, field: Field) -> Result<String> {
    let parsed = Kubeconfig::parse(text, path)?;
    let found = parsed.user(user).ok_or_else(|| {
        Error::new(
            ErrorKind::VerificationFailed,
            format!("staged kubeconfig has no user {user:?}"),
        )
        .with_path(path)
    })?;
    let data = match field {
        Field::Certificate => found.client_certificate_data.clone(),
        // A plain copy: the caller moves the text into `Zeroizing` at once.
        Field::Key => found.client_key_data.as_deref().map(<[u8]>::to_vec),
    };
    let data = data.ok_or_else(|| {
        Error::new(
            ErrorKind::VerificationFailed,
            format!("staged kubeconfig user {user:?} has no embedded data"),
        )
        .with_path(path)
    })?;
    String::from_utf8(data).map_err(|_| {
        Error::new(
            ErrorKind::VerificationFailed,
            format!("staged kubeconfig user {user:?} holds data that is not PEM text"),
        )
        .with_path(path)
    })
}

fn failed(entry: &str, path: &Path, why: &str) -> Error {
    Error::new(ErrorKind::VerificationFailed, why)
        .with_entry(entry)
        .with_path(path)
}
