//! "Every certificate in this file, whatever it is", with where each came from: a PEM bundle
//! or DER file, kubelet's combined pem (certificates then the key), or a kubeconfig (its users'
//! `client-certificate-data` and `client-certificate` files, its clusters'
//! `certificate-authority-data` and `certificate-authority` files), labelled with the user or
//! cluster name.
//!
//! Built on the core's readers (`Certificate::load_all`, `Kubeconfig`): the CLI parses no
//! format itself. When the core's own "load anything" function lands (issue 11, branch
//! `rules`), this file shrinks to a call to it.

use std::path::{Path, PathBuf};

use kcertlib::{Certificate, Kubeconfig};

/// One certificate found, with where it came from.
pub struct Found {
    /// A person's name for it: `pki/ca.crt`, `bundle.pem #2`, `admin.conf user
    /// kubernetes-admin`, `admin.conf cluster kubernetes -> /etc/kubernetes/pki/ca.crt`.
    pub label: String,
    /// The same, for programs (`{"type": "kubeconfig-user", "kubeconfig": ..., "user": ...}`).
    pub origin: serde_json::Value,
    pub cert: Certificate,
}

/// What one file holds, and the problems with what it points at (a kubeconfig's referenced
/// certificate file that cannot be read does not hide its embedded certificates).
pub type Loaded = (Vec<Found>, Vec<kcertlib::Error>);

/// Every certificate in the file at `path` (read into `bytes`).
///
/// # Errors
/// The core's error, naming the file, when it holds no certificate in any form.
/// `root`: where a kubeconfig's absolute file references are read (a mounted node disk);
/// `None` reads them where they point.
pub fn load(path: &Path, bytes: &[u8], root: Option<&Path>) -> Result<Loaded, kcertlib::Error> {
    let shown = path.display().to_string();
    let as_certificates = Certificate::load_all(bytes);
    if let Ok(certs) = as_certificates {
        let count = certs.len();
        let found = certs
            .into_iter()
            .enumerate()
            .map(|(i, cert)| Found {
                label: numbered(&shown, i, count),
                origin: serde_json::json!({ "type": "file", "path": shown, "index": i + 1 }),
                cert,
            })
            .collect();
        return Ok((found, Vec::new()));
    }
    let kubeconfig = std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| Kubeconfig::parse(text, path).ok())
        .filter(|k| !k.users().is_empty() || !k.clusters().is_empty());
    match kubeconfig {
        Some(kubeconfig) => from_kubeconfig(path, &kubeconfig, root),
        // Neither: the certificate reader's error says what was wrong with it as PEM or DER.
        None => as_certificates
            .map(|_| (Vec::new(), Vec::new()))
            .map_err(|e| e.with_path(path)),
    }
}

fn numbered(label: &str, index: usize, count: usize) -> String {
    if count == 1 {
        label.to_string()
    } else {
        format!("{label} #{}", index + 1)
    }
}

fn from_kubeconfig(
    path: &Path,
    kubeconfig: &Kubeconfig,
    root: Option<&Path>,
) -> Result<Loaded, kcertlib::Error> {
    let shown = path.display().to_string();
    let dir = path.parent().unwrap_or(Path::new("."));
    let resolve = |file: &Path| match root {
        Some(root) => under_root(root, file),
        None => file.to_path_buf(),
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for user in kubeconfig.users() {
        let what = format!("{shown} user {}", user.name);
        let origin = |file: Option<&PathBuf>| {
            serde_json::json!({
                "type": "kubeconfig-user", "kubeconfig": shown, "user": user.name, "file": file,
            })
        };
        if let Some(data) = &user.client_certificate_data {
            push_all(&mut out, &what, origin(None), Certificate::load_all(data))
                .map_err(|e| e.with_path(path))?;
        }
        if let Some(file) = &user.client_certificate {
            // Labelled as the kubeconfig says, read where it lies.
            let file = dir.join(file);
            let label = format!("{what} -> {}", file.display());
            let certs = Certificate::load_file(resolve(&file));
            push_all(&mut out, &label, origin(Some(&file)), certs)
                .unwrap_or_else(|e| problems.push(referenced(path, &user.name, e)));
        }
    }
    for cluster in kubeconfig.clusters() {
        let what = format!("{shown} cluster {}", cluster.name);
        let origin = |file: Option<&PathBuf>| {
            serde_json::json!({
                "type": "kubeconfig-cluster", "kubeconfig": shown, "cluster": cluster.name,
                "file": file,
            })
        };
        if let Some(data) = &cluster.certificate_authority_data {
            push_all(&mut out, &what, origin(None), Certificate::load_all(data))
                .map_err(|e| e.with_path(path))?;
        }
        if let Some(file) = &cluster.certificate_authority {
            // Labelled as the kubeconfig says, read where it lies.
            let file = dir.join(file);
            let label = format!("{what} -> {}", file.display());
            let certs = Certificate::load_file(resolve(&file));
            push_all(&mut out, &label, origin(Some(&file)), certs)
                .unwrap_or_else(|e| problems.push(referenced(path, &cluster.name, e)));
        }
    }
    Ok((out, problems))
}

/// `path` as the node sees it, on the disk mounted at `root`: an absolute path is taken inside
/// `root`, and so is an absolute symlink target (kubelet's `kubelet-client-current.pem` points
/// at `/var/lib/kubelet/pki/kubelet-client-<date>.pem`). Only the last component's links are
/// followed, at most 40 deep as the kernel does; the file is only read, never written.
fn under_root(root: &Path, path: &Path) -> PathBuf {
    let rebase = |p: &Path| match p.strip_prefix("/") {
        Ok(inside) if !p.starts_with(root) => root.join(inside),
        _ => p.to_path_buf(),
    };
    let mut current = rebase(path);
    for _ in 0..40 {
        let Ok(target) = std::fs::read_link(&current) else {
            break;
        };
        let base = current.parent().unwrap_or(root).to_path_buf();
        current = if target.is_absolute() {
            rebase(&target)
        } else {
            base.join(target)
        };
    }
    current
}

/// A referenced file's error, saying which kubeconfig entry points at it.
fn referenced(kubeconfig: &Path, entry: &str, e: kcertlib::Error) -> kcertlib::Error {
    let message = format!(
        "referenced by {} ({entry}): {}",
        kubeconfig.display(),
        e.message()
    );
    let mut error = kcertlib::Error::new(e.kind(), message);
    if let Some(file) = e.path() {
        error = error.with_path(file);
    }
    error
}

fn push_all(
    out: &mut Vec<Found>,
    label: &str,
    origin: serde_json::Value,
    certs: kcertlib::Result<Vec<Certificate>>,
) -> Result<(), kcertlib::Error> {
    let certs = certs?;
    let count = certs.len();
    for (i, cert) in certs.into_iter().enumerate() {
        out.push(Found {
            label: numbered(label, i, count),
            origin: origin.clone(),
            cert,
        });
    }
    Ok(())
}
