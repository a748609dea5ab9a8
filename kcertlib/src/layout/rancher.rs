//! RKE2 and k3s (one code base, two names): `/var/lib/rancher/<prog>/server/tls` with several
//! CAs, leaf files that hold the leaf followed by its CA chain, `server/cred/*.kubeconfig` with
//! file references, the agent's certificates in `agent/`, and the embedded admin kubeconfig
//! `/etc/rancher/<prog>/<prog>.yaml` (layouts.md §4).
//!
//! Entry names are the file names without `.crt`, with the subdirectory joined by `-`
//! (`client-admin`, `etcd-server-client`, `etcd-peer-ca`). The agent's own certificates keep
//! their names (`client-kubelet`, `serving-kubelet`); its copies of server files are prefixed
//! `agent-` (`agent-client-kube-proxy`, `agent-client-ca`), and the check marks them copies.
//! The file lists vary across releases, so only the long-standing ones are required; every
//! other certificate in these directories is still inventoried by the unknown-file sweep.

use std::path::PathBuf;

use super::{Context, EntrySpec, Expect, Presence, file_spec, kubeconfig_spec};
use crate::model::{Distribution, EntryKind, Location};

/// Which of the two products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// RKE2.
    Rke2,
    /// k3s.
    K3s,
}

impl Program {
    /// `rke2` or `k3s`.
    pub fn name(self) -> &'static str {
        match self {
            Program::Rke2 => "rke2",
            Program::K3s => "k3s",
        }
    }

    /// The matching distribution.
    pub fn distribution(self) -> Distribution {
        match self {
            Program::Rke2 => Distribution::Rke2,
            Program::K3s => Distribution::K3s,
        }
    }

    /// The systemd unit of a server (it also runs the node's agent).
    fn server_service(self) -> &'static str {
        match self {
            Program::Rke2 => "rke2-server",
            Program::K3s => "k3s",
        }
    }

    /// The systemd unit of an agent-only node.
    fn agent_service(self) -> &'static str {
        match self {
            Program::Rke2 => "rke2-agent",
            Program::K3s => "k3s-agent",
        }
    }
}

/// The RKE2 or k3s data of this node.
#[derive(Clone, Debug)]
pub struct Rancher {
    program: Program,
    /// `var/lib/rancher/<prog>/server/tls`, when this is a server.
    pub tls: Option<PathBuf>,
    /// `var/lib/rancher/<prog>/agent`, when present.
    pub agent: Option<PathBuf>,
}

/// Detects RKE2 or k3s by its server `tls` directory or its agent directory.
pub fn detect(context: &Context, program: Program) -> Option<Rancher> {
    let data = context.path(&format!("var/lib/rancher/{}", program.name()));
    let tls = data.join("server/tls");
    let agent = data.join("agent");
    let tls = context.is_dir(&tls).then_some(tls);
    let agent = (context.exists(&agent.join("client-kubelet.crt"))
        || context.exists(&agent.join("client-ca.crt")))
    .then_some(agent);
    (tls.is_some() || agent.is_some()).then_some(Rancher {
        program,
        tls,
        agent,
    })
}

/// dynamiclistener's file storage in `server/tls` (k3s `pkg/cluster/https.go` `tlsStorage`).
pub const DYNAMIC_CERT: &str = "dynamic-cert.json";

/// The in-cluster copy of the supervisor's serving certificate: Secret
/// `kube-system/<prog>-serving` (k3s `tlsStorage`: `version.Program + "-serving"`), which
/// dynamiclistener merges with the file when the server starts.
pub fn serving_secret(distribution: Distribution) -> Option<&'static str> {
    match distribution {
        Distribution::K3s => Some("k3s-serving"),
        Distribution::Rke2 => Some("rke2-serving"),
        _ => None,
    }
}

/// A leaf in `server/tls`: (path without `.crt`, signing CA entry, expectation, required).
type LeafRow = (&'static str, &'static str, fn(Program) -> Expect, bool);

const SERVER_CAS: &[&str] = &["server-ca", "client-ca", "request-header-ca"];
const ETCD_CAS: &[&str] = &["etcd/server-ca", "etcd/peer-ca"];

