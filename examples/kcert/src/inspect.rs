//! `kcert inspect PATH...`: every certificate in files and directories, whatever holds it (PEM
//! bundles, DER, kubeconfigs with embedded or referenced certificates, kubelet's pem bundles),
//! with every field an operator checks, which input issued it, and whether `--key` files
//! match. The successor of the `shcert` script.
//!
//! Exit 0 when every certificate is valid beyond the window, 1 when one needs a person
//! (expired, not yet valid, within `--warn-within`) or a `--key` matches none, 2 when an input
//! cannot be read or a named file holds no certificate.

mod chain;
mod render;
mod source;
mod walk;

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kcertlib::{CertificateSummary, PrivateKey, Status, Timestamp};

use crate::exit::{EXIT_ATTENTION, EXIT_ERROR, EXIT_OK, Failure, emit, warn};
use crate::output::{Format, render};
use crate::values;

/// `kcert inspect` options.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Files and directories (read recursively): PEM, DER, kubeconfigs, kubelet pems.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Tell which certificates this private key belongs to (repeatable).
    #[arg(long, value_name = "FILE")]
    pub key: Vec<PathBuf>,
    /// A certificate expiring within this window is a warning (e.g. 30d; at most 1000y).
    #[arg(long, value_name = "DUR", default_value = "30d", value_parser = values::duration)]
    pub warn_within: Duration,
    /// Judge validity as of this moment: 2027-03-01, an RFC 3339 time, or +90d.
    #[arg(long, value_name = "WHEN", value_parser = values::at)]
    pub at: Option<Timestamp>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Format,
    /// Same as `-o json` (kept for scripts written before `-o`).
    #[arg(long, hide = true)]
    pub json: bool,
}

/// The certificates of one input file, or why it could not be read.
struct FileResult {
    path: String,
    found: Vec<source::Found>,
    errors: Vec<String>,
}

pub fn run(args: &InspectArgs, quiet: bool) -> Result<i32, Failure> {
    let now = args.at.unwrap_or_else(Timestamp::now);
    let (inputs, mut errors) = walk::inputs(&args.paths);
    let mut files = Vec::new();
    let mut progress = crate::progress::Counter::new(quiet, inputs.len() as u64, "files");
    for input in &inputs {
        progress.inc();
        if let Some(file) = read(input) {
            files.push(file);
        }
    }
    drop(progress);
    let keys = load_keys(&args.key, &mut errors);
    let all: Vec<&source::Found> = files.iter().flat_map(|f| &f.found).collect();
    let certs: Vec<&kcertlib::Certificate> = all.iter().map(|f| &f.cert).collect();
    let issuers = chain::issuers(&certs);
    let matches: Vec<Vec<&str>> = certs
        .iter()
        .map(|c| {
            keys.iter()
                .filter(|(_, key)| key.matches(c))
                .map(|(name, _)| name.as_str())
                .collect()
        })
        .collect();
    let summaries: Vec<CertificateSummary> = certs
        .iter()
        .map(|c| CertificateSummary::new(c, now, args.warn_within))
        .collect();
    let issued_by = |i: usize| -> Option<&str> {
        issuers[i].map(|j| if j == i { "" } else { all[j].label.as_str() })
    };
    let format = if args.json { Format::Json } else { args.output };
    let json = json(&files, &summaries, &issuers, &matches, &all);
    emit(&render(format, &json, || {
        let mut out = String::new();
        for (i, found) in all.iter().enumerate() {
            let context = render::Context {
                issued_by: issued_by(i),
                keys: matches[i].clone(),
            };
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&render::text(&found.label, &summaries[i], &context));
        }
        for (name, _) in &keys {
            if !matches.iter().flatten().any(|m| m == name) {
                out.push_str(&format!("\nprivate key {name} matches no certificate\n"));
            }
        }
        out
    }));
    errors.extend(files.iter().flat_map(|f| f.errors.iter().cloned()));
    for e in &errors {
        warn(&format!("kcert: {e}\n"));
    }
    let unmatched_key = keys
        .iter()
        .any(|(name, _)| !matches.iter().flatten().any(|m| m == name));
    let attention = summaries.iter().any(|s| !matches!(s.status, Status::Ok)) || unmatched_key;
    Ok(if !errors.is_empty() {
        EXIT_ERROR
    } else if attention {
        EXIT_ATTENTION
    } else {
        EXIT_OK
    })
}

/// Reads one input: `None` for a file the walk found that holds nothing certificate-like.
fn read(input: &walk::Input) -> Option<FileResult> {
    let path = input.path.display().to_string();
    let failed = |e: String| FileResult {
        path: path.clone(),
        found: Vec::new(),
        errors: vec![e],
    };
    // A file the walk found is looked at first (a regular file: the walk keeps no other),
    // and left alone unless it may hold a certificate; a named file goes straight to the core,
    // which refuses what is not a regular file.
    if !input.named {
        match walk::may_hold_certificates(&input.path) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return Some(failed(format!("{path}: reading failed: {e}"))),
        }
    }
    match source::load(&input.path) {
        Ok(found) => Some(FileResult {
            path: path.clone(),
            found,
            errors: Vec::new(),
        }),
        Err(e) => Some(failed(e.to_string())),
    }
}

fn load_keys(paths: &[PathBuf], errors: &mut Vec<String>) -> Vec<(String, PrivateKey)> {
    paths
        .iter()
        .filter_map(|p| match PrivateKey::load_file(p) {
            Ok(key) => Some((p.display().to_string(), key)),
            Err(e) => {
                errors.push(e.with_path(p).to_string());
                None
            }
        })
        .collect()
}

/// `[{"file": ..., "certificates": [summary + label, origin, issuedBy, keys], "errors": [...]}]`.
fn json(
    files: &[FileResult],
    summaries: &[CertificateSummary],
    issuers: &[Option<usize>],
    matches: &[Vec<&str>],
    all: &[&source::Found],
) -> String {
    let mut index = 0;
    let mut out = Vec::new();
    for file in files {
        let mut certificates = Vec::new();
        for found in &file.found {
            let mut value = serde_json::to_value(&summaries[index]).unwrap_or_default();
            if let Some(map) = value.as_object_mut() {
                map.insert("label".into(), found.label.clone().into());
                map.insert("origin".into(), found.origin.clone());
                map.insert(
                    "issuedBy".into(),
                    issuers[index].map(|j| all[j].label.clone()).into(),
                );
                map.insert("selfSigned".into(), (issuers[index] == Some(index)).into());
                map.insert("matchingKeys".into(), matches[index].clone().into());
            }
            certificates.push(value);
            index += 1;
        }
        out.push(serde_json::json!({
            "file": file.path,
            "certificates": certificates,
            "errors": file.errors,
        }));
    }
    // A `Value` of strings, numbers and lists always serializes.
    serde_json::to_string_pretty(&out).unwrap_or_default()
}
