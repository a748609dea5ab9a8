//! The certificates of one input file, labelled for a listing. What the file is (PEM bundle,
//! DER, kubelet's combined pem, a kubeconfig with embedded or referenced certificates) is the
//! core's business: `kcertlib::load`, the reader the C and Python layers use too. This file
//! only turns each certificate's origin into a label and a JSON object.

use std::path::Path;

use kcertlib::Certificate;
use kcertlib::load::{LoadedCertificate, Origin, from_path};

/// One certificate found, with where it came from.
pub struct Found {
    /// A person's name for it: `pki/ca.crt`, `bundle.pem: certificate #2 (PEM line 25)`,
    /// `admin.conf: user kubernetes-admin (client-certificate-data)`.
    pub label: String,
    /// The same, for programs (`{"type": "kubeconfig", "section": "user", "name": ...}`).
    pub origin: serde_json::Value,
    pub cert: Certificate,
}

/// Every certificate in the file at `path`.
///
/// # Errors
/// The core's error, naming the file (and the kubeconfig entry), when the file cannot be read,
/// holds no certificate, or a kubeconfig references a file that cannot be read.
pub fn load(path: &Path) -> Result<Vec<Found>, kcertlib::Error> {
    let loaded = from_path(path)?;
    let shown = path.display().to_string();
    // A file that is one certificate is called by its name alone.
    let alone = loaded.len() == 1 && !matches!(loaded[0].origin, Origin::Kubeconfig(_));
    Ok(loaded
        .into_iter()
        .map(
            |LoadedCertificate {
                 certificate,
                 origin,
                 ..
             }| Found {
                label: if alone {
                    shown.clone()
                } else {
                    format!("{shown}: {origin}")
                },
                origin: origin_json(&shown, &origin),
                cert: certificate,
            },
        )
        .collect())
}

fn origin_json(file: &str, origin: &Origin) -> serde_json::Value {
    match origin {
        Origin::Pem { index, line } => serde_json::json!({
            "type": "pem", "file": file, "index": index, "line": line,
        }),
        Origin::Der => serde_json::json!({ "type": "der", "file": file }),
        Origin::Kubeconfig(source) => serde_json::json!({
            "type": "kubeconfig",
            "file": file,
            "section": source.section.name(),
            "name": source.name,
            "field": source.field.key(),
            "reference": source.reference,
            "referencedFile": source.file,
            "index": source.index,
            "count": source.count,
        }),
        // An origin the core adds later: its label still says where.
        other => serde_json::json!({ "type": "other", "file": file, "label": other.to_string() }),
    }
}
