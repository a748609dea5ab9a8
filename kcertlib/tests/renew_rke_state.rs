//! RKE1's `cluster.rkestate` renewed with the node: found under the root or named, both states'
//! bundles updated in the same transaction, judged from outside (serde_json reads the state
//! back, openssl verifies each renewed certificate against its CA, every other value is as it
//! was), and a warning when no state holds the renewed certificates.
//!
//! kube-admin, which lives only in the state, is renewed there with the kubeconfig the state
//! keeps for it (`config`) and the `kube_config_cluster.yml` beside it: kubectl reads each
//! kubeconfig back, openssl verifies the client certificate it embeds, and it must be the
//! state's `certificatePEM` with the state's `keyPEM`. A `config` kcert cannot read stops
//! nothing but the state, which is left as it was.

mod renew_support;
mod txn_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64ct::{Base64, Encoding};

use kcertlib::fixture::FixtureLayout;
use kcertlib::renew::{self, RenewOptions};
use kcertlib::{Certificate, ErrorKind, PrivateKey};
use renew_support::*;

const STATES: [&str; 2] = ["desiredState", "currentState"];
const SSL: &str = "etc/kubernetes/ssl";
const STATE: &str = "root/cluster.rkestate";
const ADMIN_KUBECONFIG: &str = "root/kube_config_cluster.yml";

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
    for s in STATES {
        for v in [&mut blanked_before, &mut blanked_after] {
            for field in ["certificatePEM", "keyPEM", "config"] {
                v[s]["certificatesBundle"]["kube-admin"][field] = "".into();
            }
        }
    }
    judge_admin(root, &state, before);
    assert_eq!(
        blanked_after, blanked_before,
        "only certificatePEM/keyPEM values (and kube-admin's config) changed"
    );
}

/// kube-admin in each state of `state` (the JSON after the renewal; `before` the one before):
/// a new certificate verified by openssl against the node's kube-ca, with its old subject, and
/// a `config` that kubectl reads back embedding that certificate, the state's key and the
/// node's kube-ca.
fn judge_admin(root: &Path, state: &serde_json::Value, before: &serde_json::Value) {
    let kube_ca = first_cert(&root.join(format!("{SSL}/kube-ca.pem")));
    for s in STATES {
        let item = &state[s]["certificatesBundle"]["kube-admin"];
        let old = &before[s]["certificatesBundle"]["kube-admin"];
        let pem = item["certificatePEM"].as_str().expect("certificatePEM");
        assert_ne!(
            pem,
            old["certificatePEM"].as_str().expect("old"),
            "{s}: kube-admin renewed"
        );
        let cert = Certificate::from_pem(pem.as_bytes()).expect("cert");
        let old_cert = Certificate::from_pem(
            old["certificatePEM"]
                .as_str()
                .expect("certificatePEM")
                .as_bytes(),
        )
        .expect("old cert");
        assert_eq!(cert.subject(), old_cert.subject(), "{s}: same subject");
        openssl_verify(&kube_ca, &cert).unwrap_or_else(|e| panic!("{s}.kube-admin: openssl: {e}"));
        let key_pem = item["keyPEM"].as_str().expect("keyPEM");
        assert!(
            PrivateKey::from_pem(key_pem.as_bytes())
                .expect("key")
                .matches(&cert)
        );
        let config = item["config"].as_str().expect("config");
        let seen = kubectl_view(config);
        assert_eq!(seen.server, "https://127.0.0.1:6443");
        let embedded = Certificate::from_pem(&seen.certificate).expect("embedded certificate");
        assert_eq!(
            embedded.as_der(),
            cert.as_der(),
            "{s}.kube-admin.config embeds the renewed certificatePEM"
        );
        openssl_verify(&kube_ca, &embedded)
            .unwrap_or_else(|e| panic!("{s}.kube-admin.config: openssl: {e}"));
        assert_eq!(
            seen.key,
            key_pem.as_bytes(),
            "{s}.kube-admin.config embeds the state's keyPEM"
        );
        let ca = Certificate::from_pem(&seen.ca).expect("embedded CA");
        assert_eq!(ca.as_der(), kube_ca.as_der(), "{s}: the node's kube-ca");
    }
}

/// What kubectl reads in a kubeconfig: the first cluster's server and CA, the first user's
/// certificate and key (decoded).
struct Viewed {
    server: String,
    ca: Vec<u8>,
    certificate: Vec<u8>,
    key: Vec<u8>,
}

