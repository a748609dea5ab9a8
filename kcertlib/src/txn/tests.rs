//! The file transaction on real trees: commit, verify rejection, injected and real mid-apply
//! failures, an unwritable directory, the lock, rollback, path escapes, modes and owners.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::test_support::*;
use crate::txn::{self, FileChange, RootLock, TxnOptions, TxnOutcome, TxnState};
use crate::{Error, ErrorKind};

const OLD_DATED: &str = "var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem";
const NEW_DATED: &str = "var/lib/kubelet/pki/kubelet-client-2026-02-03-04-05-06.pem";
const CURRENT: &str = "var/lib/kubelet/pki/kubelet-client-current.pem";

/// A small node tree: a cert (0644), its key (0600), a kubeconfig, kubelet's dated pem and the
/// `current` symlink with an absolute target, as kubelet writes it.
fn node_tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canon");
    write(
        &root.join("etc/kubernetes/pki/apiserver.crt"),
        b"old cert\n",
        0o644,
    );
    write(
        &root.join("etc/kubernetes/pki/apiserver.key"),
        b"old key\n",
        0o600,
    );
    write(
        &root.join("etc/kubernetes/admin.conf"),
        b"old kubeconfig\n",
        0o600,
    );
    write(&root.join(OLD_DATED), b"old kubelet pem\n", 0o600);
    std::os::unix::fs::symlink(Path::new("/").join(OLD_DATED), root.join(CURRENT))
        .expect("symlink");
    (dir, root)
}

fn renewal_changes(root: &Path) -> Vec<FileChange> {
    vec![
        FileChange::bytes(
            "apiserver",
            root.join("etc/kubernetes/pki/apiserver.crt"),
            b"new cert\n".to_vec(),
        ),
        FileChange::bytes(
            "apiserver",
            root.join("etc/kubernetes/pki/apiserver.key"),
            b"new key\n".to_vec(),
        ),
        FileChange::bytes(
            "admin.conf",
            root.join("etc/kubernetes/admin.conf"),
            b"new kubeconfig\n".to_vec(),
        ),
        FileChange::bytes(
            "kubelet",
            root.join(NEW_DATED),
            b"new kubelet pem\n".to_vec(),
        ),
        FileChange::symlink(
            "kubelet",
            root.join(CURRENT),
            Path::new("/").join(NEW_DATED),
        ),
    ]
}

fn accept_all(_: &txn::StagedFile<'_>) -> crate::Result<()> {
    Ok(())
}

/// `changes` applied under the root's lock with the default options, every staged file
/// accepted.
fn apply_default(root: &Path, changes: &[FileChange]) -> crate::Result<TxnOutcome> {
    apply_locked(root, changes, &TxnOptions::default(), accept_all)
}

fn read(root: &Path, rel: &str) -> Vec<u8> {
    fs::read(root.join(rel)).expect("read")
}

