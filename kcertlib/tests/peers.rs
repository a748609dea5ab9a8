//! Real peers judge a renewed tree: an etcd server with mutual TLS, and kubectl against a TLS
//! server that requires client certificates. Both run on free loopback ports and are stopped by
//! PID when the test ends, whatever happens.
//!
//! etcd, etcdctl, kubectl and openssl are installed by `testing/install-deps.sh`.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kcertlib::fixture::{FixtureLayout, FixtureOptions, build};
use kcertlib::renew::{RenewOptions, renew};

/// A child process killed (by PID) and reaped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_for_port(port: u16, server: &mut Server, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("{what} exited early with {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not listen on 127.0.0.1:{port} within 20 s");
}

fn need(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is not installed: run testing/install-deps.sh"
    );
}

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
    let mut server = Server(
        Command::new("etcd")
            .args(["--name", "node1", "--data-dir"])
            .arg(&data)
            .args([
                format!("--listen-client-urls=https://127.0.0.1:{client_port}"),
                format!("--advertise-client-urls=https://127.0.0.1:{client_port}"),
                format!("--listen-peer-urls=https://127.0.0.1:{peer_port}"),
                format!("--initial-advertise-peer-urls=https://127.0.0.1:{peer_port}"),
                format!("--initial-cluster=node1=https://127.0.0.1:{peer_port}"),
                format!("--cert-file={}", p("server.crt")),
                format!("--key-file={}", p("server.key")),
                format!("--trusted-ca-file={}", p("ca.crt")),
                "--client-cert-auth".into(),
                format!("--peer-cert-file={}", p("peer.crt")),
                format!("--peer-key-file={}", p("peer.key")),
                format!("--peer-trusted-ca-file={}", p("ca.crt")),
                "--peer-client-cert-auth".into(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd starts"),
    );
    wait_for_port(client_port, &mut server, "etcd");

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
