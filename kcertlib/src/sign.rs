//! Producing certificates: the faithful re-sign, issuing from a profile, and self-signed CAs.
//!
//! Every path builds a tbsCertificate from raw DER components (see `tlv`) and signs it through
//! the `Signer` trait. A new certificate (`issue`, `self_signed_ca`: the caller's subject text
//! and public key) is read back at once, so it has passed the same reader as anything we read.
//! A re-signed one is read on first use (`Certificate::from_signed`): its components have passed
//! the reader or come from our own encoders, and many callers only write it out. kcertlib's
//! tests build with `test-hooks`, which reads it at once too, so the encoders stay judged.

use std::str::FromStr;

use const_oid::db::rfc5280;
use der::Encode;

use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
use crate::extensions::{AltNames, KeyUsageBit};
use crate::key::{KeyAlgorithm, PrivateKey, same_public_key};
use crate::profile::{self, EncodedExtension, Profile};
use crate::serial::{self, SerialShape};
use crate::signer::Signer;
use crate::tlv::{self, RawExtension, RawTbs};
use crate::validity::{Clamp, ResolvedValidity, ValidityPolicy};

mod owned_issuer;

pub use owned_issuer::OwnedIssuer;

/// A CA certificate together with the signer of its key, borrowed. [`OwnedIssuer`] owns them
/// instead, for callers that keep an issuer across calls.
#[derive(Clone, Copy)]
pub struct Issuer<'a> {
    cert: &'a Certificate,
    signer: &'a dyn Signer,
}

impl<'a> Issuer<'a> {
    /// Pairs a CA certificate with its key, checking that the pair can sign.
    ///
    /// A CA whose keyUsage lacks keyCertSign is refused: OpenSSL, Go and Python `cryptography`
    /// all reject certificates it signs, so signing would only produce a broken chain.
    ///
    /// # Errors
    /// `InvalidIssuer` when the certificate is not a CA (basicConstraints CA:TRUE) or its
    /// keyUsage lacks keyCertSign; `KeyMismatch` when the key is not the certificate's.
    pub fn new(cert: &'a Certificate, signer: &'a dyn Signer) -> Result<Issuer<'a>> {
        if !cert.is_ca() {
            return Err(Error::new(
                ErrorKind::InvalidIssuer,
                format!(
                    "{:?} is not a CA certificate (basicConstraints CA:TRUE is missing)",
                    cert.subject()
                ),
            ));
        }
        if let Some(ku) = cert.key_usage()
            && !ku.contains(&KeyUsageBit::KeyCertSign)
        {
            return Err(Error::new(
                ErrorKind::InvalidIssuer,
                format!(
                    "CA {:?} has a keyUsage without keyCertSign; certificates it signed would fail verification",
                    cert.subject()
                ),
            ));
        }
        if !same_public_key(&signer.public_key_der()?, cert.spki_der()?) {
            return Err(Error::new(
                ErrorKind::KeyMismatch,
                format!(
                    "the CA key does not match the CA certificate {:?}",
                    cert.subject()
                ),
            ));
        }
        Ok(Issuer { cert, signer })
    }

    /// The CA certificate.
    pub fn certificate(&self) -> &'a Certificate {
        self.cert
    }

    /// The CA's signer.
    pub fn signer(&self) -> &'a dyn Signer {
        self.signer
    }
}

/// What happens to the subject key on re-sign.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum KeyPolicy {
    /// Keep the existing key (default; nothing that pins the key breaks).
    #[default]
    Keep,
    /// A new key of the same algorithm and size.
    Rotate,
    /// A new key of the given algorithm.
    RotateTo(KeyAlgorithm),
}

/// Options of `resign`.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ResignOptions {
    /// Lifetime and notBefore rule.
    pub validity: ValidityPolicy,
    /// Keep or rotate the subject key.
    pub key: KeyPolicy,
    /// Replace keyUsage/extendedKeyUsage (and basicConstraints for `ca`) by a profile's, to
    /// repair a certificate that lacks, say, clientAuth. Other extensions stay.
    pub force_profile: Option<Profile>,
    /// Replace the subjectAltName (only when given).
    pub alt_names: Option<AltNames>,
    /// Add these names to the subjectAltName (those already there are not repeated; the
    /// existing ones stay byte for byte, in order). Empty: nothing added.
    pub add_alt_names: AltNames,
}

