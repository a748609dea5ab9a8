//! `kcert rollback MANIFEST` and `kcert recover`: undo a completed renewal from its manifest,
//! or an interrupted one from its journal.

use std::path::PathBuf;

use clap::Args;
use kcertlib::renew::{recover, rollback, rollback_in};

use crate::exit::{EXIT_OK, Failure, emit};
use crate::output::{Format, render};

/// `kcert rollback` options.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The manifest a renewal printed (ROOT/var/lib/kcert/backups/STAMP/manifest.json, or in
    /// its --backup-dir).
    #[arg(value_name = "MANIFEST")]
    pub manifest: PathBuf,
    /// The tree a renewal made with --backup-dir changed (a manifest in the default place
    /// names its tree itself).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "json")]
    pub output: Format,
}

/// `kcert recover` options.
#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// The node's root directory: `/`, or a mounted disk or copy of one.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Format,
}

pub fn run_rollback(args: &RollbackArgs) -> Result<i32, Failure> {
    let report = match &args.root {
        Some(root) => rollback_in(root, &args.manifest)?,
        None => rollback(&args.manifest)?,
    };
    emit(&render(args.output, &report.to_json(), || {
        let mut out = format!("restored {} files\n", report.restored.len());
        for path in &report.restored {
            out.push_str(&format!("  {}\n", path.display()));
        }
        if let Some(m) = &report.manifest {
            out.push_str(&format!("rollback manifest: {}\n", m.display()));
        }
        for w in &report.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        out
    }));
    Ok(EXIT_OK)
}

pub fn run_recover(args: &RecoverArgs) -> Result<i32, Failure> {
    let recovery = recover(&args.root)?;
    let json = serde_json::to_string_pretty(&match &recovery {
        Some(r) => serde_json::json!({
            "recovered": true,
            "manifest": r.manifest,
            "restored": r.restored,
            "removedTemps": r.removed_temps,
            "conflicts": r.conflicts,
        }),
        None => serde_json::json!({ "recovered": false }),
    })
    .unwrap_or_default();
    emit(&render(args.output, &json, || match &recovery {
        Some(r) => format!(
            "rolled back an interrupted renewal (manifest {}): {} files restored, {} leftovers removed\n{}",
            r.manifest.display(),
            r.restored.len(),
            r.removed_temps.len(),
            r.conflicts
                .iter()
                .map(|c| format!("warning: {c}\n"))
                .collect::<String>()
        ),
        None => "no interrupted renewal to recover\n".to_string(),
    }));
    Ok(EXIT_OK)
}
