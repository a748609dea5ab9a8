//! Detection and naming for kubespray, RKE1, RKE2 and k3s trees built here with the core API,
//! and several layouts on one node.

mod inventory_support;

use inventory_support::*;
use kcertlib::*;

/// kubespray: kubeadm's tree in `ssl/` with `pki` a symlink to it, plus host-mode etcd.
fn kubespray_tree(tree: &Tree) -> Ca {
    kubeadm_tree(tree, "etc/kubernetes/ssl", true);
    // kubespray runs etcd on the host: no kubeadm etcd tree.
    std::fs::remove_dir_all(tree.path("etc/kubernetes/ssl/etcd")).expect("rm etcd");
    tree.remove("etc/kubernetes/ssl/apiserver-etcd-client.crt");
    tree.remove("etc/kubernetes/ssl/apiserver-etcd-client.key");
    tree.symlink("etc/kubernetes/pki", "/etc/kubernetes/ssl");
    let dir = "etc/ssl/etcd/ssl";
    let ca = tree.ca(
        "etcd-ca",
        &format!("{dir}/ca.pem"),
        Some(&format!("{dir}/ca-key.pem")),
    );
    for host in ["node1", "node2"] {
        for role in ["member", "admin", "node"] {
            tree.leaf(
                &ca,
                &format!("CN=etcd-{role}-{host}"),
                Profile::Etcd,
                true,
                &format!("{dir}/{role}-{host}.pem"),
                &format!("{dir}/{role}-{host}-key.pem"),
            );
        }
    }
    ca
}

#[test]
fn kubespray_reports_each_entry_once_with_host_mode_etcd() {
    let tree = Tree::new();
    kubespray_tree(&tree);
    let inv = tree.scan();
    assert_eq!(inv.distributions, [Distribution::Kubespray]);
    assert!(
        inv.entries
            .iter()
            .all(|e| e.distribution == Distribution::Kubespray)
    );
    let mut expected: Vec<String> = [
        "admin.conf",
        "apiserver",
        "apiserver-kubelet-client",
        "ca",
        "controller-manager.conf",
        "etcd-ca",
        "front-proxy-ca",
        "front-proxy-client",
        "kubelet-client-current",
        "kubelet-serving",
        "scheduler.conf",
        "super-admin.conf",
    ]
    .map(String::from)
    .to_vec();
    for host in ["node1", "node2"] {
        for role in ["member", "admin", "node"] {
            expected.push(format!("etcd-{role}-{host}"));
        }
    }
    expected.sort();
    assert_eq!(names(&inv), expected);
    // The kubeadm tree is read through ssl/, not twice through the pki symlink.
    assert_eq!(
        entry(&inv, "apiserver").cert,
        Location::File(tree.path("etc/kubernetes/ssl/apiserver.crt"))
    );
    assert_sound(&inv, "apiserver", Some("ca"));
    for name in ["etcd-member-node1", "etcd-admin-node2", "etcd-node-node1"] {
        assert_sound(&inv, name, Some("etcd-ca"));
        assert_eq!(entry(&inv, name).status, EntryStatus::Expired);
    }
    assert_eq!(entry(&inv, "etcd-member-node1").restart, ["etcd"]);
    assert_eq!(entry(&inv, "etcd-node-node1").restart, ["kube-apiserver"]);
    assert_eq!(
        entry(&inv, "etcd-member-node2").key,
        Some(Location::File(
            tree.path("etc/ssl/etcd/ssl/member-node2-key.pem")
        ))
    );
    assert_sound(&inv, "etcd-ca", None);
}

#[test]
fn kubespray_etcd_only_host() {
    let tree = Tree::new();
    let dir = "etc/ssl/etcd/ssl";
    let ca = tree.ca(
        "etcd-ca",
        &format!("{dir}/ca.pem"),
        Some(&format!("{dir}/ca-key.pem")),
    );
    tree.leaf(
        &ca,
        "CN=etcd-member-etcd3",
        Profile::Etcd,
        false,
        &format!("{dir}/member-etcd3.example.com.pem"),
        &format!("{dir}/member-etcd3.example.com-key.pem"),
    );
    let inv = tree.scan();
    assert_eq!(inv.distributions, [Distribution::Kubespray]);
    assert_eq!(names(&inv), ["etcd-ca", "etcd-member-etcd3.example.com"]);
    assert_sound(&inv, "etcd-member-etcd3.example.com", Some("etcd-ca"));
}

