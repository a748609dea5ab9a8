//! Bad trees: each fault is reported in its own entry, with a reason naming the file, and the
//! rest of the node is still inventoried.

mod inventory_support;

use inventory_support::*;
use kcertlib::*;

/// A kubeadm control plane with every leaf sound, to break one thing at a time.
fn sound_tree() -> Tree {
    let tree = Tree::new();
    kubeadm_tree(&tree, "etc/kubernetes/pki", true);
    tree
}

/// Everything but `broken` is still read and verified.
fn assert_rest_processed(inv: &Inventory, broken: &[&str]) {
    for name in [
        "apiserver",
        "front-proxy-client",
        "etcd-peer",
        "scheduler.conf",
    ] {
        if !broken.contains(&name) {
            assert_sound(inv, name, entry(inv, name).ca_name.as_deref());
            assert_eq!(entry(inv, name).status, EntryStatus::Expired, "{name}");
        }
    }
}

#[test]
fn missing_ca_key() {
    let tree = sound_tree();
    tree.remove("etc/kubernetes/pki/etcd/ca.key");
    let inv = tree.scan();
    let ca = entry(&inv, "etcd-ca");
    assert!(ca.externally_managed);
    assert_eq!(ca.status, EntryStatus::Ok);
    let reason = ca.problems.join("\n");
    assert!(
        reason.contains("etc/kubernetes/pki/etcd/ca.key: CA key is absent"),
        "{reason}"
    );
    assert!(entry(&inv, "etcd-peer").externally_managed);
    assert!(!entry(&inv, "apiserver").externally_managed);
    assert_rest_processed(&inv, &["etcd-peer"]);
}

#[test]
fn key_not_matching_its_certificate() {
    let tree = sound_tree();
    // apiserver.key replaced by another valid key.
    let other = PrivateKey::generate(&KeyAlgorithm::P256).expect("key");
    tree.write(
        "etc/kubernetes/pki/apiserver.key",
        other.to_pem().expect("pem").as_bytes(),
    );
    // admin.conf's embedded key swapped for scheduler.conf's.
    let admin = kcertlib::Kubeconfig::load(tree.path("etc/kubernetes/admin.conf")).expect("load");
    let scheduler =
        kcertlib::Kubeconfig::load(tree.path("etc/kubernetes/scheduler.conf")).expect("load");
    let old = admin.users()[0]
        .client_key_data_base64
        .clone()
        .expect("key data");
    let new = scheduler.users()[0]
        .client_key_data_base64
        .clone()
        .expect("key data");
    tree.write(
        "etc/kubernetes/admin.conf",
        admin.with_replaced_value(&old, &new).expect("rewrite"),
    );
    let inv = tree.scan();
    let apiserver = entry(&inv, "apiserver");
    assert_eq!(apiserver.key_matches, Some(false));
    assert_eq!(apiserver.status, EntryStatus::Expired, "still read");
    assert_eq!(apiserver.chain_verifies, Some(true));
    let reason = apiserver.problems.join("\n");
    assert!(
        reason
            .contains("etc/kubernetes/pki/apiserver.key: key does not match certificate apiserver"),
        "{reason}"
    );
    let admin = entry(&inv, "admin.conf");
    assert_eq!(admin.key_matches, Some(false));
    let reason = admin.problems.join("\n");
    assert!(
        reason.contains("admin.conf (user \"kubernetes-admin\"): key does not match"),
        "{reason}"
    );
    assert_rest_processed(&inv, &["apiserver"]);
}

#[test]
fn malformed_kubeconfig_yaml() {
    let tree = sound_tree();
    let path = tree.write(
        "etc/kubernetes/controller-manager.conf",
        "apiVersion: v1\nusers:\n- name: x\n  user: [unclosed\n",
    );
    let inv = tree.scan();
    let e = entry(&inv, "controller-manager.conf");
    assert_eq!(e.status, EntryStatus::Error);
    assert!(e.certificate.is_none());
    let reason = e.problems.join("\n");
    assert!(
        reason.contains(&format!("{}: malformed kubeconfig YAML", path.display())),
        "{reason}"
    );
    assert_rest_processed(&inv, &[]);
    assert_sound(&inv, "admin.conf", Some("ca"));
}

#[test]
fn dangling_symlink() {
    let tree = sound_tree();
    // kubelet rotated to a file that was since deleted.
    tree.remove("var/lib/kubelet/pki/kubelet-client-2024-01-01-00-00-00.pem");
    // And a certificate replaced by a link out of the tree, which must not be followed.
    tree.remove("etc/kubernetes/pki/front-proxy-client.crt");
    tree.symlink("etc/kubernetes/pki/front-proxy-client.crt", "/etc/hostname");
    let inv = tree.scan();
    let kubelet = entry(&inv, "kubelet-client-current");
    assert_eq!(kubelet.status, EntryStatus::Error);
    let reason = kubelet.problems.join("\n");
    assert!(reason.contains("dangling symlink"), "{reason}");
    assert!(reason.contains("kubelet-client-current.pem"), "{reason}");
    assert!(
        reason.contains("/var/lib/kubelet/pki/kubelet-client-2024-01-01-00-00-00.pem"),
        "{reason}"
    );
    let fp = entry(&inv, "front-proxy-client");
    assert_eq!(fp.status, EntryStatus::Error);
    assert!(
        fp.problems.join("\n").contains("dangling symlink"),
        "{:?}",
        fp.problems
    );
    assert_rest_processed(&inv, &["front-proxy-client"]);
}