const SERVER_LEAVES: &[LeafRow] = &[
    (
        "client-admin",
        "client-ca",
        |_| {
            Expect::cn("system:admin")
                .orgs(&[&["system:masters"]])
                .client()
        },
        true,
    ),
    (
        "client-controller",
        "client-ca",
        |_| Expect::cn("system:kube-controller-manager").client(),
        true,
    ),
    (
        "client-scheduler",
        "client-ca",
        |_| Expect::cn("system:kube-scheduler").client(),
        true,
    ),
    (
        "client-kube-apiserver",
        "client-ca",
        |_| Expect::cn_any(&["system:apiserver", "kube-apiserver"]).client(),
        true,
    ),
    (
        "client-kube-proxy",
        "client-ca",
        |_| Expect::cn("system:kube-proxy").client(),
        true,
    ),
    (
        "client-auth-proxy",
        "request-header-ca",
        |_| Expect::cn("system:auth-proxy").client(),
        true,
    ),
    (
        "serving-kube-apiserver",
        "server-ca",
        |_| Expect::cn("kube-apiserver").server(),
        true,
    ),
    (
        "client-rke2-controller",
        "client-ca",
        |_| Expect::cn("system:rke2-controller").client(),
        false,
    ),
    (
        "client-k3s-controller",
        "client-ca",
        |_| Expect::cn("system:k3s-controller").client(),
        false,
    ),
    (
        "client-rke2-cloud-controller",
        "client-ca",
        |_| Expect::cn("rke2-cloud-controller-manager").client(),
        false,
    ),
    (
        "client-k3s-cloud-controller",
        "client-ca",
        |_| Expect::cn("k3s-cloud-controller-manager").client(),
        false,
    ),
    (
        "client-supervisor",
        "client-ca",
        |p| Expect::cn(&format!("system:{}-supervisor", p.name())).client(),
        false,
    ),
    (
        "kube-controller-manager/kube-controller-manager",
        "server-ca",
        |_| Expect::cn("kube-controller-manager").server(),
        false,
    ),
    (
        "kube-scheduler/kube-scheduler",
        "server-ca",
        |_| Expect::cn("kube-scheduler").server(),
        false,
    ),
];

const ETCD_LEAVES: &[LeafRow] = &[
    (
        "etcd/server-client",
        "etcd/server-ca",
        |_| Expect::cn("etcd-server").server().client(),
        true,
    ),
    (
        "etcd/client",
        "etcd/server-ca",
        |_| Expect::cn("etcd-client").client(),
        true,
    ),
    (
        "etcd/peer-server-client",
        "etcd/peer-ca",
        |_| Expect::cn("etcd-peer").server().client(),
        true,
    ),
];

impl Rancher {
    /// The directories whose unknown certificates belong to this product.
    pub fn pki_dirs(&self) -> Vec<(PathBuf, Distribution)> {
        let d = self.program.distribution();
        let mut dirs = Vec::new();
        if let Some(tls) = &self.tls {
            for sub in ["", "etcd", "kube-controller-manager", "kube-scheduler"] {
                dirs.push((tls.join(sub), d));
            }
        }
        dirs.extend(self.agent.clone().map(|a| (a, d)));
        dirs
    }

    /// The server's CAs and leaves, its kubeconfigs, then the agent's certificates.
    pub fn specs(&self, context: &mut Context) -> Vec<EntrySpec> {
        let mut specs = Vec::new();
        if let Some(tls) = &self.tls {
            specs.extend(self.server_specs(context, tls));
        }
        if let Some(agent) = &self.agent {
            specs.extend(self.agent_specs(context, agent));
        }
        let yaml = context.path(&format!(
            "etc/rancher/{p}/{p}.yaml",
            p = self.program.name()
        ));
        if context.exists(&yaml) {
            let name = format!("{}.yaml", self.program.name());
            specs.push(
                kubeconfig_spec(
                    context,
                    &yaml,
                    &name,
                    self.program.distribution(),
                    "default",
                )
                .signed_by("client-ca")
                .expect(
                    Expect::cn("system:admin")
                        .orgs(&[&["system:masters"]])
                        .client(),
                ),
            );
        }
        specs
    }

