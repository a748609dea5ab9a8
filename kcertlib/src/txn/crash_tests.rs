//! Crash safety: a transaction killed with SIGKILL between two renames is found and rolled back
//! by the next run, and the lock is refused while the killed process was still alive.
//!
//! The process to kill is this test binary itself, re-run with `--exact crash_child` and an
//! environment variable naming the tree: the child applies a transaction whose test hook stops
//! it after two of four renames.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::test_support::*;
use crate::ErrorKind;
use crate::txn::{self, FileChange, TxnOptions, TxnState};

const CHILD_ROOT_ENV: &str = "KCERT_TXN_CRASH_CHILD_ROOT";
const CHILD_PAUSE_ENV: &str = "KCERT_TXN_CRASH_CHILD_PAUSE";
const FILES: [&str; 4] = [
    "etc/kubernetes/pki/apiserver.crt",
    "etc/kubernetes/pki/apiserver.key",
    "etc/kubernetes/admin.conf",
    "etc/kubernetes/pki/front-proxy-client.crt",
];

fn changes(root: &Path) -> Vec<FileChange> {
    FILES
        .iter()
        .map(|rel| FileChange::bytes(*rel, root.join(rel), format!("new {rel}\n").into_bytes()))
        .collect()
}

fn tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canon");
    for rel in FILES {
        write(&root.join(rel), format!("old {rel}\n").as_bytes(), 0o600);
    }
    fs::create_dir_all(root.join("var/lib")).expect("mkdir");
    (dir, root)
}

/// Not a test on its own: does nothing unless spawned by `killed_between_renames_*`.
#[test]
fn crash_child() {
    let Some(root) = std::env::var_os(CHILD_ROOT_ENV) else {
        return;
    };
    let root = PathBuf::from(root);
    let pause: usize = std::env::var(CHILD_PAUSE_ENV)
        .expect("pause set by the parent")
        .parse()
        .expect("a number");
    let mut options = TxnOptions::default();
    options.hooks.set_pause_after_renames(pause);
    let _ = apply_locked(&root, &changes(&root), &options, |_| Ok(()));
}

/// A child process that is SIGKILLed when dropped, so a failed assertion never leaves it paused.
struct Paused(std::process::Child);

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Paused {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Starts the child and waits until it reports the pause.
fn spawn_paused_child(root: &Path, pause_after: usize) -> Paused {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "txn::crash_tests::crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ROOT_ENV, root)
        .env(CHILD_PAUSE_ENV, pause_after.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let wanted = format!("kcert-test: paused after {pause_after} renames");
    loop {
        let line = lines
            .next()
            .expect("child ended before pausing")
            .expect("stderr line");
        if line.contains(&wanted) {
            break;
        }
    }
    Paused(child)
}

/// SIGKILL by pid, as an operator's `kill -9` would.
fn sigkill(child: &mut Paused) {
    let status = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.0.wait().expect("reaped");
    assert!(!exit.success(), "the child died of the signal");
}

fn assert_all_old(root: &Path) {
    for rel in FILES {
        assert_eq!(
            fs::read_to_string(root.join(rel)).expect("read"),
            format!("old {rel}\n"),
            "{rel}"
        );
    }
}

#[test]
fn killed_between_renames_is_recovered_by_recover() {
    let (_dir, root) = tree();
    let before = fingerprint(&root);
    let mut child = spawn_paused_child(&root, 2);

    // While the child lives it holds the lock: another transaction is refused, naming it.
    let err = apply_locked(&root, &changes(&root), &TxnOptions::default(), |_| Ok(()))
        .expect_err("locked by the child");
    assert_eq!(err.kind(), ErrorKind::Locked);
    assert!(
        err.to_string().contains(&format!("pid {}", child.id())),
        "{err}"
    );

    sigkill(&mut child);

    // The tree is half-renewed and the journal says so.
    let journal_path = root.join("var/lib/kcert/journal.json");
    let journal = load_journal(&journal_path);
    assert_eq!(journal.state, TxnState::Prepared);
    let new_count = FILES
        .iter()
        .filter(|rel| {
            fs::read_to_string(root.join(rel))
                .expect("read")
                .starts_with("new")
        })
        .count();
    assert_eq!(new_count, 2, "killed after exactly two renames");
    assert!(!staged_leftovers(&root).is_empty(), "two staged files wait");

    let recovery = txn::recover(&root)
        .expect("recover")
        .expect("something to recover");
    assert_eq!(recovery.found_state, TxnState::Prepared);
    assert_eq!(recovery.restored.len(), 2);
    assert_eq!(recovery.removed_temps.len(), 2);
    assert!(recovery.conflicts.is_empty());
    assert_all_old(&root);
    assert_eq!(fingerprint(&root), before);
    assert!(staged_leftovers(&root).is_empty());
    assert!(!journal_path.exists(), "journal resolved");
    let manifest = load_journal(&journal.backup_dir.join("manifest.json"));
    assert_eq!(manifest.state, TxnState::RolledBack);
    assert!(txn::recover(&root).expect("recover again").is_none());
}

#[test]
fn killed_between_renames_is_recovered_by_the_next_apply() {
    let (_dir, root) = tree();
    let mut child = spawn_paused_child(&root, 3);
    sigkill(&mut child);
    let outcome = apply_locked(&root, &changes(&root), &TxnOptions::default(), |staged| {
        // Recovery ran before this transaction staged anything: every original is back.
        let rel = staged.path.strip_prefix(&root).expect("under root");
        assert_eq!(
            fs::read_to_string(staged.path).expect("read"),
            format!("old {}\n", rel.display())
        );
        Ok(())
    })
    .expect("apply after a crash");
    for rel in FILES {
        assert_eq!(
            fs::read_to_string(root.join(rel)).expect("read"),
            format!("new {rel}\n")
        );
    }
    assert!(staged_leftovers(&root).is_empty());
    assert_eq!(load_journal(&outcome.manifest).state, TxnState::Committed);
}

#[test]
fn killed_while_paused_before_any_rename_leaves_originals() {
    let (_dir, root) = tree();
    let before = fingerprint(&root);
    let mut child = spawn_paused_child(&root, 0);
    sigkill(&mut child);
    let mut now = fingerprint(&root);
    now.retain(|path, _| !path.to_string_lossy().contains(".kcert-stage-"));
    assert_eq!(now, before, "nothing replaced before the first rename");
    let recovery = txn::recover(&root)
        .expect("recover")
        .expect("journal found");
    assert!(recovery.restored.is_empty());
    assert_eq!(recovery.removed_temps.len(), 4);
    assert_eq!(fingerprint(&root), before);
    assert!(staged_leftovers(&root).is_empty());
}
