//! Helpers of the handoff tests: a control-plane tree and nodes made from its CAs without their
//! keys (a kubeadm worker, a kubespray etcd-only host), snapshots of files to prove what did not
//! change, and a real TLS server that trusts a CA to judge an installed client certificate.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kcertlib::fixture::{self, FixtureLayout, FixtureOptions};

/// A control-plane tree of `layout` (expired leaves, valid CAs) in a temp dir.
pub fn control_plane(layout: FixtureLayout, etcd_hosts: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path())
        .expect("canon")
        .join("control-plane");
    let options = FixtureOptions::default().with_etcd_hosts(etcd_hosts);
    fixture::build(&root, layout, &options).expect("fixture");
    (dir, root)
}

/// Copies `files` (paths relative to the roots) from `from` into a new root `to`, symlinks as
/// symlinks with the same target (kubelet's absolute in-root target stays valid), modes kept.
pub fn node_from(from: &Path, to: &Path, files: &[&str]) {
    for rel in files {
        let (src, dst) = (from.join(rel), to.join(rel));
        std::fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
        let meta =
            std::fs::symlink_metadata(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&src).expect("readlink");
            std::os::unix::fs::symlink(target, &dst).expect("symlink");
        } else {
            std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
        }
    }
}

/// A kubeadm worker made from `control_plane`: `ca.crt` (no `ca.key`), `kubelet.conf` and
/// kubelet's pki directory, as `kubeadm join` leaves a worker.
pub fn kubeadm_worker(control_plane: &Path, worker: &Path) {
    let pki = control_plane.join("var/lib/kubelet/pki");
    let mut files = vec![
        "etc/kubernetes/pki/ca.crt".to_string(),
        "etc/kubernetes/kubelet.conf".to_string(),
    ];
    for name in std::fs::read_dir(&pki).expect("kubelet pki") {
        let name = name.expect("entry").file_name();
        files.push(format!("var/lib/kubelet/pki/{}", name.to_string_lossy()));
    }
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    node_from(control_plane, worker, &refs);
}

/// A kubespray etcd-only host `host` made from `control_plane`: the etcd CA certificate (no
/// `ca-key.pem`) and the host's own member, admin and node certificates with their keys.
pub fn kubespray_etcd_host(control_plane: &Path, host_root: &Path, host: &str) {
    let dir = "etc/ssl/etcd/ssl";
    let mut files = vec![format!("{dir}/ca.pem")];
    for role in ["admin", "member", "node"] {
        files.push(format!("{dir}/{role}-{host}.pem"));
        files.push(format!("{dir}/{role}-{host}-key.pem"));
    }
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    node_from(control_plane, host_root, &refs);
}

/// Where the in-root symlink `link` (kubelet's absolute `/var/lib/kubelet/pki/...` target,
/// meant from the node's `/`) points, on the host: the same name beside it.
pub fn in_root_target(link: &Path) -> PathBuf {
    let target = std::fs::read_link(link).expect("readlink");
    link.with_file_name(target.file_name().expect("target name"))
}

/// Every regular file under `root` with its bytes (symlinks by their target).
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("lstat");
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).expect("readlink");
                out.insert(rel, target.to_string_lossy().as_bytes().to_vec());
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// The files of a snapshot whose name says they hold a key.
pub fn key_files(snapshot: &BTreeMap<PathBuf, Vec<u8>>) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot
        .iter()
        .filter(|(p, _)| {
            let name = p.to_string_lossy();
            name.ends_with(".key") || name.ends_with("-key.pem")
        })
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect()
}

/// Panics when `text` (a file that crossed between two machines) holds a private key.
pub fn assert_no_private_key(what: &str, text: &str) {
    assert!(
        !text.contains("PRIVATE KEY"),
        "{what} holds a private key:\n{text}"
    );
}

/// A child process killed (by PID) and reaped when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
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
    let mut server = Server(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(port.to_string())
            .arg("-cert")
            .arg(&server_cert)
            .arg("-key")
            .arg(&server_key)
            .arg("-CAfile")
            .arg(ca)
            .args(["-Verify", "1", "-verify_return_error"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts"),
    );
    wait_for_port(port, &mut server, "openssl s_server");
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
    need("etcd");
    need("etcdctl");
    let data = tempfile::tempdir().expect("tempdir");
    let (client_port, peer_port) = (free_port(), free_port());
    let p = |path: &Path| path.display().to_string();
    let mut etcd = Server(
        Command::new("etcd")
            .args(["--name", "node2", "--data-dir"])
            .arg(data.path().join("etcd"))
            .args([
                format!("--listen-client-urls=https://127.0.0.1:{client_port}"),
                format!("--advertise-client-urls=https://127.0.0.1:{client_port}"),
                format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"),
                format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"),
                format!("--initial-cluster=node2=http://127.0.0.1:{peer_port}"),
                format!("--cert-file={}", p(server.0)),
                format!("--key-file={}", p(server.1)),
                format!("--trusted-ca-file={}", p(ca)),
                "--client-cert-auth".into(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd starts"),
    );
    wait_for_port(client_port, &mut etcd, "etcd");
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
