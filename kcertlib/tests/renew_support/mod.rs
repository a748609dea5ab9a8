//! Helpers of the renewal tests: fixture trees, independent judges (the openssl CLI and the
//! Python `cryptography` judge), and the "only base64 values changed" comparison of kubeconfigs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use std::collections::BTreeMap;

use kcertlib::Certificate;
use kcertlib::fixture::{self, FixtureLayout, FixtureOptions, FixtureSummary};
use kcertlib::inventory::{self, EntryStatus, Inventory, ScanOptions};
use kcertlib::renew::{self, RenewOptions};

use crate::txn_support::*;

/// A generated tree of `layout` with expired leaves (shared leaf keys keep debug builds fast).
pub fn tree(layout: FixtureLayout) -> (tempfile::TempDir, PathBuf, FixtureSummary) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canon");
    let options = FixtureOptions::default()
        .with_reuse_leaf_keys(true)
        .with_etcd_hosts(2);
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

pub fn scan(root: &Path) -> Inventory {
    inventory::scan(root, &ScanOptions::default()).expect("scan")
}

/// Every file the inventory names (certificates, keys, kubeconfigs), by real path, with its text.
pub fn texts(root: &Path, inventory: &Inventory) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for entry in &inventory.entries {
        for location in std::iter::once(&entry.cert).chain(entry.key.as_ref()) {
            let Some(real) = real_in_root(root, location.path()) else {
                continue;
            };
            if let Ok(text) = std::fs::read_to_string(&real) {
                out.insert(real, text);
            }
        }
    }
    out
}

