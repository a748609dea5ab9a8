//! A transaction over a set of file changes under one root: either every file is replaced, or
//! every original stays byte-identical.
//!
//! `apply` runs these steps, in this order:
//! 1. take the root's lock (`<root>/var/lib/kcert/renew.lock`; a second run is refused);
//! 2. recover an interrupted transaction of the root, if a journal was left behind;
//! 3. resolve every path inside the root (never following a symlink out of it) and write a
//!    journal in state `staging`, so even staged temporaries are found after a crash;
//! 4. stage each new file as a hidden sibling with the original's mode and owner, fsynced;
//! 5. run the caller's verify callback on each staged file;
//! 6. copy the originals into the backup directory, write the manifest (state `prepared`) there
//!    and as `<root>/var/lib/kcert/journal.json`, fsync both and their directories;
//! 7. rename the staged files into place (symlinks too: a new link renamed over the old one, the
//!    swap kubelet itself uses), then fsync each directory once;
//! 8. mark the manifest `committed` and remove the journal.
//!
//! A failure in steps 3–6 removes the staged files (nothing was replaced). A failure in 7–8 puts
//! back every file already replaced, then marks the manifest `rolled-back`. A process killed
//! after step 6 leaves the journal, and the next `apply`, `recover` or `rollback` of that root
//! rolls the interrupted transaction back (see `restore` for why back and not forward).

mod journal;
mod lock;
mod restore;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use journal::{FileKind, JOURNAL_FORMAT, Journal, JournalFile, OldFile, TxnState};
pub use lock::{LOCK_FILE, RootLock};
pub use restore::{Recovery, Rollback, recover, rollback};

use crate::error::{Error, ErrorKind, Result};
use crate::fsx::{self, Presence};
use crate::time::Timestamp;

/// The directory under a root where kcertlib keeps its lock, journal and default backups.
pub const STATE_DIR: &str = "var/lib/kcert";
/// The journal's name inside `STATE_DIR`.
pub const JOURNAL_FILE: &str = "journal.json";
/// The manifest's name inside a backup directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The environment variable the crash test uses to stop a transaction between renames; read
/// only when `TxnOptions::dangerous_allow_test_pause` is set.
pub const TEST_PAUSE_ENV: &str = "KCERT_TEST_PAUSE_AFTER_RENAMES";
/// New files without an original and without an explicit mode get this one (keys are private).
pub const DEFAULT_NEW_FILE_MODE: u32 = 0o600;

/// What a path should hold after the transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// A regular file with these bytes. When the path is a symlink, the file it points to (inside
    /// the root) is replaced.
    Bytes(Vec<u8>),
    /// A symlink with this target. The link itself is replaced, atomically.
    Symlink(PathBuf),
}

/// One file to replace or create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// Absolute path under the root.
    pub path: PathBuf,
    /// The new content.
    pub content: Content,
    /// The permission bits; `None` keeps the original's, or `DEFAULT_NEW_FILE_MODE` for a new file.
    pub mode: Option<u32>,
    /// The inventory entry this change belongs to, for messages and the manifest.
    pub entry: String,
}

impl FileChange {
    /// A regular file with `bytes`, keeping the original's mode.
    pub fn bytes(entry: impl Into<String>, path: impl Into<PathBuf>, bytes: Vec<u8>) -> Self {
        FileChange {
            path: path.into(),
            content: Content::Bytes(bytes),
            mode: None,
            entry: entry.into(),
        }
    }

    /// A symlink to `target`.
    pub fn symlink(
        entry: impl Into<String>,
        path: impl Into<PathBuf>,
        target: impl Into<PathBuf>,
    ) -> Self {
        FileChange {
            path: path.into(),
            content: Content::Symlink(target.into()),
            mode: None,
            entry: entry.into(),
        }
    }

    /// The same change with explicit permission bits.
    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }
}

/// Options of `apply`.
#[derive(Clone, Debug, Default)]
pub struct TxnOptions {
    /// Where originals are copied; must not exist or be empty. Default:
    /// `<root>/var/lib/kcert/backups/<YYYYMMDDTHHMMSSZ>`.
    pub backup_dir: Option<PathBuf>,
    /// Test hook: fail on purpose once this many renames are done (0 = before the first).
    #[doc(hidden)]
    pub dangerous_fail_after_renames: Option<usize>,
    /// Test hook: honour `KCERT_TEST_PAUSE_AFTER_RENAMES=N`, which stops the process after N
    /// renames (printing a line on stderr) so a test can kill it.
    #[doc(hidden)]
    pub dangerous_allow_test_pause: bool,
}

