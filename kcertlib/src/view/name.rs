//! Distinguished names read straight from their DER: validation, RFC 4514 text and attributes.
//! `Certificate` and `CertificateView` both format names here, so their strings are identical.

use const_oid::ObjectIdentifier;

use crate::cert::{NameAttribute, hex};
use crate::tlv::{self, Elements, Malformed, OID, SEQUENCE, SET, Tlv, Walk};

/// Checks a Name element: `SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }`; `what` is
/// the error's text (`issuer name is malformed`).
pub(crate) fn validate(name: &[u8], what: &'static str) -> Walk<()> {
    let bad = Malformed(what);
    let (outer, rest) = tlv::split(name)?;
    if outer.tag != SEQUENCE || !rest.is_empty() {
        return Err(bad);
    }
    for rdn in Elements::new(outer.content) {
        let rdn = rdn?;
        if rdn.tag != SET {
            return Err(bad);
        }
        for atv in Elements::new(rdn.content) {
            let atv = atv?;
            if atv.tag != SEQUENCE {
                return Err(bad);
            }
            let mut fields = Elements::new(atv.content);
            tlv::check_oid(fields.field(OID, what)?.content)?;
            fields.any(what)?;
            fields.finish(what)?;
        }
    }
    Ok(())
}

/// RFC 4514 text: RDNs most specific first, multi-valued RDNs joined by `+`, special characters
/// escaped, OpenSSL's short names (`emailAddress`, not x509-cert's `EMAIL`). Malformed parts of
/// an unvalidated name are left out.
pub(crate) fn rfc4514(name: &[u8]) -> String {
    let mut rdns: Vec<String> = Vec::with_capacity(4);
    for_each_rdn(name, |rdn| {
        let mut text = String::new();
        for (i, (oid, value)) in attributes_of(rdn).enumerate() {
            if i > 0 {
                text.push('+');
            }
            text.push_str(&key_of(oid));
            text.push('=');
            let value_text = attribute_text(value);
            if value_text.starts_with('#') && !is_string_tag(value.tag) {
                text.push_str(&value_text);
            } else {
                escape_rfc4514(&value_text, &mut text);
            }
        }
        rdns.push(text);
    });
    rdns.reverse();
    rdns.join(",")
}

/// The attributes in encoding order (least specific first, as in the DER).
pub(crate) fn attributes(name: &[u8]) -> Vec<NameAttribute> {
    let mut out = Vec::new();
    for_each_rdn(name, |rdn| {
        for (oid, value) in attributes_of(rdn) {
            let dotted = dotted(oid);
            out.push(NameAttribute {
                key: short_name(oid).map_or_else(|| dotted.clone(), str::to_string),
                oid: dotted,
                value: attribute_text(value),
            });
        }
    });
    out
}

/// The value of the last `CN` attribute in encoding order (the most specific one).
pub(crate) fn common_name(name: &[u8]) -> Option<String> {
    let cn = const_oid::db::rfc4519::COMMON_NAME;
    let mut found = None;
    for_each_rdn(name, |rdn| {
        for (oid, value) in attributes_of(rdn) {
            if oid == cn.as_bytes() {
                found = Some(value);
            }
        }
    });
    found.map(attribute_text)
}

/// Calls `f` with the content of each RDN (a SET) in encoding order.
fn for_each_rdn<'a>(name: &'a [u8], mut f: impl FnMut(&'a [u8])) {
    let Ok((outer, _)) = tlv::split(name) else {
        return;
    };
    for rdn in Elements::new(outer.content).map_while(Result::ok) {
        f(rdn.content);
    }
}

/// The (type OID content, value element) pairs of one RDN.
fn attributes_of(rdn: &[u8]) -> impl Iterator<Item = (&[u8], Tlv<'_>)> {
    Elements::new(rdn).map_while(Result::ok).filter_map(|atv| {
        let mut fields = Elements::new(atv.content);
        let oid = fields.field(OID, "attribute type").ok()?;
        let value = fields.next()?.ok()?;
        Some((oid.content, value))
    })
}

