//! `kcert check --live` against a real etcd: started on free loopback ports with the tree's
//! etcd server and peer pairs, it serves the certificates on disk (exit 0); after a renewal it
//! serves the stale ones (outdated, exit 1, named on stderr); restarted with the renewed
//! pairs, it is current again (exit 0). `openssl s_server` stands in for kube-apiserver.
//!
//! etcd re-reads its certificate files on every handshake, so it is started with copies (what
//! it "loaded"): otherwise the renewed files would be served at once, restart or not.

#[path = "../../../kcertlib/tests/server_support/mod.rs"]
mod server_support;
mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use server_support::{EtcdFiles, Server, etcd, free_port, s_server};
use support::*;

/// Copies of the tree's etcd and apiserver pairs as of now, in `dir`.
fn load(pki: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    for f in [
        "etcd/server.crt",
        "etcd/server.key",
        "etcd/peer.crt",
        "etcd/peer.key",
        "etcd/ca.crt",
        "apiserver.crt",
        "apiserver.key",
    ] {
        std::fs::copy(pki.join(f), dir.join(f.replace('/', "-"))).expect("copy");
    }
    dir.to_path_buf()
}

struct Running {
    _etcd: Server,
    _apiserver: Server,
}

fn start(loaded: &Path, data: &Path, ports: &Ports) -> Running {
    let f = |name: &str| loaded.join(name);
    let files = EtcdFiles {
        server_cert: &f("etcd-server.crt"),
        server_key: &f("etcd-server.key"),
        peer: Some((&f("etcd-peer.crt"), &f("etcd-peer.key"))),
        ca: &f("etcd-ca.crt"),
    };
    Running {
        _etcd: etcd(&files, data, ports.etcd, ports.peer),
        _apiserver: s_server(&f("apiserver.crt"), &f("apiserver.key"), ports.apiserver),
    }
}

struct Ports {
    etcd: u16,
    peer: u16,
    apiserver: u16,
    /// Nothing listens there: kubelet, kube-controller-manager, kube-scheduler.
    closed: u16,
}

impl Ports {
    fn args(&self, root: &Path) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "check".into(),
            "--live".into(),
            "--root".into(),
            root.display().to_string(),
            "--live-timeout".into(),
            "10s".into(),
        ];
        for (component, port) in [
            ("etcd", self.etcd),
            ("etcd-peer", self.peer),
            ("kube-apiserver", self.apiserver),
            ("kubelet", self.closed),
            ("kube-controller-manager", self.closed),
            ("kube-scheduler", self.closed),
        ] {
            args.push("--live-port".into());
            args.push(format!("{component}={port}"));
        }
        args
    }
}

fn live(ports: &Ports, root: &Path, format: &str, status: i32) -> std::process::Output {
    let mut args = ports.args(root);
    args.extend(["-o".into(), format.into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    expect(&args, status)
}

fn states(out: &std::process::Output) -> Vec<(String, String, String)> {
    let doc = json(out);
    doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c: &Value| {
            (
                c["component"].as_str().unwrap_or_default().to_string(),
                c["state"].as_str().unwrap_or_default().to_string(),
                c["entry"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn state_of(states: &[(String, String, String)], component: &str) -> (String, String) {
    states
        .iter()
        .find(|(c, _, _)| c == component)
        .map(|(_, s, e)| (s.clone(), e.clone()))
        .unwrap_or_else(|| panic!("{component} missing from {states:?}"))
}

#[test]
fn etcd_serving_a_stale_certificate_is_outdated_until_restarted() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("kubeadm");
    let root_arg = root.to_str().expect("utf-8");
    // Keys of its own per certificate (no --reuse-keys): the public key ties a served
    // certificate to its entry.
    expect(&["fixture", "kubeadm", root_arg], EXIT_OK);
    let pki = root.join("etc/kubernetes/pki");
    let ports = Ports {
        etcd: free_port(),
        peer: free_port(),
        apiserver: free_port(),
        closed: free_port(),
    };
    let data = dir.path().join("etcd-data");

    // Started before the renewal: it serves the (expired) certificates on disk.
    let running = start(
        &load(&pki, &dir.path().join("loaded-before")),
        &data,
        &ports,
    );
    let before = states(&live(&ports, &root, "json", EXIT_OK));
    assert_eq!(
        state_of(&before, "etcd"),
        ("current".into(), "etcd-server".into())
    );
    assert_eq!(
        state_of(&before, "etcd-peer"),
        ("current".into(), "etcd-peer".into())
    );
    assert_eq!(
        state_of(&before, "kube-apiserver"),
        ("current".into(), "apiserver".into())
    );
    assert_eq!(state_of(&before, "kubelet").0, "not-running");

    expect(&["renew", "--root", root_arg], EXIT_OK);

    // Still running with what it loaded: outdated, exit 1, each named on stderr.
    let stale = live(&ports, &root, "json", EXIT_ATTENTION);
    let after = states(&stale);
    assert_eq!(
        state_of(&after, "etcd"),
        ("outdated".into(), "etcd-server".into())
    );
    assert_eq!(
        state_of(&after, "etcd-peer"),
        ("outdated".into(), "etcd-peer".into())
    );
    assert_eq!(
        state_of(&after, "kube-apiserver"),
        ("outdated".into(), "apiserver".into())
    );
    assert_eq!(json(&stale)["outdated"], 3);
    let err = stderr(&stale);
    assert!(
        err.contains("3 components serve") && err.contains("etcd:"),
        "{err}"
    );
    // Every format says the same (and exits the same).
    let table = stdout(&live(&ports, &root, "table", EXIT_ATTENTION));
    assert!(
        table.contains("outdated") && table.contains("restart"),
        "{table}"
    );
    let yaml_out = live(&ports, &root, "yaml", EXIT_ATTENTION);
    assert_eq!(yaml(&stdout(&yaml_out))["outdated"], 3);
    let prom = stdout(&live(&ports, &root, "prometheus", EXIT_ATTENTION));
    assert!(
        prom.contains("kcert_live_outdated{component=\"etcd\"") && prom.contains("\"} 1"),
        "{prom}"
    );

    // Restarted with the renewed pairs: current again.
    drop(running);
    let _running = start(&load(&pki, &dir.path().join("loaded-after")), &data, &ports);
    let restarted = states(&live(&ports, &root, "json", EXIT_OK));
    for component in ["etcd", "etcd-peer", "kube-apiserver"] {
        assert_eq!(state_of(&restarted, component).0, "current", "{component}");
    }
}

#[test]
fn live_options_are_checked_and_need_live() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "kubeadm", &[]);
    let root_arg = root.to_str().expect("utf-8");
    for bad in ["apiserver=6443", "etcd=0", "etcd=70000", "etcd"] {
        let out = expect(
            &["check", "--root", root_arg, "--live", "--live-port", bad],
            EXIT_USAGE,
        );
        assert!(stderr(&out).contains("--live-port"), "{}", stderr(&out));
    }
    let out = expect(
        &["check", "--root", root_arg, "--live-port", "etcd=2379"],
        EXIT_USAGE,
    );
    assert!(stderr(&out).contains("--live"), "{}", stderr(&out));
    let help = stdout(&expect(&["check", "--help"], EXIT_OK));
    assert!(
        help.contains("--live") && help.contains("outdated"),
        "{help}"
    );
}
