//! The backup directory of a transaction: where it is, made private, and the copies in it.
//!
//! By default a fresh `<root>/var/lib/kcert/backups/<YYYYMMDDTHHMMSSZ>`; an explicit directory
//! must be empty or absent. Directories are created 0700 (parents included), an existing one
//! must pass `fsx::check_owned`, and every copy is 0600 without set-id bits, whatever the
//! original's mode (the manifest records that mode, to restore it). A backup directory inside
//! the root is reached through the root's resolver, one outside it by the path the caller gave.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::journal::{MANIFEST_FILE, backup_path};
use super::lock::{RootLock, STATE_DIR};
use crate::error::{Error, ErrorKind, Result};
use crate::fsx::{self, Follow, RootDir};
use crate::time::Timestamp;

const WHAT: &str = "backup directory";

/// The backup directory of a new transaction.
pub(super) struct BackupDir {
    /// The directory, open.
    pub dir: RootDir,
    /// The directory holding it and its name, when this transaction created it fresh (so an
    /// aborted transaction removes it whole).
    fresh_in: Option<(RootDir, String)>,
}

impl BackupDir {
    /// Removes what an aborted transaction put in the backup directory, and the directory
    /// itself when the transaction made it.
    pub fn discard(&self) -> Result<()> {
        match &self.fresh_in {
            Some((parent, name)) => parent.remove_tree(Path::new(name)),
            None => {
                for name in [MANIFEST_FILE, "files"] {
                    self.dir.remove_tree(Path::new(name))?;
                }
                Ok(())
            }
        }
    }
}

/// Makes the backup directory of a new transaction (see the module docs).
///
/// # Errors
/// `InvalidArgument` for an explicit directory that is not empty; `Untrusted` for one that
/// must not be trusted; `Io` when it cannot be made.
pub(super) fn create(lock: &RootLock, requested: Option<&Path>) -> Result<BackupDir> {
    let root = lock.root();
    let Some(requested) = requested else {
        let backups = fsx::ensure_private_dir(root, &Path::new(STATE_DIR).join("backups"), WHAT)?;
        let stamp: String = Timestamp::now()
            .to_rfc3339()
            .chars()
            .filter(|c| *c != '-' && *c != ':')
            .collect();
        for n in 1..1000 {
            let name = if n == 1 {
                stamp.clone()
            } else {
                format!("{stamp}-{n}")
            };
            if let Some(dir) = fsx::create_fresh_dir(&backups, &name, WHAT)? {
                backups.sync_dir(Path::new(""))?;
                return Ok(BackupDir {
                    dir,
                    fresh_in: Some((backups, name)),
                });
            }
        }
        return Err(Error::new(
            ErrorKind::Io,
            "no free backup directory name for this second",
        )
        .with_path(backups.path()));
    };
    let requested = absolute(requested)?;
    let dir = match root.relative(&requested) {
        Ok(inside) => fsx::ensure_private_dir(root, &inside, WHAT)?,
        Err(_) => fsx::ensure_external_dir(&requested, WHAT)?,
    };
    if !dir.list(Path::new(""))?.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "the backup directory already exists and is not empty",
        )
        .with_path(&requested));
    }
    Ok(BackupDir {
        dir,
        fresh_in: None,
    })
}

/// Opens the backup directory a journal or manifest names, for reading and updating its
/// manifest.
///
/// # Errors
/// `Untrusted`/`Io` when it cannot be opened or must not be trusted.
pub(super) fn open_existing(root: &RootDir, backup_dir: &Path) -> Result<RootDir> {
    match root.relative(backup_dir) {
        Ok(inside) => fsx::open_private_dir(root, &inside, WHAT),
        Err(_) => fsx::open_external_dir(backup_dir, WHAT),
    }
}

/// Empties the backup directory of a transaction killed before its backups were complete, and
/// removes it when it is one of the root's default backup directories (an explicit one the
/// operator made stays, empty).
///
/// # Errors
/// `Io` naming what could not be removed.
pub(super) fn discard_incomplete(root: &RootDir, dir: &RootDir) -> Result<()> {
    let defaults = root.path().join(STATE_DIR).join("backups");
    if let (Some(parent), Some(name)) = (dir.path().parent(), dir.path().file_name())
        && parent == defaults
    {
        let backups = fsx::open_private_dir(root, &Path::new(STATE_DIR).join("backups"), WHAT)?;
        return backups.remove_tree(Path::new(name));
    }
    for name in [MANIFEST_FILE, "files"] {
        dir.remove_tree(Path::new(name))?;
    }
    Ok(())
}

/// Copies each original into `dir` (0600 files in 0700 directories) and makes them durable.
/// `relative` names an original's path under the root; `read` reads it (and may refuse it) only
/// when its copy is written, so the originals are never all in memory at once.
///
/// # Errors
/// `Io` naming the copy; whatever `read` returns.
pub(super) fn write_copies<T: Sync>(
    dir: &RootDir,
    originals: &[T],
    relative: impl Fn(&T) -> &Path + Sync,
    read: impl Fn(&T) -> Result<Zeroizing<Vec<u8>>> + Sync,
) -> Result<()> {
    let mut dirs = BTreeSet::new();
    for original in originals {
        let copy = backup_path(relative(original));
        if let Some(parent) = copy.parent() {
            dirs.insert(parent.to_path_buf());
        }
    }
    for d in &dirs {
        fsx::ensure_private_dir(dir, d, WHAT)?;
    }
    fsx::for_each_parallel(originals, |original| {
        let bytes = read(original)?;
        let place = dir.resolve(&backup_path(relative(original)), Follow::NotLast)?;
        place.create_file(&bytes, 0o600, None)
    })?;
    // Every directory holding a copy, each of their parents up to the backup directory, and
    // the backup directory itself.
    let mut to_sync = BTreeSet::new();
    for d in dirs {
        let mut d = d.as_path();
        loop {
            to_sync.insert(d.to_path_buf());
            match d.parent() {
                Some(p) => d = p,
                None => break,
            }
        }
    }
    for d in to_sync.iter().rev() {
        dir.sync_dir(d)?;
    }
    Ok(())
}

/// The backed-up bytes of `relative`, which must be kcertlib's own copy and hash to `sha256`.
///
/// # Errors
/// `Untrusted` for a copy that is not kcertlib's; `Transaction` when its hash differs.
pub(super) fn read_copy(
    dir: &RootDir,
    relative: &Path,
    sha256: &str,
) -> Result<Zeroizing<Vec<u8>>> {
    let place = dir.resolve(&backup_path(relative), Follow::NotLast)?;
    let (bytes, stat) = place.read_with_stat()?;
    let bytes = Zeroizing::new(bytes);
    fsx::check_owned(
        &stat,
        rustix::fs::FileType::RegularFile,
        place.path(),
        "backup copy",
    )?;
    if fsx::sha256_hex(&bytes) != sha256 {
        return Err(Error::new(
            ErrorKind::Transaction,
            format!(
                "the backup {} no longer matches the sha256 recorded in the manifest; not restoring from it",
                place.path().display()
            ),
        ));
    }
    Ok(bytes)
}

pub(super) fn absolute(dir: &Path) -> Result<PathBuf> {
    if dir.is_absolute() {
        return Ok(dir.to_path_buf());
    }
    Ok(std::env::current_dir()
        .map_err(|e| Error::io("reading the current directory for", dir, e))?
        .join(dir))
}
