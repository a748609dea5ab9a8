//! `Reader`: PEM blocks streamed from any `BufRead`, line by line through one reused buffer, so
//! memory is bounded by one block (`MAX_BLOCK_TEXT`) rather than by the input.

use std::io::BufRead;

use zeroize::Zeroize;

use super::splitter::{MAX_TEXT_LINE, Splitter, find_newline, reserve_wiping};
use super::{MAX_BLOCK_TEXT, PemBlock};
use crate::error::{Error, ErrorKind, Result};
use crate::view::CertificateView;

/// An iterator of the PEM blocks of a byte stream, with `pem::blocks`' tolerance and errors.
///
/// Memory stays bounded whatever the input: a line outside blocks is kept only up to 64 KiB, and
/// a block whose text passes `MAX_BLOCK_TEXT` ends the stream with a `Pem` error naming the line
/// of its `BEGIN`, after reading no more than that (one endless line included).
///
/// ```
/// # fn main() -> kcertlib::Result<()> {
/// let text = b"junk\n-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
/// let blocks: Vec<_> = kcertlib::pem::Reader::new(&text[..]).collect::<Result<_, _>>()?;
/// assert_eq!(blocks[0].der, [0, 1, 2]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Reader<R> {
    input: R,
    splitter: Splitter,
    line: Vec<u8>,
    done: bool,
}

impl<R: BufRead> Reader<R> {
    /// A reader over `input` (wrap files in `std::io::BufReader`).
    pub fn new(input: R) -> Reader<R> {
        Reader {
            input,
            splitter: Splitter::default(),
            line: Vec::with_capacity(128),
            done: false,
        }
    }

    /// Reads until a block is complete (`Ok(true)`, available from the splitter) or the input
    /// ends (`Ok(false)`). After an error or the end, keeps answering `Ok(false)`.
    ///
    /// # Errors
    /// `Io` when reading fails; `Pem` as `pem::blocks`.
    pub(crate) fn advance(&mut self) -> Result<bool> {
        while !self.done {
            let more = self.read_line().inspect_err(|_| self.done = true)?;
            if !more {
                self.done = true;
                self.splitter.finish()?;
                return Ok(false);
            }
            let closed = self
                .splitter
                .feed(&self.line)
                .inspect_err(|_| self.done = true);
            if self.splitter.in_secret_block() || closed.is_err() {
                self.line.zeroize();
            }
            if closed? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Calls `f` with a zero-copy `CertificateView` of each `CERTIFICATE` block, in order,
    /// decoding every body into one reused buffer (no allocation per certificate). Other blocks
    /// are checked as `pem::blocks` checks them, then skipped (keys are wiped). Stops at the
    /// first error, from the input or from `f`. Returns the number of certificates seen.
    ///
    /// # Errors
    /// `Io`/`Pem` as the iterator; a certificate that does not parse gives its `CertificateView`
    /// error, with its position (`certificate #3 (PEM line 41): ...`) as in
    /// `Certificate::bundle_from_pem`; an error returned by `f` is passed through unchanged.
    pub fn for_each_certificate<F>(&mut self, mut f: F) -> Result<usize>
    where
        F: FnMut(CertificateView<'_>) -> Result<()>,
    {
        let mut count = 0;
        while self.advance()? {
            let Some(block) = self.splitter.block() else {
                continue;
            };
            if block.label != "CERTIFICATE" && block.label != "X509 CERTIFICATE" {
                self.splitter.wipe_block();
                continue;
            }
            count += 1;
            let view = CertificateView::parse(block.der).map_err(|e| {
                let msg = format!(
                    "certificate #{count} (PEM line {}): {}",
                    block.line,
                    e.message()
                );
                Error::new(e.kind(), msg).with_source(e)
            });
            match view {
                Ok(view) => f(view)?,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
        Ok(count)
    }

    /// Reads the next line (without `\n`) into `self.line`; `false` at the end of the input.
    ///
    /// Inside a block a line is cut after `MAX_BLOCK_TEXT + 1` bytes without reading the rest:
    /// the splitter then refuses the block as too large, so an endless line is never read to
    /// its end. Outside a block a long line is kept to `MAX_TEXT_LINE` bytes and read through.
    fn read_line(&mut self) -> Result<bool> {
        self.line.clear();
        let in_block = self.splitter.in_block();
        let cap = if in_block {
            MAX_BLOCK_TEXT + 1
        } else {
            MAX_TEXT_LINE
        };
        let mut read_any = false;
        let mut truncated = false;
        loop {
            let available = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(
                        Error::new(ErrorKind::Io, format!("reading PEM input: {e}")).with_source(e)
                    );
                }
            };
            if available.is_empty() {
                return Ok(read_any);
            }
            read_any = true;
            let (chunk, used, end) = match find_newline(available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            let room = cap.saturating_sub(self.line.len());
            if chunk.len() <= room {
                reserve_wiping(&mut self.line, chunk.len());
                self.line.extend_from_slice(chunk);
            } else if in_block {
                // Over the block limit: stop here; feeding this line fails the block.
                reserve_wiping(&mut self.line, room);
                self.line.extend_from_slice(&chunk[..room]);
                self.input.consume(room);
                return Ok(true);
            } else if !truncated {
                // Too long to be a boundary: keep a prefix and end it with a byte that is
                // neither whitespace nor a dash, so it can never read as one.
                reserve_wiping(&mut self.line, room + 1);
                self.line.extend_from_slice(&chunk[..room]);
                self.line.push(0);
                truncated = true;
            }
            self.input.consume(used);
            if end {
                return Ok(true);
            }
        }
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<PemBlock>;

    fn next(&mut self) -> Option<Result<PemBlock>> {
        match self.advance() {
            Ok(true) => self.splitter.take_block().map(Ok),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

impl<R> Drop for Reader<R> {
    fn drop(&mut self) {
        self.line.zeroize();
    }
}
