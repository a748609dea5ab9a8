//! Small trees for the inventory tests, built with the core API only (no fixture builder): a
//! temporary root, CAs and leaves written where each distribution keeps them, kubeconfigs with
//! embedded data or file references. Leaves can be made expired by issuing them two years ago.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64ct::{Base64, Encoding};
use kcertlib::*;

/// The scan time every test uses.
pub const NOW: i64 = 1_780_000_000;

pub fn now() -> Timestamp {
    Timestamp::from_unix(NOW)
}

pub fn options() -> ScanOptions {
    ScanOptions::default().at(now())
}

/// A CA: certificate and key.
pub struct Ca {
    pub cert: Certificate,
    pub key: PrivateKey,
}

/// A leaf: certificate and key.
pub struct Leaf {
    pub cert: Certificate,
    pub key: PrivateKey,
}

pub struct Tree {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Tree {
    pub fn new() -> Tree {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical root");
        Tree { _dir: dir, root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, bytes).expect("write");
        path
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).expect("read")
    }

    pub fn symlink(&self, rel: &str, target: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::os::unix::fs::symlink(target, path).expect("symlink");
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).expect("remove");
    }

    pub fn scan(&self) -> Inventory {
        scan(&self.root, &options()).expect("scan")
    }

    /// A self-signed CA written as `crt` (+ `key` when given).
    pub fn ca(&self, cn: &str, crt: &str, key: Option<&str>) -> Ca {
        let ca = new_ca(cn);
        self.write(crt, ca.cert.to_pem());
        if let Some(key) = key {
            self.write(key, ca.key.to_pem().expect("pem").as_bytes());
        }
        ca
    }

    /// A leaf signed by `ca`, written as `crt` (followed by `chain`) and `key`.
    pub fn leaf(
        &self,
        ca: &Ca,
        subject: &str,
        profile: Profile,
        expired: bool,
        crt: &str,
        key: &str,
    ) -> Leaf {
        let leaf = new_leaf(ca, subject, profile, expired);
        self.write(crt, leaf.cert.to_pem());
        self.write(key, leaf.key.to_pem().expect("pem").as_bytes());
        leaf
    }

    /// Like `leaf`, the certificate file holding the leaf then the CA (k3s/RKE2 style).
    pub fn chained_leaf(
        &self,
        ca: &Ca,
        subject: &str,
        profile: Profile,
        expired: bool,
        crt: &str,
        key: &str,
    ) -> Leaf {
        let leaf = new_leaf(ca, subject, profile, expired);
        self.write(crt, format!("{}{}", leaf.cert.to_pem(), ca.cert.to_pem()));
        self.write(key, leaf.key.to_pem().expect("pem").as_bytes());
        leaf
    }

    /// A kubeconfig with the client certificate and key embedded.
    pub fn embedded_kubeconfig(&self, rel: &str, user: &str, ca: &Ca, leaf: &Leaf) -> PathBuf {
        let text = kubeconfig_text(
            user,
            &format!("certificate-authority-data: {}", b64(ca.cert.to_pem())),
            &format!(
                "client-certificate-data: {}\n    client-key-data: {}",
                b64(leaf.cert.to_pem()),
                b64(leaf.key.to_pem().expect("pem").as_bytes())
            ),
        );
        self.write(rel, text)
    }

    /// A kubeconfig that references files (paths as written into it).
    pub fn referencing_kubeconfig(
        &self,
        rel: &str,
        user: &str,
        ca_ref: &str,
        cert_ref: &str,
        key_ref: &str,
    ) -> PathBuf {
        let text = kubeconfig_text(
            user,
            &format!("certificate-authority: {ca_ref}"),
            &format!("client-certificate: {cert_ref}\n    client-key: {key_ref}"),
        );
        self.write(rel, text)
    }
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    Base64::encode_string(bytes.as_ref())
}