/// A staged file, as shown to the verify callback before anything is replaced.
#[derive(Clone, Copy, Debug)]
pub struct StagedFile<'a> {
    /// The change's entry.
    pub entry: &'a str,
    /// The real path that will be replaced.
    pub path: &'a Path,
    /// The staged sibling holding the new content (read it to check what will land on disk).
    pub staged: &'a Path,
    /// The requested content.
    pub content: &'a Content,
}

/// What a committed transaction did.
#[derive(Clone, Debug)]
pub struct TxnOutcome {
    /// The manifest, for `rollback`.
    pub manifest: PathBuf,
    /// The backup directory.
    pub backup_dir: PathBuf,
    /// The backup copies written (one per replaced regular file).
    pub backups: Vec<PathBuf>,
    /// The real paths replaced or created, in order.
    pub replaced: Vec<PathBuf>,
    /// An interrupted earlier transaction that was rolled back first.
    pub recovered: Option<Recovery>,
}

/// The state directory of `root` (`<root>/var/lib/kcert`, resolved inside the root).
///
/// # Errors
/// As `fsx::resolve_in_root`.
pub fn state_dir(root: &Path) -> Result<PathBuf> {
    let canon = fsx::canonical_root(root)?;
    state_dir_canonical(root, &canon)
}

pub(crate) fn state_dir_canonical(root: &Path, canon: &Path) -> Result<PathBuf> {
    fsx::resolve_in_canonical_root(root, canon, &canon.join(STATE_DIR), true)
}

/// Replaces every file of `changes` under `root`, or none (see the module docs for the steps).
/// `verify` sees each staged file before anything is replaced; an error from it aborts.
///
/// # Errors
/// `Locked` when another transaction holds the root; `PathEscape` when a path leads outside
/// the root; `InvalidArgument` for an empty or duplicate change list, a directory in the way or
/// a non-empty backup directory; `Transaction` for a failure in any later step, naming the step
/// and whether the originals were restored (its `source()` is the underlying error).
pub fn apply(
    root: &Path,
    changes: &[FileChange],
    options: &TxnOptions,
    mut verify: impl FnMut(&StagedFile<'_>) -> Result<()>,
) -> Result<TxnOutcome> {
    if changes.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "a transaction needs at least one file change",
        ));
    }
    let canon = fsx::canonical_root(root)?;
    let _lock = lock::RootLock::acquire_canonical(root, &canon)?;
    let recovered = restore::recover_locked(root, &canon).map_err(|e| {
        failed(
            "recovering an interrupted transaction",
            e,
            "nothing was changed",
        )
    })?;
    let planned = plan_all(root, &canon, changes)?;
    let state_dir = state_dir_canonical(root, &canon)?;
    let (backup_dir, created_backup_dir) = backup_dir_for(root, &canon, &state_dir, options)?;
    let mut run = Run {
        journal: Journal {
            format: JOURNAL_FORMAT,
            root: canon.clone(),
            manifest: backup_dir.join(MANIFEST_FILE),
            backup_dir,
            state: TxnState::Staging,
            started_at: Timestamp::now().to_rfc3339(),
            pid: std::process::id(),
            files: planned.iter().map(|p| p.record.clone()).collect(),
        },
        journal_path: state_dir.join(JOURNAL_FILE),
        planned,
        created_backup_dir,
        backups: Vec::new(),
    };
    match run.prepare(&canon, &mut verify) {
        Ok(()) => {}
        Err((step, e)) => {
            run.discard_preparation();
            return Err(failed(step, e, "nothing was replaced"));
        }
    }
    match run.replace_all(options) {
        Ok(()) => {}
        Err((step, e, renamed)) => {
            let aftermath = run.undo(renamed);
            return Err(failed(step, e, &aftermath));
        }
    }
    Ok(TxnOutcome {
        manifest: run.journal.manifest.clone(),
        backup_dir: run.journal.backup_dir.clone(),
        backups: run.backups,
        replaced: run.journal.files.iter().map(|f| f.path.clone()).collect(),
        recovered,
    })
}

