//! The signing backends, each chosen explicitly, on the openssl-made CAs of
//! `testing/openssl-fixtures.sh` (RSA-2048, RSA-4096, P-256, P-384): what each re-signs is
//! accepted by `openssl verify` and by our verification on every backend, ECDSA signatures of
//! one implementation verify under the other, RSA PKCS#1 v1.5 signatures are identical, and a
//! key that is not the CA's is refused. Which backend signs a key, and when a key signs with
//! none: an RSA-1024 key (a size AWS-LC does not take) signs through RustCrypto, while a 2048-bit
//! key with a wrong CRT coefficient (a size AWS-LC takes, but an inconsistent key) fails with
//! `InvalidKey` on every path and never falls back to RustCrypto (whose `rsa` crate would ignore
//! the coefficient and sign). Runs with and without the `aws-lc` feature.

mod openssl_support;

use std::process::Command;

use der::{Decode, Encode};
use kcertlib::signer::{Backend, Signer};
use kcertlib::verify_signature_with;
use kcertlib::*;
use openssl_support::*;
use pkcs1::{RsaPrivateKey, RsaPrivateKeyRef};

const CAS: [&str; 4] = ["ca-rsa2048", "ca-rsa4096", "ca-p256", "ca-p384"];

/// A tbsCertificate-sized message (signing hashes it; the content does not matter).
const MESSAGE: &[u8] = &[0x5a; 977];

fn ca(name: &str) -> (Certificate, PrivateKey) {
    (cert(&format!("{name}.crt")), key(&format!("{name}.key")))
}

fn signature_bytes(c: &Certificate) -> Vec<u8> {
    c.x509().expect("decodes").signature().raw_bytes().to_vec()
}

/// Every backend this build has, checked against what `Backend` reports.
fn backends() -> Vec<Backend> {
    let all = Backend::available();
    assert_eq!(all.first(), Some(&Backend::fastest()));
    assert!(all.contains(&Backend::RustCrypto));
    assert_eq!(
        all.contains(&Backend::AwsLc),
        cfg!(feature = "aws-lc"),
        "aws-lc is available exactly when the feature is on"
    );
    all
}

#[test]
fn each_backend_resigns_a_leaf_with_every_ca_and_every_verifier_accepts_it() {
    let out = tempfile::tempdir().expect("tmp");
    let leaf = cert("client.crt");
    let mut n = 0;
    for name in CAS {
        let (ca_cert, ca_key) = ca(name);
        for backend in backends() {
            let signer = ca_key.signer(backend).expect("backend takes the key");
            let issuer = Issuer::new(&ca_cert, &*signer).expect("issuer");
            let new = resign(&leaf, &issuer, &ResignOptions::default())
                .unwrap_or_else(|e| panic!("{name}/{backend}: {e}"))
                .certificate;
            let expected = match ca_key.algorithm() {
                KeyAlgorithm::Rsa(_) => SignatureAlgorithm::RsaSha256,
                KeyAlgorithm::P256 => SignatureAlgorithm::EcdsaSha256,
                KeyAlgorithm::P384 => SignatureAlgorithm::EcdsaSha384,
                other => panic!("unexpected CA key {other}"),
            };
            assert_eq!(new.signature_algorithm(), expected, "{name}/{backend}");
            assert_eq!(new.subject_der().ok(), leaf.subject_der().ok());

            let p = write(out.path(), &format!("{name}-{backend}.pem"), &new.to_pem());
            openssl_verify(&path(&format!("{name}.crt")), &p)
                .unwrap_or_else(|e| panic!("{name}/{backend}: openssl verify: {e}"));
            for verifier in backends() {
                verify_signature_with(&new, &ca_cert, verifier).unwrap_or_else(|e| {
                    panic!("{name}: signed by {backend}, refused by {verifier}: {e}")
                });
            }
            verify_signature(&new, &ca_cert).expect("default verification");
            n += 1;
        }
    }
    assert_eq!(n, CAS.len() * backends().len());
}

#[test]
fn ecdsa_signatures_verify_under_the_other_implementation() {
    for name in ["ca-p256", "ca-p384"] {
        let (_, ca_key) = ca(name);
        let spki = ca_key.public_key_der().expect("spki");
        for backend in backends() {
            let sig = ca_key
                .signer(backend)
                .expect("signer")
                .sign(MESSAGE)
                .expect("signs");
            assert!(
                rust_crypto_verifies(name, &spki, &sig),
                "{name}: RustCrypto refuses the {backend} signature"
            );
            #[cfg(feature = "aws-lc")]
            assert!(
                aws_lc_verifies(name, &spki, &sig),
                "{name}: aws-lc refuses the {backend} signature"
            );
            let mut tampered = MESSAGE.to_vec();
            tampered[0] ^= 1;
            assert!(
                !rust_crypto_verifies_message(name, &spki, &sig, &tampered),
                "{name}: a signature over another message must not verify"
            );
        }
    }
}

fn rust_crypto_verifies(name: &str, spki: &[u8], sig: &[u8]) -> bool {
    rust_crypto_verifies_message(name, spki, sig, MESSAGE)
}

