//! A tolerant PEM splitter.
//!
//! `pem-rfc7468` is strict by design (one block, 64-column lines, no headers, nothing after the END
//! line), while the files found on cluster nodes are not: kubelet's pem holds certificates and a
//! key, k3s files hold chains, `openssl ecparam` puts an `EC PARAMETERS` block before the key,
//! people paste `openssl x509 -text` output above the block, and Windows editors add CRLF. This
//! module finds every `BEGIN`/`END` pair, keeps RFC 1421 headers (so encrypted legacy keys can be
//! recognised), and decodes bodies of any line width. Text outside blocks is ignored.
//!
//! `blocks` splits a buffer; `Reader` streams from any `BufRead` with memory bounded by one
//! block (at most `MAX_BLOCK_TEXT` bytes of text), and `Reader::for_each_certificate` walks a bundle's certificates as zero-copy
//! `CertificateView`s over one reused buffer. Both run the same line state machine. Certificate
//! bodies (public) are decoded by a fast SIMD decoder; every other label (keys) keeps the
//! constant-time `base64ct` decoder.

//!
//! ```
//! let text = b"notes\r\n-----BEGIN CERTIFICATE-----\r\nAQID\r\n-----END CERTIFICATE-----\r\n";
//! let blocks = kcertlib::pem::blocks(text)?;
//! assert_eq!((blocks[0].label.as_str(), blocks[0].line), ("CERTIFICATE", 2));
//! assert_eq!(blocks[0].der, [1, 2, 3]);
//! assert_eq!(
//!     kcertlib::pem::encode("CERTIFICATE", &[1, 2, 3]),
//!     "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n"
//! );
//! # Ok::<(), kcertlib::Error>(())
//! ```

mod decode;
mod splitter;
mod stream;

use base64ct::{Base64, Encoding};
use zeroize::Zeroize;

use crate::error::Result;
use splitter::Splitter;
pub use stream::Reader;

/// The most text one PEM block may hold: 1 MiB (1,048,576 bytes) of header and body lines,
/// whitespace and line endings included (about 760 KiB of DER).
///
/// A Kubernetes certificate is 1–4 KiB of PEM and one naming 1,000 hosts about 40 KiB; an
/// RSA-8192 private key is under 7 KiB. 1 MiB is 25 times the largest of those, and still keeps
/// what one block can make `pem::blocks` and `pem::Reader` hold (its text, then its DER) to a
/// few MiB. A block that reaches it (an endless body, a missing END line in a huge stream) is a
/// `Pem` error naming the line where the block began.
pub const MAX_BLOCK_TEXT: usize = 1 << 20;

/// One decoded PEM block. The body of a block that is not public (every label except
/// certificates, requests and CRLs: keys above all) is wiped when the block is dropped.
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
    /// The decoded body, moved out (a key's body is then the caller's to wipe: wrap it in
    /// `zeroize::Zeroizing`).
    pub fn into_der(mut self) -> Vec<u8> {
        std::mem::take(&mut self.der)
    }

    /// Whether the RFC 1421 headers mark the body as encrypted (`Proc-Type: 4,ENCRYPTED`).
    pub fn is_legacy_encrypted(&self) -> bool {
        self.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("Proc-Type") && v.contains("ENCRYPTED"))
    }
}

impl Drop for PemBlock {
    fn drop(&mut self) {
        if !decode::is_public_label(&self.label) {
            self.der.zeroize();
        }
    }
}

/// Whether `input` looks like PEM text (it contains a `-----BEGIN ` line).
pub fn looks_like_pem(input: &[u8]) -> bool {
    find(input, b"-----BEGIN ").is_some()
}

/// Every PEM block in `input`, in order.
///
/// # Errors
/// `Pem` when a block has no matching `END` line, its body is not base64, or it holds more than
/// `MAX_BLOCK_TEXT` bytes of text; the message names the label and line.
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
    // Wiped on drop: `der` may be a key (`PrivateKey::to_pem` wraps the result itself).
    let b64 = zeroize::Zeroizing::new(Base64::encode_string(der));
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
