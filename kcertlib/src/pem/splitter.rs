//! The line state machine behind `pem::blocks` and `pem::Reader`: fed one line at a time, it
//! finds `BEGIN`/`END` pairs, keeps RFC 1421 headers, gathers the body's base64 into a reused
//! buffer and decodes it once at the `END` line into another reused buffer.

use zeroize::Zeroize;

use super::decode;
use super::{MAX_BLOCK_TEXT, PemBlock};
use crate::error::{Error, ErrorKind, Result};

/// Outside a block a line longer than this is text, never a `BEGIN` line: a real one is short,
/// and `Reader` keeps no more of such a line, so both read the same blocks.
pub(crate) const MAX_TEXT_LINE: usize = 64 * 1024;

/// Splits PEM text fed line by line. Memory is bounded by `MAX_BLOCK_TEXT`: no block may hold
/// more text than that, so neither an endless block nor one huge line inside a block can grow
/// the buffers further. Dropping it wipes both buffers (they may hold a key's text or DER).
#[derive(Debug, Default)]
pub(crate) struct Splitter {
    /// Lines fed so far (the number of the last line).
    line_no: usize,
    /// The block being read, if any.
    open: Option<Open>,
    /// Headers of the open block, or of the block just finished.
    headers: Vec<(String, String)>,
    /// The open block's base64 text, whitespace removed.
    text: Vec<u8>,
    /// The decoded body of the block just finished.
    der: Vec<u8>,
    /// Label and `BEGIN` line of the block in `der`, once finished.
    finished: Option<(String, usize)>,
}

#[derive(Debug)]
struct Open {
    label: String,
    line: usize,
    public: bool,
    /// Bytes of the block's lines so far (headers and body, as fed: whitespace and `\r`
    /// included, `\n` not), checked against `MAX_BLOCK_TEXT`.
    size: usize,
}

/// A finished block, borrowed from the splitter until the next line is fed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockRef<'a> {
    pub label: &'a str,
    pub der: &'a [u8],
    pub line: usize,
}

impl Splitter {
    /// Feeds the next line (without its `\n`; a trailing `\r` and surrounding whitespace are
    /// ignored). Returns `true` when this line closed a block, which `block`/`take_block` then
    /// give until the next call.
    ///
    /// # Errors
    /// `Pem` for a mismatched `END`, a `BEGIN` inside a block, a body that is not base64, or a
    /// block with more than `MAX_BLOCK_TEXT` bytes of text.
    pub fn feed(&mut self, raw: &[u8]) -> Result<bool> {
        self.line_no += 1;
        if self.finished.take().is_some() {
            self.der.clear();
        }
        let line = raw.trim_ascii();
        let Some(open) = &mut self.open else {
            if raw.len() <= MAX_TEXT_LINE
                && let Some(label) = boundary(line, b"BEGIN ")
            {
                self.begin(String::from_utf8_lossy(label).into_owned());
            }
            return Ok(false);
        };
        if let Some(end_label) = boundary(line, b"END ") {
            let end_label = String::from_utf8_lossy(end_label);
            if end_label != open.label {
                return Err(pem_error(format!(
                    "PEM block {:?} at line {} ends with a mismatched END {end_label:?} line at line {}",
                    open.label, open.line, self.line_no
                )));
            }
            self.end()?;
            return Ok(true);
        }
        if boundary(line, b"BEGIN ").is_some() {
            return Err(pem_error(format!(
                "PEM block {:?} at line {} has no END line before the next BEGIN at line {}",
                open.label, open.line, self.line_no
            )));
        }
        open.size = open.size.saturating_add(raw.len());
        if open.size > MAX_BLOCK_TEXT {
            let message = format!(
                "PEM block {:?} at line {} is larger than {} KiB (the limit of one block) at line {}: is its END line missing?",
                open.label,
                open.line,
                MAX_BLOCK_TEXT / 1024,
                self.line_no
            );
            self.abandon();
            return Err(pem_error(message));
        }
        if self.text.is_empty() && line.contains(&b':') {
            let text = String::from_utf8_lossy(line);
            if let Some((k, v)) = text.split_once(':') {
                self.headers
                    .push((k.trim().to_string(), v.trim().to_string()));
            }
        } else {
            reserve_wiping(&mut self.text, line.len());
            if has_whitespace(line) {
                self.text
                    .extend(line.iter().copied().filter(|b| !b.is_ascii_whitespace()));
            } else {
                self.text.extend_from_slice(line);
            }
        }
        Ok(false)
    }

    /// Declares the end of the input.
    ///
    /// # Errors
    /// `Pem` when a block is still open.
    pub fn finish(&mut self) -> Result<()> {
        match self.open.take() {
            Some(open) => {
                self.text.zeroize();
                Err(pem_error(format!(
                    "PEM block {:?} at line {} has no END line",
                    open.label, open.line
                )))
            }
            None => Ok(()),
        }
    }

    /// Drops the open block after an error, wiping what it gathered.
    fn abandon(&mut self) {
        self.open = None;
        self.text.zeroize();
        self.headers.clear();
    }

    /// Whether a block is open (its lines are body or headers, not free text).
    pub fn in_block(&self) -> bool {
        self.open.is_some()
    }

    /// Whether the block being read (if any) is secret (a key): callers then wipe line buffers.
    pub fn in_secret_block(&self) -> bool {
        self.open.as_ref().is_some_and(|o| !o.public)
    }

