//! `kcertlib::live` against real servers: `openssl s_server` stands in for kube-apiserver and
//! kubelet on free loopback ports, serving copies of the tree's files as a running process
//! holds what it loaded at start. Each verdict is provoked for real: the file on disk
//! (current), the pair from before a renewal (outdated, same key), the pair from before a key
//! rotation (outdated, same subject and issuer), a certificate made elsewhere (unmatched), and
//! a closed port (not running). etcd's part is in the `kcert` command's tests.
#![cfg(feature = "aws-lc")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kcertlib::fixture::{FixtureLayout, FixtureOptions, build};
use kcertlib::inventory::{ScanOptions, scan};
use kcertlib::live::{
    Component, ComponentReport, LiveOptions, LiveReport, LiveState, MatchedBy, check_inventory,
    check_live,
};
use kcertlib::renew::{RenewOptions, renew};

mod server_support;
use server_support::{Server, free_port, s_server};

struct Node {
    _dir: tempfile::TempDir,
    root: PathBuf,
    copies: PathBuf,
}

fn kubeadm_node() -> Node {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("node");
    build(&root, FixtureLayout::Kubeadm, &FixtureOptions::default()).expect("fixture tree");
    let copies = dir.path().join("loaded");
    std::fs::create_dir(&copies).expect("mkdir");
    Node {
        _dir: dir,
        root,
        copies,
    }
}

impl Node {
    fn pki(&self, file: &str) -> PathBuf {
        self.root.join("etc/kubernetes/pki").join(file)
    }

    /// What a process would hold after loading `name`.crt/.key now: a copy, so later changes
    /// to the tree do not reach it. `tag` keeps copies of different moments apart.
    fn load(&self, name: &str, tag: &str) -> (PathBuf, PathBuf) {
        let cert = self.copies.join(format!("{name}-{tag}.crt"));
        let key = self.copies.join(format!("{name}-{tag}.key"));
        std::fs::copy(self.pki(&format!("{name}.crt")), &cert).expect("copy cert");
        std::fs::copy(self.pki(&format!("{name}.key")), &key).expect("copy key");
        (cert, key)
    }
}

/// Options dialling only the given components, each on its own port; every other component
/// of the layout is sent to a port where nothing listens, so the machine's own services (if
/// any) never take part.
fn options(ports: &[(Component, u16)]) -> LiveOptions {
    let mut options = LiveOptions::default().with_timeout(Duration::from_secs(10));
    for &c in Component::all() {
        let port = ports
            .iter()
            .find(|(p, _)| *p == c)
            .map_or_else(free_port, |(_, port)| *port);
        options = options.with_port(c, port);
    }
    options
}

fn component(report: &LiveReport, c: Component) -> &ComponentReport {
    report
        .components
        .iter()
        .find(|r| r.component == c)
        .unwrap_or_else(|| panic!("{c} not in the report:\n{}", report.to_table()))
}

fn serve(cert: &Path, key: &Path) -> (Server, u16) {
    let port = free_port();
    (s_server(cert, key, port), port)
}

#[test]
fn a_server_holding_the_pair_on_disk_is_current_then_outdated_after_renewal() {
    let node = kubeadm_node();
    let (cert, key) = node.load("apiserver", "before");
    let (_server, port) = serve(&cert, &key);
    let options = options(&[(Component::KubeApiserver, port)]);

    let before = check_live(&node.root, &options).expect("live check");
    let api = component(&before, Component::KubeApiserver);
    assert_eq!(api.state, LiveState::Current, "{}", before.to_table());
    assert_eq!(api.matched_by, Some(MatchedBy::Certificate));
    assert_eq!(api.entry.as_deref(), Some("apiserver"));
    assert!(!before.any_outdated());

    renew(&node.root, &RenewOptions::default()).expect("renew");
    let after = check_live(&node.root, &options).expect("live check");
    let api = component(&after, Component::KubeApiserver);
    assert_eq!(api.state, LiveState::Outdated, "{}", after.to_table());
    assert_eq!(api.matched_by, Some(MatchedBy::PublicKey));
    assert_eq!(api.entry.as_deref(), Some("apiserver"));
    let served = api.served.as_ref().expect("served cert");
    let on_disk = api.on_disk.as_ref().expect("disk cert");
    assert_eq!(
        served.as_der(),
        std::fs::read(&cert).map(pem_der).expect("read")
    );
    assert!(served.not_after() < on_disk.not_after());
    assert!(after.any_outdated());
    assert_eq!(after.outdated().count(), 1);
    assert!(api.detail.contains("restart"), "{}", api.detail);

    // Restarted: it loads the renewed pair.
    drop(_server);
    let (cert, key) = node.load("apiserver", "after");
    let (_server, port) = serve(&cert, &key);
    let restarted = check_live(
        &node.root,
        &options.clone().with_port(Component::KubeApiserver, port),
    )
    .expect("live check");
    assert_eq!(
        component(&restarted, Component::KubeApiserver).state,
        LiveState::Current,
        "{}",
        restarted.to_table()
    );
}

