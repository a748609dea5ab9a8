//! Helpers of the renewal tests: fixture trees, independent judges (the openssl CLI and the
//! Python `cryptography` judge), and the "only base64 values changed" comparison of kubeconfigs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use kcertlib::Certificate;
use kcertlib::fixture::{self, FixtureLayout, FixtureOptions, FixtureSummary};

/// A generated tree of `layout` with expired leaves (shared leaf keys keep debug builds fast).
pub fn tree(layout: FixtureLayout) -> (tempfile::TempDir, PathBuf, FixtureSummary) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canon");
    let options = FixtureOptions {
        reuse_leaf_keys: true,
        etcd_hosts: 2,
        ..FixtureOptions::default()
    };
    let summary = fixture::build(&root, layout, &options).expect("fixture");
    (dir, root, summary)
}

/// `openssl verify` of `leaf` against `ca` (written to temp files), at the current time.
pub fn openssl_verify(ca: &Certificate, leaf: &Certificate) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ca_path = dir.path().join("ca.pem");
    let leaf_path = dir.path().join("leaf.pem");
    std::fs::write(&ca_path, ca.to_pem()).map_err(|e| e.to_string())?;
    std::fs::write(&leaf_path, leaf.to_pem()).map_err(|e| e.to_string())?;
    let out = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(&ca_path)
        .arg(&leaf_path)
        .output()
        .map_err(|e| format!("openssl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The test venv's Python, when `testing/install-deps.sh` has made it.
pub fn judge_python() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    python.exists().then_some(python)
}

/// Fields a faithful re-sign may change; anything else differing is a failure.
pub const RESIGN_MAY_CHANGE: &str = "fingerprint_sha256,serial,serial_hex,not_before,not_after,not_before_encoding,not_after_encoding,signature_hex";

/// `judge.py compare OLD NEW --allow FIELDS`: `Ok` when only those fields differ. `None` when
/// the judge is not installed.
pub fn judge_compare(
    old: &Certificate,
    new: &Certificate,
    allow: &str,
) -> Option<Result<(), String>> {
    let python = judge_python()?;
    let dir = tempfile::tempdir().ok()?;
    let old_path = dir.path().join("old.pem");
    let new_path = dir.path().join("new.pem");
    std::fs::write(&old_path, old.to_pem()).ok()?;
    std::fs::write(&new_path, new.to_pem()).ok()?;
    let judge = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testing/judge.py");
    let out = Command::new(python)
        .arg(judge)
        .arg("compare")
        .arg(&old_path)
        .arg(&new_path)
        .arg(format!("--allow={allow}"))
        .output()
        .ok()?;
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}

/// `Ok` when `new` equals `old` except for base64 values (whole runs of base64 characters that
/// differ), line by line: comments, keys, order, quoting and line count unchanged.
pub fn only_base64_values_differ(old: &str, new: &str) -> Result<usize, String> {
    let old_lines: Vec<&str> = old.split('\n').collect();
    let new_lines: Vec<&str> = new.split('\n').collect();
    if old_lines.len() != new_lines.len() {
        return Err(format!(
            "line count changed: {} -> {}",
            old_lines.len(),
            new_lines.len()
        ));
    }
    let mut changed = 0;
    for (a, b) in old_lines.iter().zip(&new_lines) {
        if a == b {
            continue;
        }
        let prefix = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        let suffix = a[prefix..]
            .bytes()
            .rev()
            .zip(b[prefix..].bytes().rev())
            .take_while(|(x, y)| x == y)
            .count();
        let mid_a = &a[prefix..a.len() - suffix];
        let mid_b = &b[prefix..b.len() - suffix];
        let base64 = |s: &str| {
            s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=')
        };
        // The differing middle must sit inside a `key: value` whose value is base64.
        let key = a[..prefix].trim_start();
        let is_data_key = key.starts_with("client-certificate-data:")
            || key.starts_with("client-key-data:")
            || key.starts_with("certificate-authority-data:");
        if !base64(mid_a) || !base64(mid_b) || !is_data_key {
            return Err(format!("line changed beyond a base64 value:\n- {a}\n+ {b}"));
        }
        changed += 1;
    }
    Ok(changed)
}

/// The first certificate of a PEM file.
pub fn first_cert(path: &Path) -> Certificate {
    let bytes = std::fs::read(path).expect("read cert file");
    Certificate::from_pem(&bytes).expect("certificate")
}

/// Mode bits of a file (following symlinks).
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).expect("metadata").mode() & 0o7777
}
