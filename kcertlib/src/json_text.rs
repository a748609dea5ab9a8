//! JSON documents edited at the text level: every string value is located by its path of object
//! keys (array elements by their index) and byte span, so one value can be replaced while every
//! other byte of the document (order, spacing, escapes, fields we do not know) stays as written.
//! Used for dynamiclistener's `dynamic-cert.json` and RKE1's `cluster.rkestate`, which their
//! programs read back with Go's `encoding/json`.
//!
//! The documents come from the tree, so they are untrusted: the scanner validates the whole
//! text (a malformed document is refused, never half edited), bounds nesting, and never panics.

use std::ops::Range;

/// Nesting deeper than this is refused (a Secret or an RKE state is a few levels deep).
const MAX_DEPTH: usize = 64;

/// A string value of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StringValue {
    /// Object keys (and array indices, in decimal) from the top to this value.
    pub path: Vec<String>,
    /// Byte span in the text, quotes included.
    pub span: Range<usize>,
    /// The decoded value.
    pub value: String,
}

/// Every string value of `text` that is an object member or array element (not keys), in
/// document order.
///
/// # Errors
/// A sentence saying what is malformed and at which byte.
pub(crate) fn string_values(text: &str) -> Result<Vec<StringValue>, String> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        text,
        at: 0,
        path: Vec::new(),
        found: Vec::new(),
    };
    scanner.whitespace();
    scanner.value(0)?;
    scanner.whitespace();
    if scanner.at != text.len() {
        return Err(format!(
            "unexpected data after the document at byte {}",
            scanner.at
        ));
    }
    Ok(scanner.found)
}

/// The only string value at exactly `path`; `Ok(None)` when there is none.
///
/// # Errors
/// As `string_values`, and when the document holds the member twice (Go keeps the last; which
/// one a reader uses is not ours to guess).
pub(crate) fn string_at(text: &str, path: &[&str]) -> Result<Option<StringValue>, String> {
    let mut matching = string_values(text)?
        .into_iter()
        .filter(|v| v.path.iter().map(String::as_str).eq(path.iter().copied()));
    let first = matching.next();
    if matching.next().is_some() {
        return Err(format!("{} appears more than once", path.join(".")));
    }
    Ok(first)
}

/// `text` with the value at `span` replaced by the JSON string of `value`.
pub(crate) fn replace_string(text: &str, span: &Range<usize>, value: &str) -> String {
    let mut out = String::with_capacity(text.len() + value.len());
    out.push_str(&text[..span.start]);
    out.push_str(&encode_string(value));
    out.push_str(&text[span.end..]);
    out
}

/// `value` as a JSON string the way Go's `encoding/json` writes it: `"`, `\` and control
/// characters escaped (`\n`, `\r`, `\t`, else `\u00XX`), and `<`, `>`, `&`, U+2028, U+2029 as
/// `\u` escapes (Go's HTML-safe default), so a replaced value reads like its neighbours.
pub(crate) fn encode_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Scanner<'t> {
    bytes: &'t [u8],
    text: &'t str,
    at: usize,
    path: Vec<String>,
    found: Vec<StringValue>,
}

