//! `CertificateView`: a borrowed, zero-copy reading of a DER certificate, and kcertlib's one
//! certificate reader.
//!
//! The view walks the DER once with the raw element reader (`tlv`), validates every element it
//! walks (structure, tags, DER lengths and integers, times, names, extension framing), accepting
//! exactly what x509-cert decodes, and keeps slices into the caller's buffer. An owning
//! `Certificate` is this walk plus the bytes: it keeps the view's offsets (`Layout`) and hands
//! the view out again (`Certificate::view`), so each accessor of the two is the same code.
//! `to_certificate` copies the DER without walking it again.

mod extensions;
mod layout;
pub(crate) mod name;
mod time;

use std::net::IpAddr;

use const_oid::ObjectIdentifier;
use sha2::{Digest, Sha256};

use crate::cert::{Certificate, NameAttribute, SignatureAlgorithm, Status, hex};
use crate::error::{Error, ErrorKind, Result};
use crate::extensions::{AltNames, BasicConstraints};
use crate::key::KeyAlgorithm;
use crate::time::Timestamp;
pub(crate) use layout::Layout;

use crate::tlv::{
    self, BIT_STRING, Elements, ExtensionParts, INTEGER, Malformed, OID, SEQUENCE, TbsParts, Tlv,
    Walk,
};

/// A validated, borrowed view of one DER certificate.
///
/// ```
/// # fn main() -> kcertlib::Result<()> {
/// # use kcertlib::*;
/// # let key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// # let cert = self_signed_ca("CN=kubernetes", &key, &ValidityPolicy::days(3650))?;
/// let der: &[u8] = cert.as_der();
/// let view = kcertlib::view::CertificateView::parse(der)?;
/// assert_eq!(view.subject(), "CN=kubernetes");
/// assert_eq!(view.not_after(), cert.not_after());
/// assert!(view.is_ca());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CertificateView<'a> {
    der: &'a [u8],
    tbs: &'a [u8],
    serial: &'a [u8],
    /// The OID content octets of the outer signatureAlgorithm.
    signature_algorithm: &'a [u8],
    /// The outer signatureAlgorithm element and the tbsCertificate's `signature` element.
    outer_algorithm: &'a [u8],
    inner_algorithm: &'a [u8],
    /// The signatureValue BIT STRING's content (unused-bits octet first).
    signature: &'a [u8],
    issuer: &'a [u8],
    subject: &'a [u8],
    spki: &'a [u8],
    not_before: Timestamp,
    not_after: Timestamp,
    extensions: Option<&'a [u8]>,
    san: Option<&'a [u8]>,
    basic_constraints: Option<&'a [u8]>,
    subject_key_id: Option<&'a [u8]>,
    authority_key_id: Option<&'a [u8]>,
}

impl<'a> CertificateView<'a> {
    /// Reads one DER certificate; trailing bytes are an error.
    ///
    /// # Errors
    /// `Der` for malformed, truncated or non-DER input or trailing data; `InvalidCertificate`
    /// for a negative serial number (as `Certificate::from_der`).
    pub fn parse(der: &'a [u8]) -> Result<CertificateView<'a>> {
        if der.is_empty() {
            return Err(Error::new(ErrorKind::Der, "empty input: no certificate"));
        }
        let view = Self::walk(der)?;
        if view.serial.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(Error::new(
                ErrorKind::InvalidCertificate,
                "serial number is negative (RFC 5280 §4.1.2.2 requires a positive serial)",
            ));
        }
        Ok(view)
    }

