//! kubeadm: `/etc/kubernetes/pki` (+ `etcd/`) and the kubeconfigs in `/etc/kubernetes`
//! (layouts.md §1). Names are kubeadm's own (`kubeadm certs check-expiration`), plus
//! `kubelet.conf`, which kubeadm leaves out but which kills a node just the same.
//!
//! The same tree sits under `/etc/kubernetes/ssl` on kubespray nodes, so the model takes its
//! certificate directory and distribution as parameters.

use std::path::PathBuf;

use super::{Context, EntrySpec, Expect, Presence, file_spec, kubeconfig_spec, kubespray};
use crate::model::{Distribution, EntryKind};

/// Static pods that read the cluster CA (and the kubelet, which trusts it for clients).
const CA_RESTART: &[&str] = &[
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
];

/// A kubeadm tree found on the node.
#[derive(Clone, Debug)]
pub struct Kubeadm {
    distribution: Distribution,
    /// `certificatesDir`: `etc/kubernetes/pki`, or `etc/kubernetes/ssl` under kubespray.
    pub cert_dir: PathBuf,
    /// `etc/kubernetes`, where the kubeconfigs are.
    pub kube_dir: PathBuf,
    /// Whether this is a control-plane node (a worker has only `ca.crt` and `kubelet.conf`).
    pub control_plane: bool,
    /// Whether etcd is local (stacked): `pki/etcd/` exists. Otherwise etcd is external.
    pub local_etcd: bool,
}

/// Detects a plain kubeadm node: `/etc/kubernetes/pki` with kubeadm's files, or kubeadm's
/// kubeconfigs, unless the tree is kubespray's (`pki` a symlink to `ssl`).
pub fn detect(context: &Context) -> Option<Kubeadm> {
    if kubespray::has_kubeadm_tree(context) {
        return None;
    }
    let pki = context.path("etc/kubernetes/pki");
    let kube = context.path("etc/kubernetes");
    let marks = [
        pki.join("ca.crt"),
        pki.join("apiserver.crt"),
        kube.join("admin.conf"),
        kube.join("kubelet.conf"),
    ];
    marks
        .iter()
        .any(|p| context.exists(p))
        .then(|| tree(context, Distribution::Kubeadm, pki))
}

/// The kubeadm model of a certificate directory.
pub fn tree(context: &Context, distribution: Distribution, cert_dir: PathBuf) -> Kubeadm {
    let kube_dir = context.path("etc/kubernetes");
    let control_plane = [
        cert_dir.join("apiserver.crt"),
        cert_dir.join("ca.key"),
        kube_dir.join("admin.conf"),
        kube_dir.join("controller-manager.conf"),
        kube_dir.join("scheduler.conf"),
    ]
    .iter()
    .any(|p| context.exists(p));
    let local_etcd = context.is_dir(&cert_dir.join("etcd"));
    Kubeadm {
        distribution,
        cert_dir,
        kube_dir,
        control_plane,
        local_etcd,
    }
}

impl Kubeadm {
    /// The distribution these entries are reported under.
    pub fn distribution(&self) -> Distribution {
        self.distribution
    }

    /// The directories whose unknown certificates belong to this tree.
    pub fn pki_dirs(&self, _context: &Context) -> Vec<(PathBuf, Distribution)> {
        let mut dirs = vec![(self.cert_dir.clone(), self.distribution)];
        if self.local_etcd {
            dirs.push((self.cert_dir.join("etcd"), self.distribution));
        }
        dirs
    }

    /// Every entry kubeadm keeps on this node.
    pub fn specs(&self, context: &mut Context) -> Vec<EntrySpec> {
        let mut specs = Vec::new();
        specs.push(
            self.pair("ca", "ca", EntryKind::Ca)
                .ca_key_expected(self.control_plane)
                .restart(CA_RESTART),
        );
        if self.control_plane {
            specs.extend(self.control_plane_specs(context));
        }
        specs.push(
            self.conf(context, "kubelet.conf", "")
                .expect(
                    Expect::cn_prefix("system:node:")
                        .orgs(&[&["system:nodes"]])
                        .client(),
                )
                .restart(&["kubelet"]),
        );
        specs
    }

