//! Reading and checking each entry: load the certificate and key wherever they live, find the
//! signing CA among the CA entries, verify, compare with what the distribution expects.
//!
//! Every failure becomes a sentence in the entry's `problems`, naming the file; nothing here
//! returns an error, so one bad file never hides the others.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use crate::cert::Certificate;
use crate::inventory::{Entry, EntryKind, EntryStatus, Location};
use crate::key::PrivateKey;
use crate::kubeconfig::{Kubeconfig, KubeconfigUser};
use crate::layout::rooted::ReadFailure;
use crate::layout::{CaRule, CnRule, Context, EntrySpec, Expect, Presence};
use crate::parallel::{self, Spread, Threads};
use crate::time::Timestamp;
use crate::verify::{could_issue, verify_signature};

/// The state of an entry's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyState {
    /// No key location, or nothing at it.
    Absent,
    /// Present but unreadable or unparsable (a problem says why).
    Unusable,
    /// Present and parsed; whether it matches the certificate.
    Present(bool),
}

/// An entry after reading, before its CA is known.
struct Loaded {
    spec: EntrySpec,
    certificate: Option<Certificate>,
    chain: Vec<Certificate>,
    status: EntryStatus,
    key: KeyState,
    problems: Vec<String>,
}

/// Checks every spec; returns entries in the same order.
pub(super) fn check_all(
    context: &Context,
    specs: Vec<EntrySpec>,
    now: Timestamp,
    warn_within: Duration,
    threads: Threads,
) -> Vec<Entry> {
    // Reading an entry is a few small files, a parse and a key match: cheap enough that threads
    // only pay from a few dozen entries each on (a kubespray node with 1,000 etcd hosts has 3,000).
    let spread = Spread {
        threads,
        min_per_thread: 32,
    };
    let loaded: Vec<Loaded> =
        parallel::map(spread, &specs, |spec| load(context, spec, now, warn_within));
    let cas = CaIndex::new(&loaded);
    let ca_external: HashMap<String, bool> = loaded
        .iter()
        .filter(|l| l.spec.kind == EntryKind::Ca)
        .map(|l| (l.spec.name.clone(), l.key == KeyState::Absent))
        .collect();
    // The first entry holding each certificate; later holders are copies of it.
    let mut first_holder: HashMap<&[u8], usize> = HashMap::new();
    let copy_of: Vec<Option<usize>> = loaded
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let der = l.certificate.as_ref()?.as_der();
            let first = *first_holder.entry(der).or_insert(i);
            (first != i).then_some(first)
        })
        .collect();
    let indices: Vec<usize> = (0..loaded.len()).collect();
    let signers: Vec<(Option<Signer>, Vec<String>)> = parallel::map(spread, &indices, |&index| {
        let mut problems = loaded[index].problems.clone();
        let signer = loaded[index]
            .certificate
            .as_ref()
            .map(|cert| find_signer(&loaded, &cas, index, cert, &mut problems));
        (signer, problems)
    });
    drop((cas, first_holder));
    // Each certificate moves from its `Loaded` into its entry: a large node's certificates are
    // never held twice.
    let mut entries: Vec<Entry> = Vec::with_capacity(loaded.len());
    for ((index, item), (signer, mut problems)) in loaded.into_iter().enumerate().zip(signers) {
        let original = copy_of[index];
        let (ca_name, chain_verifies) = match signer {
            Some(s) => (s.ca_name, s.verifies),
            None => (ca_name_hint(&item.spec), None),
        };
        let externally_managed = match (original, item.spec.kind) {
            // A copy is as renewable as the certificate it copies.
            (Some(o), _) => entries[o].externally_managed,
            (None, EntryKind::Ca) => item.key == KeyState::Absent,
            (None, EntryKind::Leaf) => match (&item.spec.ca, &ca_name) {
                (CaRule::InFileChain, _) => true,
                (_, Some(ca)) => ca_external.get(ca.as_str()).copied().unwrap_or(true),
                (_, None) => {
                    item.certificate
                        .as_ref()
                        .is_some_and(|c| !c.is_self_issued())
                        || item.key == KeyState::Absent
                }
            },
        };
        if item.spec.kind == EntryKind::Ca
            && item.spec.ca_key_expected
            && item.key == KeyState::Absent
            && item.certificate.is_some()
            && original.is_none()
        {
            problems.push(format!(
                "{}: CA key is absent: the CA is externally managed and the certificates it \
                 signs cannot be renewed on this node",
                key_path(&item.spec)
            ));
        }
        entries.push(Entry {
            name: item.spec.name.clone(),
            distribution: item.spec.distribution,
            kind: item.spec.kind,
            cert: item.spec.cert.clone(),
            key: item.spec.key.clone(),
            ca_name,
            residual_seconds: item
                .certificate
                .as_ref()
                .map(|c| now.seconds_until(c.not_after())),
            certificate: item.certificate,
            status: item.status,
            externally_managed,
            key_matches: match item.key {
                KeyState::Present(m) => Some(m),
                KeyState::Absent | KeyState::Unusable => None,
            },
            chain_verifies,
            restart: item.spec.restart.clone(),
            problems,
            copy_of: original.map(|o| entries[o].name.clone()),
        });
    }
    entries
}