fn kubeconfig_text(user: &str, ca_line: &str, user_lines: &str) -> String {
    format!(
        "# written by the inventory tests\napiVersion: v1\nclusters:\n- cluster:\n    {ca_line}\n    \
         server: https://127.0.0.1:6443\n  name: kubernetes\ncontexts:\n- context:\n    cluster: \
         kubernetes\n    user: {user}\n  name: {user}@kubernetes\ncurrent-context: \
         {user}@kubernetes\nkind: Config\npreferences: {{}}\nusers:\n- name: {user}\n  user:\n    \
         {user_lines}\n"
    )
}

/// A P-256 CA created three years before `NOW`, valid ten years.
pub fn new_ca(cn: &str) -> Ca {
    let key = PrivateKey::generate(&KeyAlgorithm::P256).expect("ca key");
    let validity =
        ValidityPolicy::days(3650).at(now().minus(Duration::from_secs(3 * 365 * 86_400)));
    let cert = self_signed_ca(&format!("CN={cn}"), &key, &validity).expect("ca");
    Ca { cert, key }
}

/// A P-256 leaf: issued two years before `NOW` for a year when `expired`, else a day before
/// `NOW` for a year.
pub fn new_leaf(ca: &Ca, subject: &str, profile: Profile, expired: bool) -> Leaf {
    let key = PrivateKey::generate(&KeyAlgorithm::P256).expect("leaf key");
    let issued = if expired {
        now().minus(Duration::from_secs(2 * 365 * 86_400))
    } else {
        now().minus(Duration::from_secs(86_400))
    };
    let mut request = IssueRequest::new(subject, profile);
    request.validity = ValidityPolicy::days(365).at(issued);
    if profile.has_alt_names() {
        request.alt_names = AltNames::new(["localhost"], ["127.0.0.1".parse().expect("ip")]);
    }
    let issuer = Issuer::new(&ca.cert, &ca.key).expect("issuer");
    let cert = issue(&request, &key.public_key_der().expect("spki"), &issuer).expect("issue");
    Leaf { cert, key }
}

/// A kubeadm control-plane node: CAs, the PKI leaves (expired when `expired`), the four
/// component kubeconfigs with embedded data (no super-admin.conf: not the first node), and
/// kubelet.conf pointing at an absolute `kubelet-client-current.pem` symlink, plus kubelet's
/// self-signed `kubelet.crt`. Returns the three CAs (ca, front-proxy-ca, etcd-ca).
pub fn kubeadm_tree(tree: &Tree, pki: &str, expired: bool) -> [Ca; 3] {
    let ca = tree.ca(
        "kubernetes",
        &format!("{pki}/ca.crt"),
        Some(&format!("{pki}/ca.key")),
    );
    let fp = tree.ca(
        "front-proxy-ca",
        &format!("{pki}/front-proxy-ca.crt"),
        Some(&format!("{pki}/front-proxy-ca.key")),
    );
    let etcd = tree.ca(
        "etcd-ca",
        &format!("{pki}/etcd/ca.crt"),
        Some(&format!("{pki}/etcd/ca.key")),
    );
    let leaves: [(&Ca, &str, &str, Profile); 7] = [
        (&ca, "apiserver", "CN=kube-apiserver", Profile::Api),
        (
            &ca,
            "apiserver-kubelet-client",
            "CN=kube-apiserver-kubelet-client,O=kubeadm:cluster-admins",
            Profile::Client,
        ),
        (
            &etcd,
            "apiserver-etcd-client",
            "CN=kube-apiserver-etcd-client",
            Profile::Client,
        ),
        (
            &fp,
            "front-proxy-client",
            "CN=front-proxy-client",
            Profile::Client,
        ),
        (&etcd, "etcd/server", "CN=node1", Profile::Etcd),
        (&etcd, "etcd/peer", "CN=node1", Profile::Etcd),
        (
            &etcd,
            "etcd/healthcheck-client",
            "CN=kube-etcd-healthcheck-client",
            Profile::Client,
        ),
    ];
    for (signer, base, subject, profile) in leaves {
        tree.leaf(
            signer,
            subject,
            profile,
            expired,
            &format!("{pki}/{base}.crt"),
            &format!("{pki}/{base}.key"),
        );
    }
    for (file, user, subject) in [
        (
            "admin.conf",
            "kubernetes-admin",
            "CN=kubernetes-admin,O=kubeadm:cluster-admins",
        ),
        (
            "controller-manager.conf",
            "system:kube-controller-manager",
            "CN=system:kube-controller-manager",
        ),
        (
            "scheduler.conf",
            "system:kube-scheduler",
            "CN=system:kube-scheduler",
        ),
    ] {
        let leaf = new_leaf(&ca, subject, Profile::Client, expired);
        tree.embedded_kubeconfig(&format!("etc/kubernetes/{file}"), user, &ca, &leaf);
    }
    kubelet_pki(tree, &ca, expired);
    [ca, fp, etcd]
}