fn kubectl_view(config: &str) -> Viewed {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("config");
    std::fs::write(&file, config).expect("write");
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&file)
        .args(["config", "view", "--raw", "-o", "json"])
        .output()
        .expect("kubectl runs (testing/install-deps.sh installs it)");
    assert!(
        out.status.success(),
        "kubectl config view: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).expect("kubectl JSON");
    let data = |v: &serde_json::Value| {
        Base64::decode_vec(v.as_str().expect("base64 value")).expect("base64")
    };
    Viewed {
        server: view["clusters"][0]["cluster"]["server"]
            .as_str()
            .expect("server")
            .to_string(),
        ca: data(&view["clusters"][0]["cluster"]["certificate-authority-data"]),
        certificate: data(&view["users"][0]["user"]["client-certificate-data"]),
        key: data(&view["users"][0]["user"]["client-key-data"]),
    }
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
            let value_of =
                |line: &str, field: &str| line.trim_start().starts_with(&format!("\"{field}\": "));
            assert!(
                ["certificatePEM", "config"]
                    .iter()
                    .any(|f| value_of(a, f) && value_of(b, f)),
                "changed beyond a certificate or kubeconfig value:\n- {a}\n+ {b}"
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

#[test]
fn kube_admin_is_renewed_in_the_state_with_its_kubeconfigs() {
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let state_path = root.join(STATE);
    let admin_path = root.join(ADMIN_KUBECONFIG);
    let before = read_json(&state_path);
    let admin_before = std::fs::read_to_string(&admin_path).expect("read");
    let report = renew::renew(&root, &RenewOptions::default()).expect("renew");
    let admin = report
        .renewed
        .iter()
        .find(|r| r.name == "root/cluster.rkestate:kube-admin")
        .unwrap_or_else(|| panic!("kube-admin is renewed: {:?}", report.renewed));
    assert_eq!(admin.paths, std::slice::from_ref(&state_path));
    let names: Vec<&str> = report.renewed.iter().map(|r| r.name.as_str()).collect();
    let copy = report
        .renewed
        .iter()
        .find(|r| r.name == ADMIN_KUBECONFIG)
        .unwrap_or_else(|| panic!("kube_config_cluster.yml is renewed as a copy: {names:?}"));
    assert_eq!(copy.paths, std::slice::from_ref(&admin_path));
    let state = read_json(&state_path);
    judge_admin(&root, &state, &before);
    // rke writes kube_config_<cluster>.yml from the state's config: they still agree.
    let admin_after = std::fs::read_to_string(&admin_path).expect("read");
    assert_eq!(
        admin_after,
        state["desiredState"]["certificatesBundle"]["kube-admin"]["config"]
            .as_str()
            .expect("config"),
        "kube_config_cluster.yml is the state's kube-admin config"
    );
    assert_eq!(
        only_base64_values_differ(&admin_before, &admin_after),
        Ok(1),
        "only client-certificate-data changed"
    );
    assert_eq!(mode(&admin_path), 0o600, "mode kept");
    renew::rollback(report.manifest.as_deref().expect("manifest")).expect("rollback");
    assert_eq!(
        std::fs::read_to_string(&admin_path).expect("read"),
        admin_before
    );
}

#[test]
fn a_renewed_ca_is_refreshed_in_the_state_kubeconfigs() {
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let state_path = root.join(STATE);
    let before = read_json(&state_path);
    let old_ca = first_cert(&root.join(format!("{SSL}/kube-ca.pem")));
    renew::renew(&root, &RenewOptions::default().with_include_ca(true)).expect("renew");
    let new_ca = first_cert(&root.join(format!("{SSL}/kube-ca.pem")));
    assert_ne!(new_ca.as_der(), old_ca.as_der(), "kube-ca renewed");
    // judge_admin holds every config's certificate-authority-data to the node's new kube-ca.
    judge_admin(&root, &read_json(&state_path), &before);
    let file = kubectl_view(&std::fs::read_to_string(root.join(ADMIN_KUBECONFIG)).expect("read"));
    assert_eq!(
        Certificate::from_pem(&file.ca).expect("ca").as_der(),
        new_ca.as_der(),
        "kube_config_cluster.yml has the renewed CA"
    );
}

/// The kube-admin `config` of the desired state in `text`, its start replaced by `with`.
fn tamper_admin_config(text: &str, from: &str, with: &str) -> String {
    assert!(text.contains(from), "fixture shape changed");
    text.replacen(from, with, 1)
}

#[test]
fn an_unreadable_state_kubeconfig_leaves_the_state_as_it_was() {
    // Not YAML: the found state is passed over with a warning naming it and the config.
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let state_path = root.join(STATE);
    let admin_start = "\"config\": \"apiVersion: v1\\nkind: Config\\nclusters:\\n- cluster:\\n    api-version: v1\\n    certificate-authority-data: ";
    let broken = tamper_admin_config(
        &std::fs::read_to_string(&state_path).expect("read"),
        admin_start,
        "\"config\": \"[unclosed\\n    certificate-authority-data: ",
    );
    std::fs::write(&state_path, &broken).expect("write");
    let report = renew::renew(&root, &RenewOptions::default()).expect("renew");
    let warning = report
        .warnings
        .iter()
        .find(|w| w.contains("passed over"))
        .unwrap_or_else(|| panic!("no warning: {:?}", report.warnings));
    assert!(
        warning.contains("cluster.rkestate")
            && warning.contains("desiredState.certificatesBundle.kube-admin.config"),
        "{warning}"
    );
    assert_eq!(
        std::fs::read_to_string(&state_path).expect("read"),
        broken,
        "the state is left as it was"
    );

    // Bad base64 in a named state: refused before anything is written.
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let state_path = root.join(STATE);
    let broken = tamper_admin_config(
        &std::fs::read_to_string(&state_path).expect("read"),
        "client-certificate-data: LS0t",
        "client-certificate-data: LS0t!",
    );
    std::fs::write(&state_path, &broken).expect("write");
    let apiserver = root.join(format!("{SSL}/kube-apiserver.pem"));
    let apiserver_before = std::fs::read(&apiserver).expect("read");
    let err = renew::renew(&root, &RenewOptions::default().with_rke_state(STATE))
        .expect_err("a named state with a broken config");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("cluster.rkestate")
            && message.contains("desiredState.certificatesBundle.kube-admin.config")
            && message.contains("client-certificate-data"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&state_path).expect("read"), broken);
    assert_eq!(
        std::fs::read(&apiserver).expect("read"),
        apiserver_before,
        "nothing renewed"
    );
}

#[test]
fn a_kube_config_beside_the_state_that_links_out_of_the_root_is_not_followed() {
    let (_dir, root, _) = tree(FixtureLayout::Rke1);
    let outside = tempfile::tempdir().expect("tempdir");
    let target = outside.path().join("kube_config_cluster.yml");
    std::fs::rename(root.join(ADMIN_KUBECONFIG), &target).expect("move out");
    std::os::unix::fs::symlink(&target, root.join(ADMIN_KUBECONFIG)).expect("link");
    let before = std::fs::read_to_string(&target).expect("read");
    let report = renew::renew(&root, &RenewOptions::default()).expect("renew");
    assert!(
        report
            .renewed
            .iter()
            .any(|r| r.name == "root/cluster.rkestate:kube-admin"),
        "kube-admin is still renewed in the state"
    );
    assert!(
        !report.renewed.iter().any(|r| r.name == ADMIN_KUBECONFIG),
        "the link is not a copy"
    );
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        before,
        "nothing outside the root is written"
    );
    assert!(
        std::fs::symlink_metadata(root.join(ADMIN_KUBECONFIG))
            .expect("link")
            .file_type()
            .is_symlink()
    );
}