impl Scanner<'_> {
    fn value(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let start = self.at;
                let value = self.string()?;
                self.found.push(StringValue {
                    path: self.path.clone(),
                    span: start..self.at,
                    value,
                });
                Ok(())
            }
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), String> {
        self.at += 1;
        self.whitespace();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("an object key"));
            }
            let key = self.string()?;
            self.whitespace();
            if !self.eat(b':') {
                return Err(self.unexpected("':'"));
            }
            self.whitespace();
            self.path.push(key);
            self.value(depth + 1)?;
            self.path.pop();
            self.whitespace();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(());
            }
            return Err(self.unexpected("',' or '}'"));
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), String> {
        self.at += 1;
        self.whitespace();
        if self.eat(b']') {
            return Ok(());
        }
        let mut index = 0usize;
        loop {
            self.whitespace();
            self.path.push(index.to_string());
            self.value(depth + 1)?;
            self.path.pop();
            index += 1;
            self.whitespace();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(());
            }
            return Err(self.unexpected("',' or ']'"));
        }
    }

    /// A string starting at the opening quote; the cursor ends after the closing one.
    fn string(&mut self) -> Result<String, String> {
        let start = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            // Copy the run of plain characters at once (the text is UTF-8, and quote and
            // backslash are ASCII, so the run ends on a character boundary).
            let run_start = self.at;
            while let Some(&b) = self.bytes.get(self.at) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            out.push_str(&self.text[run_start..self.at]);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => {
                    return Err(format!(
                        "control character in the string at byte {}",
                        self.at
                    ));
                }
                None => return Err(format!("unterminated string starting at byte {start}")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), String> {
        let c = self.peek().ok_or_else(|| self.unexpected("an escape"))?;
        self.at += 1;
        match c {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate must be followed by `\u` and a low one.
                    if !(self.eat(b'\\') && self.eat(b'u')) {
                        return Err(format!("unpaired surrogate before byte {}", self.at));
                    }
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(format!("unpaired surrogate before byte {}", self.at));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                let c = char::from_u32(code)
                    .ok_or_else(|| format!("invalid \\u escape before byte {}", self.at))?;
                out.push(c);
            }
            _ => return Err(format!("invalid escape at byte {}", self.at - 1)),
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| format!("invalid \\u escape at byte {}", self.at))?;
        self.at += 4;
        u32::from_str_radix(digits, 16)
            .map_err(|_| format!("invalid \\u escape at byte {}", self.at))
    }

    fn number(&mut self) -> Result<(), String> {
        let start = self.at;
        self.eat(b'-');
        let digits = |s: &mut Self| {
            let from = s.at;
            while s.peek().is_some_and(|b| b.is_ascii_digit()) {
                s.at += 1;
            }
            s.at > from
        };
        if !digits(self) {
            return Err(format!("malformed number at byte {start}"));
        }
        if self.eat(b'.') && !digits(self) {
            return Err(format!("malformed number at byte {start}"));
        }
        if self.peek().is_some_and(|b| b == b'e' || b == b'E') {
            self.at += 1;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if !digits(self) {
                return Err(format!("malformed number at byte {start}"));
            }
        }
        Ok(())
    }

    fn literal(&mut self, word: &str) -> Result<(), String> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.unexpected("a value"))
        }
    }

    fn whitespace(&mut self) {
        while self
            .peek()
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn unexpected(&self, wanted: &str) -> String {
        match self.peek() {
            Some(_) => format!("expected {wanted} at byte {}", self.at),
            None => format!("expected {wanted}, found the end of the document"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_strings_by_path_and_replaces_one_in_place() {
        let text = "{\"a\": {\"b\": \"x\\n\\u003cy\", \"n\": [1, -2.5e3, true, null, \"z\"]}, \"c\":\"\"}\n";
        let values = string_values(text).expect("valid");
        assert_eq!(values.len(), 3);
        let b = string_at(text, &["a", "b"])
            .expect("valid")
            .expect("present");
        assert_eq!(b.value, "x\n<y");
        assert_eq!(&text[b.span.clone()], "\"x\\n\\u003cy\"");
        let z = string_at(text, &["a", "n", "4"])
            .expect("valid")
            .expect("present");
        assert_eq!(z.value, "z");
        let out = replace_string(text, &b.span, "p\nq<&>");
        assert_eq!(
            out,
            "{\"a\": {\"b\": \"p\\nq\\u003c\\u0026\\u003e\", \"n\": [1, -2.5e3, true, null, \"z\"]}, \"c\":\"\"}\n"
        );
        let back = string_at(&out, &["a", "b"])
            .expect("valid")
            .expect("present");
        assert_eq!(back.value, "p\nq<&>");
    }

    #[test]
    fn surrogate_pairs_and_unicode_decode() {
        let v = string_at("{\"k\":\"\\ud83d\\ude00 é\"}", &["k"])
            .expect("valid")
            .expect("present");
        assert_eq!(v.value, "\u{1F600} é");
    }

    #[test]
    fn malformed_documents_are_refused_with_a_position() {
        for bad in [
            "",
            "{",
            "{\"a\":}",
            "{\"a\":\"x}",
            "{\"a\":\"\\q\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":1,}",
            "[1 2]",
            "{} x",
            "{\"a\":tru}",
            "{\"a\":-}",
            "{\"a\":\"\u{1}\"}",
        ] {
            assert!(string_values(bad).is_err(), "{bad:?} accepted");
        }
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(string_values(&deep).unwrap_err().contains("nested"));
    }

    /// Every truncation and every one-character replacement of a document is answered (a
    /// value list or an error), never a panic: the documents come from untrusted trees.
    #[test]
    fn mutated_documents_never_panic() {
        let doc = "{\"a\": [1, -2.5e+3, \"x\\u00e9\\n\", {\"b\": null}], \"é\": true}";
        for cut in (0..=doc.len()).filter(|&i| doc.is_char_boundary(i)) {
            let _ = string_values(&doc[..cut]);
        }
        for (at, c) in doc.char_indices() {
            for with in [
                '"', '\\', '{', '}', '[', ']', ':', ',', 'u', '0', '-', 'e', ' ', '\u{1}', 'é',
            ] {
                let mut mutated = String::from(&doc[..at]);
                mutated.push(with);
                mutated.push_str(&doc[at + c.len_utf8()..]);
                if let Ok(values) = string_values(&mutated) {
                    for v in values {
                        assert!(mutated.get(v.span.clone()).is_some(), "{mutated}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_member_written_twice_is_ambiguous() {
        let err = string_at("{\"a\":\"1\",\"a\":\"2\"}", &["a"]).unwrap_err();
        assert!(err.contains("more than once"), "{err}");
    }

    #[test]
    fn encoding_matches_go_for_control_and_html_characters() {
        assert_eq!(
            encode_string("a\"b\\c\u{1}\u{2028}"),
            "\"a\\\"b\\\\c\\u0001\\u2028\""
        );
    }
}
