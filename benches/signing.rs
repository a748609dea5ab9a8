//! Criterion benchmarks of the signing backends, each chosen explicitly: the raw signature over
//! a kubeadm-like apiserver leaf's tbsCertificate (what `openssl speed rsa2048 ecdsap256`
//! measures, plus hashing ~1 KB), the full `resign` of that leaf, and signature verification,
//! with an RSA-2048 and a P-256 CA.
//!
//! Run: `cargo bench -p kcertlib --bench signing` (briefly: append
//! `-- --warm-up-time 1 --measurement-time 3`), next to `openssl speed -seconds 3 rsa2048
//! ecdsap256` for the ratio. `--no-default-features` measures RustCrypto alone.

use std::hint::black_box;
use std::net::IpAddr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kcertlib::signer::Backend;
use kcertlib::verify_signature_with;
use kcertlib::*;

/// A CA of `algorithm` and an apiserver leaf it issued, shaped like kubeadm's: 12 DNS names,
/// 5 IPs, an RSA-2048 subject key (tbsCertificate of about 1 KB).
struct Setup {
    name: &'static str,
    ca_key: PrivateKey,
    ca: Certificate,
    leaf: Certificate,
}

fn setup(name: &'static str, algorithm: &KeyAlgorithm, leaf_key: &PrivateKey) -> Setup {
    let ca_key = PrivateKey::generate(algorithm).expect("CA key");
    let ca = self_signed_ca("CN=kubernetes", &ca_key, &ValidityPolicy::days(3650)).expect("CA");
    let mut request = IssueRequest::new("CN=kube-apiserver", Profile::Api);
    let mut dns: Vec<String> = [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "control-plane-1",
        "control-plane-1.example.internal",
        "api.example.internal",
        "localhost",
    ]
    .map(String::from)
    .to_vec();
    dns.extend((1..=4).map(|i| format!("cp-{i}.nodes.example.internal")));
    let ips: Vec<IpAddr> = [
        "10.96.0.1",
        "10.0.0.11",
        "10.0.0.12",
        "127.0.0.1",
        "fd00::11",
    ]
    .iter()
    .map(|s| s.parse().expect("ip"))
    .collect();
    request.alt_names = AltNames::new(dns, ips);
    let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
    let spki = leaf_key.public_key_der().expect("spki");
    let leaf = issue(&request, &spki, &issuer).expect("leaf");
    Setup {
        name,
        ca_key,
        ca,
        leaf,
    }
}

fn setups() -> Vec<Setup> {
    let leaf_key = PrivateKey::generate(&KeyAlgorithm::Rsa(2048)).expect("leaf key");
    vec![
        setup("RSA-2048 CA", &KeyAlgorithm::Rsa(2048), &leaf_key),
        setup("P-256 CA", &KeyAlgorithm::P256, &leaf_key),
    ]
}

fn signing(c: &mut Criterion) {
    let setups = setups();
    let options = ResignOptions::default();
    for s in &setups {
        let tbs = s.leaf.tbs_der();
        let mut g = c.benchmark_group(format!("sign/{}", s.name));
        g.throughput(Throughput::Elements(1));
        for backend in Backend::available() {
            let signer = s.ca_key.signer(backend).expect("signer");
            g.bench_function(
                format!("raw {backend} ({} B tbsCertificate)", tbs.len()),
                |b| b.iter(|| black_box(signer.sign(black_box(tbs)).expect("signs"))),
            );
            let issuer = Issuer::new(&s.ca, &*signer).expect("issuer");
            g.bench_function(format!("resign {backend}"), |b| {
                b.iter(|| black_box(resign(black_box(&s.leaf), &issuer, &options).expect("resign")))
            });
        }
        // What `resign` adds to the raw signature is mostly this: the signed DER is parsed back
        // into a `Certificate`.
        let der = s.leaf.as_der().to_vec();
        g.bench_function("parse back (Certificate::from_der)", |b| {
            b.iter(|| black_box(Certificate::from_der(black_box(&der)).expect("parses")))
        });
        g.finish();
    }
    for s in &setups {
        let mut g = c.benchmark_group(format!("verify/{}", s.name));
        g.throughput(Throughput::Elements(1));
        for backend in Backend::available() {
            g.bench_function(format!("{backend}"), |b| {
                b.iter(|| verify_signature_with(black_box(&s.leaf), &s.ca, backend).expect("ok"))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, signing);
criterion_main!(benches);
