//! The files behind `kcert inspect PATH...`: a file as given, a directory recursively, in
//! sorted order so the output is stable. Symlinks to files are read (kubelet's
//! `kubelet-client-current.pem`); symlinks to directories are not followed, so a loop cannot
//! make the walk endless.

use std::path::{Path, PathBuf};

/// One file to read, and whether the user named it (then "no certificate in it" is an error)
/// or the walk found it (then it is skipped quietly: keys, configs and the like).
#[derive(Debug)]
pub struct Input {
    pub path: PathBuf,
    pub named: bool,
}

/// The inputs of `paths`, plus the errors met on the way (a path that does not exist, a
/// directory that cannot be listed), each naming its path.
pub fn inputs(paths: &[PathBuf]) -> (Vec<Input>, Vec<String>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut files, &mut errors),
            Ok(_) => files.push(Input {
                path: path.clone(),
                named: true,
            }),
            Err(e) => errors.push(format!("{}: {e}", path.display())),
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<Input>, errors: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(format!(
                "{}: listing the directory failed: {e}",
                dir.display()
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Ok(link) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if link.is_dir() {
            walk(&path, files, errors);
        } else if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            files.push(Input { path, named: false });
        }
    }
}

/// The largest file the walk looks into (the core reads no larger certificate file either).
const MAX_LOOK: u64 = 16 << 20;

/// Whether a file found by the walk may hold a certificate: a PEM certificate block, a
/// kubeconfig's certificate fields, or DER under a certificate's usual extension. Anything
/// else (keys, manifests, logs, anything over 16 MiB) is not read further.
pub fn may_hold_certificates(path: &Path) -> std::io::Result<bool> {
    if std::fs::metadata(path)?.len() > MAX_LOOK {
        return Ok(false);
    }
    let bytes = std::fs::read(path)?;
    Ok(looks_certificate_like(path, &bytes))
}

fn looks_certificate_like(path: &Path, bytes: &[u8]) -> bool {
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if contains(b"-----BEGIN CERTIFICATE-----") || contains(b"-----BEGIN X509 CERTIFICATE-----") {
        return true;
    }
    if contains(b"client-certificate") || contains(b"certificate-authority") {
        return true;
    }
    let der_name = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "crt" | "cer" | "der" | "cert"));
    der_name && bytes.first() == Some(&0x30)
}
