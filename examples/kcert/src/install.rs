//! `kcert install`: on the node, check and install what `kcert sign` (or an external CA, as
//! plain PEM certificates for `kcert export --csr`) signed, as one transaction with backups,
//! manifest and rollback, exactly as `kcert renew` writes.

use std::path::PathBuf;

use clap::Args;
use kcertlib::Threads;
use kcertlib::handoff::{InstallOptions, SignedSet, install_signed};

use crate::exit::{EXIT_OK, Failure, emit};
use crate::output::{Format, render};
use crate::values;

/// `kcert install` options.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The signed file from `kcert sign`, or PEM certificates from an external CA (`-` for
    /// stdin).
    #[arg(value_name = "SIGNED")]
    pub signed: PathBuf,
    /// The node's root directory: `/`, or a mounted disk or copy of one.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Check everything and report, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where the originals are backed up (absent or empty; default
    /// ROOT/var/lib/kcert/backups/TIMESTAMP).
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Leave users' copies of the node's credentials alone (kubeconfigs in ROOT/root/.kube and
    /// ROOT/home/*/.kube; by default they are renewed with what they copy).
    #[arg(long)]
    pub no_copies: bool,
    /// Check the new certificates' validity at this time instead of now.
    #[arg(long, value_name = "WHEN", value_parser = values::at)]
    pub at: Option<kcertlib::Timestamp>,
    /// Threads (0: one per core).
    #[arg(long, value_name = "N", default_value = "0", value_parser = values::threads)]
    pub threads: Threads,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Format,
}

pub fn run(args: &InstallArgs, quiet: bool) -> Result<i32, Failure> {
    let text = crate::handoff_files::read(&args.signed)?;
    let signed = SignedSet::parse(&text)
        .map_err(|e| Failure::error(format!("{}: {e}", args.signed.display())))?;
    let mut options = InstallOptions::default()
        .with_dry_run(args.dry_run)
        .with_user_kubeconfigs(!args.no_copies)
        .with_threads(args.threads);
    if let Some(dir) = &args.backup_dir {
        options = options.with_backup_dir(dir);
    }
    if let Some(at) = args.at {
        options = options.at(at);
    }
    let root = &args.root;
    let verb = if args.dry_run {
        "checking"
    } else {
        "installing"
    };
    let report = crate::progress::spin(quiet, &format!("{verb} into {}", root.display()), || {
        install_signed(root, &signed, &options)
    })?;
    emit(&render(args.output, &report.to_json(), || {
        crate::renew::describe(&report)
    }));
    Ok(EXIT_OK)
}