#[test]
fn rke1_per_host_names_two_cas_and_file_reference_kubeconfigs() {
    let tree = Tree::new();
    let dir = "etc/kubernetes/ssl";
    let kube_ca = tree.ca(
        "kube-ca",
        &format!("{dir}/kube-ca.pem"),
        Some(&format!("{dir}/kube-ca-key.pem")),
    );
    let rh_ca = tree.ca(
        "kube-apiserver-requestheader-ca",
        &format!("{dir}/kube-apiserver-requestheader-ca.pem"),
        Some(&format!("{dir}/kube-apiserver-requestheader-ca-key.pem")),
    );
    let leaves: &[(&Ca, &str, &str, Profile)] = &[
        (
            &kube_ca,
            "kube-apiserver",
            "CN=kube-apiserver",
            Profile::Api,
        ),
        (
            &kube_ca,
            "kube-controller-manager",
            "CN=system:kube-controller-manager",
            Profile::Client,
        ),
        (
            &kube_ca,
            "kube-scheduler",
            "CN=system:kube-scheduler",
            Profile::Client,
        ),
        (
            &kube_ca,
            "kube-proxy",
            "CN=system:kube-proxy",
            Profile::Client,
        ),
        (
            &kube_ca,
            "kube-node",
            "CN=system:node,O=system:nodes",
            Profile::Client,
        ),
        (
            &kube_ca,
            "kube-service-account-token",
            "CN=kube-service-account-token",
            Profile::Client,
        ),
        (
            &kube_ca,
            "kube-etcd-10-0-0-5",
            "CN=kube-etcd",
            Profile::Etcd,
        ),
        (
            &kube_ca,
            "kube-etcd-10-0-0-6",
            "CN=kube-etcd",
            Profile::Etcd,
        ),
        (
            &rh_ca,
            "kube-apiserver-proxy-client",
            "CN=kube-apiserver-proxy-client",
            Profile::ApiProxyClient,
        ),
    ];
    for (ca, name, subject, profile) in leaves {
        tree.leaf(
            ca,
            subject,
            *profile,
            true,
            &format!("{dir}/{name}.pem"),
            &format!("{dir}/{name}-key.pem"),
        );
    }
    for name in [
        "kube-node",
        "kube-proxy",
        "kube-controller-manager",
        "kube-scheduler",
    ] {
        tree.referencing_kubeconfig(
            &format!("{dir}/kubecfg-{name}.yaml"),
            &format!("{name}-local"),
            "/etc/kubernetes/ssl/kube-ca.pem",
            &format!("/etc/kubernetes/ssl/{name}.pem"),
            &format!("/etc/kubernetes/ssl/{name}-key.pem"),
        );
    }
    let inv = tree.scan();
    assert_eq!(inv.distributions, [Distribution::Rke1]);
    let mut expected: Vec<&str> = leaves.iter().map(|l| l.1).collect();
    expected.extend(["kube-ca", "kube-apiserver-requestheader-ca"]);
    expected.sort();
    // The kubecfg files point at the certificates listed above: no separate entries.
    assert_eq!(names(&inv), expected);
    for (_, name, _, _) in leaves {
        let ca = if *name == "kube-apiserver-proxy-client" {
            "kube-apiserver-requestheader-ca"
        } else {
            "kube-ca"
        };
        assert_sound(&inv, name, Some(ca));
        assert_eq!(entry(&inv, name).status, EntryStatus::Expired);
        assert_eq!(entry(&inv, name).distribution, Distribution::Rke1);
    }
    assert_eq!(entry(&inv, "kube-etcd-10-0-0-5").restart, ["etcd"]);
    assert_eq!(
        entry(&inv, "kube-node").restart,
        ["kubelet", "kube-apiserver"]
    );
    assert_eq!(entry(&inv, "kube-ca").kind, EntryKind::Ca);
    assert_eq!(
        entry(&inv, "kube-apiserver-requestheader-ca").kind,
        EntryKind::Ca
    );
}