/// Renews the tree at `root` with the defaults and judges the result from outside (see the
/// module docs of `renew_layouts`); `layout` names the tree in messages.
pub fn renew_and_judge(root: &Path, layout: &str, expected_skips: &[&str]) {
    let root = root.to_path_buf();
    let before = scan(&root);
    let files_before = fingerprint(&root);
    let texts_before = texts(&root, &before);

    let report = renew::renew(&root, &RenewOptions::default()).expect("renew");
    assert!(report.changed && !report.dry_run);
    let manifest = report.manifest.clone().expect("manifest");
    assert!(manifest.exists());
    let mut skipped: Vec<&str> = report.skipped.iter().map(|s| s.name.as_str()).collect();
    skipped.sort();
    let mut expected: Vec<&str> = expected_skips.to_vec();
    expected.sort();
    assert_eq!(skipped, expected, "{layout}: skipped {:?}", report.skipped);
    for s in &report.skipped {
        assert!(!s.reason.is_empty());
    }

    let after = scan(&root);
    let now = kcertlib::Timestamp::now();
    for leaf in after.leaves() {
        if expected_skips.contains(&leaf.name.as_str()) {
            continue;
        }
        assert_eq!(
            leaf.status,
            EntryStatus::Ok,
            "{layout}: {} is {} after renewal: {:?}",
            leaf.name,
            leaf.status,
            leaf.problems
        );
        assert_eq!(leaf.key_matches, Some(true), "{}", leaf.name);
        assert_eq!(leaf.chain_verifies, Some(true), "{}", leaf.name);
        assert!(
            leaf.problems.is_empty(),
            "{}: {:?}",
            leaf.name,
            leaf.problems
        );
    }

    // Each renewed leaf: faithful and verified by independent judges.
    let renewed: BTreeMap<&str, &renew::Renewed> = report
        .renewed
        .iter()
        .map(|r| (r.name.as_str(), r))
        .collect();
    for leaf in before.leaves() {
        if expected_skips.contains(&leaf.name.as_str()) || leaf.status == EntryStatus::Missing {
            continue;
        }
        let r = renewed
            .get(leaf.name.as_str())
            .unwrap_or_else(|| panic!("{layout}: {} not in the report", leaf.name));
        let old = leaf.certificate.as_ref().expect("old cert");
        let new_entry = after.get(&leaf.name).expect("still there");
        let new = new_entry.certificate.as_ref().expect("new cert");
        assert_eq!(r.old_serial, old.serial_hex());
        assert_eq!(r.new_serial, new.serial_hex());
        assert_eq!(r.new_not_after, new.not_after());
        assert!(!r.key_rotated);
        assert!(new.not_before() <= now && now < new.not_after());
        assert_eq!(new.subject_der().ok(), old.subject_der().ok());
        assert_eq!(
            new.spki_der().ok(),
            old.spki_der().ok(),
            "{}: key kept",
            leaf.name
        );
        assert_eq!(new.alt_names(), old.alt_names());
        assert_eq!(new.key_usage(), old.key_usage());
        assert_eq!(new.extended_key_usage(), old.extended_key_usage());
        // kubelet's self-signed serving pair has no CA entry: its new throwaway CA follows it
        // in its file, and its issuer changed with it (renew_edges judges it further).
        let Some(ca_name) = leaf.ca_name.as_deref() else {
            let bundle = std::fs::read(real_in_root(&root, leaf.cert.path()).expect("in root"))
                .expect("read");
            let certs = Certificate::bundle_from_pem(&bundle).expect("pem");
            assert_eq!(certs.len(), 2, "{}: leaf then its CA", leaf.name);
            openssl_verify(&certs[1], new)
                .unwrap_or_else(|e| panic!("{}: openssl: {e}", leaf.name));
            continue;
        };
        let ca = after
            .get(ca_name)
            .and_then(|c| c.certificate.clone())
            .expect("ca cert");
        openssl_verify(&ca, new).unwrap_or_else(|e| panic!("{}: openssl: {e}", leaf.name));
        if let Some(result) = judge_compare(old, new, RESIGN_MAY_CHANGE) {
            result.unwrap_or_else(|e| panic!("{}: judge.py compare: {e}", leaf.name));
        }
    }

    // CAs untouched.
    for ca in before.cas() {
        let now_ca = after.get(&ca.name).expect("ca still there");
        assert_eq!(
            ca.certificate.as_ref().map(|c| c.as_der().to_vec()),
            now_ca.certificate.as_ref().map(|c| c.as_der().to_vec()),
            "{} untouched",
            ca.name
        );
    }

    // Files: keys and CAs byte-identical with their modes; kubeconfigs only in base64 values;
    // nothing changed that the report does not name.
    let files_after = fingerprint(&root);
    let reported: Vec<PathBuf> = report
        .renewed
        .iter()
        .flat_map(|r| r.paths.iter().cloned())
        .collect();
    for (rel, state) in &files_before {
        let after_state = files_after.get(rel).expect("no file removed");
        if after_state == state {
            continue;
        }
        let path = root.join(rel);
        assert!(
            reported.contains(&path),
            "{layout}: {} changed but is not in the report",
            rel.display()
        );
        assert!(!state.starts_with("dir"), "{}", rel.display());
        if state.starts_with("file") {
            let mode_of = |s: &str| s.split_whitespace().nth(1).map(str::to_string);
            assert_eq!(
                mode_of(state),
                mode_of(after_state),
                "{}: mode kept",
                rel.display()
            );
        }
    }
    for (path, old_text) in &texts_before {
        let new_text = std::fs::read_to_string(path).expect("still readable");
        if old_text.contains("-----BEGIN")
            && old_text.contains("PRIVATE KEY")
            && !old_text.contains("CERTIFICATE")
        {
            assert_eq!(
                &new_text,
                old_text,
                "{}: key file untouched",
                path.display()
            );
        }
        if old_text.contains("apiVersion") {
            only_base64_values_differ(old_text, &new_text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    for (rel, state) in &files_after {
        // The state directory's parents may be created (`var/lib` on an RKE1 tree).
        if !files_before.contains_key(rel) && !Path::new("var/lib/kcert").starts_with(rel) {
            // Only kubelet's new dated pem may appear, private.
            let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            assert!(
                name.starts_with("kubelet-client-2"),
                "unexpected new file {}",
                rel.display()
            );
            assert!(state.contains("mode=600"), "{}: {state}", rel.display());
        }
    }
    assert!(staged_leftovers(&root).is_empty());
    assert!(!report.restart.is_empty());
}