    /// The validating walk behind `parse` (with the thin error, so that it stays fast).
    fn walk(der: &'a [u8]) -> Walk<CertificateView<'a>> {
        let (outer, rest) = tlv::split(der)?;
        if outer.tag != SEQUENCE {
            return Err(Malformed("a certificate is a SEQUENCE"));
        }
        if !rest.is_empty() {
            return Err(Malformed("trailing data after the certificate"));
        }
        let mut parts = Elements::new(outer.content);
        let tbs = parts.field(SEQUENCE, "certificate has no tbsCertificate")?;
        let outer_algorithm = parts.field(SEQUENCE, "certificate has no signatureAlgorithm")?;
        let signature_algorithm = algorithm_identifier(outer_algorithm)?;
        let signature = parts.field(BIT_STRING, "certificate has no signatureValue")?;
        bit_string(signature)?;
        parts.finish("unexpected data after the certificate's signature")?;

        let fields = TbsParts::parse(tbs.raw)?;
        if let Some(version) = fields.version {
            check_version(version)?;
        }
        let serial = fields.serial.content;
        tlv::check_integer(serial)?;
        if serial.len() > 21 {
            return Err(Malformed("serial number is longer than 20 octets"));
        }
        algorithm_identifier(fields.signature)?;
        name::validate(fields.issuer.raw, "issuer name is malformed")?;
        name::validate(fields.subject.raw, "subject name is malformed")?;
        let mut validity = Elements::new(fields.validity.content);
        let invalid_time = "validity is not two RFC 5280 UTCTime or GeneralizedTime values";
        let not_before = time::parse(validity.any(invalid_time)?, invalid_time)?;
        let not_after = time::parse(validity.any(invalid_time)?, invalid_time)?;
        validity.finish(invalid_time)?;
        let mut spki = Elements::new(fields.spki.content);
        let invalid_spki = "subjectPublicKeyInfo is malformed";
        algorithm_identifier(spki.field(SEQUENCE, invalid_spki)?)?;
        bit_string(spki.field(BIT_STRING, invalid_spki)?)?;
        spki.finish(invalid_spki)?;
        for uid in [fields.issuer_uid, fields.subject_uid]
            .into_iter()
            .flatten()
        {
            bit_string(uid)?;
        }

        let mut view = CertificateView {
            der,
            tbs: tbs.raw,
            serial,
            signature_algorithm,
            outer_algorithm: outer_algorithm.raw,
            inner_algorithm: fields.signature.raw,
            signature: signature.content,
            issuer: fields.issuer.raw,
            subject: fields.subject.raw,
            spki: fields.spki.raw,
            not_before,
            not_after,
            extensions: fields.extensions.map(|seq| seq.content),
            san: None,
            basic_constraints: None,
            subject_key_id: None,
            authority_key_id: None,
        };
        view.index_extensions(fields)?;
        Ok(view)
    }

    /// The DER this view reads.
    pub fn as_der(&self) -> &'a [u8] {
        self.der
    }

