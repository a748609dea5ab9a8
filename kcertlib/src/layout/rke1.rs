//! Rancher RKE1: `/etc/kubernetes/ssl/<name>.pem` with `<name>-key.pem`, and component
//! kubeconfigs `kubecfg-<name>.yaml` that reference those files (layouts.md §3). Entry names are
//! RKE's certificate names (`kube-apiserver`, `kube-node`, `kube-etcd-10-0-0-5`); everything
//! is read from the node's own files, so the `cluster.rkestate` file is not needed.

use std::path::PathBuf;

use super::{CaRule, Context, EntrySpec, Expect, Presence, file_spec, kubeconfig_spec};
use crate::model::{Distribution, EntryKind};

const KUBE_CA: &str = "kube-ca";
const REQUESTHEADER_CA: &str = "kube-apiserver-requestheader-ca";

/// The RKE1 files of this node.
#[derive(Clone, Debug)]
pub struct Rke1 {
    /// `etc/kubernetes/ssl`.
    pub dir: PathBuf,
    /// Whether this is a control-plane node (it holds `kube-apiserver.pem`).
    pub control_plane: bool,
}

/// Detects RKE1 by `kube-ca.pem` or a `kubecfg-*.yaml` in `/etc/kubernetes/ssl`.
pub fn detect(context: &Context) -> Option<Rke1> {
    let dir = context.path("etc/kubernetes/ssl");
    let found = context.exists(&dir.join("kube-ca.pem"))
        || context
            .list(&dir)
            .iter()
            .any(|f| f.starts_with("kubecfg-kube-") && f.ends_with(".yaml"));
    found.then(|| Rke1 {
        control_plane: context.exists(&dir.join("kube-apiserver.pem")),
        dir,
    })
}

impl Rke1 {
    /// The directory whose unknown certificates belong to RKE1.
    pub fn pki_dirs(&self, _context: &Context) -> Vec<(PathBuf, Distribution)> {
        vec![(self.dir.clone(), Distribution::Rke1)]
    }

    /// Every `kube-*.pem` certificate, the required ones even when absent, then the component
    /// kubeconfigs (listed only when they point somewhere the certificates do not).
    pub fn specs(&self, context: &mut Context) -> Vec<EntrySpec> {
        let files = context.list(&self.dir);
        let mut names: Vec<String> = files
            .iter()
            .filter_map(|f| f.strip_suffix(".pem"))
            .filter(|stem| stem.starts_with("kube-"))
            .filter(|stem| !stem.ends_with("-key") && !stem.ends_with("-csr"))
            .map(str::to_string)
            .collect();
        let mut required = vec![KUBE_CA, "kube-node", "kube-proxy"];
        if self.control_plane {
            required.extend([
                REQUESTHEADER_CA,
                "kube-apiserver",
                "kube-apiserver-proxy-client",
                "kube-controller-manager",
                "kube-scheduler",
                "kube-service-account-token",
            ]);
        }
        for name in &required {
            if !names.iter().any(|n| n == name) {
                names.push((*name).to_string());
            }
        }
        // CAs first, then leaves, each alphabetically, as the report lists them.
        names.sort_by_key(|n| (!is_ca_name(n), n.clone()));
        let mut specs: Vec<EntrySpec> = names.iter().map(|n| self.spec(n)).collect();
        for file in files
            .iter()
            .filter(|f| f.starts_with("kubecfg-") && f.ends_with(".yaml"))
        {
            let path = self.dir.join(file);
            let user = file
                .trim_start_matches("kubecfg-")
                .trim_end_matches(".yaml")
                .to_string();
            specs.push(
                kubeconfig_spec(context, &path, file, Distribution::Rke1, &user)
                    .signed_by(KUBE_CA)
                    .presence(Presence::Optional),
            );
        }
        specs
    }

    fn spec(&self, name: &str) -> EntrySpec {
        let kind = if is_ca_name(name) {
            EntryKind::Ca
        } else {
            EntryKind::Leaf
        };
        let spec = file_spec(
            name,
            Distribution::Rke1,
            kind,
            self.dir.join(format!("{name}.pem")),
            self.dir.join(format!("{name}-key.pem")),
        );
        match name {
            // The CA key is stripped on non-control-plane nodes (RKE's deploy step).
            KUBE_CA => spec.ca_key_expected(self.control_plane).restart(&[
                "etcd",
                "kube-apiserver",
                "kube-controller-manager",
                "kube-scheduler",
                "kubelet",
                "kube-proxy",
            ]),
            REQUESTHEADER_CA => spec
                .ca_key_expected(self.control_plane)
                .restart(&["kube-apiserver"]),
            "kube-etcd-client-ca" => spec,
            "kube-apiserver" => spec
                .signed_by(KUBE_CA)
                .expect(Expect::cn("kube-apiserver").server().client())
                .restart(&["kube-apiserver"]),
            "kube-apiserver-proxy-client" => spec
                .signed_by(REQUESTHEADER_CA)
                .expect(Expect::cn("kube-apiserver-proxy-client").client())
                .restart(&["kube-apiserver"]),
            "kube-controller-manager" | "kube-scheduler" | "kube-proxy" => spec
                .signed_by(KUBE_CA)
                .expect(Expect::cn(&format!("system:{name}")).client())
                .restart(&[name]),
            // One shared identity for every kubelet; kube-apiserver also uses it as its etcd
            // client certificate.
            "kube-node" => spec
                .signed_by(KUBE_CA)
                .expect(
                    Expect::cn("system:node")
                        .orgs(&[&["system:nodes"]])
                        .client(),
                )
                .restart(&["kubelet", "kube-apiserver"]),
            "kube-admin" => spec.signed_by(KUBE_CA).expect(
                Expect::cn("kube-admin")
                    .orgs(&[&["system:masters"]])
                    .client(),
            ),
            "kube-service-account-token" => spec
                .signed_by(KUBE_CA)
                .expect(Expect::cn(name))
                .restart(&["kube-apiserver", "kube-controller-manager"]),
            "kube-etcd-client" => spec.ca(CaRule::Match).restart(&["kube-apiserver"]),
            etcd if etcd.starts_with("kube-etcd-") => spec
                .signed_by(KUBE_CA)
                .expect(Expect::cn("kube-etcd").server().client())
                .restart(&["etcd"]),
            kubelet if kubelet.starts_with("kube-kubelet-") => spec
                .signed_by(KUBE_CA)
                .expect(Expect::cn(kubelet).server().client())
                .restart(&["kubelet"]),
            _ => spec.signed_by(KUBE_CA),
        }
    }
}

fn is_ca_name(name: &str) -> bool {
    [KUBE_CA, REQUESTHEADER_CA, "kube-etcd-client-ca"].contains(&name)
}
