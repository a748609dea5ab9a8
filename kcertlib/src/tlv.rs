//! Raw DER elements: split a TBSCertificate into its components and put one back together.
//!
//! A faithful re-sign must keep every byte it does not mean to change. Decoding into typed
//! structures and encoding again can normalise things (string types, time encodings, a
//! non-canonical BOOLEAN), so the re-sign works on the original element bytes and only encodes
//! the few elements it replaces.

use crate::error::{Error, ErrorKind, Result};

/// One DER element inside a larger buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet (only low-tag-number form occurs in certificates).
    pub tag: u8,
    /// The whole element: identifier, length and content.
    pub raw: &'a [u8],
    /// The content octets.
    pub content: &'a [u8],
}

/// A DER fault found while walking, as a static description: small enough that the walk's
/// `Result`s stay cheap to move. Becomes an `Error` of kind `Der` at the API edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Malformed(pub &'static str);

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Error {
        Error::new(ErrorKind::Der, format!("malformed DER: {}", m.0))
    }
}

/// The result of a step of a DER walk.
pub(crate) type Walk<T> = std::result::Result<T, Malformed>;

/// Reads the element at the start of `input`; returns it and the remaining bytes.
pub(crate) fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8])> {
    Ok(split(input)?)
}

/// `read` for walks: the same checks, with the thin error.
pub(crate) fn split(input: &[u8]) -> Walk<(Tlv<'_>, &[u8])> {
    let bad = Malformed;
    let [tag, first, rest @ ..] = input else {
        return Err(bad("truncated element (unexpected end of data)"));
    };
    let (tag, first) = (*tag, *first);
    if tag & 0x1f == 0x1f {
        return Err(bad("high tag numbers are not used in certificates"));
    }
    if !known_tag(tag) {
        return Err(bad("unknown universal tag"));
    }
    let mut rest = rest;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(bad("unsupported length encoding"));
        }
        if rest.len() < n {
            return Err(bad("truncated length"));
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        if len < 0x80 || rest[0] == 0 {
            return Err(bad("length is not in its shortest form"));
        }
        rest = &rest[n..];
        len
    };
    let header_len = input.len() - rest.len();
    if rest.len() < len {
        return Err(bad("element is longer than the data left (truncated)"));
    }
    let total = header_len + len;
    Ok((
        Tlv {
            tag,
            raw: &input[..total],
            content: &input[header_len..total],
        },
        &input[total..],
    ))
}

/// Whether `tag` is one DER decoders (the `der` crate) know: any non-universal tag, or a
/// universal type in its DER form (only SEQUENCE and SET constructed).
fn known_tag(tag: u8) -> bool {
    tag & 0xc0 != 0
        || matches!(
            tag,
            0x01..=0x06 | 0x09 | 0x0a | 0x0c | 0x0d | 0x12..=0x18 | 0x1a | 0x1b | 0x1e | 0x30 | 0x31
        )
}

/// Every element of a constructed element's content, in order.
pub(crate) fn children(content: &[u8]) -> Result<Vec<Tlv<'_>>> {
    Ok(Elements::new(content).collect::<Walk<_>>()?)
}

/// The elements of a constructed element's content, read one at a time without allocating.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Elements<'a> {
    rest: &'a [u8],
}

