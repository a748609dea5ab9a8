//! Extension profiles for new certificates, from the field's conventions (kubeadm's certlist,
//! RKE's `GenerateSignedCertAndKey`, the seed's openssl sections):
//!
//! | profile          | keyUsage (critical)                      | extendedKeyUsage        | SAN | CA |
//! |------------------|------------------------------------------|-------------------------|-----|----|
//! | `client`         | digitalSignature, keyEncipherment        | clientAuth              | –   | –  |
//! | `apiproxyclient` | digitalSignature, keyEncipherment        | clientAuth, serverAuth  | –   | –  |
//! | `etcd`, `api`    | digitalSignature, keyEncipherment        | clientAuth, serverAuth  | yes | –  |
//! | `ca`             | digitalSignature, keyCertSign, cRLSign   | –                       | –   | basicConstraints critical CA:TRUE |

use std::fmt;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280;
use der::Encode;
use der::asn1::{Ia5String, OctetString};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints as X509BasicConstraints, ExtendedKeyUsage as X509Eku,
    SubjectAltName,
};

use crate::error::{Error, ErrorKind, Result};
use crate::extensions::{AltNames, ExtendedKeyUsage, KeyUsageBit};

/// A template of extensions for a kind of certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// A client certificate (kubeconfig users, apiserver-kubelet-client, ...).
    Client,
    /// A client that is also a server (front-proxy style; RKE's kube-apiserver-proxy-client).
    ApiProxyClient,
    /// An etcd member/peer/client certificate: client and server, with SANs.
    Etcd,
    /// An API server certificate: client and server, with SANs.
    Api,
    /// A certificate authority.
    Ca,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 5] = [
        Profile::Client,
        Profile::ApiProxyClient,
        Profile::Etcd,
        Profile::Api,
        Profile::Ca,
    ];

    /// `client`, `apiproxyclient`, `etcd`, `api` or `ca`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Client => "client",
            Profile::ApiProxyClient => "apiproxyclient",
            Profile::Etcd => "etcd",
            Profile::Api => "api",
            Profile::Ca => "ca",
        }
    }

    /// The profile with this name.
    ///
    /// # Errors
    /// `InvalidArgument` listing the valid names.
    pub fn parse(name: &str) -> Result<Profile> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "unknown profile {name:?}: use client, apiproxyclient, etcd, api or ca"
                    ),
                )
            })
    }

    /// The keyUsage bits (always marked critical).
    pub fn key_usage(self) -> Vec<KeyUsageBit> {
        match self {
            Profile::Ca => vec![
                KeyUsageBit::DigitalSignature,
                KeyUsageBit::KeyCertSign,
                KeyUsageBit::CrlSign,
            ],
            _ => vec![KeyUsageBit::DigitalSignature, KeyUsageBit::KeyEncipherment],
        }
    }

    /// The extendedKeyUsage purposes (empty for `ca`: no EKU extension).
    pub fn extended_key_usage(self) -> Vec<ExtendedKeyUsage> {
        match self {
            Profile::Client => vec![ExtendedKeyUsage::ClientAuth],
            Profile::ApiProxyClient | Profile::Etcd | Profile::Api => {
                vec![ExtendedKeyUsage::ClientAuth, ExtendedKeyUsage::ServerAuth]
            }
            Profile::Ca => vec![],
        }
    }

    /// Whether certificates of this profile carry subjectAltName.
    pub fn has_alt_names(self) -> bool {
        matches!(self, Profile::Etcd | Profile::Api)
    }

    /// Whether this is the CA profile.
    pub fn is_ca(self) -> bool {
        self == Profile::Ca
    }

    /// The profile's own extensions (basicConstraints for CAs, keyUsage, extendedKeyUsage and,
    /// when the profile has them and `alt_names` is not empty, subjectAltName), as DER Extensions.
    pub(crate) fn extensions(self, alt_names: &AltNames) -> Result<Vec<EncodedExtension>> {
        let mut out = Vec::new();
        if self.is_ca() {
            out.push(basic_constraints(true)?);
        }
        out.push(key_usage(&self.key_usage()));
        let eku = self.extended_key_usage();
        if !eku.is_empty() {
            out.push(extended_key_usage(&eku)?);
        }
        if self.has_alt_names() && !alt_names.is_empty() {
            out.push(subject_alt_name(alt_names)?);
        }
        Ok(out)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One DER Extension and its OID, ready to splice into a tbsCertificate.
#[derive(Clone, Debug)]
pub(crate) struct EncodedExtension {
    pub oid: ObjectIdentifier,
    pub der: Vec<u8>,
}

fn extension(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Result<EncodedExtension> {
    let ext = x509_cert::ext::Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).map_err(|e| encoding_failed(&oid, e))?,
    };
    let der = ext.to_der().map_err(|e| encoding_failed(&oid, e))?;
    Ok(EncodedExtension { oid, der })
}

