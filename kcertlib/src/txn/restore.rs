//! Putting originals back: after a failed apply, for `rollback(manifest)`, and for `recover`,
//! which finds a transaction killed half-way and rolls it back.
//!
//! Recovery rolls *back*, never forward: the backups are complete before the first rename, so
//! undoing is always possible, while finishing would trust staged files a dead process may not
//! have verified. A path whose content is neither the journal's old nor its new content was
//! changed by someone else after the crash; recovery leaves it alone and reports it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::journal::{FileKind, Journal, JournalFile, TxnState};
use super::lock::RootLock;
use crate::error::{Error, ErrorKind, Result};
use crate::fsx::{self, Presence};

/// What `recover` did with an interrupted transaction.
#[derive(Clone, Debug, Serialize)]
pub struct Recovery {
    /// The journal that was found.
    pub journal: PathBuf,
    /// The manifest of the interrupted transaction.
    pub manifest: PathBuf,
    /// The state the journal was left in.
    pub found_state: TxnState,
    /// Paths put back to their original content.
    pub restored: Vec<PathBuf>,
    /// Staged temporary files removed.
    pub removed_temps: Vec<PathBuf>,
    /// Paths left alone because something else changed them (one message each).
    pub conflicts: Vec<String>,
}

/// What `rollback` restored.
#[derive(Clone, Debug, Serialize)]
pub struct Rollback {
    /// The manifest rolled back.
    pub manifest: PathBuf,
    /// Paths put back to their backed-up content (or removed, when the transaction created them).
    pub restored: Vec<PathBuf>,
    /// Paths that had been changed since the transaction and were overwritten all the same.
    pub overwritten_changes: Vec<PathBuf>,
    /// An interrupted transaction rolled back first, if there was one.
    pub recovered: Option<Recovery>,
}

/// Finds an interrupted transaction of `root` and rolls it back (see the module docs). Takes
/// the root's lock. `Ok(None)` when there was nothing to recover.
///
/// # Errors
/// `Locked` when another transaction runs; `Transaction` when the journal cannot be read or a
/// file cannot be put back (the journal then stays, and the next run tries again).
pub fn recover(root: &Path) -> Result<Option<Recovery>> {
    let canon = fsx::canonical_root(root)?;
    let _lock = RootLock::acquire_canonical(root, &canon)?;
    recover_locked(root, &canon)
}

/// `recover` for a caller that already holds the lock.
pub(crate) fn recover_locked(root: &Path, canon: &Path) -> Result<Option<Recovery>> {
    let journal_path = super::state_dir_canonical(root, canon)?.join(super::JOURNAL_FILE);
    if !journal_path.exists() {
        return Ok(None);
    }
    let journal = Journal::load(&journal_path)?;
    if journal.root != canon {
        return Err(Error::new(
            ErrorKind::Transaction,
            format!(
                "this journal belongs to the root {}, not {}; move it away if the tree was moved",
                journal.root.display(),
                canon.display()
            ),
        )
        .with_path(&journal_path));
    }
    // A manifest marked committed means the crash came after the commit point; only the journal
    // removal was missed.
    let manifest_state = Journal::load(&journal.manifest).ok().map(|m| m.state);
    let mut recovery = Recovery {
        journal: journal_path.clone(),
        manifest: journal.manifest.clone(),
        found_state: journal.state,
        restored: Vec::new(),
        removed_temps: Vec::new(),
        conflicts: Vec::new(),
    };
    let finished = matches!(
        manifest_state,
        Some(TxnState::Committed | TxnState::RolledBack)
    );
    if journal.state == TxnState::Prepared && !finished {
        for record in journal.files.iter().rev() {
            match classify(record)? {
                Now::Old => {}
                Now::New => {
                    put_back(record)?;
                    recovery.restored.push(record.path.clone());
                }
                Now::Neither => recovery.conflicts.push(format!(
                    "{}: {}: changed since the interrupted transaction (neither its old nor its new content); left as it is",
                    record.path.display(),
                    record.entry
                )),
            }
        }
        let mut manifest = journal.clone();
        manifest.state = TxnState::RolledBack;
        manifest.store(&journal.manifest)?;
    }
    for record in &journal.files {
        if fsx::remove_if_exists(&record.staged)? {
            recovery.removed_temps.push(record.staged.clone());
        }
    }
    fsx::remove_if_exists(&journal_path)?;
    fsx::fsync_dir(fsx::parent_dir(&journal_path)?)?;
    Ok(Some(recovery))
}

