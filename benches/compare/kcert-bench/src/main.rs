//! kcert-bench: kcertlib's side of the comparison suite (`benches/compare/run.sh`).
//!
//! ```text
//! kcert-bench gen    --work DIR [--count N] [--files N] [--resign N] [--sample N]
//!                    [--etcd-hosts N] [--threads N]
//! kcert-bench w1     --work DIR [--reps N]       parse the bundle, read subject/notAfter/SANs
//! kcert-bench w2     --work DIR [--reps N]       the same, one file per certificate
//! kcert-bench resign --work DIR --ca rsa|p256 [--reps N] [--threads N]   W3 / W4, per backend
//! kcert-bench w5     --work DIR [--reps N] [--threads N]        scan + renew vs signatures
//! kcert-bench w6     [--label view|certificate]  stream PEM from stdin, report peak RSS
//! ```
//!
//! Each measurement prints one JSON line (see `measure`). Exit status 2 on any error.

mod checksum;
mod generate;
mod io;
mod measure;
mod parse;
mod renewal;
mod resign;
mod stream;

use std::path::PathBuf;
use std::process::ExitCode;

use kcertlib::{Error, ErrorKind, Result};

/// Command-line options shared by the subcommands.
struct Args {
    command: String,
    work: PathBuf,
    reps: usize,
    ca: String,
    label: String,
    sizes: generate::Sizes,
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| dispatch(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kcert-bench: {e}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(args: &Args) -> Result<()> {
    match args.command.as_str() {
        "gen" => generate::generate(&args.work, args.sizes),
        "w1" => parse::bundle(&args.work, args.reps),
        "w2" => parse::files(&args.work, args.reps),
        "resign" => resign::run(&args.work, &args.ca, args.reps, args.sizes.threads),
        "w5" => renewal::run(&args.work, args.reps, args.sizes.threads),
        "w6" => stream::run(std::io::stdin().lock(), &args.label),
        other => Err(usage(&format!("unknown command {other:?}"))),
    }
}

fn parse_args() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or_else(|| usage("missing command"))?;
    let mut args = Args {
        command,
        work: PathBuf::from("target/compare-work"),
        reps: 3,
        ca: "rsa".to_string(),
        label: "view".to_string(),
        sizes: generate::Sizes {
            count: 100_000,
            files: 10_000,
            resign: 10_000,
            sample: 500,
            etcd_hosts: 1_000,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        },
    };
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| usage(&format!("{flag} needs a value")))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| usage(&format!("{flag}: not a number: {value:?}")))
        };
        match flag.as_str() {
            "--work" => args.work = PathBuf::from(&value),
            "--reps" => args.reps = number()?,
            "--ca" if value == "rsa" || value == "p256" => args.ca = value.clone(),
            "--label" => args.label = value.clone(),
            "--count" => args.sizes.count = number()?,
            "--files" => args.sizes.files = number()?,
            "--resign" => args.sizes.resign = number()?,
            "--sample" => args.sizes.sample = number()?,
            "--etcd-hosts" => args.sizes.etcd_hosts = number()?,
            "--threads" => args.sizes.threads = number()?,
            _ => return Err(usage(&format!("unknown option {flag} {value}"))),
        }
    }
    Ok(args)
}

fn usage(message: &str) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("{message} (see the doc comment of benches/compare/kcert-bench/src/main.rs)"),
    )
}
