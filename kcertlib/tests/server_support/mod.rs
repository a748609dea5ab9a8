//! Real servers for tests: etcd and `openssl s_server` on free loopback ports, each owned by a
//! guard that kills its process by PID and reaps it when dropped, whatever the test does.
//! Shared by kcertlib's tests and the `kcert` command's (included there by path).
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed (by PID) and reaped when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Waits (at most 20 s) until `server` accepts connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, server: &mut Server, what: &str) {
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

/// Fails the test with a pointer to the installer when `tool` is not on PATH.
pub fn need(tool: &str) {
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

/// The files an etcd member serves with: server and peer pairs and the CA they trust.
pub struct EtcdFiles<'a> {
    pub server_cert: &'a Path,
    pub server_key: &'a Path,
    pub peer_cert: &'a Path,
    pub peer_key: &'a Path,
    pub ca: &'a Path,
}

/// A single-member etcd with mutual TLS on 127.0.0.1:`client_port` (clients) and
/// `peer_port` (peers), its data in `data`; returns once the client port accepts connections.
pub fn etcd(files: &EtcdFiles, data: &Path, client_port: u16, peer_port: u16) -> Server {
    need("etcd");
    let p = |f: &Path| f.display().to_string();
    let mut server = Server(
        Command::new("etcd")
            .args(["--name", "node1", "--data-dir"])
            .arg(data)
            .args([
                format!("--listen-client-urls=https://127.0.0.1:{client_port}"),
                format!("--advertise-client-urls=https://127.0.0.1:{client_port}"),
                format!("--listen-peer-urls=https://127.0.0.1:{peer_port}"),
                format!("--initial-advertise-peer-urls=https://127.0.0.1:{peer_port}"),
                format!("--initial-cluster=node1=https://127.0.0.1:{peer_port}"),
                format!("--cert-file={}", p(files.server_cert)),
                format!("--key-file={}", p(files.server_key)),
                format!("--trusted-ca-file={}", p(files.ca)),
                "--client-cert-auth".into(),
                format!("--peer-cert-file={}", p(files.peer_cert)),
                format!("--peer-key-file={}", p(files.peer_key)),
                format!("--peer-trusted-ca-file={}", p(files.ca)),
                "--peer-client-cert-auth".into(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd starts"),
    );
    wait_for_port(client_port, &mut server, "etcd");
    server
}

/// `openssl s_server` serving `cert`/`key` on 127.0.0.1:`port` (`-www`); returns once it
/// accepts connections.
pub fn s_server(cert: &Path, key: &Path, port: u16) -> Server {
    need("openssl");
    let mut server = Server(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts"),
    );
    wait_for_port(port, &mut server, "openssl s_server");
    server
}
