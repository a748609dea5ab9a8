//! Helpers of the handoff tests: a control-plane tree and nodes made from its CAs without their
//! keys (a kubeadm worker, a kubespray etcd-only host), snapshots of files to prove what did not
//! change. The servers that judge an installed certificate are in `server_support`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
