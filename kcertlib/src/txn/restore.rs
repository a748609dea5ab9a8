//! Putting originals back: after a failed apply, and for `recover`, which finds a transaction
//! killed half-way and rolls it back. (`rollback` of a committed transaction is itself a
//! transaction; see `rollback.rs`.)
//!
//! Recovery rolls *back*, never forward: the backups are complete before the first rename, so
//! undoing is always possible, while finishing would trust staged files a dead process may not
//! have verified. A path whose content is neither the journal's old nor its new content was
//! changed by someone else after the crash; recovery leaves it alone and reports it.
//!
//! Every path recovery touches is derived from the journal's root-relative records and resolved
//! inside the root (see `journal`); the journal and the backups must be kcertlib's own files.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::journal::{FileKind, Journal, JournalFile, MANIFEST_FILE, TxnState};
use super::lock::RootLock;
use super::{JOURNAL_FILE, backup};
use crate::error::{Error, ErrorKind, Result};
use crate::fsx::{self, Follow, RootDir};

/// What `recover` did with an interrupted transaction.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
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

/// Finds an interrupted transaction of `root` and rolls it back (see the module docs). Takes
/// the root's lock. `Ok(None)` when there was nothing to recover.
///
/// # Errors
/// `Locked` when another transaction runs; `Untrusted` when the journal is not kcertlib's own;
/// `Transaction` when it is malformed, points outside the root, or a file cannot be put back
/// (the journal then stays, and the next run tries again).
pub fn recover(root: &Path) -> Result<Option<Recovery>> {
    let lock = RootLock::acquire(root)?;
    recover_locked(&lock)
}

/// `recover` for a caller that holds the lock.
///
/// # Errors
/// As `recover`.
pub fn recover_locked(lock: &RootLock) -> Result<Option<Recovery>> {
    let root = lock.root();
    let state = lock.state_dir();
    let journal_path = state.path().join(JOURNAL_FILE);
    // A run killed while writing the journal leaves its temporary; the state directory is
    // kcert's own, so whatever has that name there is ours to remove.
    remove_write_temps(state, JOURNAL_FILE)?;
    let Some(journal) = Journal::read(state, JOURNAL_FILE, root, "journal")? else {
        return Ok(None);
    };
    let backups = backup::open_existing(root, &journal.backup_dir);
    if let Ok(dir) = &backups {
        remove_write_temps(dir, MANIFEST_FILE)?;
    }
    let manifest = match &backups {
        Ok(dir) => {
            Journal::read(dir, MANIFEST_FILE, root, "manifest")?.filter(|m| m.id == journal.id)
        }
        Err(_) => None,
    };
    let manifest_state = manifest.as_ref().map(|m| m.state);
    let mut recovery = Recovery {
        journal: journal_path.clone(),
        manifest: journal.backup_dir.join(MANIFEST_FILE),
        found_state: journal.state,
        restored: Vec::new(),
        removed_temps: Vec::new(),
        conflicts: Vec::new(),
    };
    // A manifest marked committed means the crash came after the commit point; only the journal
    // removal was missed.
    let finished = matches!(
        manifest_state,
        Some(TxnState::Committed | TxnState::RolledBack)
    );
    if journal.state == TxnState::Prepared && !finished {
        let backups = backups.as_ref().map_err(|e| {
            Error::new(
                ErrorKind::Transaction,
                format!("the interrupted transaction's backups cannot be opened: {e}"),
            )
            .with_path(&journal_path)
        })?;
        for record in journal.files.iter().rev() {
            match put_back_if_new(root, backups, &journal.id, record)? {
                Undo::Restored => recovery.restored.push(root.path().join(&record.path)),
                Undo::AlreadyOld => {}
                Undo::Conflict(message) => recovery.conflicts.push(message),
            }
        }
        let mut rolled_back = manifest.clone().unwrap_or_else(|| journal.clone());
        rolled_back.state = TxnState::RolledBack;
        rolled_back.store(backups, MANIFEST_FILE)?;
    }
    if journal.state == TxnState::Staging
        && let Ok(dir) = &backups
    {
        match manifest {
            // Killed between writing the manifest and the journal's `prepared`: the backups
            // are complete but nothing was renamed. The manifest says so.
            Some(mut m) if !finished => {
                m.state = TxnState::RolledBack;
                m.store(dir, MANIFEST_FILE)?;
            }
            Some(_) => {}
            // Killed before its backups were complete: they can never be used.
            None => backup::discard_incomplete(root, dir)?,
        }
    }
    for record in &journal.files {
        if remove_staged(root, &journal.id, record)? {
            recovery.removed_temps.push(root.path().join(&record.path));
        }
    }
    let place = state.resolve(Path::new(JOURNAL_FILE), Follow::NotLast)?;
    place.remove()?;
    place.sync_dir()?;
    Ok(Some(recovery))
}

