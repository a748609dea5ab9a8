//! `kcert`: inspect and renew the certificates of a Kubernetes node with kcertlib.
//!
//! Run `kcert help` for the commands. This program is an example of the library's API; each
//! command lives in its own file.

mod args;
mod exit;
mod inspect;

use args::Args;
use exit::{EXIT_OK, EXIT_USAGE, Failure};

const USAGE: &str = "\
kcert — inspect and renew Kubernetes certificates

usage:
  kcert inspect [--json] [--warn-within DUR] FILE...
      every certificate in each file (PEM bundle or DER)
  kcert help

exit codes: 0 ok; 1 something expired / not yet valid, or left unrenewed; 2 error; 64 usage
";

fn main() {
    let mut argv = std::env::args().skip(1);
    let command = argv.next().unwrap_or_else(|| "help".into());
    let args = Args::new(argv);
    let result = match command.as_str() {
        "inspect" => inspect::run(args),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(EXIT_OK)
        }
        other => Err(Failure::usage(format!("unknown command {other:?}"))),
    };
    let code = match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("kcert: {}", f.message);
            if f.code == EXIT_USAGE {
                eprint!("{USAGE}");
            }
            f.code
        }
    };
    std::process::exit(code);
}
