//! Which components a node's layout runs, and the port each serves TLS on by default.
//!
//! The ports are the upstream defaults: kube-apiserver `--secure-port` 6443, etcd's client
//! (2379) and peer (2380) URLs, kubelet 10250, kube-controller-manager 10257 and
//! kube-scheduler 10259 (their secure ports since Kubernetes 1.23), and the RKE2 supervisor
//! 9345. k3s runs its supervisor on 6443 in front of an apiserver bound to 6444. A node that
//! moved a port is served by an override (`LiveOptions::with_port`).

use std::fmt;

use crate::error::{Error, ErrorKind, Result};
use crate::model::Distribution;

/// A component that serves TLS on the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Component {
    /// The RKE2/k3s supervisor (agents join through it).
    Supervisor,
    /// kube-apiserver.
    KubeApiserver,
    /// etcd's client URL.
    Etcd,
    /// etcd's peer URL.
    EtcdPeer,
    /// kubelet's API.
    Kubelet,
    /// kube-controller-manager's secure port.
    KubeControllerManager,
    /// kube-scheduler's secure port.
    KubeScheduler,
}

impl Component {
    /// Every component, in report order.
    pub const fn all() -> &'static [Component] {
        &[
            Component::Supervisor,
            Component::KubeApiserver,
            Component::Etcd,
            Component::EtcdPeer,
            Component::Kubelet,
            Component::KubeControllerManager,
            Component::KubeScheduler,
        ]
    }

    /// `supervisor`, `kube-apiserver`, `etcd`, `etcd-peer`, `kubelet`,
    /// `kube-controller-manager` or `kube-scheduler`: the names port overrides use.
    pub fn name(self) -> &'static str {
        match self {
            Component::Supervisor => "supervisor",
            Component::KubeApiserver => "kube-apiserver",
            Component::Etcd => "etcd",
            Component::EtcdPeer => "etcd-peer",
            Component::Kubelet => "kubelet",
            Component::KubeControllerManager => "kube-controller-manager",
            Component::KubeScheduler => "kube-scheduler",
        }
    }

    /// The component called `name`.
    ///
    /// # Errors
    /// `InvalidArgument` naming the known components when `name` is none of them.
    pub fn from_name(name: &str) -> Result<Component> {
        Component::all()
            .iter()
            .copied()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Component::all().iter().map(|c| c.name()).collect();
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!("unknown component {name:?}; known: {}", known.join(", ")),
                )
            })
    }

    /// The port this component listens on by default in `distribution`'s layout, `None` when
    /// that layout does not run it.
    pub fn default_port(self, distribution: Distribution) -> Option<u16> {
        let rancher = matches!(distribution, Distribution::Rke2 | Distribution::K3s);
        match self {
            Component::Supervisor => match distribution {
                Distribution::Rke2 => Some(9345),
                Distribution::K3s => Some(6443),
                _ => None,
            },
            Component::KubeApiserver if distribution == Distribution::K3s => Some(6444),
            Component::KubeApiserver => Some(6443),
            Component::Etcd => Some(2379),
            Component::EtcdPeer => Some(2380),
            Component::Kubelet => Some(10250),
            Component::KubeControllerManager => Some(10257),
            Component::KubeScheduler => Some(10259),
        }
        .filter(|_| rancher || self != Component::Supervisor)
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The components of a node with these distributions, each with its default port from the
/// first distribution that runs it (kubespray's host-mode etcd listens where kubeadm's would).
pub(crate) fn default_ports(distributions: &[Distribution]) -> Vec<(Component, u16)> {
    Component::all()
        .iter()
        .filter_map(|&c| {
            distributions
                .iter()
                .find_map(|&d| c.default_port(d))
                .map(|port| (c, port))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeadm_has_no_supervisor_and_k3s_moves_the_apiserver() {
        let kubeadm = default_ports(&[Distribution::Kubeadm]);
        assert!(!kubeadm.iter().any(|(c, _)| *c == Component::Supervisor));
        assert!(kubeadm.contains(&(Component::KubeApiserver, 6443)));
        assert!(kubeadm.contains(&(Component::EtcdPeer, 2380)));
        let k3s = default_ports(&[Distribution::K3s]);
        assert!(k3s.contains(&(Component::Supervisor, 6443)));
        assert!(k3s.contains(&(Component::KubeApiserver, 6444)));
        let rke2 = default_ports(&[Distribution::Rke2]);
        assert!(rke2.contains(&(Component::Supervisor, 9345)));
        assert!(rke2.contains(&(Component::KubeApiserver, 6443)));
        assert!(default_ports(&[]).is_empty());
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_listed() {
        for &c in Component::all() {
            assert_eq!(Component::from_name(c.name()).ok(), Some(c));
        }
        let e = Component::from_name("apiserver").expect_err("unknown");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("kube-apiserver"), "{e}");
    }
}
