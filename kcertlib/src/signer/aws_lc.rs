//! The aws-lc-rs backend (the `aws-lc` feature, on by default): AWS-LC's constant-time RSA and
//! ECDSA, at OpenSSL's speed. RSA keys sign with PKCS#1 v1.5 SHA-256, P-256 with
//! `ECDSA_P256_SHA256_ASN1_SIGNING`, P-384 with `ECDSA_P384_SHA384_ASN1_SIGNING`, exactly the
//! algorithms the RustCrypto backend uses, so the AlgorithmIdentifier is shared.
//!
//! AWS-LC signs RSA keys of 2048 to 8192 bits only. Whether a key is one it takes is decided
//! from the key's algorithm and modulus size before AWS-LC sees it (`supports`); only a key it
//! does not take for its size signs with RustCrypto instead. A key of a supported size that
//! AWS-LC refuses anyway (an inconsistent private half, such as a wrong CRT coefficient) is an
//! `InvalidKey` error at every signature, never a reason to try another backend.
//!
//! The key pair is parsed once from the key's own DER (PKCS#1, PKCS#8 or SEC1) and cached in the
//! `PrivateKey`, or the reason AWS-LC refused it. Its secret then also lives in AWS-LC's memory, which keeps the key's
//! zeroize-on-drop guarantee: dropping the last clone frees the `EVP_PKEY`, and AWS-LC's
//! `OPENSSL_free` cleanses every allocation it frees (`OPENSSL_cleanse`), the RSA bignums and the
//! EC scalar included. The DER handed over is `Zeroizing`.

use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _,
    RSA_PKCS1_SHA256, RsaKeyPair,
};
use der::Decode;
use spki::SubjectPublicKeyInfoRef;

use super::{Signer, algorithm_der, signing_failed};
use crate::error::{Error, ErrorKind, Result};
use crate::key::{KeyAlgorithm, KeyFormat, KeyMaterial, PrivateKey};

/// The RSA modulus sizes AWS-LC signs with (aws-lc-rs refuses others as too small or too large).
const RSA_BITS: RangeInclusive<u32> = 2048..=8192;

/// Draws one random byte, which seeds AWS-LC's process-wide random number generator (see
/// `signer::warm_up`); a failure here would fail the first signature again, where it is reported.
pub(super) fn warm_up() {
    let _ = aws_lc_rs::rand::fill(&mut [0u8; 1]);
}

/// Signs with aws-lc-rs: `AwsLc::new(&key)?` is a [`Signer`]. Shares the key pair cached in the
/// `PrivateKey`, so making one is cheap after the first.
pub struct AwsLc<'a> {
    key: &'a PrivateKey,
    pair: &'a KeyPair,
}

impl<'a> AwsLc<'a> {
    /// The aws-lc signer of `key`.
    ///
    /// # Errors
    /// `UnsupportedAlgorithm` for an RSA modulus outside 2048..=8192 bits; `InvalidKey` when
    /// AWS-LC refuses a key of a supported size (an inconsistent private key); `Crypto` when
    /// AWS-LC derives a different public key than RustCrypto (not expected).
    pub fn new(key: &'a PrivateKey) -> Result<AwsLc<'a>> {
        if !supports(key) {
            return Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "aws-lc signs RSA keys of {} to {} bits only, not a {} key",
                    RSA_BITS.start(),
                    RSA_BITS.end(),
                    key.algorithm()
                ),
            ));
        }
        Ok(AwsLc {
            key,
            pair: cached(key)?,
        })
    }
}

impl Signer for AwsLc<'_> {
    fn algorithm_der(&self) -> Vec<u8> {
        algorithm_der(self.key)
    }

    fn public_key_der(&self) -> Result<Vec<u8>> {
        self.key.public_key_der()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.pair.sign(message)
    }
}

impl fmt::Debug for AwsLc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("AwsLc")
            .field("algorithm", &self.key.algorithm())
            .finish_non_exhaustive()
    }
}

