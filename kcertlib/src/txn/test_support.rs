//! Helpers of the transaction's unit tests (the integration suites have their own copy in
//! `tests/txn_support`): small trees on disk, a fingerprint of a
//! whole tree (content, mode, owner, link targets) to prove "byte-identical", and a guard that
//! makes a path immutable with `chattr +i` (root ignores permission bits, so only that makes a
//! write fail for real).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a tree holds, path by path (relative), with kcertlib's own state directory left out.
pub type TreeFingerprint = BTreeMap<PathBuf, String>;

pub fn fingerprint(root: &Path) -> TreeFingerprint {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out, true);
    out
}

/// Like `fingerprint`, but includes `var/lib/kcert` (for "dry run writes nothing at all").
pub fn fingerprint_all(root: &Path) -> TreeFingerprint {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out, false);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut TreeFingerprint, skip_state: bool) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let rel = path.strip_prefix(root).expect("under root").to_path_buf();
        if skip_state && rel.starts_with("var/lib/kcert") {
            continue;
        }
        let meta = fs::symlink_metadata(&path).expect("metadata");
        let who = format!(
            "mode={:o} uid={} gid={}",
            meta.mode() & 0o7777,
            meta.uid(),
            meta.gid()
        );
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).expect("read_link");
            out.insert(
                rel,
                format!("link -> {} (uid={})", target.display(), meta.uid()),
            );
        } else if meta.is_dir() {
            out.insert(rel, format!("dir {who}"));
            walk(root, &path, out, skip_state);
        } else {
            let bytes = fs::read(&path).expect("read");
            out.insert(
                rel,
                format!("file {who} sha256={}", crate::fsx::sha256_hex(&bytes)),
            );
        }
    }
}

/// Files whose name marks them as kcertlib staging leftovers.
pub fn staged_leftovers(root: &Path) -> Vec<PathBuf> {
    fingerprint_all(root)
        .keys()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".kcert-"))
        })
        .cloned()
        .collect()
}

pub fn write(path: &Path, bytes: &[u8], mode: u32) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, bytes).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

pub fn is_root_user() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Makes `path` immutable (`chattr +i`) until dropped. `None` when the filesystem or the
/// privileges do not allow it.
pub struct Immutable(PathBuf);

impl Immutable {
    pub fn set(path: &Path) -> Option<Immutable> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        ok.then(|| Immutable(path.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

/// Whether this process can create a file in `dir` right now.
pub fn can_write_in(dir: &Path) -> bool {
    let probe = dir.join(".probe");
    let ok = fs::write(&probe, b"x").is_ok();
    let _ = fs::remove_file(&probe);
    ok
}

/// A transaction under the root's lock, as a renewal runs one.
pub fn apply_locked(
    root: &Path,
    changes: &[super::FileChange],
    options: &super::TxnOptions,
    verify: impl FnMut(&super::StagedFile<'_>) -> crate::Result<()>,
) -> crate::Result<super::TxnOutcome> {
    let lock = super::RootLock::acquire(root)?;
    super::apply(&lock, changes, &[], options, verify)
}

/// A journal or manifest read from disk.
pub fn load_journal(path: &Path) -> super::Journal {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    super::Journal::from_json(&bytes).expect("journal parses")
}
