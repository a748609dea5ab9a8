//! Failures injected at chosen points of a real renewal (feature `test-hooks`): a failure
//! between renames restores every original; a file changed by someone else between the plan
//! and the commit stops the renewal with a conflict and nothing replaced.

mod renew_support;
mod txn_support;

use std::fs;
use std::path::PathBuf;

use kcertlib::fixture::FixtureLayout;
use kcertlib::inventory::{self, EntryStatus, ScanOptions};
use kcertlib::renew::{self, RenewOptions};
use kcertlib::{ErrorKind, testing};
use renew_support::*;
use txn_support::*;

#[test]
fn a_failure_between_renames_restores_the_whole_tree() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let before = fingerprint(&root);
    let mut options = RenewOptions::default();
    testing::hooks(&mut options).set_fail_after_renames(4);
    let err = renew::renew(&root, &options).expect_err("injected failure");
    assert_eq!(err.kind(), ErrorKind::Transaction);
    assert!(
        err.to_string()
            .contains("the 4 files already replaced were restored"),
        "{err}"
    );
    assert_eq!(fingerprint(&root), before, "every original byte-identical");
    assert!(staged_leftovers(&root).is_empty());
    let inventory = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    assert!(
        inventory
            .leaves()
            .iter()
            .all(|e| e.status == EntryStatus::Expired)
    );
}

/// Someone rewrites `rel` after the renewal read it and before it commits.
fn renew_with_interference(rel: &'static str) -> (tempfile::TempDir, PathBuf, kcertlib::Error) {
    let (dir, root, _) = tree(FixtureLayout::Kubeadm);
    let target = root.join(rel);
    let mut options = RenewOptions::default();
    let written = target.clone();
    testing::hooks(&mut options).set_before_commit(move || {
        let mut bytes = fs::read(&written).expect("read");
        bytes.extend_from_slice(b"\n# edited by someone else\n");
        fs::write(&written, bytes).expect("interfere");
    });
    let err = renew::renew(&root, &options).expect_err("conflict");
    (dir, root, err)
}

#[test]
fn a_file_changed_between_plan_and_commit_stops_the_renewal() {
    let (_dir, root, err) = renew_with_interference("etc/kubernetes/admin.conf");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("admin.conf"), "{err}");
    // Nothing of the renewal landed: every certificate is still the expired original, and
    // the interfering edit is kept.
    let inventory = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    assert!(
        inventory
            .leaves()
            .iter()
            .filter(|e| e.name != "kubelet-serving")
            .all(|e| e.status == EntryStatus::Expired),
        "{:?}",
        inventory
            .entries
            .iter()
            .map(|e| (&e.name, e.status))
            .collect::<Vec<_>>()
    );
    let admin = fs::read_to_string(root.join("etc/kubernetes/admin.conf")).expect("read");
    assert!(admin.ends_with("# edited by someone else\n"));
    assert!(staged_leftovers(&root).is_empty());
    assert!(!root.join("var/lib/kcert/journal.json").exists());
}

#[test]
fn a_kept_key_changed_before_commit_stops_the_renewal() {
    let (_dir, root, err) = renew_with_interference("etc/kubernetes/pki/apiserver.key");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("apiserver.key"), "{err}");
    let inventory = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    assert_eq!(
        inventory.get("apiserver").expect("entry").status,
        EntryStatus::Expired
    );
    assert!(staged_leftovers(&root).is_empty());
}

#[test]
fn the_lock_is_held_from_the_scan_to_the_commit() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let mut options = RenewOptions::default();
    let probe = root.clone();
    let refused = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = refused.clone();
    testing::hooks(&mut options).set_before_commit(move || {
        // Another renewal of the root at the last moment before the commit is refused.
        let err = renew::renew(&probe, &RenewOptions::default()).expect_err("locked");
        *seen.lock().expect("lock") = Some(err.kind());
    });
    renew::renew(&root, &options).expect("renews");
    assert_eq!(*refused.lock().expect("lock"), Some(ErrorKind::Locked));
}
