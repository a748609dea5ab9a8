//! The extensions an inventory reads, decoded from their extnValue octets: subjectAltName,
//! basicConstraints, subjectKeyIdentifier and authorityKeyIdentifier. As with `Certificate`, a
//! malformed value reads as absent (`None`), never as an error of the whole certificate.

use std::net::IpAddr;

use der::Decode;
use x509_cert::ext::pkix::name::EdiPartyName;

use crate::extensions::{AltNames, BasicConstraints};
use crate::tlv::{self, BOOLEAN, Elements, INTEGER, OCTET_STRING, SEQUENCE};

const OTHER_NAME: u8 = 0xa0;
const RFC822_NAME: u8 = 0x81;
const DNS_NAME: u8 = 0x82;
const X400_ADDRESS: u8 = 0xa3;
const DIRECTORY_NAME: u8 = 0xa4;
const EDI_PARTY_NAME: u8 = 0xa5;
const URI: u8 = 0x86;
const IP_ADDRESS: u8 = 0x87;
const REGISTERED_ID: u8 = 0x88;

/// The content of a valid `GeneralNames` SEQUENCE in a subjectAltName value, or `None`.
pub(crate) fn general_names(value: &[u8]) -> Option<&[u8]> {
    let (seq, rest) = tlv::split(value).ok()?;
    if seq.tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    check_general_names(seq.content).ok().map(|()| seq.content)
}

/// Checks every GeneralName of a `GeneralNames` content.
fn check_general_names(content: &[u8]) -> std::result::Result<(), ()> {
    for name in Elements::new(content) {
        let name = name.map_err(drop)?;
        match name.tag {
            RFC822_NAME | DNS_NAME | URI if !name.content.is_ascii() => return Err(()),
            RFC822_NAME | DNS_NAME | URI | IP_ADDRESS => {}
            REGISTERED_ID => tlv::check_oid(name.content).map_err(drop)?,
            OTHER_NAME => {
                let mut fields = Elements::new(name.content);
                let oid = fields.field(tlv::OID, "").map_err(drop)?;
                tlv::check_oid(oid.content).map_err(drop)?;
                let value = fields.field(0xa0, "").map_err(drop)?;
                fields.finish("").map_err(drop)?;
                // [0] EXPLICIT: exactly one element inside.
                let (_, rest) = tlv::split(value.content).map_err(drop)?;
                if !rest.is_empty() {
                    return Err(());
                }
            }
            // As Certificate reads it: x509-cert decodes the [5] IMPLICIT SEQUENCE (its
            // DirectoryStrings checked) ...
            EDI_PARTY_NAME => {
                let mut sequence = name.raw.to_vec();
                sequence[0] = SEQUENCE;
                EdiPartyName::from_der(&sequence).map_err(drop)?;
            }
            // ... and has no x400Address, so a SAN holding one reads as absent.
            X400_ADDRESS => return Err(()),
            DIRECTORY_NAME => {
                let (inner, rest) = tlv::split(name.content).map_err(drop)?;
                if !rest.is_empty() {
                    return Err(());
                }
                super::name::validate(inner.raw, "").map_err(drop)?;
            }
            _ => return Err(()),
        }
    }
    Ok(())
}

/// The dNSName entries of validated `GeneralNames` content, in order.
pub(crate) fn dns_names(names: &[u8]) -> impl Iterator<Item = &str> {
    of_kind(names, DNS_NAME).filter_map(|v| std::str::from_utf8(v).ok())
}

/// The iPAddress entries (4 or 16 octets; others are skipped) of validated content, in order.
pub(crate) fn ip_addresses(names: &[u8]) -> impl Iterator<Item = IpAddr> {
    of_kind(names, IP_ADDRESS).filter_map(|v| match v.len() {
        4 => <[u8; 4]>::try_from(v).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(v).ok().map(IpAddr::from),
        _ => None,
    })
}

/// Every name kind `AltNames` models, from validated content.
pub(crate) fn alt_names(names: &[u8]) -> AltNames {
    let text = |tag| {
        of_kind(names, tag)
            .filter_map(|v| std::str::from_utf8(v).ok().map(str::to_string))
            .collect()
    };
    AltNames {
        dns: text(DNS_NAME),
        ips: ip_addresses(names).collect(),
        uris: text(URI),
        emails: text(RFC822_NAME),
    }
}

fn of_kind(names: &[u8], tag: u8) -> impl Iterator<Item = &[u8]> {
    Elements::new(names)
        .map_while(std::result::Result::ok)
        .filter(move |n| n.tag == tag)
        .map(|n| n.content)
}

/// A basicConstraints value: `SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }`.
pub(crate) fn basic_constraints(value: &[u8]) -> Option<BasicConstraints> {
    let (seq, rest) = tlv::split(value).ok()?;
    if seq.tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    let mut fields = Elements::new(seq.content);
    let ca = match fields.optional(BOOLEAN).ok()? {
        Some(flag) => tlv::boolean(flag.content).ok()?,
        None => false,
    };
    let path_len = match fields.optional(INTEGER).ok()? {
        Some(n) => Some(small_unsigned(n.content)?),
        None => None,
    };
    fields.finish("").ok()?;
    Some(BasicConstraints { ca, path_len })
}