    fn control_plane_specs(&self, context: &mut Context) -> Vec<EntrySpec> {
        let mut specs = vec![
            self.pair("front-proxy-ca", "front-proxy-ca", EntryKind::Ca)
                .ca_key_expected(true)
                .restart(&["kube-apiserver"]),
        ];
        if self.local_etcd {
            specs.push(
                self.pair("etcd-ca", "etcd/ca", EntryKind::Ca)
                    .ca_key_expected(true)
                    .restart(&["etcd", "kube-apiserver"]),
            );
        }
        specs.push(
            self.leaf("apiserver", "apiserver", "ca")
                .expect(Expect::cn("kube-apiserver").server())
                .restart(&["kube-apiserver"]),
        );
        specs.push(
            self.leaf("apiserver-kubelet-client", "apiserver-kubelet-client", "ca")
                .expect(
                    Expect::cn("kube-apiserver-kubelet-client")
                        .orgs(&[&["system:masters"], &["kubeadm:cluster-admins"], &[]])
                        .client(),
                )
                .restart(&["kube-apiserver"]),
        );
        specs.push(
            self.leaf("front-proxy-client", "front-proxy-client", "front-proxy-ca")
                .expect(Expect::cn("front-proxy-client").client())
                .restart(&["kube-apiserver"]),
        );
        let etcd_client = self
            .leaf("apiserver-etcd-client", "apiserver-etcd-client", "etcd-ca")
            .expect(
                Expect::cn("kube-apiserver-etcd-client")
                    .orgs(&[&["system:masters"], &[]])
                    .client(),
            )
            .restart(&["kube-apiserver"]);
        if self.local_etcd {
            specs.push(etcd_client);
            specs.push(
                self.leaf("etcd-server", "etcd/server", "etcd-ca")
                    .expect(Expect::any().server().client())
                    .restart(&["etcd"]),
            );
            specs.push(
                self.leaf("etcd-peer", "etcd/peer", "etcd-ca")
                    .expect(Expect::any().server().client())
                    .restart(&["etcd"]),
            );
            specs.push(
                self.leaf(
                    "etcd-healthcheck-client",
                    "etcd/healthcheck-client",
                    "etcd-ca",
                )
                .expect(
                    Expect::cn("kube-etcd-healthcheck-client")
                        .orgs(&[&["system:masters"], &[]])
                        .client(),
                ),
            );
        } else if context.exists(&self.cert_dir.join("apiserver-etcd-client.crt")) {
            // External etcd: kubeadm does not make this one, but people put theirs here.
            specs.push(etcd_client.presence(Presence::Optional));
        }
        let admin_orgs: &[&[&str]] = &[&["system:masters"], &["kubeadm:cluster-admins"]];
        specs.push(
            self.conf(context, "admin.conf", "kubernetes-admin")
                .expect(Expect::cn("kubernetes-admin").orgs(admin_orgs).client()),
        );
        // Written by `kubeadm init` only: absent on the other control-plane nodes (1.29+).
        specs.push(
            self.conf(context, "super-admin.conf", "kubernetes-super-admin")
                .presence(Presence::Optional)
                .expect(
                    Expect::cn("kubernetes-super-admin")
                        .orgs(&[&["system:masters"]])
                        .client(),
                ),
        );
        specs.push(
            self.conf(
                context,
                "controller-manager.conf",
                "system:kube-controller-manager",
            )
            .expect(Expect::cn("system:kube-controller-manager").client())
            .restart(&["kube-controller-manager"]),
        );
        specs.push(
            self.conf(context, "scheduler.conf", "system:kube-scheduler")
                .expect(Expect::cn("system:kube-scheduler").client())
                .restart(&["kube-scheduler"]),
        );
        specs
    }

    /// `<base>.crt` / `<base>.key` under the certificate directory.
    fn pair(&self, name: &str, base: &str, kind: EntryKind) -> EntrySpec {
        file_spec(
            name,
            self.distribution,
            kind,
            self.cert_dir.join(format!("{base}.crt")),
            self.cert_dir.join(format!("{base}.key")),
        )
    }

    fn leaf(&self, name: &str, base: &str, ca: &str) -> EntrySpec {
        self.pair(name, base, EntryKind::Leaf).signed_by(ca)
    }

    fn conf(&self, context: &mut Context, file: &str, user: &str) -> EntrySpec {
        let path = self.kube_dir.join(file);
        kubeconfig_spec(context, &path, file, self.distribution, user).signed_by("ca")
    }
}
