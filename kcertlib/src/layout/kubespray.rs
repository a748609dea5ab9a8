//! kubespray: kubeadm's tree under `/etc/kubernetes/ssl` (with `/etc/kubernetes/pki` a
//! compatibility symlink to it), plus the host-mode etcd certificates its own script makes in
//! `/etc/ssl/etcd/ssl` (layouts.md §5): `ca.pem`, `member-HOST.pem`, `admin-HOST.pem`,
//! `node-HOST.pem`, each with `-key.pem`. Nobody renews the latter, which is why they matter.

use std::path::PathBuf;

use super::kubeadm::{self, Kubeadm};
use super::{Context, EntrySpec, Expect, file_spec};
use crate::model::{Distribution, EntryKind};

/// The host-mode etcd roles and what uses each: `member` is etcd's server and peer cert,
/// `node` is kube-apiserver's (and calico's) etcd client cert, `admin` is for etcdctl.
const ETCD_ROLES: &[(&str, &[&str])] = &[
    ("member", &["etcd"]),
    ("admin", &[]),
    ("node", &["kube-apiserver"]),
];

/// What kubespray keeps on this node.
#[derive(Clone, Debug)]
pub struct Kubespray {
    kubeadm: Option<Kubeadm>,
    etcd_dir: Option<PathBuf>,
}

/// Whether the kubeadm tree lives in `/etc/kubernetes/ssl` (kubespray's `kube_cert_dir`), not
/// RKE1's files in the same directory.
pub fn has_kubeadm_tree(context: &Context) -> bool {
    let ssl = context.path("etc/kubernetes/ssl");
    let pki = context.path("etc/kubernetes/pki");
    let pki_is_ssl = context.is_symlink(&pki)
        && context.is_dir(&ssl)
        && context.identity(&pki) == context.identity(&ssl);
    let kubeadm_files =
        context.exists(&ssl.join("ca.crt")) || context.exists(&ssl.join("apiserver.crt"));
    pki_is_ssl || kubeadm_files
}

/// Detects kubespray by its kubeadm tree in `ssl/` or its host-mode etcd certificates.
pub fn detect(context: &Context) -> Option<Kubespray> {
    let kubeadm = has_kubeadm_tree(context).then(|| {
        kubeadm::tree(
            context,
            Distribution::Kubespray,
            context.path("etc/kubernetes/ssl"),
        )
    });
    let etcd = context.path("etc/ssl/etcd/ssl");
    let has_etcd = context.exists(&etcd.join("ca.pem"))
        || context.list(&etcd).iter().any(|f| host_of(f).is_some());
    if kubeadm.is_none() && !has_etcd {
        return None;
    }
    Some(Kubespray {
        kubeadm,
        etcd_dir: has_etcd.then_some(etcd),
    })
}

impl Kubespray {
    /// The directories whose unknown certificates belong to kubespray.
    pub fn pki_dirs(&self, context: &Context) -> Vec<(PathBuf, Distribution)> {
        let mut dirs = self
            .kubeadm
            .as_ref()
            .map(|k| k.pki_dirs(context))
            .unwrap_or_default();
        dirs.extend(self.etcd_dir.clone().map(|d| (d, Distribution::Kubespray)));
        dirs
    }

    /// The kubeadm entries (same names as kubeadm's) and the host-mode etcd entries
    /// (`etcd-ca`, `etcd-member-HOST`, `etcd-admin-HOST`, `etcd-node-HOST`).
    pub fn specs(&self, context: &mut Context) -> Vec<EntrySpec> {
        let mut specs = self
            .kubeadm
            .as_ref()
            .map(|k| k.specs(context))
            .unwrap_or_default();
        if let Some(dir) = &self.etcd_dir {
            specs.extend(etcd_specs(context, dir));
        }
        specs
    }
}

fn etcd_specs(context: &Context, dir: &std::path::Path) -> Vec<EntrySpec> {
    let files = context.list(dir);
    let is_etcd_host = files.iter().any(|f| f.starts_with("member-"));
    let mut specs = vec![
        file_spec(
            "etcd-ca",
            Distribution::Kubespray,
            EntryKind::Ca,
            dir.join("ca.pem"),
            dir.join("ca-key.pem"),
        )
        .ca_key_expected(is_etcd_host)
        .restart(&["etcd", "kube-apiserver"]),
    ];
    for (role, restart) in ETCD_ROLES {
        for file in &files {
            let Some((file_role, host)) = host_of(file) else {
                continue;
            };
            if file_role != *role {
                continue;
            }
            specs.push(
                file_spec(
                    &format!("etcd-{role}-{host}"),
                    Distribution::Kubespray,
                    EntryKind::Leaf,
                    dir.join(file),
                    dir.join(format!("{role}-{host}-key.pem")),
                )
                .signed_by("etcd-ca")
                // The CN uses the short host name (up to the first dot).
                .expect(
                    Expect::cn_prefix(&format!("etcd-{role}-"))
                        .server()
                        .client(),
                )
                .restart(restart),
            );
        }
    }
    specs
}

/// `member-node1.pem` → `("member", "node1")`; keys, CSRs and other files → `None`.
fn host_of(file: &str) -> Option<(&'static str, &str)> {
    let stem = file.strip_suffix(".pem")?;
    if stem.ends_with("-key") || stem.ends_with("-csr") {
        return None;
    }
    ETCD_ROLES.iter().find_map(|(role, _)| {
        stem.strip_prefix(role)
            .and_then(|rest| rest.strip_prefix('-'))
            .filter(|host| !host.is_empty())
            .map(|host| (*role, host))
    })
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn etcd_file_names() {
        assert_eq!(host_of("member-node1.pem"), Some(("member", "node1")));
        assert_eq!(
            host_of("admin-n.example.com.pem"),
            Some(("admin", "n.example.com"))
        );
        assert_eq!(host_of("node-node-2.pem"), Some(("node", "node-2")));
        assert_eq!(host_of("member-node1-key.pem"), None);
        assert_eq!(host_of("ca.pem"), None);
        assert_eq!(host_of("membernode1.pem"), None);
    }
}
