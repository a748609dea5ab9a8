//! Undoing a committed transaction from its manifest. The rollback is itself a transaction
//! (`apply`): every original comes back or none does, the files it replaces are backed up in a
//! new backup directory, and its own manifest can undo it again.
//!
//! The manifest is untrusted input like everything else in a tree: it must be kcertlib's own
//! file in a private backup directory, name the root it is rolled back under, and it only says
//! which root-relative paths to restore; the restored bytes come from its backup copies and
//! must match the hashes it recorded. A file changed since the transaction is never overwritten:
//! the rollback refuses, naming it, and changes nothing.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::journal::{FileKind, Journal, MANIFEST_FILE, TxnState};
use super::lock::{RootLock, STATE_DIR};
use super::restore::{Recovery, recover_locked};
use super::{Content, Expect, FileChange, TxnOptions, apply, backup};
use crate::error::{Error, ErrorKind, Result};
use crate::fsx::{self, Follow};

/// What `rollback` restored.
#[derive(Clone, Debug, Serialize)]
pub struct Rollback {
    /// The manifest rolled back.
    pub manifest: PathBuf,
    /// Paths put back to their backed-up content (or removed, when the transaction created them).
    pub restored: Vec<PathBuf>,
    /// The manifest of the rollback itself (it can be rolled back in turn); `None` when there
    /// was nothing to do.
    pub rollback_manifest: Option<PathBuf>,
    /// An interrupted transaction rolled back first, if there was one.
    pub recovered: Option<Recovery>,
}

/// Restores a committed transaction from its manifest. `root` is the root the transaction ran
/// under; `None` when the manifest is in its default place, `<root>/var/lib/kcert/backups/
/// <stamp>/manifest.json`, which names the root. Takes the root's lock and recovers an
/// interrupted transaction first. Rolling back twice is harmless: the second finds nothing to do.
///
/// # Errors
/// `InvalidArgument` when the root cannot be told; `Untrusted` when the manifest or its
/// directory is not kcertlib's own; `Transaction` when the manifest is malformed, names another
/// root or never committed; `Conflict` when a file changed since the transaction (nothing is
/// rolled back then); `Locked` when a transaction runs.
pub fn rollback(manifest: &Path, root: Option<&Path>) -> Result<Rollback> {
    let manifest = backup::absolute(manifest)?;
    std::fs::symlink_metadata(&manifest)
        .map_err(|e| Error::io("reading manifest", &manifest, e))?;
    let root = match root {
        Some(root) => root.to_path_buf(),
        None => root_of(&manifest)?,
    };
    let lock = RootLock::acquire(&root)?;
    rollback_locked(&lock, &manifest)
}

/// `rollback` under the root's lock.
fn rollback_locked(lock: &RootLock, manifest: &Path) -> Result<Rollback> {
    let root = lock.root();
    let recovered = recover_locked(lock)?;
    let (dir, name) = match (manifest.parent(), manifest.file_name()) {
        (Some(dir), Some(name)) if name == MANIFEST_FILE => (dir, name),
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("a kcert manifest is named {MANIFEST_FILE}"),
            )
            .with_path(manifest));
        }
    };
    let _ = name;
    let backups = backup::open_existing(root, dir)?;
    let mut journal =
        Journal::read(&backups, MANIFEST_FILE, root, "manifest")?.ok_or_else(|| {
            Error::new(ErrorKind::InvalidArgument, "no such manifest").with_path(manifest)
        })?;
    if journal.backup_dir != backups.path() {
        return Err(Error::new(
            ErrorKind::Transaction,
            format!(
                "names the backup directory {} but lies in {}; refusing it",
                journal.backup_dir.display(),
                backups.path().display()
            ),
        )
        .with_path(manifest));
    }
    let mut outcome = Rollback {
        manifest: manifest.to_path_buf(),
        restored: Vec::new(),
        rollback_manifest: None,
        recovered,
    };
    match journal.state {
        TxnState::RolledBack => return Ok(outcome),
        TxnState::Staging | TxnState::Prepared => {
            return Err(Error::new(
                ErrorKind::Transaction,
                format!(
                    "this transaction never committed (state {}): it replaced nothing that a rollback could restore",
                    journal.state.name()
                ),
            )
            .with_path(manifest));
        }
        TxnState::Committed => {}
    }
    let mut changes = Vec::new();
    let mut conflicts = Vec::new();
    for record in journal.files.iter().rev() {
        let place = root.resolve(&record.path, Follow::NotLast)?;
        let now = place.presence()?.sha256();
        let old = record.old.as_ref().map(|o| o.sha256.clone());
        let new = (record.kind != FileKind::Absent).then(|| record.new_sha256.clone());
        if now == old {
            continue;
        }
        if now != new {
            conflicts.push(place.path().display().to_string());
            continue;
        }
        let content = match &record.old {
            None => Content::Absent,
            Some(o) if o.kind == FileKind::Symlink => {
                Content::Symlink(o.link.clone().unwrap_or_default())
            }
            Some(o) => Content::Bytes(backup::read_copy(&backups, &record.path, &o.sha256)?),
        };
        let expect = match new {
            Some(sha) => Expect::Sha256(sha),
            None => Expect::Absent,
        };
        let mut change = FileChange::new(&record.entry, &record.path, content).expecting(expect);
        change.mode = record.old.as_ref().map(|o| o.mode & 0o777);
        changes.push(change);
    }
    if !conflicts.is_empty() {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "changed since this transaction, so a rollback would overwrite newer content: {}; nothing was rolled back",
                conflicts.join(", ")
            ),
        )
        .with_path(manifest));
    }
    if !changes.is_empty() {
        let applied = apply(lock, &changes, &[], &TxnOptions::default(), |staged| {
            let expected = match staged.content {
                Content::Bytes(bytes) => fsx::sha256_hex(bytes),
                _ => return Ok(()),
            };
            let written = fsx::sha256_hex(&staged.staged.read()?);
            if written == expected {
                Ok(())
            } else {
                Err(Error::new(
                    ErrorKind::Transaction,
                    "the staged original does not match its backup",
                )
                .with_path(staged.path))
            }
        })?;
        outcome.restored = applied.replaced;
        outcome.rollback_manifest = Some(applied.manifest);
    }
    journal.state = TxnState::RolledBack;
    journal.store(&backups, MANIFEST_FILE)?;
    Ok(outcome)
}

/// The root of a manifest in its default place, `<root>/var/lib/kcert/backups/<stamp>/`.
fn root_of(manifest: &Path) -> Result<PathBuf> {
    let backups = Path::new(STATE_DIR).join("backups");
    manifest
        .parent()
        .and_then(Path::parent)
        .and_then(|b| {
            b.ends_with(&backups)
                .then(|| b.ancestors().nth(backups.components().count()))
                .flatten()
        })
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "is not in a default backup directory (<root>/{}/<stamp>/); say which root it belongs to",
                    backups.display()
                ),
            )
            .with_path(manifest)
        })
}
