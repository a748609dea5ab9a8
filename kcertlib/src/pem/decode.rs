//! Base64 bodies: a fast decoder for public objects, a constant-time one for everything else.
//!
//! Certificates, requests and CRLs are public, so their bodies may be decoded with a
//! data-dependent-time SIMD decoder (`base64-simd`, about 3× `base64` 0.22 and 14× `base64ct`
//! on a 1.3 KB certificate body, measured on this project's machine). Any other label — private
//! keys above all — keeps `base64ct`'s constant-time decoder. Both are strict RFC 4648: padding
//! required, no stray symbols, canonical trailing bits.

use base64ct::{Base64, Encoding};
use zeroize::Zeroize;

/// Labels whose bodies are public and may be decoded in variable time.
const PUBLIC_LABELS: [&str; 6] = [
    "CERTIFICATE",
    "X509 CERTIFICATE",
    "TRUSTED CERTIFICATE",
    "CERTIFICATE REQUEST",
    "NEW CERTIFICATE REQUEST",
    "X509 CRL",
];

/// Whether a block with this label holds only public data (its body may be decoded fast).
pub(crate) fn is_public_label(label: &str) -> bool {
    PUBLIC_LABELS.contains(&label)
}

/// Decodes `text` (base64 without whitespace) and appends the bytes to `out`.
///
/// `public` selects the fast decoder; otherwise the constant-time one is used. The error is the
/// reason to put after the block's label and line.
pub(crate) fn append(
    text: &[u8],
    public: bool,
    out: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    if text.is_empty() {
        return Err("empty body".into());
    }
    if public {
        base64_simd::STANDARD
            .decode_append(text, out)
            .map_err(|_| invalid(text, "invalid Base64 encoding"))
    } else {
        // Decoded in place into `out` (grown without leaving a copy behind), never into a
        // temporary `Vec` that would be freed unwiped: these are key bytes.
        let ascii = std::str::from_utf8(text).map_err(|_| not_ascii())?;
        let start = out.len();
        let room = ascii.len() / 4 * 3 + 3;
        super::splitter::reserve_wiping(out, room);
        out.resize(start + room, 0);
        match Base64::decode(ascii, &mut out[start..]) {
            Ok(decoded) => {
                let end = start + decoded.len();
                out[end..].zeroize();
                out.truncate(end);
                Ok(())
            }
            Err(e) => {
                out[start..].zeroize();
                out.truncate(start);
                Err(invalid(text, &e.to_string()))
            }
        }
    }
}

fn invalid(text: &[u8], why: &str) -> String {
    if std::str::from_utf8(text).is_err() {
        not_ascii()
    } else {
        format!("body is not valid base64 ({why})")
    }
}

fn not_ascii() -> String {
    "body is not ASCII base64".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_decoders_agree_and_are_strict() {
        for (text, ok) in [
            (&b"AA=="[..], true),
            (b"AAA=", true),
            (b"AAAA", true),
            (b"AB==", false),
            (b"AA=", false),
            (b"A===", false),
            (b"AA==AAAA", false),
            (b"AA!A", false),
            (b"\xc3\xa9AAA", false),
        ] {
            for public in [true, false] {
                let mut out = vec![9u8];
                let got = append(text, public, &mut out);
                assert_eq!(got.is_ok(), ok, "{text:?} public={public}: {got:?}");
                if ok {
                    assert_eq!(out[0], 9, "appends");
                }
            }
        }
        let e = append(b"\xff\xfe", true, &mut Vec::new()).expect_err("binary");
        assert!(e.contains("not ASCII"), "{e}");
        let e = append(b"!!!!", false, &mut Vec::new()).expect_err("garbage");
        assert!(e.contains("not valid base64"), "{e}");
        assert_eq!(
            append(b"", true, &mut Vec::new()).expect_err("empty"),
            "empty body"
        );
        assert!(is_public_label("CERTIFICATE") && !is_public_label("PRIVATE KEY"));
    }
}
