//! A renewal killed with SIGKILL between two renames is rolled back by the next renewal of the
//! root, which then renews everything. The killed process is this test binary re-run with
//! `--exact renewal_child`.

mod renew_support;
mod txn_support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use kcertlib::fixture::FixtureLayout;
use kcertlib::inventory::{self, EntryStatus, ScanOptions};
use kcertlib::renew::{self, RenewOptions};
use renew_support::*;
use txn_support::*;

const CHILD_ROOT_ENV: &str = "KCERT_RENEW_CRASH_CHILD_ROOT";

/// Not a test on its own: renews the tree named by the environment, pausing between renames.
#[test]
fn renewal_child() {
    let Some(root) = std::env::var_os(CHILD_ROOT_ENV) else {
        return;
    };
    let mut options = RenewOptions::default();
    kcertlib::testing::hooks(&mut options).set_pause_after_renames(3);
    let _ = renew::renew(&PathBuf::from(root), &options);
}

#[test]
fn a_killed_renewal_is_rolled_back_by_the_next_one() {
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let before = fingerprint(&root);
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "renewal_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ROOT_ENV, &root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("piped");
    let paused = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("kcert-test: paused after 3 renames"));
    assert!(paused, "the child reached the pause");
    let killed = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    child.wait().expect("reaped");

    let journal = load_journal(&root.join("var/lib/kcert/journal.json"));
    assert_eq!(journal["state"], "prepared");
    let mut half = fingerprint(&root);
    half.retain(|p, _| !p.to_string_lossy().contains(".kcert-stage-"));
    half.retain(|p, _| before.contains_key(p));
    assert_ne!(half, before, "three files were replaced when it died");

    let report = renew::renew(&root, &RenewOptions::default()).expect("next renewal");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("interrupted renewal") && w.contains("3 files restored")),
        "{:?}",
        report.warnings
    );
    let backup_dir = std::path::Path::new(journal["backup_dir"].as_str().expect("backup dir"));
    assert_eq!(
        load_journal(&backup_dir.join("manifest.json"))["state"],
        "rolled-back"
    );
    assert!(!root.join("var/lib/kcert/journal.json").exists());
    assert!(staged_leftovers(&root).is_empty());
    let inventory = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    assert!(
        inventory
            .leaves()
            .iter()
            .all(|e| e.status == EntryStatus::Ok)
    );

    // And the interrupted run's originals are what the new run backed up.
    let rolled = renew::rollback(report.manifest.as_deref().expect("manifest")).expect("rollback");
    assert!(!rolled.restored.is_empty());
    let mut now = fingerprint(&root);
    now.retain(|p, _| before.contains_key(p));
    assert_eq!(now, before);
}
