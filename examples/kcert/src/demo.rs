//! `kcert demo`: the main job on an embedded default. Builds an expired cluster tree with the
//! library's fixture builder, shows `check`, renews everything as one transaction, shows
//! `check` again and verifies every renewed certificate against its CA.
//! `kcert fixture LAYOUT DIR`: just build a tree (for tests and experiments).

use std::path::PathBuf;

use kcertlib::fixture::{FixtureLayout, FixtureOptions, build};
use kcertlib::inventory::{EntryStatus, ScanOptions, scan};
use kcertlib::renew::{RenewOptions, renew};

use crate::args::Args;
use crate::exit::{EXIT_ERROR, EXIT_OK, Failure, emit};

pub fn run(args: Args) -> Result<i32, Failure> {
    let mut layouts = vec![FixtureLayout::Kubeadm];
    let positionals = args
        .parse(
            |name, value| {
                if name == "layout" {
                    layouts = value
                        .unwrap_or_default()
                        .split(',')
                        .map(|l| FixtureLayout::parse(l).map_err(|e| e.to_string()))
                        .collect::<Result<_, _>>()?;
                }
                Ok(())
            },
            |name| (name == "layout").then_some(true),
        )
        .map_err(Failure::usage)?;
    let base = match positionals.first() {
        Some(dir) => PathBuf::from(dir),
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

pub fn run_fixture(args: Args) -> Result<i32, Failure> {
    let mut options = FixtureOptions::default();
    let positionals = args
        .parse(
            |name, value| {
                match name {
                    "valid" => options.expired = false,
                    "etcd-hosts" => {
                        options.etcd_hosts = value
                            .unwrap_or_default()
                            .parse()
                            .map_err(|_| "--etcd-hosts needs a number".to_string())?
                    }
                    "reuse-keys" => options.reuse_leaf_keys = true,
                    _ => {}
                }
                Ok(())
            },
            |name| match name {
                "valid" | "reuse-keys" => Some(false),
                "etcd-hosts" => Some(true),
                _ => None,
            },
        )
        .map_err(Failure::usage)?;
    let [layout, dir] = positionals.as_slice() else {
        return Err(Failure::usage("fixture needs LAYOUT and DIR".into()));
    };
    let summary = build(
        std::path::Path::new(dir),
        FixtureLayout::parse(layout)?,
        &options,
    )?;
    emit(&(summary.to_json() + "\n"));
    Ok(EXIT_OK)
}
