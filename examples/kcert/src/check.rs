//! `kcert check`: every certificate of a node, as a kubeadm-like table, JSON or Prometheus text.
//! Exits 1 when something is expired, not yet valid or missing where it must not be.

use std::path::PathBuf;

use kcertlib::inventory::{ScanOptions, scan};

use crate::args::Args;
use crate::exit::{EXIT_EXPIRED, EXIT_OK, Failure, emit};

pub fn run(args: Args) -> Result<i32, Failure> {
    let mut root = PathBuf::from("/");
    let mut output = "table".to_string();
    let mut options = ScanOptions::default();
    let positionals = args
        .parse(
            |name, value| {
                let value = value.unwrap_or_default();
                match name {
                    "root" => root = PathBuf::from(value),
                    "output" | "o" => output = value,
                    "threads" => options.threads = crate::args::threads(&value)?,
                    "warn-within" => {
                        options.warn_within =
                            kcertlib::time::parse_duration(&value).map_err(|e| e.to_string())?
                    }
                    _ => {}
                }
                Ok(())
            },
            |name| {
                matches!(name, "root" | "output" | "o" | "warn-within" | "threads").then_some(true)
            },
        )
        .map_err(Failure::usage)?;
    crate::args::no_positionals("check", &positionals)?;
    let inventory = scan(&root, &options)?;
    let text = match output.as_str() {
        "table" => inventory.to_table(),
        "json" => inventory.to_json() + "\n",
        "prometheus" => inventory.to_prometheus(),
        other => {
            return Err(Failure::usage(format!(
                "unknown output {other:?}: use table, json or prometheus"
            )));
        }
    };
    emit(&text);
    Ok(if inventory.any_expired() {
        EXIT_EXPIRED
    } else {
        EXIT_OK
    })
}