#[test]
fn rke1_worker_without_ca_key_is_fine() {
    let tree = Tree::new();
    let dir = "etc/kubernetes/ssl";
    let kube_ca = tree.ca("kube-ca", &format!("{dir}/kube-ca.pem"), None);
    for (name, subject) in [
        ("kube-node", "CN=system:node,O=system:nodes"),
        ("kube-proxy", "CN=system:kube-proxy"),
    ] {
        tree.leaf(
            &kube_ca,
            subject,
            Profile::Client,
            false,
            &format!("{dir}/{name}.pem"),
            &format!("{dir}/{name}-key.pem"),
        );
    }
    let inv = tree.scan();
    assert_eq!(names(&inv), ["kube-ca", "kube-node", "kube-proxy"]);
    let ca = entry(&inv, "kube-ca");
    assert!(ca.externally_managed);
    assert!(ca.problems.is_empty(), "{:?}", ca.problems);
    assert!(entry(&inv, "kube-node").externally_managed);
    assert!(entry(&inv, "kube-node").problems.is_empty());
}

/// An RKE2 or k3s server: five CAs, leaves holding leaf + CA, cred kubeconfigs with file
/// references, the agent's certificates and copies, the embedded admin kubeconfig.
fn rancher_tree(tree: &Tree, prog: &str) {
    let tls = format!("var/lib/rancher/{prog}/server/tls");
    let ca = |name: &str, cn: &str| {
        tree.ca(
            cn,
            &format!("{tls}/{name}.crt"),
            Some(&format!("{tls}/{name}.key")),
        )
    };
    let server_ca = ca("server-ca", &format!("{prog}-server-ca@1700000000"));
    let client_ca = ca("client-ca", &format!("{prog}-client-ca@1700000000"));
    let rh_ca = ca(
        "request-header-ca",
        &format!("{prog}-request-header-ca@1700000000"),
    );
    let etcd_server_ca = ca("etcd/server-ca", "etcd-server-ca@1700000000");
    let etcd_peer_ca = ca("etcd/peer-ca", "etcd-peer-ca@1700000000");
    let leaves: Vec<(&Ca, String, String, Profile)> = vec![
        (
            &client_ca,
            "client-admin".into(),
            "CN=system:admin,O=system:masters".into(),
            Profile::Client,
        ),
        (
            &client_ca,
            "client-controller".into(),
            "CN=system:kube-controller-manager".into(),
            Profile::Client,
        ),
        (
            &client_ca,
            "client-scheduler".into(),
            "CN=system:kube-scheduler".into(),
            Profile::Client,
        ),
        (
            &client_ca,
            "client-kube-apiserver".into(),
            "CN=system:apiserver,O=system:masters".into(),
            Profile::Client,
        ),
        (
            &client_ca,
            "client-kube-proxy".into(),
            "CN=system:kube-proxy".into(),
            Profile::Client,
        ),
        (
            &client_ca,
            format!("client-{prog}-controller"),
            format!("CN=system:{prog}-controller"),
            Profile::Client,
        ),
        (
            &rh_ca,
            "client-auth-proxy".into(),
            "CN=system:auth-proxy".into(),
            Profile::Client,
        ),
        (
            &server_ca,
            "serving-kube-apiserver".into(),
            "CN=kube-apiserver".into(),
            Profile::Api,
        ),
        (
            &etcd_server_ca,
            "etcd/server-client".into(),
            "CN=etcd-server".into(),
            Profile::Etcd,
        ),
        (
            &etcd_server_ca,
            "etcd/client".into(),
            "CN=etcd-client".into(),
            Profile::Client,
        ),
        (
            &etcd_peer_ca,
            "etcd/peer-server-client".into(),
            "CN=etcd-peer".into(),
            Profile::Etcd,
        ),
    ];
    for (signer, base, subject, profile) in &leaves {
        tree.chained_leaf(
            signer,
            subject,
            *profile,
            true,
            &format!("{tls}/{base}.crt"),
            &format!("{tls}/{base}.key"),
        );
    }
    tree.write(
        &format!("{tls}/server-ca.nochain.crt"),
        server_ca.cert.to_pem(),
    );
    let cred = format!("var/lib/rancher/{prog}/server/cred");
    for (file, base) in [("admin", "client-admin"), ("scheduler", "client-scheduler")] {
        tree.referencing_kubeconfig(
            &format!("{cred}/{file}.kubeconfig"),
            "user",
            &format!("/{tls}/server-ca.crt"),
            &format!("/{tls}/{base}.crt"),
            &format!("/{tls}/{base}.key"),
        );
    }
    let agent = format!("var/lib/rancher/{prog}/agent");
    tree.chained_leaf(
        &client_ca,
        "CN=system:node:node1,O=system:nodes",
        Profile::Client,
        true,
        &format!("{agent}/client-kubelet.crt"),
        &format!("{agent}/client-kubelet.key"),
    );
    tree.chained_leaf(
        &server_ca,
        "CN=node1",
        Profile::Api,
        true,
        &format!("{agent}/serving-kubelet.crt"),
        &format!("{agent}/serving-kubelet.key"),
    );
    for name in ["client-kube-proxy.crt", "client-kube-proxy.key"] {
        tree.write(
            &format!("{agent}/{name}"),
            tree.read(&format!("{tls}/{name}")),
        );
    }
    tree.write(&format!("{agent}/client-ca.crt"), client_ca.cert.to_pem());
    tree.write(&format!("{agent}/server-ca.crt"), server_ca.cert.to_pem());
    tree.referencing_kubeconfig(
        &format!("{agent}/kubelet.kubeconfig"),
        "user",
        &format!("/{agent}/server-ca.crt"),
        &format!("/{agent}/client-kubelet.crt"),
        &format!("/{agent}/client-kubelet.key"),
    );
    // The admin kubeconfig embeds a fresh admin certificate.
    let admin = new_leaf(
        &client_ca,
        "CN=system:admin,O=system:masters",
        Profile::Client,
        true,
    );
    tree.embedded_kubeconfig(
        &format!("etc/rancher/{prog}/{prog}.yaml"),
        "default",
        &server_ca,
        &admin,
    );
}