    /// The original bytes of the tbsCertificate, the exact input of the signature.
    pub fn tbs_der(&self) -> &'a [u8] {
        self.tbs
    }

    /// The serial number's big-endian magnitude (no sign padding).
    pub fn serial(&self) -> &'a [u8] {
        match self.serial {
            [0, rest @ ..] if !rest.is_empty() => rest,
            bytes => bytes,
        }
    }

    /// The serial number as lowercase hex, as `Certificate::serial_hex`.
    pub fn serial_hex(&self) -> String {
        hex(self.serial())
    }

    /// The subject Name as encoded in the certificate.
    pub fn subject_der(&self) -> &'a [u8] {
        self.subject
    }

    /// The issuer Name as encoded in the certificate.
    pub fn issuer_der(&self) -> &'a [u8] {
        self.issuer
    }

    /// The SubjectPublicKeyInfo as encoded in the certificate.
    pub fn spki_der(&self) -> &'a [u8] {
        self.spki
    }

    /// The subject as an RFC 4514 string, identical to `Certificate::subject`.
    pub fn subject(&self) -> String {
        name::rfc4514(self.subject)
    }

    /// The issuer as an RFC 4514 string, identical to `Certificate::issuer`.
    pub fn issuer(&self) -> String {
        name::rfc4514(self.issuer)
    }

    /// The subject's attributes in encoding order.
    pub fn subject_attributes(&self) -> Vec<NameAttribute> {
        name::attributes(self.subject)
    }

    /// The issuer's attributes in encoding order.
    pub fn issuer_attributes(&self) -> Vec<NameAttribute> {
        name::attributes(self.issuer)
    }

    /// The subject's common name (the most specific `CN`), if any.
    pub fn common_name(&self) -> Option<String> {
        name::common_name(self.subject)
    }

    /// `notBefore`.
    pub fn not_before(&self) -> Timestamp {
        self.not_before
    }

    /// `notAfter`.
    pub fn not_after(&self) -> Timestamp {
        self.not_after
    }

    /// The validity status at `at`, with `warn_within` as the warning window before `notAfter`
    /// (the same rule as `Certificate::status`).
    pub fn status(&self, at: Timestamp, warn_within: std::time::Duration) -> Status {
        if at < self.not_before {
            Status::NotYetValid
        } else if at > self.not_after {
            Status::Expired
        } else if at.plus(warn_within) > self.not_after {
            Status::Warning
        } else {
            Status::Ok
        }
    }

    /// The subjectAltName dNSName entries, in order (none when the extension is absent or
    /// malformed).
    pub fn dns_names(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        extensions::dns_names(self.san.unwrap_or_default())
    }

    /// The subjectAltName iPAddress entries, in order.
    pub fn ip_addresses(&self) -> impl Iterator<Item = IpAddr> + use<'a> {
        extensions::ip_addresses(self.san.unwrap_or_default())
    }

    /// Every subject alternative name `AltNames` models, as `Certificate::alt_names`.
    pub fn alt_names(&self) -> AltNames {
        self.san.map(extensions::alt_names).unwrap_or_default()
    }

    /// The basicConstraints extension, or `None` when absent or malformed.
    pub fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.basic_constraints
            .and_then(extensions::basic_constraints)
    }

    /// Whether basicConstraints says `CA:TRUE`.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints().is_some_and(|bc| bc.ca)
    }

    /// Whether the issuer and subject names are byte-identical.
    pub fn is_self_issued(&self) -> bool {
        self.issuer == self.subject
    }

    /// The subjectKeyIdentifier, if present.
    pub fn subject_key_id(&self) -> Option<&'a [u8]> {
        self.subject_key_id.and_then(extensions::subject_key_id)
    }

    /// The keyIdentifier of the authorityKeyIdentifier, if present.
    pub fn authority_key_id(&self) -> Option<&'a [u8]> {
        self.authority_key_id.and_then(extensions::authority_key_id)
    }

    /// The algorithm and size of the subject public key.
    pub fn public_key_algorithm(&self) -> KeyAlgorithm {
        KeyAlgorithm::from_spki_der(self.spki)
    }

    /// The algorithm the issuer signed with.
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        match ObjectIdentifier::from_bytes(self.signature_algorithm) {
            Ok(oid) => SignatureAlgorithm::from_oid(&oid),
            Err(_) => SignatureAlgorithm::Other(hex(self.signature_algorithm)),
        }
    }

    /// SHA-256 over the DER.
    pub fn fingerprint_sha256(&self) -> [u8; 32] {
        Sha256::digest(self.der).into()
    }

    /// Every extension in certificate order as (OID content octets, critical, extnValue).
    pub fn extensions(&self) -> impl Iterator<Item = (&'a [u8], bool, &'a [u8])> + use<'a> {
        Elements::new(self.extensions.unwrap_or_default())
            .map_while(std::result::Result::ok)
            .filter_map(|ext| ExtensionParts::parse(ext).ok())
            .map(|ext| (ext.oid, ext.critical, ext.value))
    }

    /// The full `Certificate`: copies the DER and keeps what this view found (no second walk).
    ///
    /// # Errors
    /// None today (the view has been validated); kept fallible as `Certificate::from_der`.
    pub fn to_certificate(&self) -> Result<Certificate> {
        Ok(Certificate::from_view(self))
    }

    /// The outer signatureAlgorithm element, tag included.
    pub(crate) fn outer_algorithm_der(&self) -> &'a [u8] {
        self.outer_algorithm
    }

    /// The tbsCertificate's `signature` AlgorithmIdentifier element, tag included.
    pub(crate) fn inner_algorithm_der(&self) -> &'a [u8] {
        self.inner_algorithm
    }

    /// The signatureValue's bits when they are whole octets (`None` with unused bits).
    pub(crate) fn signature_octets(&self) -> Option<&'a [u8]> {
        match self.signature {
            [0, octets @ ..] => Some(octets),
            _ => None,
        }
    }

    /// The OID content octets of the outer signatureAlgorithm.
    pub(crate) fn signature_algorithm_oid(&self) -> &'a [u8] {
        self.signature_algorithm
    }

    /// Validates every extension's framing and records the four an inventory reads. A repeated
    /// extension reads as absent, as in `Certificate`.
    fn index_extensions(&mut self, fields: TbsParts<'a>) -> Walk<()> {
        use const_oid::db::rfc5280::{
            ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_SUBJECT_ALT_NAME,
            ID_CE_SUBJECT_KEY_IDENTIFIER,
        };
        let Some(seq) = fields.extensions else {
            return Ok(());
        };
        let mut san = Slot::Absent;
        let mut bc = Slot::Absent;
        let mut ski = Slot::Absent;
        let mut aki = Slot::Absent;
        for ext in Elements::new(seq.content) {
            let ext = ExtensionParts::parse(ext?)?;
            let slot = match ext.oid {
                oid if oid == ID_CE_SUBJECT_ALT_NAME.as_bytes() => &mut san,
                oid if oid == ID_CE_BASIC_CONSTRAINTS.as_bytes() => &mut bc,
                oid if oid == ID_CE_SUBJECT_KEY_IDENTIFIER.as_bytes() => &mut ski,
                oid if oid == ID_CE_AUTHORITY_KEY_IDENTIFIER.as_bytes() => &mut aki,
                _ => continue,
            };
            slot.add(ext.value);
        }
        self.san = san.once().and_then(extensions::general_names);
        self.basic_constraints = bc.once();
        self.subject_key_id = ski.once();
        self.authority_key_id = aki.once();
        Ok(())
    }
}