/// A subjectKeyIdentifier value: one OCTET STRING.
pub(crate) fn subject_key_id(value: &[u8]) -> Option<&[u8]> {
    let (octets, rest) = tlv::split(value).ok()?;
    (octets.tag == OCTET_STRING && rest.is_empty()).then_some(octets.content)
}

/// The keyIdentifier of an authorityKeyIdentifier value (`None` when the value is malformed or
/// has no keyIdentifier).
pub(crate) fn authority_key_id(value: &[u8]) -> Option<&[u8]> {
    let (seq, rest) = tlv::split(value).ok()?;
    if seq.tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    let mut fields = Elements::new(seq.content);
    let key_id = fields.optional(0x80).ok()?;
    if let Some(issuer) = fields.optional(0xa1).ok()? {
        check_general_names(issuer.content).ok()?;
    }
    if let Some(serial) = fields.optional(0x82).ok()? {
        tlv::check_integer(serial.content).ok()?;
    }
    fields.finish("").ok()?;
    key_id.map(|k| k.content)
}

/// An INTEGER that fits a `u8` (pathLenConstraint).
fn small_unsigned(content: &[u8]) -> Option<u8> {
    tlv::check_integer(content).ok()?;
    match content {
        [n] if n & 0x80 == 0 => Some(*n),
        [0x00, n] => Some(*n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::wrap;

    #[test]
    fn decodes_and_rejects() {
        let san = wrap(
            SEQUENCE,
            &[
                &wrap(DNS_NAME, &[b"a.example"]),
                &wrap(IP_ADDRESS, &[&[10, 0, 0, 1]]),
                &wrap(IP_ADDRESS, &[&[1, 2, 3]]),
                &wrap(URI, &[b"spiffe://x"]),
            ],
        );
        let names = general_names(&san).expect("valid");
        assert_eq!(dns_names(names).collect::<Vec<_>>(), ["a.example"]);
        assert_eq!(ip_addresses(names).count(), 1);
        assert_eq!(alt_names(names).uris, ["spiffe://x"]);
        let bad = wrap(SEQUENCE, &[&wrap(DNS_NAME, &["é".as_bytes()])]);
        assert!(general_names(&bad).is_none());
        let bad = wrap(SEQUENCE, &[&wrap(0x89, &[b"x"])]);
        assert!(general_names(&bad).is_none());

        let bc = wrap(SEQUENCE, &[&[0x01, 0x01, 0xff], &[0x02, 0x02, 0x00, 0xff]]);
        assert_eq!(
            basic_constraints(&bc),
            Some(BasicConstraints {
                ca: true,
                path_len: Some(255)
            })
        );
        assert!(basic_constraints(&wrap(SEQUENCE, &[&[0x02, 0x02, 0x01, 0x00]])).is_none());
        assert!(basic_constraints(&wrap(SEQUENCE, &[&[0x01, 0x01, 0x01]])).is_none());
        assert_eq!(
            basic_constraints(&wrap(SEQUENCE, &[])).map(|b| b.ca),
            Some(false)
        );
        assert_eq!(
            subject_key_id(&wrap(OCTET_STRING, &[&[1, 2]])),
            Some(&[1u8, 2][..])
        );
        let aki = wrap(SEQUENCE, &[&wrap(0x80, &[&[7, 8]])]);
        assert_eq!(authority_key_id(&aki), Some(&[7u8, 8][..]));
        assert_eq!(authority_key_id(&wrap(SEQUENCE, &[])), None);
    }

    /// The kinds the view does not report are still judged as `Certificate` judges them: a SAN
    /// with a name x509-cert cannot decode reads as absent in both.
    #[test]
    fn unreported_name_kinds_are_checked_as_x509_cert_checks_them() {
        let san = |name: &[u8]| wrap(SEQUENCE, &[&wrap(DNS_NAME, &[b"a.example"]), name]);
        let utf8 = |text: &[u8]| wrap(0x0c, &[text]);
        let edi = wrap(EDI_PARTY_NAME, &[&wrap(0xa1, &[&utf8(b"party")])]);
        assert!(general_names(&san(&edi)).is_some());
        let edi_garbage = wrap(EDI_PARTY_NAME, &[&[0xc0, 0x00, 0x02, 0x0a]]);
        assert!(general_names(&san(&edi_garbage)).is_none());
        let edi_bad_utf8 = wrap(EDI_PARTY_NAME, &[&wrap(0xa1, &[&utf8(&[0xff])])]);
        assert!(general_names(&san(&edi_bad_utf8)).is_none());
        assert!(general_names(&san(&wrap(X400_ADDRESS, &[&wrap(SEQUENCE, &[])]))).is_none());
        let other = |value: &[&[u8]]| {
            wrap(
                OTHER_NAME,
                &[&[0x06, 0x03, 0x2a, 0x03, 0x04], &wrap(0xa0, value)],
            )
        };
        assert!(general_names(&san(&other(&[&utf8(b"x")]))).is_some());
        assert!(general_names(&san(&other(&[&utf8(b"x"), &utf8(b"y")]))).is_none());
        assert!(general_names(&san(&other(&[]))).is_none());
    }
}