fn check_rancher(prog: &str, distribution: Distribution) {
    let tree = Tree::new();
    rancher_tree(&tree, prog);
    let inv = tree.scan();
    assert_eq!(inv.distributions, [distribution]);
    let mut expected: Vec<String> = [
        "server-ca",
        "client-ca",
        "request-header-ca",
        "etcd-server-ca",
        "etcd-peer-ca",
        "server-ca-nochain",
        "client-admin",
        "client-controller",
        "client-scheduler",
        "client-kube-apiserver",
        "client-kube-proxy",
        "client-auth-proxy",
        "serving-kube-apiserver",
        "etcd-server-client",
        "etcd-client",
        "etcd-peer-server-client",
        "client-kubelet",
        "serving-kubelet",
        "agent-client-kube-proxy",
        "agent-client-ca",
        "agent-server-ca",
    ]
    .map(String::from)
    .to_vec();
    expected.push(format!("client-{prog}-controller"));
    expected.push(format!("{prog}.yaml"));
    expected.sort();
    assert_eq!(names(&inv), expected);
    let service = if prog == "rke2" { "rke2-server" } else { "k3s" };
    for (name, ca) in [
        ("client-admin", "client-ca"),
        ("client-auth-proxy", "request-header-ca"),
        ("serving-kube-apiserver", "server-ca"),
        ("etcd-server-client", "etcd-server-ca"),
        ("etcd-client", "etcd-server-ca"),
        ("etcd-peer-server-client", "etcd-peer-ca"),
        ("client-kubelet", "client-ca"),
        ("serving-kubelet", "server-ca"),
    ] {
        assert_sound(&inv, name, Some(ca));
        let e = entry(&inv, name);
        assert_eq!(e.status, EntryStatus::Expired, "{name}");
        assert_eq!(e.distribution, distribution);
        assert_eq!(e.restart, [service], "{name}");
        assert_eq!(e.copy_of, None, "{name}");
    }
    // Leaf files hold leaf then CA: the entry is the leaf.
    assert_eq!(
        entry(&inv, "client-admin")
            .certificate
            .as_ref()
            .map(|c| c.subject()),
        Some("CN=system:admin,O=system:masters".to_string())
    );
    // Copies point at their originals and share their renewability.
    let proxy_copy = entry(&inv, "agent-client-kube-proxy");
    assert_eq!(proxy_copy.copy_of.as_deref(), Some("client-kube-proxy"));
    for (copy, original) in [
        ("agent-client-ca", "client-ca"),
        ("agent-server-ca", "server-ca"),
        ("server-ca-nochain", "server-ca"),
    ] {
        let e = entry(&inv, copy);
        assert_eq!(e.copy_of.as_deref(), Some(original), "{copy}");
        assert_eq!(e.kind, EntryKind::Ca);
        assert!(
            !e.externally_managed,
            "{copy}: a copy of a CA whose key is here"
        );
        assert!(e.problems.is_empty(), "{copy}: {:?}", e.problems);
    }
    let yaml = entry(&inv, &format!("{prog}.yaml"));
    assert_eq!(yaml.ca_name.as_deref(), Some("client-ca"));
    assert!(matches!(yaml.cert, Location::KubeconfigEmbedded { .. }));
    assert_sound(&inv, "server-ca", None);
}

