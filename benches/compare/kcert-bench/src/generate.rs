//! Writes the workloads once into the work directory; every tool then reads the same files.
//!
//! ```text
//! ca-rsa.crt ca-rsa.key ca-p256.crt ca-p256.key   the two CAs (RSA-2048, ECDSA P-256)
//! bundle.pem                                      W1: every leaf, one PEM bundle
//! files/NNNNNN.pem                                W2: the first `files` leaves, one per file
//! resign.pem                                      W3/W4: the first `resign` leaves
//! w5/template/                                    W5: a kubespray node with `etcd_hosts` hosts
//! expected.json                                   the checksums every tool must reproduce
//! ```
//!
//! Leaves are kubeadm-like: CN and O, DNS and IP SANs, extendedKeyUsage, keyUsage,
//! basicConstraints, SKI and AKI (the `api` and `etcd` profiles). Leaf key, profile and CA
//! cycle so that all four combinations of RSA-2048/P-256 leaf key and RSA-2048/P-256 CA occur.
//! Leaf keys come from a pool of eight (RSA key generation would otherwise dominate).

use std::fs;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use kcertlib::fixture::{self, FixtureLayout, FixtureOptions};
use kcertlib::{
    AltNames, Certificate, IssueRequest, Issuer, KeyAlgorithm, PrivateKey, Profile, Result,
    Timestamp, ValidityPolicy, issue, self_signed_ca,
};
use serde_json::json;

use crate::checksum::Checksum;
use crate::io::{io_error, write_file};

/// Sizes of the generated workloads.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Leaves in the W1 bundle.
    pub count: usize,
    /// Files in W2 (a prefix of the bundle).
    pub files: usize,
    /// Leaves re-signed by W3/W4 (a prefix of the bundle).
    pub resign: usize,
    /// Files of W2 that the one-process-per-file openssl loop reads.
    pub sample: usize,
    /// etcd hosts of the W5 kubespray tree.
    pub etcd_hosts: usize,
    /// Threads used to sign the leaves.
    pub threads: usize,
}

/// What one generated leaf was asked to carry, for the expected checksums.
struct Planned {
    cert: Certificate,
    sans: usize,
    cn_len: usize,
}

/// Generates every workload under `work` (which must not hold a previous generation).
///
/// # Errors
/// `Io` when a file cannot be written; `Crypto` when key generation or signing fails.
pub fn generate(work: &Path, sizes: Sizes) -> Result<()> {
    fs::create_dir_all(work.join("files")).map_err(|e| io_error(work, e))?;
    let now = Timestamp::now();
    let ca_policy = ValidityPolicy::days(3650).at(now.minus(Duration::from_secs(86_400)));
    let rsa_key = PrivateKey::generate(&KeyAlgorithm::RSA_2048)?;
    let rsa_ca = self_signed_ca("CN=kubernetes,O=kcert-bench", &rsa_key, &ca_policy)?;
    let p256_key = PrivateKey::generate(&KeyAlgorithm::P256)?;
    let p256_ca = self_signed_ca("CN=etcd-ca,O=kcert-bench", &p256_key, &ca_policy)?;
    write_file(&work.join("ca-rsa.crt"), rsa_ca.to_pem().as_bytes())?;
    write_file(&work.join("ca-rsa.key"), rsa_key.to_pem()?.as_bytes())?;
    write_file(&work.join("ca-p256.crt"), p256_ca.to_pem().as_bytes())?;
    write_file(&work.join("ca-p256.key"), p256_key.to_pem()?.as_bytes())?;

    let mut pool = Vec::new();
    for _ in 0..4 {
        pool.push(PrivateKey::generate(&KeyAlgorithm::RSA_2048)?.public_key_der()?);
        pool.push(PrivateKey::generate(&KeyAlgorithm::P256)?.public_key_der()?);
    }
    let issuers = [
        Issuer::new(&rsa_ca, &rsa_key)?,
        Issuer::new(&p256_ca, &p256_key)?,
    ];
    let leaves = issue_all(sizes, now, &pool, &issuers)?;

    let mut bundle = String::with_capacity(leaves.len() * 1300);
    let mut resign = String::new();
    let mut sums = [Checksum::default(); 4];
    for (i, leaf) in leaves.iter().enumerate() {
        let pem = leaf.cert.to_pem();
        let not_after = leaf.cert.not_after().unix();
        sums[0].add(leaf.sans, not_after, leaf.cn_len);
        if i < sizes.files {
            write_file(
                &work.join("files").join(format!("{i:06}.pem")),
                pem.as_bytes(),
            )?;
            sums[1].add(leaf.sans, not_after, leaf.cn_len);
        }
        if i < sizes.sample.min(sizes.files) {
            sums[2].add(leaf.sans, not_after, leaf.cn_len);
        }
        if i < sizes.resign {
            resign.push_str(&pem);
            sums[3].add(leaf.sans, not_after, leaf.cn_len);
        }
        bundle.push_str(&pem);
    }
    write_file(&work.join("bundle.pem"), bundle.as_bytes())?;
    write_file(&work.join("resign.pem"), resign.as_bytes())?;

    let tree = work.join("w5").join("template");
    let options = FixtureOptions::default()
        .with_etcd_hosts(sizes.etcd_hosts)
        .with_reuse_leaf_keys(true)
        .with_expired(true);
    let summary = fixture::build(&tree, FixtureLayout::Kubespray, &options)?;

    let expected = json!({
        "generated": now.to_rfc3339(),
        "W1": sums[0].to_json(),
        "W2": sums[1].to_json(),
        "W2-sample": sums[2].to_json(),
        "W3": sums[3].to_json_timeless(),
        "W4": sums[3].to_json_timeless(),
        "W5-certificates": summary.entries.len(),
        "bundle_bytes": bundle.len(),
    });
    write_file(&work.join("expected.json"), expected.to_string().as_bytes())?;
    Ok(())
}

