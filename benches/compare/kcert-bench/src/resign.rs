//! W3 (RSA-2048 CA) and W4 (P-256 CA): re-sign every leaf of `resign.pem` with a new validity,
//! keeping everything else (`kcertlib::resign`), once per signing backend compiled in
//! (`kcertlib::signer::Backend::available()`), on one thread, and with the fastest backend on
//! `threads` threads when more than one is asked for.

use std::path::Path;

use kcertlib::signer::Backend;
use kcertlib::{Certificate, Error, ErrorKind, Issuer, PrivateKey, ResignOptions, Result, resign};
use serde_json::json;

use crate::checksum::Checksum;
use crate::io::read_file;
use crate::measure::{Measured, time_runs};

/// Re-signs the leaves with the CA named `ca` (`rsa` or `p256`), `reps` times per backend.
///
/// # Errors
/// `Io`, a parse error, or a signing error.
pub fn run(work: &Path, ca: &str, reps: usize, threads: usize) -> Result<()> {
    let workload = if ca == "rsa" { "W3" } else { "W4" };
    let leaves = Certificate::bundle_from_pem(&read_file(&work.join("resign.pem"))?)?;
    let ca_cert = Certificate::from_pem(&read_file(&work.join(format!("ca-{ca}.crt")))?)?;
    let ca_key = PrivateKey::from_pem(&read_file(&work.join(format!("ca-{ca}.key")))?)?;
    let mut settings: Vec<(Backend, usize)> =
        Backend::available().into_iter().map(|b| (b, 1)).collect();
    if threads > 1 {
        settings.push((Backend::fastest(), threads));
    }
    for (backend, threads) in settings {
        let signer = ca_key.signer(backend)?;
        let issuer = Issuer::new(&ca_cert, signer.as_ref())?;
        // Warm-up, one untimed pass: the backend's lazily built key, AWS-LC's generator seeding,
        // the page faults of the outputs' memory, caches, CPU frequency.
        resign_all(&leaves, &issuer, threads)?;
        let (runs, out) = time_runs(reps, || resign_all(&leaves, &issuer, threads))?;
        let mut sum = Checksum::default();
        for cert in &out {
            kcertlib::verify_signature(cert, &ca_cert)?;
            sum.add_certificate(cert);
        }
        let variant = if threads > 1 {
            format!("{}, {threads} threads", backend.name())
        } else {
            backend.name().to_string()
        };
        Measured {
            workload,
            variant: &variant,
            n: leaves.len(),
            runs: &runs,
            checksum: sum.to_json_timeless(),
            extra: json!({ "ca": ca, "threads": threads, "backend": backend.name() }),
        }
        .print();
    }
    per_call_issuer(workload, ca, &leaves, &ca_cert, &ca_key, reps)
}

/// The fastest backend with `Issuer::new(&ca, &key)` inside the loop, as the C and Python
/// bindings' one-certificate `resign` calls do: shows what building the issuer costs per call.
fn per_call_issuer(
    workload: &str,
    ca: &str,
    leaves: &[Certificate],
    ca_cert: &Certificate,
    ca_key: &PrivateKey,
    reps: usize,
) -> Result<()> {
    let options = ResignOptions::default();
    // The outputs are kept, as the other variants keep theirs (dropping each at once would
    // spare this variant the memory the others fill).
    let resign_each = || {
        leaves
            .iter()
            .map(|leaf| Ok(resign(leaf, &Issuer::new(ca_cert, ca_key)?, &options)?.certificate))
            .collect::<Result<Vec<Certificate>>>()
    };
    resign_each()?; // warm-up, one untimed pass, as above
    let (runs, out) = time_runs(reps, resign_each)?;
    let count = out.len();
    Measured {
        workload,
        variant: &format!("{}, Issuer::new per certificate", Backend::fastest().name()),
        n: count,
        runs: &runs,
        checksum: json!({ "count": count }),
        extra: json!({ "ca": ca, "threads": 1, "backend": Backend::fastest().name() }),
    }
    .print();
    Ok(())
}

/// Re-signs `leaves` on `threads` threads (contiguous chunks), results in input order.
fn resign_all(
    leaves: &[Certificate],
    issuer: &Issuer<'_>,
    threads: usize,
) -> Result<Vec<Certificate>> {
    let options = ResignOptions::default();
    let one = |chunk: &[Certificate]| -> Result<Vec<Certificate>> {
        chunk
            .iter()
            .map(|leaf| resign(leaf, issuer, &options).map(|s| s.certificate))
            .collect()
    };
    if threads <= 1 {
        return one(leaves);
    }
    let size = leaves.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<Certificate>>> = std::thread::scope(|s| {
        let handles: Vec<_> = leaves
            .chunks(size)
            .map(|c| s.spawn(move || one(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::new(ErrorKind::Crypto, "a signing thread panicked"))
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(leaves.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}
