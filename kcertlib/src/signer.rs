//! The one seam every signature goes through, so that a faster backend can replace the pure-Rust
//! one without touching re-sign, issue or CSR code.
//!
//! The pure-Rust backend is `PrivateKey` itself (RustCrypto `rsa`, `p256`, `p384`). RSA keys
//! sign with PKCS#1 v1.5 and SHA-256 (blinded, through rsa's default `getrandom` feature), P-256
//! with ECDSA SHA-256 and P-384 with ECDSA SHA-384: the pairings kubeadm, Go and OpenSSL use.

use const_oid::db::rfc5912;
use der::Encode;
use spki::AlgorithmIdentifierOwned;

use crate::error::{Error, ErrorKind, Result};
use crate::key::{KeyMaterial, PrivateKey};

/// Something that can sign a tbsCertificate (or a CSR's info) for one key.
pub trait Signer: Send + Sync {
    /// The DER AlgorithmIdentifier of the signatures this signer makes.
    fn algorithm_der(&self) -> Vec<u8>;

    /// The DER SubjectPublicKeyInfo of the verifying key.
    ///
    /// # Errors
    /// `Crypto` when the key cannot be encoded.
    fn public_key_der(&self) -> Result<Vec<u8>>;

    /// Signs `message`, returning the signature bytes as they go into the BIT STRING.
    ///
    /// # Errors
    /// `Crypto` when the backend fails.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>>;
}

impl Signer for PrivateKey {
    fn algorithm_der(&self) -> Vec<u8> {
        let algorithm = match &self.material {
            // RFC 4055 §5: the parameters of sha256WithRSAEncryption are NULL.
            KeyMaterial::Rsa(_) => AlgorithmIdentifierOwned {
                oid: rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
                parameters: Some(der::asn1::Null.into()),
            },
            // RFC 5758 §3.2: ECDSA algorithm identifiers have absent parameters.
            KeyMaterial::P256(_) => AlgorithmIdentifierOwned {
                oid: rfc5912::ECDSA_WITH_SHA_256,
                parameters: None,
            },
            KeyMaterial::P384(_) => AlgorithmIdentifierOwned {
                oid: rfc5912::ECDSA_WITH_SHA_384,
                parameters: None,
            },
        };
        // Encoding a fixed, valid AlgorithmIdentifier cannot fail.
        algorithm.to_der().unwrap_or_default()
    }

    fn public_key_der(&self) -> Result<Vec<u8>> {
        PrivateKey::public_key_der(self)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        use signature::{SignatureEncoding, Signer as _};
        let failed =
            |e: signature::Error| Error::new(ErrorKind::Crypto, format!("signing failed: {e}"));
        Ok(match &self.material {
            KeyMaterial::Rsa(k) => {
                let sig: rsa::pkcs1v15::Signature = k.try_sign(message).map_err(failed)?;
                sig.to_vec()
            }
            KeyMaterial::P256(k) => {
                let sig: p256::ecdsa::DerSignature = k.try_sign(message).map_err(failed)?;
                sig.to_vec()
            }
            KeyMaterial::P384(k) => {
                let sig: p384::ecdsa::DerSignature = k.try_sign(message).map_err(failed)?;
                sig.to_vec()
            }
        })
    }
}