impl ResignOptions {
    /// The same options with this validity policy.
    pub fn with_validity(mut self, validity: ValidityPolicy) -> ResignOptions {
        self.validity = validity;
        self
    }

    /// The same options with this `notBefore` rule (the rest of the validity policy kept).
    pub fn with_not_before(mut self, not_before: crate::validity::NotBefore) -> ResignOptions {
        self.validity.not_before = not_before;
        self
    }

    /// The same options with this lifetime (the rest of the validity policy kept).
    pub fn with_lifetime(mut self, lifetime: std::time::Duration) -> ResignOptions {
        self.validity.lifetime = lifetime;
        self
    }

    /// The same options keeping or rotating the subject key.
    pub fn with_key(mut self, key: KeyPolicy) -> ResignOptions {
        self.key = key;
        self
    }

    /// The same options replacing keyUsage/extendedKeyUsage by `profile`'s.
    pub fn with_forced_profile(mut self, profile: Profile) -> ResignOptions {
        self.force_profile = Some(profile);
        self
    }

    /// The same options replacing the subjectAltName by `alt_names`.
    pub fn with_alt_names(mut self, alt_names: AltNames) -> ResignOptions {
        self.alt_names = Some(alt_names);
        self
    }

    /// The same options adding `alt_names` to the subjectAltName (names already present are
    /// not repeated).
    pub fn with_added_alt_names(mut self, alt_names: AltNames) -> ResignOptions {
        self.add_alt_names = alt_names;
        self
    }
}

/// A freshly signed certificate, with the new key when one was made.
#[derive(Clone, Debug)]
pub struct Signed {
    /// The new certificate.
    pub certificate: Certificate,
    /// The new private key, when the key was rotated or generated.
    pub key: Option<PrivateKey>,
    /// Adjustments made to keep the validity inside the CA's.
    pub clamps: Vec<Clamp>,
}

/// Re-signs `cert` with `issuer`, changing only serial, validity, issuer name, authority key
/// identifier and signature algorithm (plus SPKI and SKI when the key rotates, and what
/// `force_profile`/`alt_names` ask for). Subject, SPKI and every other extension, unknown ones
/// included, stay byte-identical.
///
/// ```
/// use kcertlib::{
///     IssueRequest, Issuer, KeyAlgorithm, PrivateKey, Profile, ResignOptions, ValidityPolicy,
///     issue, resign, self_signed_ca,
/// };
///
/// # fn main() -> kcertlib::Result<()> {
/// let ca_key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// let ca = self_signed_ca("CN=kubernetes", &ca_key, &ValidityPolicy::days(3650))?;
/// let issuer = Issuer::new(&ca, &ca_key)?;
/// let key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// let old = issue(&IssueRequest::new("CN=etcd", Profile::Etcd), &key.public_key_der()?, &issuer)?;
///
/// let new = resign(&old, &issuer, &ResignOptions::default())?.certificate;
/// assert_eq!(new.subject_der()?, old.subject_der()?);
/// assert_eq!(new.extensions().len(), old.extensions().len());
/// assert_ne!(new.serial(), old.serial());
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// `Validity` when the window is empty after clamping; `Crypto` on signing failure; `Der` when
/// the certificate's tbsCertificate cannot be split.
pub fn resign(cert: &Certificate, issuer: &Issuer<'_>, options: &ResignOptions) -> Result<Signed> {
    let self_signed = cert.as_der() == issuer.cert.as_der();
    let window_ca = if self_signed { None } else { Some(issuer.cert) };
    let validity = options.validity.resolve(Some(cert), window_ca)?;
    rebuild(cert, issuer.cert, issuer.signer, options, validity)
}