/// Without kube-ca's key, kube-admin (kept only in the state) is skipped with where to renew
/// it, and not exported: an install matches what it is given against the node's own
/// certificates, so a request for it could never be installed.
#[test]
fn without_the_ca_key_kube_admin_is_skipped_and_not_exported() {
    use kcertlib::handoff::{
        ExportOptions, InstallOptions, SignOptions, export_requests, install_signed, sign_requests,
    };
    let (_dir, signing, _) = tree(FixtureLayout::Rke1);
    let node_dir = tempfile::tempdir().expect("tempdir");
    let node = std::fs::canonicalize(node_dir.path())
        .expect("canon")
        .join("node");
    let status = Command::new("cp")
        .arg("-a")
        .arg(&signing)
        .arg(&node)
        .status()
        .expect("cp");
    assert!(status.success());
    std::fs::remove_file(node.join(format!("{SSL}/kube-ca-key.pem"))).expect("remove key");
    let plan = renew::plan(&node, &RenewOptions::default()).expect("plan");
    let skipped = plan
        .skipped
        .iter()
        .find(|s| s.name == "root/cluster.rkestate:kube-admin")
        .unwrap_or_else(|| panic!("kube-admin skipped: {:?}", plan.skipped));
    assert!(skipped.reason.contains("--rke-state"), "{}", skipped.reason);
    let requests = export_requests(&node, &ExportOptions::default()).expect("export");
    let names: Vec<&str> = requests.requests.iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains(&"kube-apiserver"), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("kube-admin")), "{names:?}");
    let signed = sign_requests(&signing, &requests, &SignOptions::default()).expect("sign");
    install_signed(&node, &signed, &InstallOptions::default()).expect("install");
}
