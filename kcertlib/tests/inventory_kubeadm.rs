//! `scan` on kubeadm trees built here with the core API: control plane, external CA, external
//! etcd, worker node; and on the openssl-made tree of `testing/openssl-tree.sh` when the tools
//! are installed.

mod inventory_support;

use inventory_support::*;
use kcertlib::*;

const CONTROL_PLANE_NAMES: &[&str] = &[
    "admin.conf",
    "apiserver",
    "apiserver-etcd-client",
    "apiserver-kubelet-client",
    "ca",
    "controller-manager.conf",
    "etcd-ca",
    "etcd-healthcheck-client",
    "etcd-peer",
    "etcd-server",
    "front-proxy-ca",
    "front-proxy-client",
    "kubelet-client-current",
    "kubelet-serving",
    "scheduler.conf",
    "super-admin.conf",
];

#[test]
fn control_plane_entries_names_cas_and_statuses() {
    let tree = Tree::new();
    kubeadm_tree(&tree, "etc/kubernetes/pki", true);
    let inv = tree.scan();
    assert_eq!(inv.distributions, [Distribution::Kubeadm]);
    assert_eq!(inv.root, tree.root);
    assert_eq!(inv.scanned_at, now());
    assert_eq!(names(&inv), CONTROL_PLANE_NAMES);

    for (name, ca) in [
        ("apiserver", "ca"),
        ("apiserver-kubelet-client", "ca"),
        ("apiserver-etcd-client", "etcd-ca"),
        ("front-proxy-client", "front-proxy-ca"),
        ("etcd-server", "etcd-ca"),
        ("etcd-peer", "etcd-ca"),
        ("etcd-healthcheck-client", "etcd-ca"),
        ("admin.conf", "ca"),
        ("controller-manager.conf", "ca"),
        ("scheduler.conf", "ca"),
        ("kubelet-client-current", "ca"),
    ] {
        assert_sound(&inv, name, Some(ca));
        let e = entry(&inv, name);
        assert_eq!(e.kind, EntryKind::Leaf, "{name}");
        assert_eq!(e.status, EntryStatus::Expired, "{name}");
        assert!(e.residual_seconds.is_some_and(|r| r < 0), "{name}");
        assert!(!e.externally_managed, "{name}");
        assert_eq!(e.distribution, Distribution::Kubeadm);
    }
    for name in ["ca", "front-proxy-ca", "etcd-ca"] {
        assert_sound(&inv, name, None);
        let e = entry(&inv, name);
        assert_eq!(e.kind, EntryKind::Ca);
        assert_eq!(e.status, EntryStatus::Ok);
    }
    assert_eq!(inv.cas().len(), 3);
    assert_eq!(inv.leaves().len(), CONTROL_PLANE_NAMES.len() - 3);
    assert!(inv.any_expired());

    // Absent on every control-plane node but the first: missing, and not a problem.
    let super_admin = entry(&inv, "super-admin.conf");
    assert_eq!(super_admin.status, EntryStatus::Missing);
    assert!(
        super_admin.problems.is_empty(),
        "{:?}",
        super_admin.problems
    );
    assert!(super_admin.certificate.is_none());

    // Locations as the contract describes them.
    let pki = tree.path("etc/kubernetes/pki");
    assert_eq!(
        entry(&inv, "etcd-peer").cert,
        Location::File(pki.join("etcd/peer.crt"))
    );
    assert_eq!(
        entry(&inv, "etcd-peer").key,
        Some(Location::File(pki.join("etcd/peer.key")))
    );
    assert_eq!(
        entry(&inv, "admin.conf").cert,
        Location::KubeconfigEmbedded {
            kubeconfig: tree.path("etc/kubernetes/admin.conf"),
            user: "kubernetes-admin".into()
        }
    );
    let current = tree.path("var/lib/kubelet/pki/kubelet-client-current.pem");
    let kubelet = entry(&inv, "kubelet-client-current");
    assert_eq!(kubelet.cert, Location::Combined(current.clone()));
    assert_eq!(kubelet.key, Some(Location::Combined(current)));
    assert_eq!(kubelet.restart, ["kubelet"]);
    // kubelet.conf only points at the pem: it is not listed twice.
    assert!(inv.get("kubelet.conf").is_none());

    // The self-signed serving cert: its CA is the next cert of the file, whose key is gone.
    let serving = entry(&inv, "kubelet-serving");
    assert_eq!(serving.chain_verifies, Some(true));
    assert_eq!(serving.ca_name, None);
    assert!(serving.externally_managed);
    assert_eq!(serving.status, EntryStatus::Ok);

    assert_eq!(entry(&inv, "apiserver").restart, ["kube-apiserver"]);
    assert_eq!(entry(&inv, "etcd-peer").restart, ["etcd"]);
    assert_eq!(entry(&inv, "scheduler.conf").restart, ["kube-scheduler"]);
}

