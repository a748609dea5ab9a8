//! W3 (RSA-2048 CA) and W4 (P-256 CA): re-sign every leaf of `resign.pem` with a new validity,
//! keeping everything else (`kcertlib::resign`).

use std::path::Path;

use kcertlib::{Certificate, Issuer, PrivateKey, ResignOptions, Result, resign};
use serde_json::json;

use crate::checksum::Checksum;
use crate::io::read_file;
use crate::measure::{Measured, time_runs};

/// Re-signs the leaves with the CA named `ca` (`rsa` or `p256`), `reps` times.
///
/// # Errors
/// `Io`, a parse error, or a signing error.
pub fn run(work: &Path, ca: &str, reps: usize) -> Result<()> {
    let workload = if ca == "rsa" { "W3" } else { "W4" };
    let leaves = Certificate::bundle_from_pem(&read_file(&work.join("resign.pem"))?)?;
    let ca_cert = Certificate::from_pem(&read_file(&work.join(format!("ca-{ca}.crt")))?)?;
    let ca_key = PrivateKey::from_pem(&read_file(&work.join(format!("ca-{ca}.key")))?)?;
    let issuer = Issuer::new(&ca_cert, &ca_key)?;
    let options = ResignOptions::default();
    let (runs, out) = time_runs(reps, || {
        leaves
            .iter()
            .map(|leaf| resign(leaf, &issuer, &options).map(|s| s.certificate))
            .collect::<Result<Vec<_>>>()
    })?;
    let mut sum = Checksum::default();
    for cert in &out {
        kcertlib::verify_signature(cert, &ca_cert)?;
        sum.add_certificate(cert);
    }
    Measured {
        workload,
        variant: "rustcrypto",
        n: leaves.len(),
        runs: &runs,
        checksum: sum.to_json_timeless(),
        extra: json!({ "ca": ca, "threads": 1 }),
    }
    .print();
    Ok(())
}
