//! The vocabulary that the distribution models (`layout`) and the inventory share: which
//! distribution a certificate belongs to, whether it is a leaf or a CA, and where it lives.
//! Both use it; neither defines it for the other.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A Kubernetes distribution, recognised by how it lays its PKI out on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    /// kubeadm: `/etc/kubernetes/pki`, `/etc/kubernetes/*.conf`.
    Kubeadm,
    /// kubespray: the kubeadm tree in `/etc/kubernetes/ssl`, host-mode etcd in `/etc/ssl/etcd/ssl`.
    Kubespray,
    /// Rancher RKE1: `/etc/kubernetes/ssl/kube-*.pem`.
    Rke1,
    /// RKE2: `/var/lib/rancher/rke2`.
    Rke2,
    /// k3s: `/var/lib/rancher/k3s`.
    K3s,
}

impl Distribution {
    /// `kubeadm`, `kubespray`, `rke1`, `rke2` or `k3s`.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Kubeadm => "kubeadm",
            Distribution::Kubespray => "kubespray",
            Distribution::Rke1 => "rke1",
            Distribution::Rke2 => "rke2",
            Distribution::K3s => "k3s",
        }
    }

    /// Every distribution `scan` recognises, in the order it looks for them.
    pub const fn all() -> &'static [Distribution] {
        &[
            Distribution::Kubeadm,
            Distribution::Kubespray,
            Distribution::Rke1,
            Distribution::Rke2,
            Distribution::K3s,
        ]
    }

    /// Where `scan` looks for this distribution, relative to the root: what a "nothing found
    /// under this root" message names, so a wrong `--root` is plain to see.
    pub const fn searched_paths(self) -> &'static [&'static str] {
        match self {
            Distribution::Kubeadm => &["etc/kubernetes/pki", "etc/kubernetes/*.conf"],
            Distribution::Kubespray => &["etc/kubernetes/ssl", "etc/ssl/etcd/ssl"],
            Distribution::Rke1 => &["etc/kubernetes/ssl/kube-*.pem"],
            Distribution::Rke2 => &[
                "var/lib/rancher/rke2/server/tls",
                "var/lib/rancher/rke2/agent",
            ],
            Distribution::K3s => &[
                "var/lib/rancher/k3s/server/tls",
                "var/lib/rancher/k3s/agent",
            ],
        }
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether an entry is a leaf or a certificate authority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// An end-entity certificate (server, client, peer).
    Leaf,
    /// A certificate authority.
    Ca,
}

/// Where an entry's certificate or key lives. Paths are absolute and under the scanned root.
///
/// Serializes as `{"type": "file", "path": ...}`, `{"type": "combined", "path": ...}`,
/// `{"type": "secret-json", "path": ...}`, `{"type": "rke-state", "path": ..., "certificate": ...}`
/// or
/// `{"type": "kubeconfig-embedded", "kubeconfig": ..., "user": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    /// A PEM file: the first certificate is the entry, the following ones its chain.
    File(PathBuf),
    /// Base64 `client-certificate-data` / `client-key-data` of `user` in a kubeconfig.
    KubeconfigEmbedded {
        /// The kubeconfig file.
        kubeconfig: PathBuf,
        /// The name of the user entry.
        user: String,
    },
    /// One file holding certificate(s) then the key, such as kubelet's
    /// `kubelet-client-current.pem` (often a symlink to a dated file).
    Combined(PathBuf),
    /// A Kubernetes TLS Secret serialised as JSON (k3s/RKE2's `dynamic-cert.json`, written by
    /// rancher/dynamiclistener): the certificate chain is the base64 PEM of `data."tls.crt"`,
    /// the key that of `data."tls.key"`.
    SecretJson(PathBuf),
    /// The `certificatePEM` / `keyPEM` of bundle entry `certificate` in an RKE1 cluster state
    /// file (`cluster.rkestate`; its `desiredState` and `currentState` alike).
    RkeState {
        /// The state file.
        state: PathBuf,
        /// The name of the bundle entry (`kube-apiserver`).
        certificate: String,
    },
}

impl Location {
    /// The file that holds the data (the kubeconfig for embedded data).
    pub fn path(&self) -> &Path {
        match self {
            Location::File(p) | Location::Combined(p) | Location::SecretJson(p) => p,
            Location::KubeconfigEmbedded { kubeconfig, .. } => kubeconfig,
            Location::RkeState { state, .. } => state,
        }
    }
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(match self {
            Location::KubeconfigEmbedded { .. } | Location::RkeState { .. } => 3,
            _ => 2,
        }))?;
        match self {
            Location::File(p) => {
                map.serialize_entry("type", "file")?;
                map.serialize_entry("path", p)?;
            }
            Location::Combined(p) => {
                map.serialize_entry("type", "combined")?;
                map.serialize_entry("path", p)?;
            }
            Location::SecretJson(p) => {
                map.serialize_entry("type", "secret-json")?;
                map.serialize_entry("path", p)?;
            }
            Location::KubeconfigEmbedded { kubeconfig, user } => {
                map.serialize_entry("type", "kubeconfig-embedded")?;
                map.serialize_entry("kubeconfig", kubeconfig)?;
                map.serialize_entry("user", user)?;
            }
            Location::RkeState { state, certificate } => {
                map.serialize_entry("type", "rke-state")?;
                map.serialize_entry("path", state)?;
                map.serialize_entry("certificate", certificate)?;
            }
        }
        map.end()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) | Location::Combined(p) | Location::SecretJson(p) => {
                write!(f, "{}", p.display())
            }
            Location::KubeconfigEmbedded { kubeconfig, user } => {
                write!(f, "{} (user {user:?})", kubeconfig.display())
            }
            Location::RkeState { state, certificate } => {
                write!(f, "{} (certificate {certificate:?})", state.display())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every distribution names where it is looked for, as paths relative to the root (what
    /// "nothing found under ROOT" prints; an absolute path there would mislead).
    #[test]
    fn every_distribution_says_where_it_is_looked_for() {
        assert_eq!(Distribution::all().len(), 5);
        for d in Distribution::all() {
            let paths = d.searched_paths();
            assert!(!paths.is_empty(), "{d}");
            for p in paths {
                assert!(!p.starts_with('/') && !p.is_empty(), "{d}: {p}");
            }
        }
    }
}
