//! The JSON files that move between the node and the signing side: `kind` names the file
//! (`kcert-requests`, `kcert-signed`), `format` its version (1). Readers are strict: a file of
//! another kind or format, an unknown field or a missing one is refused with the field named,
//! and a file over `MAX_BYTES` is not parsed at all. The PEM texts inside are checked where they
//! are used (the signing side, the install), each error naming its entry.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{CaIdentity, FORMAT, Refusal, Request, RequestSet, SignedCertificate, SignedSet};
use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
use crate::renew::Skipped;
use crate::time::Timestamp;

/// The largest file read: a kubespray node with 3,000 etcd certificates of a thousand SANs each
/// exports about 70 MB of PEM.
pub(crate) const MAX_BYTES: usize = 256 << 20;

const REQUESTS_KIND: &str = "kcert-requests";
const SIGNED_KIND: &str = "kcert-signed";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RequestsFile {
    format: u32,
    kind: String,
    root: String,
    created: String,
    requests: Vec<RequestJson>,
    skipped: Vec<SkippedJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RequestJson {
    name: String,
    layout: String,
    path: String,
    certificate_pem: String,
    ca: CaJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    csr_pem: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CaJson {
    name: String,
    subject: String,
    subject_key_id: Option<String>,
    sha256: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SkippedJson {
    name: String,
    reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SignedFile {
    format: u32,
    kind: String,
    created: String,
    signed: Vec<SignedJson>,
    refused: Vec<SkippedJson>,
    ca_certificates: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SignedJson {
    name: Option<String>,
    certificate_pem: String,
    ca: Option<CaJson>,
}

pub(super) fn requests_to_json(set: &RequestSet) -> String {
    let file = RequestsFile {
        format: FORMAT,
        kind: REQUESTS_KIND.to_string(),
        root: set.root.to_string_lossy().into_owned(),
        created: set.created.to_rfc3339(),
        requests: set
            .requests
            .iter()
            .map(|r| RequestJson {
                name: r.name.clone(),
                layout: r.layout.clone(),
                path: r.path.to_string_lossy().into_owned(),
                certificate_pem: r.certificate_pem.clone(),
                ca: ca_json(&r.ca),
                csr_pem: r.csr_pem.clone(),
            })
            .collect(),
        skipped: set.skipped.iter().map(skipped_json).collect(),
    };
    pretty(&file)
}

pub(super) fn requests_from_json(text: &str) -> Result<RequestSet> {
    let file: RequestsFile = read_json(text, REQUESTS_KIND)?;
    Ok(RequestSet {
        root: PathBuf::from(file.root),
        created: timestamp(&file.created, "created")?,
        requests: file
            .requests
            .into_iter()
            .map(|r| Request {
                name: r.name,
                layout: r.layout,
                path: PathBuf::from(r.path),
                certificate_pem: r.certificate_pem,
                ca: ca_identity(r.ca),
                csr_pem: r.csr_pem,
            })
            .collect(),
        skipped: file
            .skipped
            .into_iter()
            .map(|s| Skipped {
                name: s.name,
                reason: s.reason,
            })
            .collect(),
    })
}

pub(super) fn signed_to_json(set: &SignedSet) -> String {
    let file = SignedFile {
        format: FORMAT,
        kind: SIGNED_KIND.to_string(),
        created: set.created.to_rfc3339(),
        signed: set
            .signed
            .iter()
            .map(|s| SignedJson {
                name: s.name.clone(),
                certificate_pem: s.certificate_pem.clone(),
                ca: s.ca.as_ref().map(ca_json),
            })
            .collect(),
        refused: set
            .refused
            .iter()
            .map(|r| SkippedJson {
                name: r.name.clone(),
                reason: r.reason.clone(),
            })
            .collect(),
        ca_certificates: set.ca_certificates.clone(),
    };
    pretty(&file)
}

/// A signed file: JSON (it starts with `{`), or PEM certificates as an external CA returns
/// them. In PEM, CA certificates are carried CAs and the others signed certificates, unnamed.
pub(super) fn signed_parse(text: &str) -> Result<SignedSet> {
    if text.trim_start().starts_with('{') {
        return signed_from_json(text);
    }
    check_size(text)?;
    if !crate::pem::looks_like_pem(text.as_bytes()) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("a signed file is JSON ({SIGNED_KIND}) or PEM certificates; this is neither"),
        ));
    }
    if crate::pem::blocks(text.as_bytes())?
        .iter()
        .any(|b| b.label.contains("PRIVATE KEY"))
    {
        return Err(Error::new(
            ErrorKind::Pem,
            "the signed PEM holds a private key: only certificates are installed, and a key must not travel",
        ));
    }
    let certs = Certificate::load_all(text.as_bytes())?;
    let (cas, leaves): (Vec<_>, Vec<_>) = certs.into_iter().partition(Certificate::is_ca);
    Ok(SignedSet {
        created: Timestamp::now(),
        signed: leaves
            .into_iter()
            .map(|c| SignedCertificate {
                name: None,
                certificate_pem: c.to_pem(),
                ca: None,
            })
            .collect(),
        refused: Vec::new(),
        ca_certificates: cas.iter().map(Certificate::to_pem).collect(),
    })
}

fn signed_from_json(text: &str) -> Result<SignedSet> {
    let file: SignedFile = read_json(text, SIGNED_KIND)?;
    Ok(SignedSet {
        created: timestamp(&file.created, "created")?,
        signed: file
            .signed
            .into_iter()
            .map(|s| SignedCertificate {
                name: s.name,
                certificate_pem: s.certificate_pem,
                ca: s.ca.map(ca_identity),
            })
            .collect(),
        refused: file
            .refused
            .into_iter()
            .map(|r| Refusal {
                name: r.name,
                reason: r.reason,
            })
            .collect(),
        ca_certificates: file.ca_certificates,
    })
}

/// Parses a file of `kind`: its `kind` and `format` are checked first, so that another file or
/// a newer format is refused as such rather than as a missing field.
fn read_json<T: serde::de::DeserializeOwned>(text: &str, kind: &str) -> Result<T> {
    check_size(text)?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(kind, &e))?;
    let Some(object) = value.as_object() else {
        return Err(invalid(format!("{kind} file: not a JSON object")));
    };
    match object.get("kind").and_then(serde_json::Value::as_str) {
        Some(found) if found == kind => {}
        Some(found) => {
            return Err(invalid(format!(
                "{kind} file: field \"kind\" is {found:?}, expected {kind:?}"
            )));
        }
        None => return Err(invalid(format!("{kind} file: field \"kind\" is missing"))),
    }
    match object.get("format").and_then(serde_json::Value::as_u64) {
        Some(n) if n == u64::from(FORMAT) => {}
        Some(n) => {
            return Err(invalid(format!(
                "{kind} file: field \"format\" is {n}; this kcert reads format {FORMAT}"
            )));
        }
        None => {
            return Err(invalid(format!(
                "{kind} file: field \"format\" is missing or not a number"
            )));
        }
    }
    serde_json::from_value(value).map_err(|e| bad(kind, &e))
}

fn check_size(text: &str) -> Result<()> {
    if text.len() > MAX_BYTES {
        return Err(invalid(format!(
            "the file is {} bytes, over the limit of {MAX_BYTES}",
            text.len()
        )));
    }
    Ok(())
}

fn timestamp(text: &str, field: &str) -> Result<Timestamp> {
    Timestamp::parse_rfc3339(text).map_err(|e| invalid(format!("field {field:?}: {}", e.message())))
}

fn ca_json(ca: &CaIdentity) -> CaJson {
    CaJson {
        name: ca.name.clone(),
        subject: ca.subject.clone(),
        subject_key_id: ca.subject_key_id.clone(),
        sha256: ca.sha256.clone(),
    }
}

fn ca_identity(ca: CaJson) -> CaIdentity {
    CaIdentity {
        name: ca.name,
        subject: ca.subject,
        subject_key_id: ca.subject_key_id,
        sha256: ca.sha256,
    }
}

fn skipped_json(s: &Skipped) -> SkippedJson {
    SkippedJson {
        name: s.name.clone(),
        reason: s.reason.clone(),
    }
}

fn pretty<T: Serialize>(value: &T) -> String {
    // Strings and numbers only: serializing cannot fail.
    let mut out = serde_json::to_string_pretty(value).unwrap_or_default();
    out.push('\n');
    out
}

fn bad(kind: &str, e: &serde_json::Error) -> Error {
    invalid(format!("{kind} file: {e}"))
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// The one certificate of a request's or a signed entry's PEM text: exactly one `CERTIFICATE`
/// block and nothing else (a private key in it is refused, never read).
pub(super) fn one_certificate(pem: &str) -> std::result::Result<Certificate, String> {
    let blocks = crate::pem::blocks(pem.as_bytes()).map_err(|e| e.message().to_string())?;
    match blocks.as_slice() {
        [block] if block.label == "CERTIFICATE" => {
            Certificate::from_der(&block.der).map_err(|e| e.message().to_string())
        }
        [] => Err("no PEM certificate".to_string()),
        _ if blocks.iter().any(|b| b.label.contains("PRIVATE KEY")) => {
            Err("the PEM holds a private key; only a certificate is accepted".to_string())
        }
        _ => Err(format!(
            "expected one CERTIFICATE block, found {}",
            blocks
                .iter()
                .map(|b| b.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
