//! Signature and chain verification.
//!
//! Signatures are checked over the *original* tbsCertificate bytes, never a re-encoding: a
//! validly signed certificate with a non-canonical field (e.g. GeneralizedTime before 2050)
//! would otherwise fail.
//!
//! With the `aws-lc` feature (the default) signatures are checked by aws-lc-rs (about 3× faster
//! than `rsa` at RSA verification, 4× `p256`); without it, by RustCrypto. Both give the same
//! answer; [`verify_signature_with`] picks one explicitly.

use const_oid::db::rfc5912;
use der::Decode;
use signature::Verifier;
use spki::SubjectPublicKeyInfoRef;

use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
#[cfg(feature = "aws-lc")]
use crate::key::KeyAlgorithm;
use crate::signer::Backend;

/// Checks that `issuer`'s key signed `cert`.
///
/// # Errors
/// `VerificationFailed` naming both certificates; `UnsupportedAlgorithm` for signature
/// algorithms other than RSA PKCS#1 v1.5 (SHA-256/384/512) and ECDSA P-256/P-384.
pub fn verify_signature(cert: &Certificate, issuer: &Certificate) -> Result<()> {
    verify_signature_with(cert, issuer, Backend::fastest())
}

/// `verify_signature` on an explicitly chosen backend (for tests and benchmarks).
///
/// # Errors
/// As `verify_signature`; `InvalidArgument` when `backend` is not compiled in.
pub fn verify_signature_with(
    cert: &Certificate,
    issuer: &Certificate,
    backend: Backend,
) -> Result<()> {
    if !backend.is_available() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("the {backend} backend is not compiled in"),
        ));
    }
    let spki = issuer.spki_der()?;
    verify_with_spki(cert.tbs_der(), cert, spki, backend).map_err(|e| {
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
pub(crate) fn verify_with_spki(
    message: &[u8],
    cert: &Certificate,
    spki_der: &[u8],
    backend: Backend,
) -> Result<()> {
    let view = cert.view();
    // DER is canonical, so equal AlgorithmIdentifiers are equal bytes.
    if view.outer_algorithm_der() != view.inner_algorithm_der() {
        return Err(Error::new(
            ErrorKind::VerificationFailed,
            "the outer signature algorithm differs from the one inside tbsCertificate",
        ));
    }
    let sig = view.signature_octets().ok_or_else(|| {
        Error::new(
            ErrorKind::VerificationFailed,
            "signature BIT STRING has unused bits",
        )
    })?;
    let alg =
        const_oid::ObjectIdentifier::from_bytes(view.signature_algorithm_oid()).map_err(|e| {
            Error::new(
                ErrorKind::VerificationFailed,
                format!("the signature algorithm's OID is invalid: {e}"),
            )
        })?;
    verify_raw_with(&alg, message, sig, spki_der, backend)
}

/// Verifies `sig` over `message` with the key in `spki_der` under signature algorithm `alg`,
/// on the fastest backend.
pub(crate) fn verify_raw(
    alg: &const_oid::ObjectIdentifier,
    message: &[u8],
    sig: &[u8],
    spki_der: &[u8],
) -> Result<()> {
    verify_raw_with(alg, message, sig, spki_der, Backend::fastest())
}

/// `verify_raw` on `backend`. aws-lc leaves to RustCrypto what it does not take (RSA moduli
/// outside 2048..=8192 bits, keys it cannot parse, whose errors RustCrypto words precisely).
fn verify_raw_with(
    alg: &const_oid::ObjectIdentifier,
    message: &[u8],
    sig: &[u8],
    spki_der: &[u8],
    backend: Backend,
) -> Result<()> {
    let info = SubjectPublicKeyInfoRef::from_der(spki_der).map_err(|e| {
        Error::new(
            ErrorKind::VerificationFailed,
            format!("issuer public key: {e}"),
        )
    })?;
    let scheme = Scheme::of(alg, &info)?;
    #[cfg(not(feature = "aws-lc"))]
    let _ = backend; // RustCrypto is the only backend
    #[cfg(feature = "aws-lc")]
    if backend == Backend::AwsLc
        && let Some(result) = verify_aws_lc(scheme, spki_der, &info, message, sig)
    {
        return result;
    }
    verify_rust_crypto(scheme, info, message, sig)
}

/// The signature schemes we verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    RsaSha256,
    RsaSha384,
    RsaSha512,
    P256Sha256,
    P384Sha384,
}

impl Scheme {
    /// The scheme of signature algorithm `alg` (ECDSA: on the issuer key's curve).
    fn of(alg: &const_oid::ObjectIdentifier, info: &SubjectPublicKeyInfoRef<'_>) -> Result<Scheme> {
        let curve = info.algorithm.parameters_oid().ok();
        match (*alg, curve) {
            (rfc5912::SHA_256_WITH_RSA_ENCRYPTION, _) => Ok(Scheme::RsaSha256),
            (rfc5912::SHA_384_WITH_RSA_ENCRYPTION, _) => Ok(Scheme::RsaSha384),
            (rfc5912::SHA_512_WITH_RSA_ENCRYPTION, _) => Ok(Scheme::RsaSha512),
            (rfc5912::ECDSA_WITH_SHA_256, Some(rfc5912::SECP_256_R_1)) => Ok(Scheme::P256Sha256),
            (rfc5912::ECDSA_WITH_SHA_384, Some(rfc5912::SECP_384_R_1)) => Ok(Scheme::P384Sha384),
            _ => Err(unsupported(alg)),
        }
    }
}

fn bad_signature<E>(_: E) -> Error {
    Error::new(ErrorKind::VerificationFailed, "signature does not verify")
}

fn key_unfit(e: &dyn std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::VerificationFailed,
        format!("issuer key does not fit the signature algorithm: {e}"),
    )
}

