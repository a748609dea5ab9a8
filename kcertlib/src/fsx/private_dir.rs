//! kcertlib's own directories and files (state directory, lock, journal, backups, manifests):
//! created private, and, when found already there, trusted only if they are what kcertlib would
//! have made. A tree may have been written by anyone; a state file that another user could
//! have written, or that is a symlink, steers nothing.
//!
//! The rule for each one: not a symlink (opened with `O_NOFOLLOW`), the expected type, owned
//! by the effective user, not writable by group or others. Directories kcertlib creates are
//! 0700, parents included.

use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags, Stat, mkdirat, openat};
use rustix::io::Errno;

use super::root::{Follow, RootDir, dir_flags};
use crate::error::{Error, ErrorKind, Result};

/// The mode of every directory kcertlib creates.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// The effective user id, whom kcertlib's own files must belong to.
pub fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Refuses `stat` unless it is of `kind`, owned by the effective user and not writable by group
/// or others. `what` names the file for the message ("lock file", "journal").
///
/// # Errors
/// `Untrusted` naming the file and what is wrong with it.
pub fn check_owned(stat: &Stat, kind: FileType, path: &Path, what: &str) -> Result<()> {
    let found = FileType::from_raw_mode(stat.st_mode);
    let problem = if found != kind {
        Some(format!(
            "is not a {} ({})",
            kind_name(kind),
            kind_name(found)
        ))
    } else if stat.st_uid != effective_uid() {
        Some(format!(
            "is owned by uid {}, not by the user running kcert (uid {})",
            stat.st_uid,
            effective_uid()
        ))
    } else if stat.st_mode & 0o022 != 0 {
        Some(format!(
            "is writable by group or others (mode {:o})",
            stat.st_mode & 0o7777
        ))
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(Error::new(
            ErrorKind::Untrusted,
            format!(
                "kcert's {what} {problem}; refusing to trust it (someone else may have written it). Move it aside after checking it"
            ),
        )
        .with_path(path)),
    }
}

/// The directory `relative` under `root`, created (with any missing parents) mode 0700 when
/// absent. Symlinks on the way are followed inside the root; the directory itself must not be
/// one and must pass `check_owned`.
///
/// # Errors
/// `Untrusted` for a directory kcertlib must not trust; `PathEscape`/`Io` as `RootDir::resolve`.
pub fn ensure_private_dir(root: &RootDir, relative: &Path, what: &str) -> Result<RootDir> {
    let names: Vec<&OsStr> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let mut prefix = PathBuf::new();
    for (i, name) in names.iter().enumerate() {
        prefix.push(name);
        let last = i + 1 == names.len();
        let follow = if last { Follow::NotLast } else { Follow::Last };
        let place = root.resolve(&prefix, follow)?;
        if place.lstat()?.is_none() {
            match mkdirat(
                &*place.dir,
                place.name.as_os_str(),
                Mode::from_raw_mode(PRIVATE_DIR_MODE),
            ) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(Error::io("creating directory", place.path(), e.into())),
            }
        }
        if last {
            return open_checked_dir(&place.dir, place.name.as_os_str(), place.path(), what);
        }
    }
    Err(Error::new(
        ErrorKind::InvalidArgument,
        "no directory named for kcert's state",
    ))
}

/// The existing directory `relative` under `root` (symlinks on the way followed inside the
/// root; the directory itself must not be one), checked with `check_owned`.
///
/// # Errors
/// `Untrusted` for a directory kcertlib must not trust; `PathEscape`/`Io` as `RootDir::resolve`.
pub fn open_private_dir(root: &RootDir, relative: &Path, what: &str) -> Result<RootDir> {
    let place = root.resolve(relative, Follow::NotLast)?;
    open_checked_dir(&place.dir, place.name.as_os_str(), place.path(), what)
}

/// Creates the new directory `name` in `parent` (mode 0700) and opens it; `Ok(None)` when the
/// name is taken.
///
/// # Errors
/// `Io` naming the directory.
pub fn create_fresh_dir(parent: &RootDir, name: &str, what: &str) -> Result<Option<RootDir>> {
    let path = parent.path().join(name);
    match mkdirat(&**parent.fd(), name, Mode::from_raw_mode(PRIVATE_DIR_MODE)) {
        Ok(()) => open_checked_dir(parent.fd(), OsStr::new(name), &path, what).map(Some),
        Err(Errno::EXIST) => Ok(None),
        Err(e) => Err(Error::io("creating directory", &path, e.into())),
    }
}