#[test]
fn unreadable_and_unparsable_files() {
    let tree = sound_tree();
    // A directory where a certificate should be: reading fails even for root.
    tree.remove("etc/kubernetes/pki/etcd/peer.crt");
    std::fs::create_dir(tree.path("etc/kubernetes/pki/etcd/peer.crt")).expect("mkdir");
    // Garbage instead of a certificate.
    tree.write(
        "etc/kubernetes/pki/apiserver.crt",
        "-----BEGIN CERTIFICATE-----\n%%%\n",
    );
    // A key that cannot be parsed.
    tree.write("etc/kubernetes/pki/front-proxy-client.key", "not a key");
    let inv = tree.scan();
    let peer = entry(&inv, "etcd-peer");
    assert_eq!(peer.status, EntryStatus::Error);
    let reason = peer.problems.join("\n");
    assert!(
        reason.contains("etc/kubernetes/pki/etcd/peer.crt: cannot be read"),
        "{reason}"
    );
    let apiserver = entry(&inv, "apiserver");
    assert_eq!(apiserver.status, EntryStatus::Error);
    assert!(
        apiserver
            .problems
            .join("\n")
            .contains("etc/kubernetes/pki/apiserver.crt: "),
        "{:?}",
        apiserver.problems
    );
    let fp = entry(&inv, "front-proxy-client");
    assert_eq!(fp.status, EntryStatus::Expired);
    assert_eq!(fp.key_matches, None);
    assert!(
        fp.problems.join("\n").contains("front-proxy-client.key: "),
        "{:?}",
        fp.problems
    );
    assert_rest_processed(&inv, &["etcd-peer", "apiserver", "front-proxy-client"]);
}

const UNPRIVILEGED_ROOT_ENV: &str = "KCERT_UNPRIVILEGED_SCAN_ROOT";

/// Permissions stop reads only for an unprivileged user, so the scan runs in a child process
/// (this test binary, `--exact unprivileged_scan_child`) as `nobody`, through `setpriv`. As
/// root, the test arranges that; as anyone else it runs the scan directly.
#[test]
fn permission_denied_is_reported_to_an_unprivileged_scan() {
    use std::os::unix::fs::PermissionsExt;
    let tree = sound_tree();
    let path = tree.path("etc/kubernetes/pki/apiserver-kubelet-client.crt");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let mut command = if std::fs::read(&path).is_ok() {
        // Root (or another user who can read mode 000): drop to nobody. The temporary
        // directories on the way must let nobody in.
        for dir in tree
            .root
            .ancestors()
            .take_while(|d| d.starts_with(std::env::temp_dir()))
        {
            if dir != std::env::temp_dir() {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod dir");
            }
        }
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        c.arg(std::env::current_exe().expect("test binary"));
        c
    } else {
        std::process::Command::new(std::env::current_exe().expect("test binary"))
    };
    let out = command
        .args([
            "--exact",
            "unprivileged_scan_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(UNPRIVILEGED_ROOT_ENV, &tree.root)
        .output()
        .expect("child runs (setpriv is in util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "the unprivileged scan failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("unprivileged scan checked"), "{stdout}");
}

/// Not a test on its own: the unprivileged half of the test above.
#[test]
fn unprivileged_scan_child() {
    let Some(root) = std::env::var_os(UNPRIVILEGED_ROOT_ENV) else {
        return;
    };
    let path = std::path::Path::new(&root).join("etc/kubernetes/pki/apiserver-kubelet-client.crt");
    assert!(std::fs::read(&path).is_err(), "mode 000 stops this user");
    let inv = kcertlib::inventory::scan(std::path::Path::new(&root), &options()).expect("scan");
    let e = entry(&inv, "apiserver-kubelet-client");
    assert_eq!(e.status, EntryStatus::Error);
    assert!(
        e.problems.join("\n").contains("cannot be read"),
        "{:?}",
        e.problems
    );
    assert_rest_processed(&inv, &[]);
    println!("unprivileged scan checked");
}

#[test]
fn missing_required_files_are_reported() {
    let tree = sound_tree();
    tree.remove("etc/kubernetes/pki/apiserver.crt");
    tree.remove("etc/kubernetes/scheduler.conf");
    tree.remove("etc/kubernetes/pki/front-proxy-client.key");
    let inv = tree.scan();
    let apiserver = entry(&inv, "apiserver");
    assert_eq!(apiserver.status, EntryStatus::Missing);
    assert!(
        apiserver
            .problems
            .join("\n")
            .contains("pki/apiserver.crt: missing"),
        "{:?}",
        apiserver.problems
    );
    let scheduler = entry(&inv, "scheduler.conf");
    assert_eq!(scheduler.status, EntryStatus::Missing);
    assert!(!scheduler.problems.is_empty());
    let fp = entry(&inv, "front-proxy-client");
    assert_eq!(fp.key_matches, None);
    assert!(
        fp.problems
            .join("\n")
            .contains("front-proxy-client.key: key is missing"),
        "{:?}",
        fp.problems
    );
    assert_sound(&inv, "etcd-peer", Some("etcd-ca"));
}
