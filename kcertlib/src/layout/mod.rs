//! Distribution models: which certificates each distribution keeps where, who signs them, what
//! they should say, and what to restart when they change.
//!
//! Each model (`kubeadm`, `kubespray`, `rke1`, `rancher` for RKE2/k3s, `kubelet`) turns a root
//! directory into a list of `EntrySpec`s; `unknown` adds the certificates nobody claimed in the
//! models' PKI directories. Facts come from `shared/reference/layouts.md`. Detection is by
//! layout (§8 there), and several layouts on one node are all reported.

pub mod kubeadm;
pub mod kubelet;
pub mod kubespray;
pub mod rancher;
pub mod rke1;
pub mod rooted;
pub mod unknown;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::extensions::ExtendedKeyUsage;
use crate::fsx::RootDir;
use crate::kubeconfig::Kubeconfig;
use crate::model::{Distribution, EntryKind, Location};

/// What a model says about one entry, before anything is read.
#[derive(Clone, Debug)]
pub struct EntrySpec {
    /// Entry name (made unique across the inventory by `collect`).
    pub name: String,
    /// The distribution whose layout holds it.
    pub distribution: Distribution,
    /// Leaf or CA.
    pub kind: EntryKind,
    /// Where the certificate is.
    pub cert: Location,
    /// Where the key is, when the model expects one on this node.
    pub key: Option<Location>,
    /// How to find the signing CA.
    pub ca: CaRule,
    /// What an absent certificate means.
    pub presence: Presence,
    /// For CAs: whether the CA key is expected on this node (its absence is then reported).
    pub ca_key_expected: bool,
    /// Components to restart when it changes.
    pub restart: Vec<String>,
    /// What the certificate should say; differences are reported, never fatal.
    pub expect: Expect,
    /// Problems found while building the spec (e.g. a malformed kubeconfig). When the
    /// certificate could not even be located, `broken` is set and the entry is an error.
    pub problems: Vec<String>,
    /// The certificate could not be located (the entry's status will be `Error`).
    pub broken: bool,
    /// The location came from a kubeconfig's file reference: when a model lists the same file
    /// itself, that entry wins and this one is dropped.
    pub via_reference: bool,
    /// The kubeconfig whose file reference the certificate's location came from, named in the
    /// entry's problems when the file cannot be read.
    pub referenced_by: Option<PathBuf>,
}

impl EntrySpec {
    /// A spec with no expectations, a required certificate and no restart hint.
    pub fn new(
        name: impl Into<String>,
        distribution: Distribution,
        kind: EntryKind,
        cert: Location,
    ) -> EntrySpec {
        EntrySpec {
            name: name.into(),
            distribution,
            kind,
            cert,
            key: None,
            ca: if kind == EntryKind::Ca {
                CaRule::SelfSigned
            } else {
                CaRule::Match
            },
            presence: Presence::Required,
            ca_key_expected: false,
            restart: Vec::new(),
            expect: Expect::default(),
            problems: Vec::new(),
            broken: false,
            via_reference: false,
            referenced_by: None,
        }
    }

    /// Sets the key location.
    pub fn key(mut self, key: Location) -> EntrySpec {
        self.key = Some(key);
        self
    }

    /// Sets the CA rule.
    pub fn ca(mut self, ca: CaRule) -> EntrySpec {
        self.ca = ca;
        self
    }

    /// Sets the expected signer by name (matching by AKI/issuer when it is not that one).
    pub fn signed_by(self, ca_name: &str) -> EntrySpec {
        self.ca(CaRule::Named(ca_name.to_string()))
    }

    /// Sets the presence rule.
    pub fn presence(mut self, presence: Presence) -> EntrySpec {
        self.presence = presence;
        self
    }

    /// Sets the restart hints.
    pub fn restart(mut self, components: &[&str]) -> EntrySpec {
        self.restart = components.iter().map(|c| c.to_string()).collect();
        self
    }

    /// Sets the expectations.
    pub fn expect(mut self, expect: Expect) -> EntrySpec {
        self.expect = expect;
        self
    }