/// Extends a CA with its own key and subject: existing leaves (and service-account tokens
/// signed by the key) stay valid because the name and key do not change.
///
/// # Errors
/// `KeyMismatch` when `key` is not the CA's; `InvalidArgument` when asked to rotate the key
/// (that would orphan every certificate the CA signed); otherwise as `resign`.
pub fn self_resign_ca(
    ca: &Certificate,
    key: &PrivateKey,
    options: &ResignOptions,
) -> Result<Signed> {
    if options.key != KeyPolicy::Keep {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "a CA is extended with its own key; rotating it would invalidate every certificate it signed",
        ));
    }
    let issuer = Issuer::new(ca, key)?;
    if !ca.is_self_issued() {
        return Err(Error::new(
            ErrorKind::InvalidIssuer,
            format!(
                "{:?} is not self-issued; re-sign an intermediate CA with its parent instead",
                ca.subject()
            ),
        ));
    }
    resign(ca, &issuer, options)
}

fn rebuild(
    cert: &Certificate,
    ca: &Certificate,
    signer: &dyn Signer,
    options: &ResignOptions,
    validity: ResolvedValidity,
) -> Result<Signed> {
    let mut raw = cert.raw_tbs()?;
    let serial = random_serial()?;
    let algorithm = signer.algorithm_der();
    let validity_der = validity.to_der()?;
    raw.serial = &serial;
    raw.signature = &algorithm;
    raw.validity = &validity_der;
    // The issuer of a self-re-signed CA is its own subject: the same bytes either way.
    let ca_subject = ca.subject_der()?;
    raw.issuer = ca_subject;

    let mut replacements: Vec<EncodedExtension> = Vec::new();
    let mut removals = Vec::new();

    let new_key = match &options.key {
        KeyPolicy::Keep => None,
        KeyPolicy::Rotate => Some(PrivateKey::generate(&cert.public_key_algorithm())?),
        KeyPolicy::RotateTo(alg) => Some(PrivateKey::generate(alg)?),
    };
    let new_spki = match &new_key {
        Some(k) => Some(k.public_key_der()?),
        None => None,
    };
    if let Some(spki) = &new_spki {
        raw.spki = spki;
        if cert.subject_key_id().is_some() {
            replacements.push(profile::subject_key_identifier(spki)?.1);
        }
    }

    // The authority key identifier points at the CA's SKI; a CA without one gets no AKI.
    let is_self = ca.as_der() == cert.as_der();
    let ca_ski = if is_self {
        cert.subject_key_id()
    } else {
        ca.subject_key_id()
    };
    match ca_ski {
        Some(id) => replacements.push(profile::authority_key_identifier(&id)?),
        None => removals.push(rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER),
    }

    if let Some(p) = options.force_profile {
        for ext in p.extensions(&AltNames::default())? {
            replacements.push(ext);
        }
        if !p.is_ca() && cert.basic_constraints().is_some_and(|bc| bc.ca) {
            replacements.push(profile::basic_constraints(false)?);
        }
    }
    if let Some(names) = &options.alt_names {
        let names = names.merged(&options.add_alt_names);
        if names.is_empty() {
            removals.push(rfc5280::ID_CE_SUBJECT_ALT_NAME);
        } else {
            replacements.push(profile::subject_alt_name(&names)?);
        }
    } else if !options.add_alt_names.is_empty() {
        let san = rfc5280::ID_CE_SUBJECT_ALT_NAME.to_string();
        let old = cert.extensions().into_iter().find(|e| e.oid == san);
        if let Some(ext) = profile::extend_subject_alt_name(
            old.as_ref().map(|e| (e.value.as_slice(), e.critical)),
            &cert.alt_names(),
            &options.add_alt_names,
        )? {
            replacements.push(ext);
        }
    }

    splice_extensions(&mut raw, &replacements, &removals);
    // Every component is a validated certificate's or our own encoders': read on first use.
    let certificate = Certificate::from_signed(sign_tbs(raw, signer)?)?;
    Ok(Signed {
        certificate,
        key: new_key,
        clamps: validity.clamps,
    })
}

