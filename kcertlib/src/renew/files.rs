//! Reading what a renewal starts from, inside the root: bytes, keys wherever they live
//! (PEM file, kubeconfig data, kubelet's combined pem), kubeconfigs.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::fsx;
use crate::inventory::Location;
use crate::key::PrivateKey;
use crate::kubeconfig::Kubeconfig;

/// The real path of `path` inside `root` (symlinks followed the way the node sees them).
///
/// # Errors
/// As `fsx::resolve_in_root`.
pub(super) fn real_path(root: &Path, path: &Path) -> Result<PathBuf> {
    fsx::resolve_in_root(root, path, true)
}

/// The bytes of the file at `path` inside `root`.
///
/// # Errors
/// `Io` naming the file; `PathEscape` for a link out of the root.
pub(super) fn read(root: &Path, path: &Path) -> Result<Vec<u8>> {
    let real = real_path(root, path)?;
    std::fs::read(&real).map_err(|e| Error::io("reading", path, e))
}

/// The text of the file at `path` inside `root`.
///
/// # Errors
/// As `read`; `InvalidArgument` when the file is not UTF-8 (certificates, keys and kubeconfigs
/// are text).
pub(super) fn read_text(root: &Path, path: &Path) -> Result<String> {
    String::from_utf8(read(root, path)?).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            "is not UTF-8 text; kcertlib edits PEM and kubeconfig text only",
        )
        .with_path(path)
    })
}

/// The kubeconfig at `path` inside `root`.
///
/// # Errors
/// As `read_text`; `Kubeconfig` when it does not parse.
pub(super) fn kubeconfig(root: &Path, path: &Path) -> Result<Kubeconfig> {
    Kubeconfig::parse(&read_text(root, path)?, path)
}

/// The private key at `location`.
///
/// # Errors
/// `Io`/`Kubeconfig` when its file cannot be read, the key errors of `PrivateKey::load`, and
/// `InvalidKey` when a kubeconfig user has no `client-key-data`.
pub(super) fn load_key(root: &Path, location: &Location) -> Result<PrivateKey> {
    match location {
        Location::File(path) | Location::Combined(path) => {
            let bytes = zeroize::Zeroizing::new(read(root, path)?);
            PrivateKey::load(&bytes).at_path(path)
        }
        Location::KubeconfigEmbedded {
            kubeconfig: path,
            user,
        } => {
            let parsed = kubeconfig(root, path)?;
            let data = parsed
                .user(user)
                .and_then(|u| u.client_key_data.clone())
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidKey,
                        format!("user {user:?} has no client-key-data"),
                    )
                    .with_path(path)
                })?;
            let data = zeroize::Zeroizing::new(data);
            PrivateKey::load(&data).at_path(path)
        }
    }
}
