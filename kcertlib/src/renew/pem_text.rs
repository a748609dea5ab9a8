//! Replacing PEM blocks inside a text while keeping every other byte: the chain after a leaf in
//! a k3s file, the key after the certificates in kubelet's pem, comments, line endings.
//!
//! Key material read or written here is wiped when dropped: decoded bodies (`Span::der`), the
//! replacement blocks, and every intermediate text. The texts passed in and the text returned
//! belong to the caller.

use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::pem;

/// Where one PEM block sits in a text, and what it holds.
#[derive(Clone, Debug)]
pub(super) struct Span {
    /// Byte offset of the `-----BEGIN` line.
    pub start: usize,
    /// Byte offset just past the `-----END` line and its line ending.
    pub end: usize,
    /// The label (`CERTIFICATE`, `EC PRIVATE KEY`, ...).
    pub label: String,
    /// The decoded body (wiped when dropped: it may be a key).
    pub der: Zeroizing<Vec<u8>>,
    /// The block's lines end in CRLF (as its BEGIN line does).
    crlf: bool,
    /// The END line had no line ending (end of text).
    unterminated: bool,
}

impl Span {
    /// Whether this is a certificate block.
    pub fn is_certificate(&self) -> bool {
        self.label == "CERTIFICATE"
    }

    /// Whether this is a private key block (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`).
    pub fn is_private_key(&self) -> bool {
        self.label.ends_with("PRIVATE KEY")
    }

    /// `replacement` (a PEM block ending in `\n`) adapted to this block's line endings, written
    /// once into a buffer large enough for it (no reallocation leaves a copy of a key behind).
    fn adapt(&self, replacement: &str) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(2 * replacement.len()));
        for line in replacement.split_inclusive('\n') {
            match line.strip_suffix('\n') {
                Some(body) if self.crlf => {
                    text.push_str(body.strip_suffix('\r').unwrap_or(body));
                    text.push_str("\r\n");
                }
                _ => text.push_str(line),
            }
        }
        if self.unterminated {
            let trimmed = text.trim_end_matches(['\r', '\n']).len();
            text.truncate(trimmed);
        }
        text
    }
}

/// Every PEM block of `text`, in order.
///
/// # Errors
/// `Pem` when a block has no END line or a body is not base64.
pub(super) fn spans(text: &str) -> Result<Vec<Span>> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String, bool)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\r', '\n']).trim();
        match &open {
            None => {
                if let Some(label) = marker(content, "-----BEGIN ") {
                    open = Some((start, label, line.ends_with("\r\n")));
                }
            }
            Some((begin, label, crlf)) => {
                if marker(content, "-----END ").as_deref() == Some(label.as_str()) {
                    let block = &text[*begin..offset];
                    let der = pem::blocks(block.as_bytes())?
                        .into_iter()
                        .next()
                        .map(|b| Zeroizing::new(b.into_der()))
                        .ok_or_else(|| {
                            Error::new(ErrorKind::Pem, format!("PEM block {label:?} is empty"))
                        })?;
                    out.push(Span {
                        start: *begin,
                        end: offset,
                        label: label.clone(),
                        der,
                        crlf: *crlf,
                        unterminated: !line.ends_with('\n'),
                    });
                    open = None;
                }
            }
        }
    }
    if let Some((_, label, _)) = open {
        return Err(Error::new(
            ErrorKind::Pem,
            format!("PEM block {label:?} has no END line"),
        ));
    }
    Ok(out)
}

/// Whether `text` holds a certificate block with exactly `der`.
pub(super) fn contains_certificate(text: &str, der: &[u8]) -> Result<bool> {
    Ok(spans(text)?
        .iter()
        .any(|s| s.is_certificate() && s.der.as_slice() == der))
}

/// Replaces every certificate block holding `old_der` by `new_der`; returns the new text and
/// how many blocks were replaced.
///
/// # Errors
/// `Pem` when the text's PEM is malformed.
pub(super) fn replace_certificate(
    text: &str,
    old_der: &[u8],
    new_der: &[u8],
) -> Result<(String, usize)> {
    let new_block = pem::encode("CERTIFICATE", new_der);
    let targets: Vec<Span> = spans(text)?
        .into_iter()
        .filter(|s| s.is_certificate() && s.der.as_slice() == old_der)
        .collect();
    Ok((
        splice(text, &targets, |s| s.adapt(&new_block)),
        targets.len(),
    ))
}

/// Replaces the first private key block by `new_key_pem`. The text returned holds the new key:
/// wiping it is the caller's business.
///
/// # Errors
/// `Pem` when the text's PEM is malformed; `InvalidKey` when it holds no private key block.
pub(super) fn replace_private_key(text: &str, new_key_pem: &str) -> Result<String> {
    let target = spans(text)?
        .into_iter()
        .find(Span::is_private_key)
        .ok_or_else(|| Error::new(ErrorKind::InvalidKey, "holds no private key block"))?;
    Ok(splice(text, std::slice::from_ref(&target), |s| {
        s.adapt(new_key_pem)
    }))
}

/// The text with each span (in order, not overlapping) replaced, built in one allocation of
/// the final size.
fn splice(
    text: &str,
    targets: &[Span],
    replacement: impl Fn(&Span) -> Zeroizing<String>,
) -> String {
    let replacements: Vec<Zeroizing<String>> = targets.iter().map(replacement).collect();
    let removed: usize = targets.iter().map(|s| s.end - s.start).sum();
    let added: usize = replacements.iter().map(|r| r.len()).sum();
    let mut out = String::with_capacity(text.len() - removed + added);
    let mut at = 0;
    for (span, new) in targets.iter().zip(&replacements) {
        out.push_str(&text[at..span.start]);
        out.push_str(new);
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

fn marker(line: &str, prefix: &str) -> Option<String> {
    line.strip_prefix(prefix)?
        .strip_suffix("-----")
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(label: &str, der: &[u8]) -> String {
        pem::encode(label, der)
    }

    #[test]
    fn replaces_only_the_matching_block_and_keeps_the_rest() {
        let text = format!(
            "# leaf then chain\n{}{}trailer\n",
            block("CERTIFICATE", b"leaf"),
            block("CERTIFICATE", b"ca")
        );
        let (out, n) = replace_certificate(&text, b"leaf", b"new leaf").expect("replace");
        assert_eq!(n, 1);
        assert_eq!(
            out,
            format!(
                "# leaf then chain\n{}{}trailer\n",
                block("CERTIFICATE", b"new leaf"),
                block("CERTIFICATE", b"ca")
            )
        );
    }

    #[test]
    fn keeps_crlf_and_a_missing_final_newline() {
        let text = block("CERTIFICATE", b"old").replace('\n', "\r\n");
        let text = text.trim_end().to_string();
        let (out, _) = replace_certificate(&text, b"old", b"new").expect("replace");
        let expected = block("CERTIFICATE", b"new").replace('\n', "\r\n");
        assert_eq!(out, expected.trim_end());
    }

    #[test]
    fn replaces_the_key_after_certificates() {
        let text = format!(
            "{}{}",
            block("CERTIFICATE", b"c"),
            block("EC PRIVATE KEY", b"k")
        );
        let out = replace_private_key(&text, &block("EC PRIVATE KEY", b"k2")).expect("key");
        assert_eq!(
            out,
            format!(
                "{}{}",
                block("CERTIFICATE", b"c"),
                block("EC PRIVATE KEY", b"k2")
            )
        );
        assert!(replace_private_key(&block("CERTIFICATE", b"c"), "x").is_err());
    }
}
