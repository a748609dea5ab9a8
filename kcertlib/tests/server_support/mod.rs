//! Real servers for tests: etcd and `openssl s_server` on free loopback ports, each owned by a
//! guard that kills its process by PID and reaps it when dropped, whatever the test does; and
//! the judges built on them (does a server trusting a CA accept this client certificate?).
//! Shared by kcertlib's tests and the `kcert` command's (included there by path).
#![allow(dead_code)]

use std::ffi::OsStr;
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

/// The files an etcd member serves with: its server pair, its peer pair (`None`: the peer
/// port speaks plain HTTP, enough for a single member), and the CA it trusts.
pub struct EtcdFiles<'a> {
    pub server_cert: &'a Path,
    pub server_key: &'a Path,
    pub peer: Option<(&'a Path, &'a Path)>,
    pub ca: &'a Path,
}

/// A single-member etcd on 127.0.0.1:`client_port` (clients, mutual TLS) and `peer_port`
/// (peers: mutual TLS when `files.peer` is given), its data in `data`; returns once the client
/// port accepts connections.
pub fn etcd(files: &EtcdFiles, data: &Path, client_port: u16, peer_port: u16) -> Server {
    need("etcd");
    let p = |f: &Path| f.display().to_string();
    let peer_scheme = if files.peer.is_some() {
        "https"
    } else {
        "http"
    };
    let mut args = vec![
        format!("--listen-client-urls=https://127.0.0.1:{client_port}"),
        format!("--advertise-client-urls=https://127.0.0.1:{client_port}"),
        format!("--listen-peer-urls={peer_scheme}://127.0.0.1:{peer_port}"),
        format!("--initial-advertise-peer-urls={peer_scheme}://127.0.0.1:{peer_port}"),
        format!("--initial-cluster=node1={peer_scheme}://127.0.0.1:{peer_port}"),
        format!("--cert-file={}", p(files.server_cert)),
        format!("--key-file={}", p(files.server_key)),
        format!("--trusted-ca-file={}", p(files.ca)),
        "--client-cert-auth".into(),
    ];
    if let Some((peer_cert, peer_key)) = files.peer {
        args.extend([
            format!("--peer-cert-file={}", p(peer_cert)),
            format!("--peer-key-file={}", p(peer_key)),
            format!("--peer-trusted-ca-file={}", p(files.ca)),
            "--peer-client-cert-auth".into(),
        ]);
    }
    let mut server = Server(
        Command::new("etcd")
            .args(["--name", "node1", "--data-dir"])
            .arg(data)
            .args(args)
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
    s_server_with(cert, key, port, &[])
}

/// `s_server` with more arguments (`-CAfile`, `-Verify`, ...).
pub fn s_server_with(cert: &Path, key: &Path, port: u16, extra: &[&OsStr]) -> Server {
    need("openssl");
    let mut server = Server(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts"),
    );
    wait_for_port(port, &mut server, "openssl s_server");
    server
}

/// Whether a TLS server that trusts `ca` (and requires a client certificate, refusing one that
/// does not verify) accepts `cert` with `key`: `openssl s_server -Verify 1 -verify_return_error`
/// on a free loopback port, with a throwaway server certificate, and `openssl s_client` sending
/// a request; accepted when the server's `-www` page comes back.
pub fn tls_server_accepts(ca: &Path, cert: &Path, key: &Path) -> Result<(), String> {
    need("openssl");
    let dir = tempfile::tempdir().expect("tempdir");
    let (server_cert, server_key) = (dir.path().join("srv.crt"), dir.path().join("srv.key"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(&server_key)
        .arg("-out")
        .arg(&server_cert)
        .output()
        .expect("openssl req runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = free_port();
    let verify: [&OsStr; 5] = [
        "-CAfile".as_ref(),
        ca.as_os_str(),
        "-Verify".as_ref(),
        "1".as_ref(),
        "-verify_return_error".as_ref(),
    ];
    let _server = s_server_with(&server_cert, &server_key, port, &verify);
    // `timeout` bounds the client: a server that neither answers nor closes cannot hang the test.
    let mut client = Command::new("timeout")
        .args(["20", "openssl", "s_client", "-quiet", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client starts");
    {
        use std::io::Write;
        let mut stdin = client.stdin.take().expect("stdin");
        let _ = stdin.write_all(b"GET / HTTP/1.0\r\n\r\n");
    }
    let out = client.wait_with_output().expect("s_client output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stdout.contains("HTTP/1.0 200") {
        Ok(())
    } else {
        Err(format!(
            "refused: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Whether a real etcd, serving with `server_cert`/`server_key` and requiring client
/// certificates signed by `ca` (`--client-cert-auth`), answers `etcdctl endpoint health` made
/// with `client_cert`/`client_key`. etcd runs on free loopback ports, killed by PID afterwards;
/// a fresh member gets a bounded 20 s to elect itself.
pub fn etcd_accepts(
    ca: &Path,
    server: (&Path, &Path),
    client: (&Path, &Path),
) -> Result<(), String> {
    need("etcdctl");
    let data = tempfile::tempdir().expect("tempdir");
    let (client_port, peer_port) = (free_port(), free_port());
    let p = |path: &Path| path.display().to_string();
    let files = EtcdFiles {
        server_cert: server.0,
        server_key: server.1,
        peer: None,
        ca,
    };
    let _etcd = etcd(&files, &data.path().join("etcd"), client_port, peer_port);
    let health = || {
        Command::new("timeout")
            .args(["20", "etcdctl"])
            .env("ETCDCTL_API", "3")
            .args([
                format!("--endpoints=https://127.0.0.1:{client_port}"),
                format!("--cacert={}", p(ca)),
                format!("--cert={}", p(client.0)),
                format!("--key={}", p(client.1)),
                "--command-timeout=5s".into(),
                "--dial-timeout=5s".into(),
                "endpoint".into(),
                "health".into(),
            ])
            .output()
            .expect("etcdctl runs")
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut out = health();
    while !out.status.success() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
        out = health();
    }
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
