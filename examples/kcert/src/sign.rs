//! `kcert sign`: where the CA key is, re-sign the requests `kcert export` wrote on a node,
//! faithfully, for the node to `kcert install`. Writes only the signed file.
//!
//! Exit 0 when every request is signed, 1 when some were refused (each with its reason).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kcertlib::handoff::{RequestSet, SignOptions, SignedSet, sign_requests};
use kcertlib::{NotBefore, Threads};

use crate::exit::{EXIT_ATTENTION, EXIT_OK, Failure, emit, warn};
use crate::output::{Format, render};
use crate::values;

/// `kcert sign` options.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The requests file written by `kcert export` (`-` for stdin).
    #[arg(value_name = "REQUESTS")]
    pub requests: PathBuf,
    /// The root that holds the CA keys (a control-plane node's `/`, or a CA host's tree).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// The signed file to write (mode 0600; `-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace FILE when it exists.
    #[arg(long)]
    pub force: bool,
    /// Lifetime of the new certificates, in days (1 to 365000).
    #[arg(long, value_name = "N", value_parser = values::days)]
    pub days: Option<Duration>,
    /// notBefore of the new certificates: this long before now (e.g. 1h), `ca` for the CA's
    /// notBefore, `keep` for the certificate's own, or an RFC 3339 time.
    #[arg(long, value_name = "DUR|ca|keep|TIME", value_parser = values::backdate)]
    pub backdate: Option<NotBefore>,
    /// Carry the CA certificates used along, for the node to install into its CA copies and
    /// kubeconfigs (after the CA was renewed here with kcert renew --include-ca).
    #[arg(long)]
    pub include_ca: bool,
    /// Threads that sign (0: one per core).
    #[arg(long, value_name = "N", default_value = "0", value_parser = values::threads)]
    pub threads: Threads,
    /// Output format of the summary (stderr when --out is `-`).
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Format,
}

pub fn run(args: &SignArgs, quiet: bool) -> Result<i32, Failure> {
    let text = crate::handoff_files::read(&args.requests)?;
    let requests = RequestSet::from_json(&text)
        .map_err(|e| Failure::error(format!("{}: {e}", args.requests.display())))?;
    let mut options = SignOptions::default()
        .with_include_ca(args.include_ca)
        .with_threads(args.threads);
    if let Some(lifetime) = args.days {
        options.validity.lifetime = lifetime;
    }
    if let Some(not_before) = args.backdate {
        options.validity.not_before = not_before;
    }
    let root = &args.root;
    let signed = crate::progress::spin(quiet, &format!("signing with {}", root.display()), || {
        sign_requests(root, &requests, &options)
    })?;
    crate::handoff_files::write(&args.out, &signed.to_json(), args.force)?;
    let summary = render(args.output, &summary_json(&signed, &args.out), || {
        summary_table(&signed, &args.out)
    });
    if args.out.as_os_str() == "-" {
        warn(&summary);
    } else {
        emit(&summary);
    }
    if signed.refused.is_empty() {
        Ok(EXIT_OK)
    } else {
        warn(&format!(
            "{} of {} requests refused: {}\n",
            signed.refused.len(),
            requests.requests.len(),
            signed
                .refused
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(EXIT_ATTENTION)
    }
}

fn summary_json(signed: &SignedSet, out: &std::path::Path) -> String {
    let value = serde_json::json!({
        "out": out,
        "signed": signed.signed.iter().map(|s| serde_json::json!({
            "name": s.name,
            "ca": s.ca.as_ref().map(|ca| ca.name.clone()),
        })).collect::<Vec<_>>(),
        "refused": signed.refused.iter().map(|r| serde_json::json!({
            "name": r.name,
            "reason": r.reason,
        })).collect::<Vec<_>>(),
        "caCertificates": signed.ca_certificates.len(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn summary_table(signed: &SignedSet, out: &std::path::Path) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    for s in &signed.signed {
        let name = s.name.as_deref().unwrap_or("(unnamed)");
        let ca = s.ca.as_ref().map_or("?", |ca| ca.name.as_str());
        let _ = writeln!(o, "signed  {name:<28} by CA {ca}");
    }
    for r in &signed.refused {
        let _ = writeln!(o, "refused {:<28} {}", r.name, r.reason);
    }
    if !signed.ca_certificates.is_empty() {
        let _ = writeln!(
            o,
            "{} CA certificates carried along",
            signed.ca_certificates.len()
        );
    }
    if !signed.signed.is_empty() {
        let _ = writeln!(
            o,
            "written to {} (install it on the node: kcert install --root / {})",
            out.display(),
            out.display()
        );
    }
    o
}
