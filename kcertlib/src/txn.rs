//! A transaction over a set of file changes under one root: either every file is replaced, or
//! every original stays byte-identical.
//!
//! `apply` runs under the root's lock (`RootLock`, taken by the caller, who may have scanned and
//! planned under it) these steps, in this order:
//! 1. recover an interrupted transaction of the root, if a journal was left behind;
//! 2. resolve every path inside the root (never following a symlink out of it), read what is
//!    there now and refuse a change whose destination no longer holds what the caller read
//!    (`Expect`); write a journal in state `staging`, so even staged temporaries are found
//!    after a crash;
//! 3. stage each new file as a hidden sibling (`.<name>.kcert-stage-<id>`) with the original's
//!    mode and owner (never set-id bits), fsynced;
//! 4. run the caller's verify callback on each staged file;
//! 5. copy the originals into a private backup directory (0600 files in 0700 directories), write
//!    the manifest there (state `prepared`) and as `<root>/var/lib/kcert/journal.json`, fsync
//!    both and their directories;
//! 6. check that every guarded file (a key kept in its own file) and every destination still
//!    holds the bytes read in step 2, then rename the staged files into place (symlinks too: a
//!    new link renamed over the old one, the swap kubelet itself uses), then fsync each
//!    directory once;
//! 7. mark the manifest `committed` — the commit point, after every rename and directory fsync
//!    is durable — and remove the journal.
//!
//! A failure in steps 2–5 removes the staged files (nothing was replaced). A failure in 6 puts
//! back every file already replaced, then marks the manifest `rolled-back`; if putting back
//! fails too, the journal stays and the next run of the root rolls back again. A process killed
//! after step 5 leaves the journal, and the next `apply`, `recover` or `rollback` of that root
//! rolls the interrupted transaction back (see `restore` for why back and not forward).

mod backup;
#[cfg(test)]
mod crash_tests;
mod journal;
mod lock;
mod restore;
mod rollback;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

pub use journal::{
    FileKind, JOURNAL_FORMAT, Journal, JournalFile, MANIFEST_FILE, OldFile, TxnState,
};
pub use lock::{RootLock, STATE_DIR};
pub use restore::{Recovery, recover, recover_locked};
pub use rollback::{Rollback, rollback};

use crate::error::{Error, ErrorKind, Result};
use crate::fsx::{self, Follow, InRoot, Presence, RootDir};
use crate::time::Timestamp;

/// The journal's name inside `STATE_DIR`.
pub const JOURNAL_FILE: &str = "journal.json";
/// New files without an original and without an explicit mode get this one (keys are private).
pub const DEFAULT_NEW_FILE_MODE: u32 = 0o600;

/// What a path should hold after the transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// A regular file with these bytes (zeroized when dropped: they may hold a private key).
    /// When the path is a symlink, the file it points to (inside the root) is replaced.
    Bytes(Zeroizing<Vec<u8>>),
    /// A symlink with this target. The link itself is replaced, atomically.
    Symlink(PathBuf),
    /// Nothing: the file or symlink at the path is removed (a rollback of a created file).
    Absent,
}

/// What the caller read at a destination before deciding its new content. The transaction
/// refuses, with a `Conflict` error, to replace a file that no longer holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Expect {
    /// No earlier read: whatever is there is backed up and replaced.
    #[default]
    Unchecked,
    /// Nothing was there.
    Absent,
    /// The content hashed to this SHA-256 (`fsx::sha256_hex`; for a symlink `fsx::link_sha256`
    /// of its target).
    Sha256(String),
}

/// One file to replace or create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// The path (absolute under the root, or relative to it).
    pub path: PathBuf,
    /// The new content.
    pub content: Content,
    /// The permission bits of a file created where none was; an existing file keeps its own
    /// mode and owner. Set-id and sticky bits are never set.
    pub mode: Option<u32>,
    /// The inventory entry this change belongs to, for messages and the manifest.
    pub entry: String,
    /// What the caller read at the path.
    pub expect: Expect,
}

impl FileChange {
    /// A regular file with `bytes`.
    pub fn bytes(
        entry: impl Into<String>,
        path: impl Into<PathBuf>,
        bytes: impl Into<Zeroizing<Vec<u8>>>,
    ) -> Self {
        Self::new(entry, path, Content::Bytes(bytes.into()))
    }