/// A change with everything resolved: where it lands, what was there, and its staged sibling.
struct Planned<'a> {
    change: &'a FileChange,
    record: JournalFile,
    mode: u32,
    owner: Option<(u32, u32)>,
}

struct Run<'a> {
    journal: Journal,
    journal_path: PathBuf,
    planned: Vec<Planned<'a>>,
    created_backup_dir: bool,
    backups: Vec<PathBuf>,
}

/// The step that failed, and why.
type StepError = (&'static str, Error);

impl Run<'_> {
    /// Steps 3–6: journal, stage, verify, back up, manifest.
    fn prepare(
        &mut self,
        canon: &Path,
        verify: &mut impl FnMut(&StagedFile<'_>) -> Result<()>,
    ) -> std::result::Result<(), StepError> {
        let journal = &self.journal;
        journal
            .store(&self.journal_path)
            .map_err(|e| ("writing the journal", e))?;
        fsx::for_each_parallel(&self.planned, |p| {
            stage(p).map_err(|e| e.with_entry(&p.change.entry))
        })
        .map_err(|e| ("staging", e))?;
        for p in &self.planned {
            let staged = StagedFile {
                entry: &p.change.entry,
                path: &p.record.path,
                staged: &p.record.staged,
                content: &p.change.content,
            };
            verify(&staged).map_err(|e| ("verifying", e.with_entry(&p.change.entry)))?;
        }
        self.back_up(canon).map_err(|e| ("backing up", e))?;
        self.journal.state = TxnState::Prepared;
        self.journal
            .store(&self.journal.manifest)
            .map_err(|e| ("writing the manifest", e))?;
        self.journal
            .store(&self.journal_path)
            .map_err(|e| ("writing the journal", e))?;
        Ok(())
    }

    fn back_up(&mut self, canon: &Path) -> Result<()> {
        let backup_dir = self.journal.backup_dir.clone();
        fsx::create_private_dir_all(&backup_dir)?;
        // Where each original goes, and the directories to make, first; then the copies.
        let mut copies = Vec::new();
        let mut dirs = BTreeSet::new();
        for (index, record) in self.journal.files.iter().enumerate() {
            let Some(old) = record.old.as_ref().filter(|o| o.kind == FileKind::File) else {
                continue;
            };
            let relative = record.path.strip_prefix(canon).unwrap_or(&record.path);
            let copy = backup_dir.join("files").join(relative);
            let mut dir = fsx::parent_dir(&copy)?;
            while dir.starts_with(&backup_dir) && dirs.insert(dir.to_path_buf()) {
                dir = fsx::parent_dir(dir)?;
            }
            copies.push((
                index,
                record.path.clone(),
                copy,
                old.sha256.clone(),
                old.mode,
            ));
        }
        for dir in &dirs {
            fsx::create_private_dir_all(dir)?;
        }
        fsx::for_each_parallel(&copies, |(_, original, copy, sha256, mode)| {
            let bytes = std::fs::read(original)
                .map_err(|e| Error::io("reading the original of", original, e))?;
            if &fsx::sha256_hex(&bytes) != sha256 {
                return Err(Error::new(
                    ErrorKind::Transaction,
                    "changed by someone else while the transaction was running",
                )
                .with_path(original));
            }
            fsx::write_new_file(copy, &bytes, *mode, None)
        })?;
        for (index, _, copy, _, _) in copies {
            if let Some(old) = self.journal.files[index].old.as_mut() {
                old.backup = Some(copy.clone());
            }
            self.backups.push(copy);
        }
        dirs.insert(fsx::parent_dir(&backup_dir)?.to_path_buf());
        for d in &dirs {
            fsx::fsync_dir(d)?;
        }
        Ok(())
    }

    /// Steps 7–8. On failure also returns how many renames were done.
    fn replace_all(
        &mut self,
        options: &TxnOptions,
    ) -> std::result::Result<(), (&'static str, Error, usize)> {
        let pause_after = test_pause_after(options);
        let total = self.journal.files.len();
        for done in 0..=total {
            if options.dangerous_fail_after_renames == Some(done) {
                let e = Error::new(
                    ErrorKind::Transaction,
                    format!("injected failure after {done} renames (test hook)"),
                );
                return Err(("renaming", e, done));
            }
            if pause_after == Some(done) {
                pause_for_test(done);
                let e = Error::new(ErrorKind::Transaction, "test pause ended without a kill");
                return Err(("renaming", e, done));
            }
            let Some(record) = self.journal.files.get(done) else {
                break;
            };
            fsx::rename(&record.staged, &record.path)
                .map_err(|e| ("renaming", e.with_entry(&record.entry), done))?;
        }
        // One fsync per directory after the renames: the journal, already durable, covers a
        // crash before this point.
        let dirs: BTreeSet<&Path> = self
            .journal
            .files
            .iter()
            .filter_map(|f| f.path.parent())
            .collect();
        for dir in dirs {
            fsx::fsync_dir(dir).map_err(|e| ("syncing directories", e, total))?;
        }
        self.journal.state = TxnState::Committed;
        self.journal
            .store(&self.journal.manifest)
            .map_err(|e| ("committing", e, total))?;
        // The manifest says committed: from here a crash is recognised as finished.
        // A failure to remove the journal is not a failure of the transaction: undoing a
        // committed transaction would be wrong, and the next run sees the committed manifest
        // and only removes the leftover journal.
        let _ = fsx::remove_if_exists(&self.journal_path)
            .and_then(|_| fsx::fsync_dir(fsx::parent_dir(&self.journal_path)?));
        Ok(())
    }

    /// After a failure before any rename: remove staged files, the journal and the backups.
    fn discard_preparation(&self) {
        for p in &self.planned {
            let _ = fsx::remove_if_exists(&p.record.staged);
        }
        if self.created_backup_dir {
            let _ = std::fs::remove_dir_all(&self.journal.backup_dir);
        } else {
            let _ = std::fs::remove_dir_all(self.journal.backup_dir.join("files"));
            let _ = fsx::remove_if_exists(&self.journal.manifest);
        }
        let _ = fsx::remove_if_exists(&self.journal_path);
    }

    /// After a failure during renames: put back the `renamed` first files. Returns a sentence
    /// for the error message saying how it went.
    fn undo(&mut self, renamed: usize) -> String {
        let mut problems = Vec::new();
        for record in self.journal.files.iter().take(renamed).rev() {
            if let Err(e) = restore::put_back(record) {
                problems.push(e.to_string());
            }
        }
        for record in &self.journal.files {
            let _ = fsx::remove_if_exists(&record.staged);
        }
        if !problems.is_empty() {
            // The journal stays in state `prepared`: the next run retries the restore.
            return format!(
                "restoring failed too ({}); the journal {} stays, and the next run of this root rolls back again",
                problems.join("; "),
                self.journal_path.display()
            );
        }
        self.journal.state = TxnState::RolledBack;
        let _ = self.journal.store(&self.journal.manifest);
        let _ = fsx::remove_if_exists(&self.journal_path);
        format!(
            "the {renamed} files already replaced were restored, every original is unchanged (backups kept in {})",
            self.journal.backup_dir.display()
        )
    }
}

fn plan_all<'a>(root: &Path, canon: &Path, changes: &'a [FileChange]) -> Result<Vec<Planned<'a>>> {
    let mut seen = BTreeSet::new();
    let mut planned = Vec::with_capacity(changes.len());
    for change in changes {
        let p = plan_one(root, canon, change).map_err(|e| e.with_entry(&change.entry))?;
        if !seen.insert(p.record.path.clone()) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the same file is changed twice in one transaction",
            )
            .with_path(&p.record.path)
            .with_entry(&change.entry));
        }
        planned.push(p);
    }
    Ok(planned)
}

