//! Which backend signs a key, and when a key signs with none: an RSA-1024 key (a size AWS-LC
//! does not take) signs through RustCrypto, while a 2048-bit key with a wrong CRT coefficient
//! (a size AWS-LC takes, but an inconsistent key) fails with `InvalidKey` on every path and
//! never falls back to RustCrypto (whose `rsa` crate would ignore the coefficient and sign).
//! Runs with and without the `aws-lc` feature.

mod openssl_support;

use std::process::Command;

use der::{Decode, Encode};
use kcertlib::signer::{Backend, Signer};
use kcertlib::*;
use openssl_support::*;
use pkcs1::{RsaPrivateKey, RsaPrivateKeyRef};

/// A self-signed RSA-1024 CA made by openssl: (certificate, key).
fn rsa1024_ca(dir: &std::path::Path) -> (Certificate, PrivateKey) {
    let key_path = dir.join("ca1024.key");
    let cert_path = dir.join("ca1024.crt");
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-days", "30",
        ])
        .args(["-subj", "/CN=kcert-test-ca-rsa1024", "-sha256"])
        .args(["-addext", "basicConstraints=critical,CA:true"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .arg("-keyout")
        .arg(&key_path)
        .arg("-out")
        .arg(&cert_path)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let key = PrivateKey::load_file(&key_path).expect("RSA-1024 key loads");
    let cert = Certificate::load_file(&cert_path).expect("cert")[0].clone();
    (cert, key)
}

/// openssl's `ca-rsa2048.key` with the low bit of its CRT coefficient flipped, written back in
/// PKCS#1: the structure and public half are intact, the private half is inconsistent.
fn ca_key_with_a_wrong_coefficient() -> PrivateKey {
    let der = key("ca-rsa2048.key").to_der().expect("der");
    let good = RsaPrivateKeyRef::from_der(&der).expect("PKCS#1");
    let mut coefficient = good.coefficient.as_bytes().to_vec();
    if let Some(last) = coefficient.last_mut() {
        *last ^= 1;
    }
    let bad = RsaPrivateKey {
        coefficient: pkcs1::UintRef::new(&coefficient).expect("uint"),
        ..good
    }
    .to_der()
    .expect("encodes");
    PrivateKey::from_der(&bad).expect("structure and public half load")
}

#[test]
fn an_rsa_1024_key_signs_through_rust_crypto() {
    let dir = tempfile::tempdir().expect("tmp");
    let (ca, ca_key) = rsa1024_ca(dir.path());
    assert_eq!(ca_key.algorithm(), KeyAlgorithm::Rsa(1024));
    assert_eq!(ca_key.signing_backend(), Backend::RustCrypto);
    if Backend::AwsLc.is_available() {
        let err = ca_key.signer(Backend::AwsLc).err().expect("aws-lc refuses");
        assert_eq!(err.kind(), ErrorKind::UnsupportedAlgorithm, "{err}");
        assert!(err.to_string().contains("2048 to 8192 bits"), "{err}");
    }
    // The default signer and RustCrypto's give the same (deterministic PKCS#1 v1.5) signature.
    let by_default = Signer::sign(&ca_key, b"tbs").expect("signs");
    let by_rust_crypto = ca_key
        .signer(Backend::RustCrypto)
        .expect("signer")
        .sign(b"tbs")
        .expect("signs");
    assert_eq!(by_default, by_rust_crypto);

    let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
    let new = resign(&cert("client.crt"), &issuer, &ResignOptions::default())
        .expect("re-signs")
        .certificate;
    let leaf = write(dir.path(), "leaf.pem", &new.to_pem());
    openssl_verify(&dir.path().join("ca1024.crt"), &leaf).expect("openssl verify");
}

#[test]
fn an_inconsistent_rsa_2048_key_fails_typed_and_never_falls_back() {
    let ca = cert("ca-rsa2048.crt");
    let bad = ca_key_with_a_wrong_coefficient();
    assert!(bad.matches(&ca), "the public half is the CA's");
    assert_eq!(bad.signing_backend(), Backend::fastest());

    // The default signer, twice (the refusal is cached, not turned into a fallback).
    for attempt in 1..=2 {
        let err = Signer::sign(&bad, b"tbs").expect_err("must not sign");
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidKey,
            "attempt {attempt}: {err}"
        );
    }
    // Every backend refuses it: aws-lc when loading it, RustCrypto at its CRT check.
    for backend in Backend::available() {
        let err = match bad.signer(backend) {
            Ok(signer) => signer.sign(b"tbs").expect_err("must not sign"),
            Err(e) => e,
        };
        assert_eq!(err.kind(), ErrorKind::InvalidKey, "{backend}: {err}");
    }
    // Through the API a renewal uses: no certificate comes out.
    let issuer = Issuer::new(&ca, &bad).expect("the pair matches");
    let err = resign(&cert("client.crt"), &issuer, &ResignOptions::default())
        .expect_err("no certificate is signed");
    assert_eq!(err.kind(), ErrorKind::InvalidKey, "{err}");

    // The intact key signs, on the default backend.
    let good = key("ca-rsa2048.key");
    assert!(Signer::sign(&good, b"tbs").is_ok());
}
