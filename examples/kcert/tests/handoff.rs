//! `kcert export`, `kcert sign` and `kcert install` through the built binary: a kubeadm worker
//! (no `ca.key`) renewed through its control plane, the files written 0600 and never over an
//! existing one without --force, exit 1 when the signing side refuses a request, exit 2 when
//! the node refuses a tampered certificate (nothing written).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use support::*;

/// A kubeadm worker made from the control plane `cp`: `ca.crt` without `ca.key`,
/// `kubelet.conf` and kubelet's pki directory (its in-root symlink copied as a symlink).
fn worker_of(cp: &Path, worker: &Path) {
    let mut files = vec![
        "etc/kubernetes/pki/ca.crt".to_string(),
        "etc/kubernetes/kubelet.conf".to_string(),
    ];
    for name in std::fs::read_dir(cp.join("var/lib/kubelet/pki")).expect("pki") {
        let name = name.expect("entry").file_name();
        files.push(format!("var/lib/kubelet/pki/{}", name.to_string_lossy()));
    }
    for rel in files {
        let (src, dst) = (cp.join(&rel), worker.join(&rel));
        std::fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
        let meta = std::fs::symlink_metadata(&src).expect("lstat");
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&src).expect("readlink");
            std::os::unix::fs::symlink(target, &dst).expect("symlink");
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

#[test]
fn a_worker_is_renewed_through_export_sign_and_install() {
    let dir = tempfile::tempdir().expect("tmp");
    let cp = fixture(dir.path(), "kubeadm", &[]);
    let worker = dir.path().join("worker");
    worker_of(&cp, &worker);
    let requests = dir.path().join("requests.json");
    let signed = dir.path().join("signed.json");

    let out = expect(
        &[
            "export",
            "--root",
            s(&worker),
            "--out",
            s(&requests),
            "-o",
            "json",
        ],
        EXIT_OK,
    );
    let summary = json(&out);
    assert_eq!(names(&summary["requests"]), ["kubelet-client-current"]);
    let mode = std::fs::metadata(&requests)
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "requests file mode {mode:o}");
    let text = std::fs::read_to_string(&requests).expect("read");
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    // Not over an existing file without --force.
    let out = expect(
        &["export", "--root", s(&worker), "--out", s(&requests)],
        EXIT_ERROR,
    );
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    expect(
        &[
            "export",
            "--root",
            s(&worker),
            "--out",
            s(&requests),
            "--force",
        ],
        EXIT_OK,
    );

    // The worker cannot sign for itself: refused, exit 1, the reason on the way.
    let refused = dir.path().join("refused.json");
    let out = expect(
        &[
            "sign",
            "--root",
            s(&worker),
            s(&requests),
            "--out",
            s(&refused),
        ],
        EXIT_ATTENTION,
    );
    assert!(
        stdout(&out).contains("not on this node"),
        "{}",
        stdout(&out)
    );

    let out = expect(
        &[
            "sign",
            "--root",
            s(&cp),
            s(&requests),
            "--out",
            s(&signed),
            "--days",
            "90",
            "-o",
            "json",
        ],
        EXIT_OK,
    );
    assert_eq!(json(&out)["signed"].as_array().map(Vec::len), Some(1));
    let text = std::fs::read_to_string(&signed).expect("read");
    assert!(!text.contains("PRIVATE KEY"), "{text}");

    // A tampered certificate (the control plane's own client certificate) is refused.
    let tampered = dir.path().join("tampered.json");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    let mut value = value;
    let other = std::fs::read_to_string(cp.join("etc/kubernetes/pki/apiserver-kubelet-client.crt"))
        .expect("read");
    value["signed"][0]["certificatePem"] = serde_json::Value::String(other);
    std::fs::write(&tampered, value.to_string()).expect("write");
    let out = expect(&["install", "--root", s(&worker), s(&tampered)], EXIT_ERROR);
    assert!(
        stderr(&out).contains("kubelet-client-current"),
        "{}",
        stderr(&out)
    );
    assert!(
        !worker.join("var/lib/kcert").exists(),
        "a refused install touched the node"
    );

    let out = expect(
        &[
            "install",
            "--root",
            s(&worker),
            s(&signed),
            "--dry-run",
            "-o",
            "json",
        ],
        EXIT_OK,
    );
    assert_eq!(json(&out)["changed"], false);
    let out = expect(
        &["install", "--root", s(&worker), s(&signed), "-o", "json"],
        EXIT_OK,
    );
    let report = json(&out);
    assert_eq!(names(&report["renewed"]), ["kubelet-client-current"]);
    assert!(report["manifest"].is_string(), "{report}");
    // Only kubelet's self-signed serving pair is left, which the worker renews itself.
    let out = expect(&["check", "--root", s(&worker)], EXIT_ATTENTION);
    assert!(stderr(&out).contains("kubelet-serving"), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("kubelet-client-current"),
        "{}",
        stderr(&out)
    );
    expect(
        &["renew", "--root", s(&worker), "--only", "kubelet-serving"],
        EXIT_OK,
    );
    expect(&["check", "--root", s(&worker)], EXIT_OK);
}
