//! Paths resolved inside a root directory, as the node itself would see them.
//!
//! A scanned tree is often a copy of a node's `/` (or a container's rootfs), and its symlinks
//! carry the node's absolute targets: kubelet points `kubelet-client-current.pem` at
//! `/var/lib/kubelet/pki/kubelet-client-<date>.pem`. Following that literally would read the
//! host's file, or nothing. So symlinks are followed by hand, component by component, with an
//! absolute target taken relative to the root and `..` stopped at the root: nothing outside the
//! root is ever read.

use std::io;
use std::path::{Component, Path, PathBuf};

/// How many symlinks one resolution may follow (Linux's own limit is 40).
const MAX_LINKS: usize = 40;

/// The outcome of resolving a path inside a root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// The real file, inside the root.
    Found(PathBuf),
    /// Nothing is there and no symlink was involved.
    Missing,
    /// A symlink on the way points at something that does not exist.
    Dangling {
        /// The symlink.
        link: PathBuf,
        /// Its target as written.
        target: PathBuf,
    },
    /// Too many symlinks (a loop).
    Loop(PathBuf),
    /// A component could not be inspected (permissions, not a directory, ...).
    Unreadable(PathBuf, String),
}

/// Resolves `path` (absolute under `root`, or relative to it) inside `root`.
pub fn resolve(root: &Path, path: &Path) -> Resolved {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let mut current = root.to_path_buf();
    let mut last_link: Option<(PathBuf, PathBuf)> = None;
    let mut links = 0usize;
    // Components are processed from a stack (reversed) so symlink targets can be spliced in.
    let mut stack: Vec<PathBuf> = relative
        .components()
        .rev()
        .filter_map(component_name)
        .collect();
    while let Some(part) = stack.pop() {
        if part.as_os_str() == ".." {
            if current != root {
                current.pop();
            }
            continue;
        }
        let candidate = current.join(&part);
        match std::fs::symlink_metadata(&candidate) {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return Resolved::Loop(candidate);
                }
                let target = match std::fs::read_link(&candidate) {
                    Ok(t) => t,
                    Err(e) => return Resolved::Unreadable(candidate, e.to_string()),
                };
                if target.is_absolute() {
                    current = root.to_path_buf();
                }
                stack.extend(target.components().rev().filter_map(component_name));
                last_link = Some((candidate, target));
            }
            Ok(_) => current = candidate,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return match last_link {
                    Some((link, target)) => Resolved::Dangling { link, target },
                    None => Resolved::Missing,
                };
            }
            Err(e) => return Resolved::Unreadable(candidate, e.to_string()),
        }
    }
    Resolved::Found(current)
}

/// Where a file reference found in a file under `root` points: absolute references are taken
/// relative to the root, relative ones to `base_dir`.
pub fn reference(root: &Path, base_dir: &Path, reference: &Path) -> PathBuf {
    if reference.is_absolute() {
        let inside: PathBuf = reference.components().filter_map(component_name).collect();
        root.join(inside)
    } else {
        base_dir.join(reference)
    }
}

/// Reads the file at `path` inside `root`, following symlinks inside the root.
///
/// # Errors
/// A `ReadFailure` saying whether the file is simply absent or why it could not be read.
pub fn read(root: &Path, path: &Path) -> Result<Vec<u8>, ReadFailure> {
    match resolve(root, path) {
        Resolved::Found(real) => std::fs::read(&real).map_err(|e| {
            ReadFailure::Unreadable(format!("{}: cannot be read: {e}", path.display()))
        }),
        Resolved::Missing => Err(ReadFailure::Missing),
        Resolved::Dangling { link, target } => Err(ReadFailure::Unreadable(format!(
            "{}: dangling symlink: {} points to {}, which does not exist under the root",
            path.display(),
            link.display(),
            target.display()
        ))),
        Resolved::Loop(at) => Err(ReadFailure::Unreadable(format!(
            "{}: too many levels of symlinks at {}",
            path.display(),
            at.display()
        ))),
        Resolved::Unreadable(at, why) => Err(ReadFailure::Unreadable(format!(
            "{}: cannot be read: {} ({why})",
            path.display(),
            at.display()
        ))),
    }
}

/// Whether something (a file, a directory, even a dangling symlink) is at `path`, without
/// following anything.
pub fn exists(root: &Path, path: &Path) -> bool {
    !matches!(resolve(root, path), Resolved::Missing)
}

/// Whether `path` resolves to a file inside the root.
pub fn is_file(root: &Path, path: &Path) -> bool {
    matches!(resolve(root, path), Resolved::Found(p) if p.is_file())
}

/// Whether `path` resolves to a directory inside the root.
pub fn is_dir(root: &Path, path: &Path) -> bool {
    matches!(resolve(root, path), Resolved::Found(p) if p.is_dir())
}

/// Why a read failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadFailure {
    /// The file is absent (no symlink involved).
    Missing,
    /// Present but unreadable; the message names the file and the reason.
    Unreadable(String),
}

fn component_name(c: Component<'_>) -> Option<PathBuf> {
    match c {
        Component::Normal(name) => Some(PathBuf::from(name)),
        Component::ParentDir => Some(PathBuf::from("..")),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn absolute_links_resolve_inside_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let pki = root.join("var/lib/kubelet/pki");
        std::fs::create_dir_all(&pki).expect("mkdir");
        std::fs::write(pki.join("kubelet-client-2024.pem"), "x").expect("write");
        symlink(
            "/var/lib/kubelet/pki/kubelet-client-2024.pem",
            pki.join("kubelet-client-current.pem"),
        )
        .expect("symlink");
        assert_eq!(
            resolve(&root, &pki.join("kubelet-client-current.pem")),
            Resolved::Found(pki.join("kubelet-client-2024.pem"))
        );
        symlink("/etc/passwd", pki.join("escape.pem")).expect("symlink");
        assert!(matches!(
            resolve(&root, &pki.join("escape.pem")),
            Resolved::Dangling { .. }
        ));
        symlink("../../../../../../../../etc/hostname", pki.join("up.pem")).expect("symlink");
        assert!(matches!(
            resolve(&root, &pki.join("up.pem")),
            Resolved::Dangling { .. }
        ));
        symlink("loop.pem", pki.join("loop.pem")).expect("symlink");
        assert!(matches!(
            resolve(&root, &pki.join("loop.pem")),
            Resolved::Loop(_)
        ));
        assert_eq!(resolve(&root, &pki.join("absent.pem")), Resolved::Missing);
        assert_eq!(
            reference(&root, &pki, Path::new("/etc/kubernetes/ssl/a.pem")),
            root.join("etc/kubernetes/ssl/a.pem")
        );
    }
}
