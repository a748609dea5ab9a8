//! Renewal of a kubeadm node built by the openssl CLI and libfaketime (`testing/openssl-tree.sh`),
//! not by kcertlib: openssl's encodings, kubeconfigs written by a shell script, kubelet's pki
//! after kubelet-finalize. Judged like the generated layouts (openssl verify, judge.py compare,
//! kubeconfigs changed only inside base64 values, keys and CAs untouched).

mod renew_support;
mod txn_support;

use std::path::Path;
use std::process::Command;

use renew_support::*;

#[test]
fn an_openssl_built_kubeadm_node_renews_completely() {
    assert!(
        Command::new("faketime").arg("--version").output().is_ok(),
        "faketime is needed (testing/install-deps.sh installs it)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canon");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testing/openssl-tree.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg("--kubelet-pki")
        .arg(&root)
        .output()
        .expect("openssl-tree.sh runs");
    assert!(
        out.status.success(),
        "openssl-tree.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = scan(&root);
    assert!(
        before
            .leaves()
            .iter()
            .filter(|e| e.name != "kubelet-serving")
            .all(|e| e.status == kcertlib::inventory::EntryStatus::Expired),
        "the script built expired leaves"
    );
    renew_and_judge(&root, "openssl-tree", &[]);
}
