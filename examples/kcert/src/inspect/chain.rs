//! Which certificate among the inputs issued which: the issuer's subject is the certificate's
//! issuer name, its key identifier matches when both are present, and the signature verifies.
//! Byte-identical copies (a CA in every bundle) are one certificate: the first label names it.

use kcertlib::{Certificate, verify_signature};

/// For each certificate, the index of its issuer among `certs` (`None` when no input issued
/// it). A self-signed certificate is its own issuer.
pub fn issuers(certs: &[&Certificate]) -> Vec<Option<usize>> {
    certs
        .iter()
        .enumerate()
        .map(|(i, cert)| issuer_of(i, cert, certs))
        .collect()
}

fn issuer_of(index: usize, cert: &Certificate, certs: &[&Certificate]) -> Option<usize> {
    // A self-signed certificate is its own issuer, even when a copy of it came earlier.
    if cert.is_self_issued() && verify_signature(cert, cert).is_ok() {
        return Some(index);
    }
    let issuer_name = cert.issuer_der().ok()?;
    let aki = cert.authority_key_id();
    let mut candidates = certs.iter().enumerate().filter(|(_, c)| {
        c.subject_der().is_ok_and(|s| s == issuer_name)
            && match (&aki, c.subject_key_id()) {
                (Some(aki), Some(ski)) => *aki == ski,
                _ => true,
            }
    });
    // The first candidate whose signature verifies (identical copies come in input order).
    candidates
        .find(|(_, c)| verify_signature(cert, c).is_ok())
        .map(|(i, _)| i)
}