    /// A symlink to `target`.
    pub fn symlink(
        entry: impl Into<String>,
        path: impl Into<PathBuf>,
        target: impl Into<PathBuf>,
    ) -> Self {
        Self::new(entry, path, Content::Symlink(target.into()))
    }

    /// A change with `content`.
    pub fn new(entry: impl Into<String>, path: impl Into<PathBuf>, content: Content) -> Self {
        FileChange {
            path: path.into(),
            content,
            mode: None,
            entry: entry.into(),
            expect: Expect::Unchecked,
        }
    }

    /// The same change, refused unless the path still holds what `expect` says.
    pub fn expecting(mut self, expect: Expect) -> Self {
        self.expect = expect;
        self
    }
}

/// A file the transaction does not change but depends on (a key kept in its own file): it must
/// still hold these bytes when the renames begin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    /// The path (absolute under the root, or relative to it).
    pub path: PathBuf,
    /// SHA-256 of the content read.
    pub sha256: String,
    /// The entry it belongs to, for messages.
    pub entry: String,
}

/// Options of `apply`.
#[derive(Clone, Debug, Default)]
pub struct TxnOptions {
    /// Where originals are copied; must not exist or be empty. Default:
    /// `<root>/var/lib/kcert/backups/<YYYYMMDDTHHMMSSZ>`.
    pub backup_dir: Option<PathBuf>,
    /// Test hooks (only with the `test-hooks` feature).
    #[cfg(feature = "test-hooks")]
    pub hooks: crate::testing::TestHooks,
}

/// A staged file, as shown to the verify callback before anything is replaced.
#[derive(Clone, Copy, Debug)]
pub struct StagedFile<'a> {
    /// The real path that will be replaced.
    pub path: &'a Path,
    /// The staged sibling holding the new content (read it to check what will land on disk).
    pub staged: &'a InRoot,
    /// The requested content.
    pub content: &'a Content,
}

/// What a committed transaction did.
#[derive(Clone, Debug)]
pub struct TxnOutcome {
    /// The manifest, for `rollback`.
    pub manifest: PathBuf,
    /// The backup copies written (one per replaced regular file).
    pub backups: Vec<PathBuf>,
    /// The real paths replaced or created, in order.
    pub replaced: Vec<PathBuf>,
}

/// Replaces every file of `changes` under the locked root, or none (see the module docs).
/// `verify` sees each staged file before anything is replaced; an error from it aborts.
///
/// # Errors
/// `PathEscape` when a path leads outside the root; `InvalidArgument` for an empty or duplicate
/// change list, a directory in the way or a non-empty backup directory; `Conflict` when a
/// destination or guarded file no longer holds what was read; `Untrusted` for a state or backup
/// directory kcertlib must not trust; `Transaction` for a failure in any later step, naming the
/// step and whether the originals were restored (its `source()` is the underlying error).
pub fn apply(
    lock: &RootLock,
    changes: &[FileChange],
    guards: &[Guard],
    options: &TxnOptions,
    mut verify: impl FnMut(&StagedFile<'_>) -> Result<()>,
) -> Result<TxnOutcome> {
    if changes.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "a transaction needs at least one file change",
        ));
    }
    let root = lock.root();
    // Callers recover before they plan; this catches one that did not.
    restore::recover_locked(lock).map_err(|e| {
        failed(
            "recovering an interrupted transaction",
            e,
            "nothing was changed",
        )
    })?;
    let id = new_id()?;
    let planned = plan_all(root, changes, &id)?;
    let backups = backup::create(lock, options.backup_dir.as_deref())?;
    let mut run = Run {
        journal: Journal {
            format: JOURNAL_FORMAT,
            id,
            root: root.path().to_path_buf(),
            backup_dir: backups.dir.path().to_path_buf(),
            state: TxnState::Staging,
            started_at: Timestamp::now().to_rfc3339(),
            pid: std::process::id(),
            files: planned.iter().map(|p| p.record.clone()).collect(),
        },
        lock,
        backups,
        planned,
        backup_paths: Vec::new(),
    };
    if let Err((step, e)) = run.prepare(&mut verify) {
        run.discard_preparation();
        return Err(failed(step, e, "nothing was replaced"));
    }
    if let Err((step, e, renamed)) = run.replace_all(guards, options) {
        let aftermath = run.undo(renamed);
        return Err(failed(step, e, &aftermath));
    }
    Ok(TxnOutcome {
        manifest: run.backups.dir.path().join(MANIFEST_FILE),
        backups: run.backup_paths,
        replaced: run
            .planned
            .iter()
            .map(|p| p.place.path().to_path_buf())
            .collect(),
    })
}

