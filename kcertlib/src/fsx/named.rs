//! Reading a file the caller named by path, outside any root (`load::from_path`, a kubeconfig's
//! `client-certificate` reference).
//!
//! Symlinks are followed: the caller asked for this path, and kubelet's
//! `kubelet-client-current.pem` is one. What is read is still checked as a tree's files are: a
//! regular file (a FIFO would block forever, `/dev/zero` never ends, a device may act on open),
//! opened non-blocking and checked again from the descriptor, at most `MAX_FILE_SIZE` bytes.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use rustix::fs::{Mode, OFlags};
use zeroize::Zeroizing;

use super::file::{MAX_FILE_SIZE, require_regular, too_big};
use crate::error::{Error, Result};

/// The bytes of the regular file at `path` (symlinks followed), wiped when dropped: a kubelet
/// pem or a kubeconfig holds a private key.
///
/// # Errors
/// `Io` naming `path`: missing, not a regular file, larger than `MAX_FILE_SIZE`, unreadable.
pub fn read_named_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let stat = rustix::fs::stat(path).map_err(|e| Error::io("reading", path, e.into()))?;
    require_regular(&stat, path)?;
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty())
        .map_err(|e| Error::io("opening", path, e.into()))?;
    // Again from the descriptor: the path may have been swapped since the look above.
    let stat = rustix::fs::fstat(&fd).map_err(|e| Error::io("reading", path, e.into()))?;
    require_regular(&stat, path)?;
    let size = u64::try_from(stat.st_size).unwrap_or(0);
    if size > MAX_FILE_SIZE {
        return Err(too_big(path, size));
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(size).unwrap_or(0)));
    File::from(fd)
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("reading", path, e))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_big(path, bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_and_links_refuses_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.pem");
        std::fs::write(&file, b"abc").expect("write");
        let link = dir.path().join("current.pem");
        std::os::unix::fs::symlink("a.pem", &link).expect("symlink");
        assert_eq!(&read_named_file(&file).expect("file")[..], b"abc");
        assert_eq!(&read_named_file(&link).expect("link")[..], b"abc");
        let err = read_named_file(dir.path()).expect_err("directory");
        assert!(err.to_string().contains("is a directory"), "{err}");
        let err = read_named_file(Path::new("/dev/zero")).expect_err("device");
        assert!(err.to_string().contains("character device"), "{err}");
        let err = read_named_file(&dir.path().join("missing")).expect_err("missing");
        assert!(err.to_string().contains("missing: reading failed"), "{err}");
    }
}