#[test]
fn a_rotated_key_is_outdated_by_subject_and_issuer() {
    let node = kubeadm_node();
    let (cert, key) = node.load("apiserver", "before");
    let (_server, port) = serve(&cert, &key);
    renew(&node.root, &RenewOptions::default().with_rotate_keys(true)).expect("renew");
    let report =
        check_live(&node.root, &options(&[(Component::KubeApiserver, port)])).expect("live check");
    let api = component(&report, Component::KubeApiserver);
    assert_eq!(api.state, LiveState::Outdated, "{}", report.to_table());
    assert_eq!(api.matched_by, Some(MatchedBy::SubjectAndIssuer));
    assert_eq!(api.entry.as_deref(), Some("apiserver"));
}

#[test]
fn a_certificate_of_its_own_is_unmatched_and_a_closed_port_not_running() {
    let node = kubeadm_node();
    // kube-scheduler without --tls-cert-file makes a self-signed certificate in memory.
    let own_cert = node.copies.join("own.crt");
    let own_key = node.copies.join("own.key");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost@1700000000"])
        .arg("-keyout")
        .arg(&own_key)
        .arg("-out")
        .arg(&own_cert)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (_server, port) = serve(&own_cert, &own_key);
    let closed = free_port();
    let inventory = scan(&node.root, &ScanOptions::default()).expect("scan");
    let report = check_inventory(
        &inventory,
        &options(&[
            (Component::KubeScheduler, port),
            (Component::Kubelet, closed),
        ]),
    );
    let scheduler = component(&report, Component::KubeScheduler);
    assert_eq!(
        scheduler.state,
        LiveState::Unmatched,
        "{}",
        report.to_table()
    );
    assert_eq!(scheduler.entry, None);
    let kubelet = component(&report, Component::Kubelet);
    assert_eq!(kubelet.state, LiveState::NotRunning);
    assert_eq!(kubelet.address.to_string(), format!("127.0.0.1:{closed}"));
    assert!(!report.any_outdated(), "{}", report.to_table());
    // kubeadm's layout has no supervisor; the options named one, so it was dialled too.
    assert!(
        report
            .components
            .iter()
            .any(|c| c.component == Component::Supervisor)
    );
}

#[test]
fn the_outputs_name_every_component_and_state() {
    let node = kubeadm_node();
    let (cert, key) = node.load("apiserver", "before");
    let (_server, port) = serve(&cert, &key);
    renew(&node.root, &RenewOptions::default()).expect("renew");
    let report =
        check_live(&node.root, &options(&[(Component::KubeApiserver, port)])).expect("check");

    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    assert_eq!(json["kind"], "LiveCheck");
    assert_eq!(json["outdated"], 1);
    let list = json["components"].as_array().expect("components");
    assert_eq!(list.len(), Component::all().len());
    let api = list
        .iter()
        .find(|c| c["component"] == "kube-apiserver")
        .expect("kube-apiserver");
    assert_eq!(api["state"], "outdated");
    assert_eq!(api["matchedBy"], "public-key");
    assert_eq!(api["port"], port);
    assert!(api["served"]["notAfter"].is_string());
    assert_ne!(api["served"]["serial"], api["onDisk"]["serial"]);

    let table = report.to_table();
    assert!(table.starts_with("COMPONENT"), "{table}");
    assert!(
        table.contains("outdated") && table.contains("not-running"),
        "{table}"
    );

    let prom = report.to_prometheus();
    assert!(
        prom.contains(&format!(
            "kcert_live_outdated{{component=\"kube-apiserver\",address=\"127.0.0.1:{port}\",entry=\"apiserver\"}} 1"
        )),
        "{prom}"
    );
    assert!(prom.contains("state=\"not-running\"} 1"), "{prom}");
}

#[test]
fn unknown_components_and_port_zero_are_refused() {
    let e = LiveOptions::default()
        .with_port_named("apiserver", 6443)
        .expect_err("unknown name");
    assert!(e.message().contains("kube-apiserver"), "{e}");
    let e = LiveOptions::default()
        .with_port_named("etcd", 0)
        .expect_err("port 0");
    assert!(e.message().contains("etcd"), "{e}");
    let ok = LiveOptions::default()
        .with_port_named("etcd-peer", 12380)
        .expect("known");
    assert_eq!(ok.ports.get(&Component::EtcdPeer), Some(&12380));

    let text = LiveOptions::default()
        .with_ports_text(" etcd=12379, kube-apiserver = 16443 ,")
        .expect("two overrides");
    assert_eq!(text.ports.get(&Component::Etcd), Some(&12379));
    assert_eq!(text.ports.get(&Component::KubeApiserver), Some(&16443));
    for bad in ["etcd", "etcd=", "etcd=x", "etcd=70000", "etcd=0", "nope=1"] {
        let e = LiveOptions::default().with_ports_text(bad).expect_err(bad);
        assert_eq!(e.kind(), kcertlib::ErrorKind::InvalidArgument, "{bad}");
    }
}

fn pem_der(pem: Vec<u8>) -> Vec<u8> {
    kcertlib::Certificate::from_pem(&pem)
        .expect("pem")
        .as_der()
        .to_vec()
}
