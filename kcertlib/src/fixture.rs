//! Generated cluster trees: the certificate layout of a kubeadm, kubespray, RKE1, RKE2 or k3s
//! node, written under a root directory, for tests, the demo and the benchmarks.
//!
//! Each layout follows the facts of `shared/reference/layouts.md` (§1 kubeadm, §3 RKE1, §4
//! RKE2/k3s, §5 kubespray): paths, file names, subjects, extensions, SAN rules, which CA signs
//! what, key algorithms and PEM formats, file modes. Certificates are built extension by
//! extension (see `template`), because the distributions differ in details the issuing profiles
//! of `sign` deliberately smooth over: serverAuth-only serving certs, kubespray's etcd leaves
//! without keyUsage, RKE1 leaves without basicConstraints, serial 0 on RKE1 and k3s CAs.
//!
//! Dates are reproducible: everything is computed from [`FixtureOptions::now`]. CAs were made
//! two years before `now` and live ten years (kubespray's etcd CA a hundred). Leaves live 365
//! days, issued two years before `now` when [`FixtureOptions::expired`] (so they expired a year
//! ago) or one day before `now` otherwise. Keys and serials are random.
//!
//! Paths written *inside* the tree (kubeconfig file references, the `kubelet-client-current.pem`
//! symlink, kubespray's `etc/kubernetes/pki` symlink) are the absolute paths a real node would
//! have (`/var/lib/kubelet/pki/...`), not paths under the temporary root: a reader re-roots them
//! under the root it scans, exactly as it must on a node's disk image. Every kubeconfig's
//! `server:` is `https://127.0.0.1:6443`.
//!
//! Files: certificates 0644, private keys and files holding one 0600, kubeconfigs 0600. An
//! existing file is never overwritten: building twice into one root fails with `Io`.

mod clock;
mod dynamic_cert;
mod k3s;
mod keys;
mod kubeadm;
mod kubeconfig_text;
mod kubespray;
mod rke1;
mod rkestate;
mod template;
mod tree;

use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use crate::error::{Error, ErrorKind, Result};
use crate::key::KeyAlgorithm;
use crate::time::Timestamp;

/// Which distribution's node to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FixtureLayout {
    /// A kubeadm control-plane node: `etc/kubernetes/{pki,*.conf}` and `var/lib/kubelet/pki`.
    Kubeadm,
    /// A kubespray control-plane node: the kubeadm tree in `etc/kubernetes/ssl` (with the
    /// `etc/kubernetes/pki` symlink, no kubeadm etcd certs) and host-mode etcd certs in
    /// `etc/ssl/etcd/ssl` for `etcd_hosts` hosts.
    Kubespray,
    /// A Rancher RKE1 node with every role: `etc/kubernetes/ssl/kube-*.pem`.
    Rke1,
    /// An RKE2 server: `var/lib/rancher/rke2/{server,agent}` and `etc/rancher/rke2/rke2.yaml`.
    Rke2,
    /// A k3s server: `var/lib/rancher/k3s/{server,agent}` and `etc/rancher/k3s/k3s.yaml`.
    K3s,
}

impl FixtureLayout {
    /// Every layout.
    pub const ALL: [FixtureLayout; 5] = [
        FixtureLayout::Kubeadm,
        FixtureLayout::Kubespray,
        FixtureLayout::Rke1,
        FixtureLayout::Rke2,
        FixtureLayout::K3s,
    ];

    /// `kubeadm`, `kubespray`, `rke1`, `rke2` or `k3s`.
    pub fn name(self) -> &'static str {
        match self {
            FixtureLayout::Kubeadm => "kubeadm",
            FixtureLayout::Kubespray => "kubespray",
            FixtureLayout::Rke1 => "rke1",
            FixtureLayout::Rke2 => "rke2",
            FixtureLayout::K3s => "k3s",
        }
    }

    /// The layout with this name (case-insensitive; `rke` is taken as `rke1`).
    ///
    /// # Errors
    /// `InvalidArgument` listing the valid names.
    pub fn parse(name: &str) -> Result<FixtureLayout> {
        let wanted = name.trim();
        if wanted.eq_ignore_ascii_case("rke") {
            return Ok(FixtureLayout::Rke1);
        }
        FixtureLayout::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "unknown fixture layout {name:?}: use kubeadm, kubespray, rke1, rke2 or k3s"
                    ),
                )
            })
    }
}

