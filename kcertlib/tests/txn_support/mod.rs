//! Helpers shared by the transaction and renewal tests (the transaction's unit tests include
//! this file too): small trees on disk, a fingerprint of a
//! whole tree (content, mode, owner, link targets) to prove "byte-identical", and a guard that
//! makes a path immutable with `chattr +i` (root ignores permission bits, so only that makes a
//! write fail for real).
#![allow(dead_code)]

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
            out.insert(rel, format!("file {who} sha256={}", sha256_hex(&bytes)));
        }
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where `path` (under `root`) really is, following symlinks the way the node sees them: an
/// absolute target is taken under the root. `None` when it leaves the root or is missing.
pub fn real_in_root(root: &Path, path: &Path) -> Option<PathBuf> {
    let mut rel = path.strip_prefix(root).ok()?.to_path_buf();
    for _ in 0..40 {
        let mut done = PathBuf::new();
        let mut followed = false;
        let parts: Vec<_> = rel.components().collect();
        for (i, part) in parts.iter().enumerate() {
            let here = done.join(part);
            match fs::read_link(root.join(&here)) {
                Ok(target) => {
                    let rest: PathBuf = parts[i + 1..].iter().collect();
                    let base = if target.is_absolute() {
                        target.strip_prefix("/").ok()?.to_path_buf()
                    } else {
                        done.join(&target)
                    };
                    rel = base.join(rest);
                    followed = true;
                    break;
                }
                Err(_) => done = here,
            }
        }
        if !followed {
            let real = root.join(&done);
            return real.exists().then_some(real);
        }
    }
    None
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

/// Holds the root's renewal lock (as a running `kcert renew` would) until dropped: the state
/// directory and lock file are made as kcert makes them, and the file is locked with `flock`.
pub fn hold_lock(root: &Path) -> fs::File {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let state = root.join("var/lib/kcert");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&state)
        .expect("state dir");
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(state.join("renew.lock"))
        .expect("lock file");
    file.lock().expect("flock");
    file
}

/// A journal or manifest read from disk, as JSON.
pub fn load_journal(path: &Path) -> serde_json::Value {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("journal parses")
}