fn rust_crypto_verifies_message(name: &str, spki: &[u8], sig: &[u8], message: &[u8]) -> bool {
    use p256::pkcs8::DecodePublicKey;
    use signature::Verifier;
    if name == "ca-p256" {
        let key = p256::ecdsa::VerifyingKey::from_public_key_der(spki).expect("p256 key");
        let sig = p256::ecdsa::DerSignature::try_from(sig).expect("DER signature");
        key.verify(message, &sig).is_ok()
    } else {
        let key = p384::ecdsa::VerifyingKey::from_public_key_der(spki).expect("p384 key");
        let sig = p384::ecdsa::DerSignature::try_from(sig).expect("DER signature");
        key.verify(message, &sig).is_ok()
    }
}

#[cfg(feature = "aws-lc")]
fn aws_lc_verifies(name: &str, spki: &[u8], sig: &[u8]) -> bool {
    use aws_lc_rs::signature as lc;
    let info = spki::SubjectPublicKeyInfoRef::from_der(spki).expect("spki");
    let point = info.subject_public_key.raw_bytes();
    let algorithm: &'static dyn lc::VerificationAlgorithm = if name == "ca-p256" {
        &lc::ECDSA_P256_SHA256_ASN1
    } else {
        &lc::ECDSA_P384_SHA384_ASN1
    };
    lc::UnparsedPublicKey::new(algorithm, point)
        .verify(MESSAGE, sig)
        .is_ok()
}

#[test]
fn rsa_pkcs1_signatures_are_byte_identical_across_backends() {
    // PKCS#1 v1.5 is deterministic: two correct implementations give the same bytes.
    for name in ["ca-rsa2048", "ca-rsa4096"] {
        let (ca_cert, ca_key) = ca(name);
        let sigs: Vec<Vec<u8>> = backends()
            .into_iter()
            .map(|b| {
                ca_key
                    .signer(b)
                    .expect("signer")
                    .sign(MESSAGE)
                    .expect("signs")
            })
            .collect();
        assert!(sigs.windows(2).all(|w| w[0] == w[1]), "{name}");
        // The same holds for a whole certificate when the TBS is the same: re-sign once,
        // then sign its tbsCertificate with each backend.
        let issuer = Issuer::new(&ca_cert, &ca_key).expect("issuer");
        let new = resign(&cert("client.crt"), &issuer, &ResignOptions::default())
            .expect("resign")
            .certificate;
        for b in backends() {
            let again = ca_key
                .signer(b)
                .expect("signer")
                .sign(new.tbs_der())
                .expect("signs");
            assert_eq!(again, signature_bytes(&new), "{name}/{b}");
        }
    }
}

#[test]
fn a_key_that_is_not_the_cas_is_refused_on_every_backend() {
    let (rsa_cert, _) = ca("ca-rsa2048");
    let (p256_cert, _) = ca("ca-p256");
    let pairs = [
        (&rsa_cert, key("ca-rsa4096.key")),
        (&rsa_cert, key("bad/wrong_key_for_client.key")),
        (&p256_cert, key("ca-p384.key")),
        (&p256_cert, key("ca-rsa2048.key")),
    ];
    for (ca_cert, wrong) in &pairs {
        for backend in backends() {
            let signer = wrong.signer(backend).expect("signer");
            let err = Issuer::new(ca_cert, &*signer)
                .err()
                .unwrap_or_else(|| panic!("{backend}: a foreign key was accepted"));
            assert_eq!(err.kind(), ErrorKind::KeyMismatch, "{backend}: {err}");
        }
    }
}

#[test]
fn signatures_of_a_foreign_key_do_not_verify_on_any_backend() {
    let (ca_cert, ca_key) = ca("ca-rsa2048");
    let (other_cert, _) = ca("ca-rsa4096");
    let (p256_cert, _) = ca("ca-p256");
    let issuer = Issuer::new(&ca_cert, &ca_key).expect("issuer");
    let new = resign(&cert("client.crt"), &issuer, &ResignOptions::default())
        .expect("resign")
        .certificate;
    for backend in backends() {
        for wrong in [&other_cert, &p256_cert] {
            let err = verify_signature_with(&new, wrong, backend).expect_err("must not verify");
            assert_eq!(
                err.kind(),
                ErrorKind::VerificationFailed,
                "{backend}: {err}"
            );
        }
    }
}

#[test]
fn every_backend_judges_every_fixture_pair_alike() {
    let mut certs: Vec<(String, Certificate)> = Vec::new();
    for role in ["leaf", "ca"] {
        for (name, _) in files(role) {
            certs.push((name.clone(), cert(&name)));
        }
    }
    let cas: Vec<&(String, Certificate)> = certs.iter().filter(|(_, c)| c.is_ca()).collect();
    let mut verified = 0;
    for (name, c) in &certs {
        for (ca_name, ca_cert) in &cas {
            let results: Vec<std::result::Result<(), ErrorKind>> = backends()
                .into_iter()
                .map(|b| verify_signature_with(c, ca_cert, b).map_err(|e| e.kind()))
                .collect();
            assert!(
                results.windows(2).all(|w| w[0] == w[1]),
                "{name} under {ca_name}: backends disagree: {results:?}"
            );
            verified += usize::from(results[0].is_ok());
        }
    }
    // Every leaf and CA of the manifest is signed by one of the CAs.
    assert!(
        verified >= certs.len(),
        "{verified} of {} verified",
        certs.len()
    );
}

