//! The JSON summary of one certificate returned by `kcert_cert_to_json`.
//!
//! Built here from the core's accessors because the core has no certificate summary type yet;
//! it belongs in the core once one exists, so that the CLI and Python print the same object.

use kcertlib::Certificate;
use serde_json::{Value, json};

/// The summary object, serialized compactly.
pub(crate) fn summary_json(cert: &Certificate) -> String {
    summary(cert).to_string()
}

fn summary(cert: &Certificate) -> Value {
    let alt = cert.alt_names();
    json!({
        "subject": cert.subject(),
        "issuer": cert.issuer(),
        "commonName": cert.common_name(),
        "organizations": cert.organizations(),
        "serial": cert.serial_hex(),
        "notBefore": cert.not_before().to_rfc3339(),
        "notAfter": cert.not_after().to_rfc3339(),
        "dnsNames": alt.dns,
        "ipAddresses": alt.ips.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "uris": alt.uris,
        "emails": alt.emails,
        "keyUsage": cert
            .key_usage()
            .map(|bits| bits.iter().map(|b| b.name()).collect::<Vec<_>>()),
        "extendedKeyUsage": cert
            .extended_key_usage()
            .map(|purposes| purposes.iter().map(|p| p.name().to_string()).collect::<Vec<_>>()),
        "isCa": cert.is_ca(),
        "publicKeyAlgorithm": cert.public_key_algorithm().name(),
        "signatureAlgorithm": cert.signature_algorithm().name(),
        "fingerprintSha256": cert.fingerprint_sha256_hex(),
    })
}
