//! The fixture builder's trees (another engineer's code, written from the same reference) are
//! inventoried as their summaries say: every entry found under the same name, with the same
//! CA, expired leaves and valid CAs, keys matching, signatures verifying, no problems.

use kcertlib::fixture::{FixtureEntryKind, FixtureLayout, FixtureOptions, build};
use kcertlib::*;

fn check(layout: FixtureLayout, expected: &[Distribution]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = Timestamp::from_unix(1_780_000_000);
    let options = FixtureOptions::default()
        .at(now)
        .with_etcd_hosts(2)
        .with_reuse_leaf_keys(true)
        .with_leaf_key(KeyAlgorithm::P256);
    let summary = build(dir.path(), layout, &options).expect("fixture");
    let inv = scan(dir.path(), &ScanOptions::default().at(now)).expect("scan");
    assert_eq!(inv.distributions, expected, "{layout}");
    for f in &summary.entries {
        let e = inv.get(&f.name).unwrap_or_else(|| {
            panic!(
                "{layout}: fixture entry {} not inventoried; have {:?}",
                f.name,
                inv.entries.iter().map(|e| &e.name).collect::<Vec<_>>()
            )
        });
        let ctx = format!("{layout} {}", f.name);
        assert!(e.problems.is_empty(), "{ctx}: {:?}", e.problems);
        assert_eq!(e.cert.path(), f.cert, "{ctx}");
        assert_eq!(
            e.certificate.as_ref().map(|c| c.subject()),
            Some(f.subject.clone()),
            "{ctx}"
        );
        assert_eq!(e.chain_verifies, Some(true), "{ctx}");
        if f.key.is_some() {
            assert_eq!(e.key_matches, Some(true), "{ctx}");
        }
        match f.kind {
            FixtureEntryKind::Leaf => {
                assert_eq!(e.kind, EntryKind::Leaf, "{ctx}");
                assert_eq!(e.status, EntryStatus::Expired, "{ctx}");
                assert_eq!(e.ca_name, f.ca_name, "{ctx}");
            }
            FixtureEntryKind::Ca => {
                assert_eq!(e.kind, EntryKind::Ca, "{ctx}");
                assert_eq!(e.status, EntryStatus::Ok, "{ctx}");
            }
        }
    }
    // Nothing the fixture did not write, except what is deduplicated on purpose.
    for e in &inv.entries {
        let known = summary.entry(&e.name).is_some();
        assert!(
            known,
            "{layout}: unexpected entry {} ({:?})",
            e.name, e.problems
        );
    }
}

#[test]
fn kubeadm_fixture() {
    check(FixtureLayout::Kubeadm, &[Distribution::Kubeadm]);
}

#[test]
fn kubespray_fixture() {
    check(FixtureLayout::Kubespray, &[Distribution::Kubespray]);
}

#[test]
fn rke1_fixture() {
    check(FixtureLayout::Rke1, &[Distribution::Rke1]);
}

#[test]
fn rke2_fixture() {
    check(FixtureLayout::Rke2, &[Distribution::Rke2]);
}

#[test]
fn k3s_fixture() {
    check(FixtureLayout::K3s, &[Distribution::K3s]);
}

/// The benchmark's shape: a kubespray node with 1,000 etcd hosts (3,000 host-mode leaves).
/// A few seconds in the release builds the suites use (scripts/test.sh); `--nocapture` shows
/// the time.
#[test]
fn thousand_etcd_hosts_scan_completely() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = FixtureOptions::default()
        .with_etcd_hosts(1000)
        .with_reuse_leaf_keys(true);
    build(dir.path(), FixtureLayout::Kubespray, &options).expect("fixture");
    let started = std::time::Instant::now();
    let inv = scan(dir.path(), &ScanOptions::default()).expect("scan");
    eprintln!(
        "scan of {} entries took {:?}",
        inv.entries.len(),
        started.elapsed()
    );
    let etcd_leaves = inv
        .entries
        .iter()
        .filter(|e| e.name.starts_with("etcd-") && e.is_leaf())
        .count();
    assert_eq!(etcd_leaves, 3000);
    assert!(inv.entries.iter().all(|e| e.problems.is_empty()));
    assert!(
        inv.entries
            .iter()
            .filter(|e| e.is_leaf())
            .all(|e| e.status == EntryStatus::Expired)
    );
}

/// Spreading the checks over threads changes nothing in what the scan reports: a kubespray
/// node with enough etcd hosts that every worker gets entries, scanned on one thread and on
/// four, gives the same document.
#[test]
fn threads_do_not_change_the_inventory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = Timestamp::from_unix(1_780_000_000);
    let options = FixtureOptions::default()
        .at(now)
        .with_etcd_hosts(40)
        .with_reuse_leaf_keys(true)
        .with_leaf_key(KeyAlgorithm::P256);
    build(dir.path(), FixtureLayout::Kubespray, &options).expect("fixture");
    let scan_with = |threads| {
        let options = ScanOptions::default().at(now).with_threads(threads);
        scan(dir.path(), &options).expect("scan")
    };
    let one = scan_with(Threads::ONE);
    let four = scan_with(Threads::from_count(4));
    assert!(one.entries.len() > 128, "{} entries", one.entries.len());
    assert!(one.entries.iter().all(|e| e.problems.is_empty()));
    assert_eq!(one.to_json(), four.to_json());
}