fn load(context: &Context, spec: &EntrySpec, now: Timestamp, warn_within: Duration) -> Loaded {
    let spec = spec.clone();
    let mut problems = spec.problems.clone();
    let mut loaded = Loaded {
        certificate: None,
        chain: Vec::new(),
        status: EntryStatus::Error,
        key: KeyState::Absent,
        problems: Vec::new(),
        spec,
    };
    if loaded.spec.broken {
        loaded.problems = problems;
        return loaded;
    }
    match read_certificates(context, &loaded.spec.cert) {
        Ok(mut certs) => {
            let first = certs.remove(0);
            loaded.status = first.status(now, warn_within).into();
            loaded.chain = certs;
            loaded.key = check_key(context, &loaded.spec, &first, &mut problems);
            expectations(&loaded.spec, &first, &mut problems);
            loaded.certificate = Some(first);
        }
        Err(ReadFailure::Missing) => {
            loaded.status = EntryStatus::Missing;
            if loaded.spec.presence == Presence::Required || loaded.spec.referenced_by.is_some() {
                problems.push(format!(
                    "{}: missing{}",
                    describe(&loaded.spec.cert),
                    referenced_by(&loaded.spec)
                ));
            }
        }
        Err(ReadFailure::Unreadable(why)) => {
            problems.push(format!("{why}{}", referenced_by(&loaded.spec)))
        }
    }
    loaded.problems = problems;
    loaded
}

/// The certificates at a location, the entry's first. Never empty on success.
fn read_certificates(
    context: &Context,
    location: &Location,
) -> Result<Vec<Certificate>, ReadFailure> {
    let (bytes, what) = match location {
        Location::File(p) | Location::Combined(p) => (context.read(p)?, p.display().to_string()),
        Location::KubeconfigEmbedded { kubeconfig, user } => {
            let data = embedded(context, kubeconfig, user, |u| {
                u.client_certificate_data.clone()
            })?;
            (data, describe(location))
        }
        Location::SecretJson(p) => (
            secret_json(context, p, SecretField::Certificate)?,
            p.display().to_string(),
        ),
        Location::RkeState { state, certificate } => (
            rke_state(context, state, certificate, SecretField::Certificate)?,
            describe(location),
        ),
    };
    match Certificate::load_all(&bytes) {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        Ok(_) => Err(ReadFailure::Unreadable(format!(
            "{what}: holds no certificate"
        ))),
        Err(e) => Err(ReadFailure::Unreadable(format!("{what}: {}", e.message()))),
    }
}