impl fmt::Display for FixtureLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for FixtureLayout {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// How to build a tree.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FixtureOptions {
    /// Leaves expired a year ago (`true`, the default) or valid for another 364 days. CAs are
    /// valid either way.
    pub expired: bool,
    /// The time every date is computed from (default: the clock at `default()`).
    pub now: Timestamp,
    /// This node's name (a DNS label; default `node1`): kubeadm's node name in CNs and SANs,
    /// RKE1's hostname, the k3s/RKE2 node name.
    pub node_name: String,
    /// Number of etcd hosts (default 3, at least 1). Kubespray gets `admin-`, `member-` and
    /// `node-` certs for hosts `node1`..`nodeN`; RKE1 gets `kube-etcd-10-0-0-<i>` for hosts
    /// 10.0.0.1.. (this node is the first). Other layouts ignore it.
    pub etcd_hosts: usize,
    /// The key algorithm of kubeadm's leaf certificates (its `encryptionAlgorithm`; default
    /// RSA-2048), in the kubeadm and kubespray layouts. The other keys follow each
    /// distribution's fixed choice: RSA-2048 for kubeadm's CAs and `sa.key`, kubespray's etcd
    /// certs and everything RKE1; ECDSA P-256 for k3s/RKE2 and the kubelet's rotated client cert.
    pub leaf_key: KeyAlgorithm,
    /// Let leaves share a small pool of keys (four per algorithm) instead of one fresh key
    /// each. RSA key generation dominates the build time (about 0.1 s per key in release
    /// builds, over a second in debug builds), so a 1,000-host kubespray tree (3,000 leaves)
    /// takes minutes without the pool and seconds with it. CA keys and service-account keys
    /// stay distinct, so matching a leaf to its CA by key identifier still works; only
    /// "which leaves share a key" becomes unrealistic. Default `false`.
    pub reuse_leaf_keys: bool,
}

impl Default for FixtureOptions {
    fn default() -> Self {
        FixtureOptions {
            expired: true,
            now: Timestamp::now(),
            node_name: "node1".to_string(),
            etcd_hosts: 3,
            leaf_key: KeyAlgorithm::RSA_2048,
            reuse_leaf_keys: false,
        }
    }
}

impl FixtureOptions {
    /// The same options with expired leaves (`true`) or valid ones.
    pub fn with_expired(mut self, expired: bool) -> FixtureOptions {
        self.expired = expired;
        self
    }

    /// The same options computing every date from `now`.
    pub fn at(mut self, now: Timestamp) -> FixtureOptions {
        self.now = now;
        self
    }

    /// The same options for a node called `name`.
    pub fn with_node_name(mut self, name: impl Into<String>) -> FixtureOptions {
        self.node_name = name.into();
        self
    }

    /// The same options with `hosts` etcd hosts.
    pub fn with_etcd_hosts(mut self, hosts: usize) -> FixtureOptions {
        self.etcd_hosts = hosts;
        self
    }

    /// The same options with kubeadm's leaf keys of this algorithm.
    pub fn with_leaf_key(mut self, algorithm: KeyAlgorithm) -> FixtureOptions {
        self.leaf_key = algorithm;
        self
    }

    /// The same options sharing a small pool of leaf keys (fast) or not.
    pub fn with_reuse_leaf_keys(mut self, reuse: bool) -> FixtureOptions {
        self.reuse_leaf_keys = reuse;
        self
    }
}

/// What `build` wrote.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct FixtureSummary {
    /// The root, made absolute.
    pub root: PathBuf,
    /// The layout built.
    pub layout: FixtureLayout,
    /// Whether the leaves were built expired.
    pub expired: bool,
    /// Every certificate written, in write order (a certificate stored in two places, like
    /// k3s's `client-admin.crt` and the one embedded in `k3s.yaml`, is two entries).
    pub entries: Vec<FixtureEntry>,
    /// Every regular file and symlink written, absolute, in write order.
    pub files: Vec<PathBuf>,
}

impl FixtureSummary {
    /// The entry names, in write order.
    pub fn entry_names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }

    /// The entry with this name.
    pub fn entry(&self, name: &str) -> Option<&FixtureEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The summary as pretty JSON (times in RFC 3339).
    pub fn to_json(&self) -> String {
        // Serializing plain strings, paths, booleans and integers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// One certificate written into the tree.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct FixtureEntry {
    /// The role name: kubeadm's (`apiserver`, `etcd-peer`, `admin.conf`, `ca`, `etcd-ca`,
    /// `kubelet-client-current`, `kubelet-serving`), RKE1's file base name (`kube-apiserver`,
    /// `kube-etcd-10-0-0-1`), kubespray's CN (`etcd-member-node1`) or the k3s/RKE2 file base
    /// name (`client-admin`, `etcd-peer-server-client`, `agent-client-kube-proxy`, `k3s.yaml`).
    /// Unique within a summary.
    pub name: String,
    /// CA or leaf.
    pub kind: FixtureEntryKind,
    /// The entry name of the signing CA; `None` for CAs and for kubelet's self-signed serving
    /// cert, whose throwaway CA follows it in the same file.
    pub ca_name: Option<String>,
    /// How the certificate is stored.
    pub storage: FixtureStorage,
    /// The file holding the certificate (PEM file, kubeconfig or combined pem).
    pub cert: PathBuf,
    /// The file holding its private key, when the tree has it.
    pub key: Option<PathBuf>,
    /// The subject, RFC 4514.
    pub subject: String,
    /// `notBefore`.
    #[serde(serialize_with = "rfc3339")]
    pub not_before: Timestamp,
    /// `notAfter`.
    #[serde(serialize_with = "rfc3339")]
    pub not_after: Timestamp,
}

