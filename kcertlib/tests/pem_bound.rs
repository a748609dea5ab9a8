//! A PEM block may hold at most `pem::MAX_BLOCK_TEXT` bytes of text: an endless block (64 MiB
//! of base64 lines after a BEGIN, or one line that never ends) is refused with a `Pem` error
//! naming the BEGIN line, by `pem::Reader` after reading little more than the limit, and by
//! `pem::blocks` on a buffer, with the same message. The heap is measured by a counting
//! allocator, so the bound is checked, not assumed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufReader, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use kcertlib::ErrorKind;
use kcertlib::pem::{self, MAX_BLOCK_TEXT, PemBlock, Reader};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The tests run one at a time, so one test's buffers do not count in another's peak.
static MEASURED: Mutex<()> = Mutex::new(());

/// Runs `f`, returning its result and the heap's peak above what was live before.
fn peak_heap_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    let value = f();
    (value, PEAK.load(Ordering::Relaxed).saturating_sub(start))
}

const ENDLESS: u64 = 64 << 20;

/// `-----BEGIN label-----` after two lines of text, then `body_len` bytes of 64-column base64
/// lines (or, with `newlines` false, one endless line); produced as read, never held whole.
struct EndlessBlock {
    head: Vec<u8>,
    at: u64,
    total: u64,
    newlines: bool,
    /// Bytes handed to the reader so far.
    served: u64,
}

impl EndlessBlock {
    fn new(label: &str, body_len: u64, newlines: bool) -> EndlessBlock {
        let head = format!("comment\n\n-----BEGIN {label}-----\n").into_bytes();
        EndlessBlock {
            total: head.len() as u64 + body_len,
            head,
            at: 0,
            newlines,
            served: 0,
        }
    }

    fn byte(&self, at: u64) -> u8 {
        if let Some(&b) = self.head.get(at as usize) {
            return b;
        }
        let body_at = at - self.head.len() as u64;
        if self.newlines && body_at % 65 == 64 {
            b'\n'
        } else {
            b'A'
        }
    }
}

impl Read for EndlessBlock {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min((self.total - self.at) as usize);
        for (i, slot) in buf[..n].iter_mut().enumerate() {
            *slot = self.byte(self.at + i as u64);
        }
        self.at += n as u64;
        self.served += n as u64;
        Ok(n)
    }
}

fn stream_error(label: &str, newlines: bool) -> (kcertlib::Error, u64, usize) {
    let mut input = EndlessBlock::new(label, ENDLESS, newlines);
    let (result, peak) = peak_heap_of(|| {
        Reader::new(BufReader::new(&mut input)).collect::<kcertlib::Result<Vec<PemBlock>>>()
    });
    // (Only the count is printed if it unexpectedly succeeds: the blocks would be huge.)
    let error = result
        .map(|b| b.len())
        .expect_err("an endless block must fail");
    (error, input.served, peak)
}

#[test]
fn an_endless_block_is_refused_after_little_more_than_the_limit() {
    let _one_at_a_time = MEASURED.lock().unwrap_or_else(|e| e.into_inner());
    for (label, newlines) in [
        ("CERTIFICATE", true),
        ("CERTIFICATE", false),
        ("RSA PRIVATE KEY", true),
        ("PRIVATE KEY", false),
    ] {
        let what = format!("{label}, {}", if newlines { "lines" } else { "one line" });
        let (error, served, peak) = stream_error(label, newlines);
        assert_eq!(error.kind(), ErrorKind::Pem, "{what}: {error}");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "PEM block {label:?} at line 3 is larger than 1024 KiB"
            )),
            "{what}: {message}"
        );
        // The reader stops within a BufReader's buffer of the limit, and holds one block.
        let limit = MAX_BLOCK_TEXT as u64;
        assert!(
            served <= limit + limit / 32 + 16 * 1024,
            "{what}: read {served} bytes for a limit of {limit}"
        );
        assert!(
            peak < 4 * MAX_BLOCK_TEXT,
            "{what}: heap peaked at {peak} bytes for a limit of {MAX_BLOCK_TEXT}"
        );
    }
}

#[test]
fn pem_blocks_refuses_the_same_block_with_the_same_message() {
    let _one_at_a_time = MEASURED.lock().unwrap_or_else(|e| e.into_inner());
    for newlines in [true, false] {
        let mut text = Vec::new();
        EndlessBlock::new("CERTIFICATE", ENDLESS, newlines)
            .read_to_end(&mut text)
            .expect("generated");
        text.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
        // The 64 MiB input is the caller's; what `blocks` adds to it stays bounded.
        let (result, peak) = peak_heap_of(|| pem::blocks(&text));
        let error = result.map(|b| b.len()).expect_err("too large");
        let (streamed, _, _) = stream_error("CERTIFICATE", newlines);
        assert_eq!(error.to_string(), streamed.to_string());
        assert!(peak < 4 * MAX_BLOCK_TEXT, "heap peaked at {peak} bytes");
    }
}

#[test]
fn a_block_just_under_the_limit_still_reads() {
    let _one_at_a_time = MEASURED.lock().unwrap_or_else(|e| e.into_inner());
    // 1 MiB of text, END line included in neither count: the largest block that is accepted.
    let lines = MAX_BLOCK_TEXT / 65;
    let body = "AAAA".repeat(16).repeat(lines);
    let mut text = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in body.as_bytes().chunks(64) {
        text.push_str(std::str::from_utf8(chunk).expect("ascii"));
        text.push('\n');
    }
    text.push_str("-----END CERTIFICATE-----\n");
    let blocks = pem::blocks(text.as_bytes()).expect("under the limit");
    assert_eq!(blocks[0].der.len(), body.len() / 4 * 3);
    let streamed: Vec<PemBlock> = Reader::new(text.as_bytes())
        .collect::<kcertlib::Result<_>>()
        .expect("streams");
    assert_eq!(streamed, blocks);
    // Filled to the limit exactly it still reads; one byte more is too much.
    let fill = MAX_BLOCK_TEXT - lines * 64;
    for (extra, fits) in [(fill, true), (fill + 1, false)] {
        let line = format!("{}\n-----END", " ".repeat(extra));
        let bigger = text.replacen("-----END", &line, 1);
        let got = pem::blocks(bigger.as_bytes()).map(|b| b.len());
        let streamed = Reader::new(bigger.as_bytes())
            .collect::<kcertlib::Result<Vec<_>>>()
            .map(|b| b.len());
        if fits {
            assert_eq!(got.ok(), Some(1));
            assert_eq!(streamed.ok(), Some(1));
        } else {
            let error = got.expect_err("over the limit");
            assert!(error.to_string().contains("at line 1 is larger"), "{error}");
            assert_eq!(
                streamed.err().map(|e| e.to_string()),
                Some(error.to_string())
            );
        }
    }
}