fn plan_one<'a>(root: &Path, canon: &Path, change: &'a FileChange) -> Result<Planned<'a>> {
    let follow_last = matches!(change.content, Content::Bytes(_));
    let path = fsx::resolve_in_canonical_root(root, canon, &change.path, follow_last)?;
    let (kind, new_sha256, new_link) = match &change.content {
        Content::Bytes(bytes) => (FileKind::File, fsx::sha256_hex(bytes), None),
        Content::Symlink(target) => {
            check_link_target(root, canon, &path, target)?;
            (
                FileKind::Symlink,
                fsx::link_sha256(target),
                Some(target.clone()),
            )
        }
    };
    let old = match Presence::of(&path)? {
        Presence::Absent => None,
        Presence::File { sha256, ownership } => Some(OldFile {
            kind: FileKind::File,
            sha256,
            backup: None,
            link: None,
            mode: ownership.mode,
            uid: ownership.uid,
            gid: ownership.gid,
        }),
        Presence::Symlink { target, ownership } => Some(OldFile {
            kind: FileKind::Symlink,
            sha256: fsx::link_sha256(&target),
            backup: None,
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
            .with_path(&path));
        }
    };
    let old_file_mode = old
        .as_ref()
        .filter(|o| o.kind == FileKind::File)
        .map(|o| o.mode);
    let mode = change
        .mode
        .or(old_file_mode)
        .unwrap_or(DEFAULT_NEW_FILE_MODE);
    let owner = old.as_ref().map(|o| (o.uid, o.gid));
    let record = JournalFile {
        entry: change.entry.clone(),
        staged: fsx::temp_sibling(&path, "stage")?,
        path,
        kind,
        new_sha256,
        new_link,
        old,
    };
    Ok(Planned {
        change,
        record,
        mode,
        owner,
    })
}