/// Issues every leaf, on `sizes.threads` threads, in order.
fn issue_all(
    sizes: Sizes,
    now: Timestamp,
    pool: &[Vec<u8>],
    issuers: &[Issuer<'_>; 2],
) -> Result<Vec<Planned>> {
    let threads = sizes.threads.max(1);
    let chunk = sizes.count.div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<Planned>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk).min(sizes.count)..((t + 1) * chunk).min(sizes.count);
                s.spawn(move || range.map(|i| leaf(i, now, pool, issuers)).collect())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(kcertlib::Error::new(
                        kcertlib::ErrorKind::Crypto,
                        "a signing thread panicked",
                    ))
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(sizes.count);
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// Leaf number `i`: key, CA and profile cycle with `i`; SANs and lifetime vary with it.
fn leaf(i: usize, now: Timestamp, pool: &[Vec<u8>], issuers: &[Issuer<'_>; 2]) -> Result<Planned> {
    let key = &pool[i % pool.len()];
    let issuer = &issuers[(i / 2) % 2];
    let (subject, cn_len, profile) = if (i / 4).is_multiple_of(2) {
        let cn = format!("kube-apiserver-node{i}");
        (format!("CN={cn},O=system:masters"), cn.len(), Profile::Api)
    } else {
        let cn = format!("etcd-member-node{i}");
        (format!("CN={cn},O=system:etcd"), cn.len(), Profile::Etcd)
    };
    let mut dns = vec![format!("node{i}"), format!("node{i}.cluster.local")];
    if i.is_multiple_of(3) {
        dns.push("kubernetes.default.svc".to_string());
    }
    if i.is_multiple_of(5) {
        dns.push("localhost".to_string());
    }
    let mut ips = vec![IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8])];
    if i.is_multiple_of(4) {
        ips.push(IpAddr::from([127, 0, 0, 1]));
    }
    let sans = dns.len() + ips.len();
    let mut request = IssueRequest::new(subject, profile);
    request.alt_names = AltNames::new(dns, ips);
    request.validity = ValidityPolicy::days(365 + (i % 997) as u64).at(now);
    let cert = issue(&request, key, issuer)?;
    Ok(Planned { cert, sans, cn_len })
}
