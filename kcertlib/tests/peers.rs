//! Real peers judge a renewed tree: an etcd server with mutual TLS, and kubectl against a TLS
//! server that requires client certificates. Both run on free loopback ports and are stopped by
//! PID when the test ends, whatever happens.
//!
//! etcd, etcdctl, kubectl and openssl are installed by `testing/install-deps.sh`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kcertlib::fixture::{FixtureLayout, FixtureOptions, build};
use kcertlib::renew::{RenewOptions, renew};

mod server_support;
use server_support::{EtcdFiles, Server, etcd, free_port, need, wait_for_port};

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
}

fn expired_kubeadm_tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("node");
    build(&root, FixtureLayout::Kubeadm, &FixtureOptions::default()).expect("fixture tree");
    (dir, root)
}

#[test]
fn etcd_accepts_renewed_client_certs_and_refuses_expired_ones() {
    need("etcd");
    need("etcdctl");
    let (dir, root) = expired_kubeadm_tree();
    let pki = root.join("etc/kubernetes/pki/etcd");
    let old = dir.path().join("old");
    std::fs::create_dir(&old).expect("mkdir");
    copy(&pki.join("healthcheck-client.crt"), &old.join("client.crt"));
    copy(&pki.join("healthcheck-client.key"), &old.join("client.key"));

    let report = renew(&root, &RenewOptions::default()).expect("renew");
    assert!(
        report.changed,
        "renewal changed nothing: {}",
        report.to_json()
    );

    let (client_port, peer_port) = (free_port(), free_port());
    let data = dir.path().join("etcd-data");
    let p = |f: &str| pki.join(f).display().to_string();
    let files = EtcdFiles {
        server_cert: &pki.join("server.crt"),
        server_key: &pki.join("server.key"),
        peer: Some((&pki.join("peer.crt"), &pki.join("peer.key"))),
        ca: &pki.join("ca.crt"),
    };
    let _server = etcd(&files, &data, client_port, peer_port);

    let health = |cert: &Path, key: &Path| {
        Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args([
                format!("--endpoints=https://127.0.0.1:{client_port}"),
                format!("--cacert={}", p("ca.crt")),
                format!("--cert={}", cert.display()),
                format!("--key={}", key.display()),
                "--command-timeout=5s".into(),
                "--dial-timeout=5s".into(),
                "endpoint".into(),
                "health".into(),
            ])
            .output()
            .expect("etcdctl runs")
    };
    let mut ok = health(
        &pki.join("healthcheck-client.crt"),
        &pki.join("healthcheck-client.key"),
    );
    // A fresh single-member etcd may need a moment to elect itself.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ok.status.success() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
        ok = health(
            &pki.join("healthcheck-client.crt"),
            &pki.join("healthcheck-client.key"),
        );
    }
    assert!(
        ok.status.success(),
        "renewed client cert refused: {}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    let refused = health(&old.join("client.crt"), &old.join("client.key"));
    assert!(
        !refused.status.success(),
        "etcd accepted the expired client certificate"
    );
}

#[test]
fn kubectl_works_through_the_renewed_admin_conf_and_not_before() {
    need("kubectl");
    need("openssl");
    let (dir, root) = expired_kubeadm_tree();
    let k8s = root.join("etc/kubernetes");
    let port = free_port();
    let point_at_port = |conf: &Path, out: &Path| {
        let text = std::fs::read_to_string(conf).expect("admin.conf");
        let text = text.replace(
            "https://127.0.0.1:6443",
            &format!("https://127.0.0.1:{port}"),
        );
        assert!(
            text.contains(&format!("127.0.0.1:{port}")),
            "admin.conf has no 127.0.0.1:6443 server"
        );
        std::fs::write(out, text).expect("write");
    };
    let before = dir.path().join("admin-before.conf");
    point_at_port(&k8s.join("admin.conf"), &before);

    renew(&root, &RenewOptions::default()).expect("renew");
    let after = dir.path().join("admin-after.conf");
    point_at_port(&k8s.join("admin.conf"), &after);

    let pki = k8s.join("pki");
    let mut server = Server(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(port.to_string())
            .arg("-cert")
            .arg(pki.join("apiserver.crt"))
            .arg("-key")
            .arg(pki.join("apiserver.key"))
            .arg("-CAfile")
            .arg(pki.join("ca.crt"))
            .args(["-Verify", "1", "-verify_return_error"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts"),
    );
    wait_for_port(port, &mut server, "openssl s_server");
    let kubectl = |conf: &Path| {
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(conf)
            .args(["get", "--raw", "/version", "--request-timeout=10s"])
            .output()
            .expect("kubectl runs")
    };
    let ok = kubectl(&after);
    assert!(
        ok.status.success(),
        "kubectl with the renewed admin.conf failed: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let refused = kubectl(&before);
    assert!(
        !refused.status.success(),
        "the expired admin.conf was accepted"
    );
}