/// An AWS-LC key pair, as cached in a `PrivateKey`.
pub(crate) enum KeyPair {
    /// RSA, signing PKCS#1 v1.5 SHA-256.
    Rsa(RsaKeyPair),
    /// ECDSA P-256 (SHA-256) or P-384 (SHA-384), DER signatures.
    Ecdsa(EcdsaKeyPair),
}

impl KeyPair {
    /// Parses `key`'s DER into AWS-LC and checks that its public half is `key`'s.
    fn from_key(key: &PrivateKey) -> Result<KeyPair> {
        let der = key.to_der()?;
        let pair = match (&key.material, key.format()) {
            (KeyMaterial::Rsa(_), KeyFormat::Pkcs1) => RsaKeyPair::from_der(&der).map(KeyPair::Rsa),
            (KeyMaterial::Rsa(_), _) => RsaKeyPair::from_pkcs8(&der).map(KeyPair::Rsa),
            // `from_private_key_der` reads SEC1 and PKCS#8 alike.
            (KeyMaterial::P256(_), _) => {
                EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_ASN1_SIGNING, &der)
                    .map(KeyPair::Ecdsa)
            }
            (KeyMaterial::P384(_), _) => {
                EcdsaKeyPair::from_private_key_der(&ECDSA_P384_SHA384_ASN1_SIGNING, &der)
                    .map(KeyPair::Ecdsa)
            }
        }
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidKey,
                format!(
                    "invalid {} private key: aws-lc refuses it ({e}); its private half is inconsistent, so it cannot sign",
                    key.algorithm()
                ),
            )
        })?;
        let spki = key.public_key_der()?;
        let ours = SubjectPublicKeyInfoRef::from_der(&spki)
            .ok()
            .map(|info| info.subject_public_key.raw_bytes().to_vec());
        if ours.as_deref() != Some(pair.public_key()) {
            return Err(Error::new(
                ErrorKind::Crypto,
                "aws-lc derived a different public key from the private key than RustCrypto",
            ));
        }
        Ok(pair)
    }

    /// The public key as it appears in the SPKI's BIT STRING (PKCS#1 RSAPublicKey or the
    /// uncompressed EC point).
    fn public_key(&self) -> &[u8] {
        match self {
            KeyPair::Rsa(p) => p.public_key().as_ref(),
            KeyPair::Ecdsa(p) => p.public_key().as_ref(),
        }
    }

    /// Signs `message` (hashing it with the key's digest).
    pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        // AWS-LC draws its own randomness; the ring-compatible parameter is ignored.
        let rng = SystemRandom::new();
        match self {
            KeyPair::Rsa(p) => {
                let mut sig = vec![0; p.public_modulus_len()];
                p.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(signing_failed)?;
                Ok(sig)
            }
            KeyPair::Ecdsa(p) => Ok(p
                .sign(&rng, message)
                .map_err(signing_failed)?
                .as_ref()
                .to_vec()),
        }
    }
}

/// Whether AWS-LC takes `key`, from its algorithm and size alone: every P-256 and P-384 key, and
/// RSA keys of 2048 to 8192 bits. Only keys it does not take sign with RustCrypto.
pub(super) fn supports(key: &PrivateKey) -> bool {
    match key.algorithm() {
        KeyAlgorithm::Rsa(bits) => RSA_BITS.contains(&bits),
        KeyAlgorithm::P256 | KeyAlgorithm::P384 | KeyAlgorithm::Other(_) => true,
    }
}

/// The key pair cached in `key`, built on first use, for a key `supports` accepts.
///
/// # Errors
/// As `KeyPair::from_key`, the first time and every time after (the reason is cached too).
pub(super) fn cached(key: &PrivateKey) -> Result<&KeyPair> {
    key.fast
        .pair
        .get_or_init(|| {
            KeyPair::from_key(key)
                .map(Arc::new)
                .map_err(|e| (e.kind(), e.message().to_string()))
        })
        .as_deref()
        .map_err(|(kind, message)| Error::new(*kind, message.clone()))
}
