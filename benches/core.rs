//! Criterion benchmarks of the core: parsing a PEM bundle into inventory fields, and re-signing
//! leaves with an RSA-2048 and a P-256 CA. Run: `cargo bench -p kcertlib --bench core`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kcertlib::*;

fn corpus(n: usize) -> (Vec<Certificate>, String) {
    let rsa_ca_key = PrivateKey::generate(&KeyAlgorithm::Rsa(2048)).expect("key");
    let rsa_ca =
        self_signed_ca("CN=kubernetes", &rsa_ca_key, &ValidityPolicy::days(3650)).expect("ca");
    let ec_ca_key = PrivateKey::generate(&KeyAlgorithm::P256).expect("key");
    let ec_ca = self_signed_ca("CN=etcd-ca", &ec_ca_key, &ValidityPolicy::days(3650)).expect("ca");
    let leaf_keys: Vec<PrivateKey> = (0..4)
        .map(|i| {
            PrivateKey::generate(if i % 2 == 0 {
                &KeyAlgorithm::P256
            } else {
                &KeyAlgorithm::Rsa(2048)
            })
            .expect("key")
        })
        .collect();
    let mut certs = Vec::with_capacity(n);
    for i in 0..n {
        let (ca, key) = if i % 3 == 2 {
            (&ec_ca, &ec_ca_key)
        } else {
            (&rsa_ca, &rsa_ca_key)
        };
        let issuer = Issuer::new(ca, key).expect("issuer");
        let mut req = IssueRequest::new(
            format!("CN=system:node:node{i},O=system:nodes"),
            Profile::Api,
        );
        req.alt_names = AltNames::new(
            [
                format!("node{i}"),
                format!("node{i}.cluster.local"),
                "localhost".to_string(),
            ],
            [
                std::net::IpAddr::from([10, 0, (i / 256) as u8, (i % 256) as u8]),
                "127.0.0.1".parse().expect("ip"),
            ],
        );
        let spki = leaf_keys[i % leaf_keys.len()]
            .public_key_der()
            .expect("spki");
        certs.push(issue(&req, &spki, &issuer).expect("issue"));
    }
    let bundle: String = certs.iter().map(Certificate::to_pem).collect();
    (certs, bundle)
}

fn parse(c: &mut Criterion) {
    let (certs, bundle) = corpus(1000);
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(certs.len() as u64));
    g.bench_function("pem bundle -> subject, notAfter, SANs", |b| {
        b.iter(|| {
            let parsed =
                Certificate::bundle_from_pem(black_box(bundle.as_bytes())).expect("parses");
            let mut n = 0usize;
            for c in &parsed {
                n +=
                    c.subject().len() + c.alt_names().dns.len() + c.not_after().unix() as usize % 7;
            }
            black_box(n)
        })
    });
    g.finish();
}

fn resign_with(c: &mut Criterion, name: &str, alg: KeyAlgorithm) {
    let ca_key = PrivateKey::generate(&alg).expect("key");
    let ca = self_signed_ca("CN=kubernetes", &ca_key, &ValidityPolicy::days(3650)).expect("ca");
    let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
    let (certs, _) = corpus(16);
    let options = ResignOptions::default();
    let mut g = c.benchmark_group("resign");
    g.throughput(Throughput::Elements(1));
    g.bench_function(name, |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            black_box(resign(&certs[i % certs.len()], &issuer, &options).expect("resign"))
        })
    });
    g.finish();
}

fn resigning(c: &mut Criterion) {
    resign_with(c, "RSA-2048 CA", KeyAlgorithm::Rsa(2048));
    resign_with(c, "P-256 CA", KeyAlgorithm::P256);
}

criterion_group!(benches, parse, resigning);
criterion_main!(benches);
