//! `RootDir`: an open directory that every path of a scan or renewal is resolved under, one
//! component at a time through directory descriptors, so nothing in the tree (a symlink, `..`,
//! a directory swapped for a link half-way) can lead a read or a write outside it.
//!
//! Symlinks are read as the node reads them when the tree is its `/`: an absolute target such as
//! kubelet's `/var/lib/kubelet/pki/kubelet-client-….pem` names a path *under the root* (a target
//! that already starts with the root's own path, as trees written with real paths have, is taken
//! relative to the root too). A relative target or a `..` that climbs above the root is refused
//! with `PathEscape`. Each directory on the way is opened with `O_NOFOLLOW | O_DIRECTORY` from its
//! parent's descriptor, and every operation at the end (open, create, rename, unlink, fsync)
//! works on the last directory's descriptor, so a component replaced by a symlink after it was
//! looked at is never followed.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, openat, readlinkat, statat};
use rustix::io::Errno;

use crate::error::{Error, ErrorKind, Result};

/// Linux gives up after 40 links (`ELOOP`); so do we.
const MAX_SYMLINK_HOPS: usize = 40;

/// An open root directory (see the module docs).
#[derive(Clone, Debug)]
pub struct RootDir {
    fd: Arc<OwnedFd>,
    /// The canonical path, for messages and records.
    path: PathBuf,
    /// The path as the caller gave it, also accepted as a prefix of absolute paths.
    given: PathBuf,
}

/// A place inside a root: the descriptor of its directory and the name in it. The name need
/// not exist (a file about to be created).
#[derive(Clone, Debug)]
pub struct InRoot {
    pub(super) dir: Arc<OwnedFd>,
    pub(super) name: OsString,
    /// Absolute path for messages (the root's canonical path joined with `relative`).
    pub(super) path: PathBuf,
    relative: PathBuf,
    /// The last symlink followed on the way, and its target as written, for messages about
    /// dangling links.
    via: Option<(PathBuf, PathBuf)>,
}

/// Whether the last component of a path is followed when it is a symlink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// Follow it: operate on the file the link points to (inside the root).
    Last,
    /// Do not: operate on the link itself (replacing or removing a symlink).
    NotLast,
}

impl RootDir {
    /// Opens `root`, which must be a directory.
    ///
    /// # Errors
    /// `Io` when it cannot be resolved or opened; `InvalidArgument` when it is not a directory.
    pub fn open(root: &Path) -> Result<RootDir> {
        let canon = std::fs::canonicalize(root)
            .map_err(|e| Error::io("resolving the root directory", root, e))?;
        let fd = rustix::fs::open(&canon, dir_flags(), Mode::empty()).map_err(|e| {
            if e == Errno::NOTDIR {
                Error::new(ErrorKind::InvalidArgument, "the root is not a directory")
                    .with_path(root)
            } else {
                Error::io("opening the root directory", root, e.into())
            }
        })?;
        Ok(RootDir {
            fd: Arc::new(fd),
            path: canon,
            given: root.to_path_buf(),
        })
    }

    /// A root over a directory opened by other means (a state or backup directory checked by
    /// `private_dir`), shown as `path` in messages.
    pub(crate) fn from_fd(fd: OwnedFd, path: PathBuf) -> RootDir {
        RootDir {
            fd: Arc::new(fd),
            given: path.clone(),
            path,
        }
    }