    fn server_specs(&self, context: &mut Context, tls: &std::path::Path) -> Vec<EntrySpec> {
        let d = self.program.distribution();
        let restart = [self.program.server_service()];
        let etcd = context.is_dir(&tls.join("etcd"));
        let mut cas: Vec<&str> = SERVER_CAS.to_vec();
        if etcd {
            cas.extend(ETCD_CAS);
        }
        let mut specs: Vec<EntrySpec> = cas
            .iter()
            .map(|ca| {
                self.pair(tls, ca, EntryKind::Ca)
                    .ca_key_expected(true)
                    .restart(&restart)
            })
            .collect();
        // Copies of the CAs without their intermediates (newer releases).
        for ca in ["server-ca", "client-ca"] {
            let copy = tls.join(format!("{ca}.nochain.crt"));
            if context.exists(&copy) {
                specs.push(
                    EntrySpec::new(
                        format!("{ca}-nochain"),
                        d,
                        EntryKind::Ca,
                        Location::File(copy),
                    )
                    .restart(&restart),
                );
            }
        }
        let leaves = SERVER_LEAVES
            .iter()
            .chain(if etcd { ETCD_LEAVES } else { &[] });
        for (path, ca, expect, required) in leaves {
            let present = context.exists(&tls.join(format!("{path}.crt")));
            if !required && !present {
                continue;
            }
            specs.push(
                self.pair(tls, path, EntryKind::Leaf)
                    .signed_by(&entry_name(ca))
                    .expect(expect(self.program))
                    .restart(&restart),
            );
        }
        // The supervisor's serving certificate (dynamiclistener's file storage, layouts.md §4):
        // absent until the server first starts, and renewed by k3s itself while it runs.
        let dynamic = tls.join(DYNAMIC_CERT);
        if context.exists(&dynamic) {
            let program = self.program.name();
            specs.push(
                EntrySpec::new(
                    "dynamic-cert",
                    d,
                    EntryKind::Leaf,
                    Location::SecretJson(dynamic.clone()),
                )
                .key(Location::SecretJson(dynamic))
                .signed_by("server-ca")
                .expect(Expect::cn(program).orgs(&[&[program]]).server())
                .restart(&restart),
            );
        }
        let cred = tls.parent().map(|server| server.join("cred"));
        if let Some(cred) = cred {
            for file in context.list(&cred) {
                if file.ends_with(".kubeconfig") {
                    let path = cred.join(&file);
                    specs.push(
                        kubeconfig_spec(context, &path, &file, d, "user")
                            .signed_by("client-ca")
                            .presence(Presence::Optional)
                            .restart(&restart),
                    );
                }
            }
        }
        specs
    }

    fn agent_specs(&self, context: &mut Context, agent: &std::path::Path) -> Vec<EntrySpec> {
        let d = self.program.distribution();
        let service = if self.tls.is_some() {
            self.program.server_service()
        } else {
            self.program.agent_service()
        };
        let mut specs = Vec::new();
        // On a server the agent's CA files are copies of the server's; alone, they are the
        // node's only view of its CAs (without keys).
        for ca in ["client-ca", "server-ca"] {
            let name = if self.tls.is_some() {
                format!("agent-{ca}")
            } else {
                ca.to_string()
            };
            specs.push(
                EntrySpec::new(
                    name,
                    d,
                    EntryKind::Ca,
                    Location::File(agent.join(format!("{ca}.crt"))),
                )
                .presence(Presence::Optional)
                .restart(&[service]),
            );
        }
        let controller = format!("client-{}-controller", self.program.name());
        let rows: [(&str, &str, Expect); 4] = [
            ("client-kubelet", "client-ca", {
                Expect::cn_prefix("system:node:")
                    .orgs(&[&["system:nodes"]])
                    .client()
            }),
            ("serving-kubelet", "server-ca", Expect::any().server()),
            (
                "client-kube-proxy",
                "client-ca",
                Expect::cn("system:kube-proxy").client(),
            ),
            (&controller, "client-ca", Expect::any().client()),
        ];
        for (file, ca, expect) in rows {
            let required = file == "client-kubelet" || file == "serving-kubelet";
            if !required && !context.exists(&agent.join(format!("{file}.crt"))) {
                continue;
            }
            specs.push(
                self.pair(agent, file, EntryKind::Leaf)
                    .signed_by(ca)
                    .expect(expect)
                    .restart(&[service]),
            );
            // Files shared with the server ("not unique to this node") are copies.
            if let Some(spec) = specs.last_mut()
                && !required
            {
                spec.name = format!("agent-{file}");
            }
        }
        for file in context.list(agent) {
            if file.ends_with(".kubeconfig") {
                let path = agent.join(&file);
                specs.push(
                    kubeconfig_spec(context, &path, &file, d, "user")
                        .signed_by("client-ca")
                        .presence(Presence::Optional)
                        .restart(&[service]),
                );
            }
        }
        specs
    }

    /// `<dir>/<path>.crt` and `.key`, named after the path.
    fn pair(&self, dir: &std::path::Path, path: &str, kind: EntryKind) -> EntrySpec {
        file_spec(
            &entry_name(path),
            self.program.distribution(),
            kind,
            dir.join(format!("{path}.crt")),
            dir.join(format!("{path}.key")),
        )
    }
}

/// `etcd/server-ca` → `etcd-server-ca`; `kube-scheduler/kube-scheduler` → `kube-scheduler`.
fn entry_name(path: &str) -> String {
    match path.split_once('/') {
        Some((dir, file)) if dir == file => file.to_string(),
        Some((dir, file)) => format!("{dir}-{file}"),
        None => path.to_string(),
    }
}