#[test]
fn statuses_follow_the_warning_window() {
    let tree = Tree::new();
    kubeadm_tree(&tree, "etc/kubernetes/pki", false);
    let inv = tree.scan();
    // Issued a day before NOW for 365 days: 364 days left, outside the default 30 days.
    assert_eq!(entry(&inv, "apiserver").status, EntryStatus::Ok);
    let wide = ScanOptions::default()
        .with_warn_within(std::time::Duration::from_secs(400 * 86_400))
        .at(now())
        .with_threads(Threads::ONE);
    let inv = scan(&tree.root, &wide).expect("scan");
    assert_eq!(entry(&inv, "apiserver").status, EntryStatus::Warning);
    assert_eq!(entry(&inv, "ca").status, EntryStatus::Ok);
    let early = ScanOptions::default().at(now().minus(std::time::Duration::from_secs(10 * 86_400)));
    let inv = scan(&tree.root, &early).expect("scan");
    assert_eq!(entry(&inv, "apiserver").status, EntryStatus::NotYetValid);
}

#[test]
fn external_ca_is_externally_managed_not_an_error() {
    let tree = Tree::new();
    kubeadm_tree(&tree, "etc/kubernetes/pki", true);
    tree.remove("etc/kubernetes/pki/ca.key");
    let inv = tree.scan();
    let ca = entry(&inv, "ca");
    assert!(ca.externally_managed);
    assert_eq!(ca.key_matches, None);
    assert_eq!(ca.status, EntryStatus::Ok);
    assert!(
        ca.problems
            .iter()
            .any(|p| p.contains("pki/ca.key") && p.contains("externally managed")),
        "{:?}",
        ca.problems
    );
    for name in ["apiserver", "admin.conf", "kubelet-client-current"] {
        let e = entry(&inv, name);
        assert!(e.externally_managed, "{name}");
        assert_eq!(e.chain_verifies, Some(true), "{name}");
        assert!(e.problems.is_empty(), "{name}: {:?}", e.problems);
    }
    // The other CAs still have their keys.
    assert!(!entry(&inv, "front-proxy-client").externally_managed);
    assert!(!entry(&inv, "etcd-peer").externally_managed);
}

#[test]
fn external_etcd_has_no_etcd_entries() {
    let tree = Tree::new();
    kubeadm_tree(&tree, "etc/kubernetes/pki", true);
    std::fs::remove_dir_all(tree.path("etc/kubernetes/pki/etcd")).expect("rm etcd");
    tree.remove("etc/kubernetes/pki/apiserver-etcd-client.crt");
    let inv = tree.scan();
    for gone in [
        "etcd-ca",
        "etcd-server",
        "etcd-peer",
        "etcd-healthcheck-client",
        "apiserver-etcd-client",
    ] {
        assert!(inv.get(gone).is_none(), "{gone} listed with external etcd");
    }
    assert_sound(&inv, "apiserver", Some("ca"));

    // A client cert for the external etcd, signed by a CA that is not on this node.
    let external = new_ca("external-etcd-ca");
    tree.leaf(
        &external,
        "CN=kube-apiserver-etcd-client",
        Profile::Client,
        false,
        "etc/kubernetes/pki/apiserver-etcd-client.crt",
        "etc/kubernetes/pki/apiserver-etcd-client.key",
    );
    let inv = tree.scan();
    let e = entry(&inv, "apiserver-etcd-client");
    assert_eq!(e.status, EntryStatus::Ok);
    assert_eq!(e.ca_name, None);
    assert_eq!(e.chain_verifies, None);
    assert!(e.externally_managed);
    assert_eq!(e.key_matches, Some(true));
    let reason = e.problems.join("\n");
    assert!(
        reason
            .contains("no CA certificate on this node issued it (issuer \"CN=external-etcd-ca\")"),
        "{reason}"
    );
}

#[test]
fn worker_node_lists_only_what_a_worker_has() {
    let tree = Tree::new();
    let ca = tree.ca("kubernetes", "etc/kubernetes/pki/ca.crt", None);
    kubelet_pki(&tree, &ca, false);
    let inv = tree.scan();
    assert_eq!(inv.distributions, [Distribution::Kubeadm]);
    assert_eq!(
        names(&inv),
        ["ca", "kubelet-client-current", "kubelet-serving"]
    );
    let ca = entry(&inv, "ca");
    // No CA key on a worker is normal: externally managed, no complaint.
    assert!(ca.externally_managed);
    assert!(ca.problems.is_empty(), "{:?}", ca.problems);
    let kubelet = entry(&inv, "kubelet-client-current");
    assert_eq!(kubelet.ca_name.as_deref(), Some("ca"));
    assert_eq!(kubelet.status, EntryStatus::Ok);
    assert!(kubelet.problems.is_empty(), "{:?}", kubelet.problems);
}