/// A change with everything resolved: where it lands, what was there, and its staged sibling.
struct Planned<'a> {
    change: &'a FileChange,
    record: JournalFile,
    place: InRoot,
    staged: InRoot,
    mode: u32,
    owner: Option<(u32, u32)>,
}

struct Run<'a> {
    journal: Journal,
    lock: &'a RootLock,
    backups: backup::BackupDir,
    planned: Vec<Planned<'a>>,
    backup_paths: Vec<PathBuf>,
}

/// The step that failed, and why.
type StepError = (&'static str, Error);

impl Run<'_> {
    /// Steps 2–5: journal, stage, verify, back up, manifest.
    fn prepare(
        &mut self,
        verify: &mut impl FnMut(&StagedFile<'_>) -> Result<()>,
    ) -> std::result::Result<(), StepError> {
        let state = self.lock.state_dir();
        self.journal
            .store(state, JOURNAL_FILE)
            .map_err(|e| ("writing the journal", e))?;
        fsx::for_each_parallel(&self.planned, |p| {
            stage(p).map_err(|e| e.with_entry(&p.change.entry))
        })
        .map_err(|e| ("staging", e))?;
        for p in &self.planned {
            let staged = StagedFile {
                path: p.place.path(),
                staged: &p.staged,
                content: &p.change.content,
            };
            verify(&staged).map_err(|e| ("verifying", e.with_entry(&p.change.entry)))?;
        }
        self.back_up().map_err(|e| ("backing up", e))?;
        self.journal.state = TxnState::Prepared;
        self.journal
            .store(&self.backups.dir, MANIFEST_FILE)
            .map_err(|e| ("writing the manifest", e))?;
        self.journal
            .store(state, JOURNAL_FILE)
            .map_err(|e| ("writing the journal", e))?;
        Ok(())
    }

    /// Copies every original regular file, re-reading it and refusing one that changed since
    /// planning. Each original is read as its copy is written, never all at once.
    fn back_up(&mut self) -> Result<()> {
        let originals: Vec<&Planned<'_>> = self
            .planned
            .iter()
            .filter(|p| {
                p.record
                    .old
                    .as_ref()
                    .is_some_and(|o| o.kind == FileKind::File)
            })
            .collect();
        backup::write_copies(
            &self.backups.dir,
            &originals,
            |p| p.record.path.as_path(),
            |p| {
                let bytes = Zeroizing::new(p.place.read()?);
                let recorded = p.record.old.as_ref().map(|o| o.sha256.as_str());
                if Some(fsx::sha256_hex(&bytes).as_str()) != recorded {
                    return Err(changed(&p.place, &p.change.entry));
                }
                Ok(bytes)
            },
        )?;
        self.backup_paths = originals
            .iter()
            .map(|p| {
                self.backups
                    .dir
                    .path()
                    .join(journal::backup_path(&p.record.path))
            })
            .collect();
        Ok(())
    }

    /// Steps 6–7. On failure also returns how many renames were done.
    fn replace_all(
        &mut self,
        guards: &[Guard],
        options: &TxnOptions,
    ) -> std::result::Result<(), (&'static str, Error, usize)> {
        #[cfg(feature = "test-hooks")]
        options.hooks.before_commit();
        #[cfg(not(feature = "test-hooks"))]
        let _ = options;
        let root = self.lock.root();
        for guard in guards {
            check_guard(root, guard).map_err(|e| ("checking files the renewal relies on", e, 0))?;
        }
        for (done, p) in self.planned.iter().enumerate() {
            #[cfg(feature = "test-hooks")]
            options
                .hooks
                .at_rename(done)
                .map_err(|e| ("renaming", e, done))?;
            let now = p
                .place
                .presence()
                .map_err(|e| ("renaming", e.with_entry(&p.change.entry), done))?;
            if now.sha256() != p.record.old.as_ref().map(|o| o.sha256.clone()) {
                return Err(("renaming", changed(&p.place, &p.change.entry), done));
            }
            let result = match p.change.content {
                Content::Absent => p.place.remove().map(|_| ()),
                _ => p.staged.rename_over(&p.place),
            };
            result.map_err(|e| ("renaming", e.with_entry(&p.change.entry), done))?;
        }
        let total = self.planned.len();
        #[cfg(feature = "test-hooks")]
        options
            .hooks
            .at_rename(total)
            .map_err(|e| ("renaming", e, total))?;
        // One fsync per directory after the renames: the journal, already durable, covers a
        // crash before this point.
        let dirs: BTreeSet<&Path> = self
            .planned
            .iter()
            .map(|p| p.record.path.parent().unwrap_or(Path::new("")))
            .collect();
        for dir in dirs {
            root.sync_dir(dir)
                .map_err(|e| ("syncing directories", e, total))?;
        }
        self.journal.state = TxnState::Committed;
        self.journal
            .store(&self.backups.dir, MANIFEST_FILE)
            .map_err(|e| ("committing", e, total))?;
        // The manifest says committed: from here a crash is recognised as finished. A failure
        // to remove the journal is not a failure of the transaction: undoing a committed
        // transaction would be wrong, and the next run sees the committed manifest and only
        // removes the leftover journal.
        let state = self.lock.state_dir();
        let _ = state
            .resolve(Path::new(JOURNAL_FILE), Follow::NotLast)
            .and_then(|j| j.remove())
            .and_then(|_| state.sync_dir(Path::new("")));
        Ok(())
    }

    /// After a failure before any rename: remove staged files, the journal and the backups.
    fn discard_preparation(&self) {
        for p in &self.planned {
            let _ = p.staged.remove();
        }
        let _ = self.backups.discard();
        let state = self.lock.state_dir();
        let _ = state
            .resolve(Path::new(JOURNAL_FILE), Follow::NotLast)
            .and_then(|j| j.remove());
    }

    /// After a failure during renames: put back the `renamed` first files. Returns a sentence
    /// for the error message saying how it went.
    fn undo(&mut self, renamed: usize) -> String {
        let root = self.lock.root();
        let mut problems = Vec::new();
        for record in self.journal.files.iter().take(renamed).rev() {
            match restore::put_back_if_new(root, &self.backups.dir, &self.journal.id, record) {
                Ok(restore::Undo::Restored | restore::Undo::AlreadyOld) => {}
                Ok(restore::Undo::Conflict(message)) => problems.push(message),
                Err(e) => problems.push(e.to_string()),
            }
        }
        for p in &self.planned {
            let _ = p.staged.remove();
        }
        if !problems.is_empty() {
            // The journal stays in state `prepared`: the next run retries the restore.
            return format!(
                "restoring failed too ({}); the journal {} stays, and the next run of this root rolls back again",
                problems.join("; "),
                self.lock.state_dir().path().join(JOURNAL_FILE).display()
            );
        }
        self.journal.state = TxnState::RolledBack;
        let _ = self.journal.store(&self.backups.dir, MANIFEST_FILE);
        let state = self.lock.state_dir();
        let _ = state
            .resolve(Path::new(JOURNAL_FILE), Follow::NotLast)
            .and_then(|j| j.remove());
        format!(
            "the {renamed} files already replaced were restored, every original is unchanged (backups kept in {})",
            self.backups.dir.path().display()
        )
    }
}

fn plan_all<'a>(root: &RootDir, changes: &'a [FileChange], id: &str) -> Result<Vec<Planned<'a>>> {
    let mut seen = BTreeSet::new();
    let mut planned = Vec::with_capacity(changes.len());
    for change in changes {
        let p = plan_one(root, change, id).map_err(|e| e.with_entry(&change.entry))?;
        if !seen.insert(p.record.path.clone()) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the same file is changed twice in one transaction",
            )
            .with_path(p.place.path())
            .with_entry(&change.entry));
        }
        planned.push(p);
    }
    Ok(planned)
}