    /// The block the last `feed` closed, borrowed.
    pub fn block(&self) -> Option<BlockRef<'_>> {
        self.finished.as_ref().map(|(label, line)| BlockRef {
            label,
            der: &self.der,
            line: *line,
        })
    }

    /// The block the last `feed` closed, moved out.
    pub fn take_block(&mut self) -> Option<PemBlock> {
        let (label, line) = self.finished.take()?;
        let next = Vec::with_capacity(self.der.len());
        Some(PemBlock {
            label,
            headers: std::mem::take(&mut self.headers),
            der: std::mem::replace(&mut self.der, next),
            line,
        })
    }

    /// Wipes the decoded body of the block just finished (after a caller skipped a key).
    pub fn wipe_block(&mut self) {
        self.der.zeroize();
    }

    fn begin(&mut self, label: String) {
        self.headers.clear();
        self.text.clear();
        self.open = Some(Open {
            public: decode::is_public_label(&label),
            label,
            line: self.line_no,
            size: 0,
        });
    }

    fn end(&mut self) -> Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        self.der.clear();
        let decoded = decode::append(&self.text, open.public, &mut self.der);
        if open.public {
            self.text.clear();
        } else {
            self.text.zeroize();
        }
        if let Err(why) = decoded {
            self.der.clear();
            return Err(pem_error(format!(
                "PEM block {:?} at line {}: {why}",
                open.label, open.line
            )));
        }
        self.finished = Some((open.label, open.line));
        Ok(())
    }
}

impl Drop for Splitter {
    fn drop(&mut self) {
        self.text.zeroize();
        self.der.zeroize();
    }
}

/// Makes room for `additional` more bytes in `buf`. When it must grow, the bytes move to a new
/// allocation and the old one is wiped first: a plain `Vec` growth would free the old buffer,
/// with whatever key text it held, without wiping it.
pub(crate) fn reserve_wiping(buf: &mut Vec<u8>, additional: usize) {
    if buf.capacity() - buf.len() >= additional {
        return;
    }
    let wanted = buf.len().saturating_add(additional);
    let mut bigger = Vec::with_capacity(wanted.max(buf.capacity().saturating_mul(2)));
    bigger.extend_from_slice(buf);
    buf.zeroize();
    *buf = bigger;
}

fn pem_error(message: String) -> Error {
    Error::new(ErrorKind::Pem, message)
}

/// The label of a `-----BEGIN label-----` / `-----END label-----` line (`kind` is `BEGIN ` or
/// `END `). Body lines never start with a dash, so they are rejected at the first byte.
fn boundary<'a>(line: &'a [u8], kind: &[u8]) -> Option<&'a [u8]> {
    if line.first() != Some(&b'-') {
        return None;
    }
    line.strip_prefix(b"-----")?
        .strip_prefix(kind)?
        .strip_suffix(b"-----")
}

/// The position of the first `\n` in `bytes`, eight bytes at a time (a word-wide zero-byte
/// test), since body lines are long and newlines are few.
pub(crate) fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const NEWLINES: u64 = ONES * b'\n' as u64;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = chunk.try_into().map_or(0, u64::from_le_bytes) ^ NEWLINES;
        if word.wrapping_sub(ONES) & !word & HIGHS != 0 {
            return chunk.iter().position(|&b| b == b'\n').map(|i| offset + i);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| offset + i)
}

/// The lines of `input` split at `\n` (the last one may be empty), as `<[u8]>::split` gives
/// them.
pub(crate) fn lines(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(input);
    std::iter::from_fn(move || {
        let text = rest?;
        match find_newline(text) {
            Some(i) => {
                rest = Some(&text[i + 1..]);
                Some(&text[..i])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// Whether `line` may hold ASCII whitespace: a superset test (every whitespace byte is
/// `<= b' '`, no base64 symbol is), written without early exit so that it vectorises.
fn has_whitespace(line: &[u8]) -> bool {
    line.iter().fold(false, |any, &b| any | (b <= b' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_newlines_match_the_standard_split() {
        let samples: [&[u8]; 7] = [
            b"",
            b"\n",
            b"abc",
            b"abc\n",
            b"0123456\n89abcdef\n\n0123456789abcdef0123\r\nx",
            b"\n\n\n\n\n\n\n\n\n",
            &[0x8a, 0x0b, 0x09, 0xff, 0x0a, 0x80, 0x0a, 0x0a, 0x01, 0x0a],
        ];
        for sample in samples {
            let expected: Vec<&[u8]> = sample.split(|&b| b == b'\n').collect();
            assert_eq!(lines(sample).collect::<Vec<_>>(), expected, "{sample:?}");
            assert_eq!(
                find_newline(sample),
                sample.iter().position(|&b| b == b'\n')
            );
        }
        assert_eq!(boundary(b"-----BEGIN X-----", b"BEGIN "), Some(&b"X"[..]));
        assert_eq!(boundary(b"-----END X-----", b"BEGIN "), None);
        assert_eq!(boundary(b"MIIB", b"END "), None);
    }

    #[test]
    fn a_begin_line_longer_than_a_text_line_is_text() {
        let mut splitter = Splitter::default();
        let padded = format!("{}-----BEGIN X-----", " ".repeat(MAX_TEXT_LINE));
        assert_eq!(splitter.feed(padded.as_bytes()).ok(), Some(false));
        assert!(!splitter.in_block());
        let label = format!("-----BEGIN {}-----", "X".repeat(MAX_TEXT_LINE));
        assert_eq!(splitter.feed(label.as_bytes()).ok(), Some(false));
        assert!(!splitter.in_block());
        assert_eq!(splitter.feed(b"  -----BEGIN X-----\r").ok(), Some(false));
        assert!(splitter.in_block());
    }
}
