//! `kcert`: inspect and renew the certificates of a Kubernetes node with kcertlib.
//!
//! Run `kcert help` for the commands. This program is an example of the library's API; each
//! command lives in its own file.

mod args;
mod check;
mod demo;
mod exit;
mod inspect;
mod renew;

use args::Args;
use exit::{EXIT_OK, EXIT_USAGE, Failure, emit, warn};

const USAGE: &str = "\
kcert — inspect and renew Kubernetes certificates

usage:
  kcert inspect [--json] [--warn-within DUR] FILE...
      every certificate in each file (PEM bundle or DER)
  kcert check [--root DIR] [--output table|json|prometheus] [--warn-within DUR] [--threads N]
      every certificate of a node, kubeadm-style; exit 1 when something is expired
  kcert renew [--root DIR] [--only NAME,...] [--expiring-within DUR] [--days N]
              [--backdate DUR|ca|keep] [--rotate-keys] [--include-ca] [--dry-run]
              [--backup-dir DIR] [--threads N] [--json]
      renew as one transaction (backup, atomic renames, rollback on failure)
  kcert rollback MANIFEST [--root DIR]
      restore the files a renewal replaced (--root: the tree of a renewal made with
      --backup-dir; a manifest in DIR/var/lib/kcert/backups/ names its tree itself)
  kcert recover [--root DIR]
      roll back a renewal that was interrupted (killed, power lost)
  kcert demo [DIR] [--layout kubeadm,kubespray,rke1,rke2,k3s]
      build an expired cluster tree, check it, renew it, check it again
  kcert fixture LAYOUT DIR [--valid] [--etcd-hosts N] [--reuse-keys]
      build a generated cluster tree
  kcert help

--threads N: threads that check and sign (default 0: one per core)

exit codes: 0 ok; 1 something expired / not yet valid, or left unrenewed; 2 error; 64 usage
";

fn main() {
    let mut argv = std::env::args().skip(1);
    let command = argv.next().unwrap_or_else(|| "help".into());
    let args = Args::new(argv);
    let result = match command.as_str() {
        "inspect" => inspect::run(args),
        "check" => check::run(args),
        "renew" => renew::run(args),
        "rollback" => renew::run_rollback(args),
        "recover" => renew::run_recover(args),
        "demo" => demo::run(args),
        "fixture" => demo::run_fixture(args),
        "help" | "--help" | "-h" => {
            emit(USAGE);
            Ok(EXIT_OK)
        }
        other => Err(Failure::usage(format!("unknown command {other:?}"))),
    };
    let code = match result {
        Ok(code) => code,
        Err(f) => {
            warn(&format!("kcert: {}\n", f.message));
            if f.code == EXIT_USAGE {
                warn(USAGE);
            }
            f.code
        }
    };
    std::process::exit(code);
}
