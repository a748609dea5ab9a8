//! An RSA private key kept as its PKCS#1 DER, with RustCrypto's key built only when RustCrypto
//! has to sign with it.
//!
//! Loading a key with the `rsa` crate validates it and precomputes its CRT values with
//! big-number arithmetic: about a third of a millisecond per RSA-2048 key, which made key
//! loading a fifth of a whole renewal of a 3,000-certificate node. Most keys kcertlib loads are
//! never used to sign with RustCrypto: leaf keys are only matched against their certificates
//! (the public half is in the DER), and CA keys sign through aws-lc in the default build. So
//! loading decodes the structure and the public half only, and the `rsa` key (with its
//! validation) is built on first RustCrypto use; AWS-LC validates the key when it loads it.

use std::sync::OnceLock;

use const_oid::db::rfc5912;
use der::asn1::BitString;
use der::{Decode, Encode};
use pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, RsaPrivateKeyRef};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::tlv;

type SigningKey = rsa::pkcs1v15::SigningKey<sha2::Sha256>;

/// An RSA private key: PKCS#1 DER, its public half, and the RustCrypto key once needed.
#[derive(Clone)]
pub(crate) struct RsaKey {
    pkcs1: Zeroizing<Vec<u8>>,
    spki: Vec<u8>,
    bits: u32,
    /// RustCrypto's key (or why the `rsa` crate refused it), built on first use.
    rust_crypto: OnceLock<std::result::Result<Box<SigningKey>, String>>,
}

impl RsaKey {
    /// Decodes a two-prime PKCS#1 `RSAPrivateKey` and its public half; no arithmetic.
    pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<RsaKey> {
        let parsed = RsaPrivateKeyRef::from_der(der)
            .map_err(|e| invalid(&format!("invalid PKCS#1 RSA private key: {e}")))?;
        if parsed.other_prime_infos.is_some() {
            return Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                "unsupported private key: a multi-prime RSA key",
            ));
        }
        let modulus = parsed.modulus.as_bytes();
        let exponent = parsed.public_exponent.as_bytes();
        if modulus.is_empty() || exponent.last().is_none_or(|low| low & 1 == 0) {
            return Err(invalid(
                "invalid PKCS#1 RSA private key: empty modulus or even public exponent",
            ));
        }
        let bits = u32::try_from(modulus.len() * 8 - modulus[0].leading_zeros() as usize)
            .map_err(|_| invalid("invalid PKCS#1 RSA private key: modulus too large"))?;
        Ok(RsaKey {
            spki: spki_der(&parsed.public_key())?,
            pkcs1: Zeroizing::new(der.to_vec()),
            bits,
            rust_crypto: OnceLock::new(),
        })
    }

    /// A key the `rsa` crate made (generation): encoded once, the RustCrypto key kept.
    pub(crate) fn from_rust_crypto(key: rsa::PrivateKey) -> Result<RsaKey> {
        let der = key.to_pkcs1_der().map_err(|e| {
            Error::new(
                ErrorKind::Crypto,
                format!("encoding the new RSA key failed: {e}"),
            )
        })?;
        let ours = RsaKey::from_pkcs1_der(der.as_bytes())?;
        let _ = ours.rust_crypto.set(Ok(Box::new(SigningKey::new(key))));
        Ok(ours)
    }

    /// The modulus size in bits.
    pub(crate) fn bits(&self) -> u32 {
        self.bits
    }

    /// The PKCS#1 `RSAPrivateKey` DER.
    pub(crate) fn pkcs1_der(&self) -> &[u8] {
        &self.pkcs1
    }

    /// The PKCS#8 `PrivateKeyInfo` DER (version 1, rsaEncryption with NULL parameters).
    pub(crate) fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        const VERSION_1: &[u8] = &[0x02, 0x01, 0x00];
        let algorithm = rsa_encryption().to_der().map_err(encoding_failed)?;
        let private_key = Zeroizing::new(tlv::wrap(tlv::OCTET_STRING, &[&self.pkcs1]));
        Ok(Zeroizing::new(tlv::wrap(
            tlv::SEQUENCE,
            &[VERSION_1, &algorithm, &private_key],
        )))
    }

    /// The SubjectPublicKeyInfo DER of the public half.
    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// RustCrypto's signing key, validated and precomputed on first call.
    ///
    /// The `rsa` crate checks the modulus, exponents and primes but computes its own CRT values,
    /// ignoring the file's; a key whose `exponent1`, `exponent2` or `coefficient` is wrong is
    /// refused here too, as AWS-LC refuses it, so no backend signs an inconsistent key.
    pub(crate) fn rust_crypto(&self) -> Result<&SigningKey> {
        let built = self.rust_crypto.get_or_init(|| {
            let key = rsa::PrivateKey::from_pkcs1_der(&self.pkcs1).map_err(|e| e.to_string())?;
            check_crt_values(&self.pkcs1, &key)?;
            Ok(Box::new(SigningKey::new(key)))
        });
        built
            .as_deref()
            .map_err(|why| invalid(&format!("invalid RSA private key: {why}")))
    }
}

/// Compares the CRT values of the PKCS#1 DER `file` with those `key` derives from the same
/// primes and private exponent.
fn check_crt_values(file: &[u8], key: &rsa::PrivateKey) -> std::result::Result<(), String> {
    let derived = key.to_pkcs1_der().map_err(|e| e.to_string())?;
    let (Ok(file), Ok(derived)) = (
        RsaPrivateKeyRef::from_der(file),
        RsaPrivateKeyRef::from_der(derived.as_bytes()),
    ) else {
        return Err("cannot re-read its PKCS#1 structure".into());
    };
    let fields = [
        ("exponent1", file.exponent1, derived.exponent1),
        ("exponent2", file.exponent2, derived.exponent2),
        ("coefficient", file.coefficient, derived.coefficient),
    ];
    for (name, ours, expected) in fields {
        if !same_secret(ours.as_bytes(), expected.as_bytes()) {
            return Err(format!(
                "its CRT value {name} does not belong to its primes and private exponent"
            ));
        }
    }
    Ok(())
}

