//! `CertificateView::parse` on damaged input: every truncation and every single-bit flip of real
//! certificates (RSA and ECDSA, with SANs, key identifiers and basicConstraints) gives an error
//! or a view whose accessors all run, never a panic; and `Certificate::from_der` agrees on each
//! one (both reject with the same kind, or both accept and every accessor is equal).
//! Deterministic: no fuzzer, no randomness.

mod view_support;

use kcertlib::view::CertificateView;
use kcertlib::*;
use view_support::compare_on;

fn samples() -> Vec<Certificate> {
    let mut out = Vec::new();
    for alg in [KeyAlgorithm::P256, KeyAlgorithm::Rsa(2048)] {
        let ca_key = PrivateKey::generate(&alg).expect("key");
        let ca = self_signed_ca("CN=kubernetes,O=k8s", &ca_key, &ValidityPolicy::days(3650))
            .expect("ca");
        let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
        let mut req = IssueRequest::new("CN=kube-apiserver,O=system:masters", Profile::Api);
        req.alt_names = AltNames::new(
            ["kubernetes", "kubernetes.default.svc"],
            [
                std::net::IpAddr::from([10, 96, 0, 1]),
                "::1".parse().expect("ip"),
            ],
        );
        let leaf = issue(&req, &ca_key.public_key_der().expect("spki"), &issuer).expect("leaf");
        out.push(ca);
        out.push(leaf);
    }
    out
}

/// Calls every accessor (the point is that none panics).
fn exercise(view: &CertificateView<'_>) -> usize {
    let mut n = view.subject().len() + view.issuer().len() + view.serial_hex().len();
    n += view.subject_attributes().len() + view.issuer_attributes().len();
    n += view.common_name().map_or(0, |s| s.len());
    n += view.dns_names().count() + view.ip_addresses().count() + view.alt_names().dns.len();
    n += usize::from(view.is_ca()) + usize::from(view.is_self_issued());
    n += view
        .basic_constraints()
        .map_or(0, |b| usize::from(b.path_len.unwrap_or(1)));
    n += view.subject_key_id().map_or(0, <[u8]>::len);
    n += view.authority_key_id().map_or(0, <[u8]>::len);
    n += view.public_key_algorithm().bits() as usize;
    n += view.signature_algorithm().name().len();
    n += view.extensions().count();
    n += view
        .status(Timestamp::now(), std::time::Duration::ZERO)
        .name()
        .len();
    n += view.not_before().unix().unsigned_abs() as usize % 3;
    n += usize::from(view.fingerprint_sha256()[0]);
    n + usize::from(view.to_certificate().is_ok())
}

#[test]
fn every_truncation_is_an_error() {
    for cert in samples() {
        let der = cert.as_der();
        for len in 0..der.len() {
            assert!(
                CertificateView::parse(&der[..len]).is_err(),
                "a {len}-byte prefix of a {}-byte certificate parsed",
                der.len()
            );
        }
        let mut longer = der.to_vec();
        longer.push(0);
        assert!(CertificateView::parse(&longer).is_err(), "trailing data");
    }
}

#[test]
fn every_bit_flip_gives_an_error_or_a_consistent_view() {
    let mut total = 0;
    let mut accepted = 0;
    let mut disagreements = Vec::new();
    for (index, cert) in samples().iter().enumerate() {
        let der = cert.as_der();
        // Every bit of the tbsCertificate and the algorithm; a sample of the signature bits.
        let tbs_end = cert.tbs_der().len() + 4 + 20;
        for pos in (0..der.len()).filter(|&p| p < tbs_end || p % 17 == 0) {
            for bit in 0..8 {
                let mut flipped = der.to_vec();
                flipped[pos] ^= 1 << bit;
                total += 1;
                if let Ok(view) = CertificateView::parse(&flipped) {
                    accepted += 1;
                    std::hint::black_box(exercise(&view));
                }
                let what = format!("sample {index} byte {pos} bit {bit}");
                disagreements.extend(compare_on(&flipped, &what));
            }
        }
    }
    // Both parsers agree on every flip: accepted by both with equal accessors, or rejected by
    // both with the same error kind.
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    assert!(
        total > 10_000 && accepted > 1_000,
        "{total} flips, {accepted} accepted"
    );
}