/// `var/lib/kubelet/pki` after kubeadm's kubelet-finalize, and the kubelet.conf that uses it.
pub fn kubelet_pki(tree: &Tree, ca: &Ca, expired: bool) {
    let node = new_leaf(
        ca,
        "CN=system:node:node1,O=system:nodes",
        Profile::Client,
        expired,
    );
    let dated = "var/lib/kubelet/pki/kubelet-client-2024-01-01-00-00-00.pem";
    tree.write(
        dated,
        format!(
            "{}{}",
            node.cert.to_pem(),
            node.key.to_pem().expect("pem").as_str()
        ),
    );
    tree.symlink(
        "var/lib/kubelet/pki/kubelet-client-current.pem",
        &format!("/{dated}"),
    );
    let current = "/var/lib/kubelet/pki/kubelet-client-current.pem";
    tree.referencing_kubeconfig(
        "etc/kubernetes/kubelet.conf",
        "system:node:node1",
        "/etc/kubernetes/pki/ca.crt",
        current,
        current,
    );
    let throwaway = new_ca("node1-ca@1700000000");
    let serving = new_leaf(&throwaway, "CN=node1@1700000000", Profile::Api, false);
    tree.write(
        "var/lib/kubelet/pki/kubelet.crt",
        format!("{}{}", serving.cert.to_pem(), throwaway.cert.to_pem()),
    );
    tree.write(
        "var/lib/kubelet/pki/kubelet.key",
        serving.key.to_pem().expect("pem").as_bytes(),
    );
}

/// The entry called `name`, or a panic listing what there is.
pub fn entry<'a>(inventory: &'a Inventory, name: &str) -> &'a Entry {
    inventory.get(name).unwrap_or_else(|| {
        panic!(
            "no entry {name:?}; entries: {:?}",
            inventory
                .entries
                .iter()
                .map(|e| &e.name)
                .collect::<Vec<_>>()
        )
    })
}

/// Every entry name, sorted.
pub fn names(inventory: &Inventory) -> Vec<String> {
    let mut v: Vec<String> = inventory.entries.iter().map(|e| e.name.clone()).collect();
    v.sort();
    v
}

/// Asserts that the entry is a healthy readable certificate signed by `ca` (or self-signed CA
/// when `ca` is `None`) with its key present and matching.
pub fn assert_sound(inventory: &Inventory, name: &str, ca: Option<&str>) {
    let e = entry(inventory, name);
    assert!(
        e.certificate.is_some(),
        "{name}: not read: {:?}",
        e.problems
    );
    assert_eq!(e.ca_name.as_deref(), ca, "{name}: CA");
    assert_eq!(
        e.chain_verifies,
        Some(true),
        "{name}: chain ({:?})",
        e.problems
    );
    assert_eq!(e.key_matches, Some(true), "{name}: key ({:?})", e.problems);
    assert!(
        e.problems.is_empty(),
        "{name}: unexpected problems {:?}",
        e.problems
    );
}

/// The root-relative path as a `Path`.
pub fn rel<'a>(tree: &Tree, path: &'a Path) -> &'a Path {
    path.strip_prefix(&tree.root).expect("under root")
}
