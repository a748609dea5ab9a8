//! The lock that keeps two transactions off one root: an exclusive advisory lock (`flock`) on
//! `<root>/var/lib/kcert/renew.lock`. The kernel drops it when the holder exits, even by SIGKILL,
//! so a stale lock file never blocks the next run; the pid written into it is only for messages.
//!
//! The state directory and the lock file are kcertlib's own, inside a tree someone else may have
//! written: the directory is created 0700 and, like the lock file, opened without following a
//! symlink and trusted only when owned by the effective user and not writable by others
//! (`fsx::private_dir`). A renewal holds the lock from before it scans the tree until it
//! commits, so nothing it planned from can be another renewal's half-written state.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};
use crate::fsx::{self, RootDir};
use crate::time::Timestamp;

/// The directory under a root where kcertlib keeps its lock, journal and default backups.
pub const STATE_DIR: &str = "var/lib/kcert";
/// The lock file's name inside the state directory.
pub const LOCK_FILE: &str = "renew.lock";

/// How often a busy lock is tried again, and how long apart, before the run is refused.
const LOCK_ATTEMPTS: u32 = 10;
const LOCK_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// A root opened and locked for a transaction; the lock is held until this is dropped.
#[derive(Debug)]
pub struct RootLock {
    root: RootDir,
    state: RootDir,
    file: File,
}

impl RootLock {
    /// Opens `root` and takes its lock, waiting half a second at most.
    ///
    /// # Errors
    /// `Locked` naming the lock file and the holder's pid when another process (or another
    /// handle in this one) holds it; `Untrusted` when the state directory or lock file is a
    /// symlink, another user's, or writable by others; `Io` when they cannot be made.
    pub fn acquire(root: &Path) -> Result<RootLock> {
        Self::acquire_dir(RootDir::open(root)?)
    }

    /// `acquire` for a root already open.
    ///
    /// # Errors
    /// As `acquire`.
    pub fn acquire_dir(root: RootDir) -> Result<RootLock> {
        let state = fsx::ensure_private_dir(&root, Path::new(STATE_DIR), "state directory")?;
        let what = "lock file";
        let fd = match fsx::open_owned_file(&state, LOCK_FILE, true, what)? {
            Some(fd) => fd,
            None => match fsx::create_owned_file(&state, LOCK_FILE, what)? {
                Some(fd) => fd,
                // Created by a racing run between our two calls: open what it made.
                None => fsx::open_owned_file(&state, LOCK_FILE, true, what)?.ok_or_else(|| {
                    Error::new(ErrorKind::Io, "the lock file vanished while being opened")
                        .with_path(state.path().join(LOCK_FILE))
                })?,
            },
        };
        let mut file = File::from(fd);
        let path = state.path().join(LOCK_FILE);
        let mut attempts = 0;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                // A lock just released can linger for a moment: a process that another thread
                // is spawning shares our open file between fork and exec. Only a holder that
                // stays is another renewal.
                Err(TryLockError::WouldBlock) if attempts < LOCK_ATTEMPTS => {
                    attempts += 1;
                    std::thread::sleep(LOCK_RETRY_PAUSE);
                }
                Err(TryLockError::WouldBlock) => return Err(refusal(&mut file, &path, &root)),
                Err(TryLockError::Error(e)) => return Err(Error::io("locking", &path, e)),
            }
        }
        // Best effort: the lock is what counts; the holder line only improves messages. The
        // file was checked to be ours, so truncating it writes nowhere else.
        let holder = format!(
            "pid {} since {}\n",
            std::process::id(),
            Timestamp::now().to_rfc3339()
        );
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(holder.as_bytes()));
        Ok(RootLock { root, state, file })
    }

    /// The root this lock holds.
    pub fn root(&self) -> &RootDir {
        &self.root
    }

    /// The state directory (`<root>/var/lib/kcert`), checked.
    pub fn state_dir(&self) -> &RootDir {
        &self.state
    }
}

impl Drop for RootLock {
    fn drop(&mut self) {
        // Clear the holder line while still holding the lock; closing the file releases it.
        let _ = self.file.set_len(0);
    }
}

fn refusal(file: &mut File, path: &Path, root: &RootDir) -> Error {
    let mut holder = String::new();
    let _ = file.take(200).read_to_string(&mut holder);
    let holder = holder.trim();
    let who = if holder.is_empty() {
        String::new()
    } else {
        format!(" (held by {holder})")
    };
    Error::new(
        ErrorKind::Locked,
        format!(
            "another renewal of {} is running: it holds the lock {}{who}; wait for it to finish",
            root.path().display(),
            path.display()
        ),
    )
}