fn encoding_failed(oid: &ObjectIdentifier, e: der::Error) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("cannot encode extension {oid}: {e}"),
    )
}

pub(crate) fn basic_constraints(ca: bool) -> Result<EncodedExtension> {
    let value = X509BasicConstraints {
        ca,
        path_len_constraint: None,
    }
    .to_der()
    .map_err(|e| encoding_failed(&rfc5280::ID_CE_BASIC_CONSTRAINTS, e))?;
    extension(rfc5280::ID_CE_BASIC_CONSTRAINTS, true, value)
}

/// keyUsage as a DER named-bit BIT STRING: bit 0 is the most significant bit of the first
/// octet, and trailing zero bits are dropped (X.690 §11.2.2).
pub(crate) fn key_usage(bits: &[KeyUsageBit]) -> EncodedExtension {
    let mut value: u16 = 0;
    for bit in bits {
        let index = KeyUsageBit::ALL.iter().position(|b| b == bit).unwrap_or(0);
        value |= 0x8000 >> index;
    }
    let bytes = value.to_be_bytes();
    let used = if value & 0x00ff != 0 {
        2
    } else if value != 0 {
        1
    } else {
        0
    };
    let unused = if used == 0 {
        0
    } else {
        (value.trailing_zeros() % 8) as u8
    };
    let mut bit_string = vec![0x03, (used + 1) as u8, unused];
    bit_string.extend_from_slice(&bytes[..used]);
    EncodedExtension {
        oid: rfc5280::ID_CE_KEY_USAGE,
        der: encode_raw_extension(rfc5280::ID_CE_KEY_USAGE, true, &bit_string),
    }
}

pub(crate) fn extended_key_usage(purposes: &[ExtendedKeyUsage]) -> Result<EncodedExtension> {
    let value = X509Eku(purposes.iter().map(ExtendedKeyUsage::oid).collect())
        .to_der()
        .map_err(|e| encoding_failed(&rfc5280::ID_CE_EXT_KEY_USAGE, e))?;
    extension(rfc5280::ID_CE_EXT_KEY_USAGE, false, value)
}

pub(crate) fn subject_alt_name(names: &AltNames) -> Result<EncodedExtension> {
    let ia5 = |s: &str| {
        Ia5String::new(s).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid subject alternative name {s:?}: {e}"),
            )
        })
    };
    let mut list = Vec::new();
    for d in &names.dns {
        list.push(GeneralName::DnsName(ia5(d)?));
    }
    for ip in &names.ips {
        list.push(GeneralName::from(*ip));
    }
    for u in &names.uris {
        list.push(GeneralName::UniformResourceIdentifier(ia5(u)?));
    }
    for e in &names.emails {
        list.push(GeneralName::Rfc822Name(ia5(e)?));
    }
    let value = SubjectAltName(list)
        .to_der()
        .map_err(|e| encoding_failed(&rfc5280::ID_CE_SUBJECT_ALT_NAME, e))?;
    extension(rfc5280::ID_CE_SUBJECT_ALT_NAME, false, value)
}

/// subjectKeyIdentifier by RFC 5280 §4.2.1.2 method 1 (SHA-1 of the subjectPublicKey bits),
/// as Go, OpenSSL and kubeadm compute it.
pub(crate) fn subject_key_identifier(spki_der: &[u8]) -> Result<(Vec<u8>, EncodedExtension)> {
    use der::Decode;
    use sha1::{Digest, Sha1};
    let info = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| Error::new(ErrorKind::Crypto, format!("public key: {e}")))?;
    let id = Sha1::digest(info.subject_public_key.raw_bytes()).to_vec();
    let value = OctetString::new(id.clone())
        .and_then(|o| o.to_der())
        .map_err(|e| encoding_failed(&rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER, e))?;
    Ok((
        id,
        extension(rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER, false, value)?,
    ))
}

