//! `kcert renew` and `kcert rollback`: renew a node's certificates as one transaction, or undo
//! a completed renewal from its manifest.

use std::path::PathBuf;

use kcertlib::renew::{RenewOptions, renew, rollback};
use kcertlib::{NotBefore, time::parse_duration};

use crate::args::Args;
use crate::exit::{EXIT_EXPIRED, EXIT_OK, Failure, emit};

pub fn run(args: Args) -> Result<i32, Failure> {
    let mut root = PathBuf::from("/");
    let mut options = RenewOptions::default();
    let mut json = false;
    let positionals = args
        .parse(
            |name, value| {
                let v = value.unwrap_or_default();
                let dur = |s: &str| parse_duration(s).map_err(|e| e.to_string());
                match name {
                    "root" => root = PathBuf::from(v),
                    "only" => {
                        options.only = v
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(String::from)
                            .collect()
                    }
                    "expiring-within" => options.expiring_within = Some(dur(&v)?),
                    "days" => options.validity.lifetime = crate::args::days(&v)?,
                    "backdate" => {
                        options.validity.not_before =
                            v.parse::<NotBefore>().map_err(|e| e.to_string())?
                    }
                    "rotate-keys" => options.rotate_keys = true,
                    "include-ca" => options.include_ca = true,
                    "dry-run" => options.dry_run = true,
                    "backup-dir" => options.backup_dir = Some(PathBuf::from(v)),
                    "threads" => options.threads = crate::args::threads(&v)?,
                    "json" => json = true,
                    _ => {}
                }
                Ok(())
            },
            |name| match name {
                "root" | "only" | "expiring-within" | "days" | "backdate" | "backup-dir"
                | "threads" => Some(true),
                "rotate-keys" | "include-ca" | "dry-run" | "json" => Some(false),
                _ => None,
            },
        )
        .map_err(Failure::usage)?;
    crate::args::no_positionals("renew", &positionals)?;
    let report = renew(&root, &options)?;
    if json {
        emit(&(report.to_json() + "\n"));
    } else {
        emit(&describe(&report));
    }
    Ok(if report.skipped.is_empty() {
        EXIT_OK
    } else {
        EXIT_EXPIRED
    })
}

pub fn describe(report: &kcertlib::renew::RenewReport) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let verb = if report.dry_run {
        "would renew"
    } else {
        "renewed"
    };
    for r in &report.renewed {
        let _ = writeln!(
            o,
            "{verb} {:<28} notAfter {} -> {}  serial {} -> {}{}",
            r.name,
            r.old_not_after,
            r.new_not_after,
            r.old_serial,
            r.new_serial,
            if r.key_rotated { "  (new key)" } else { "" }
        );
    }
    for s in &report.skipped {
        let _ = writeln!(o, "not renewed {:<24} {}", s.name, s.reason);
    }
    for w in &report.warnings {
        let _ = writeln!(o, "warning: {w}");
    }
    if let Some(m) = &report.manifest {
        let _ = writeln!(
            o,
            "backup manifest: {} (undo with: kcert rollback {})",
            m.display(),
            m.display()
        );
    }
    if !report.restart.is_empty() {
        let _ = writeln!(
            o,
            "restart to pick up the new certificates: {}",
            report.restart.join(", ")
        );
    }
    if report.renewed.is_empty() && report.skipped.is_empty() {
        let _ = writeln!(o, "nothing to renew");
    }
    o
}

/// `kcert recover --root DIR`: rolls back a renewal of DIR that was interrupted (killed, power
/// lost) and removes its leftovers; says so when there was none.
pub fn run_recover(args: Args) -> Result<i32, Failure> {
    let mut root = PathBuf::from("/");
    let positionals = args
        .parse(
            |name, value| {
                if name == "root" {
                    root = PathBuf::from(value.unwrap_or_default());
                }
                Ok(())
            },
            |name| (name == "root").then_some(true),
        )
        .map_err(Failure::usage)?;
    crate::args::no_positionals("recover", &positionals)?;
    match kcertlib::renew::recover(&root)? {
        Some(r) => emit(&format!(
            "rolled back an interrupted renewal (manifest {}): {} files restored, {} leftovers removed\n{}",
            r.manifest.display(),
            r.restored.len(),
            r.removed_temps.len(),
            r.conflicts
                .iter()
                .map(|c| format!("warning: {c}\n"))
                .collect::<String>()
        )),
        None => emit("no interrupted renewal to recover\n"),
    }
    Ok(EXIT_OK)
}

pub fn run_rollback(args: Args) -> Result<i32, Failure> {
    let mut root: Option<PathBuf> = None;
    let positionals = args
        .parse(
            |name, value| {
                if name == "root" {
                    root = value.map(PathBuf::from);
                }
                Ok(())
            },
            |name| (name == "root").then_some(true),
        )
        .map_err(Failure::usage)?;
    let [manifest] = positionals.as_slice() else {
        return Err(Failure::usage("rollback needs exactly one MANIFEST".into()));
    };
    let manifest = std::path::Path::new(manifest);
    let report = match &root {
        Some(root) => kcertlib::renew::rollback_in(root, manifest)?,
        None => rollback(manifest)?,
    };
    emit(&(report.to_json() + "\n"));
    Ok(EXIT_OK)
}