impl<'a> Elements<'a> {
    /// The elements of `content`.
    pub fn new(content: &'a [u8]) -> Elements<'a> {
        Elements { rest: content }
    }

    /// The next element, which must exist and carry `tag`; `what` is the error's text.
    pub fn field(&mut self, tag: u8, what: &'static str) -> Walk<Tlv<'a>> {
        self.optional(tag)?.ok_or(Malformed(what))
    }

    /// The next element if it carries `tag` (an OPTIONAL field); otherwise nothing is consumed.
    pub fn optional(&mut self, tag: u8) -> Walk<Option<Tlv<'a>>> {
        if self.rest.first() != Some(&tag) {
            return Ok(None);
        }
        let (tlv, rest) = split(self.rest)?;
        self.rest = rest;
        Ok(Some(tlv))
    }

    /// The next element, whatever its tag, which must exist; `what` is the error's text.
    pub fn any(&mut self, what: &'static str) -> Walk<Tlv<'a>> {
        self.next().unwrap_or(Err(Malformed(what)))
    }

    /// Succeeds when every element has been read; `what` is the error's text.
    pub fn finish(&self, what: &'static str) -> Walk<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Malformed(what))
        }
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Walk<Tlv<'a>>;

    fn next(&mut self) -> Option<Walk<Tlv<'a>>> {
        if self.rest.is_empty() {
            return None;
        }
        match split(self.rest) {
            Ok((tlv, rest)) => {
                self.rest = rest;
                Some(Ok(tlv))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Appends an identifier and a definite length.
pub(crate) fn write_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// An element with `tag` whose content is the concatenation of `parts`.
pub(crate) fn wrap(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(len + 6);
    write_header(&mut out, tag, len);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;
pub(crate) const BOOLEAN: u8 = 0x01;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OID: u8 = 0x06;
pub(crate) const UTC_TIME: u8 = 0x17;
pub(crate) const GENERALIZED_TIME: u8 = 0x18;

/// The fields of a TBSCertificate as elements, split and tag-checked without allocating.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TbsParts<'a> {
    pub version: Option<Tlv<'a>>,
    pub serial: Tlv<'a>,
    pub signature: Tlv<'a>,
    pub issuer: Tlv<'a>,
    pub validity: Tlv<'a>,
    pub subject: Tlv<'a>,
    pub spki: Tlv<'a>,
    pub issuer_uid: Option<Tlv<'a>>,
    pub subject_uid: Option<Tlv<'a>>,
    /// The `SEQUENCE OF Extension` inside the `[3]` field, when present.
    pub extensions: Option<Tlv<'a>>,
}

impl<'a> TbsParts<'a> {
    /// Splits the tbsCertificate element (tag included), checking each field's tag and order.
    pub fn parse(tbs: &'a [u8]) -> Walk<TbsParts<'a>> {
        let (outer, rest) = split(tbs)?;
        if outer.tag != SEQUENCE || !rest.is_empty() {
            return Err(Malformed("tbsCertificate is not one SEQUENCE"));
        }
        let mut items = Elements::new(outer.content);
        let version = items.optional(0xa0)?;
        let serial = items.field(INTEGER, "tbsCertificate has no serial number")?;
        let signature = items.field(SEQUENCE, "tbsCertificate has no signature algorithm")?;
        let issuer = items.field(SEQUENCE, "tbsCertificate has no issuer")?;
        let validity = items.field(SEQUENCE, "tbsCertificate has no validity")?;
        let subject = items.field(SEQUENCE, "tbsCertificate has no subject")?;
        let spki = items.field(SEQUENCE, "tbsCertificate has no subjectPublicKeyInfo")?;
        let issuer_uid = items.optional(0x81)?;
        let subject_uid = items.optional(0x82)?;
        let extensions = match items.optional(0xa3)? {
            Some(field) => {
                let (seq, rest) = split(field.content)?;
                if seq.tag != SEQUENCE || !rest.is_empty() {
                    return Err(Malformed("extensions are not one SEQUENCE"));
                }
                Some(seq)
            }
            None => None,
        };
        items.finish("unexpected element at the end of tbsCertificate")?;
        Ok(TbsParts {
            version,
            serial,
            signature,
            issuer,
            validity,
            subject,
            spki,
            issuer_uid,
            subject_uid,
            extensions,
        })
    }
}

/// The fields of one Extension element.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExtensionParts<'a> {
    /// The OID's content octets.
    pub oid: &'a [u8],
    /// The critical flag (`false` when absent).
    pub critical: bool,
    /// The extnValue octets.
    pub value: &'a [u8],
    /// The whole Extension element.
    pub raw: &'a [u8],
}

impl<'a> ExtensionParts<'a> {
    /// Splits one `Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue }`.
    pub fn parse(ext: Tlv<'a>) -> Walk<ExtensionParts<'a>> {
        if ext.tag != SEQUENCE {
            return Err(Malformed("extension is not a SEQUENCE"));
        }
        let mut items = Elements::new(ext.content);
        let oid = items.field(OID, "extension does not start with an OID")?;
        check_oid(oid.content)?;
        let critical = match items.optional(BOOLEAN)? {
            Some(flag) => boolean(flag.content)?,
            None => false,
        };
        let value = items.field(OCTET_STRING, "extension has no value")?;
        items.finish("unexpected data after an extension's value")?;
        Ok(ExtensionParts {
            oid: oid.content,
            critical,
            value: value.content,
            raw: ext.raw,
        })
    }
}

/// The algorithm OID's content octets and the key BIT STRING's content (unused-bits octet
/// first) of a `SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }`.
pub(crate) fn spki_key(der: &[u8]) -> Walk<(&[u8], &[u8])> {
    let bad = "subjectPublicKeyInfo is malformed";
    let (outer, rest) = split(der)?;
    if outer.tag != SEQUENCE || !rest.is_empty() {
        return Err(Malformed(bad));
    }
    let mut parts = Elements::new(outer.content);
    let algorithm = parts.field(SEQUENCE, bad)?;
    let key = parts.field(BIT_STRING, bad)?;
    parts.finish(bad)?;
    let mut fields = Elements::new(algorithm.content);
    let oid = fields.field(OID, bad)?;
    check_oid(oid.content)?;
    if let Some(parameters) = fields.next() {
        parameters?;
    }
    fields.finish(bad)?;
    Ok((oid.content, key.content))
}

/// Checks that OID content octets are what x509-cert accepts, by const-oid's rules: a first
/// octet below 120 (first arc 0–2), every later arc base-128 within 32 bits and terminated, at
/// most 39 octets. (Like const-oid, a redundant leading `0x80` in an arc is tolerated.)
pub(crate) fn check_oid(content: &[u8]) -> Walk<()> {
    let bad = Malformed("invalid OID");
    let [first, arcs @ ..] = content else {
        return Err(bad);
    };
    if *first >= 120 || content.len() > 39 {
        return Err(bad);
    }
    let mut arc: u32 = 0;
    for &b in arcs {
        arc = arc
            .checked_mul(0x80)
            .and_then(|a| a.checked_add(u32::from(b & 0x7f)))
            .ok_or(bad)?;
        if b & 0x80 == 0 {
            arc = 0;
        }
    }
    if arcs.last().is_some_and(|b| b & 0x80 != 0) {
        return Err(bad);
    }
    Ok(())
}

/// A DER BOOLEAN's value (only `0x00` and `0xff` are DER).
pub(crate) fn boolean(content: &[u8]) -> Walk<bool> {
    match content {
        [0x00] => Ok(false),
        [0xff] => Ok(true),
        _ => Err(Malformed("invalid BOOLEAN")),
    }
}

/// Checks that INTEGER content octets are DER (non-empty, no redundant leading octet).
pub(crate) fn check_integer(content: &[u8]) -> Walk<()> {
    match content {
        [] => Err(Malformed("empty INTEGER")),
        [0x00, next, ..] if next & 0x80 == 0 => Err(Malformed("INTEGER is not minimally encoded")),
        [0xff, next, ..] if next & 0x80 != 0 => Err(Malformed("INTEGER is not minimally encoded")),
        _ => Ok(()),
    }
}

/// The components of a TBSCertificate, as raw element bytes.
#[derive(Clone, Debug)]
pub(crate) struct RawTbs<'a> {
    pub version: Option<&'a [u8]>,
    pub serial: &'a [u8],
    pub signature: &'a [u8],
    pub issuer: &'a [u8],
    pub validity: &'a [u8],
    pub subject: &'a [u8],
    pub spki: &'a [u8],
    pub issuer_uid: Option<&'a [u8]>,
    pub subject_uid: Option<&'a [u8]>,
    /// Each Extension element, in order; `None` when the certificate has no `[3]` field.
    pub extensions: Option<Vec<RawExtension<'a>>>,
}

/// One Extension element with its identifier decoded for matching.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawExtension<'a> {
    /// The OID's content octets (compare with `ObjectIdentifier::as_bytes()`).
    pub oid: &'a [u8],
    /// The whole Extension element.
    pub raw: &'a [u8],
}

impl<'a> RawTbs<'a> {
    /// Splits the tbsCertificate element (tag included) of a certificate.
    pub fn parse(tbs: &'a [u8]) -> Result<RawTbs<'a>> {
        let parts = TbsParts::parse(tbs)?;
        let extensions = match parts.extensions {
            Some(seq) => Some(
                Elements::new(seq.content)
                    .map(|ext| {
                        let ext = ExtensionParts::parse(ext?)?;
                        Ok(RawExtension {
                            oid: ext.oid,
                            raw: ext.raw,
                        })
                    })
                    .collect::<Walk<Vec<_>>>()?,
            ),
            None => None,
        };
        Ok(RawTbs {
            version: parts.version.map(|t| t.raw),
            serial: parts.serial.raw,
            signature: parts.signature.raw,
            issuer: parts.issuer.raw,
            validity: parts.validity.raw,
            subject: parts.subject.raw,
            spki: parts.spki.raw,
            issuer_uid: parts.issuer_uid.map(|t| t.raw),
            subject_uid: parts.subject_uid.map(|t| t.raw),
            extensions,
        })
    }

    /// Encodes the tbsCertificate again from its (possibly replaced) components.
    pub fn encode(&self) -> Vec<u8> {
        let ext_field = self.extensions.as_ref().map(|exts| {
            let parts: Vec<&[u8]> = exts.iter().map(|e| e.raw).collect();
            let seq = wrap(SEQUENCE, &parts);
            wrap(0xa3, &[&seq])
        });
        let mut parts: Vec<&[u8]> = Vec::with_capacity(10);
        parts.extend(self.version);
        parts.extend([
            self.serial,
            self.signature,
            self.issuer,
            self.validity,
            self.subject,
            self.spki,
        ]);
        parts.extend(self.issuer_uid);
        parts.extend(self.subject_uid);
        if let Some(f) = &ext_field {
            parts.push(f);
        }
        wrap(SEQUENCE, &parts)
    }
}

/// Assembles a signed certificate: `SEQUENCE { tbs, algorithm, BIT STRING signature }`.
pub(crate) fn certificate(tbs: &[u8], algorithm: &[u8], signature: &[u8]) -> Vec<u8> {
    let bits = wrap(BIT_STRING, &[&[0u8], signature]);
    wrap(SEQUENCE, &[tbs, algorithm, &bits])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lengths_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 65_535, 70_000] {
            let content = vec![0u8; len];
            let enc = wrap(0x04, &[&content]);
            let (tlv, rest) = read(&enc).expect("reads");
            assert!(rest.is_empty());
            assert_eq!(tlv.content.len(), len);
        }
    }

    #[test]
    fn non_minimal_lengths_are_rejected() {
        assert!(read(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]).is_err());
        assert!(read(&[0x04, 0x82, 0x00, 0x80]).is_err());
        assert!(read(&[0x04, 0x81, 0x80]).is_err(), "truncated anyway");
    }

    #[test]
    fn elements_and_primitives() {
        let seq = wrap(SEQUENCE, &[&[0x02, 0x01, 0x05], &[0x01, 0x01, 0xff]]);
        let (outer, _) = read(&seq).expect("reads");
        let mut items = Elements::new(outer.content);
        assert!(items.optional(BOOLEAN).expect("ok").is_none());
        assert_eq!(items.field(INTEGER, "n").expect("int").content, [5]);
        assert!(items.finish("x").is_err());
        assert!(items.field(INTEGER, "n").is_err());
        assert!(boolean(items.field(BOOLEAN, "b").expect("b").content).expect("bool"));
        assert!(items.finish("x").is_ok());
        assert!(check_integer(&[0x00, 0x7f]).is_err());
        assert!(check_integer(&[0x00, 0x80]).is_ok());
        assert!(check_integer(&[0xff, 0x80]).is_err());
        assert!(check_integer(&[]).is_err());
        assert!(check_oid(&[0x55, 0x04, 0x03]).is_ok());
        assert!(check_oid(&[0x55, 0x84]).is_err());
        assert!(
            check_oid(&[0x55, 0x90, 0x80, 0x80, 0x80, 0x00]).is_err(),
            "arc > 32 bits"
        );
        assert!(
            read(&[0x1c, 0x00]).is_err(),
            "UniversalString is not DER-known here"
        );
        assert!(read(&[0x2c, 0x00]).is_err(), "constructed UTF8String");
        assert!(read(&[0xa0, 0x00]).is_ok());
        assert!(check_oid(&[]).is_err());
        assert!(boolean(&[0x01]).is_err());
    }

    #[test]
    fn truncation_is_an_error() {
        let enc = wrap(SEQUENCE, &[&[1, 2, 3, 4]]);
        assert!(read(&enc[..enc.len() - 1]).is_err());
        assert!(read(&[]).is_err());
        assert!(read(&[0x30, 0x84, 1]).is_err());
    }
}
