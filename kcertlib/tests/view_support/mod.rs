//! The equivalence judge of `CertificateView` against `Certificate`, shared by the view tests.
#![allow(dead_code)]

use std::time::Duration;

use const_oid::ObjectIdentifier;
use kcertlib::view::CertificateView;
use kcertlib::{Certificate, Timestamp};

#[path = "../../../fuzz/src/x509_reference.rs"]
mod x509_reference;

/// Panics unless every accessor of the view of `cert`'s DER equals the `Certificate` accessor.
pub fn assert_view_matches(cert: &Certificate, what: &str) {
    let view = CertificateView::parse(cert.as_der())
        .unwrap_or_else(|e| panic!("{what}: the view rejects a certificate: {e}"));
    assert_matches(&view, cert, what);
}

/// Panics unless `view` and `cert` agree on every accessor.
pub fn assert_matches(view: &CertificateView<'_>, cert: &Certificate, what: &str) {
    assert_eq!(view.as_der(), cert.as_der(), "{what}: as_der");
    assert_eq!(view.tbs_der(), cert.tbs_der(), "{what}: tbs_der");
    assert_eq!(view.serial(), cert.serial(), "{what}: serial");
    assert_eq!(view.serial_hex(), cert.serial_hex(), "{what}: serial_hex");
    assert_eq!(
        Ok(view.subject_der()),
        cert.subject_der().map_err(|e| e.to_string()),
        "{what}: subject_der"
    );
    assert_eq!(
        Ok(view.issuer_der()),
        cert.issuer_der().map_err(|e| e.to_string()),
        "{what}: issuer_der"
    );
    assert_eq!(
        Ok(view.spki_der()),
        cert.spki_der().map_err(|e| e.to_string()),
        "{what}: spki_der"
    );
    assert_eq!(view.subject(), cert.subject(), "{what}: subject");
    assert_eq!(view.issuer(), cert.issuer(), "{what}: issuer");
    assert_eq!(
        view.subject_attributes(),
        cert.subject_attributes(),
        "{what}: subject_attributes"
    );
    assert_eq!(
        view.issuer_attributes(),
        cert.issuer_attributes(),
        "{what}: issuer_attributes"
    );
    assert_eq!(
        view.common_name(),
        cert.common_name(),
        "{what}: common_name"
    );
    assert_eq!(view.not_before(), cert.not_before(), "{what}: not_before");
    assert_eq!(view.not_after(), cert.not_after(), "{what}: not_after");
    let (nb, na) = (cert.not_before(), cert.not_after());
    let day = Duration::from_secs(86_400);
    for at in [
        nb.minus(day),
        nb,
        Timestamp::from_unix((nb.unix() + na.unix()) / 2),
        na.minus(day),
        na,
        na.plus(day),
    ] {
        for warn in [Duration::ZERO, day, 30 * day] {
            assert_eq!(
                view.status(at, warn),
                cert.status(at, warn),
                "{what}: status at {at} within {warn:?}"
            );
        }
    }
    let alt = cert.alt_names();
    assert_eq!(
        view.dns_names().collect::<Vec<_>>(),
        alt.dns,
        "{what}: dns_names"
    );
    assert_eq!(
        view.ip_addresses().collect::<Vec<_>>(),
        alt.ips,
        "{what}: ip_addresses"
    );
    assert_eq!(view.alt_names(), alt, "{what}: alt_names");
    assert_eq!(
        view.basic_constraints(),
        cert.basic_constraints(),
        "{what}: basic_constraints"
    );
    assert_eq!(view.is_ca(), cert.is_ca(), "{what}: is_ca");
    assert_eq!(
        view.is_self_issued(),
        cert.is_self_issued(),
        "{what}: is_self_issued"
    );
    assert_eq!(
        view.subject_key_id().map(<[u8]>::to_vec),
        cert.subject_key_id(),
        "{what}: subject_key_id"
    );
    assert_eq!(
        view.authority_key_id().map(<[u8]>::to_vec),
        cert.authority_key_id(),
        "{what}: authority_key_id"
    );
    assert_eq!(
        view.public_key_algorithm(),
        cert.public_key_algorithm(),
        "{what}: public_key_algorithm"
    );
    assert_eq!(
        view.signature_algorithm(),
        cert.signature_algorithm(),
        "{what}: signature_algorithm"
    );
    assert_eq!(
        view.fingerprint_sha256(),
        cert.fingerprint_sha256(),
        "{what}: fingerprint_sha256"
    );
    let exts: Vec<(String, bool, Vec<u8>)> = view
        .extensions()
        .map(|(oid, critical, value)| {
            let oid = ObjectIdentifier::from_bytes(oid)
                .map(|o| o.to_string())
                .unwrap_or_default();
            (oid, critical, value.to_vec())
        })
        .collect();
    let expected: Vec<(String, bool, Vec<u8>)> = cert
        .extensions()
        .into_iter()
        .map(|e| (e.oid, e.critical, e.value))
        .collect();
    assert_eq!(exts, expected, "{what}: extensions");
    assert_eq!(
        view.to_certificate().ok().as_ref(),
        Some(cert),
        "{what}: to_certificate"
    );
}

/// Compares the two parsers on arbitrary bytes: both accept (then every accessor agrees) or both
/// reject with the same kind. Returns `Some(description)` for a disagreement instead of
/// panicking, so callers can decide which direction they tolerate.
///
/// `Certificate` reads with the view's walk, so the judge of what is accepted, and of the values
/// read, is x509-cert decoding the whole certificate (`x509_reference`, shared with the fuzz
/// targets).
pub fn compare_on(der: &[u8], what: &str) -> Option<String> {
    let judged = x509_reference::read(der);
    match (
        Certificate::from_der(der),
        CertificateView::parse(der),
        judged,
    ) {
        (Ok(cert), Ok(view), Ok(x)) => {
            assert_matches(&view, &cert, what);
            let differences = x509_reference::differences(&cert, &x, what);
            (!differences.is_empty()).then(|| differences.join("; "))
        }
        (Err(a), Err(b), Err(kind)) if a.kind() == b.kind() && b.kind() == kind => None,
        (Err(a), Err(b), kind) => Some(format!(
            "{what}: kinds differ: certificate {a} / view {b} / x509-cert {kind:?}"
        )),
        (Ok(_), Ok(_), Err(kind)) => Some(format!("{what}: only x509-cert rejects ({kind:?})")),
        (_, Err(e), Ok(_)) | (Err(e), _, Ok(_)) => {
            Some(format!("{what}: x509-cert accepts, kcertlib rejects: {e}"))
        }
        (Ok(_), Err(e), _) | (Err(e), Ok(_), _) => {
            Some(format!("{what}: Certificate and the view disagree: {e}"))
        }
    }
}

/// Every certificate DER in a file's bytes: the CERTIFICATE blocks of PEM text, or the whole
/// input when it looks like DER.
pub fn certificate_ders(bytes: &[u8]) -> Vec<Vec<u8>> {
    if kcertlib::pem::looks_like_pem(bytes) {
        kcertlib::pem::blocks(bytes)
            .map(|blocks| {
                blocks
                    .into_iter()
                    .filter(|b| b.label == "CERTIFICATE")
                    .map(kcertlib::pem::PemBlock::into_der)
                    .collect()
            })
            .unwrap_or_default()
    } else if bytes.first() == Some(&0x30) {
        vec![bytes.to_vec()]
    } else {
        Vec::new()
    }
}
