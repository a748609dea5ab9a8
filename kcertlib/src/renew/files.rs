//! Reading what a renewal starts from, inside the root: bytes, keys wherever they live
//! (PEM file, kubeconfig data, kubelet's combined pem), kubeconfigs. Every read goes through
//! the root's resolver and reads regular files only (see `fsx`).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::fsx::{Follow, RootDir};
use crate::inventory::Location;
use crate::key::PrivateKey;
use crate::kubeconfig::Kubeconfig;

/// The real path of `path` inside `root` (symlinks followed the way the node sees them).
///
/// # Errors
/// As `RootDir::resolve`.
pub(super) fn real_path(root: &RootDir, path: &Path) -> Result<PathBuf> {
    Ok(root.resolve(path, Follow::Last)?.path().to_path_buf())
}

/// The bytes of the file at `path` inside `root`.
///
/// # Errors
/// `Io` naming the file; `PathEscape` for a link out of the root.
pub(super) fn read(root: &RootDir, path: &Path) -> Result<Vec<u8>> {
    root.resolve(path, Follow::Last)?.read().at_path(path)
}

/// The text of the file at `path` inside `root`.
///
/// # Errors
/// As `read`; `InvalidArgument` when the file is not UTF-8 (certificates, keys and kubeconfigs
/// are text).
pub(super) fn read_text(root: &RootDir, path: &Path) -> Result<String> {
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
pub(super) fn kubeconfig(root: &RootDir, path: &Path) -> Result<Kubeconfig> {
    let text = Zeroizing::new(read_text(root, path)?);
    Kubeconfig::parse(&text, path)
}

/// The private key at `location`.
///
/// # Errors
/// `Io`/`Kubeconfig` when its file cannot be read, the key errors of `PrivateKey::load`, and
/// `InvalidKey` when a kubeconfig user has no `client-key-data`.
pub(crate) fn load_key(root: &RootDir, location: &Location) -> Result<PrivateKey> {
    match location {
        Location::File(path) | Location::Combined(path) => {
            let bytes = Zeroizing::new(read(root, path)?);
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
            let data = Zeroizing::new(data);
            PrivateKey::load(&data).at_path(path)
        }
        Location::SecretJson(path) => {
            let text = Zeroizing::new(read_text(root, path)?);
            let pem = crate::tls_secret::key_pem(&text)
                .map_err(|why| Error::new(ErrorKind::InvalidKey, why).with_path(path))?
                .ok_or_else(|| {
                    Error::new(ErrorKind::InvalidKey, "the Secret has no data.tls.key")
                        .with_path(path)
                })?;
            PrivateKey::load(&pem).at_path(path)
        }
        Location::RkeState { state, certificate } => {
            let text = Zeroizing::new(read_text(root, state)?);
            let pem = crate::rke_state::STATES
                .iter()
                .find_map(|s| {
                    crate::rke_state::key_pem(&text, s, certificate)
                        .ok()
                        .flatten()
                })
                .map(Zeroizing::new)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidKey,
                        format!("bundle entry {certificate:?} has no keyPEM"),
                    )
                    .with_path(state)
                })?;
            PrivateKey::load(pem.as_bytes()).at_path(state)
        }
    }
}