    /// Marks the CA key as expected on this node.
    pub fn ca_key_expected(mut self, expected: bool) -> EntrySpec {
        self.ca_key_expected = expected;
        self
    }
}

/// How the signing CA of an entry is found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaRule {
    /// A self-signed CA (verified against itself, or the next certificate of its file).
    SelfSigned,
    /// This CA entry should have signed it; when it did not, any CA entry that did is used and
    /// the difference reported.
    Named(String),
    /// Whichever CA entry issued it (by AKI/issuer name, then signature).
    Match,
    /// The CA is the next certificate of the same file and its key is not kept (kubelet's
    /// self-signed `kubelet.crt`).
    InFileChain,
}

/// What an absent certificate means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// It should be there: status `Missing` with a problem.
    Required,
    /// Absence is normal (e.g. `super-admin.conf` on non-first control-plane nodes): status
    /// `Missing`, no problem.
    Optional,
}

/// Expected subject and usages, from the distribution's conventions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expect {
    /// The common name.
    pub cn: Option<CnRule>,
    /// Acceptable sets of organizations (any one of them); `None` accepts anything.
    pub organizations: Option<Vec<Vec<String>>>,
    /// Extended key usages that must be present.
    pub eku: Vec<ExtendedKeyUsage>,
}

impl Expect {
    /// Exactly this CN.
    pub fn cn(cn: &str) -> Expect {
        Expect {
            cn: Some(CnRule::Exact(vec![cn.to_string()])),
            ..Expect::default()
        }
    }

    /// Any of these CNs.
    pub fn cn_any(cns: &[&str]) -> Expect {
        Expect {
            cn: Some(CnRule::Exact(cns.iter().map(|c| c.to_string()).collect())),
            ..Expect::default()
        }
    }

    /// A CN starting with `prefix` (`system:node:`, `etcd-member-`).
    pub fn cn_prefix(prefix: &str) -> Expect {
        Expect {
            cn: Some(CnRule::Prefix(prefix.to_string())),
            ..Expect::default()
        }
    }

    /// No CN rule.
    pub fn any() -> Expect {
        Expect::default()
    }

    /// Organizations: one of these sets (an empty set means "no O").
    pub fn orgs(mut self, variants: &[&[&str]]) -> Expect {
        self.organizations = Some(
            variants
                .iter()
                .map(|v| v.iter().map(|o| o.to_string()).collect())
                .collect(),
        );
        self
    }

    /// Requires clientAuth.
    pub fn client(mut self) -> Expect {
        self.eku.push(ExtendedKeyUsage::ClientAuth);
        self
    }

    /// Requires serverAuth.
    pub fn server(mut self) -> Expect {
        self.eku.push(ExtendedKeyUsage::ServerAuth);
        self
    }
}

/// A rule on the common name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CnRule {
    /// One of these exact names.
    Exact(Vec<String>),
    /// Any name with this prefix.
    Prefix(String),
}

/// State shared by the models while they look at one root: the root and every kubeconfig
/// parsed so far (each is read once, and the checks reuse it).
#[derive(Debug)]
pub struct Context {
    /// The canonical root.
    pub root: PathBuf,
    /// The root, open: every read goes through its resolver.
    pub dir: RootDir,
    kubeconfigs: HashMap<PathBuf, Result<Kubeconfig, String>>,
}

impl Context {
    /// A context for the open root `dir`.
    pub fn new(dir: &RootDir) -> Context {
        Context {
            root: dir.path().to_path_buf(),
            dir: dir.clone(),
            kubeconfigs: HashMap::new(),
        }
    }

    /// `root` joined with a root-relative path such as `etc/kubernetes/pki`.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Whether a directory is at `path` (following symlinks inside the root).
    pub fn is_dir(&self, path: &Path) -> bool {
        rooted::is_dir(&self.dir, path)
    }

    /// Whether `path` itself is a symlink.
    pub fn is_symlink(&self, path: &Path) -> bool {
        rooted::is_symlink(&self.dir, path)
    }

    /// Whether anything, even a dangling symlink or an unreadable file, is at `path`.
    pub fn exists(&self, path: &Path) -> bool {
        rooted::exists(&self.dir, path)
    }

