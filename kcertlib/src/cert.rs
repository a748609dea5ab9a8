//! `Certificate`: the original DER plus where the one validating walk (`view`) found each field,
//! with accessors named after RFC 5280. x509-cert's owned structure is decoded only when a
//! caller asks for it (`x509`), and its extension types only for the extension asked for.

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use der::Decode;
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::{ExtendedKeyUsage as X509Eku, KeyUsage};

use crate::error::{Error, ErrorKind, Result, ResultExt, der_error};
use crate::extensions::{
    AltNames, BasicConstraints, ExtendedKeyUsage, KeyUsageBit, RawExtensionView,
};
use crate::key::KeyAlgorithm;
use crate::pem;
use crate::time::Timestamp;
use crate::tlv;
use crate::view::{CertificateView, Layout, name};

/// An X.509 certificate. The DER it was read from is kept byte for byte (`as_der`).
///
/// ```
/// use kcertlib::{Certificate, KeyAlgorithm, PrivateKey, ValidityPolicy, self_signed_ca};
///
/// # fn main() -> kcertlib::Result<()> {
/// let ca_key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// let ca = self_signed_ca("CN=kubernetes", &ca_key, &ValidityPolicy::days(3650))?;
/// let pem = ca.to_pem(); // on a node: Certificate::load_file("/etc/kubernetes/pki/ca.crt")
///
/// let cert = Certificate::from_pem(pem.as_bytes())?;
/// assert_eq!(cert.subject(), "CN=kubernetes");
/// assert!(cert.is_ca() && cert.is_self_issued());
/// assert_eq!(cert.as_der(), ca.as_der());
/// assert_eq!(Certificate::load_all(cert.as_der())?, vec![cert]);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    /// What `CertificateView::parse` found in `der`: the one reading of the DER. Set when the
    /// certificate is read; for one kcertlib has just signed, on first use (`from_signed`).
    layout: OnceLock<Layout>,
    /// x509-cert's decode, made on the first call of `x509`.
    x509: OnceLock<x509_cert::Certificate>,
}

/// The validity status of a certificate at a point in time, in k3s's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Valid, and not expiring within the warning window.
    Ok,
    /// Valid, but expires within the warning window.
    Warning,
    /// `notAfter` has passed.
    Expired,
    /// `notBefore` is still in the future.
    NotYetValid,
}

impl Status {
    /// `ok`, `warning`, `expired` or `not-yet-valid`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Expired => "expired",
            Status::NotYetValid => "not-yet-valid",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The signature algorithm of a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum SignatureAlgorithm {
    RsaSha1,
    RsaSha256,
    RsaSha384,
    RsaSha512,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    /// Any other algorithm, as its dotted OID.
    Other(String),
}

impl SignatureAlgorithm {
    /// OpenSSL's long name, e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA256`.
    pub fn name(&self) -> &str {
        match self {
            SignatureAlgorithm::RsaSha1 => "sha1WithRSAEncryption",
            SignatureAlgorithm::RsaSha256 => "sha256WithRSAEncryption",
            SignatureAlgorithm::RsaSha384 => "sha384WithRSAEncryption",
            SignatureAlgorithm::RsaSha512 => "sha512WithRSAEncryption",
            SignatureAlgorithm::EcdsaSha256 => "ecdsa-with-SHA256",
            SignatureAlgorithm::EcdsaSha384 => "ecdsa-with-SHA384",
            SignatureAlgorithm::EcdsaSha512 => "ecdsa-with-SHA512",
            SignatureAlgorithm::Other(oid) => oid,
        }
    }

