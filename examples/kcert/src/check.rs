//! `kcert check`: every certificate of a node, as kubeadm's tables, JSON, YAML or Prometheus
//! text, judged now or at `--at`. Exits 1 when something needs a person (`attention`), 2 when
//! nothing at all was found under `--root`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kcertlib::inventory::{ScanOptions, scan};
use kcertlib::{Threads, Timestamp};

use crate::attention::{describe, needs_person, require_something};
use crate::exit::{EXIT_ATTENTION, EXIT_OK, Failure, emit, warn};
use crate::output::{CheckFormat, yaml};
use crate::values;

/// `kcert check` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The node's root directory: `/`, or a mounted disk or copy of one.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: CheckFormat,
    /// A certificate expiring within this window is a warning, and needs a person (e.g. 30d,
    /// 12h, 1d12h; at most 1000y).
    #[arg(long, value_name = "DUR", default_value = "30d", value_parser = values::duration)]
    pub warn_within: Duration,
    /// Judge every certificate as of this moment instead of now: a date (2027-03-01), an RFC
    /// 3339 time, or an offset (+90d).
    #[arg(long, value_name = "WHEN", value_parser = values::at)]
    pub at: Option<Timestamp>,
    /// Threads that read and check (0: one per core).
    #[arg(long, value_name = "N", default_value = "0", value_parser = values::threads)]
    pub threads: Threads,
}

pub fn run(args: &CheckArgs, quiet: bool) -> Result<i32, Failure> {
    let mut options = ScanOptions::default()
        .with_warn_within(args.warn_within)
        .with_threads(args.threads);
    if let Some(at) = args.at {
        options = options.at(at);
    }
    let message = format!("scanning {}", args.root.display());
    let inventory = crate::progress::spin(quiet, &message, || scan(&args.root, &options))?;
    require_something(&inventory, &args.root)?;
    let text = match args.output {
        CheckFormat::Table => inventory.to_table(),
        CheckFormat::Json => inventory.to_json() + "\n",
        CheckFormat::Yaml => yaml(&inventory.to_json()),
        CheckFormat::Prometheus => inventory.to_prometheus(),
    };
    emit(&text);
    let attention = needs_person(&inventory, &BTreeSet::new());
    if attention.is_empty() {
        return Ok(EXIT_OK);
    }
    warn(&describe(&attention));
    Ok(EXIT_ATTENTION)
}
