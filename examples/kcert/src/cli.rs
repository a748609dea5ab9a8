//! The command line: `kcert [--quiet] COMMAND [OPTIONS]`, parsed by clap. Each command's
//! options live beside its code (`check::CheckArgs`, ...); this file names the commands, the
//! options every command shares, the exit codes, and how a parse failure becomes exit 64.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::exit::{EXIT_OK, EXIT_USAGE, emit, warn};

/// The exit codes, shown at the end of `kcert --help` and of each command's help.
pub const EXIT_CODES: &str = "\
Exit codes:
  0   all good (renew: everything asked for is renewed, nothing left expired or expiring)
  1   something needs a person: expired, not yet valid, expiring within the window, required
      but missing, or unreadable (listed on stderr and in the output); with check --live: a
      component serves an older certificate than the one on disk (restart it)
  2   an error: nothing found under --root, a file that cannot be read, a failed renewal
      (every original restored)
  64  a usage error: unknown option, stray argument, value out of range";

/// Inspect and renew the certificates of a Kubernetes node (kubeadm, kubespray, RKE1, RKE2,
/// k3s) as one transaction, faithfully: subject, key, SANs and every extension kept.
#[derive(Debug, Parser)]
#[command(name = "kcert", after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    /// No progress bar (it shows only on a terminal, and only for work longer than a second).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every certificate in files and directories: PEM bundles, DER, kubeconfigs, kubelet pems.
    #[command(after_help = EXIT_CODES)]
    Inspect(crate::inspect::InspectArgs),
    /// Every certificate of a node, as `kubeadm certs check-expiration` lists them; with
    /// --live, whether each running component serves the certificate on disk.
    #[command(after_help = EXIT_CODES)]
    Check(crate::check::CheckArgs),
    /// Renew a node's certificates as one transaction (backup, atomic renames, rollback).
    #[command(after_help = EXIT_CODES)]
    Renew(crate::renew::RenewArgs),
    /// On a node without its CA key: write what needs renewing (certificates only, no keys) for
    /// the holder of the CA key to sign.
    #[command(after_help = EXIT_CODES)]
    Export(crate::export::ExportArgs),
    /// Where the CA key is: re-sign the requests of `kcert export` faithfully.
    #[command(after_help = EXIT_CODES)]
    Sign(crate::sign::SignArgs),
    /// On the node: check and install what `kcert sign` (or an external CA) signed, as one
    /// transaction.
    #[command(after_help = EXIT_CODES)]
    Install(crate::install::InstallArgs),
    /// Restore the files a renewal replaced, from its manifest.
    #[command(after_help = EXIT_CODES)]
    Rollback(crate::rollback::RollbackArgs),
    /// Roll back a renewal that was interrupted (killed, power lost).
    #[command(after_help = EXIT_CODES)]
    Recover(crate::rollback::RecoverArgs),
    /// Build an expired cluster tree, check it, renew it, check it again.
    Demo(crate::demo::DemoArgs),
    /// Build a generated cluster tree (for tests and experiments).
    Fixture(crate::demo::FixtureArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(crate::docs::CompletionsArgs),
    /// Print the manual page (roff; `kcert man | man -l -`).
    Man,
}

/// The command line as clap sees it, with the version text that names the build.
pub fn command() -> clap::Command {
    Cli::command()
        .version(crate::version::short())
        .long_version(crate::version::long())
}

/// Parses the arguments. `Err(code)` when the process should end now: after `--help` or
/// `--version` (0) or a usage error (64, with the message naming the culprit on stderr).
pub fn parse() -> Result<Cli, i32> {
    let matches = command().try_get_matches().map_err(stop)?;
    Cli::from_arg_matches(&matches).map_err(stop)
}

/// What a clap "error" means for the process: help and version go to stdout and succeed;
/// everything else is a usage error. clap would exit 2, which our scripts read as "error".
fn stop(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            emit(&e.render().to_string());
            EXIT_OK
        }
        _ => {
            warn(&e.render().to_string());
            if let Some(tip) = root_tip(&e) {
                warn(&tip);
            }
            EXIT_USAGE
        }
    }
}

/// `kcert renew ./tree` meant `--root ./tree`: say so, since a stray directory is the one
/// mistake that once made kcert act on `/`.
fn root_tip(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(stray)) if !stray.starts_with('-') => Some(format!(
            "tip: to work on the tree at {stray}, use --root {stray}\n"
        )),
        _ => None,
    }
}
