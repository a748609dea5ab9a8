//! W6: a long PEM stream on stdin (the W1 bundle piped several times, about 1 GiB) read in
//! bounded memory; reports throughput and the process's peak RSS (`VmHWM`).
//!
//! `kcertlib::pem::Reader` has not landed yet, so this reads lines with one reused buffer,
//! gathers each CERTIFICATE block and hands it to `Certificate::from_pem` (kcertlib's PEM and
//! DER parsers; only the line splitting is the benchmark's).

use std::io::{BufRead, Read};
use std::time::Instant;

use kcertlib::{Certificate, Error, ErrorKind, Result};
use serde_json::json;

use crate::checksum::Checksum;
use crate::measure::Measured;

/// Reads every certificate of `input` and prints the W6 result.
///
/// # Errors
/// `Io` on a read error; a parse error of a block.
pub fn run(input: impl Read) -> Result<()> {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, input);
    let mut line = Vec::with_capacity(128);
    let mut block = Vec::with_capacity(4096);
    let mut inside = false;
    let mut sum = Checksum::default();
    let mut bytes = 0u64;
    let start = Instant::now();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::new(ErrorKind::Io, format!("stdin: {e}")))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        if !inside && line.starts_with(b"-----BEGIN CERTIFICATE-----") {
            inside = true;
            block.clear();
        }
        if inside {
            block.extend_from_slice(&line);
            if line.starts_with(b"-----END CERTIFICATE-----") {
                inside = false;
                sum.add_certificate(&Certificate::from_pem(&block)?);
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Measured {
        workload: "W6",
        variant: "line-reader+Certificate",
        n: sum.count as usize,
        runs: &[seconds],
        checksum: sum.to_json(),
        extra: json!({ "bytes": bytes, "peak_rss_kib": peak_rss_kib() }),
    }
    .print();
    Ok(())
}

/// The process's peak resident set (`VmHWM` of /proc/self/status) in KiB, 0 when unknown.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
