//! A JSON-ready summary of one certificate: what `kcert inspect --json`, the C library's
//! `kcert_cert_to_json` and Python's `Certificate.to_dict()` all print, so the three agree.

use std::time::Duration;

use serde::Serialize;

use crate::cert::{Certificate, NameAttribute, Status};
use crate::extensions::{BasicConstraints, ExtendedKeyUsage, KeyUsageBit};
use crate::time::Timestamp;

/// Every field an operator looks at, with RFC 3339 times and hex identifiers.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSummary {
    /// Subject, RFC 4514.
    pub subject: String,
    /// Subject attributes in encoding order.
    pub subject_attributes: Vec<NameAttribute>,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// `notBefore`, RFC 3339.
    pub not_before: String,
    /// `notAfter`, RFC 3339.
    pub not_after: String,
    /// Validity status at the time of the summary.
    pub status: Status,
    /// Seconds from the time of the summary to `notAfter` (negative once expired).
    pub residual_seconds: i64,
    /// DNS SANs.
    pub dns_names: Vec<String>,
    /// IP SANs, as text.
    pub ip_addresses: Vec<String>,
    /// URI SANs.
    pub uris: Vec<String>,
    /// Email SANs.
    pub emails: Vec<String>,
    /// keyUsage bits, `None` when absent.
    pub key_usage: Option<Vec<KeyUsageBit>>,
    /// extendedKeyUsage purposes, `None` when absent.
    pub extended_key_usage: Option<Vec<ExtendedKeyUsage>>,
    /// basicConstraints, `None` when absent.
    pub basic_constraints: Option<BasicConstraints>,
    /// Whether this is a CA.
    pub is_ca: bool,
    /// subjectKeyIdentifier, hex.
    pub subject_key_id: Option<String>,
    /// authorityKeyIdentifier keyIdentifier, hex.
    pub authority_key_id: Option<String>,
    /// e.g. `RSA-2048`, `ECDSA-P256`.
    pub public_key_algorithm: String,
    /// e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// SHA-256 over the DER, colon-separated uppercase hex.
    pub fingerprint_sha256: String,
}

impl CertificateSummary {
    /// Summarises `cert` as seen at `at`, warning within `warn_within` of expiry.
    pub fn new(cert: &Certificate, at: Timestamp, warn_within: Duration) -> CertificateSummary {
        let alt = cert.alt_names();
        CertificateSummary {
            subject: cert.subject(),
            subject_attributes: cert.subject_attributes(),
            issuer: cert.issuer(),
            serial: cert.serial_hex(),
            not_before: cert.not_before().to_rfc3339(),
            not_after: cert.not_after().to_rfc3339(),
            status: cert.status(at, warn_within),
            residual_seconds: at.seconds_until(cert.not_after()),
            dns_names: alt.dns,
            ip_addresses: alt.ips.iter().map(ToString::to_string).collect(),
            uris: alt.uris,
            emails: alt.emails,
            key_usage: cert.key_usage(),
            extended_key_usage: cert.extended_key_usage(),
            basic_constraints: cert.basic_constraints(),
            is_ca: cert.is_ca(),
            subject_key_id: cert.subject_key_id().map(|k| crate::cert::hex(&k)),
            authority_key_id: cert.authority_key_id().map(|k| crate::cert::hex(&k)),
            public_key_algorithm: cert.public_key_algorithm().name(),
            signature_algorithm: cert.signature_algorithm().name().to_string(),
            fingerprint_sha256: cert.fingerprint_sha256_hex(),
        }
    }
}

impl Certificate {
    /// The summary of this certificate now, with a 30-day warning window.
    pub fn summary(&self) -> CertificateSummary {
        CertificateSummary::new(self, Timestamp::now(), crate::defaults::WARN_WITHIN)
    }

    /// The summary as a JSON object.
    pub fn to_json(&self) -> String {
        // Serialising plain strings, numbers and vectors cannot fail.
        serde_json::to_string(&self.summary()).unwrap_or_default()
    }
}