/// Replaces extensions in place (same position), appends new ones, drops removed ones.
fn splice_extensions<'a>(
    raw: &mut RawTbs<'a>,
    replacements: &'a [EncodedExtension],
    removals: &[const_oid::ObjectIdentifier],
) {
    if replacements.is_empty() && removals.is_empty() {
        return;
    }
    let mut exts: Vec<RawExtension<'a>> = raw.extensions.take().unwrap_or_default();
    exts.retain(|e| !removals.iter().any(|r| r.as_bytes() == e.oid));
    for rep in replacements {
        let new = RawExtension {
            oid: rep.oid.as_bytes(),
            raw: &rep.der,
        };
        match exts.iter_mut().find(|e| e.oid == new.oid) {
            Some(slot) => *slot = new,
            None => exts.push(new),
        }
    }
    raw.extensions = if exts.is_empty() { None } else { Some(exts) };
}

/// The `[0] EXPLICIT Version` field of a v3 tbsCertificate: `[0] { INTEGER 2 }`.
const VERSION_3: &[u8] = &[0xa0, 0x03, 0x02, 0x01, 0x02];

/// Signs `raw` and returns the certificate's DER.
///
/// RFC 5280 §4.1.2.1: a certificate with extensions MUST be v3. A v1 certificate (no version
/// field) or a v2 one that gains an extension here (the AKI pointing at its CA's SKI, a forced
/// profile, SANs) is therefore written as v3; one that still has no extension keeps its version
/// field exactly as it was, absent for v1.
fn sign_tbs(mut raw: RawTbs<'_>, signer: &dyn Signer) -> Result<Vec<u8>> {
    if raw.extensions.is_some() {
        raw.version = Some(VERSION_3);
    }
    let tbs = raw.encode();
    let signature = signer.sign(&tbs)?;
    Ok(tlv::certificate(&tbs, raw.signature, &signature))
}

/// A fresh serial: 16 random octets, always 16 content octets (see `serial::random`).
pub(crate) fn random_serial() -> Result<Vec<u8>> {
    serial::random(16, SerialShape::FullLength)
}

/// What a new certificate should say.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct IssueRequest {
    /// Subject as RFC 4514 text, e.g. `CN=system:node:node1,O=system:nodes`.
    pub subject: String,
    /// The extension template.
    pub profile: Profile,
    /// SANs (used by profiles that carry them: `etcd`, `api`).
    pub alt_names: AltNames,
    /// Lifetime and notBefore rule.
    pub validity: ValidityPolicy,
}

impl IssueRequest {
    /// A request with default validity and no SANs.
    pub fn new(subject: impl Into<String>, profile: Profile) -> IssueRequest {
        IssueRequest {
            subject: subject.into(),
            profile,
            alt_names: AltNames::default(),
            validity: ValidityPolicy::default(),
        }
    }

    /// The same request with these SANs.
    pub fn with_alt_names(mut self, alt_names: AltNames) -> IssueRequest {
        self.alt_names = alt_names;
        self
    }

    /// The same request with this validity policy.
    pub fn with_validity(mut self, validity: ValidityPolicy) -> IssueRequest {
        self.validity = validity;
        self
    }
}

/// Issues a new certificate for `public_key_der` (a DER SubjectPublicKeyInfo) signed by
/// `issuer`, with the profile's extensions plus SKI and AKI.
///
/// A [`Profile`] picks the extensions, as kubeadm sets them for that kind of certificate:
///
/// ```
/// use kcertlib::{
///     ExtendedKeyUsage, IssueRequest, Issuer, KeyAlgorithm, PrivateKey, Profile,
///     ValidityPolicy, issue, self_signed_ca,
/// };
///
/// # fn main() -> kcertlib::Result<()> {
/// let ca_key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// let ca = self_signed_ca("CN=kubernetes", &ca_key, &ValidityPolicy::days(3650))?;
/// let issuer = Issuer::new(&ca, &ca_key)?;
/// let key = PrivateKey::generate(&KeyAlgorithm::P256)?;
/// let request = IssueRequest::new("CN=system:node:node1,O=system:nodes", Profile::Client)
///     .with_validity(ValidityPolicy::days(365));
/// let cert = issue(&request, &key.public_key_der()?, &issuer)?;
/// assert_eq!(cert.extended_key_usage(), Some(vec![ExtendedKeyUsage::ClientAuth]));
/// assert!(!cert.is_ca() && key.matches(&cert));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// `InvalidArgument` for an unparsable subject; otherwise as `resign`.
pub fn issue(
    request: &IssueRequest,
    public_key_der: &[u8],
    issuer: &Issuer<'_>,
) -> Result<Certificate> {
    let validity = request.validity.resolve(None, Some(issuer.cert))?;
    let aki = match issuer.cert.subject_key_id() {
        Some(id) => Some(profile::authority_key_identifier(&id)?),
        None => None,
    };
    build_new(
        request,
        public_key_der,
        issuer.cert.subject_der()?,
        issuer.signer,
        &validity,
        aki,
    )
}