/// Whether an entry is a CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixtureEntryKind {
    /// A certificate authority (self-signed here).
    Ca,
    /// An end-entity certificate.
    Leaf,
}

/// Where in its file a certificate is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FixtureStorage {
    /// A PEM file whose first certificate is this one (CA chain after it, if any).
    File,
    /// `client-certificate-data` / `client-key-data` of this kubeconfig user.
    KubeconfigEmbedded {
        /// The kubeconfig user's name.
        user: String,
    },
    /// Certificate then key in one file (kubelet's `kubelet-client-current.pem`).
    Combined,
    /// A JSON TLS Secret, `data."tls.crt"` and `data."tls.key"` (k3s/RKE2's
    /// `dynamic-cert.json`).
    SecretJson,
}

/// Builds `layout`'s node tree under `root` (created if missing).
///
/// # Errors
/// `InvalidArgument` for a node name that is not a DNS label or zero etcd hosts; `Io` when a
/// file cannot be written or already exists (naming it); `Crypto` when key generation or
/// signing fails.
pub fn build(
    root: &Path,
    layout: FixtureLayout,
    options: &FixtureOptions,
) -> Result<FixtureSummary> {
    validate(options)?;
    let mut tree = tree::Tree::create(root, layout, options.expired)?;
    let clock = clock::Clock::new(options.now, options.expired);
    let mut keys = keys::KeySource::new(options.reuse_leaf_keys);
    let build = layout_builder(layout);
    build(&mut tree, &clock, &mut keys, options)?;
    Ok(tree.finish())
}

type LayoutBuilder =
    fn(&mut tree::Tree, &clock::Clock, &mut keys::KeySource, &FixtureOptions) -> Result<()>;

fn layout_builder(layout: FixtureLayout) -> LayoutBuilder {
    match layout {
        FixtureLayout::Kubeadm => kubeadm::build,
        FixtureLayout::Kubespray => kubespray::build,
        FixtureLayout::Rke1 => rke1::build,
        FixtureLayout::Rke2 => k3s::build_rke2,
        FixtureLayout::K3s => k3s::build_k3s,
    }
}

fn validate(options: &FixtureOptions) -> Result<()> {
    let name = &options.node_name;
    let label_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !label_ok {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "node name {name:?} is not a DNS label (lowercase letters, digits and '-', at most 63): it goes into CNs, SANs and file names"
            ),
        ));
    }
    if options.etcd_hosts == 0 {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "etcd_hosts must be at least 1 (the node itself runs etcd)",
        ));
    }
    Ok(())
}

/// The address of etcd host `index` (1-based) in the multi-host layouts: 10.0.0.1, 10.0.0.2, ...
/// Only written into certificates; nothing ever connects to it.
fn host_address(index: usize) -> Ipv4Addr {
    // Host counts beyond 2^24 would leave 10.0.0.0/8; no tree is that large.
    let offset = (index & 0x00ff_ffff) as u32;
    Ipv4Addr::from(0x0a00_0000 | offset)
}

fn rfc3339<S: Serializer>(t: &Timestamp, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_names_round_trip() {
        for layout in FixtureLayout::ALL {
            assert_eq!(FixtureLayout::parse(layout.name()).ok(), Some(layout));
        }
        assert_eq!(FixtureLayout::parse(" K3S ").ok(), Some(FixtureLayout::K3s));
        assert_eq!(FixtureLayout::parse("rke").ok(), Some(FixtureLayout::Rke1));
        assert!(FixtureLayout::parse("openshift").is_err());
    }

    #[test]
    fn bad_options_are_refused_before_writing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("tree");
        for options in [
            FixtureOptions {
                node_name: "Node_1".into(),
                ..FixtureOptions::default()
            },
            FixtureOptions {
                etcd_hosts: 0,
                ..FixtureOptions::default()
            },
        ] {
            let err = build(&root, FixtureLayout::Kubeadm, &options).expect_err("refused");
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
        assert!(!root.exists(), "nothing is written for invalid options");
    }
}
