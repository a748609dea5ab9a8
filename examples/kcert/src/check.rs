//! `kcert check`: every certificate of a node, as kubeadm's tables, JSON, YAML or Prometheus
//! text, judged now or at `--at`. Exits 1 when something needs a person (`attention`), 2 when
//! nothing at all was found under `--root`.
//!
//! `--live` answers another question, after a renewal and the restarts: does each running
//! component serve the certificate on disk? It dials the layout's components on loopback only
//! (`kcertlib::live`) and exits 1 when one serves an older certificate (restart it); a
//! component not running, or serving a certificate of its own, is reported, not a failure.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kcertlib::inventory::{Inventory, ScanOptions, scan};
use kcertlib::live::{Component, LiveOptions, check_inventory};
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
    /// Instead of expiry, check what each running component serves: dial its port on 127.0.0.1
    /// (or ::1) only and report current (the certificate on disk), outdated (an older one:
    /// restart it; exit 1), unmatched (a certificate of its own), not-running or
    /// no-certificate. Ports are the layout's defaults: kube-apiserver 6443 (k3s 6444), etcd
    /// 2379, etcd-peer 2380, kubelet 10250, kube-controller-manager 10257, kube-scheduler
    /// 10259, RKE2 supervisor 9345 (k3s 6443).
    #[arg(long)]
    pub live: bool,
    /// With --live: dial COMPONENT on PORT instead of its default (repeatable), e.g.
    /// etcd=12379; a component the layout lacks is dialled too.
    #[arg(long, value_name = "COMPONENT=PORT", requires = "live", value_parser = values::live_port)]
    pub live_port: Vec<(Component, u16)>,
    /// With --live: the bound on connecting to and reading one component (they are dialled in
    /// parallel).
    #[arg(long, value_name = "DUR", default_value = "5s", requires = "live", value_parser = values::duration)]
    pub live_timeout: Duration,
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
    if args.live {
        return Ok(live(args, &inventory, quiet));
    }
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

/// `check --live`: the report in the chosen format; exit 1 when a component serves an older
/// certificate than the one on disk, each named on stderr.
fn live(args: &CheckArgs, inventory: &Inventory, quiet: bool) -> i32 {
    let mut options = LiveOptions::default().with_timeout(args.live_timeout);
    for &(component, port) in &args.live_port {
        options = options.with_port(component, port);
    }
    let report = crate::progress::spin(quiet, "dialling the components on loopback", || {
        check_inventory(inventory, &options)
    });
    let text = match args.output {
        CheckFormat::Table => report.to_table(),
        CheckFormat::Json => report.to_json() + "\n",
        CheckFormat::Yaml => yaml(&report.to_json()),
        CheckFormat::Prometheus => report.to_prometheus(),
    };
    emit(&text);
    let outdated: Vec<String> = report
        .outdated()
        .map(|c| format!("  {}: {}\n", c.component, c.detail))
        .collect();
    if outdated.is_empty() {
        return EXIT_OK;
    }
    warn(&format!(
        "kcert: {} {} an older certificate than the one on disk (restart {}):\n{}",
        outdated.len(),
        if outdated.len() == 1 {
            "component serves"
        } else {
            "components serve"
        },
        if outdated.len() == 1 { "it" } else { "them" },
        outdated.concat()
    ));
    EXIT_ATTENTION
}