/// A new link must point inside the root, read the way `fsx` reads links.
fn check_link_target(root: &Path, canon: &Path, link: &Path, target: &Path) -> Result<()> {
    let as_seen = if target.is_absolute() {
        if target.starts_with(canon) || target.starts_with(root) {
            target.to_path_buf()
        } else {
            canon.join(target.strip_prefix("/").unwrap_or(target))
        }
    } else {
        fsx::parent_dir(link)?.join(target)
    };
    fsx::resolve_in_canonical_root(root, canon, &as_seen, true).map(|_| ())
}

fn stage(p: &Planned<'_>) -> Result<()> {
    match &p.change.content {
        Content::Bytes(bytes) => fsx::write_new_file(&p.record.staged, bytes, p.mode, p.owner),
        Content::Symlink(target) => fsx::create_symlink(target, &p.record.staged, p.owner),
    }
}

/// The backup directory to use, and whether this run creates it.
fn backup_dir_for(
    root: &Path,
    canon: &Path,
    state_dir: &Path,
    options: &TxnOptions,
) -> Result<(PathBuf, bool)> {
    if let Some(dir) = &options.backup_dir {
        let dir = if dir.is_absolute() {
            dir.clone()
        } else {
            std::env::current_dir()
                .map_err(|e| Error::io("reading the current directory for", dir, e))?
                .join(dir)
        };
        return match std::fs::read_dir(&dir) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    Err(Error::new(
                        ErrorKind::InvalidArgument,
                        "the backup directory already exists and is not empty",
                    )
                    .with_path(&dir))
                } else {
                    Ok((dir, false))
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((dir, true)),
            Err(e) => Err(Error::io("reading backup directory", &dir, e)),
        };
    }
    let stamp: String = Timestamp::now()
        .to_rfc3339()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    let base =
        fsx::resolve_in_canonical_root(root, canon, &state_dir.join("backups").join(&stamp), true)?;
    let mut candidate = base.clone();
    let mut n = 1;
    while std::fs::symlink_metadata(&candidate).is_ok() {
        n += 1;
        candidate = base.with_file_name(format!("{stamp}-{n}"));
    }
    Ok((candidate, true))
}

fn failed(step: &str, err: Error, aftermath: &str) -> Error {
    Error::new(
        ErrorKind::Transaction,
        format!("transaction step `{step}` failed: {err}; {aftermath}"),
    )
    .with_source(err)
}

fn test_pause_after(options: &TxnOptions) -> Option<usize> {
    if !options.dangerous_allow_test_pause {
        return None;
    }
    std::env::var(TEST_PAUSE_ENV).ok()?.trim().parse().ok()
}

/// Stops here so a test can SIGKILL the process between two renames; gives up after ten
/// minutes so a forgotten test does not hang forever.
fn pause_for_test(done: usize) {
    use std::io::Write;
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "kcert-test: paused after {done} renames, pid {}",
        std::process::id()
    );
    let _ = err.flush();
    for _ in 0..600 {
        std::thread::sleep(Duration::from_secs(1));
    }
}
