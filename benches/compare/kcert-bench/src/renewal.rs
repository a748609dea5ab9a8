//! W5: scan and renew a generated kubespray node (1,000 etcd hosts in the full run), and the
//! same leaves re-signed by the same CA keys in a bare loop, so that the renewal's overhead
//! (planning, checks, staging, verification, backups, the transaction) shows as a ratio.
//!
//! Every repetition works on a fresh copy of `w5/template` (`cp -a`, not timed).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use kcertlib::renew::{RenewOptions, renew};
use kcertlib::{
    Error, ErrorKind, Inventory, Issuer, PrivateKey, ResignOptions, Result, ScanOptions, Threads,
    resign, scan,
};
use serde_json::json;

use crate::measure::{Measured, median};

/// Runs the three measurements `reps` times, scan and renewal on `threads` threads
/// (`ScanOptions::threads`, `RenewOptions::threads`); the bare loop signs on one.
///
/// # Errors
/// `Io` when the copy fails; any scan, renewal or signing error.
pub fn run(work: &Path, reps: usize, threads: usize) -> Result<()> {
    let label = if threads == 1 {
        "1-thread".to_string()
    } else {
        format!("{threads}-threads")
    };
    let threads_option = Threads::from_count(threads);
    let template = work.join("w5").join("template");
    let tree = work.join("w5").join("run");
    let (mut scan_s, mut renew_s, mut sign_s) = (Vec::new(), Vec::new(), Vec::new());
    let (mut entries, mut renewed) = (0, 0);
    for _ in 0..reps.max(1) {
        fresh_copy(&template, &tree)?;
        let start = Instant::now();
        let inventory = scan(&tree, &ScanOptions::default().with_threads(threads_option))?;
        scan_s.push(start.elapsed().as_secs_f64());
        entries = inventory.entries.len();

        let start = Instant::now();
        let report = renew(&tree, &RenewOptions::default().with_threads(threads_option))?;
        renew_s.push(start.elapsed().as_secs_f64());
        renewed = report.renewed.len();

        let names: Vec<&str> = report.renewed.iter().map(|r| r.name.as_str()).collect();
        sign_s.push(bare_signatures(&inventory, &names)?);
    }
    let _ = std::fs::remove_dir_all(&tree);
    let extra = json!({ "threads": threads, "label": label, "renew_median_s": median(&renew_s),
                        "signatures_median_s": median(&sign_s) });
    for (variant, runs, n) in [
        ("scan", &scan_s, entries),
        ("renew", &renew_s, renewed),
        ("signatures", &sign_s, renewed),
    ] {
        Measured {
            workload: "W5",
            variant: &format!("{variant}-{label}"),
            n,
            runs,
            checksum: json!({ "count": n }),
            extra: extra.clone(),
        }
        .print();
    }
    Ok(())
}

/// Re-signs the named leaves of `inventory` with their CAs' keys (the fastest backend, as the
/// renewal uses), one after another on one thread, and
/// returns the seconds of the signing loop alone.
fn bare_signatures(inventory: &Inventory, names: &[&str]) -> Result<f64> {
    let mut keys: HashMap<&str, PrivateKey> = HashMap::new();
    let mut work = Vec::new();
    for name in names {
        let entry = inventory.get(name).ok_or_else(|| missing(name))?;
        let ca_name = entry.ca_name.as_deref().ok_or_else(|| missing(name))?;
        let ca = inventory.get(ca_name).ok_or_else(|| missing(ca_name))?;
        if !keys.contains_key(ca_name) {
            let key_path = ca.key.as_ref().ok_or_else(|| missing(ca_name))?.path();
            keys.insert(ca_name, PrivateKey::load_file(key_path)?);
        }
        let cert = entry.certificate.as_ref().ok_or_else(|| missing(name))?;
        let ca_cert = ca.certificate.as_ref().ok_or_else(|| missing(ca_name))?;
        work.push((cert, ca_cert, ca_name));
    }
    let options = ResignOptions::default();
    let start = Instant::now();
    for (cert, ca_cert, ca_name) in work {
        let key = keys.get(ca_name).ok_or_else(|| missing(ca_name))?;
        let issuer = Issuer::new(ca_cert, key)?;
        resign(cert, &issuer, &options)?;
    }
    Ok(start.elapsed().as_secs_f64())
}

fn missing(name: &str) -> Error {
    Error::new(
        ErrorKind::Layout,
        format!("{name}: not in the inventory, or without certificate, CA or CA key"),
    )
}

fn fresh_copy(template: &Path, tree: &Path) -> Result<()> {
    let _ = std::fs::remove_dir_all(tree);
    let status = Command::new("cp")
        .arg("-a")
        .arg(template)
        .arg(tree)
        .status()
        .map_err(|e| crate::io::io_error(tree, e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Io,
            format!("cp -a {} {} failed", template.display(), tree.display()),
        ))
    }
}