#[test]
fn commit_replaces_every_file_and_keeps_a_manifest() {
    let (_dir, root) = node_tree();
    let before = fingerprint(&root);
    let outcome = apply_default(&root, &renewal_changes(&root)).expect("apply");

    assert_eq!(
        read(&root, "etc/kubernetes/pki/apiserver.crt"),
        b"new cert\n"
    );
    assert_eq!(
        read(&root, "etc/kubernetes/pki/apiserver.key"),
        b"new key\n"
    );
    assert_eq!(
        read(&root, "etc/kubernetes/admin.conf"),
        b"new kubeconfig\n"
    );
    assert_eq!(read(&root, NEW_DATED), b"new kubelet pem\n");
    assert_eq!(
        fs::read_link(root.join(CURRENT)).expect("link"),
        Path::new("/").join(NEW_DATED),
        "the symlink keeps kubelet's absolute style"
    );
    assert_eq!(
        read(&root, OLD_DATED),
        b"old kubelet pem\n",
        "old dated pem untouched"
    );

    let mode = |rel: &str| fs::metadata(root.join(rel)).expect("meta").mode() & 0o7777;
    assert_eq!(mode("etc/kubernetes/pki/apiserver.crt"), 0o644);
    assert_eq!(mode("etc/kubernetes/pki/apiserver.key"), 0o600);
    assert_eq!(mode(NEW_DATED), 0o600, "new files default to 0600");

    let manifest = load_journal(&outcome.manifest);
    assert_eq!(manifest.state, TxnState::Committed);
    assert_eq!(manifest.files.len(), 5);
    assert!(
        outcome
            .manifest
            .starts_with(root.join("var/lib/kcert/backups"))
    );
    assert!(!root.join("var/lib/kcert/journal.json").exists());
    assert_eq!(
        outcome.backups.len(),
        3,
        "three regular files had originals"
    );
    for backup in &outcome.backups {
        let rel = backup
            .strip_prefix(outcome.manifest.parent().expect("backup dir").join("files"))
            .expect("mirrors the tree");
        let original = before.get(rel).expect("was in the tree");
        let bytes = fs::read(backup).expect("backup");
        assert!(
            original.ends_with(&crate::fsx::sha256_hex(&bytes)),
            "{}: backup bytes are the original's",
            rel.display()
        );
        let backup_mode = fs::metadata(backup).expect("meta").mode() & 0o7777;
        assert_eq!(
            backup_mode, 0o600,
            "backups are private whatever the original"
        );
    }
    assert_eq!(
        fs::metadata(outcome.manifest.parent().expect("backup dir"))
            .expect("meta")
            .mode()
            & 0o777,
        0o700
    );
    assert!(staged_leftovers(&root).is_empty());
}

#[test]
fn owners_and_modes_are_kept() {
    assert!(
        is_root_user(),
        "this test changes file owners and must run as root"
    );
    let (_dir, root) = node_tree();
    let key = root.join("etc/kubernetes/pki/apiserver.key");
    std::os::unix::fs::chown(&key, Some(1234), Some(5678)).expect("chown");
    fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o640)).expect("chmod");
    std::os::unix::fs::lchown(root.join(CURRENT), Some(4321), Some(8765)).expect("lchown");
    apply_default(&root, &renewal_changes(&root)).expect("apply");
    let meta = fs::metadata(&key).expect("meta");
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (1234, 5678, 0o640)
    );
    let link = fs::symlink_metadata(root.join(CURRENT)).expect("meta");
    assert_eq!((link.uid(), link.gid()), (4321, 8765), "link owner kept");
}

#[test]
fn rejected_verification_changes_nothing() {
    let (_dir, root) = node_tree();
    let before = fingerprint(&root);
    let mut seen = Vec::new();
    let err = apply_locked(
        &root,
        &renewal_changes(&root),
        &TxnOptions::default(),
        |staged| {
            // The callback reads what will land on disk.
            let bytes = staged.staged.read().expect("staged file readable");
            seen.push(bytes.clone());
            if bytes == b"new kubeconfig\n" {
                return Err(Error::new(
                    ErrorKind::VerificationFailed,
                    "staged kubeconfig rejected",
                ));
            }
            Ok(())
        },
    )
    .expect_err("rejected");
    assert_eq!(err.kind(), ErrorKind::Transaction);
    assert!(err.to_string().contains("`verifying`"), "{err}");
    assert!(err.to_string().contains("admin.conf"), "{err}");
    assert!(err.to_string().contains("nothing was replaced"), "{err}");
    assert_eq!(seen.len(), 3, "stopped at the rejected file");
    assert_eq!(fingerprint(&root), before);
    assert!(staged_leftovers(&root).is_empty());
    assert!(!root.join("var/lib/kcert/journal.json").exists());
    let backups = root.join("var/lib/kcert/backups");
    assert!(
        !backups.exists() || fs::read_dir(&backups).expect("dir").next().is_none(),
        "no backup left from an aborted run"
    );
}

#[test]
fn a_file_that_cannot_be_replaced_mid_rename_is_restored_around() {
    let (_dir, root) = node_tree();
    let admin = root.join("etc/kubernetes/admin.conf");
    let before = fingerprint(&root);
    // Renaming over an immutable file fails with EPERM, even for root: a real fault on the
    // third of five renames.
    let guard = Immutable::set(&admin).expect("chattr +i works here (root on ext4/xfs)");
    let err = apply_default(&root, &renewal_changes(&root))
        .expect_err("rename over an immutable file fails");
    drop(guard);
    assert_eq!(err.kind(), ErrorKind::Transaction);
    let text = err.to_string();
    assert!(
        text.contains("`renaming`") && text.contains("admin.conf"),
        "{text}"
    );
    assert!(
        text.contains("the 2 files already replaced were restored"),
        "{text}"
    );
    assert_eq!(fingerprint(&root), before);
    assert!(staged_leftovers(&root).is_empty());
}

