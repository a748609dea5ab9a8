//! The pure-Rust backend: RustCrypto `rsa` (PKCS#1 v1.5, blinded through its default `getrandom`
//! feature), `p256` and `p384` (RFC 6979 deterministic ECDSA). Always compiled in; the only
//! backend of `--no-default-features` builds.

use signature::{SignatureEncoding, Signer as _};

use super::{Signer, algorithm_der, signing_failed};
use crate::error::Result;
use crate::key::{KeyMaterial, PrivateKey};

/// Signs with RustCrypto whatever else is compiled in: `RustCrypto(&key)` is a [`Signer`].
#[derive(Clone, Copy, Debug)]
pub struct RustCrypto<'a>(pub &'a PrivateKey);

impl Signer for RustCrypto<'_> {
    fn algorithm_der(&self) -> Vec<u8> {
        algorithm_der(self.0)
    }

    fn public_key_der(&self) -> Result<Vec<u8>> {
        self.0.public_key_der()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        sign(self.0, message)
    }
}

/// Signs `message` with `key` through RustCrypto, returning the DER (ECDSA) or raw (RSA)
/// signature.
pub(super) fn sign(key: &PrivateKey, message: &[u8]) -> Result<Vec<u8>> {
    Ok(match &key.material {
        KeyMaterial::Rsa(k) => {
            let sig: rsa::pkcs1v15::Signature =
                k.rust_crypto()?.try_sign(message).map_err(signing_failed)?;
            sig.to_vec()
        }
        KeyMaterial::P256(k) => {
            let sig: p256::ecdsa::DerSignature = k.try_sign(message).map_err(signing_failed)?;
            sig.to_vec()
        }
        KeyMaterial::P384(k) => {
            let sig: p384::ecdsa::DerSignature = k.try_sign(message).map_err(signing_failed)?;
            sig.to_vec()
        }
    })
}
