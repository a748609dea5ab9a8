//! A tolerant PEM splitter.
//!
//! `pem-rfc7468` is strict by design (one block, 64-column lines, no headers, nothing after the END
//! line), while the files found on cluster nodes are not: kubelet's pem holds certificates and a
//! key, k3s files hold chains, `openssl ecparam` puts an `EC PARAMETERS` block before the key,
//! people paste `openssl x509 -text` output above the block, and Windows editors add CRLF. This
//! module finds every `BEGIN`/`END` pair, keeps RFC 1421 headers (so encrypted legacy keys can be
//! recognised), and decodes bodies of any line width. Text outside blocks is ignored.
//!
//! `blocks` splits a buffer; `Reader` streams from any `BufRead` with memory bounded by the
//! largest block, and `Reader::for_each_certificate` walks a bundle's certificates as zero-copy
//! `CertificateView`s over one reused buffer. Both run the same line state machine. Certificate
//! bodies (public) are decoded by a fast SIMD decoder; every other label (keys) keeps the
//! constant-time `base64ct` decoder.

mod decode;
mod splitter;
mod stream;

use base64ct::{Base64, Encoding};

use crate::error::Result;
use splitter::Splitter;
pub use stream::Reader;

/// One decoded PEM block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PemBlock {
    /// The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE`, `RSA PRIVATE KEY`.
    pub label: String,
    /// RFC 1421 headers (`Proc-Type`, `DEK-Info`), in order; empty for modern PEM.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub der: Vec<u8>,
    /// 1-based line number of the `BEGIN` line, for error messages.
    pub line: usize,
}

impl PemBlock {
    /// Whether the RFC 1421 headers mark the body as encrypted (`Proc-Type: 4,ENCRYPTED`).
    pub fn is_legacy_encrypted(&self) -> bool {
        self.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("Proc-Type") && v.contains("ENCRYPTED"))
    }
}

/// Whether `input` looks like PEM text (it contains a `-----BEGIN ` line).
pub fn looks_like_pem(input: &[u8]) -> bool {
    find(input, b"-----BEGIN ").is_some()
}

/// Every PEM block in `input`, in order.
///
/// # Errors
/// `Pem` when a block has no matching `END` line or its body is not base64; the message names
/// the label and line.
pub fn blocks(input: &[u8]) -> Result<Vec<PemBlock>> {
    let mut out = Vec::new();
    let mut splitter = Splitter::default();
    for line in splitter::lines(input) {
        if splitter.feed(line)? {
            out.extend(splitter.take_block());
        }
    }
    splitter.finish()?;
    Ok(out)
}

/// Encodes `der` as a PEM block with 64-column lines and a trailing newline.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = Base64::encode_string(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // Base64 output is ASCII, so any chunk boundary is a char boundary.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_text_crlf_headers_and_widths() {
        let body = Base64::encode_string(&[7u8; 100]);
        let (a, b) = body.split_at(76);
        let text = format!(
            "Certificate:\r\n  junk: here\r\n-----BEGIN THING-----\r\nProc-Type: 4,ENCRYPTED\r\n\r\n{a}\r\n{b}\r\n-----END THING-----\r\n\r\n\r\ntrailer\n-----BEGIN OTHER-----\n{body}\n-----END OTHER-----"
        );
        let blocks = blocks(text.as_bytes()).expect("parses");
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].der, vec![7u8; 100]);
        assert!(blocks[0].is_legacy_encrypted());
        assert_eq!(blocks[1].label, "OTHER");
        assert!(!blocks[1].is_legacy_encrypted());
    }

    #[test]
    fn reports_missing_end_and_garbage() {
        let e = blocks(b"-----BEGIN CERTIFICATE-----\nAAAA\n").expect_err("no end");
        assert!(e.to_string().contains("no END line"), "{e}");
        let e = blocks(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
            .expect_err("garbage");
        assert!(e.to_string().contains("not valid base64"), "{e}");
    }

    #[test]
    fn encode_round_trips() {
        let der: Vec<u8> = (0..=255u8).collect();
        let pem = encode("CERTIFICATE", &der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert_eq!(blocks(pem.as_bytes()).expect("ok")[0].der, der);
    }
}