/// Decoded `*-data` of `user` in a kubeconfig (parsed earlier by the model, or now).
fn embedded(
    context: &Context,
    kubeconfig: &Path,
    user: &str,
    field: impl Fn(&KubeconfigUser) -> Option<Vec<u8>>,
) -> Result<Vec<u8>, ReadFailure> {
    let fresh;
    let parsed = match context.cached_kubeconfig(kubeconfig) {
        Some(Ok(k)) => k,
        Some(Err(why)) => return Err(ReadFailure::Unreadable(why.clone())),
        None => {
            let bytes = context.read(kubeconfig)?;
            let text = String::from_utf8_lossy(&bytes);
            fresh = Kubeconfig::parse(&text, kubeconfig)
                .map_err(|e| ReadFailure::Unreadable(e.to_string()))?;
            &fresh
        }
    };
    let found = parsed.user(user).ok_or_else(|| {
        ReadFailure::Unreadable(format!(
            "{}: no user {user:?} in the kubeconfig",
            kubeconfig.display()
        ))
    })?;
    field(found).ok_or(ReadFailure::Missing)
}

/// Which value of a TLS Secret's `data`.
#[derive(Clone, Copy)]
enum SecretField {
    Certificate,
    Key,
}

/// The decoded `data."tls.crt"` or `data."tls.key"` of a JSON TLS Secret (`Missing` for an
/// absent key: a Secret may carry a certificate only).
fn secret_json(context: &Context, path: &Path, field: SecretField) -> Result<Vec<u8>, ReadFailure> {
    let bytes = zeroize::Zeroizing::new(context.read(path)?);
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ReadFailure::Unreadable(format!("{}: is not UTF-8 JSON", path.display())))?;
    let unreadable = |why: String| ReadFailure::Unreadable(format!("{}: {why}", path.display()));
    match field {
        SecretField::Certificate => crate::tls_secret::certificate_pem(text).map_err(unreadable),
        // A plain copy, moved into `Zeroizing` by the caller as soon as it is returned.
        SecretField::Key => match crate::tls_secret::key_pem(text).map_err(unreadable)? {
            Some(key) => Ok(key.to_vec()),
            None => Err(ReadFailure::Missing),
        },
    }
}

/// The PEM `certificatePEM` or `keyPEM` of bundle entry `name` in an RKE1 state file (the
/// desired state's, else the current one's).
fn rke_state(
    context: &Context,
    path: &Path,
    name: &str,
    field: SecretField,
) -> Result<Vec<u8>, ReadFailure> {
    let bytes = zeroize::Zeroizing::new(context.read(path)?);
    let unreadable = |why: String| ReadFailure::Unreadable(format!("{}: {why}", path.display()));
    let text = std::str::from_utf8(&bytes).map_err(|_| unreadable("is not UTF-8 JSON".into()))?;
    let bundle = crate::rke_state::bundle(text).map_err(unreadable)?;
    let found = bundle
        .iter()
        .find(|b| b.name == name)
        .ok_or(ReadFailure::Missing)?;
    match field {
        SecretField::Certificate => Ok(found.certificate_pem.value.as_bytes().to_vec()),
        SecretField::Key => found
            .key_pem
            .as_ref()
            .map(|k| k.value.as_bytes().to_vec())
            .ok_or(ReadFailure::Missing),
    }
}

fn check_key(
    context: &Context,
    spec: &EntrySpec,
    cert: &Certificate,
    problems: &mut Vec<String>,
) -> KeyState {
    let Some(location) = &spec.key else {
        return KeyState::Absent;
    };
    let bytes = match location {
        Location::File(p) | Location::Combined(p) => context.read(p),
        Location::KubeconfigEmbedded { kubeconfig, user } => {
            // A plain copy, moved into `Zeroizing` below as soon as it is returned.
            embedded(context, kubeconfig, user, |u| {
                u.client_key_data.as_deref().map(<[u8]>::to_vec)
            })
        }
        Location::SecretJson(p) => secret_json(context, p, SecretField::Key),
        Location::RkeState { state, certificate } => {
            rke_state(context, state, certificate, SecretField::Key)
        }
    };
    let bytes = match bytes {
        Ok(b) => zeroize::Zeroizing::new(b),
        Err(ReadFailure::Missing) => {
            if spec.kind == EntryKind::Leaf {
                problems.push(format!("{}: key is missing", describe(location)));
            }
            return KeyState::Absent;
        }
        Err(ReadFailure::Unreadable(why)) => {
            problems.push(why);
            return KeyState::Unusable;
        }
    };
    match PrivateKey::load(&bytes) {
        Ok(key) if key.matches(cert) => KeyState::Present(true),
        Ok(_) => {
            problems.push(format!(
                "{}: key does not match certificate {}",
                describe(location),
                spec.name
            ));
            KeyState::Present(false)
        }
        Err(e) => {
            problems.push(format!("{}: {}", describe(location), e.message()));
            KeyState::Unusable
        }
    }
}