/// Restores a transaction from its manifest: every path it replaced gets its backed-up content
/// back (and paths it created are removed). Takes the root's lock and recovers an interrupted
/// transaction first. Rolling back twice is harmless: the second finds nothing to do.
///
/// # Errors
/// `Io`/`Transaction` when the manifest is unreadable or a file cannot be restored (the files
/// already restored stay restored; run it again); `Locked` when a transaction runs.
pub fn rollback(manifest: &Path) -> Result<Rollback> {
    let journal = Journal::load(manifest)?;
    let root = journal.root.clone();
    let canon = fsx::canonical_root(&root)?;
    let _lock = RootLock::acquire_canonical(&root, &canon)?;
    let recovered = recover_locked(&root, &canon)?;
    // Recovery may just have rolled back this very transaction; read the manifest afresh.
    let mut journal = Journal::load(manifest)?;
    let mut outcome = Rollback {
        manifest: manifest.to_path_buf(),
        restored: Vec::new(),
        overwritten_changes: Vec::new(),
        recovered,
    };
    if journal.state == TxnState::RolledBack || journal.state == TxnState::Staging {
        return Ok(outcome);
    }
    for record in journal.files.iter().rev() {
        match classify(record)? {
            Now::Old => continue,
            Now::New => {}
            Now::Neither => outcome.overwritten_changes.push(record.path.clone()),
        }
        put_back(record)?;
        outcome.restored.push(record.path.clone());
    }
    journal.state = TxnState::RolledBack;
    journal.store(manifest)?;
    Ok(outcome)
}

/// Where a path stands relative to its journal record.
enum Now {
    Old,
    New,
    Neither,
}

fn classify(record: &JournalFile) -> Result<Now> {
    let now = Presence::of(&record.path)?.sha256();
    let old = record.old.as_ref().map(|o| o.sha256.clone());
    Ok(if now == old {
        Now::Old
    } else if now.as_deref() == Some(record.new_sha256.as_str()) {
        Now::New
    } else {
        Now::Neither
    })
}

/// Puts the original of one record back (atomically, with its old mode and owner), or removes
/// the path when the transaction created it.
pub(crate) fn put_back(record: &JournalFile) -> Result<()> {
    let Some(old) = &record.old else {
        fsx::remove_if_exists(&record.path)?;
        return fsx::fsync_dir(fsx::parent_dir(&record.path)?);
    };
    let owner = Some((old.uid, old.gid));
    match old.kind {
        FileKind::File => {
            let backup = old.backup.as_deref().ok_or_else(|| {
                Error::new(
                    ErrorKind::Transaction,
                    "the manifest names no backup for this file",
                )
                .with_path(&record.path)
            })?;
            let bytes =
                std::fs::read(backup).map_err(|e| Error::io("reading backup", backup, e))?;
            if fsx::sha256_hex(&bytes) != old.sha256 {
                return Err(Error::new(
                    ErrorKind::Transaction,
                    format!(
                        "backup {} no longer matches the sha256 recorded in the manifest; not restoring from it",
                        backup.display()
                    ),
                )
                .with_path(&record.path));
            }
            fsx::replace_file(&record.path, &bytes, old.mode, owner)
        }
        FileKind::Symlink => {
            let target = old.link.as_deref().ok_or_else(|| {
                Error::new(
                    ErrorKind::Transaction,
                    "the manifest names no old target for this symlink",
                )
                .with_path(&record.path)
            })?;
            fsx::replace_symlink(target, &record.path, owner)
        }
    }
}