pub(crate) fn authority_key_identifier(key_id: &[u8]) -> Result<EncodedExtension> {
    let value = AuthorityKeyIdentifier {
        key_identifier: Some(
            OctetString::new(key_id.to_vec())
                .map_err(|e| encoding_failed(&rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER, e))?,
        ),
        ..Default::default()
    }
    .to_der()
    .map_err(|e| encoding_failed(&rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER, e))?;
    extension(rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER, false, value)
}

/// subjectAltName `old` (the extnValue octets and critical flag of the certificate's own, or
/// `None`) extended by the names of `add` it does not hold yet: the old GeneralNames stay byte
/// for byte and in order (name types this crate does not model included), the new ones follow.
/// `None` when every name of `add` is already there. DNS names compare without regard to case.
///
/// # Errors
/// `InvalidArgument` for a name that cannot be an IA5String; `Crypto` when the old value is not
/// a DER SEQUENCE.
pub(crate) fn extend_subject_alt_name(
    old: Option<(&[u8], bool)>,
    present: &AltNames,
    add: &AltNames,
) -> Result<Option<EncodedExtension>> {
    let missing = add.missing_from(present);
    if missing.is_empty() {
        return Ok(None);
    }
    let added = subject_alt_name(&missing)?;
    let Some((old_value, critical)) = old else {
        return Ok(Some(added));
    };
    // The new names' GeneralNames, taken from the SEQUENCE inside the encoded extension.
    let added_value = <x509_cert::ext::Extension as der::Decode>::from_der(&added.der)
        .map_err(|e| encoding_failed(&rfc5280::ID_CE_SUBJECT_ALT_NAME, e))?
        .extn_value
        .into_bytes();
    let content = |value: &[u8]| -> Result<Vec<u8>> {
        let (tlv, rest) = crate::tlv::read(value)?;
        if tlv.tag != crate::tlv::SEQUENCE || !rest.is_empty() {
            return Err(Error::new(
                ErrorKind::Crypto,
                "subjectAltName is not one DER SEQUENCE",
            ));
        }
        Ok(tlv.content.to_vec())
    };
    let names = [content(old_value)?, content(&added_value)?].concat();
    let value = crate::tlv::wrap(crate::tlv::SEQUENCE, &[&names]);
    Ok(Some(EncodedExtension {
        oid: rfc5280::ID_CE_SUBJECT_ALT_NAME,
        der: encode_raw_extension(rfc5280::ID_CE_SUBJECT_ALT_NAME, critical, &value),
    }))
}

fn encode_raw_extension(oid: ObjectIdentifier, critical: bool, value: &[u8]) -> Vec<u8> {
    use crate::tlv::{OID, SEQUENCE, wrap};
    let oid_tlv = wrap(OID, &[oid.as_bytes()]);
    let octets = wrap(0x04, &[value]);
    if critical {
        wrap(SEQUENCE, &[&oid_tlv, &[0x01, 0x01, 0xff], &octets])
    } else {
        wrap(SEQUENCE, &[&oid_tlv, &octets])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;

    #[test]
    fn key_usage_encoding_matches_x509_cert_decoder() {
        for bits in [
            vec![KeyUsageBit::DigitalSignature, KeyUsageBit::KeyEncipherment],
            vec![
                KeyUsageBit::DigitalSignature,
                KeyUsageBit::KeyCertSign,
                KeyUsageBit::CrlSign,
            ],
            vec![KeyUsageBit::DecipherOnly],
            vec![KeyUsageBit::KeyCertSign],
        ] {
            let ext = key_usage(&bits);
            let parsed = x509_cert::ext::Extension::from_der(&ext.der).expect("extension decodes");
            assert!(parsed.critical);
            let ku = x509_cert::ext::pkix::KeyUsage::from_der(parsed.extn_value.as_bytes())
                .expect("strict DER decoder accepts our bit string");
            assert_eq!(KeyUsageBit::from_x509(&ku), bits);
        }
    }

    #[test]
    fn names_parse() {
        for p in Profile::ALL {
            assert_eq!(Profile::parse(p.name()).ok(), Some(p));
        }
        assert!(Profile::parse("server").is_err());
    }
}