    /// The bytes of the file at `path`.
    ///
    /// # Errors
    /// Whether it is missing, or why it cannot be read.
    pub fn read(&self, path: &Path) -> Result<Vec<u8>, rooted::ReadFailure> {
        rooted::read(&self.dir, path)
    }

    /// The file names in directory `dir` (empty when it cannot be listed), sorted.
    pub fn list(&self, dir: &Path) -> Vec<String> {
        self.dir
            .list(dir)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| n.into_string().ok())
            .collect()
    }

    /// The kubeconfig at `path`, parsed once.
    ///
    /// # Errors
    /// A message naming the file when it is missing, unreadable or malformed.
    pub fn kubeconfig(&mut self, path: &Path) -> Result<&Kubeconfig, String> {
        let dir = self.dir.clone();
        self.kubeconfigs
            .entry(path.to_path_buf())
            .or_insert_with(|| match rooted::read(&dir, path) {
                Ok(bytes) => String::from_utf8(bytes)
                    .map_err(|_| format!("{}: kubeconfig is not UTF-8 text", path.display()))
                    .and_then(|text| {
                        let text = zeroize::Zeroizing::new(text);
                        Kubeconfig::parse(&text, path).map_err(|e| e.to_string())
                    }),
                Err(rooted::ReadFailure::Missing) => {
                    Err(format!("{}: kubeconfig is missing", path.display()))
                }
                Err(rooted::ReadFailure::Unreadable(why)) => Err(why),
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A kubeconfig parsed earlier by `kubeconfig`.
    pub fn cached_kubeconfig(&self, path: &Path) -> Option<&Result<Kubeconfig, String>> {
        self.kubeconfigs.get(path)
    }

    /// Where the real file behind `path` is, for telling whether two locations are one file.
    pub fn identity(&self, path: &Path) -> PathBuf {
        rooted::real_path(&self.dir, path).unwrap_or_else(|| path.to_path_buf())
    }
}

/// What `collect` found: the distributions and the entries to check.
#[derive(Debug)]
pub struct Found {
    /// Detected distributions, in `Distribution` order.
    pub distributions: Vec<Distribution>,
    /// Entry specs, names unique, each certificate once.
    pub specs: Vec<EntrySpec>,
}

/// Runs every model that detects its layout under the context's root, then the unknown-file
/// sweep, and makes the result consistent: each certificate listed once (the first model to
/// claim it wins), names unique.
pub fn collect(context: &mut Context) -> Found {
    let mut distributions = Vec::new();
    let mut specs = Vec::new();
    let mut pki_dirs: Vec<(PathBuf, Distribution)> = Vec::new();
    if let Some(model) = kubeadm::detect(context) {
        distributions.push(model.distribution());
        pki_dirs.extend(model.pki_dirs(context));
        specs.extend(model.specs(context));
    }
    if let Some(model) = kubespray::detect(context) {
        distributions.push(Distribution::Kubespray);
        pki_dirs.extend(model.pki_dirs(context));
        specs.extend(model.specs(context));
    }
    if let Some(model) = rke1::detect(context) {
        distributions.push(Distribution::Rke1);
        pki_dirs.extend(model.pki_dirs(context));
        specs.extend(model.specs(context));
    }
    for program in [rancher::Program::Rke2, rancher::Program::K3s] {
        if let Some(model) = rancher::detect(context, program) {
            distributions.push(program.distribution());
            pki_dirs.extend(model.pki_dirs());
            specs.extend(model.specs(context));
        }
    }
    if let Some(host) = distributions.first().copied()
        && !matches!(host, Distribution::Rke2 | Distribution::K3s)
    {
        let model = kubelet::Kubelet::new(context, host);
        pki_dirs.push((model.dir.clone(), host));
        specs.extend(model.specs(context));
    }
    let mut specs = dedupe(context, specs);
    let claimed = claimed_files(context, &specs);
    let extra = unknown::specs(context, &pki_dirs, &claimed);
    specs.extend(extra);
    unique_names(&mut specs);
    distributions.sort();
    distributions.dedup();
    Found {
        distributions,
        specs,
    }
}

/// Drops specs whose certificate another spec already lists (kubespray's `pki` symlink, a
/// kubeconfig that references a file a model lists itself: the file's own entry wins).
fn dedupe(context: &Context, specs: Vec<EntrySpec>) -> Vec<EntrySpec> {
    let direct: HashSet<Location> = specs
        .iter()
        .filter(|s| !s.broken && !s.via_reference)
        .map(|s| location_identity(context, &s.cert))
        .collect();
    let mut seen = HashSet::new();
    specs
        .into_iter()
        .filter(|spec| {
            if spec.broken {
                return true;
            }
            let identity = location_identity(context, &spec.cert);
            if spec.via_reference && direct.contains(&identity) {
                return false;
            }
            seen.insert(identity)
        })
        .collect()
}

fn location_identity(context: &Context, location: &Location) -> Location {
    match location {
        Location::File(p) | Location::Combined(p) => Location::File(context.identity(p)),
        Location::SecretJson(p) => Location::SecretJson(context.identity(p)),
        other => other.clone(),
    }
}

/// Every real file the specs point at, certificates and keys, plus the files kubeconfigs
/// reference, so the unknown sweep skips them.
fn claimed_files(context: &Context, specs: &[EntrySpec]) -> HashSet<PathBuf> {
    let mut claimed = HashSet::new();
    for spec in specs {
        for location in std::iter::once(&spec.cert).chain(spec.key.as_ref()) {
            if let Location::File(p) | Location::Combined(p) | Location::SecretJson(p) = location {
                claimed.insert(context.identity(p));
            }
        }
    }
    for parsed in context
        .kubeconfigs
        .iter()
        .filter_map(|(p, k)| Some((p, k.as_ref().ok()?)))
    {
        let (path, kubeconfig) = parsed;
        let base = path.parent().unwrap_or(&context.root);
        let users = kubeconfig.users();
        let refs = users
            .iter()
            .flat_map(|u| [u.client_certificate.clone(), u.client_key.clone()])
            .chain(
                kubeconfig
                    .clusters()
                    .into_iter()
                    .map(|c| c.certificate_authority),
            )
            .flatten();
        for r in refs {
            claimed.insert(context.identity(&rooted::reference(&context.root, base, &r)));
        }
    }
    claimed
}

/// Makes names unique: a later entry whose name is taken gets `<distribution>/<name>`, then a
/// numeric suffix. A renamed CA's own distribution follows it: its leaves that name that CA
/// name the new one.
fn unique_names(specs: &mut [EntrySpec]) {
    let mut taken = HashSet::new();
    let mut renamed: Vec<(Distribution, String, String)> = Vec::new();
    for spec in specs.iter_mut() {
        if taken.insert(spec.name.clone()) {
            continue;
        }
        let qualified = format!("{}/{}", spec.distribution.name(), spec.name);
        let mut candidate = qualified.clone();
        let mut n = 2;
        while !taken.insert(candidate.clone()) {
            candidate = format!("{qualified}#{n}");
            n += 1;
        }
        if spec.kind == EntryKind::Ca {
            renamed.push((spec.distribution, spec.name.clone(), candidate.clone()));
        }
        spec.name = candidate;
    }
    for spec in specs.iter_mut() {
        if let CaRule::Named(ca) = &spec.ca
            && let Some((_, _, new)) = renamed
                .iter()
                .find(|(d, old, _)| *d == spec.distribution && old == ca)
        {
            spec.ca = CaRule::Named(new.clone());
        }
    }
}

/// A spec for the client certificate of a component kubeconfig: embedded data or file
/// references, whichever the kubeconfig holds. A missing or malformed kubeconfig still yields
/// an entry, so the report shows it.
pub fn kubeconfig_spec(
    context: &mut Context,
    path: &Path,
    name: &str,
    distribution: Distribution,
    expected_user: &str,
) -> EntrySpec {
    let embedded = |user: &str| Location::KubeconfigEmbedded {
        kubeconfig: path.to_path_buf(),
        user: user.to_string(),
    };
    let root = context.root.clone();
    if !context.exists(path) {
        return EntrySpec::new(name, distribution, EntryKind::Leaf, embedded(expected_user));
    }
    let kubeconfig = match context.kubeconfig(path) {
        Ok(k) => k,
        Err(why) => {
            let mut spec = EntrySpec::new(name, distribution, EntryKind::Leaf, embedded(""));
            spec.problems.push(why);
            spec.broken = true;
            return spec;
        }
    };
    let Some(user) = kubeconfig.client_user() else {
        let mut spec = EntrySpec::new(name, distribution, EntryKind::Leaf, embedded(""));
        spec.problems.push(format!(
            "{}: no user with a client certificate (current-context {:?})",
            path.display(),
            kubeconfig.current_context.as_deref().unwrap_or("")
        ));
        spec.broken = true;
        return spec;
    };
    let base = path.parent().unwrap_or(&root);
    let key_ref = user
        .client_key
        .as_ref()
        .map(|k| rooted::reference(&root, base, k));
    let (cert, key) = match (&user.client_certificate_data, &user.client_certificate) {
        (Some(_), _) => {
            let key = if user.client_key_data.is_some() {
                Some(embedded(&user.name))
            } else {
                key_ref.map(Location::File)
            };
            (embedded(&user.name), key)
        }
        (None, Some(cert_ref)) => {
            let cert_path = rooted::reference(&root, base, cert_ref);
            match key_ref {
                Some(k) if k == cert_path => (
                    Location::Combined(cert_path.clone()),
                    Some(Location::Combined(cert_path)),
                ),
                Some(k) => (Location::File(cert_path), Some(Location::File(k))),
                None if user.client_key_data.is_some() => {
                    (Location::File(cert_path), Some(embedded(&user.name)))
                }
                None => (Location::File(cert_path), None),
            }
        }
        (None, None) => {
            let mut spec =
                EntrySpec::new(name, distribution, EntryKind::Leaf, embedded(&user.name));
            spec.problems.push(format!(
                "{}: user {:?} has neither client-certificate-data nor client-certificate",
                path.display(),
                user.name
            ));
            spec.broken = true;
            return spec;
        }
    };
    let via_reference = !matches!(cert, Location::KubeconfigEmbedded { .. });
    let mut spec = EntrySpec::new(name, distribution, EntryKind::Leaf, cert);
    spec.key = key;
    spec.via_reference = via_reference;
    spec.referenced_by = Some(path.to_path_buf());
    if spec.key.is_none() {
        spec.problems.push(format!(
            "{}: user {:?} has no client key (client-key-data or client-key)",
            path.display(),
            user.name
        ));
    }
    spec
}

/// A spec for a PEM certificate file with its key file next to it.
pub fn file_spec(
    name: &str,
    distribution: Distribution,
    kind: EntryKind,
    cert: PathBuf,
    key: PathBuf,
) -> EntrySpec {
    EntrySpec::new(name, distribution, kind, Location::File(cert)).key(Location::File(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_unique() {
        let spec = |name: &str, d| {
            EntrySpec::new(name, d, EntryKind::Ca, Location::File(PathBuf::from(name)))
        };
        let leaf = |d| {
            EntrySpec::new("x", d, EntryKind::Leaf, Location::File(PathBuf::from("x")))
                .signed_by("etcd-ca")
        };
        let mut specs = vec![
            spec("etcd-ca", Distribution::Kubeadm),
            spec("etcd-ca", Distribution::Kubespray),
            spec("etcd-ca", Distribution::Kubespray),
            leaf(Distribution::Kubeadm),
            leaf(Distribution::Kubespray),
        ];
        unique_names(&mut specs);
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "etcd-ca",
                "kubespray/etcd-ca",
                "kubespray/etcd-ca#2",
                "x",
                "kubespray/x"
            ]
        );
        assert_eq!(specs[3].ca, CaRule::Named("etcd-ca".into()));
        assert_eq!(specs[4].ca, CaRule::Named("kubespray/etcd-ca".into()));
    }
}
