//! `CertificateView` equals `Certificate` accessor by accessor on every certificate that
//! `testing/openssl-fixtures.sh` makes with the openssl CLI (good and bad ones: both accept or
//! both reject with the same kind) and on every certificate of the generated cluster trees of
//! `kcertlib::fixture`, embedded kubeconfig ones included.

mod openssl_support;
mod view_support;

use std::path::{Path, PathBuf};

use kcertlib::fixture::{FixtureLayout, FixtureOptions, build};
use kcertlib::{Certificate, KeyAlgorithm, Kubeconfig};
use openssl_support::fixtures;
use view_support::{assert_view_matches, certificate_ders, compare_on};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("reads dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_openssl_fixture_certificate_reads_the_same_through_the_view() {
    let mut files = Vec::new();
    walk(&fixtures().dir, &mut files);
    let (mut compared, mut both_ok) = (0, 0);
    let mut disagreements = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("reads");
        for (i, der) in certificate_ders(&bytes).iter().enumerate() {
            let what = format!("{}#{}", file.display(), i + 1);
            disagreements.extend(compare_on(der, &what));
            compared += 1;
            both_ok += usize::from(Certificate::from_der(der).is_ok());
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    assert!(both_ok >= 20, "compared {compared}, {both_ok} valid");
    // The bad fixtures that are certificates are rejected by both, with the same kind.
    let negative = std::fs::read(fixtures().dir.join("bad/negative_serial.pem")).expect("file");
    let der = &certificate_ders(&negative)[0];
    let e = kcertlib::view::CertificateView::parse(der).expect_err("negative serial");
    assert_eq!(e.kind(), kcertlib::ErrorKind::InvalidCertificate);
    for name in ["bad/truncated.der", "bad/trailing_data.der"] {
        let der = std::fs::read(fixtures().dir.join(name)).expect("file");
        let e = kcertlib::view::CertificateView::parse(&der).expect_err(name);
        assert_eq!(e.kind(), kcertlib::ErrorKind::Der, "{name}: {e}");
    }
}

#[test]
fn every_generated_cluster_certificate_reads_the_same_through_the_view() {
    let mut n = 0;
    for layout in FixtureLayout::ALL {
        for (expired, leaf_key) in [(true, KeyAlgorithm::RSA_2048), (false, KeyAlgorithm::P256)] {
            let dir = tempfile::tempdir().expect("tmp");
            let options = FixtureOptions::default()
                .with_expired(expired)
                .with_leaf_key(leaf_key)
                .with_reuse_leaf_keys(true);
            let summary = build(dir.path(), layout, &options).expect("builds");
            for file in &summary.files {
                let Ok(bytes) = std::fs::read(file) else {
                    continue;
                };
                let mut ders = certificate_ders(&bytes);
                if ders.is_empty()
                    && let Ok(kc) = Kubeconfig::load(file)
                {
                    for pem in kc
                        .users()
                        .into_iter()
                        .filter_map(|u| u.client_certificate_data)
                        .chain(
                            kc.clusters()
                                .into_iter()
                                .filter_map(|c| c.certificate_authority_data),
                        )
                    {
                        ders.extend(certificate_ders(&pem));
                    }
                }
                for (i, der) in ders.iter().enumerate() {
                    let what = format!("{layout} {}#{}", file.display(), i + 1);
                    let cert = Certificate::from_der(der).unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_view_matches(&cert, &what);
                    n += 1;
                }
            }
            assert!(
                summary.entries.len() <= n,
                "{layout}: {} entries, {n} certificates compared so far",
                summary.entries.len()
            );
        }
    }
    assert!(n >= 100, "compared {n} certificates");
}
