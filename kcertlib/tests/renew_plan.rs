//! The plan and the options around it: a dry run writes nothing, a second renewal with an
//! expiry window is a no-op, `only` selects, validity clamps are reported, rollback restores.

mod renew_support;
mod txn_support;

use std::time::Duration;

use kcertlib::fixture::FixtureLayout;
use kcertlib::inventory::{self, EntryStatus, ScanOptions};
use kcertlib::renew::{self, RenewOptions};
use kcertlib::{ErrorKind, Threads, ValidityPolicy};
use renew_support::*;
use txn_support::*;

#[test]
fn dry_run_writes_nothing_at_all() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let before = fingerprint_all(&root);
    let options = RenewOptions::default().with_dry_run(true);
    let report = renew::renew(&root, &options).expect("dry run");
    assert!(report.dry_run && !report.changed);
    assert!(report.manifest.is_none() && report.backups.is_empty());
    assert!(
        report.renewed.iter().any(|r| r.name == "apiserver"),
        "the dry run says what would be renewed"
    );
    assert_eq!(
        fingerprint_all(&root),
        before,
        "not one byte, mode or file added (not even the lock)"
    );

    let plan = renew::plan(&root, &options).expect("plan");
    let text = plan.to_text();
    assert!(text.contains("renew apiserver"), "{text}");
    assert!(text.contains("renew kubelet-serving"), "{text}");
    assert!(text.contains("restart afterwards: "), "{text}");
    assert!(plan.to_json().contains("\"actions\""));
    assert_eq!(fingerprint_all(&root), before);
}

#[test]
fn a_second_renewal_within_the_window_is_a_no_op() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let first = renew::renew(&root, &RenewOptions::default()).expect("renew");
    assert!(first.changed);
    let after_first = fingerprint_all(&root);
    let options = RenewOptions::default().with_expiring_within(Duration::from_secs(30 * 86_400));
    let second = renew::renew(&root, &options).expect("second renew");
    assert!(!second.changed);
    assert!(second.renewed.is_empty(), "{:?}", second.renewed);
    assert!(second.manifest.is_none());
    assert_eq!(
        fingerprint_all(&root),
        after_first,
        "no backup, no lock change"
    );
    let json = second.to_json();
    assert!(json.contains("\"changed\": false"), "{json}");
}

#[test]
fn only_selects_entries_and_refuses_unknown_names() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let options = RenewOptions::default().with_only(["apiserver", "admin.conf", "ca"]);
    let report = renew::renew(&root, &options).expect("renew");
    let mut names: Vec<&str> = report.renewed.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["admin.conf", "apiserver"]);
    let ca_skip = report
        .skipped
        .iter()
        .find(|s| s.name == "ca")
        .expect("ca skipped");
    assert!(ca_skip.reason.contains("include_ca"), "{}", ca_skip.reason);
    let inventory = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    for entry in inventory.leaves() {
        let renewed = ["apiserver", "admin.conf"].contains(&entry.name.as_str());
        assert_eq!(
            entry.status == EntryStatus::Ok,
            renewed,
            "{} is {}",
            entry.name,
            entry.status
        );
    }

    let err = renew::plan(&root, &RenewOptions::default().with_only(["apiserverr"]))
        .expect_err("unknown name");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("apiserverr"), "{err}");
}

#[test]
fn naming_a_copy_renews_the_original_and_every_copy() {
    let (_dir, root, _) = tree(FixtureLayout::K3s);
    let options = RenewOptions::default().with_only(["k3s.yaml"]);
    let report = renew::renew(&root, &options).expect("renew");
    let names: Vec<&str> = report.renewed.iter().map(|r| r.name.as_str()).collect();
    assert!(
        names.contains(&"client-admin") && names.contains(&"k3s.yaml"),
        "{names:?}"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("copy of client-admin")),
        "{:?}",
        report.warnings
    );
    let inventory = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    let admin = inventory.get("client-admin").expect("entry");
    let copy = inventory.get("k3s.yaml").expect("entry");
    assert_eq!(admin.status, EntryStatus::Ok);
    assert_eq!(
        copy.certificate.as_ref().map(|c| c.as_der().to_vec()),
        admin.certificate.as_ref().map(|c| c.as_der().to_vec()),
        "the kubeconfig holds the very same renewed certificate"
    );
}

#[test]
fn validity_beyond_the_ca_is_clamped_and_reported() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let options = RenewOptions::default()
        .with_validity(ValidityPolicy::days(100 * 365))
        .with_only(["apiserver"]);
    let plan = renew::plan(&root, &options).expect("plan");
    assert!(
        plan.warnings.iter().any(|w| w.contains("CA ca expires")),
        "{:?}",
        plan.warnings
    );
    let report = renew::renew(&root, &options).expect("renew");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("apiserver: notAfter lowered")),
        "{:?}",
        report.warnings
    );
    let inventory = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    let leaf = inventory
        .get("apiserver")
        .and_then(|e| e.certificate.clone())
        .expect("leaf");
    let ca = inventory
        .get("ca")
        .and_then(|e| e.certificate.clone())
        .expect("ca");
    assert_eq!(leaf.not_after(), ca.not_after());
}

#[test]
fn rollback_restores_a_renewal() {
    let (_dir, root, _) = tree(FixtureLayout::K3s);
    let before = fingerprint(&root);
    let report = renew::renew(&root, &RenewOptions::default()).expect("renew");
    assert_ne!(fingerprint(&root), before);
    let rolled = renew::rollback(report.manifest.as_deref().expect("manifest")).expect("rollback");
    assert!(!rolled.restored.is_empty());
    assert!(rolled.warnings.is_empty(), "{:?}", rolled.warnings);
    assert!(rolled.to_json().contains("\"restored\""));
    // The state directory's parents may be new (`var/lib` on a tree without one): left out.
    let state_parent =
        |p: &std::path::PathBuf| std::path::Path::new("var/lib/kcert").starts_with(p);
    let mut now = fingerprint(&root);
    let mut before = before;
    now.retain(|p, _| !state_parent(p));
    before.retain(|p, _| !state_parent(p));
    assert_eq!(now, before);
    let inventory = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    assert!(
        inventory
            .leaves()
            .iter()
            .all(|e| e.status == EntryStatus::Expired)
    );
}

/// Signing on one thread or on several renews the same entries, in the same order, with the
/// same validity; only the random serials differ.
#[test]
fn threads_do_not_change_what_is_renewed() {
    let (_dir, root, _) = tree(FixtureLayout::Kubespray);
    let validity = ValidityPolicy::default().at(kcertlib::Timestamp::now());
    let renew_with = |threads| {
        let options = RenewOptions::default()
            .with_dry_run(true)
            .with_threads(threads)
            .with_validity(validity);
        let report = renew::renew(&root, &options).expect("dry run");
        report
            .renewed
            .into_iter()
            .map(|r| {
                (
                    r.name,
                    r.paths,
                    r.new_not_before,
                    r.new_not_after,
                    r.old_serial,
                )
            })
            .collect::<Vec<_>>()
    };
    let one = renew_with(Threads::ONE);
    assert!(one.len() > 10, "{} renewed", one.len());
    assert_eq!(one, renew_with(Threads::from_count(3)));
}