/// The CA entries, by name and in inventory order (the first match wins, so a model's own CA
/// is preferred over a copy of it listed later).
struct CaIndex<'a> {
    by_name: HashMap<&'a str, usize>,
    in_order: Vec<usize>,
}

impl<'a> CaIndex<'a> {
    fn new(loaded: &'a [Loaded]) -> CaIndex<'a> {
        let in_order: Vec<usize> = loaded
            .iter()
            .enumerate()
            .filter(|(_, l)| l.spec.kind == EntryKind::Ca)
            .map(|(i, _)| i)
            .collect();
        CaIndex {
            by_name: in_order
                .iter()
                .map(|&i| (loaded[i].spec.name.as_str(), i))
                .collect(),
            in_order,
        }
    }
}

/// The CA that signed an entry, as found.
struct Signer {
    ca_name: Option<String>,
    verifies: Option<bool>,
}

fn find_signer(
    loaded: &[Loaded],
    cas: &CaIndex<'_>,
    index: usize,
    cert: &Certificate,
    problems: &mut Vec<String>,
) -> Signer {
    let item = &loaded[index];
    let path = describe(&item.spec.cert);
    let ca_cert = |i: usize| loaded[i].certificate.as_ref();
    let verified = |ca: &Certificate| could_issue(ca, cert) && verify_signature(cert, ca).is_ok();
    // Any other CA entry that issued it, by name/AKI then signature.
    let matching = || {
        cas.in_order
            .iter()
            .map(|&i| (i, &loaded[i]))
            .filter(|(i, _)| *i != index)
            .find(|(_, l)| l.certificate.as_ref().is_some_and(verified))
            .map(|(_, l)| l.spec.name.clone())
    };
    let unverified = |problems: &mut Vec<String>, who: &str| {
        problems.push(format!(
            "{path}: signature does not verify against CA {who}"
        ));
    };
    match &item.spec.ca {
        CaRule::SelfSigned | CaRule::InFileChain => {
            if cert.is_self_issued() {
                let ok = verify_signature(cert, cert).is_ok();
                if !ok {
                    unverified(problems, "itself (self-signed)");
                }
                return Signer {
                    ca_name: None,
                    verifies: Some(ok),
                };
            }
            if let Some(next) = item.chain.first().filter(|c| could_issue(c, cert)) {
                let ok = verify_signature(cert, next).is_ok();
                if !ok {
                    unverified(
                        problems,
                        &format!("{:?} (next in the file)", next.subject()),
                    );
                }
                return Signer {
                    ca_name: None,
                    verifies: Some(ok),
                };
            }
            match matching() {
                Some(name) => Signer {
                    ca_name: Some(name),
                    verifies: Some(true),
                },
                None => no_issuer(problems, &path, cert),
            }
        }
        CaRule::Named(expected) => {
            let named = cas.by_name.get(expected.as_str()).copied();
            if let Some(ca) = named.and_then(ca_cert)
                && verified(ca)
            {
                return Signer {
                    ca_name: Some(expected.clone()),
                    verifies: Some(true),
                };
            }
            if let Some(other) = matching() {
                problems.push(format!(
                    "{path}: signed by CA {other}, not by {expected} as this layout expects"
                ));
                return Signer {
                    ca_name: Some(other),
                    verifies: Some(true),
                };
            }
            match named {
                Some(i) if ca_cert(i).is_some() => {
                    unverified(problems, expected);
                    Signer {
                        ca_name: Some(expected.clone()),
                        verifies: Some(false),
                    }
                }
                // The CA entry itself reports why it could not be read.
                Some(_) => Signer {
                    ca_name: Some(expected.clone()),
                    verifies: None,
                },
                None => no_issuer(problems, &path, cert),
            }
        }
        CaRule::Match => {
            if let Some(name) = matching() {
                return Signer {
                    ca_name: Some(name),
                    verifies: Some(true),
                };
            }
            if cert.is_self_issued() {
                return Signer {
                    ca_name: None,
                    verifies: Some(verify_signature(cert, cert).is_ok()),
                };
            }
            let by_name = cas
                .in_order
                .iter()
                .map(|&i| (i, &loaded[i]))
                .find(|(i, l)| {
                    *i != index
                        && l.certificate
                            .as_ref()
                            .is_some_and(|ca| could_issue(ca, cert))
                });
            match by_name {
                Some((_, l)) => {
                    unverified(problems, &l.spec.name);
                    Signer {
                        ca_name: Some(l.spec.name.clone()),
                        verifies: Some(false),
                    }
                }
                None => no_issuer(problems, &path, cert),
            }
        }
    }
}

fn no_issuer(problems: &mut Vec<String>, path: &str, cert: &Certificate) -> Signer {
    problems.push(format!(
        "{path}: no CA certificate on this node issued it (issuer {:?})",
        cert.issuer()
    ));
    Signer {
        ca_name: None,
        verifies: None,
    }
}

/// The CA name to report when the certificate itself could not be read.
fn ca_name_hint(spec: &EntrySpec) -> Option<String> {
    match &spec.ca {
        CaRule::Named(name) => Some(name.clone()),
        _ => None,
    }
}

/// Differences from the distribution's conventions, as problems (never fatal).
fn expectations(spec: &EntrySpec, cert: &Certificate, problems: &mut Vec<String>) {
    let path = describe(&spec.cert);
    let Expect {
        cn,
        organizations,
        eku,
    } = &spec.expect;
    let actual_cn = cert.common_name().unwrap_or_default();
    match cn {
        Some(CnRule::Exact(names)) if !names.contains(&actual_cn) => problems.push(format!(
            "{path}: CN is {actual_cn:?}, expected {}",
            names
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(" or ")
        )),
        Some(CnRule::Prefix(prefix)) if !actual_cn.starts_with(prefix.as_str()) => {
            problems.push(format!(
                "{path}: CN is {actual_cn:?}, expected one starting with {prefix:?}"
            ));
        }
        _ => {}
    }
    if let Some(variants) = organizations {
        let mut actual = cert.organizations();
        actual.sort();
        let accepted = variants.iter().any(|v| {
            let mut v = v.clone();
            v.sort();
            v == actual
        });
        if !accepted {
            let show = |v: &[String]| format!("[{}]", v.join(", "));
            problems.push(format!(
                "{path}: O is {}, expected {}",
                show(&actual),
                variants
                    .iter()
                    .map(|v| show(v))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
    }
    if !eku.is_empty() {
        let actual = cert.extended_key_usage().unwrap_or_default();
        let lacking: Vec<&str> = eku
            .iter()
            .filter(|u| !actual.contains(u))
            .map(|u| u.name())
            .collect();
        if !lacking.is_empty() {
            problems.push(format!(
                "{path}: extendedKeyUsage lacks {}",
                lacking.join(" and ")
            ));
        }
    }
    if spec.kind == EntryKind::Ca && !cert.is_ca() {
        problems.push(format!(
            "{path}: listed as a CA but basicConstraints CA:TRUE is missing"
        ));
    }
}

fn key_path(spec: &EntrySpec) -> String {
    spec.key
        .as_ref()
        .map(describe)
        .unwrap_or_else(|| format!("{} (no key location)", describe(&spec.cert)))
}

/// A location as problems name it: the file, and the kubeconfig user for embedded data.
/// ` (referenced by <kubeconfig>)` for a location that came from a kubeconfig's reference.
fn referenced_by(spec: &EntrySpec) -> String {
    match &spec.referenced_by {
        Some(kubeconfig) => format!(" (referenced by {})", kubeconfig.display()),
        None => String::new(),
    }
}

fn describe(location: &Location) -> String {
    location.to_string()
}
