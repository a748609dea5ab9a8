//! `kcert`: inspect and renew the certificates of a Kubernetes node with kcertlib.
//!
//! `kcert --help` lists the commands (`cli.rs`); each command lives in its own file, and the
//! exit codes in `exit.rs`.

mod attention;
mod check;
mod cli;
mod demo;
mod docs;
mod exit;
mod export;
mod handoff_files;
mod inspect;
mod install;
mod output;
mod progress;
mod renew;
mod rollback;
mod sign;
mod values;
mod version;

use cli::Command;
use exit::{Failure, warn};

fn main() {
    let code = match cli::parse() {
        Ok(cli) => run(&cli).unwrap_or_else(|f| {
            warn(&format!("kcert: {}\n", f.message));
            f.code
        }),
        Err(code) => code,
    };
    std::process::exit(code);
}

fn run(cli: &cli::Cli) -> Result<i32, Failure> {
    match &cli.command {
        Command::Inspect(args) => inspect::run(args, cli.quiet),
        Command::Check(args) => check::run(args, cli.quiet),
        Command::Renew(args) => renew::run(args, cli.quiet),
        Command::Export(args) => export::run(args, cli.quiet),
        Command::Sign(args) => sign::run(args, cli.quiet),
        Command::Install(args) => install::run(args, cli.quiet),
        Command::Rollback(args) => rollback::run_rollback(args),
        Command::Recover(args) => rollback::run_recover(args),
        Command::Demo(args) => demo::run(args),
        Command::Fixture(args) => demo::run_fixture(args),
        Command::Completions(args) => docs::completions(args),
        Command::Man => docs::man(),
    }
}