fn plan_one<'a>(root: &RootDir, change: &'a FileChange, id: &str) -> Result<Planned<'a>> {
    let follow = match change.content {
        Content::Bytes(_) => Follow::Last,
        Content::Symlink(_) | Content::Absent => Follow::NotLast,
    };
    let place = root.resolve(&change.path, follow)?;
    let (kind, new_sha256, new_link) = match &change.content {
        Content::Bytes(bytes) => (FileKind::File, fsx::sha256_hex(bytes), None),
        Content::Symlink(target) => {
            journal::link_target_inside(root, place.relative(), target)?;
            (
                FileKind::Symlink,
                fsx::link_sha256(target),
                Some(target.clone()),
            )
        }
        Content::Absent => (FileKind::Absent, String::new(), None),
    };
    let presence = place.presence()?;
    let matches = match &change.expect {
        Expect::Unchecked => true,
        Expect::Absent => presence == Presence::Absent,
        Expect::Sha256(sha) => presence.sha256().as_deref() == Some(sha.as_str()),
    };
    if !matches {
        return Err(changed(&place, &change.entry));
    }
    let old = match presence {
        Presence::Absent => None,
        Presence::File { sha256, ownership } => Some(OldFile {
            kind: FileKind::File,
            sha256,
            link: None,
            mode: ownership.mode,
            uid: ownership.uid,
            gid: ownership.gid,
        }),
        Presence::Symlink { target, ownership } => Some(OldFile {
            kind: FileKind::Symlink,
            sha256: fsx::link_sha256(&target),
            link: Some(target),
            mode: ownership.mode,
            uid: ownership.uid,
            gid: ownership.gid,
        }),
        Presence::Other => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "is a directory or special file, not a file kcertlib replaces",
            )
            .with_path(place.path()));
        }
    };
    if kind == FileKind::Absent && old.is_none() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "is to be removed but does not exist",
        )
        .with_path(place.path()));
    }
    // An existing regular file keeps its mode and owner (a 0640 root:etcd key stays readable by
    // etcd); nothing kcertlib writes is wider than what it replaces or ever set-id.
    let (mode, owner) = match &old {
        Some(o) if o.kind == FileKind::File => (o.mode & 0o777, Some((o.uid, o.gid))),
        Some(o) => (
            change.mode.unwrap_or(DEFAULT_NEW_FILE_MODE) & 0o777,
            Some((o.uid, o.gid)),
        ),
        None => (change.mode.unwrap_or(DEFAULT_NEW_FILE_MODE) & 0o777, None),
    };
    let staged = place.sibling(journal::staged_name(place.relative(), id));
    let record = JournalFile {
        entry: change.entry.clone(),
        path: place.relative().to_path_buf(),
        kind,
        new_sha256,
        new_link,
        old,
    };
    Ok(Planned {
        change,
        record,
        place,
        staged,
        mode,
        owner,
    })
}

