//! The kubelet's own certificate directory, `/var/lib/kubelet/pki` (layouts.md §1.9):
//!
//! - `kubelet-client-current.pem`: a symlink (absolute target) to the newest
//!   `kubelet-client-<date>.pem`, which holds the client certificate then its key. Usually
//!   `kubelet.conf` points at it (after kubeadm's kubelet-finalize) and is not listed apart.
//! - `kubelet-server-current.pem`: the same for the serving certificate when
//!   `serverTLSBootstrap` is on (`kubelet-server-current`).
//! - `kubelet.crt` / `kubelet.key`: the self-signed serving certificate, followed in the file by
//!   the throwaway CA that signed it, whose key was never kept (`kubelet-serving`).
//!
//! Older dated files are history, not entries.

use std::path::PathBuf;

use super::{CaRule, Context, EntrySpec, Expect, Presence};
use crate::model::{Distribution, EntryKind, Location};

/// The kubelet directory of a node whose other files belong to `distribution`.
#[derive(Clone, Debug)]
pub struct Kubelet {
    distribution: Distribution,
    /// `var/lib/kubelet/pki`.
    pub dir: PathBuf,
}

impl Kubelet {
    /// The model for this root, reported under the node's distribution.
    pub fn new(context: &Context, distribution: Distribution) -> Kubelet {
        Kubelet {
            distribution,
            dir: context.path("var/lib/kubelet/pki"),
        }
    }

    /// The entries present on disk (nothing here is required: kubelet makes them itself).
    pub fn specs(&self, context: &Context) -> Vec<EntrySpec> {
        let cluster_ca = match self.distribution {
            Distribution::Rke1 => "kube-ca",
            Distribution::Rke2 | Distribution::K3s => "client-ca",
            Distribution::Kubeadm | Distribution::Kubespray => "ca",
        };
        let mut specs = Vec::new();
        let client = self.dir.join("kubelet-client-current.pem");
        if context.exists(&client) {
            specs.push(
                EntrySpec::new(
                    "kubelet-client-current",
                    self.distribution,
                    EntryKind::Leaf,
                    Location::Combined(client.clone()),
                )
                .key(Location::Combined(client))
                .signed_by(cluster_ca)
                .expect(
                    Expect::cn_prefix("system:node:")
                        .orgs(&[&["system:nodes"]])
                        .client(),
                )
                .restart(&["kubelet"]),
            );
        }
        let server = self.dir.join("kubelet-server-current.pem");
        if context.exists(&server) {
            specs.push(
                EntrySpec::new(
                    "kubelet-server-current",
                    self.distribution,
                    EntryKind::Leaf,
                    Location::Combined(server.clone()),
                )
                .key(Location::Combined(server))
                .signed_by(cluster_ca)
                .expect(Expect::any().server())
                .restart(&["kubelet"]),
            );
        }
        let serving = self.dir.join("kubelet.crt");
        if context.exists(&serving) {
            specs.push(
                EntrySpec::new(
                    "kubelet-serving",
                    self.distribution,
                    EntryKind::Leaf,
                    Location::File(serving),
                )
                .key(Location::File(self.dir.join("kubelet.key")))
                .ca(CaRule::InFileChain)
                .presence(Presence::Optional)
                .expect(Expect::any().server())
                .restart(&["kubelet"]),
            );
        }
        specs
    }
}

/// Whether `file` is one of kubelet's dated history files (`kubelet-client-2024-...pem`).
pub fn is_rotation_history(file: &str) -> bool {
    ["kubelet-client-", "kubelet-server-"].iter().any(|prefix| {
        file.strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}