/// How undoing one record went.
pub(super) enum Undo {
    Restored,
    AlreadyOld,
    Conflict(String),
}

/// Puts the original of `record` back when the path holds the transaction's new content; leaves
/// it when it holds the old content or something else (a conflict, described).
///
/// # Errors
/// `Io`/`Transaction` when the original cannot be restored.
pub(super) fn put_back_if_new(
    root: &RootDir,
    backups: &RootDir,
    id: &str,
    record: &JournalFile,
) -> Result<Undo> {
    let place = root.resolve(&record.path, Follow::NotLast)?;
    let now = place.presence()?.sha256();
    let old = record.old.as_ref().map(|o| o.sha256.clone());
    let new = (record.kind != FileKind::Absent).then(|| record.new_sha256.clone());
    if now == old {
        return Ok(Undo::AlreadyOld);
    }
    if now != new {
        return Ok(Undo::Conflict(format!(
            "{}: {}: changed since the transaction (neither its old nor its new content); left as it is",
            place.path().display(),
            record.entry
        )));
    }
    put_back(root, backups, id, record)?;
    Ok(Undo::Restored)
}

/// Puts the original of one record back (atomically, with its old mode and owner, set-id bits
/// never restored), or removes the path when the transaction created it.
fn put_back(root: &RootDir, backups: &RootDir, id: &str, record: &JournalFile) -> Result<()> {
    let place = root.resolve(&record.path, Follow::NotLast)?;
    let Some(old) = &record.old else {
        place.remove()?;
        return place.sync_dir();
    };
    let staged = place.sibling(super::journal::staged_name(&record.path, id));
    staged.remove()?;
    let owner = Some((old.uid, old.gid));
    match old.kind {
        FileKind::File => {
            let bytes = backup::read_copy(backups, &record.path, &old.sha256)
                .map_err(|e| e.with_path(place.path()))?;
            staged.create_file(&bytes, old.mode & 0o777, owner)?;
        }
        FileKind::Symlink => {
            let target = old.link.as_deref().ok_or_else(|| {
                Error::new(
                    ErrorKind::Transaction,
                    "the journal names no old target for this symlink",
                )
                .with_path(place.path())
            })?;
            super::journal::link_target_inside(root, &record.path, target)?;
            staged.create_symlink(target, owner)?;
        }
        FileKind::Absent => {
            return Err(Error::new(
                ErrorKind::Transaction,
                "the journal records an absent original",
            )
            .with_path(place.path()));
        }
    }
    let renamed = staged.rename_over(&place).and_then(|()| place.sync_dir());
    if renamed.is_err() {
        let _ = staged.remove();
    }
    renamed
}

/// Removes the staged sibling of `record`, if any. `Ok(true)` when one was removed.
///
/// # Errors
/// `Io` naming it.
pub(super) fn remove_staged(root: &RootDir, id: &str, record: &JournalFile) -> Result<bool> {
    let place = match root.resolve(&record.path, Follow::NotLast) {
        Ok(place) => place,
        // Its directory is gone, and the staged file with it.
        Err(e) if fsx::is_not_found(&e) => return Ok(false),
        Err(e) => return Err(e),
    };
    place
        .sibling(super::journal::staged_name(&record.path, id))
        .remove()
}

/// Removes the temporaries `Journal::store` leaves beside `name` in `dir` when killed
/// (`.<name>.kcert-write-<id>`).
fn remove_write_temps(dir: &RootDir, name: &str) -> Result<()> {
    let prefix = format!(".{name}.kcert-write-");
    for entry in dir.list(Path::new(""))? {
        if entry.to_string_lossy().starts_with(&prefix) {
            dir.resolve(Path::new(&entry), Follow::NotLast)?.remove()?;
        }
    }
    Ok(())
}
