//! The one seam every signature goes through, so that a faster backend can replace the pure-Rust
//! one without touching re-sign, issue or CSR code.
//!
//! Two backends implement it:
//! - [`RustCrypto`] (`rsa`, `p256`, `p384`): always compiled in, pure Rust. RSA signs blinded
//!   (rsa's default `getrandom` feature) but the crate carries RUSTSEC-2023-0071 (see
//!   `SECURITY.md`).
//! - `AwsLc` (aws-lc-rs, the `aws-lc` feature, on by default): constant-time AWS-LC, at OpenSSL's
//!   speed (about 7× `rsa` at RSA-2048 signing, 4× `p256`).
//!
//! Both sign RSA keys with PKCS#1 v1.5 and SHA-256, P-256 with ECDSA SHA-256 and P-384 with
//! ECDSA SHA-384 (DER signatures): the pairings kubeadm, Go and OpenSSL use. `impl Signer for
//! PrivateKey` picks the fastest backend compiled in, so every caller of
//! `Issuer::new(cert, &key)` gets it; [`PrivateKey::signer`] chooses one explicitly (tests,
//! benchmarks).

mod rust_crypto;

#[cfg(feature = "aws-lc")]
mod aws_lc;

use std::fmt;

use const_oid::db::rfc5912;
use der::Encode;
use spki::AlgorithmIdentifierOwned;

use crate::error::{Error, ErrorKind, Result};
use crate::key::{KeyMaterial, PrivateKey};

#[cfg(feature = "aws-lc")]
pub use aws_lc::AwsLc;
pub use rust_crypto::RustCrypto;

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

/// A signing (and verification) implementation. Non-exhaustive: another backend may come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// RustCrypto `rsa`, `p256` and `p384`: pure Rust, always available.
    RustCrypto,
    /// aws-lc-rs (AWS-LC): constant-time C and assembly, OpenSSL's speed; only with the `aws-lc`
    /// feature.
    AwsLc,
}

impl Backend {
    /// The fastest backend compiled in: `AwsLc` with the `aws-lc` feature, else `RustCrypto`.
    pub const fn fastest() -> Backend {
        if cfg!(feature = "aws-lc") {
            Backend::AwsLc
        } else {
            Backend::RustCrypto
        }
    }

    /// Every backend compiled into this build, the fastest first.
    pub fn available() -> Vec<Backend> {
        [Backend::AwsLc, Backend::RustCrypto]
            .into_iter()
            .filter(|b| b.is_available())
            .collect()
    }

    /// Whether this build contains the backend.
    pub const fn is_available(self) -> bool {
        match self {
            Backend::RustCrypto => true,
            Backend::AwsLc => cfg!(feature = "aws-lc"),
        }
    }

    /// A short name: `rustcrypto` or `aws-lc`.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::RustCrypto => "rustcrypto",
            Backend::AwsLc => "aws-lc",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PrivateKey {
    /// A signer for this key on an explicitly chosen backend (for tests and benchmarks; plain
    /// `&key` as a `Signer` already uses the fastest one).
    ///
    /// # Errors
    /// `InvalidArgument` when `backend` is not compiled in; `UnsupportedAlgorithm` when the
    /// backend does not take the key's size (aws-lc signs RSA keys of 2048 to 8192 bits only);
    /// `InvalidKey` when aws-lc refuses a key of a size it takes (an inconsistent key).
    pub fn signer(&self, backend: Backend) -> Result<Box<dyn Signer + '_>> {
        match backend {
            Backend::RustCrypto => Ok(Box::new(RustCrypto(self))),
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => Ok(Box::new(AwsLc::new(self)?)),
            #[cfg(not(feature = "aws-lc"))]
            Backend::AwsLc => Err(Error::new(
                ErrorKind::InvalidArgument,
                "the aws-lc signing backend is not compiled in (build kcertlib with the `aws-lc` feature)",
            )),
        }
    }

    /// The backend `impl Signer for PrivateKey` signs this key with: the fastest compiled in
    /// that takes keys of its algorithm and size. Decided from those alone: a key of a size
    /// aws-lc takes reports `AwsLc` even if it later fails to sign as inconsistent.
    pub fn signing_backend(&self) -> Backend {
        #[cfg(feature = "aws-lc")]
        if aws_lc::supports(self) {
            return Backend::AwsLc;
        }
        Backend::RustCrypto
    }
}

/// Signs with the fastest backend compiled in. With the `aws-lc` feature the aws-lc key pair is
/// built once, on first use, and cached in the key (clones share it). A key aws-lc does not
/// take for its size (an RSA modulus under 2048 or over 8192 bits, decided before aws-lc sees
/// it) signs with RustCrypto instead: such keys signed before the fast backend existed and must
/// keep signing. Any other refusal by aws-lc is the signature's error; nothing falls back.
impl Signer for PrivateKey {
    fn algorithm_der(&self) -> Vec<u8> {
        algorithm_der(self)
    }

    fn public_key_der(&self) -> Result<Vec<u8>> {
        PrivateKey::public_key_der(self)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        #[cfg(feature = "aws-lc")]
        if aws_lc::supports(self) {
            return aws_lc::cached(self)?.sign(message);
        }
        rust_crypto::sign(self, message)
    }
}

/// Gets the signing backend ready for its first signature. AWS-LC seeds its random number
/// generator (used for RSA blinding and ECDSA nonces) on the first random bytes a process asks
/// for, and with its CPU-jitter entropy source that seeding costs tens of milliseconds of CPU,
/// more than the signatures of a whole kubeadm node (SECURITY.md, "Entropy"). A caller with a
/// core to spare runs this on another thread while it reads files. Nothing without `aws-lc`.
pub(crate) fn warm_up() {
    #[cfg(feature = "aws-lc")]
    aws_lc::warm_up();
}

/// The per-key cache of the fast backend's key pair (or of the kind and message of the error
/// it refused the key with), held in `PrivateKey`; empty without the `aws-lc` feature. Cloning
/// a key shares the cache.
#[derive(Clone, Default)]
pub(crate) struct FastKey {
    #[cfg(feature = "aws-lc")]
    pair: std::sync::OnceLock<CachedPair>,
}

/// A built key pair, or why AWS-LC refused the key.
#[cfg(feature = "aws-lc")]
type CachedPair = std::result::Result<std::sync::Arc<aws_lc::KeyPair>, (ErrorKind, String)>;

/// The AlgorithmIdentifier DER of `key`'s signatures; the same for every backend.
fn algorithm_der(key: &PrivateKey) -> Vec<u8> {
    let algorithm = match &key.material {
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

fn signing_failed(e: impl fmt::Display) -> Error {
    Error::new(ErrorKind::Crypto, format!("signing failed: {e}"))
}