#[test]
fn private_key_signs_with_the_fastest_backend_that_takes_it() {
    for name in CAS {
        let (_, k) = ca(name);
        assert_eq!(k.signing_backend(), Backend::fastest(), "{name}");
        // A clone shares the cached key pair and signs alike.
        let clone = k.clone();
        assert_eq!(clone.signing_backend(), Backend::fastest());
        if matches!(k.algorithm(), KeyAlgorithm::Rsa(_)) {
            assert_eq!(
                Signer::sign(&k, MESSAGE).expect("signs"),
                Signer::sign(&clone, MESSAGE).expect("signs")
            );
        }
    }
}

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

#[test]
fn a_key_aws_lc_refuses_still_signs_through_rust_crypto() {
    // RSA-1024: RustCrypto accepts it, AWS-LC signs 2048..=8192 bits only.
    let dir = tempfile::tempdir().expect("tmp");
    let (ca_cert, ca_key) = rsa1024_ca(dir.path());
    assert_eq!(ca_key.algorithm(), KeyAlgorithm::Rsa(1024));
    assert_eq!(ca_key.signing_backend(), Backend::RustCrypto);
    #[cfg(feature = "aws-lc")]
    {
        let err = ca_key.signer(Backend::AwsLc).err().expect("aws-lc refuses");
        assert_eq!(err.kind(), ErrorKind::UnsupportedAlgorithm, "{err}");
        assert!(err.to_string().contains("2048 to 8192 bits"), "{err}");
    }
    // The default signer and RustCrypto's give the same (deterministic PKCS#1 v1.5) signature.
    let by_default = Signer::sign(&ca_key, MESSAGE).expect("signs");
    let by_rust_crypto = ca_key
        .signer(Backend::RustCrypto)
        .expect("signer")
        .sign(MESSAGE)
        .expect("signs");
    assert_eq!(by_default, by_rust_crypto);

    let issuer = Issuer::new(&ca_cert, &ca_key).expect("issuer");
    let new = resign(&cert("client.crt"), &issuer, &ResignOptions::default())
        .expect("re-signs through the fallback")
        .certificate;
    for backend in backends() {
        verify_signature_with(&new, &ca_cert, backend).expect("verifies");
    }
    let p = write(dir.path(), "leaf.pem", &new.to_pem());
    openssl_verify(&dir.path().join("ca1024.crt"), &p).expect("openssl verify");
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
fn an_inconsistent_rsa_2048_key_fails_typed_and_never_falls_back() {
    let ca = cert("ca-rsa2048.crt");
    let bad = ca_key_with_a_wrong_coefficient();
    assert!(bad.matches(&ca), "the public half is the CA's");
    assert_eq!(bad.signing_backend(), Backend::fastest());

    // The default signer, twice (the refusal is cached, not turned into a fallback).
    for attempt in 1..=2 {
        let err = Signer::sign(&bad, MESSAGE).expect_err("must not sign");
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidKey,
            "attempt {attempt}: {err}"
        );
    }
    // Every backend refuses it: aws-lc when loading it, RustCrypto at its CRT check.
    for backend in backends() {
        let err = match bad.signer(backend) {
            Ok(signer) => signer.sign(MESSAGE).expect_err("must not sign"),
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
    assert!(Signer::sign(&good, MESSAGE).is_ok());
}

#[test]
fn explicit_backends_that_are_not_compiled_in_are_refused() {
    let (ca_cert, ca_key) = ca("ca-p256");
    for backend in [Backend::RustCrypto, Backend::AwsLc] {
        let signer = ca_key.signer(backend);
        let verified = verify_signature_with(&ca_cert, &ca_cert, backend);
        if backend.is_available() {
            assert!(signer.is_ok() && verified.is_ok(), "{backend}");
        } else {
            let kind = signer.err().map(|e| e.kind());
            assert_eq!(kind, Some(ErrorKind::InvalidArgument), "{backend}");
            assert_eq!(
                verified.err().map(|e| e.kind()),
                Some(ErrorKind::InvalidArgument)
            );
        }
    }
}

#[test]
fn one_key_signs_from_many_threads_at_once() {
    // The first signatures race to build the cached key pair; every one must verify.
    let (ca_cert, _) = ca("ca-p256");
    let ca_key = key("ca-p256.key");
    let spki = ca_key.public_key_der().expect("spki");
    let sigs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| Signer::sign(&ca_key, MESSAGE).expect("signs")))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    for sig in &sigs {
        assert!(rust_crypto_verifies("ca-p256", &spki, sig));
    }
    assert!(ca_key.matches(&ca_cert));
}

#[test]
fn private_key_stays_clone_send_and_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<PrivateKey>();
    assert_traits::<Backend>();
}
