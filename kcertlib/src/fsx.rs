//! Filesystem access under a root directory that kcertlib does not trust: every path resolved
//! inside the root through directory descriptors (`root`), files read from the descriptor that
//! was checked and written exclusively beside their destination (`file`), and kcertlib's own
//! state and backup directories kept private (`private_dir`). A file a caller names by path,
//! outside any root, is read by `named`.

mod file;
mod named;
mod private_dir;
mod root;

pub use file::{MAX_FILE_SIZE, Presence, is_not_found, link_sha256};
pub use named::read_named_file;
pub use private_dir::{
    check_owned, create_fresh_dir, create_owned_file, ensure_external_dir, ensure_private_dir,
    open_external_dir, open_owned_file, open_private_dir,
};
pub use root::{Follow, InRoot, RootDir};

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::parallel::{self, Spread, Threads};

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    crate::cert::hex(&Sha256::digest(data))
}

/// Runs `work` on every item from a few threads and returns the first error in item order.
///
/// Writing thousands of small files is dominated by fsync latency; concurrent fsyncs share the
/// filesystem journal's commits (on ext4, 300 files: 3.5 ms each one by one, 0.2 ms with eight
/// threads), so batches of staged files and backups go through here.
///
/// # Errors
/// The error of the first failing item (every item is attempted).
pub fn for_each_parallel<T: Sync>(
    items: &[T],
    work: impl Fn(&T) -> Result<()> + Sync,
) -> Result<()> {
    let spread = Spread {
        threads: Threads::from_count(8),
        min_per_thread: 1,
    };
    parallel::try_for_each(spread, items, work)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::fs;
    use std::path::Path;

    fn tree() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = fs::canonicalize(dir.path()).expect("canon").join("root");
        fs::create_dir_all(root.join("var/lib/kubelet/pki")).expect("mkdir");
        (dir, root)
    }

    #[test]
    fn absolute_links_stay_inside_the_root() {
        let (_dir, root) = tree();
        let link = root.join("var/lib/kubelet/pki/kubelet-client-current.pem");
        std::os::unix::fs::symlink("/var/lib/kubelet/pki/kubelet-client-1.pem", &link)
            .expect("link");
        let rd = RootDir::open(&root).expect("open");
        let real = rd.resolve(&link, Follow::Last).expect("resolves");
        assert_eq!(
            real.path(),
            root.join("var/lib/kubelet/pki/kubelet-client-1.pem")
        );
        assert_eq!(
            real.relative(),
            Path::new("var/lib/kubelet/pki/kubelet-client-1.pem")
        );
        let itself = rd.resolve(&link, Follow::NotLast).expect("resolves");
        assert_eq!(itself.path(), link);
    }

    #[test]
    fn relative_escape_is_refused() {
        let (dir, root) = tree();
        fs::write(dir.path().join("outside"), "host").expect("write");
        std::os::unix::fs::symlink("../../../../outside", root.join("var/lib/x")).expect("link");
        let rd = RootDir::open(&root).expect("open");
        let err = rd
            .resolve(&root.join("var/lib/x"), Follow::Last)
            .expect_err("escape");
        assert_eq!(err.kind(), ErrorKind::PathEscape);
        let err = rd
            .resolve(&root.join("var/../../y"), Follow::Last)
            .expect_err("escape");
        assert_eq!(err.kind(), ErrorKind::PathEscape);
        let err = rd
            .resolve(Path::new("/etc/passwd"), Follow::Last)
            .expect_err("outside");
        assert_eq!(err.kind(), ErrorKind::PathEscape);
    }

    #[test]
    fn link_loops_end() {
        let (_dir, root) = tree();
        std::os::unix::fs::symlink("b", root.join("a")).expect("link");
        std::os::unix::fs::symlink("a", root.join("b")).expect("link");
        let rd = RootDir::open(&root).expect("open");
        let err = rd.resolve(&root.join("a"), Follow::Last).expect_err("loop");
        assert!(err.to_string().contains("too many levels"), "{err}");
    }

    #[test]
    fn special_and_huge_files_are_refused_without_blocking() {
        let (_dir, root) = tree();
        let rd = RootDir::open(&root).expect("open");
        let fifo = root.join("fifo.crt");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(status.success());
        let err = rd
            .resolve(&fifo, Follow::Last)
            .and_then(|p| p.read())
            .expect_err("fifo");
        assert!(err.to_string().contains("FIFO"), "{err}");
        let big = root.join("big.crt");
        fs::File::create(&big)
            .and_then(|f| f.set_len(MAX_FILE_SIZE + 1))
            .expect("sparse");
        let err = rd
            .resolve(&big, Follow::Last)
            .and_then(|p| p.read())
            .expect_err("big");
        assert!(err.to_string().contains("larger than"), "{err}");
        let missing = rd
            .resolve(&root.join("nope.crt"), Follow::Last)
            .expect("resolves");
        assert!(is_not_found(&missing.read().expect_err("missing")));
    }

    #[test]
    fn a_dangling_link_is_not_reported_as_missing() {
        let (_dir, root) = tree();
        let link = root.join("var/lib/kubelet/pki/kubelet-client-current.pem");
        std::os::unix::fs::symlink("/var/lib/kubelet/pki/gone.pem", &link).expect("link");
        let rd = RootDir::open(&root).expect("open");
        let err = rd
            .resolve(&link, Follow::Last)
            .and_then(|p| p.read())
            .expect_err("dangling");
        assert!(!is_not_found(&err));
        assert!(err.to_string().contains("dangling symlink"), "{err}");
    }
}