fn key_of(oid: &[u8]) -> String {
    short_name(oid).map_or_else(|| dotted(oid), str::to_string)
}

pub(crate) fn dotted(oid: &[u8]) -> String {
    ObjectIdentifier::from_bytes(oid).map_or_else(|_| format!("#{}", hex(oid)), |o| o.to_string())
}

fn escape_rfc4514(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
}

const UTF8_STRING: u8 = 0x0c;
const PRINTABLE_STRING: u8 = 0x13;
const TELETEX_STRING: u8 = 0x14;
const IA5_STRING: u8 = 0x16;
const VISIBLE_STRING: u8 = 0x1a;
const BMP_STRING: u8 = 0x1e;

fn is_string_tag(tag: u8) -> bool {
    matches!(
        tag,
        UTF8_STRING | PRINTABLE_STRING | IA5_STRING | TELETEX_STRING | VISIBLE_STRING | BMP_STRING
    )
}

fn short_name(oid: &[u8]) -> Option<&'static str> {
    use const_oid::db::{rfc2256, rfc3280, rfc4519};
    const NAMES: [(ObjectIdentifier, &str); 10] = [
        (rfc4519::COMMON_NAME, "CN"),
        (rfc4519::ORGANIZATION_NAME, "O"),
        (rfc4519::ORGANIZATIONAL_UNIT_NAME, "OU"),
        (rfc4519::COUNTRY_NAME, "C"),
        (rfc2256::STATE_OR_PROVINCE_NAME, "ST"),
        (rfc4519::LOCALITY_NAME, "L"),
        (rfc4519::SERIAL_NUMBER, "serialNumber"),
        (rfc3280::EMAIL_ADDRESS, "emailAddress"),
        (rfc4519::DC, "DC"),
        (rfc4519::UID, "UID"),
    ];
    NAMES
        .iter()
        .find(|(known, _)| known.as_bytes() == oid)
        .map(|(_, name)| *name)
}

/// A value as text: strings decoded, anything else as `#` and the hex of its DER.
fn attribute_text(value: Tlv<'_>) -> String {
    match value.tag {
        UTF8_STRING | PRINTABLE_STRING | IA5_STRING | TELETEX_STRING | VISIBLE_STRING => {
            String::from_utf8_lossy(value.content).into_owned()
        }
        BMP_STRING => {
            let units: Vec<u16> = value
                .content
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => format!("#{}", hex(value.raw)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::wrap;

    fn atv(oid: &[u8], tag: u8, value: &[u8]) -> Vec<u8> {
        wrap(SEQUENCE, &[&wrap(OID, &[oid]), &wrap(tag, &[value])])
    }

    #[test]
    fn formats_escapes_and_multi_valued_rdns() {
        let cn = atv(&[0x55, 0x04, 0x03], UTF8_STRING, b"#a,b ");
        let o1 = atv(&[0x55, 0x04, 0x0a], PRINTABLE_STRING, b"system:masters");
        let o2 = atv(&[0x55, 0x04, 0x0b], PRINTABLE_STRING, b"x");
        let odd = atv(&[0x2a, 0x03], 0x02, &[0x01]);
        let name = wrap(
            SEQUENCE,
            &[
                &wrap(SET, &[&o1, &o2]),
                &wrap(SET, &[&odd]),
                &wrap(SET, &[&cn]),
            ],
        );
        validate(&name, "bad subject").expect("valid");
        assert_eq!(
            rfc4514(&name),
            "CN=\\#a\\,b\\ ,1.2.3=#020101,O=system:masters+OU=x"
        );
        assert_eq!(common_name(&name).as_deref(), Some("#a,b "));
        let attrs = attributes(&name);
        assert_eq!(attrs.len(), 4);
        assert_eq!(
            (attrs[3].key.as_str(), attrs[3].oid.as_str()),
            ("CN", "2.5.4.3")
        );
        assert!(validate(&wrap(SEQUENCE, &[&wrap(SEQUENCE, &[])]), "bad").is_err());
        assert!(validate(&wrap(SET, &[]), "bad").is_err());
        assert_eq!(rfc4514(&wrap(SEQUENCE, &[])), "");
    }
}