    pub(crate) fn from_oid(oid: &ObjectIdentifier) -> SignatureAlgorithm {
        match *oid {
            rfc5912::SHA_1_WITH_RSA_ENCRYPTION => SignatureAlgorithm::RsaSha1,
            rfc5912::SHA_256_WITH_RSA_ENCRYPTION => SignatureAlgorithm::RsaSha256,
            rfc5912::SHA_384_WITH_RSA_ENCRYPTION => SignatureAlgorithm::RsaSha384,
            rfc5912::SHA_512_WITH_RSA_ENCRYPTION => SignatureAlgorithm::RsaSha512,
            rfc5912::ECDSA_WITH_SHA_256 => SignatureAlgorithm::EcdsaSha256,
            rfc5912::ECDSA_WITH_SHA_384 => SignatureAlgorithm::EcdsaSha384,
            rfc5912::ECDSA_WITH_SHA_512 => SignatureAlgorithm::EcdsaSha512,
            other => SignatureAlgorithm::Other(other.to_string()),
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One attribute of a distinguished name (`CN=kube-apiserver`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NameAttribute {
    /// Short name where one is known (`CN`, `O`, `OU`, `C`, `emailAddress`), else the dotted OID.
    pub key: String,
    /// Dotted OID.
    pub oid: String,
    /// The value as text.
    pub value: String,
}

impl Certificate {
    /// Parses one DER-encoded certificate; trailing bytes are an error.
    ///
    /// # Errors
    /// `Der` for malformed or truncated input or trailing data, `InvalidCertificate` for a
    /// negative serial number.
    pub fn from_der(der: &[u8]) -> Result<Certificate> {
        Self::from_der_vec(der.to_vec())
    }

    /// Like `from_der`, taking ownership of the buffer.
    ///
    /// # Errors
    /// As `from_der`.
    pub fn from_der_vec(der: Vec<u8>) -> Result<Certificate> {
        if der.is_empty() {
            return Err(Error::new(ErrorKind::Der, "empty input: no certificate"));
        }
        let view = CertificateView::parse(&der).map_err(|e| match e.kind() {
            ErrorKind::Der => Error::new(
                ErrorKind::Der,
                format!("not a valid DER certificate: {}", e.message()),
            ),
            _ => e,
        })?;
        let layout = Layout::of(&view);
        Ok(Certificate {
            der,
            layout: OnceLock::from(layout),
            x509: OnceLock::new(),
        })
    }

    /// A certificate kcertlib has just assembled and signed, read on first use instead of now.
    ///
    /// Its parts are either copied from certificates that passed the reader or written by
    /// kcertlib's own encoders, and the re-sign's callers often only write it out, so the
    /// validating walk is deferred. If it ever failed (a fault in those encoders, not in the
    /// input), the accessors would read empty fields, and signature verification, which the
    /// renewal runs on every new certificate before committing, would refuse it. Builds with
    /// the `test-hooks` feature (kcertlib's own tests) walk at once and return the error.
    ///
    /// # Errors
    /// With `test-hooks` only: as `from_der_vec`.
    pub(crate) fn from_signed(der: Vec<u8>) -> Result<Certificate> {
        let cert = Certificate {
            der,
            layout: OnceLock::new(),
            x509: OnceLock::new(),
        };
        #[cfg(feature = "test-hooks")]
        if cert.layout.get().is_none() {
            let layout = Layout::of(&CertificateView::parse(&cert.der)?);
            let _ = cert.layout.set(layout);
        }
        Ok(cert)
    }

    /// The certificate a validated view reads (copies its DER; no second walk).
    pub(crate) fn from_view(view: &CertificateView<'_>) -> Certificate {
        Certificate {
            der: view.as_der().to_vec(),
            layout: OnceLock::from(Layout::of(view)),
            x509: OnceLock::new(),
        }
    }

    /// The borrowed view of this certificate (no parsing: the fields were found when it was
    /// read).
    pub fn view(&self) -> CertificateView<'_> {
        let layout = self
            .layout
            .get_or_init(|| match CertificateView::parse(&self.der) {
                Ok(view) => Layout::of(&view),
                Err(_) => Layout::unreadable(),
            });
        layout.view(&self.der)
    }

    /// Parses the first certificate of PEM text (other blocks are ignored).
    ///
    /// # Errors
    /// `Pem` when the text holds no `CERTIFICATE` block or a block is malformed; as `from_der`
    /// for the block itself.
    pub fn from_pem(input: &[u8]) -> Result<Certificate> {
        Self::bundle_from_pem(input)?
            .into_iter()
            .next()
            .ok_or_else(|| no_certificate(input))
    }

    /// Parses every `CERTIFICATE` block of PEM text, in order. Other blocks (keys) are skipped;
    /// text around blocks, CRLF, blank lines and RFC 1421 headers are tolerated.
    ///
    /// # Errors
    /// As `from_pem`; the message of a bad block names its position in the bundle.
    pub fn bundle_from_pem(input: &[u8]) -> Result<Vec<Certificate>> {
        Ok(pem_certificates(input)?
            .into_iter()
            .map(|(cert, _line)| cert)
            .collect())
    }

    /// Every certificate of `input`, which may be PEM (any number of blocks) or one DER
    /// certificate.
    ///
    /// # Errors
    /// `Pem`/`Der` as above; an input with no certificate at all is a `Pem` error.
    pub fn load_all(input: &[u8]) -> Result<Vec<Certificate>> {
        if pem::looks_like_pem(input) {
            let certs = Self::bundle_from_pem(input)?;
            if certs.is_empty() {
                return Err(no_certificate(input));
            }
            Ok(certs)
        } else if input.first() == Some(&0x30) {
            Ok(vec![Certificate::from_der(input)?])
        } else {
            Err(no_certificate(input))
        }
    }

    /// Every certificate of the file at `path` (PEM or DER), with the path in any error.
    ///
    /// # Errors
    /// `Io` when the file cannot be read; otherwise as `load_all`.
    pub fn load_file(path: impl AsRef<Path>) -> Result<Vec<Certificate>> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
        Self::load_all(&bytes).at_path(path)
    }

    /// The DER this certificate was parsed from (or produced as).
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// The original bytes of the tbsCertificate, the exact input of the signature.
    pub fn tbs_der(&self) -> &[u8] {
        self.view().tbs_der()
    }

    /// PEM text of this certificate.
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der)
    }