#[test]
fn unwritable_directory_fails_cleanly() {
    let (_dir, root) = node_tree();
    let kubelet_dir = root.join("var/lib/kubelet/pki");
    let before = fingerprint(&root);
    fs::set_permissions(
        &kubelet_dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o555),
    )
    .expect("chmod");
    // Root ignores permission bits; an immutable directory refuses new names even to root.
    let _guard = if can_write_in(&kubelet_dir) {
        Some(Immutable::set(&kubelet_dir).expect("chattr +i works here (root on ext4/xfs)"))
    } else {
        None
    };
    let err = apply_default(&root, &renewal_changes(&root))
        .expect_err("staging in an unwritable directory fails");
    drop(_guard);
    fs::set_permissions(
        &kubelet_dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod back");
    assert_eq!(err.kind(), ErrorKind::Transaction);
    let text = err.to_string();
    assert!(text.contains("`staging`"), "{text}");
    assert!(text.contains("var/lib/kubelet/pki"), "{text}");
    assert!(text.contains("nothing was replaced"), "{text}");
    let mut after = fingerprint(&root);
    after.insert(
        PathBuf::from("var/lib/kubelet/pki"),
        before[Path::new("var/lib/kubelet/pki")].clone(),
    );
    assert_eq!(after, before);
    assert!(
        staged_leftovers(&root).is_empty(),
        "staged files of other dirs removed"
    );
}

#[test]
fn a_second_transaction_is_refused_while_the_lock_is_held() {
    let (_dir, root) = node_tree();
    let before = fingerprint(&root);
    let lock = RootLock::acquire(&root).expect("first lock");
    let err = apply_default(&root, &renewal_changes(&root)).expect_err("locked");
    assert_eq!(err.kind(), ErrorKind::Locked);
    let text = err.to_string();
    assert!(
        text.contains(&root.join("var/lib/kcert/renew.lock").display().to_string()),
        "names the lock file: {text}"
    );
    assert!(
        text.contains(&format!("pid {}", std::process::id())),
        "names the holder: {text}"
    );
    assert_eq!(fingerprint(&root), before);
    drop(lock);
    apply_default(&root, &renewal_changes(&root)).expect("free again once released");
}

#[test]
fn rollback_restores_a_committed_transaction() {
    let (_dir, root) = node_tree();
    let before = fingerprint(&root);
    let outcome = apply_default(&root, &renewal_changes(&root)).expect("apply");
    assert_ne!(fingerprint(&root), before);
    let rolled = txn::rollback(&outcome.manifest, None).expect("rollback");
    assert_eq!(rolled.restored.len(), 5);
    assert!(
        rolled.rollback_manifest.is_some(),
        "a rollback is a transaction too"
    );
    assert_eq!(
        fingerprint(&root),
        before,
        "every file, link and mode is back"
    );
    assert!(
        !root.join(NEW_DATED).exists(),
        "the file the transaction created is gone"
    );
    let manifest = load_journal(&outcome.manifest);
    assert_eq!(manifest.state, TxnState::RolledBack);
    let again = txn::rollback(&outcome.manifest, None).expect("second rollback");
    assert!(again.restored.is_empty(), "rolling back twice does nothing");
    assert_eq!(fingerprint(&root), before);
}

#[test]
fn explicit_backup_dir_must_be_fresh() {
    let (dir, root) = node_tree();
    let backups = dir.path().join("elsewhere/backup");
    let options = TxnOptions {
        backup_dir: Some(backups.clone()),
        ..TxnOptions::default()
    };
    let outcome =
        apply_locked(&root, &renewal_changes(&root), &options, accept_all).expect("apply");
    assert_eq!(outcome.manifest, backups.join("manifest.json"));
    let err = apply_locked(&root, &renewal_changes(&root), &options, accept_all)
        .expect_err("reused backup dir");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("not empty"), "{err}");
}

