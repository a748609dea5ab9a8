//! Files at an `InRoot` place: read from the descriptor that was checked (never by path after a
//! look), created exclusively, renamed and removed through the directory's descriptor.
//!
//! Reading refuses what is not a regular file before opening it where it can (a FIFO would block
//! forever, a device may act on open) and again from the open descriptor (`O_NOFOLLOW |
//! O_NONBLOCK`, then `fstat`), and refuses files over `MAX_FILE_SIZE`: the certificates, keys
//! and kubeconfigs of a node are kilobytes, and a tree may hold anything.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat, openat, readlinkat, statat};
use rustix::io::Errno;

use super::root::{InRoot, dir_flags};
use super::sha256_hex;
use crate::error::{Error, ErrorKind, Result};

/// The largest file kcertlib reads from a tree: 16 MiB. A kubeconfig or PEM bundle of a
/// 1,000-host node is well under 1 MiB.
pub const MAX_FILE_SIZE: u64 = 16 << 20;

/// Mode, owner and group of a file as found on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ownership {
    /// Permission bits (`0o600`), without the file type.
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
}

impl Ownership {
    pub(crate) fn of_stat(stat: &Stat) -> Ownership {
        Ownership {
            mode: stat.st_mode & 0o7777,
            uid: stat.st_uid,
            gid: stat.st_gid,
        }
    }
}

/// What is at a place right now, without following a final symlink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Nothing.
    Absent,
    /// A regular file with this SHA-256.
    File {
        /// Hex SHA-256 of the content.
        sha256: String,
        /// Mode and owner.
        ownership: Ownership,
    },
    /// A symlink with this target.
    Symlink {
        /// The target as written in the link.
        target: PathBuf,
        /// Owner of the link itself (the mode of a link means nothing).
        ownership: Ownership,
    },
    /// A directory or a special file, which kcertlib never replaces.
    Other,
}

impl Presence {
    /// The content hash as a journal records it: the file's bytes, or the link's target.
    pub fn sha256(&self) -> Option<String> {
        match self {
            Presence::File { sha256, .. } => Some(sha256.clone()),
            Presence::Symlink { target, .. } => Some(link_sha256(target)),
            Presence::Absent | Presence::Other => None,
        }
    }
}

/// The SHA-256 a journal records for a symlink: that of its target's bytes.
pub fn link_sha256(target: &Path) -> String {
    sha256_hex(target.as_os_str().as_bytes())
}