/// Creates a self-signed CA certificate for `key` with the `ca` profile.
///
/// # Errors
/// `InvalidArgument` for an unparsable subject; `Crypto` on signing failure.
pub fn self_signed_ca(
    subject: &str,
    key: &PrivateKey,
    validity: &ValidityPolicy,
) -> Result<Certificate> {
    let request = IssueRequest {
        subject: subject.to_string(),
        profile: Profile::Ca,
        alt_names: AltNames::default(),
        validity: *validity,
    };
    let resolved = validity.resolve(None, None)?;
    let spki = key.public_key_der()?;
    let subject_der = encode_name(subject)?;
    let (ski, _) = profile::subject_key_identifier(&spki)?;
    let aki = Some(profile::authority_key_identifier(&ski)?);
    build_new(&request, &spki, &subject_der, key, &resolved, aki)
}

fn build_new(
    request: &IssueRequest,
    spki: &[u8],
    issuer_name: &[u8],
    signer: &dyn Signer,
    validity: &ResolvedValidity,
    aki: Option<EncodedExtension>,
) -> Result<Certificate> {
    let subject = encode_name(&request.subject)?;
    let serial = random_serial()?;
    let validity_der = validity.to_der()?;
    let mut extensions = request.profile.extensions(&request.alt_names)?;
    extensions.push(profile::subject_key_identifier(spki)?.1);
    extensions.extend(aki);
    sign_new(
        &NewTbs {
            serial: &serial,
            subject: &subject,
            issuer: issuer_name,
            validity: &validity_der,
            spki,
            extensions: &extensions,
        },
        signer,
    )
}

/// The DER parts of a new v3 certificate (`issue` and the fixture builder, which chooses its
/// own serials and extension sets, both build one).
pub(crate) struct NewTbs<'a> {
    /// The serial, a DER INTEGER.
    pub serial: &'a [u8],
    /// The subject Name DER.
    pub subject: &'a [u8],
    /// The issuer Name DER (the CA's subject bytes).
    pub issuer: &'a [u8],
    /// The Validity DER.
    pub validity: &'a [u8],
    /// The SubjectPublicKeyInfo DER.
    pub spki: &'a [u8],
    /// The extensions, in order.
    pub extensions: &'a [EncodedExtension],
}

/// Assembles `parts` into a v3 tbsCertificate and signs it (without the `[3]` field when
/// `parts.extensions` is empty: RFC 5280 allows no empty extension list).
pub(crate) fn sign_new(parts: &NewTbs<'_>, signer: &dyn Signer) -> Result<Certificate> {
    let algorithm = signer.algorithm_der();
    let extensions = (!parts.extensions.is_empty()).then(|| {
        parts
            .extensions
            .iter()
            .map(|e| RawExtension {
                oid: e.oid.as_bytes(),
                raw: &e.der,
            })
            .collect()
    });
    let raw = RawTbs {
        version: Some(VERSION_3),
        serial: parts.serial,
        signature: &algorithm,
        issuer: parts.issuer,
        validity: parts.validity,
        subject: parts.subject,
        spki: parts.spki,
        issuer_uid: None,
        subject_uid: None,
        extensions,
    };
    // The subject text and the public key are the caller's: read the result now.
    Certificate::from_der_vec(sign_tbs(raw, signer)?)
}

/// Encodes an RFC 4514 subject (most specific first: `CN=...,O=...`) as a DER Name.
///
/// # Errors
/// `InvalidArgument` naming the text.
pub fn encode_name(subject: &str) -> Result<Vec<u8>> {
    x509_cert::name::Name::from_str(subject)
        .and_then(|n| n.to_der())
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "invalid subject {subject:?}: {e} (expected RFC 4514, e.g. CN=name,O=group)"
                ),
            )
        })
}
