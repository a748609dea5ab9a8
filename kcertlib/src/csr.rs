//! Certificate signing requests built from an existing certificate and its key, carrying its
//! subject and extensions: what `openssl x509 -x509toreq -copy_extensions copyall` does, for
//! clusters whose CA key is held elsewhere (kubeadm's "external CA" mode).

use const_oid::db::{rfc5280, rfc5912};

use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
use crate::key::PrivateKey;
use crate::pem;
use crate::signer::Signer;
use crate::tlv::{self, OID, SEQUENCE, wrap};

/// A DER PKCS#10 CertificationRequest.
///
/// ```
/// use kcertlib::{CertificateRequest, KeyAlgorithm, PrivateKey, ValidityPolicy, self_signed_ca};
///
/// # fn main() -> kcertlib::Result<()> {
/// let key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// let cert = self_signed_ca("CN=kubernetes", &key, &ValidityPolicy::days(3650))?;
/// // A request to have another CA sign the same subject, key and extensions.
/// let csr = CertificateRequest::from_certificate(&cert, &key)?;
/// assert!(csr.to_pem().starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    der: Vec<u8>,
}

impl CertificateRequest {
    /// Builds a CSR with `cert`'s subject, `key`'s public key and every extension of `cert`
    /// except the authority key identifier (which names the old issuer), signed by `key`.
    ///
    /// # Errors
    /// `KeyMismatch` when `key` does not belong to `cert`; `Crypto` on signing failure.
    pub fn from_certificate(cert: &Certificate, key: &PrivateKey) -> Result<CertificateRequest> {
        key.ensure_matches(cert)?;
        let raw = cert.raw_tbs()?;
        let exts: Vec<&[u8]> = raw
            .extensions
            .iter()
            .flatten()
            .filter(|e| e.oid != rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER.as_bytes())
            .map(|e| e.raw)
            .collect();
        let mut attributes = Vec::new();
        if !exts.is_empty() {
            let ext_seq = wrap(SEQUENCE, &exts);
            let values = wrap(0x31, &[&ext_seq]);
            let oid = wrap(OID, &[rfc5912::ID_EXTENSION_REQ.as_bytes()]);
            attributes = wrap(SEQUENCE, &[&oid, &values]);
        }
        let attrs_field = wrap(0xa0, &[&attributes]);
        let info = wrap(
            SEQUENCE,
            &[&[0x02, 0x01, 0x00], raw.subject, raw.spki, &attrs_field],
        );
        let signature = key.sign(&info)?;
        let der = tlv::certificate(&info, &key.algorithm_der(), &signature);
        Ok(CertificateRequest { der })
    }

    /// The DER encoding.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// PEM text with the `CERTIFICATE REQUEST` label.
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE REQUEST", &self.der)
    }

    /// Checks the CSR's self-signature (proof of possession).
    ///
    /// # Errors
    /// `Der` for a malformed CSR, `VerificationFailed` when the signature is wrong.
    pub fn verify(&self) -> Result<()> {
        let (outer, _) = tlv::read(&self.der)?;
        let parts = tlv::children(outer.content)?;
        let [info, alg, sig] = parts.as_slice() else {
            return Err(Error::new(
                ErrorKind::Der,
                "CSR is not SEQUENCE { info, algorithm, signature }",
            ));
        };
        let info_parts = tlv::children(info.content)?;
        let spki = info_parts
            .get(2)
            .ok_or_else(|| Error::new(ErrorKind::Der, "CSR info has no public key"))?;
        let (oid, _) = tlv::read(alg.content)?;
        let oid = const_oid::ObjectIdentifier::from_bytes(oid.content)
            .map_err(|e| Error::new(ErrorKind::Der, format!("CSR algorithm: {e}")))?;
        let sig_bytes = sig
            .content
            .split_first()
            .map(|(_, rest)| rest)
            .ok_or_else(|| Error::new(ErrorKind::Der, "empty CSR signature"))?;
        crate::verify::verify_raw(&oid, info.raw, sig_bytes, spki.raw)
    }
}
