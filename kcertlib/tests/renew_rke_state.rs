//! RKE1's `cluster.rkestate` renewed with the node: found under the root or named, both states'
//! bundles updated in the same transaction, judged from outside (serde_json reads the state
//! back, openssl verifies each renewed certificate against its CA, every other value is as it
//! was), and a warning when no state holds the renewed certificates.

mod renew_support;
mod txn_support;

use std::path::{Path, PathBuf};

use kcertlib::fixture::FixtureLayout;
use kcertlib::renew::{self, RenewOptions};
use kcertlib::{Certificate, ErrorKind, PrivateKey};
use renew_support::*;

const STATES: [&str; 2] = ["desiredState", "currentState"];
const SSL: &str = "etc/kubernetes/ssl";

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("the state is JSON")
}

/// The bundle names of the node's leaves (files `<name>.pem` signed by a CA).
fn node_leaves(root: &Path) -> Vec<String> {
    scan(root).leaves().iter().map(|e| e.name.clone()).collect()
}

/// Judges the state at `state_path` after a renewal of the tree at `root`: every node leaf's
/// bundle entry, in both states, holds the node's certificate (and key), verified by openssl;
/// everything else is as in `before`.
fn judge(root: &Path, state_path: &Path, before: &serde_json::Value) {
    let state = read_json(state_path);
    let mut blanked_before = before.clone();
    let mut blanked_after = state.clone();
    for name in node_leaves(root) {
        let node_pem =
            std::fs::read_to_string(root.join(format!("{SSL}/{name}.pem"))).expect("pem");
        let node_key =
            std::fs::read_to_string(root.join(format!("{SSL}/{name}-key.pem"))).expect("key");
        let node_cert = Certificate::from_pem(node_pem.as_bytes()).expect("cert");
        for s in STATES {
            let item = &state[s]["certificatesBundle"][&name];
            assert_eq!(
                item["certificatePEM"],
                node_pem.as_str(),
                "{s}.{name}: the node's certificate"
            );
            assert_eq!(
                item["keyPEM"],
                node_key.as_str(),
                "{s}.{name}: the node's key"
            );
            let cert = Certificate::from_pem(node_pem.as_bytes()).expect("cert");
            let ca_name = if name == "kube-apiserver-proxy-client" {
                "kube-apiserver-requestheader-ca"
            } else {
                "kube-ca"
            };
            let ca = first_cert(&root.join(format!("{SSL}/{ca_name}.pem")));
            openssl_verify(&ca, &cert).unwrap_or_else(|e| panic!("{s}.{name}: openssl: {e}"));
            let key = PrivateKey::from_pem(node_key.as_bytes()).expect("key");
            assert!(key.matches(&node_cert));
            for v in [&mut blanked_before, &mut blanked_after] {
                v[s]["certificatesBundle"][&name]["certificatePEM"] = "".into();
                v[s]["certificatesBundle"][&name]["keyPEM"] = "".into();
            }
        }
    }
    assert_eq!(
        blanked_after, blanked_before,
        "only certificatePEM/keyPEM values changed"
    );
}

#[test]
fn the_state_found_under_the_root_is_renewed_with_the_node() {
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let state_path = root.join("root/cluster.rkestate");
    let before = read_json(&state_path);
    let text_before = std::fs::read_to_string(&state_path).expect("read");
    let report = renew::renew(&root, &RenewOptions::default()).expect("renew");
    let copy = report
        .renewed
        .iter()
        .find(|r| r.name == "root/cluster.rkestate:kube-apiserver")
        .expect("the state's copy is reported");
    assert_eq!(copy.paths, std::slice::from_ref(&state_path));
    assert!(
        !report.warnings.iter().any(|w| w.contains("rke up")),
        "{:?}",
        report.warnings
    );
    judge(&root, &state_path, &before);
    assert_eq!(mode(&state_path), 0o600, "mode kept");
    // Text level: as many lines, each changed line a certificatePEM value.
    let text_after = std::fs::read_to_string(&state_path).expect("read");
    assert_eq!(text_after.lines().count(), text_before.lines().count());
    for (a, b) in text_before.lines().zip(text_after.lines()) {
        if a != b {
            assert!(
                a.trim_start().starts_with("\"certificatePEM\": ")
                    && b.trim_start().starts_with("\"certificatePEM\": "),
                "changed beyond a certificate value:\n- {a}\n+ {b}"
            );
        }
    }
    renew::rollback(report.manifest.as_deref().expect("manifest")).expect("rollback");
    assert_eq!(
        std::fs::read_to_string(&state_path).expect("read"),
        text_before
    );
}

#[test]
fn rotated_keys_go_into_the_state_too() {
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let state_path = root.join("root/cluster.rkestate");
    let before = read_json(&state_path);
    renew::renew(&root, &RenewOptions::default().with_rotate_keys(true)).expect("renew");
    judge(&root, &state_path, &before);
    let old_key = before["desiredState"]["certificatesBundle"]["kube-apiserver"]["keyPEM"].clone();
    let new_key =
        read_json(&state_path)["desiredState"]["certificatesBundle"]["kube-apiserver"]["keyPEM"]
            .clone();
    assert_ne!(
        old_key, new_key,
        "kube-apiserver's key rotated in the state"
    );
}

#[test]
fn a_named_state_elsewhere_under_the_root_is_renewed() {
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let found = root.join("root/cluster.rkestate");
    let named: PathBuf = root.join("srv/clusters/prod.rkestate");
    std::fs::create_dir_all(named.parent().expect("parent")).expect("mkdir");
    std::fs::rename(&found, &named).expect("move");
    let before = read_json(&named);
    // Not in a searched place: a warning, and the state untouched.
    let plan = renew::plan(&root, &RenewOptions::default()).expect("plan");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("rke up") && w.contains("--rke-state")),
        "{:?}",
        plan.warnings
    );
    // Named (relative to the root), it is renewed.
    renew::renew(
        &root,
        &RenewOptions::default().with_rke_state("srv/clusters/prod.rkestate"),
    )
    .expect("renew");
    judge(&root, &named, &before);
}

#[test]
fn without_a_state_the_report_warns_that_rke_up_restores_the_old_certificates() {
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    std::fs::remove_file(root.join("root/cluster.rkestate")).expect("remove");
    let report = renew::renew(&root, &RenewOptions::default()).expect("renew");
    let warning = report
        .warnings
        .iter()
        .find(|w| w.contains("rke up"))
        .unwrap_or_else(|| panic!("no rke up warning: {:?}", report.warnings));
    assert!(warning.contains("kube-apiserver") && warning.contains("rke cert rotate"));
}

#[test]
fn a_named_state_outside_the_root_or_malformed_is_refused() {
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let outside = tempfile::tempdir().expect("tempdir");
    let elsewhere = outside.path().join("cluster.rkestate");
    std::fs::copy(root.join("root/cluster.rkestate"), &elsewhere).expect("copy");
    let err = renew::renew(&root, &RenewOptions::default().with_rke_state(&elsewhere))
        .expect_err("outside the root");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.to_string().contains("outside the root"), "{err}");

    let bad = root.join("root/broken.rkestate");
    std::fs::write(&bad, "{\"desiredState\": ").expect("write");
    let err =
        renew::renew(&root, &RenewOptions::default().with_rke_state(&bad)).expect_err("malformed");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.to_string().contains("broken.rkestate"), "{err}");
    // Found rather than named, a malformed state is passed over with a warning.
    let report = renew::renew(&root, &RenewOptions::default()).expect("renew");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("broken.rkestate")),
        "{:?}",
        report.warnings
    );
}
