//! Certificates in a PKI directory that no model claims: extra certs people drop next to the
//! managed ones, files newer releases add, CA bundles. They are inventoried all the same (an
//! expired one breaks whoever uses it), named by their root-relative path, with the CA found by
//! matching AKI/issuer against the CA entries at check time.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{CaRule, Context, EntrySpec, kubelet, rooted};
use crate::cert::Certificate;
use crate::model::{Distribution, EntryKind, Location};

/// Specs for the unclaimed `.crt` / `.pem` certificate files in `dirs` (not recursive). Files
/// that hold no certificate (keys, CSRs) are skipped; unreadable ones become error entries.
/// Copies of listed certificates are kept (the check marks them `copy_of`).
pub fn specs(
    context: &Context,
    dirs: &[(PathBuf, Distribution)],
    claimed: &HashSet<PathBuf>,
) -> Vec<EntrySpec> {
    let mut seen = HashSet::new();
    let mut specs = Vec::new();
    for (dir, distribution) in dirs {
        for file in context.list(dir) {
            if !is_candidate(&file) {
                continue;
            }
            let path = dir.join(&file);
            let identity = context.identity(&path);
            if claimed.contains(&identity) || !seen.insert(identity) {
                continue;
            }
            if context.is_dir(&path) {
                continue;
            }
            if let Some(spec) = spec_for(context, &path, *distribution) {
                specs.push(spec);
            }
        }
    }
    specs
}

fn spec_for(context: &Context, path: &Path, distribution: Distribution) -> Option<EntrySpec> {
    let name = path
        .strip_prefix(&context.root)
        .unwrap_or(path)
        .display()
        .to_string();
    let broken = |why: String| {
        let mut spec = EntrySpec::new(
            &name,
            distribution,
            EntryKind::Leaf,
            Location::File(path.into()),
        );
        spec.problems.push(why);
        spec.broken = true;
        spec
    };
    let bytes = match context.read(path) {
        Ok(b) => b,
        Err(rooted::ReadFailure::Missing) => return None,
        Err(rooted::ReadFailure::Unreadable(why)) => return Some(broken(why)),
    };
    if !crate::pem::looks_like_pem(&bytes) && path.extension().is_some_and(|e| e == "pem") {
        return None;
    }
    let certs = match Certificate::load_all(&bytes) {
        Ok(certs) => certs,
        // A PEM file of keys only is not ours to report.
        Err(_) if !has_certificate_block(&bytes) => return None,
        Err(e) => return Some(broken(format!("{}: {}", path.display(), e.message()))),
    };
    let first = certs.first()?;
    let kind = if first.is_ca() {
        EntryKind::Ca
    } else {
        EntryKind::Leaf
    };
    let mut spec = EntrySpec::new(&name, distribution, kind, Location::File(path.into()));
    spec.ca = if kind == EntryKind::Ca && first.is_self_issued() {
        CaRule::SelfSigned
    } else {
        CaRule::Match
    };
    spec.key = key_beside(context, path).map(Location::File);
    Some(spec)
}

/// `x.crt` → `x.key`; `x.pem` → `x-key.pem`, when such a file exists.
fn key_beside(context: &Context, path: &Path) -> Option<PathBuf> {
    let stem = path.file_stem()?.to_str()?;
    let dir = path.parent()?;
    [format!("{stem}.key"), format!("{stem}-key.pem")]
        .into_iter()
        .map(|f| dir.join(f))
        .find(|p| context.exists(p))
}

fn is_candidate(file: &str) -> bool {
    let cert_like = file.ends_with(".crt") || file.ends_with(".pem");
    let not_cert = file.ends_with("-key.pem")
        || file.ends_with("-csr.pem")
        || kubelet::is_rotation_history(file)
        // kubelet's swap-in-progress symlink; the current one is listed.
        || file == "kubelet-client-updated.pem"
        || file == "kubelet-server-updated.pem";
    cert_like && !not_cert
}

fn has_certificate_block(bytes: &[u8]) -> bool {
    bytes
        .windows(b"-----BEGIN CERTIFICATE".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE")
        || !crate::pem::looks_like_pem(bytes)
}