#[test]
fn rke2_server_and_agent() {
    check_rancher("rke2", Distribution::Rke2);
}

#[test]
fn k3s_server_and_agent() {
    check_rancher("k3s", Distribution::K3s);
}

#[test]
fn several_layouts_on_one_node_are_all_reported() {
    let tree = Tree::new();
    kubeadm_tree(&tree, "etc/kubernetes/pki", false);
    rancher_tree(&tree, "k3s");
    let dir = "etc/ssl/etcd/ssl";
    let ca = tree.ca(
        "etcd-ca",
        &format!("{dir}/ca.pem"),
        Some(&format!("{dir}/ca-key.pem")),
    );
    tree.leaf(
        &ca,
        "CN=etcd-member-node1",
        Profile::Etcd,
        false,
        &format!("{dir}/member-node1.pem"),
        &format!("{dir}/member-node1-key.pem"),
    );
    let inv = tree.scan();
    assert_eq!(
        inv.distributions,
        [
            Distribution::Kubeadm,
            Distribution::Kubespray,
            Distribution::K3s
        ]
    );
    // Both have an `etcd-ca`: the later one is qualified by its distribution.
    assert_eq!(entry(&inv, "etcd-ca").distribution, Distribution::Kubeadm);
    let spray_ca = entry(&inv, "kubespray/etcd-ca");
    assert_eq!(spray_ca.distribution, Distribution::Kubespray);
    assert_eq!(
        entry(&inv, "etcd-member-node1").ca_name.as_deref(),
        Some("kubespray/etcd-ca")
    );
    assert_sound(&inv, "etcd-member-node1", Some("kubespray/etcd-ca"));
    assert_sound(&inv, "etcd-peer", Some("etcd-ca"));
    assert_sound(&inv, "client-admin", Some("client-ca"));
    let unique: std::collections::HashSet<&str> =
        inv.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(unique.len(), inv.entries.len(), "names are unique");
}

#[test]
fn empty_root_has_no_distribution_and_a_bad_root_is_an_error() {
    let tree = Tree::new();
    let inv = tree.scan();
    assert!(inv.distributions.is_empty());
    assert!(inv.entries.is_empty());
    let err = scan(&tree.path("does-not-exist"), &options()).expect_err("no root");
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.to_string().contains("does-not-exist"), "{err}");
    let file = tree.write("plain-file", "x");
    let err = scan(&file, &options()).expect_err("not a directory");
    assert!(err.to_string().contains("plain-file"), "{err}");
}
