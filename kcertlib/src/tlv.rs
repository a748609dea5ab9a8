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

/// Reads the element at the start of `input`; returns it and the remaining bytes.
pub(crate) fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8])> {
    let bad = |why: &str| Error::new(ErrorKind::Der, format!("malformed DER: {why}"));
    let (&tag, rest) = input
        .split_first()
        .ok_or_else(|| bad("unexpected end of data"))?;
    if tag & 0x1f == 0x1f {
        return Err(bad("high tag numbers are not used in certificates"));
    }
    let (&first, mut rest) = rest.split_first().ok_or_else(|| bad("missing length"))?;
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
        rest = &rest[n..];
        len
    };
    let header_len = input.len() - rest.len();
    if rest.len() < len {
        return Err(bad(&format!(
            "element needs {len} content bytes but only {} remain (truncated)",
            rest.len()
        )));
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

/// Every element of a constructed element's content, in order.
pub(crate) fn children(content: &[u8]) -> Result<Vec<Tlv<'_>>> {
    let mut out = Vec::with_capacity(10);
    let mut rest = content;
    while !rest.is_empty() {
        let (tlv, next) = read(rest)?;
        out.push(tlv);
        rest = next;
    }
    Ok(out)
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
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OID: u8 = 0x06;

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
        let (outer, rest) = read(tbs)?;
        if outer.tag != SEQUENCE || !rest.is_empty() {
            return Err(Error::new(
                ErrorKind::Der,
                "tbsCertificate is not one SEQUENCE",
            ));
        }
        let mut items = children(outer.content)?.into_iter().peekable();
        let mut take = |what: &str| {
            items
                .next()
                .map(|t| t.raw)
                .ok_or_else(|| Error::new(ErrorKind::Der, format!("tbsCertificate has no {what}")))
        };
        let first = take("serial number")?;
        let (version, serial) = if first.first() == Some(&0xa0) {
            (Some(first), take("serial number")?)
        } else {
            (None, first)
        };
        let signature = take("signature algorithm")?;
        let issuer = take("issuer")?;
        let validity = take("validity")?;
        let subject = take("subject")?;
        let spki = take("subjectPublicKeyInfo")?;
        let mut raw = RawTbs {
            version,
            serial,
            signature,
            issuer,
            validity,
            subject,
            spki,
            issuer_uid: None,
            subject_uid: None,
            extensions: None,
        };
        for item in items {
            match item.tag {
                0x81 => raw.issuer_uid = Some(item.raw),
                0x82 => raw.subject_uid = Some(item.raw),
                0xa3 => {
                    let (seq, rest) = read(item.content)?;
                    if seq.tag != SEQUENCE || !rest.is_empty() {
                        return Err(Error::new(
                            ErrorKind::Der,
                            "extensions are not one SEQUENCE",
                        ));
                    }
                    let mut exts = Vec::new();
                    for ext in children(seq.content)? {
                        let (oid, _) = read(ext.content)?;
                        if oid.tag != OID {
                            return Err(Error::new(
                                ErrorKind::Der,
                                "extension does not start with an OID",
                            ));
                        }
                        exts.push(RawExtension {
                            oid: oid.content,
                            raw: ext.raw,
                        });
                    }
                    raw.extensions = Some(exts);
                }
                other => {
                    return Err(Error::new(
                        ErrorKind::Der,
                        format!("unexpected element with tag 0x{other:02x} in tbsCertificate"),
                    ));
                }
            }
        }
        Ok(raw)
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
    fn truncation_is_an_error() {
        let enc = wrap(SEQUENCE, &[&[1, 2, 3, 4]]);
        assert!(read(&enc[..enc.len() - 1]).is_err());
        assert!(read(&[]).is_err());
        assert!(read(&[0x30, 0x84, 1]).is_err());
    }
}