/// The directory at `path`, an absolute path the caller chose outside any scanned tree (a
/// `--backup-dir`): missing parents are created 0700, the directory itself created 0700 or,
/// when it exists, checked with `check_owned`.
///
/// # Errors
/// `Io` naming the directory; `Untrusted` when it exists and must not be trusted.
pub fn ensure_external_dir(path: &Path, what: &str) -> Result<RootDir> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR_MODE)
        .create(path)
        .map_err(|e| Error::io("creating directory", path, e))?;
    let fd = rustix::fs::open(path, dir_flags(), Mode::empty())
        .map_err(|e| Error::io(&format!("opening {what}"), path, e.into()))?;
    check_fd(&fd, FileType::Directory, path, what)?;
    Ok(RootDir::from_fd(fd, path.to_path_buf()))
}

/// Opens the existing directory `path` for reading only (a backup directory named by a
/// manifest), refusing one kcertlib must not trust.
///
/// # Errors
/// `Io` when it cannot be opened; `Untrusted` as `check_owned`.
pub fn open_external_dir(path: &Path, what: &str) -> Result<RootDir> {
    let fd = rustix::fs::open(path, dir_flags(), Mode::empty())
        .map_err(|e| Error::io(&format!("opening {what}"), path, e.into()))?;
    check_fd(&fd, FileType::Directory, path, what)?;
    Ok(RootDir::from_fd(fd, path.to_path_buf()))
}

/// Opens the existing regular file `name` in `dir` without following a symlink, for reading or
/// (with `write`) writing in place, and checks it with `check_owned`. `Ok(None)` when absent.
///
/// # Errors
/// `Untrusted` for a symlink or a file that fails the check; `Io` otherwise.
pub fn open_owned_file(
    dir: &RootDir,
    name: &str,
    write: bool,
    what: &str,
) -> Result<Option<OwnedFd>> {
    let path = dir.path().join(name);
    let access = if write { OFlags::RDWR } else { OFlags::RDONLY };
    let flags = access | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = match openat(&**dir.fd(), name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::LOOP) => {
            return Err(Error::new(
                ErrorKind::Untrusted,
                format!("kcert's {what} is a symlink; refusing to follow it. Move it aside after checking it"),
            )
            .with_path(&path));
        }
        Err(e) => return Err(Error::io(&format!("opening {what}"), &path, e.into())),
    };
    check_fd(&fd, FileType::RegularFile, &path, what)?;
    Ok(Some(fd))
}

/// Creates the regular file `name` in `dir` exclusively (mode 0600, not following a symlink).
/// `Ok(None)` when the name is taken.
///
/// # Errors
/// `Io` naming the file.
pub fn create_owned_file(dir: &RootDir, name: &str, what: &str) -> Result<Option<OwnedFd>> {
    let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match openat(&**dir.fd(), name, flags, Mode::from_raw_mode(0o600)) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::EXIST) => Ok(None),
        Err(e) => Err(Error::io(
            &format!("creating {what}"),
            &dir.path().join(name),
            e.into(),
        )),
    }
}

fn open_checked_dir(parent: &OwnedFd, name: &OsStr, path: &Path, what: &str) -> Result<RootDir> {
    let fd = openat(parent, name, dir_flags(), Mode::empty()).map_err(|e| match e {
        Errno::LOOP | Errno::NOTDIR => Error::new(
            ErrorKind::Untrusted,
            format!(
                "kcert's {what} is {}; refusing to use it. Move it aside after checking it",
                if e == Errno::LOOP {
                    "a symlink"
                } else {
                    "not a directory"
                }
            ),
        )
        .with_path(path),
        e => Error::io(&format!("opening {what}"), path, e.into()),
    })?;
    check_fd(&fd, FileType::Directory, path, what)?;
    Ok(RootDir::from_fd(fd, path.to_path_buf()))
}

fn check_fd(fd: &OwnedFd, kind: FileType, path: &Path, what: &str) -> Result<()> {
    let stat =
        rustix::fs::fstat(fd).map_err(|e| Error::io("reading metadata of", path, e.into()))?;
    check_owned(&stat, kind, path, what)
}

fn kind_name(kind: FileType) -> &'static str {
    match kind {
        FileType::RegularFile => "regular file",
        FileType::Directory => "directory",
        FileType::Symlink => "symlink",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Unknown => "special file",
    }
}