#[test]
fn embedded_kubelet_conf_is_its_own_entry_and_unknown_certs_are_listed() {
    let tree = Tree::new();
    let [ca, fp, _] = kubeadm_tree(&tree, "etc/kubernetes/pki", false);
    // A pre-1.17 kubelet.conf with embedded data.
    let node = new_leaf(
        &ca,
        "CN=system:node:node1,O=system:nodes",
        Profile::Client,
        true,
    );
    tree.embedded_kubeconfig(
        "etc/kubernetes/kubelet.conf",
        "system:node:node1",
        &ca,
        &node,
    );
    // Someone's extra certificate in the PKI directory, signed by the front-proxy CA.
    tree.leaf(
        &fp,
        "CN=metrics-proxy",
        Profile::Client,
        true,
        "etc/kubernetes/pki/metrics-proxy.crt",
        "etc/kubernetes/pki/metrics-proxy.key",
    );
    let inv = tree.scan();
    let kubelet_conf = entry(&inv, "kubelet.conf");
    assert_eq!(kubelet_conf.status, EntryStatus::Expired);
    assert_eq!(kubelet_conf.restart, ["kubelet"]);
    assert_sound(&inv, "kubelet.conf", Some("ca"));
    assert_eq!(
        entry(&inv, "kubelet-client-current").status,
        EntryStatus::Ok
    );

    let extra = entry(&inv, "etc/kubernetes/pki/metrics-proxy.crt");
    assert_sound(
        &inv,
        "etc/kubernetes/pki/metrics-proxy.crt",
        Some("front-proxy-ca"),
    );
    assert_eq!(extra.kind, EntryKind::Leaf);
    assert_eq!(extra.status, EntryStatus::Expired);
    // kubelet's dated history file is not an entry.
    assert!(
        !inv.entries
            .iter()
            .any(|e| e.name.contains("kubelet-client-2024")),
        "{:?}",
        names(&inv)
    );
}

#[test]
fn unexpected_subjects_and_signers_are_problems_not_failures() {
    let tree = Tree::new();
    let [_, fp, _] = kubeadm_tree(&tree, "etc/kubernetes/pki", true);
    // An apiserver cert signed by the wrong CA, without serverAuth, with another CN.
    tree.leaf(
        &fp,
        "CN=not-the-apiserver",
        Profile::Client,
        true,
        "etc/kubernetes/pki/apiserver.crt",
        "etc/kubernetes/pki/apiserver.key",
    );
    let inv = tree.scan();
    let e = entry(&inv, "apiserver");
    assert_eq!(e.status, EntryStatus::Expired);
    assert_eq!(e.ca_name.as_deref(), Some("front-proxy-ca"));
    assert_eq!(e.chain_verifies, Some(true));
    let text = e.problems.join("\n");
    assert!(
        text.contains("signed by CA front-proxy-ca, not by ca"),
        "{text}"
    );
    assert!(
        text.contains("CN is \"not-the-apiserver\", expected \"kube-apiserver\""),
        "{text}"
    );
    assert!(text.contains("extendedKeyUsage lacks serverAuth"), "{text}");
    assert!(text.contains("etc/kubernetes/pki/apiserver.crt"), "{text}");
}

/// The independent tree: openssl + faketime, kubeadm 1.29+ subjects, with a manifest.
#[test]
fn openssl_made_tree_is_inventoried_as_its_manifest_says() {
    let tools = ["openssl", "faketime"].iter().all(|t| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    assert!(
        tools,
        "openssl and faketime are needed (testing/install-deps.sh installs them)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("node");
    let manifest = dir.path().join("tree.json");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../testing/openssl-tree.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .args(["--kubelet-pki", "--manifest"])
        .arg(&manifest)
        .arg(&root)
        .output()
        .expect("openssl-tree.sh runs");
    assert!(
        out.status.success(),
        "openssl-tree.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).expect("manifest")).expect("json");
    let inv = scan(&root, &ScanOptions::default()).expect("scan");
    assert_eq!(inv.distributions, [Distribution::Kubeadm]);
    let entries = manifest["entries"].as_array().expect("entries");
    for m in entries {
        let name = m["name"].as_str().expect("name");
        // kubelet.conf references the pem: one entry, named after the pem.
        if name == "kubelet.conf" {
            assert!(inv.get("kubelet.conf").is_none());
            continue;
        }
        let e = entry(&inv, name);
        assert_eq!(
            e.ca_name.as_deref(),
            m["ca_name"].as_str(),
            "{name}: CA ({:?})",
            e.problems
        );
        let expired = m["expired"].as_bool().expect("expired");
        assert_eq!(
            e.status == EntryStatus::Expired,
            expired,
            "{name}: {:?}",
            e.status
        );
        assert_eq!(e.chain_verifies, Some(true), "{name}: {:?}", e.problems);
        assert!(e.problems.is_empty(), "{name}: {:?}", e.problems);
        let subject = m["subject"].as_str().expect("subject");
        let cert = e.certificate.as_ref().expect("certificate");
        assert_eq!(cert.subject(), subject, "{name}");
        if m["key"].is_string() {
            assert_eq!(e.key_matches, Some(true), "{name}");
        }
    }
    // Nothing beyond the manifest (sa.key has no certificate and is not an entry).
    assert_eq!(inv.entries.len(), entries.len() - 1, "{:?}", names(&inv));
}
