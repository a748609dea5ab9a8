//! Renewal when things go wrong: a failure in the middle of the transaction leaves every
//! original byte-identical; a held lock refuses the run; bad trees (missing CA key, key not
//! matching, malformed kubeconfig, dangling symlink, unreadable file) skip those entries with
//! a clear reason and renew the rest; an expired CA blocks its leaves unless renewed too.

mod renew_support;
mod txn_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use kcertlib::fixture::FixtureLayout;
use kcertlib::inventory::{self, EntryStatus, ScanOptions};
use kcertlib::renew::{self, RenewOptions};
use kcertlib::{ErrorKind, KeyAlgorithm, PrivateKey, ValidityPolicy};
use renew_support::*;
use txn_support::*;

#[test]
fn a_held_lock_refuses_a_renewal_but_not_a_dry_run() {
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let lock = hold_lock(&root);
    let before = fingerprint(&root);
    let err = renew::renew(&root, &RenewOptions::default()).expect_err("locked");
    assert_eq!(err.kind(), ErrorKind::Locked);
    assert!(err.to_string().contains("renew.lock"), "{err}");
    assert!(err.to_string().contains("another renewal"), "{err}");
    let dry = renew::renew(&root, &RenewOptions::default().with_dry_run(true))
        .expect("a dry run takes no lock");
    assert!(!dry.renewed.is_empty());
    drop(lock);
    assert_eq!(fingerprint(&root), before);
}

#[test]
fn bad_entries_are_skipped_with_reasons_and_the_rest_renewed() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let pki = root.join("etc/kubernetes/pki");
    // Missing CA key: front-proxy-ca becomes externally managed.
    std::fs::remove_file(pki.join("front-proxy-ca.key")).expect("rm");
    // A key that does not belong to its certificate.
    let stranger = PrivateKey::generate(&KeyAlgorithm::P256).expect("key");
    write(
        &pki.join("apiserver.key"),
        stranger.to_pem().expect("pem").as_bytes(),
        0o600,
    );
    // A malformed kubeconfig.
    write(
        &root.join("etc/kubernetes/scheduler.conf"),
        b"apiVersion: v1\nusers: [ {name: broken\n",
        0o600,
    );
    // An unreadable certificate: a directory where the file should be.
    std::fs::remove_file(pki.join("etcd/peer.crt")).expect("rm");
    std::fs::create_dir(pki.join("etcd/peer.crt")).expect("mkdir");
    // A dangling symlink: kubelet's current pem points at a removed file.
    let link = root.join("var/lib/kubelet/pki/kubelet-client-current.pem");
    let target = std::fs::read_link(&link).expect("link");
    std::fs::remove_file(root.join(target.strip_prefix("/").expect("absolute"))).expect("rm");

    // kubelet's serving certificate without the throwaway CA that signed it after it.
    let serving = root.join("var/lib/kubelet/pki/kubelet.crt");
    let text = std::fs::read_to_string(&serving).expect("read");
    let end = "-----END CERTIFICATE-----\n";
    let first = &text[..text.find(end).expect("a block") + end.len()];
    write(&serving, first.as_bytes(), 0o644);

    let report = renew::renew(&root, &RenewOptions::default()).expect("renew the rest");
    let reasons: BTreeMap<&str, &str> = report
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.reason.as_str()))
        .collect();
    let expect = |name: &str, words: &[&str]| {
        let reason = reasons
            .get(name)
            .unwrap_or_else(|| panic!("{name} not skipped: {reasons:?}"));
        for w in words {
            assert!(reason.contains(w), "{name}: {reason:?} lacks {w:?}");
        }
    };
    expect(
        "front-proxy-client",
        &["externally managed", "front-proxy-ca"],
    );
    expect("apiserver", &["apiserver.key", "does not match"]);
    expect("scheduler.conf", &["scheduler.conf"]);
    expect("etcd-peer", &["peer.crt"]);
    expect("kubelet-client-current", &["dangling"]);
    expect("kubelet-serving", &["kubelet.crt", "does not follow it"]);

    let inventory = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    for leaf in inventory.leaves() {
        if reasons.contains_key(leaf.name.as_str()) {
            continue;
        }
        assert_eq!(
            leaf.status,
            EntryStatus::Ok,
            "{} renewed: {:?}",
            leaf.name,
            leaf.problems
        );
    }
    for name in [
        "apiserver-kubelet-client",
        "etcd-server",
        "admin.conf",
        "controller-manager.conf",
    ] {
        assert!(
            report.renewed.iter().any(|r| r.name == name),
            "{name} renewed"
        );
    }
}

#[test]
fn an_expired_ca_blocks_its_leaves_unless_renewed_too() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let inventory = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    let ca_end = inventory
        .get("ca")
        .and_then(|e| e.certificate.as_ref())
        .map(|c| c.not_after())
        .expect("ca");
    let later = ca_end.plus(Duration::from_secs(86_400));
    let at_later = ValidityPolicy::default().at(later);
    let blocked = renew::renew(
        &root,
        &RenewOptions::default()
            .with_validity(at_later)
            .with_dry_run(true),
    )
    .expect("dry run");
    let reason = blocked
        .skipped
        .iter()
        .find(|s| s.name == "apiserver")
        .map(|s| s.reason.clone())
        .expect("apiserver skipped");
    assert!(
        reason.contains("CA ca expired") && reason.contains("include_ca"),
        "{reason}"
    );

    let with_ca = renew::renew(
        &root,
        &RenewOptions::default()
            .with_validity(at_later)
            .with_include_ca(true)
            .with_dry_run(true),
    )
    .expect("dry run with CAs");
    let apiserver = with_ca
        .renewed
        .iter()
        .find(|r| r.name == "apiserver")
        .expect("renewed once its CA is");
    assert!(apiserver.new_not_after > later);
    assert!(with_ca.renewed.iter().any(|r| r.name == "ca"));
}

#[test]
fn a_path_escaping_the_root_is_never_written() {
    let (dir, root, _) = tree(FixtureLayout::Kubeadm);
    // apiserver.crt becomes a relative link that climbs out of the root.
    let outside = dir.path().join("..").join("kcert-renew-outside.crt");
    let crt = root.join("etc/kubernetes/pki/apiserver.crt");
    let bytes = std::fs::read(&crt).expect("crt");
    let escape = Path::new("../../../..").join(format!(
        "../{}",
        outside.file_name().and_then(|n| n.to_str()).expect("name")
    ));
    std::fs::write(&outside, &bytes).expect("outside copy");
    std::fs::remove_file(&crt).expect("rm");
    std::os::unix::fs::symlink(&escape, &crt).expect("symlink");
    let before = std::fs::read(&outside).expect("outside");
    let result = renew::renew(&root, &RenewOptions::default().with_only(["apiserver"]));
    // The scan never reads outside the root, so the entry is unreadable and skipped.
    let report = result.expect("renew");
    assert!(
        report.skipped.iter().any(|s| s.name == "apiserver"),
        "{:?}",
        report.skipped
    );
    assert_eq!(
        std::fs::read(&outside).expect("outside"),
        before,
        "outside file untouched"
    );
    let _ = std::fs::remove_file(&outside);
}