/// aws-lc-rs verification; `None` when aws-lc does not take the key (RustCrypto then decides).
#[cfg(feature = "aws-lc")]
fn verify_aws_lc(
    scheme: Scheme,
    spki_der: &[u8],
    info: &SubjectPublicKeyInfoRef<'_>,
    message: &[u8],
    sig: &[u8],
) -> Option<Result<()>> {
    use aws_lc_rs::signature as lc;
    let algorithm: &'static dyn lc::VerificationAlgorithm = match scheme {
        Scheme::RsaSha256 | Scheme::RsaSha384 | Scheme::RsaSha512 => {
            let bits = match info.algorithm.oid {
                rfc5912::RSA_ENCRYPTION => Some(KeyAlgorithm::from_spki_der(spki_der)),
                _ => None,
            };
            if !matches!(bits, Some(KeyAlgorithm::Rsa(2048..=8192))) {
                return None;
            }
            match scheme {
                Scheme::RsaSha256 => &lc::RSA_PKCS1_2048_8192_SHA256,
                Scheme::RsaSha384 => &lc::RSA_PKCS1_2048_8192_SHA384,
                _ => &lc::RSA_PKCS1_2048_8192_SHA512,
            }
        }
        Scheme::P256Sha256 | Scheme::P384Sha384 => {
            if info.algorithm.oid != rfc5912::ID_EC_PUBLIC_KEY {
                return None;
            }
            if scheme == Scheme::P256Sha256 {
                &lc::ECDSA_P256_SHA256_ASN1
            } else {
                &lc::ECDSA_P384_SHA384_ASN1
            }
        }
    };
    // RSA: the PKCS#1 RSAPublicKey; ECDSA: the EC point, as the SPKI's BIT STRING holds them.
    let key = info.subject_public_key.as_bytes()?;
    let parsed = match lc::UnparsedPublicKey::new(algorithm, key).parse() {
        Ok(parsed) => parsed,
        Err(_) => return None,
    };
    Some(parsed.verify_sig(message, sig).map_err(bad_signature))
}

/// RustCrypto verification: `rsa`, `p256`, `p384`.
fn verify_rust_crypto(
    scheme: Scheme,
    info: SubjectPublicKeyInfoRef<'_>,
    message: &[u8],
    sig: &[u8],
) -> Result<()> {
    match scheme {
        Scheme::RsaSha256 => {
            let key = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::try_from(info)
                .map_err(|e| key_unfit(&e))?;
            let s = rsa::pkcs1v15::Signature::try_from(sig).map_err(bad_signature)?;
            key.verify(message, &s).map_err(bad_signature)
        }
        Scheme::RsaSha384 => {
            let key = rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::try_from(info)
                .map_err(|e| key_unfit(&e))?;
            let s = rsa::pkcs1v15::Signature::try_from(sig).map_err(bad_signature)?;
            key.verify(message, &s).map_err(bad_signature)
        }
        Scheme::RsaSha512 => {
            let key = rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::try_from(info)
                .map_err(|e| key_unfit(&e))?;
            let s = rsa::pkcs1v15::Signature::try_from(sig).map_err(bad_signature)?;
            key.verify(message, &s).map_err(bad_signature)
        }
        Scheme::P256Sha256 => {
            let key = p256::ecdsa::VerifyingKey::try_from(info).map_err(|e| key_unfit(&e))?;
            let s = p256::ecdsa::DerSignature::try_from(sig).map_err(bad_signature)?;
            key.verify(message, &s).map_err(bad_signature)
        }
        Scheme::P384Sha384 => {
            let key = p384::ecdsa::VerifyingKey::try_from(info).map_err(|e| key_unfit(&e))?;
            let s = p384::ecdsa::DerSignature::try_from(sig).map_err(bad_signature)?;
            key.verify(message, &s).map_err(bad_signature)
        }
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
/// ```
/// use kcertlib::{
///     IssueRequest, Issuer, KeyAlgorithm, PrivateKey, Profile, ValidityPolicy, issue,
///     self_signed_ca, verify_chain, verify_signature,
/// };
///
/// # fn main() -> kcertlib::Result<()> {
/// let ca_key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// let ca = self_signed_ca("CN=kubernetes", &ca_key, &ValidityPolicy::days(3650))?;
/// let issuer = Issuer::new(&ca, &ca_key)?;
/// let key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// let leaf = issue(&IssueRequest::new("CN=admin", Profile::Client), &key.public_key_der()?, &issuer)?;
/// verify_signature(&leaf, &ca)?;
/// let chain = verify_chain(&leaf, &[], &[ca.clone()])?;
/// assert_eq!(chain, vec![leaf.clone(), ca]);
/// assert!(verify_chain(&leaf, &[], &[]).is_err());
/// # Ok(())
/// # }
/// ```
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
