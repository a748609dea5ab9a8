//! `kcert export`: on a node without its CA key, write what needs renewing (certificates, never
//! keys) for whoever holds the CA key to sign with `kcert sign`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kcertlib::Threads;
use kcertlib::handoff::{ExportOptions, RequestSet, export_requests};

use crate::exit::{EXIT_OK, Failure, emit, warn};
use crate::output::{Format, render};
use crate::values;

/// `kcert export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The node's root directory: `/`, or a mounted disk or copy of one.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Export only these entries (names as `kcert check` lists them).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Export only what expires within this window (expired included), e.g. 30d.
    #[arg(long, value_name = "DUR", value_parser = values::duration)]
    pub expiring_within: Option<Duration>,
    /// Also write a PKCS#10 request per entry (signed by the node's own key), for CAs that
    /// accept only CSRs (Vault, an enterprise CA, openssl ca).
    #[arg(long)]
    pub csr: bool,
    /// The requests file to write (mode 0600; `-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace FILE when it exists.
    #[arg(long)]
    pub force: bool,
    /// Decide expiry at this time instead of now (RFC 3339, a date, or +90d).
    #[arg(long, value_name = "WHEN", value_parser = values::at)]
    pub at: Option<kcertlib::Timestamp>,
    /// Threads that scan (0: one per core).
    #[arg(long, value_name = "N", default_value = "0", value_parser = values::threads)]
    pub threads: Threads,
    /// Output format of the summary (stderr when --out is `-`).
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Format,
}

pub fn run(args: &ExportArgs, quiet: bool) -> Result<i32, Failure> {
    let mut options = ExportOptions::default()
        .with_only(args.only.iter().map(|s| s.trim()).filter(|s| !s.is_empty()))
        .with_csr(args.csr)
        .with_threads(args.threads);
    if let Some(window) = args.expiring_within {
        options = options.with_expiring_within(window);
    }
    if let Some(at) = args.at {
        options = options.at(at);
    }
    let root = &args.root;
    let set = crate::progress::spin(quiet, &format!("scanning {}", root.display()), || {
        export_requests(root, &options)
    })?;
    crate::handoff_files::write(&args.out, &set.to_json(), args.force)?;
    let summary = render(args.output, &summary_json(&set, &args.out), || {
        summary_table(&set, &args.out)
    });
    if args.out.as_os_str() == "-" {
        warn(&summary);
    } else {
        emit(&summary);
    }
    Ok(EXIT_OK)
}

fn summary_json(set: &RequestSet, out: &std::path::Path) -> String {
    let value = serde_json::json!({
        "out": out,
        "requests": set.requests.iter().map(|r| serde_json::json!({
            "name": r.name,
            "ca": r.ca.name,
            "path": r.path,
            "csr": r.csr_pem.is_some(),
        })).collect::<Vec<_>>(),
        "skipped": set.skipped.iter().map(|s| serde_json::json!({
            "name": s.name,
            "reason": s.reason,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn summary_table(set: &RequestSet, out: &std::path::Path) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    for r in &set.requests {
        let _ = writeln!(o, "export {:<28} signed by CA {}", r.name, r.ca.name);
    }
    for s in &set.skipped {
        let _ = writeln!(o, "not exported {:<22} {}", s.name, s.reason);
    }
    if set.requests.is_empty() {
        let _ = writeln!(o, "nothing to export");
    } else {
        let _ = writeln!(
            o,
            "{} requests written to {} (sign them where the CA key is: kcert sign --root DIR {} --out signed.json)",
            set.requests.len(),
            out.display(),
            out.display()
        );
    }
    o
}