    /// The canonical path of the root.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn fd(&self) -> &Arc<OwnedFd> {
        &self.fd
    }

    /// `path` relative to the root: an absolute path must lie under the root (its canonical or
    /// given form); a relative one is taken as root-relative. The result holds only normal
    /// components and `..`.
    ///
    /// # Errors
    /// `PathEscape` for an absolute path outside the root.
    pub fn relative(&self, path: &Path) -> Result<PathBuf> {
        if !path.is_absolute() {
            return Ok(path.to_path_buf());
        }
        path.strip_prefix(&self.path)
            .or_else(|_| path.strip_prefix(&self.given))
            .map(Path::to_path_buf)
            .map_err(|_| {
                Error::new(
                    ErrorKind::PathEscape,
                    format!("is not under the root {}", self.path.display()),
                )
                .with_path(path)
            })
    }

    /// Where `path` really is inside the root (see the module docs). Missing directories on the
    /// way are an `Io` error of kind not-found; a missing last component is not an error.
    ///
    /// # Errors
    /// `PathEscape` when `path`, a `..` or a relative link leads above the root; `Io` for a
    /// missing or unreadable directory on the way, a file where a directory should be, or a
    /// symlink loop; `InvalidArgument` when the path is the root itself.
    pub fn resolve(&self, path: &Path, follow: Follow) -> Result<InRoot> {
        let relative = self.relative(path)?;
        let mut todo = steps(&relative);
        // The directories entered so far, below the root.
        let mut stack: Vec<(Arc<OwnedFd>, OsString)> = Vec::new();
        let mut hops = 0;
        let mut via = None;
        while let Some(step) = todo.pop_front() {
            let name = match step {
                Step::Up => {
                    if stack.pop().is_none() {
                        return Err(self.escape(path));
                    }
                    continue;
                }
                Step::Name(name) => name,
            };
            let last = todo.is_empty();
            let dir = stack.last().map_or(&self.fd, |(fd, _)| fd).clone();
            if last && follow == Follow::NotLast {
                return Ok(self.place(dir, &stack, name, via));
            }
            let here_path = self.display(&stack, &name);
            let here = || here_path.clone();
            let stat = match statat(&*dir, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => stat,
                Err(Errno::NOENT) if last => return Ok(self.place(dir, &stack, name, via)),
                Err(e) => return Err(missing_or_io(&here(), path, e, &via)),
            };
            match FileType::from_raw_mode(stat.st_mode) {
                FileType::Symlink => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(Error::new(
                            ErrorKind::Io,
                            format!(
                                "too many levels of symbolic links (more than {MAX_SYMLINK_HOPS})"
                            ),
                        )
                        .with_path(path));
                    }
                    let target = readlinkat(&*dir, name.as_os_str(), Vec::new())
                        .map_err(|e| Error::io("reading symlink", &here(), e.into()))?;
                    let target = PathBuf::from(OsStr::from_bytes(target.as_bytes()));
                    let mut next = if target.is_absolute() {
                        stack.clear();
                        steps(self.strip_root(&target))
                    } else {
                        steps(&target)
                    };
                    via = Some((here(), target));
                    next.extend(todo.drain(..));
                    todo = next;
                }
                FileType::Directory if !last => {
                    let fd = openat(&*dir, name.as_os_str(), path_flags(), Mode::empty())
                        .map_err(|e| Error::io("opening directory", &here(), e.into()))?;
                    stack.push((Arc::new(fd), name));
                }
                _ if !last => {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!("{} is not a directory", here().display()),
                    )
                    .with_path(path));
                }
                _ => return Ok(self.place(dir, &stack, name, via)),
            }
        }
        Err(Error::new(
            ErrorKind::InvalidArgument,
            "names the root directory itself, not a file under it",
        )
        .with_path(path))
    }

    /// The names in the directory at `path` (following links inside the root), sorted.
    ///
    /// # Errors
    /// As `resolve`, and `Io` when it is not a directory or cannot be listed.
    pub fn list(&self, path: &Path) -> Result<Vec<OsString>> {
        let dir = match self.relative(path)?.components().next() {
            None => self.fd.clone(),
            Some(_) => Arc::new(self.resolve(path, Follow::Last)?.open_dir()?),
        };
        let listing = openat(&*dir, ".", dir_flags(), Mode::empty())
            .and_then(rustix::fs::Dir::new)
            .map_err(|e| Error::io("listing directory", path, e.into()))?;
        let mut names = Vec::new();
        for item in listing {
            let item = item.map_err(|e| Error::io("listing directory", path, e.into()))?;
            let name = item.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.push(OsStr::from_bytes(name).to_os_string());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Flushes the directory at `relative` (the root itself when empty) to disk: new names,
    /// renames and removals in it become durable.
    ///
    /// # Errors
    /// As `resolve`; `Io` naming the directory.
    pub fn sync_dir(&self, relative: &Path) -> Result<()> {
        let dir = if relative.as_os_str().is_empty() {
            self.fd.clone()
        } else {
            Arc::new(self.resolve(relative, Follow::Last)?.open_dir()?)
        };
        let shown = self.path.join(relative);
        openat(&*dir, ".", dir_flags(), Mode::empty())
            .map_err(std::io::Error::from)
            .and_then(|fd| std::fs::File::from(fd).sync_all())
            .map_err(|e| Error::io("syncing directory", &shown, e))
    }

    /// Removes `relative` and everything under it, never following a symlink: a link inside is
    /// removed, never what it points to. Used for kcertlib's own directories only.
    ///
    /// # Errors
    /// As `resolve`; `Io` naming what could not be removed.
    pub fn remove_tree(&self, relative: &Path) -> Result<()> {
        let place = self.resolve(relative, Follow::NotLast)?;
        remove_entry(&place.dir, &place.name, &place.path, 0)
    }

    fn strip_root<'a>(&self, target: &'a Path) -> &'a Path {
        target
            .strip_prefix(&self.path)
            .or_else(|_| target.strip_prefix(&self.given))
            .unwrap_or(target)
    }

    fn place(
        &self,
        dir: Arc<OwnedFd>,
        stack: &[(Arc<OwnedFd>, OsString)],
        name: OsString,
        via: Option<(PathBuf, PathBuf)>,
    ) -> InRoot {
        let mut relative: PathBuf = stack.iter().map(|(_, n)| n).collect();
        relative.push(&name);
        InRoot {
            dir,
            path: self.path.join(&relative),
            relative,
            name,
            via,
        }
    }

    fn display(&self, stack: &[(Arc<OwnedFd>, OsString)], name: &OsStr) -> PathBuf {
        let mut p = self.path.clone();
        p.extend(stack.iter().map(|(_, n)| n));
        p.push(name);
        p
    }

    fn escape(&self, path: &Path) -> Error {
        Error::new(
            ErrorKind::PathEscape,
            format!(
                "resolves outside the root {} (through `..` or a symlink); refusing to use it",
                self.path.display()
            ),
        )
        .with_path(path)
    }
}

