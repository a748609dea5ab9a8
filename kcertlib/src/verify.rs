//! Signature and chain verification.
//!
//! Signatures are checked over the *original* tbsCertificate bytes, never a re-encoding: a
//! validly signed certificate with a non-canonical field (e.g. GeneralizedTime before 2050)
//! would otherwise fail.

use const_oid::db::rfc5912;
use der::Decode;
use signature::Verifier;
use spki::SubjectPublicKeyInfoRef;

use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};

/// Checks that `issuer`'s key signed `cert`.
///
/// # Errors
/// `VerificationFailed` naming both certificates; `UnsupportedAlgorithm` for signature
/// algorithms other than RSA PKCS#1 v1.5 (SHA-256/384/512) and ECDSA P-256/P-384.
pub fn verify_signature(cert: &Certificate, issuer: &Certificate) -> Result<()> {
    let spki = issuer.spki_der()?;
    verify_with_spki(cert.tbs_der(), cert, spki).map_err(|e| {
        if e.kind() == ErrorKind::VerificationFailed {
            Error::new(
                ErrorKind::VerificationFailed,
                format!(
                    "signature of {:?} does not verify with the key of {:?}",
                    cert.subject(),
                    issuer.subject()
                ),
            )
        } else {
            e
        }
    })
}

/// Verifies a signature over `message` made by the key in `spki_der`, using `cert`'s declared
/// signature algorithm and value.
pub(crate) fn verify_with_spki(message: &[u8], cert: &Certificate, spki_der: &[u8]) -> Result<()> {
    let x = cert.x509();
    if x.signature_algorithm() != x.tbs_certificate().signature() {
        return Err(Error::new(
            ErrorKind::VerificationFailed,
            "the outer signature algorithm differs from the one inside tbsCertificate",
        ));
    }
    let sig = x.signature().as_bytes().ok_or_else(|| {
        Error::new(
            ErrorKind::VerificationFailed,
            "signature BIT STRING has unused bits",
        )
    })?;
    verify_raw(&x.signature_algorithm().oid, message, sig, spki_der)
}

pub(crate) fn verify_raw(
    alg: &const_oid::ObjectIdentifier,
    message: &[u8],
    sig: &[u8],
    spki_der: &[u8],
) -> Result<()> {
    let info = SubjectPublicKeyInfoRef::from_der(spki_der).map_err(|e| {
        Error::new(
            ErrorKind::VerificationFailed,
            format!("issuer public key: {e}"),
        )
    })?;
    let bad = |_| Error::new(ErrorKind::VerificationFailed, "signature does not verify");
    let key_err = |e: &dyn std::fmt::Display| {
        Error::new(
            ErrorKind::VerificationFailed,
            format!("issuer key does not fit the signature algorithm: {e}"),
        )
    };
    match *alg {
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION => {
            let key = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::try_from(info)
                .map_err(|e| key_err(&e))?;
            let s = rsa::pkcs1v15::Signature::try_from(sig).map_err(bad)?;
            key.verify(message, &s).map_err(bad)
        }
        rfc5912::SHA_384_WITH_RSA_ENCRYPTION => {
            let key = rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::try_from(info)
                .map_err(|e| key_err(&e))?;
            let s = rsa::pkcs1v15::Signature::try_from(sig).map_err(bad)?;
            key.verify(message, &s).map_err(bad)
        }
        rfc5912::SHA_512_WITH_RSA_ENCRYPTION => {
            let key = rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::try_from(info)
                .map_err(|e| key_err(&e))?;
            let s = rsa::pkcs1v15::Signature::try_from(sig).map_err(bad)?;
            key.verify(message, &s).map_err(bad)
        }
        rfc5912::ECDSA_WITH_SHA_256 => match info.algorithm.parameters_oid() {
            Ok(rfc5912::SECP_256_R_1) => {
                let key = p256::ecdsa::VerifyingKey::try_from(info).map_err(|e| key_err(&e))?;
                let s = p256::ecdsa::DerSignature::try_from(sig).map_err(bad)?;
                key.verify(message, &s).map_err(bad)
            }
            _ => Err(unsupported(alg)),
        },
        rfc5912::ECDSA_WITH_SHA_384 => match info.algorithm.parameters_oid() {
            Ok(rfc5912::SECP_384_R_1) => {
                let key = p384::ecdsa::VerifyingKey::try_from(info).map_err(|e| key_err(&e))?;
                let s = p384::ecdsa::DerSignature::try_from(sig).map_err(bad)?;
                key.verify(message, &s).map_err(bad)
            }
            _ => Err(unsupported(alg)),
        },
        _ => Err(unsupported(alg)),
    }
}

fn unsupported(alg: &const_oid::ObjectIdentifier) -> Error {
    Error::new(
        ErrorKind::UnsupportedAlgorithm,
        format!(
            "signature algorithm {} is not supported for verification",
            crate::cert::SignatureAlgorithm::from_oid(alg)
        ),
    )
}

/// Whether `issuer` could have issued `cert`: names match and, when both are present, the
/// authority key identifier equals the issuer's subject key identifier. No signature check.
pub fn could_issue(issuer: &Certificate, cert: &Certificate) -> bool {
    let names = matches!((issuer.subject_der(), cert.issuer_der()), (Ok(a), Ok(b)) if a == b);
    let ids = match (cert.authority_key_id(), issuer.subject_key_id()) {
        (Some(aki), Some(ski)) => aki == ski,
        _ => true,
    };
    names && ids
}

/// Builds and verifies the chain from `leaf` to one of `roots`, through `intermediates`.
/// Returns the chain, leaf first, ending at the root. Validity dates are not checked (renewal
/// works on expired trees); signatures and the CA flag of every issuer are.
///
/// # Errors
/// `VerificationFailed` when no chain can be built, saying where it stopped.
pub fn verify_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    roots: &[Certificate],
) -> Result<Vec<Certificate>> {
    let mut chain = vec![leaf.clone()];
    for _ in 0..8 {
        let current = chain.last().cloned().unwrap_or_else(|| leaf.clone());
        if let Some(root) = roots
            .iter()
            .find(|r| could_issue(r, &current) && verify_signature(&current, r).is_ok())
        {
            if !root.is_ca() && root.as_der() != current.as_der() {
                return Err(Error::new(
                    ErrorKind::VerificationFailed,
                    format!("{:?} is not a CA", root.subject()),
                ));
            }
            if root.as_der() != current.as_der() {
                chain.push(root.clone());
            }
            return Ok(chain);
        }
        let next = intermediates.iter().find(|c| {
            c.is_ca()
                && c.as_der() != current.as_der()
                && could_issue(c, &current)
                && verify_signature(&current, c).is_ok()
        });
        match next {
            Some(ca) => chain.push(ca.clone()),
            None => {
                return Err(Error::new(
                    ErrorKind::VerificationFailed,
                    format!(
                        "no trusted issuer found for {:?} (issuer {:?})",
                        current.subject(),
                        current.issuer()
                    ),
                ));
            }
        }
    }
    Err(Error::new(
        ErrorKind::VerificationFailed,
        "chain is longer than 8 certificates",
    ))
}