#[test]
fn writes_never_leave_the_root() {
    let (dir, root) = node_tree();
    let outside = dir.path().join("..").join("kcert-outside-target");
    // A relative link that climbs out of the root is refused.
    std::os::unix::fs::symlink(
        "../../../../kcert-outside-target",
        root.join("etc/kubernetes/pki/escape.crt"),
    )
    .expect("symlink");
    let before = fingerprint(&root);
    let err = apply_default(
        &root,
        &[FileChange::bytes(
            "escape",
            root.join("etc/kubernetes/pki/escape.crt"),
            b"x".to_vec(),
        )],
    )
    .expect_err("escape");
    assert_eq!(err.kind(), ErrorKind::PathEscape);
    assert!(!outside.exists());
    // A path outside the root, and a new link pointing out of it, are refused too.
    let err = apply_default(
        &root,
        &[FileChange::bytes(
            "x",
            dir.path().join("../x.crt"),
            b"x".to_vec(),
        )],
    )
    .expect_err("outside");
    assert_eq!(err.kind(), ErrorKind::PathEscape);
    let err = apply_default(
        &root,
        &[FileChange::symlink(
            "kubelet",
            root.join(CURRENT),
            "../../../../../../x",
        )],
    )
    .expect_err("link out");
    assert_eq!(err.kind(), ErrorKind::PathEscape);
    assert_eq!(fingerprint(&root), before);

    // An absolute link target is read inside the root, as the node sees it: writing through
    // kubelet's `current` link replaces the dated file under the root, never the host's.
    apply_default(
        &root,
        &[FileChange::bytes(
            "kubelet",
            root.join(CURRENT),
            b"through the link\n".to_vec(),
        )],
    )
    .expect("write through an absolute link");
    assert_eq!(read(&root, OLD_DATED), b"through the link\n");
    assert!(
        fs::symlink_metadata(root.join(CURRENT))
            .expect("meta")
            .file_type()
            .is_symlink()
    );
}

#[test]
fn directories_and_duplicates_are_refused() {
    let (_dir, root) = node_tree();
    let err = apply_default(
        &root,
        &[FileChange::bytes(
            "pki",
            root.join("etc/kubernetes/pki"),
            b"x".to_vec(),
        )],
    )
    .expect_err("directory");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let crt = root.join("etc/kubernetes/pki/apiserver.crt");
    let err = apply_default(
        &root,
        &[
            FileChange::bytes("a", &crt, b"1".to_vec()),
            FileChange::bytes("b", &crt, b"2".to_vec()),
        ],
    )
    .expect_err("duplicate");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("twice"), "{err}");
}

const FILES: [&str; 4] = [
    "etc/kubernetes/pki/apiserver.crt",
    "etc/kubernetes/pki/apiserver.key",
    "etc/kubernetes/admin.conf",
    "var/lib/kubelet/pki/kubelet.crt",
];

fn small_tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canon");
    for rel in FILES {
        write(&root.join(rel), format!("old {rel}\n").as_bytes(), 0o600);
    }
    (dir, root)
}

fn small_changes(root: &Path) -> Vec<FileChange> {
    FILES
        .iter()
        .map(|rel| FileChange::bytes(*rel, root.join(rel), format!("new {rel}\n").into_bytes()))
        .collect()
}

#[test]
fn injected_failure_between_renames_restores_every_original() {
    for after in 0..=FILES.len() {
        let (_dir, root) = small_tree();
        let before = fingerprint(&root);
        let mut options = TxnOptions::default();
        options.hooks.set_fail_after_renames(after);
        let err =
            apply_locked(&root, &small_changes(&root), &options, |_| Ok(())).expect_err("injected");
        assert_eq!(err.kind(), ErrorKind::Transaction);
        assert!(err.to_string().contains("`renaming`"), "{err}");
        assert!(err.to_string().contains("were restored"), "{err}");
        assert_eq!(fingerprint(&root), before, "after {after} renames");
        assert!(staged_leftovers(&root).is_empty());
        assert!(!root.join("var/lib/kcert/journal.json").exists());
    }
}