    /// The parsed x509-cert structure, for callers that need more than the accessors offer.
    /// Decoded on the first call and kept.
    ///
    /// # Errors
    /// `Der` if x509-cert cannot decode what kcertlib's reader accepted. The two accept the same
    /// certificates (tests/view_equivalence.rs, the `certificate_view` fuzz target), so this is
    /// not expected; it is an error rather than a panic because the input is untrusted.
    pub fn x509(&self) -> Result<&x509_cert::Certificate> {
        if let Some(parsed) = self.x509.get() {
            return Ok(parsed);
        }
        let parsed = x509_cert::Certificate::from_der(&self.der)
            .map_err(|e| der_error("x509-cert cannot decode this certificate", e))?;
        Ok(self.x509.get_or_init(|| parsed))
    }

    /// The subject as an RFC 4514 string (`CN=kube-apiserver,O=...`, most specific first).
    pub fn subject(&self) -> String {
        self.view().subject()
    }

    /// The issuer as an RFC 4514 string.
    pub fn issuer(&self) -> String {
        self.view().issuer()
    }

    /// The subject's attributes in encoding order (least specific first, as in the DER).
    pub fn subject_attributes(&self) -> Vec<NameAttribute> {
        self.view().subject_attributes()
    }

    /// The issuer's attributes in encoding order.
    pub fn issuer_attributes(&self) -> Vec<NameAttribute> {
        self.view().issuer_attributes()
    }

    /// The subject's common name, if any.
    pub fn common_name(&self) -> Option<String> {
        self.view().common_name()
    }

    /// The subject's organizations (Kubernetes groups), in encoding order.
    pub fn organizations(&self) -> Vec<String> {
        self.subject_attributes()
            .into_iter()
            .filter(|a| a.oid == "2.5.4.10")
            .map(|a| a.value)
            .collect()
    }

    /// The subject Name as encoded in the certificate.
    ///
    /// # Errors
    /// None since the certificate was validated when read; kept for the existing callers.
    pub fn subject_der(&self) -> Result<&[u8]> {
        Ok(self.view().subject_der())
    }

    /// The issuer Name as encoded in the certificate.
    ///
    /// # Errors
    /// None since the certificate was validated when read; kept for the existing callers.
    pub fn issuer_der(&self) -> Result<&[u8]> {
        Ok(self.view().issuer_der())
    }

    /// The SubjectPublicKeyInfo as encoded in the certificate.
    ///
    /// # Errors
    /// None since the certificate was validated when read; kept for the existing callers.
    pub fn spki_der(&self) -> Result<&[u8]> {
        Ok(self.view().spki_der())
    }

    /// The tbsCertificate split into its elements, for the re-sign to replace some of them.
    pub(crate) fn raw_tbs(&self) -> Result<tlv::RawTbs<'_>> {
        tlv::RawTbs::parse(self.tbs_der())
    }

    /// The serial number's big-endian magnitude (no sign padding).
    pub fn serial(&self) -> &[u8] {
        self.view().serial()
    }

    /// The serial number as lowercase hex (`0a1b...`), as kubeadm and openssl print it.
    pub fn serial_hex(&self) -> String {
        hex(self.serial())
    }

    /// `notBefore`.
    pub fn not_before(&self) -> Timestamp {
        self.view().not_before()
    }

    /// `notAfter`.
    pub fn not_after(&self) -> Timestamp {
        self.view().not_after()
    }

    /// The validity status at `at`, with `warn_within` as the warning window before `notAfter`.
    pub fn status(&self, at: Timestamp, warn_within: std::time::Duration) -> Status {
        self.view().status(at, warn_within)
    }

    /// Subject alternative names (empty when the extension is absent).
    pub fn alt_names(&self) -> AltNames {
        self.view().alt_names()
    }

