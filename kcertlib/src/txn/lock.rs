//! The lock that keeps two transactions off one root: an exclusive advisory lock (`flock`) on
//! `<root>/var/lib/kcert/renew.lock`. The kernel drops it when the holder exits, even by SIGKILL,
//! so a stale lock file never blocks the next run; the pid written into it is only for messages.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::fsx;
use crate::time::Timestamp;

/// The lock file's name inside the state directory.
pub const LOCK_FILE: &str = "renew.lock";

/// How often a busy lock is tried again, and how long apart, before the run is refused.
const LOCK_ATTEMPTS: u32 = 10;
const LOCK_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// Holds the lock of one root until dropped.
#[derive(Debug)]
pub struct RootLock {
    file: File,
    path: PathBuf,
}

impl RootLock {
    /// Takes the lock of `root`, waiting half a second at most.
    ///
    /// # Errors
    /// `Locked` naming the lock file and the holder's pid when another process (or another
    /// handle in this one) holds it; `Io` when the state directory or lock file cannot be made.
    pub fn acquire(root: &Path) -> Result<RootLock> {
        let canon = fsx::canonical_root(root)?;
        Self::acquire_canonical(root, &canon)
    }

    pub(crate) fn acquire_canonical(root: &Path, canon: &Path) -> Result<RootLock> {
        let dir = super::state_dir_canonical(root, canon)?;
        fsx::create_private_dir_all(&dir)?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::io("opening lock file", &path, e))?;
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
                Err(TryLockError::WouldBlock) => return Err(refusal(&path, canon)),
                Err(TryLockError::Error(e)) => return Err(Error::io("locking", &path, e)),
            }
        }
        // Best effort: the lock is what counts; the holder line only improves messages.
        let holder = format!(
            "pid {} since {}\n",
            std::process::id(),
            Timestamp::now().to_rfc3339()
        );
        let _ = file
            .set_len(0)
            .and_then(|()| file.write_all(holder.as_bytes()));
        Ok(RootLock { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RootLock {
    fn drop(&mut self) {
        // Clear the holder line while still holding the lock; closing the file releases it.
        let _ = self.file.set_len(0);
    }
}

fn refusal(path: &Path, root: &Path) -> Error {
    let holder = std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let who = match holder {
        Some(h) => format!(" (held by {h})"),
        None => String::new(),
    };
    Error::new(
        ErrorKind::Locked,
        format!(
            "another renewal of {} is running: it holds the lock {}{who}; wait for it to finish",
            root.display(),
            path.display()
        ),
    )
}