impl InRoot {
    /// The absolute path (under the root's canonical path), for messages and records.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path relative to the root, symlinks resolved.
    pub fn relative(&self) -> &Path {
        &self.relative
    }

    /// The last symlink followed to get here and its target, if any.
    pub fn via(&self) -> Option<(&Path, &Path)> {
        self.via.as_ref().map(|(l, t)| (l.as_path(), t.as_path()))
    }

    /// Another name in the same directory.
    pub fn sibling(&self, name: impl Into<OsString>) -> InRoot {
        let name = name.into();
        InRoot {
            dir: self.dir.clone(),
            path: self.path.with_file_name(&name),
            relative: self.relative.with_file_name(&name),
            name,
            via: None,
        }
    }

    /// Opens this directory (not following a symlink) for resolving or listing under it.
    ///
    /// # Errors
    /// `Io` when it is missing, not a directory or a symlink.
    pub fn open_dir(&self) -> Result<OwnedFd> {
        openat(
            &*self.dir,
            self.name.as_os_str(),
            path_flags(),
            Mode::empty(),
        )
        .map_err(|e| Error::io("opening directory", &self.path, e.into()))
    }
}

/// `O_PATH` descriptors for walking: enough for every `*at` call, no read permission needed.
fn path_flags() -> OFlags {
    OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

pub(super) fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

/// Deeper than any tree of backups kcertlib writes.
const MAX_REMOVE_DEPTH: usize = 64;

fn remove_entry(dir: &OwnedFd, name: &OsStr, shown: &Path, depth: usize) -> Result<()> {
    let stat = match statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => stat,
        Err(Errno::NOENT) => return Ok(()),
        Err(e) => return Err(Error::io("reading metadata of", shown, e.into())),
    };
    if FileType::from_raw_mode(stat.st_mode) == FileType::Directory {
        if depth > MAX_REMOVE_DEPTH {
            return Err(
                Error::new(ErrorKind::Io, "directory tree too deep to remove").with_path(shown),
            );
        }
        let sub = openat(dir, name, dir_flags(), Mode::empty())
            .map_err(|e| Error::io("opening directory", shown, e.into()))?;
        let listing = rustix::fs::Dir::read_from(&sub)
            .map_err(|e| Error::io("listing directory", shown, e.into()))?;
        for item in listing {
            let item = item.map_err(|e| Error::io("listing directory", shown, e.into()))?;
            let child = OsStr::from_bytes(item.file_name().to_bytes());
            if child != "." && child != ".." {
                remove_entry(&sub, child, &shown.join(child), depth + 1)?;
            }
        }
        rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)
    } else {
        rustix::fs::unlinkat(dir, name, AtFlags::empty())
    }
    .map_err(|e| Error::io("removing", shown, e.into()))
}

fn missing_or_io(here: &Path, path: &Path, e: Errno, via: &Option<(PathBuf, PathBuf)>) -> Error {
    let mut err = Error::io("looking up", here, e.into());
    if e == Errno::NOENT
        && let Some((link, target)) = via
    {
        err = Error::new(
            ErrorKind::Io,
            format!(
                "dangling symlink: {} points to {}, which does not exist under the root",
                link.display(),
                target.display()
            ),
        )
        .with_source(std::io::Error::from(e));
    }
    err.with_path(path)
}

enum Step {
    Up,
    Name(OsString),
}

fn steps(path: &Path) -> VecDeque<Step> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(Step::Name(n.to_os_string())),
            Component::ParentDir => Some(Step::Up),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => None,
        })
        .collect()
}
