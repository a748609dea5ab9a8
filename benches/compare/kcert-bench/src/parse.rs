//! W1 (one PEM bundle) and W2 (one file per certificate): parse, then read subject, notAfter
//! and SANs of every certificate, two ways: the zero-copy hot path
//! (`pem::Reader::for_each_certificate` handing out `view::CertificateView`s) and the full
//! `Certificate` decode (`Certificate::bundle_from_pem` / `from_pem`).

use std::path::Path;

use kcertlib::pem::Reader;
use kcertlib::{Certificate, Result};
use serde_json::json;

use crate::checksum::Checksum;
use crate::io::{read_file, sorted_files};
use crate::measure::{Measured, time_runs};

/// W1 through `Certificate::bundle_from_pem` (the full x509-cert decode of every certificate).
///
/// # Errors
/// `Io` or a parse error of the bundle.
pub fn bundle(work: &Path, reps: usize) -> Result<()> {
    let data = read_file(&work.join("bundle.pem"))?;
    let (runs, sum) = time_runs(reps, || {
        let mut sum = Checksum::default();
        Reader::new(&data[..]).for_each_certificate(|view| {
            sum.add_view(&view);
            Ok(())
        })?;
        Ok(sum)
    })?;
    Measured {
        workload: "W1",
        variant: "pem::Reader+CertificateView",
        n: sum.count as usize,
        runs: &runs,
        checksum: sum.to_json(),
        extra: json!({ "bytes": data.len() }),
    }
    .print();
    let (runs, sum) = time_runs(reps, || {
        let mut sum = Checksum::default();
        for cert in Certificate::bundle_from_pem(&data)? {
            sum.add_certificate(&cert);
        }
        Ok(sum)
    })?;
    Measured {
        workload: "W1",
        variant: "Certificate",
        n: sum.count as usize,
        runs: &runs,
        checksum: sum.to_json(),
        extra: json!({ "bytes": data.len() }),
    }
    .print();
    Ok(())
}

/// W2: each file read and parsed with `Certificate::from_pem` (file reading is timed too, as
/// every tool reads its files inside the timed loop).
///
/// # Errors
/// `Io` or a parse error naming nothing more than the library says.
pub fn files(work: &Path, reps: usize) -> Result<()> {
    let files = sorted_files(&work.join("files"))?;
    let (runs, sum) = time_runs(reps, || {
        let mut sum = Checksum::default();
        for path in &files {
            let data = read_file(path)?;
            Reader::new(&data[..]).for_each_certificate(|view| {
                sum.add_view(&view);
                Ok(())
            })?;
        }
        Ok(sum)
    })?;
    Measured {
        workload: "W2",
        variant: "pem::Reader+CertificateView",
        n: files.len(),
        runs: &runs,
        checksum: sum.to_json(),
        extra: json!({}),
    }
    .print();
    let (runs, sum) = time_runs(reps, || {
        let mut sum = Checksum::default();
        for path in &files {
            let data = read_file(path)?;
            sum.add_certificate(&Certificate::from_pem(&data)?);
        }
        Ok(sum)
    })?;
    Measured {
        workload: "W2",
        variant: "Certificate",
        n: files.len(),
        runs: &runs,
        checksum: sum.to_json(),
        extra: json!({}),
    }
    .print();
    Ok(())
}