/// Equality of two secret values without an early exit on the first differing byte.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn rsa_encryption() -> AlgorithmIdentifierOwned {
    // RFC 8017 §A.1: rsaEncryption's parameters are NULL.
    AlgorithmIdentifierOwned {
        oid: rfc5912::RSA_ENCRYPTION,
        parameters: Some(der::asn1::Null.into()),
    }
}

fn spki_der(public: &pkcs1::RsaPublicKeyRef<'_>) -> Result<Vec<u8>> {
    let key = public.to_der().map_err(encoding_failed)?;
    let info = SubjectPublicKeyInfoOwned {
        algorithm: rsa_encryption(),
        subject_public_key: BitString::from_bytes(&key).map_err(encoding_failed)?,
    };
    info.to_der().map_err(encoding_failed)
}

fn encoding_failed(e: der::Error) -> Error {
    Error::new(
        ErrorKind::Crypto,
        format!("encoding an RSA key structure failed: {e}"),
    )
}

fn invalid(msg: &str) -> Error {
    Error::new(ErrorKind::InvalidKey, msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{KeyAlgorithm, PrivateKey};
    use crate::signer::Signer;
    use pkcs1::RsaPrivateKey;

    fn generated() -> PrivateKey {
        PrivateKey::generate(&KeyAlgorithm::RSA_2048).expect("generate")
    }

    #[test]
    fn loading_keeps_the_der_and_public_half() {
        let key = generated();
        let der = key.to_der().expect("der");
        let loaded = PrivateKey::from_der(&der).expect("load");
        assert_eq!(loaded.to_der().expect("der").as_slice(), der.as_slice());
        assert_eq!(loaded.algorithm(), KeyAlgorithm::RSA_2048);
        assert_eq!(
            loaded.public_key_der().expect("spki"),
            key.public_key_der().expect("spki")
        );
        // PKCS#8 wraps the same PKCS#1 key and reads back to it.
        let pkcs8 = loaded
            .clone()
            .with_format(crate::key::KeyFormat::Pkcs8)
            .expect("pkcs8")
            .to_der()
            .expect("der");
        let again = PrivateKey::from_der(&pkcs8).expect("load pkcs8");
        assert_eq!(again.public_key_der().ok(), key.public_key_der().ok());
        assert!(!again.sign(b"tbs").expect("sign").is_empty());
    }

    /// A structurally valid key whose private exponent is wrong loads (its public half is
    /// right) but cannot sign: the error comes at first use, typed, never a wrong signature.
    #[test]
    fn an_inconsistent_key_fails_at_signing() {
        let der = generated().to_der().expect("der");
        let good = RsaPrivateKeyRef::from_der(&der).expect("parse");
        let three = der::asn1::UintRef::new(&[3]).expect("uint");
        let bad = RsaPrivateKey {
            private_exponent: three,
            ..good
        }
        .to_der()
        .expect("encode");
        let key = PrivateKey::from_der(&bad).expect("structure and public half load");
        let err = key.sign(b"tbs").expect_err("signing must fail");
        assert!(
            matches!(err.kind(), ErrorKind::InvalidKey | ErrorKind::Crypto),
            "{err}"
        );
        let direct = RsaKey::from_pkcs1_der(&bad).expect("load");
        assert_eq!(
            direct.rust_crypto().err().map(|e| e.kind()),
            Some(ErrorKind::InvalidKey)
        );
    }

    /// The `rsa` crate ignores a file's CRT values; a wrong coefficient must still be refused.
    #[test]
    fn a_wrong_crt_value_is_refused_by_rust_crypto() {
        let der = generated().to_der().expect("der");
        let good = RsaPrivateKeyRef::from_der(&der).expect("parse");
        let mut coefficient = good.coefficient.as_bytes().to_vec();
        if let Some(last) = coefficient.last_mut() {
            *last ^= 1;
        }
        let bad = RsaPrivateKey {
            coefficient: der::asn1::UintRef::new(&coefficient).expect("uint"),
            ..good
        }
        .to_der()
        .expect("encode");
        let key = RsaKey::from_pkcs1_der(&bad).expect("structure and public half load");
        let err = key.rust_crypto().map(|_| ()).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidKey);
        assert!(err.to_string().contains("coefficient"), "{err}");
        assert!(
            RsaKey::from_pkcs1_der(&der)
                .expect("load")
                .rust_crypto()
                .is_ok()
        );
    }

    #[test]
    fn malformed_keys_are_refused_at_load() {
        let der = generated().to_der().expect("der");
        for len in [0, 1, 10, der.len() / 2, der.len() - 1] {
            assert!(RsaKey::from_pkcs1_der(&der[..len]).is_err(), "prefix {len}");
        }
        let good = RsaPrivateKeyRef::from_der(&der).expect("parse");
        let even = der::asn1::UintRef::new(&[4]).expect("uint");
        let bad = RsaPrivateKey {
            public_exponent: even,
            ..good
        }
        .to_der()
        .expect("encode");
        let err = RsaKey::from_pkcs1_der(&bad).err().expect("even exponent");
        assert_eq!(err.kind(), ErrorKind::InvalidKey);
    }
}