/// How often an extension occurs.
#[derive(Clone, Copy)]
enum Slot<'a> {
    Absent,
    Once(&'a [u8]),
    Repeated,
}

impl<'a> Slot<'a> {
    fn add(&mut self, value: &'a [u8]) {
        *self = match self {
            Slot::Absent => Slot::Once(value),
            _ => Slot::Repeated,
        };
    }

    fn once(self) -> Option<&'a [u8]> {
        match self {
            Slot::Once(value) => Some(value),
            _ => None,
        }
    }
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`; returns the
/// OID's content octets.
fn algorithm_identifier(alg: Tlv<'_>) -> Walk<&[u8]> {
    let bad = "algorithm identifier is malformed";
    let mut fields = Elements::new(alg.content);
    let oid = fields.field(OID, bad)?;
    tlv::check_oid(oid.content)?;
    if let Some(params) = fields.next() {
        params?;
    }
    fields.finish(bad)?;
    Ok(oid.content)
}

/// A BIT STRING's content: the unused-bits octet (0–7, and 0 when there are no bits).
fn bit_string(bits: Tlv<'_>) -> Walk<()> {
    match bits.content {
        [0] => Ok(()),
        [unused, _, ..] if *unused <= 7 => Ok(()),
        _ => Err(Malformed("invalid BIT STRING")),
    }
}

/// `[0] EXPLICIT Version`, one of v1(0), v2(1), v3(2).
fn check_version(field: Tlv<'_>) -> Walk<()> {
    let bad = Malformed("unknown certificate version");
    let mut inner = Elements::new(field.content);
    let version = inner.field(INTEGER, bad.0)?;
    inner.finish(bad.0)?;
    match version.content {
        [0..=2] => Ok(()),
        _ => Err(bad),
    }
}
