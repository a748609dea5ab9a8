//! Criterion benchmarks of parsing a PEM bundle into inventory fields (subject, notAfter, SANs),
//! per certificate, three ways:
//! - `certificate`: `Certificate::bundle_from_pem` (pem::blocks + full x509-cert decode), the
//!   path every loader used before `CertificateView`;
//! - `view`: `pem::blocks` + `CertificateView::parse` (zero-copy walk);
//! - `stream`: `pem::Reader::for_each_certificate` (one reused line and DER buffer);
//!
//! plus the DER-only parse of each (`der/...`), to separate PEM from X.509 cost.
//! Run: `cargo bench -p kcertlib --bench parse -- --warm-up-time 1 --measurement-time 3`.
//! With `KCERT_PARSE_BUNDLE=FILE` the bundle is also written to FILE (for outside comparisons).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kcertlib::pem::{self, Reader};
use kcertlib::view::CertificateView;
use kcertlib::*;

/// Certificates in the bundle.
const CERTS: usize = 3000;

/// A kubeadm-like bundle: node client, apiserver, etcd and front-proxy style leaves with 3 DNS
/// names and 2 IPs, two thirds signed by an RSA-2048 CA and one third by a P-256 CA, over a pool
/// of four leaf keys (two RSA-2048, two P-256); the CAs are in it too.
fn bundle(n: usize) -> (Vec<Certificate>, String) {
    let rsa_key = PrivateKey::generate(&KeyAlgorithm::Rsa(2048)).expect("key");
    let rsa_ca =
        self_signed_ca("CN=kubernetes", &rsa_key, &ValidityPolicy::days(3650)).expect("ca");
    let ec_key = PrivateKey::generate(&KeyAlgorithm::P256).expect("key");
    let ec_ca = self_signed_ca("CN=etcd-ca", &ec_key, &ValidityPolicy::days(3650)).expect("ca");
    let rsa = Issuer::new(&rsa_ca, &rsa_key).expect("issuer");
    let ec = Issuer::new(&ec_ca, &ec_key).expect("issuer");
    let pool: Vec<Vec<u8>> = [KeyAlgorithm::Rsa(2048), KeyAlgorithm::P256]
        .iter()
        .cycle()
        .take(4)
        .map(|alg| {
            PrivateKey::generate(alg)
                .and_then(|k| k.public_key_der())
                .expect("key")
        })
        .collect();
    let mut certs = vec![rsa_ca.clone(), ec_ca.clone()];
    for i in 0..n.saturating_sub(2) {
        let (subject, profile, issuer) = match i % 4 {
            0 => (
                format!("CN=system:node:node{i},O=system:nodes"),
                Profile::Client,
                &rsa,
            ),
            1 => ("CN=kube-apiserver".to_string(), Profile::Api, &rsa),
            2 => (format!("CN=etcd-peer-node{i}"), Profile::Etcd, &ec),
            _ => ("CN=front-proxy-client".to_string(), Profile::Client, &rsa),
        };
        let mut req = IssueRequest::new(subject, profile);
        req.alt_names = AltNames::new(
            [
                format!("node{i}"),
                format!("node{i}.cluster.local"),
                "localhost".to_string(),
            ],
            [
                std::net::IpAddr::from([10, 0, (i / 256) as u8, (i % 256) as u8]),
                std::net::IpAddr::from([127, 0, 0, 1]),
            ],
        );
        certs.push(issue(&req, &pool[i % pool.len()], issuer).expect("issue"));
    }
    let text: String = certs.iter().map(Certificate::to_pem).collect();
    (certs, text)
}

fn parse(c: &mut Criterion) {
    let (certs, text) = bundle(CERTS);
    if let Some(path) = std::env::var_os("KCERT_PARSE_BUNDLE") {
        std::fs::write(&path, &text).expect("writes the bundle");
    }
    let input = text.as_bytes();
    let ders: Vec<Vec<u8>> = certs.iter().map(|c| c.as_der().to_vec()).collect();

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(certs.len() as u64));
    g.bench_function(
        "certificate: bundle_from_pem + subject, notAfter, SANs",
        |b| {
            b.iter(|| {
                let mut n = 0usize;
                for c in Certificate::bundle_from_pem(black_box(input)).expect("parses") {
                    n += c.subject().len() + c.alt_names().dns.len();
                    n += c.not_after().unix() as usize & 7;
                }
                black_box(n)
            })
        },
    );
    g.bench_function(
        "view: pem::blocks + CertificateView + subject, notAfter, SANs",
        |b| {
            b.iter(|| {
                let mut n = 0usize;
                for block in pem::blocks(black_box(input)).expect("parses") {
                    let v = CertificateView::parse(&block.der).expect("parses");
                    n += v.subject().len() + v.dns_names().count();
                    n += v.not_after().unix() as usize & 7;
                }
                black_box(n)
            })
        },
    );
    g.bench_function(
        "stream: Reader::for_each_certificate + subject, notAfter, SANs",
        |b| {
            b.iter(|| {
                let mut n = 0usize;
                Reader::new(black_box(input))
                    .for_each_certificate(|v| {
                        n += v.subject().len() + v.dns_names().count();
                        n += v.not_after().unix() as usize & 7;
                        Ok(())
                    })
                    .expect("parses");
                black_box(n)
            })
        },
    );
    g.bench_function("pem::blocks only", |b| {
        b.iter(|| black_box(pem::blocks(black_box(input)).expect("parses").len()))
    });
    g.bench_function("der/certificate: Certificate::from_der + fields", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for der in &ders {
                let c = Certificate::from_der(black_box(der)).expect("parses");
                n += c.subject().len() + c.alt_names().dns.len();
                n += c.not_after().unix() as usize & 7;
            }
            black_box(n)
        })
    });
    g.bench_function("der/view: CertificateView::parse + fields", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for der in &ders {
                let v = CertificateView::parse(black_box(der)).expect("parses");
                n += v.subject().len() + v.dns_names().count();
                n += v.not_after().unix() as usize & 7;
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