    /// The keyUsage bits, or `None` when the extension is absent.
    pub fn key_usage(&self) -> Option<Vec<KeyUsageBit>> {
        self.extension::<KeyUsage>()
            .map(|ku| KeyUsageBit::from_x509(&ku))
    }

    /// The extendedKeyUsage purposes, or `None` when the extension is absent.
    pub fn extended_key_usage(&self) -> Option<Vec<ExtendedKeyUsage>> {
        self.extension::<X509Eku>()
            .map(|eku| eku.0.iter().map(ExtendedKeyUsage::from_oid).collect())
    }

    /// The basicConstraints extension, or `None` when absent.
    pub fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.view().basic_constraints()
    }

    /// Whether basicConstraints says `CA:TRUE`.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints().is_some_and(|bc| bc.ca)
    }

    /// Whether the issuer and subject names are byte-identical (root or self-re-signed CA).
    pub fn is_self_issued(&self) -> bool {
        self.view().is_self_issued()
    }

    /// The subjectKeyIdentifier, if present.
    pub fn subject_key_id(&self) -> Option<Vec<u8>> {
        self.view().subject_key_id().map(<[u8]>::to_vec)
    }

    /// The keyIdentifier of the authorityKeyIdentifier, if present.
    pub fn authority_key_id(&self) -> Option<Vec<u8>> {
        self.view().authority_key_id().map(<[u8]>::to_vec)
    }

    /// The algorithm and size of the subject public key.
    pub fn public_key_algorithm(&self) -> KeyAlgorithm {
        self.view().public_key_algorithm()
    }

    /// The algorithm the issuer signed with.
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.view().signature_algorithm()
    }

    /// SHA-256 over the DER.
    pub fn fingerprint_sha256(&self) -> [u8; 32] {
        Sha256::digest(&self.der).into()
    }

    /// SHA-256 fingerprint as colon-separated uppercase hex, as `openssl x509 -fingerprint`.
    pub fn fingerprint_sha256_hex(&self) -> String {
        self.fingerprint_sha256()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// Every extension in certificate order, undecoded.
    pub fn extensions(&self) -> Vec<RawExtensionView> {
        self.view()
            .extensions()
            .map(|(oid, critical, value)| RawExtensionView {
                oid: name::dotted(oid),
                critical,
                value: value.to_vec(),
            })
            .collect()
    }

    /// Decodes the extension of type `T` from its extnValue; a malformed or repeated one reads
    /// as absent (the accessors are views, and the outer structure was validated when read).
    fn extension<T>(&self) -> Option<T>
    where
        T: for<'a> Decode<'a> + const_oid::AssociatedOid,
    {
        let mut found = self
            .view()
            .extensions()
            .filter(|(oid, _, _)| *oid == T::OID.as_bytes());
        let (_, _, value) = found.next()?;
        if found.next().is_some() {
            return None;
        }
        T::from_der(value).ok()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl std::hash::Hash for Certificate {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.der.hash(state);
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("issuer", &self.issuer())
            .field("serial", &self.serial_hex())
            .field("not_after", &self.not_after())
            .finish()
    }
}

/// Lowercase hex, the one hex writer of the crate (serials, fingerprints, digests, ids).
pub(crate) fn hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

/// Every `CERTIFICATE` block of PEM text with the line its `BEGIN` is on, in order; other
/// blocks (keys) are skipped. Shared by `Certificate::bundle_from_pem` and `load`, which
/// reports where each certificate was found.
pub(crate) fn pem_certificates(input: &[u8]) -> Result<Vec<(Certificate, usize)>> {
    let mut out = Vec::new();
    for block in pem::blocks(input)? {
        if block.label != "CERTIFICATE" && block.label != "X509 CERTIFICATE" {
            continue;
        }
        let index = out.len() + 1;
        let line = block.line;
        let cert = Certificate::from_der_vec(block.into_der()).map_err(|e| {
            let msg = format!("certificate #{index} (PEM line {line}): {}", e.message());
            Error::new(e.kind(), msg).with_source(e)
        })?;
        out.push((cert, line));
    }
    Ok(out)
}

pub(crate) fn no_certificate(input: &[u8]) -> Error {
    if input.iter().all(u8::is_ascii_whitespace) {
        Error::new(ErrorKind::Pem, "empty input: no certificate")
    } else if pem::looks_like_pem(input) {
        Error::new(ErrorKind::Pem, "no CERTIFICATE block in PEM input")
    } else {
        Error::new(ErrorKind::Pem, "input is neither PEM nor a DER certificate")
    }
}
