//! Reading a scanned tree the way the node itself would see it, through the root's resolver
//! (`fsx::RootDir`): symlinks followed inside the root, absolute targets taken relative to it,
//! anything leading outside refused, regular files only, and nothing larger than
//! `fsx::MAX_FILE_SIZE`. These are the answers the distribution models need: is a file there,
//! and what does it hold or why can it not be read.

use std::path::{Path, PathBuf};

use rustix::fs::FileType;

use crate::fsx::{self, Follow, RootDir};

/// Why a read failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadFailure {
    /// The file is absent (no symlink involved).
    Missing,
    /// Present but unreadable; the message names the file and the reason.
    Unreadable(String),
}

/// Reads the file at `path` inside `root`.
///
/// # Errors
/// A `ReadFailure` saying whether the file is simply absent or why it could not be read.
pub fn read(root: &RootDir, path: &Path) -> Result<Vec<u8>, ReadFailure> {
    match root.resolve(path, Follow::Last).and_then(|p| p.read()) {
        Ok(bytes) => Ok(bytes),
        Err(e) if fsx::is_not_found(&e) => Err(ReadFailure::Missing),
        Err(e) => Err(ReadFailure::Unreadable(format!(
            "{}: cannot be read: {}",
            path.display(),
            e.message()
        ))),
    }
}

/// Whether something (a file, a directory, even a dangling symlink) is at `path`.
pub fn exists(root: &RootDir, path: &Path) -> bool {
    kind(root, path, Follow::NotLast).is_some()
}

/// Whether `path` resolves to a directory inside the root.
pub fn is_dir(root: &RootDir, path: &Path) -> bool {
    kind(root, path, Follow::Last) == Some(FileType::Directory)
}

/// Whether `path` itself is a symlink.
pub fn is_symlink(root: &RootDir, path: &Path) -> bool {
    kind(root, path, Follow::NotLast) == Some(FileType::Symlink)
}

/// The real path behind `path` inside the root, when it resolves.
pub fn real_path(root: &RootDir, path: &Path) -> Option<PathBuf> {
    root.resolve(path, Follow::Last)
        .ok()
        .map(|p| p.path().to_path_buf())
}

/// Where a file reference found in a file under `root` points: absolute references are taken
/// relative to the root, relative ones to `base_dir`. A `..` is kept, so a reference that climbs
/// out of the root is refused when it is read.
pub fn reference(root: &Path, base_dir: &Path, reference: &Path) -> PathBuf {
    if reference.is_absolute() {
        root.join(reference.strip_prefix("/").unwrap_or(reference))
    } else {
        base_dir.join(reference)
    }
}

fn kind(root: &RootDir, path: &Path, follow: Follow) -> Option<FileType> {
    let stat = root.resolve(path, follow).ok()?.lstat().ok()??;
    Some(FileType::from_raw_mode(stat.st_mode))
}