fn stage(p: &Planned<'_>) -> Result<()> {
    match &p.change.content {
        Content::Bytes(bytes) => p.staged.create_file(bytes, p.mode, p.owner),
        Content::Symlink(target) => p.staged.create_symlink(target, p.owner),
        Content::Absent => Ok(()),
    }
}

fn check_guard(root: &RootDir, guard: &Guard) -> Result<()> {
    let place = root.resolve(&guard.path, Follow::Last)?;
    let now = fsx::sha256_hex(&Zeroizing::new(place.read()?));
    if now == guard.sha256 {
        Ok(())
    } else {
        Err(changed(&place, &guard.entry))
    }
}

fn changed(place: &InRoot, entry: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        "changed since kcert read it (another program wrote it meanwhile); nothing of this renewal replaced it — run kcert again",
    )
    .with_path(place.path())
    .with_entry(entry)
}

/// A random transaction id: 32 hex digits.
fn new_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            ErrorKind::Crypto,
            format!("no randomness for a transaction id: {e}"),
        )
    })?;
    Ok(crate::cert::hex(&bytes))
}

fn failed(step: &str, err: Error, aftermath: &str) -> Error {
    let kind = match err.kind() {
        ErrorKind::Conflict | ErrorKind::Untrusted | ErrorKind::Locked => err.kind(),
        _ => ErrorKind::Transaction,
    };
    Error::new(
        kind,
        format!("transaction step `{step}` failed: {err}; {aftermath}"),
    )
    .with_source(err)
}
