//! `kcert demo`: the main job on an embedded default. Builds an expired cluster tree with the
//! library's fixture builder, shows `check`, renews everything as one transaction, shows
//! `check` again and verifies every renewed certificate against its CA.
//! `kcert fixture LAYOUT DIR`: just build a tree (for tests and experiments).

use std::path::PathBuf;

use clap::Args;
use kcertlib::fixture::{FixtureLayout, FixtureOptions, build};
use kcertlib::inventory::{EntryStatus, ScanOptions, scan};
use kcertlib::renew::{RenewOptions, renew};

use crate::exit::{EXIT_ERROR, EXIT_OK, Failure, emit};
use crate::output::{Format, render};

/// `kcert demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the trees are built (default: a new directory under the system's temp dir).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The layouts to build: kubeadm, kubespray, rke1, rke2, k3s.
    #[arg(long, value_name = "LAYOUT,...", value_delimiter = ',', default_value = "kubeadm",
          value_parser = layout)]
    pub layout: Vec<FixtureLayout>,
}

/// `kcert fixture` options.
#[derive(Debug, Args)]
pub struct FixtureArgs {
    /// kubeadm, kubespray, rke1, rke2 or k3s.
    #[arg(value_name = "LAYOUT", value_parser = layout)]
    pub layout: FixtureLayout,
    /// The root of the tree to build.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Leaves valid for another 364 days instead of expired a year ago.
    #[arg(long)]
    pub valid: bool,
    /// Number of etcd hosts (kubespray, RKE1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub etcd_hosts: Option<u16>,
    /// Let leaves share a small pool of keys (much faster for large trees).
    #[arg(long)]
    pub reuse_keys: bool,
    /// Output format of the summary.
    #[arg(short, long, value_enum, default_value = "json")]
    pub output: Format,
}

fn layout(name: &str) -> Result<FixtureLayout, String> {
    FixtureLayout::parse(name).map_err(|e| e.message().to_string())
}

pub fn run(args: &DemoArgs) -> Result<i32, Failure> {
    let layouts = args.layout.clone();
    let base = match &args.dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("kcert-demo-{}", std::process::id())),
    };
    let mut failures = 0;
    for layout in layouts {
        let root = base.join(layout.name());
        emit(&format!(
            "\n### {} node tree with expired leaves at {}\n",
            layout.name(),
            root.display()
        ));
        build(&root, layout, &FixtureOptions::default())?;
        let before = scan(&root, &ScanOptions::default())?;
        emit(&format!(
            "\n$ kcert check --root {}\n{}",
            root.display(),
            before.to_table()
        ));
        let report = renew(&root, &RenewOptions::default())?;
        emit(&format!(
            "\n$ kcert renew --root {}\n{}",
            root.display(),
            crate::renew::describe(&report)
        ));
        let after = scan(&root, &ScanOptions::default())?;
        emit(&format!(
            "\n$ kcert check --root {}\n{}",
            root.display(),
            after.to_table()
        ));
        for entry in after.leaves() {
            let valid = matches!(entry.status, EntryStatus::Ok);
            let verified = entry.chain_verifies != Some(false);
            if entry.status == EntryStatus::Missing || entry.externally_managed {
                continue;
            }
            if !(valid && verified) {
                failures += 1;
                emit(&format!(
                    "FAILED: {} is {} (chain verifies: {:?})\n",
                    entry.name,
                    entry.status.name(),
                    entry.chain_verifies
                ));
            }
        }
    }
    if failures == 0 {
        emit("\ndemo: every leaf is valid again and verifies against its CA.\n");
        Ok(EXIT_OK)
    } else {
        emit(&format!(
            "\ndemo: {failures} entries are not valid after renewal\n"
        ));
        Ok(EXIT_ERROR)
    }
}

pub fn run_fixture(args: &FixtureArgs) -> Result<i32, Failure> {
    let mut options = FixtureOptions::default();
    options.expired = !args.valid;
    options.reuse_leaf_keys = args.reuse_keys;
    if let Some(hosts) = args.etcd_hosts {
        options.etcd_hosts = usize::from(hosts);
    }
    let summary = build(&args.dir, args.layout, &options)?;
    emit(&render(args.output, &summary.to_json(), || {
        let mut out = format!(
            "built a {} tree with {} leaves at {}\n",
            summary.layout.name(),
            if summary.expired { "expired" } else { "valid" },
            summary.root.display()
        );
        for e in &summary.entries {
            out.push_str(&format!("  {:<32} {}\n", e.name, e.cert.display()));
        }
        out
    }));
    Ok(EXIT_OK)
}
