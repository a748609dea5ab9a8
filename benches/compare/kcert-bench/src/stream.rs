//! W6: a long PEM stream on stdin (the W1 bundle piped several times, about 1 GiB) read in
//! bounded memory through `kcertlib::pem::Reader`; reports throughput and the process's peak
//! RSS (`VmHWM`). Two paths: `view` (`for_each_certificate`, zero-copy `CertificateView`s over
//! one reused buffer) and `certificate` (the iterator's blocks, each decoded into a full
//! `Certificate` and dropped).

use std::io::Read;
use std::time::Instant;

use kcertlib::pem::Reader;
use kcertlib::{Certificate, Result};
use serde_json::json;

use crate::checksum::Checksum;
use crate::measure::Measured;

/// Reads every certificate of `input` along `path` (`view` or `certificate`) and prints the W6
/// result.
///
/// # Errors
/// `Io` on a read error; a PEM or parse error of a block.
pub fn run(input: impl Read, path: &str) -> Result<()> {
    let mut reader = Reader::new(std::io::BufReader::with_capacity(1 << 16, input));
    let mut sum = Checksum::default();
    let start = Instant::now();
    let variant = if path == "certificate" {
        for block in reader.by_ref() {
            let block = block?;
            if block.label == "CERTIFICATE" {
                sum.add_certificate(&Certificate::from_der(&block.der)?);
            }
        }
        "pem::Reader+Certificate"
    } else {
        reader.for_each_certificate(|view| {
            sum.add_view(&view);
            Ok(())
        })?;
        "pem::Reader+CertificateView"
    };
    let seconds = start.elapsed().as_secs_f64();
    Measured {
        workload: "W6",
        variant,
        n: sum.count as usize,
        runs: &[seconds],
        checksum: sum.to_json(),
        extra: json!({ "peak_rss_kib": peak_rss_kib() }),
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
