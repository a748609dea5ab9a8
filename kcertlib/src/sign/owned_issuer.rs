//! An issuer that owns its CA certificate and key, for callers that cannot hold the borrows of
//! [`Issuer`]: the C and Python bindings' issuer handles, a long-lived signing service. The pair
//! is checked once when it is built; every certificate signed afterwards reuses the check.

use std::sync::Arc;

use super::Issuer;
use crate::cert::Certificate;
use crate::error::Result;
use crate::key::PrivateKey;

/// A CA certificate and its key, checked once as [`Issuer::new`] checks them, then used for
/// any number of certificates. Cheap to share between threads (`Arc` inside).
///
/// ```
/// use kcertlib::{
///     IssueRequest, KeyAlgorithm, OwnedIssuer, PrivateKey, Profile, ResignOptions,
///     ValidityPolicy, issue, resign, self_signed_ca,
/// };
///
/// # fn main() -> kcertlib::Result<()> {
/// let ca_key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// let ca = self_signed_ca("CN=etcd-ca", &ca_key, &ValidityPolicy::days(3650))?;
/// let ca = OwnedIssuer::new(ca, ca_key)?;
/// let key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// let old = issue(&IssueRequest::new("CN=etcd", Profile::Etcd), &key.public_key_der()?, &ca.issuer())?;
/// for _ in 0..3 {
///     let new = resign(&old, &ca.issuer(), &ResignOptions::default())?.certificate;
///     assert_eq!(new.issuer_der()?, ca.certificate().subject_der()?);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct OwnedIssuer {
    cert: Arc<Certificate>,
    key: Arc<PrivateKey>,
}

impl OwnedIssuer {
    /// Takes (or shares) a CA certificate and its key after the checks of [`Issuer::new`].
    ///
    /// # Errors
    /// As [`Issuer::new`]: `InvalidIssuer` for a certificate that is not a CA or lacks
    /// keyCertSign, `KeyMismatch` when the key is not the certificate's.
    pub fn new(
        cert: impl Into<Arc<Certificate>>,
        key: impl Into<Arc<PrivateKey>>,
    ) -> Result<OwnedIssuer> {
        let (cert, key) = (cert.into(), key.into());
        Issuer::new(&cert, key.as_ref())?;
        Ok(OwnedIssuer { cert, key })
    }

    /// The borrowed issuer that `resign` and `issue` take; no check is repeated.
    pub fn issuer(&self) -> Issuer<'_> {
        Issuer {
            cert: &self.cert,
            signer: self.key.as_ref(),
        }
    }

    /// The CA certificate.
    pub fn certificate(&self) -> &Arc<Certificate> {
        &self.cert
    }
}