impl InRoot {
    /// The file's status, not following a symlink; `None` when nothing is there.
    ///
    /// # Errors
    /// `Io` naming the path.
    pub fn lstat(&self) -> Result<Option<Stat>> {
        match statat(&*self.dir, self.name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some(stat)),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(Error::io("reading metadata of", &self.path, e.into())),
        }
    }

    /// The bytes of the regular file here (see the module docs for what is refused).
    ///
    /// # Errors
    /// `Io` naming the file: missing (its source is a not-found `io::Error`), a symlink, a
    /// directory, FIFO, socket or device, larger than `MAX_FILE_SIZE`, or unreadable.
    pub fn read(&self) -> Result<Vec<u8>> {
        Ok(self.read_with_stat()?.0)
    }

    /// `read`, with the status of the descriptor the bytes came from.
    ///
    /// # Errors
    /// As `read`.
    pub fn read_with_stat(&self) -> Result<(Vec<u8>, Stat)> {
        if let Some(stat) = self.lstat()? {
            self.require_regular(&stat)?;
        }
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = openat(&*self.dir, self.name.as_os_str(), flags, Mode::empty()).map_err(
            |e| match (e, self.via()) {
                (Errno::LOOP, _) => Error::new(ErrorKind::Io, "is a symlink, not the file itself")
                    .with_path(&self.path),
                (Errno::NOENT, Some((link, target))) => Error::new(
                    ErrorKind::Io,
                    format!(
                        "dangling symlink: {} points to {}, which does not exist under the root",
                        link.display(),
                        target.display()
                    ),
                ),
                _ => Error::io("opening", &self.path, e.into()),
            },
        )?;
        let stat =
            rustix::fs::fstat(&fd).map_err(|e| Error::io("reading", &self.path, e.into()))?;
        self.require_regular(&stat)?;
        let size = u64::try_from(stat.st_size).unwrap_or(0);
        if size > MAX_FILE_SIZE {
            return Err(too_big(&self.path, size));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        File::from(fd)
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("reading", &self.path, e))?;
        if bytes.len() as u64 > MAX_FILE_SIZE {
            return Err(too_big(&self.path, bytes.len() as u64));
        }
        Ok((bytes, stat))
    }

    /// The target of the symlink here.
    ///
    /// # Errors
    /// `Io` naming the link.
    pub fn read_link(&self) -> Result<PathBuf> {
        readlinkat(&*self.dir, self.name.as_os_str(), Vec::new())
            .map(|t| PathBuf::from(std::ffi::OsStr::from_bytes(t.as_bytes())))
            .map_err(|e| Error::io("reading symlink", &self.path, e.into()))
    }

    /// What is here now (regular files are read and hashed).
    ///
    /// # Errors
    /// `Io` when it exists but cannot be read.
    pub fn presence(&self) -> Result<Presence> {
        let Some(stat) = self.lstat()? else {
            return Ok(Presence::Absent);
        };
        let ownership = Ownership::of_stat(&stat);
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::Symlink => Ok(Presence::Symlink {
                target: self.read_link()?,
                ownership,
            }),
            FileType::RegularFile => {
                let (bytes, stat) = self.read_with_stat()?;
                Ok(Presence::File {
                    sha256: sha256_hex(&bytes),
                    ownership: Ownership::of_stat(&stat),
                })
            }
            _ => Ok(Presence::Other),
        }
    }

    /// Creates this file, which must not exist, holding `bytes` with exactly `mode` (set-id and
    /// sticky bits are never set) and, when given, that owner and group, and fsyncs it. A partly
    /// written file is removed again on failure.
    ///
    /// # Errors
    /// `Io` naming the file and the step that failed.
    pub fn create_file(&self, bytes: &[u8], mode: u32, owner: Option<(u32, u32)>) -> Result<()> {
        let result = self.create_file_inner(bytes, mode & 0o777, owner);
        if result.is_err() {
            let _ = rustix::fs::unlinkat(&*self.dir, self.name.as_os_str(), AtFlags::empty());
        }
        result
    }

    fn create_file_inner(&self, bytes: &[u8], mode: u32, owner: Option<(u32, u32)>) -> Result<()> {
        // Created 0600 whatever the final mode, so secret bytes are never readable by others,
        // even for the moment before the chmod.
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = openat(
            &*self.dir,
            self.name.as_os_str(),
            flags,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| Error::io("creating", &self.path, e.into()))?;
        let mut file = File::from(fd);
        file.write_all(bytes)
            .map_err(|e| Error::io("writing", &self.path, e))?;
        if let Some((uid, gid)) = owner {
            let stat = rustix::fs::fstat(&file)
                .map_err(|e| Error::io("reading metadata of", &self.path, e.into()))?;
            if stat.st_uid != uid || stat.st_gid != gid {
                std::os::unix::fs::fchown(&file, Some(uid), Some(gid)).map_err(|e| {
                    Error::io(&format!("changing owner to {uid}:{gid} of"), &self.path, e)
                })?;
            }
        }
        // After chown, which clears set-id bits anyway: the mode goes last.
        rustix::fs::fchmod(file.as_fd(), Mode::from_raw_mode(mode))
            .map_err(|e| Error::io(&format!("setting mode {mode:o} on"), &self.path, e.into()))?;
        file.sync_all()
            .map_err(|e| Error::io("syncing", &self.path, e))
    }

    /// Creates the symlink here (the name must not exist) pointing at `target`, owned by
    /// `owner` when given.
    ///
    /// # Errors
    /// `Io` naming the link.
    pub fn create_symlink(&self, target: &Path, owner: Option<(u32, u32)>) -> Result<()> {
        rustix::fs::symlinkat(target, &*self.dir, self.name.as_os_str())
            .map_err(|e| Error::io("creating symlink", &self.path, e.into()))?;
        if let Some((uid, gid)) = owner {
            let stat = self.lstat()?;
            let differs = stat.is_some_and(|s| s.st_uid != uid || s.st_gid != gid);
            if differs
                && let Err(e) = rustix::fs::chownat(
                    &*self.dir,
                    self.name.as_os_str(),
                    Some(rustix::fs::Uid::from_raw(uid)),
                    Some(rustix::fs::Gid::from_raw(gid)),
                    AtFlags::SYMLINK_NOFOLLOW,
                )
            {
                let _ = self.remove();
                return Err(Error::io(
                    &format!("changing owner to {uid}:{gid} of"),
                    &self.path,
                    e.into(),
                ));
            }
        }
        Ok(())
    }

    /// Renames this file over `to` (atomic within one filesystem), without syncing the
    /// directory; callers fsync each directory once after a batch.
    ///
    /// # Errors
    /// `Io` naming both paths.
    pub fn rename_over(&self, to: &InRoot) -> Result<()> {
        rustix::fs::renameat(
            &*self.dir,
            self.name.as_os_str(),
            &*to.dir,
            to.name.as_os_str(),
        )
        .map_err(|e| {
            Error::io(
                &format!("renaming {} over", self.path.display()),
                &to.path,
                e.into(),
            )
        })
    }

    /// Removes the file or symlink here (never a directory, never what a link points to).
    /// `Ok(false)` when nothing was there.
    ///
    /// # Errors
    /// `Io` naming the path.
    pub fn remove(&self) -> Result<bool> {
        match rustix::fs::unlinkat(&*self.dir, self.name.as_os_str(), AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(Error::io("removing", &self.path, e.into())),
        }
    }

    /// Flushes this place's directory (new names, renames, removals) to disk.
    ///
    /// # Errors
    /// `Io` naming the directory.
    pub fn sync_dir(&self) -> Result<()> {
        let dir = self.path.parent().unwrap_or(&self.path);
        openat(&*self.dir, ".", dir_flags(), Mode::empty())
            .map_err(std::io::Error::from)
            .and_then(|fd| File::from(fd).sync_all())
            .map_err(|e| Error::io("syncing directory", dir, e))
    }

    fn require_regular(&self, stat: &Stat) -> Result<()> {
        require_regular(stat, &self.path)
    }
}

/// `Ok` for a regular file; otherwise an `Io` error naming `path` and what is there instead.
pub(super) fn require_regular(stat: &Stat, path: &Path) -> Result<()> {
    let what = match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => return Ok(()),
        FileType::Symlink => "a symlink, not the file itself",
        FileType::Directory => "a directory",
        FileType::Fifo => "a FIFO (named pipe)",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Unknown => "not a regular file",
    };
    Err(Error::new(
        ErrorKind::Io,
        format!("is {what}; kcertlib reads regular files only"),
    )
    .with_path(path))
}

/// Whether `err` says a file or directory does not exist (and no symlink was involved).
pub fn is_not_found(err: &Error) -> bool {
    std::error::Error::source(err)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
}

pub(super) fn too_big(path: &Path, size: u64) -> Error {
    Error::new(
        ErrorKind::Io,
        format!(
            "is {size} bytes, larger than the {} MiB kcertlib reads from a tree",
            MAX_FILE_SIZE >> 20
        ),
    )
    .with_path(path)
}
