//! x509-parser 0.18 over the comparison suite's workloads (benches/compare/README.md):
//!
//! ```text
//! x509-parser-bench w1 WORK REPS   bundle.pem: Pem::iter_from_buffer, parse_x509, read fields
//! x509-parser-bench w2 WORK REPS   files/*.pem: read, parse_x509_pem, parse_x509, read fields
//! ```
//!
//! Fields read from every certificate: subject (as a string), notAfter, DNS and IP SANs.
//! Prints one JSON line per measurement.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::prelude::*;

#[derive(Default)]
struct Checksum {
    count: u64,
    sans: u64,
    max_not_after: i64,
    cn_bytes: u64,
}

impl Checksum {
    fn add(&mut self, cert: &X509Certificate<'_>) {
        let subject = cert.subject().to_string();
        std::hint::black_box(&subject);
        let not_after = cert.validity().not_after.timestamp();
        if self.count == 0 || not_after > self.max_not_after {
            self.max_not_after = not_after;
        }
        self.count += 1;
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                if matches!(name, GeneralName::DNSName(_) | GeneralName::IPAddress(_)) {
                    self.sans += 1;
                }
            }
        }
        let cn = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok());
        self.cn_bytes += cn.map_or(0, str::len) as u64;
    }
}

fn median(values: &[f64]) -> f64 {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

fn emit(workload: &str, variant: &str, n: u64, runs: &[f64], sum: &Checksum) {
    let m = median(runs);
    let rate = if m > 0.0 { n as f64 / m } else { 0.0 };
    let runs: Vec<String> = runs.iter().map(|r| format!("{r}")).collect();
    println!(
        "{{\"tool\":\"x509-parser\",\"variant\":\"{variant}\",\"workload\":\"{workload}\",\"n\":{n},\
         \"runs_s\":[{}],\"certs_per_s\":{rate},\"checksum\":{{\"count\":{},\"sans\":{},\
         \"max_not_after\":{},\"cn_bytes\":{}}},\"extra\":{{}}}}",
        runs.join(","),
        sum.count,
        sum.sans,
        sum.max_not_after,
        sum.cn_bytes
    );
}

fn w1(work: &Path, reps: usize) -> Result<(), String> {
    let path = work.join("bundle.pem");
    let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut runs = Vec::new();
    let mut sum = Checksum::default();
    for _ in 0..reps {
        let start = Instant::now();
        sum = Checksum::default();
        for pem in Pem::iter_from_buffer(&data) {
            let pem = pem.map_err(|e| format!("PEM: {e}"))?;
            let (_, cert) = parse_x509_certificate(&pem.contents).map_err(|e| e.to_string())?;
            sum.add(&cert);
        }
        runs.push(start.elapsed().as_secs_f64());
    }
    emit(
        "W1",
        "Pem::iter_from_buffer+parse_x509_certificate",
        sum.count,
        &runs,
        &sum,
    );
    Ok(())
}

fn w2(work: &Path, reps: usize) -> Result<(), String> {
    let dir = work.join("files");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut runs = Vec::new();
    let mut sum = Checksum::default();
    for _ in 0..reps {
        let start = Instant::now();
        sum = Checksum::default();
        for path in &files {
            let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let (_, pem) = parse_x509_pem(&data).map_err(|e| format!("{}: {e}", path.display()))?;
            let (_, cert) = parse_x509_certificate(&pem.contents).map_err(|e| e.to_string())?;
            sum.add(&cert);
        }
        runs.push(start.elapsed().as_secs_f64());
    }
    emit(
        "W2",
        "parse_x509_pem+parse_x509_certificate",
        files.len() as u64,
        &runs,
        &sum,
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: x509-parser-bench w1|w2 WORK REPS");
        return ExitCode::from(64);
    }
    let reps = args[3].parse::<usize>().unwrap_or(1).max(1);
    let work = Path::new(&args[2]);
    let result = match args[1].as_str() {
        "w1" => w1(work, reps),
        "w2" => w2(work, reps),
        other => Err(format!("unknown command {other:?}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("x509-parser-bench: {e}");
            ExitCode::from(2)
        }
    }
}
