//! Renewal of every generated layout, judged from outside: every leaf valid afterwards, each
//! renewed certificate faithful (judge.py compare: only serial, dates and signature differ) and
//! verified by `openssl verify` against its CA, CAs and keys untouched, kubeconfigs changed only
//! inside base64 values, every other file byte-identical.

mod renew_support;
mod txn_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kcertlib::fixture::FixtureLayout;
use kcertlib::inventory::{self, EntryStatus, Inventory, Location, ScanOptions};
use kcertlib::renew::{self, RenewOptions};
use renew_support::*;
use txn_support::*;

fn scan(root: &Path) -> Inventory {
    inventory::scan(root, &ScanOptions::default()).expect("scan")
}

/// Every file the inventory names (certificates, keys, kubeconfigs), by real path, with its text.
fn texts(root: &Path, inventory: &Inventory) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for entry in &inventory.entries {
        for location in std::iter::once(&entry.cert).chain(entry.key.as_ref()) {
            let Ok(real) = kcertlib::fsx::resolve_in_root(root, location.path(), true) else {
                continue;
            };
            if let Ok(text) = std::fs::read_to_string(&real) {
                out.insert(real, text);
            }
        }
    }
    out
}

fn renew_layout(layout: FixtureLayout, expected_skips: &[&str]) {
    let (_dir, root, _summary) = tree(layout);
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
        let ca = after
            .get(leaf.ca_name.as_deref().expect("ca name"))
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

#[test]
fn kubeadm_renews_every_leaf() {
    renew_layout(FixtureLayout::Kubeadm, &["kubelet-serving"]);
}

#[test]
fn kubespray_renews_every_leaf() {
    renew_layout(FixtureLayout::Kubespray, &["kubelet-serving"]);
}

#[test]
fn rke1_renews_every_leaf() {
    renew_layout(FixtureLayout::Rke1, &[]);
}

#[test]
fn k3s_renews_every_leaf_and_its_copies() {
    renew_layout(FixtureLayout::K3s, &[]);
}

#[test]
fn rke2_renews_every_leaf_and_its_copies() {
    renew_layout(FixtureLayout::Rke2, &[]);
}

#[test]
fn kubelet_pem_gets_a_new_dated_file_and_a_swapped_link() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let link = root.join("var/lib/kubelet/pki/kubelet-client-current.pem");
    let old_target = std::fs::read_link(&link).expect("link");
    assert!(old_target.is_absolute());
    let old_real = root.join(old_target.strip_prefix("/").expect("absolute"));
    let old_bytes = std::fs::read(&old_real).expect("old pem");
    let kubelet_conf = std::fs::read(root.join("etc/kubernetes/kubelet.conf")).ok();

    let report = renew::renew(&root, &RenewOptions::default()).expect("renew");
    let new_target = std::fs::read_link(&link).expect("still a link");
    assert_ne!(new_target, old_target);
    assert!(new_target.is_absolute(), "kubelet's absolute style kept");
    assert_eq!(new_target.parent(), old_target.parent());
    let name = new_target
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name");
    assert!(
        name.starts_with("kubelet-client-")
            && name.ends_with(".pem")
            && name.len() == "kubelet-client-2026-01-01-00-00-00.pem".len(),
        "{name}"
    );
    let new_real = root.join(new_target.strip_prefix("/").expect("absolute"));
    assert_eq!(mode(&new_real), 0o600);
    assert_eq!(
        std::fs::read(&old_real).expect("old pem"),
        old_bytes,
        "history kept"
    );
    let pem = std::fs::read(&new_real).expect("new pem");
    let cert = kcertlib::Certificate::from_pem(&pem).expect("cert first");
    let key = kcertlib::PrivateKey::from_pem(&pem).expect("key after");
    assert!(key.matches(&cert));
    assert!(cert.not_after() > kcertlib::Timestamp::now());
    assert_eq!(
        std::fs::read(root.join("etc/kubernetes/kubelet.conf")).ok(),
        kubelet_conf,
        "kubelet.conf points at the link and is untouched"
    );
    let r = report
        .renewed
        .iter()
        .find(|r| r.name == "kubelet-client-current")
        .expect("reported");
    assert!(
        r.paths.contains(&link) && r.paths.contains(&new_real),
        "{:?}",
        r.paths
    );

    // Rolling back restores the link and removes the new file.
    renew::rollback(report.manifest.as_deref().expect("manifest")).expect("rollback");
    assert_eq!(std::fs::read_link(&link).expect("link"), old_target);
    assert!(!new_real.exists());
}

#[test]
fn location_kinds_are_all_exercised() {
    // Guards the layout tests above: the fixtures hold every kind of location renewal handles.
    let (_dir, root, _) = tree(FixtureLayout::K3s);
    let inventory = scan(&root);
    assert!(
        inventory
            .entries
            .iter()
            .any(|e| matches!(e.cert, Location::KubeconfigEmbedded { .. }))
    );
    assert!(inventory.entries.iter().any(|e| e.copy_of.is_some()));
    let (_dir2, root2, _) = tree(FixtureLayout::Kubeadm);
    let inventory = scan(&root2);
    assert!(
        inventory
            .entries
            .iter()
            .any(|e| matches!(e.cert, Location::Combined(_)))
    );
}
