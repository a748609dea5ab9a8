//! Kubeconfig files: reading every user and cluster entry, and rewriting a base64 value in place.
//!
//! Reading goes through a YAML 1.2 parser, so any valid kubeconfig is understood whatever its
//! quoting or order. Writing deliberately does not: re-emitting YAML would drop comments,
//! reorder keys and change quoting, and people diff their kubeconfigs. A renewal only has to swap
//! one base64 value (`client-certificate-data`, `client-key-data`,
//! `certificate-authority-data`) for another, so that is done on the text, and every other byte
//! survives.
//!
//! A kubeconfig may embed a private key (`client-key-data`). What this module keeps of it is
//! wiped when dropped: the decoded key (`KubeconfigUser::client_key_data`), its base64 text
//! (`client_key_data_base64`), the whole text read (`Kubeconfig::text`, kept in a `Zeroizing`
//! buffer, as is the file read by `load`) and the intermediate buffers of decoding. Not covered:
//! the YAML parser's own transient copies of scalars while `parse` runs, and the text `parse`
//! is given or `with_replaced_value` returns, which belong to the caller.

use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, ErrorKind, Result};
use crate::key::{SecretBytes, SecretString};

mod yaml_bounds;

/// A parsed kubeconfig, with the text it was read from.
#[derive(Clone, Debug)]
pub struct Kubeconfig {
    /// The file this was read from (or the name given to `parse`), for messages.
    pub path: PathBuf,
    /// `current-context`, when set.
    pub current_context: Option<String>,
    text: SecretString,
    users: Vec<KubeconfigUser>,
    clusters: Vec<KubeconfigCluster>,
    contexts: Vec<KubeconfigContext>,
}

/// One entry of `users:`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KubeconfigUser {
    /// The entry's `name`.
    pub name: String,
    /// `client-certificate-data`, decoded (PEM bytes).
    pub client_certificate_data: Option<Vec<u8>>,
    /// `client-key-data`, decoded (PEM bytes of a private key): wiped when dropped.
    pub client_key_data: Option<SecretBytes>,
    /// `client-certificate`, a file reference exactly as written (absolute, or relative to the
    /// kubeconfig's directory).
    pub client_certificate: Option<PathBuf>,
    /// `client-key`, a file reference as written.
    pub client_key: Option<PathBuf>,
    /// `client-certificate-data` as written (the text `with_replaced_value` looks for).
    pub client_certificate_data_base64: Option<String>,
    /// `client-key-data` as written (base64 of a private key): wiped when dropped.
    pub client_key_data_base64: Option<SecretString>,
}

/// One entry of `clusters:`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KubeconfigCluster {
    /// The entry's `name`.
    pub name: String,
    /// `server`, e.g. `https://127.0.0.1:6443`.
    pub server: Option<String>,
    /// `certificate-authority-data`, decoded (PEM bytes).
    pub certificate_authority_data: Option<Vec<u8>>,
    /// `certificate-authority`, a file reference as written.
    pub certificate_authority: Option<PathBuf>,
    /// `certificate-authority-data` as written.
    pub certificate_authority_data_base64: Option<String>,
}

/// One entry of `contexts:`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KubeconfigContext {
    /// The entry's `name`.
    pub name: String,
    /// The cluster it points at.
    pub cluster: Option<String>,
    /// The user it points at.
    pub user: Option<String>,
}

impl Kubeconfig {
    /// Reads and parses the kubeconfig at `path`.
    ///
    /// # Errors
    /// `Io` when the file cannot be read; `Kubeconfig` as `parse`.
    pub fn load(path: impl AsRef<Path>) -> Result<Kubeconfig> {
        let path = path.as_ref();
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| Error::io("reading", path, e))?);
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            Error::new(ErrorKind::Kubeconfig, "kubeconfig is not UTF-8 text").with_path(path)
        })?;
        Self::parse(text, path)
    }

    /// Parses kubeconfig text; `path` only names it in messages.
    ///
    /// # Errors
    /// `Kubeconfig` naming the file when the text is not YAML (with the parser's line and
    /// column), is not a mapping, or a `*-data` value is not base64.
    pub fn parse(text: &str, path: impl AsRef<Path>) -> Result<Kubeconfig> {
        let path = path.as_ref();
        let docs = load_yaml(text, Some(path))?;
        let empty = Yaml::Value(Scalar::Null);
        let doc = match docs.first() {
            Some(doc) if doc.is_mapping() => doc,
            Some(doc) if doc.is_null() => &empty,
            None => &empty,
            Some(_) => {
                return Err(
                    Error::new(ErrorKind::Kubeconfig, "kubeconfig is not a YAML mapping")
                        .with_path(path),
                );
            }
        };
        Self::from_document(doc, text, Some(path))
    }

    /// Parses `text` when it is a kubeconfig: a YAML mapping whose `kind` is `Config`, or that
    /// has no `kind` but has `clusters`, `users` or `contexts`. Any other YAML (or JSON)
    /// document is `None`, so a caller can tell "some other file" from "a broken kubeconfig".
    /// `path`, when known, names the file in messages.
    ///
    /// # Errors
    /// `Kubeconfig` when the text is not YAML at all, or is a kubeconfig with a bad value
    /// (as `parse`).
    pub(crate) fn parse_if_kubeconfig(
        text: &str,
        path: Option<&Path>,
    ) -> Result<Option<Kubeconfig>> {
        let docs = load_yaml(text, path)?;
        let Some(doc) = docs.first().filter(|doc| is_kubeconfig_document(doc)) else {
            return Ok(None);
        };
        Self::from_document(doc, text, path).map(Some)
    }

    /// The kubeconfig held by the YAML mapping `doc`, parsed from `text`.
    fn from_document(doc: &Yaml<'_>, text: &str, path: Option<&Path>) -> Result<Kubeconfig> {
        let fail = |msg: String| at(Error::new(ErrorKind::Kubeconfig, msg), path);
        let mut users = Vec::new();
        for (index, item) in entries(doc, "users", path)?.iter().enumerate() {
            let name = scalar(item.as_mapping_get("name")).unwrap_or_default();
            let body = item.as_mapping_get("user");
            let field = |key: &str| body.and_then(|b| scalar(b.as_mapping_get(key)));
            let what = |key: &str| format!("user {name:?} (users[{index}]) {key}");
            let cert_b64 = field("client-certificate-data").filter(|s| !s.trim().is_empty());
            let key_b64 = field("client-key-data")
                .map(SecretString::new)
                .filter(|s| !s.trim().is_empty());
            users.push(KubeconfigUser {
                client_certificate_data: decode(cert_b64.as_deref(), || {
                    what("client-certificate-data")
                })
                .map_err(&fail)?
                .map(|mut der| std::mem::take(&mut *der)),
                client_key_data: decode(key_b64.as_deref(), || what("client-key-data"))
                    .map_err(&fail)?
                    .map(SecretBytes::from),
                client_certificate: field("client-certificate")
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from),
                client_key: field("client-key")
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from),
                client_certificate_data_base64: cert_b64,
                client_key_data_base64: key_b64,
                name,
            });
        }
        let mut clusters = Vec::new();
        for (index, item) in entries(doc, "clusters", path)?.iter().enumerate() {
            let name = scalar(item.as_mapping_get("name")).unwrap_or_default();
            let body = item.as_mapping_get("cluster");
            let field = |key: &str| body.and_then(|b| scalar(b.as_mapping_get(key)));
            let ca_b64 = field("certificate-authority-data").filter(|s| !s.trim().is_empty());
            clusters.push(KubeconfigCluster {
                server: field("server"),
                certificate_authority_data: decode(ca_b64.as_deref(), || {
                    format!("cluster {name:?} (clusters[{index}]) certificate-authority-data")
                })
                .map_err(&fail)?
                .map(|mut der| std::mem::take(&mut *der)),
                certificate_authority: field("certificate-authority")
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from),
                certificate_authority_data_base64: ca_b64,
                name,
            });
        }
        let contexts = entries(doc, "contexts", path)?
            .iter()
            .map(|item| {
                let body = item.as_mapping_get("context");
                let field = |key: &str| body.and_then(|b| scalar(b.as_mapping_get(key)));
                KubeconfigContext {
                    name: scalar(item.as_mapping_get("name")).unwrap_or_default(),
                    cluster: field("cluster"),
                    user: field("user"),
                }
            })
            .collect();
        Ok(Kubeconfig {
            path: path.map(Path::to_path_buf).unwrap_or_default(),
            current_context: scalar(doc.as_mapping_get("current-context"))
                .filter(|s| !s.is_empty()),
            text: SecretString::new(text.to_string()),
            users,
            clusters,
            contexts,
        })
    }

    /// The text this kubeconfig was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every `users:` entry, in file order.
    pub fn users(&self) -> Vec<KubeconfigUser> {
        self.users.clone()
    }

    /// Every `clusters:` entry, in file order.
    pub fn clusters(&self) -> Vec<KubeconfigCluster> {
        self.clusters.clone()
    }

    /// Every `users:` entry, borrowed (`users` clones, keys included).
    pub(crate) fn user_entries(&self) -> &[KubeconfigUser] {
        &self.users
    }

    /// Every `clusters:` entry, borrowed.
    pub(crate) fn cluster_entries(&self) -> &[KubeconfigCluster] {
        &self.clusters
    }

    /// Every `contexts:` entry, in file order.
    pub fn contexts(&self) -> Vec<KubeconfigContext> {
        self.contexts.clone()
    }

    /// The user entry called `name`.
    pub fn user(&self, name: &str) -> Option<&KubeconfigUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The cluster entry called `name`.
    pub fn cluster(&self, name: &str) -> Option<&KubeconfigCluster> {
        self.clusters.iter().find(|c| c.name == name)
    }

    /// The context named by `current-context`.
    pub fn current(&self) -> Option<&KubeconfigContext> {
        let name = self.current_context.as_deref()?;
        self.contexts.iter().find(|c| c.name == name)
    }

    /// The user that matters for a component kubeconfig: the current context's user, else the
    /// only user, else the first user that carries a client certificate.
    pub fn client_user(&self) -> Option<&KubeconfigUser> {
        if let Some(user) = self
            .current()
            .and_then(|c| c.user.as_deref())
            .and_then(|name| self.user(name))
        {
            return Some(user);
        }
        if self.users.len() == 1 {
            return self.users.first();
        }
        self.users
            .iter()
            .find(|u| u.client_certificate_data.is_some() || u.client_certificate.is_some())
    }

    /// The text with the base64 value `old_base64` replaced by `new_base64`, every other byte
    /// (comments, order, quoting, line endings) unchanged.
    ///
    /// The value is found as a whole token: the characters around it must not be base64
    /// characters, so a value that is a prefix of another is not mistaken for it.
    ///
    /// # Errors
    /// `InvalidArgument` when either value is empty or `new_base64` holds characters outside the
    /// base64 alphabet (they could break the YAML); `Kubeconfig` naming the file when
    /// `old_base64` is not found exactly once.
    pub fn with_replaced_value(&self, old_base64: &str, new_base64: &str) -> Result<String> {
        replace_base64_value(&self.text, old_base64, new_base64)
            .map_err(|e| e.with_path(&self.path))
    }
}

/// Replaces the one whole-token occurrence of `old_base64` in `text` by `new_base64`.
///
/// # Errors
/// As `Kubeconfig::with_replaced_value`, without the path.
pub fn replace_base64_value(text: &str, old_base64: &str, new_base64: &str) -> Result<String> {
    if old_base64.is_empty() || new_base64.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "base64 values to replace must not be empty",
        ));
    }
    if let Some(bad) = new_base64.chars().find(|c| !is_base64_char(*c)) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("new base64 value holds {bad:?}, which is not a base64 character"),
        ));
    }
    let bytes = text.as_bytes();
    let hits: Vec<usize> = text
        .match_indices(old_base64)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + old_base64.len()).copied();
            !before.is_some_and(|b| is_base64_char(b as char))
                && !after.is_some_and(|b| is_base64_char(b as char))
        })
        .collect();
    match hits.as_slice() {
        [at] => {
            let mut out = String::with_capacity(text.len() - old_base64.len() + new_base64.len());
            out.push_str(&text[..*at]);
            out.push_str(new_base64);
            out.push_str(&text[at + old_base64.len()..]);
            Ok(out)
        }
        _ => Err(Error::new(
            ErrorKind::Kubeconfig,
            format!(
                "base64 value {} found {} times, expected exactly once",
                preview(old_base64),
                hits.len()
            ),
        )),
    }
}

fn is_base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='
}

fn preview(value: &str) -> String {
    let head: String = value.chars().take(16).collect();
    if value.len() > 16 {
        format!("{head:?}... ({} characters)", value.len())
    } else {
        format!("{head:?}")
    }
}

/// `err` naming `path`, when there is one.
fn at(err: Error, path: Option<&Path>) -> Error {
    match path {
        Some(path) => err.with_path(path),
        None => err,
    }
}

/// The YAML documents of `text`, within the bounds of `yaml_bounds`.
fn load_yaml<'a>(text: &'a str, path: Option<&Path>) -> Result<Vec<Yaml<'a>>> {
    let fail = |msg: String| at(Error::new(ErrorKind::Kubeconfig, msg), path);
    if let Some(why) = yaml_bounds::excess(text) {
        return Err(fail(format!("kubeconfig YAML {why}")));
    }
    Yaml::load_from_str(text).map_err(|e| fail(format!("malformed kubeconfig YAML: {e}")))
}

/// Whether a YAML document is a kubeconfig (see `Kubeconfig::parse_if_kubeconfig`).
fn is_kubeconfig_document(doc: &Yaml<'_>) -> bool {
    if !doc.is_mapping() {
        return false;
    }
    match scalar(doc.as_mapping_get("kind")) {
        Some(kind) => kind == "Config",
        None => ["clusters", "users", "contexts"]
            .iter()
            .any(|key| doc.as_mapping_get(key).is_some()),
    }
}

/// The items of a top-level list (`users`, `clusters`, `contexts`); absent or null is empty.
fn entries<'a>(doc: &'a Yaml<'a>, key: &str, path: Option<&Path>) -> Result<&'a [Yaml<'a>]> {
    match doc.as_mapping_get(key) {
        None => Ok(&[]),
        Some(v) if v.is_null() => Ok(&[]),
        Some(v) => v.as_sequence().map(Vec::as_slice).ok_or_else(|| {
            at(
                Error::new(
                    ErrorKind::Kubeconfig,
                    format!("`{key}` is not a list in the kubeconfig"),
                ),
                path,
            )
        }),
    }
}

/// Any scalar as text (`name: 1` is an integer to YAML, a name to us).
fn scalar(node: Option<&Yaml<'_>>) -> Option<String> {
    match node? {
        Yaml::Value(Scalar::String(s)) => Some(s.to_string()),
        Yaml::Value(Scalar::Integer(i)) => Some(i.to_string()),
        Yaml::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        Yaml::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        Yaml::Representation(s, _, _) => Some(s.to_string()),
        Yaml::Tagged(_, inner) => scalar(Some(inner)),
        _ => None,
    }
}

/// Decodes a `*-data` value (whitespace ignored). Every buffer is `Zeroizing`, since the value
/// may be a key: the caller keeps the result as it is, or copies a public one out.
fn decode(
    value: Option<&str>,
    what: impl Fn() -> String,
) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let mut compact = Zeroizing::new(Vec::with_capacity(value.len()));
    compact.extend(value.bytes().filter(|b| !b.is_ascii_whitespace()));
    let mut out = Zeroizing::new(vec![0u8; compact.len() / 4 * 3 + 3]);
    let len = match Base64::decode(&compact[..], &mut out[..]) {
        Ok(decoded) => decoded.len(),
        Err(e) => return Err(format!("{} is not valid base64: {e}", what())),
    };
    out[len..].zeroize();
    out.truncate(len);
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
apiVersion: v1
# a comment that must survive
clusters:
- cluster:
    certificate-authority-data: Q0FDQQ==
    server: https://127.0.0.1:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
users:
- name: kubernetes-admin
  user:
    client-certificate-data: \"Q0VSVA==\"
    client-key-data: S0VZ
- name: other
  user:
    client-certificate: /etc/x.pem
    client-key: x-key.pem
";

    #[test]
    fn reads_users_clusters_and_context() {
        let kc = Kubeconfig::parse(SAMPLE, "admin.conf").expect("parses");
        let users = kc.users();
        assert_eq!(users.len(), 2);
        assert_eq!(
            users[0].client_certificate_data.as_deref(),
            Some(&b"CERT"[..])
        );
        assert_eq!(users[0].client_key_data.as_deref(), Some(&b"KEY"[..]));
        assert_eq!(
            users[1].client_certificate,
            Some(PathBuf::from("/etc/x.pem"))
        );
        assert_eq!(users[1].client_key, Some(PathBuf::from("x-key.pem")));
        let clusters = kc.clusters();
        assert_eq!(
            clusters[0].server.as_deref(),
            Some("https://127.0.0.1:6443")
        );
        assert_eq!(
            clusters[0].certificate_authority_data.as_deref(),
            Some(&b"CACA"[..])
        );
        assert_eq!(
            kc.client_user().map(|u| u.name.as_str()),
            Some("kubernetes-admin")
        );
    }

    #[test]
    fn replaces_only_the_value() {
        let kc = Kubeconfig::parse(SAMPLE, "admin.conf").expect("parses");
        let out = kc
            .with_replaced_value("S0VZ", "TkVXS0VZ")
            .expect("replaced");
        assert_eq!(
            out,
            SAMPLE.replace("client-key-data: S0VZ", "client-key-data: TkVXS0VZ")
        );
        let quoted = kc
            .with_replaced_value("Q0VSVA==", "TkVX")
            .expect("replaced");
        assert!(quoted.contains("client-certificate-data: \"TkVX\""));
    }

    #[test]
    fn refuses_absent_repeated_or_unsafe_values() {
        let text = "a: QUJD\nb: QUJD\nc: QUJDRA==\n";
        let err = replace_base64_value(text, "QUJD", "WA==").expect_err("twice");
        assert!(err.to_string().contains("found 2 times"), "{err}");
        let err = replace_base64_value(text, "WllY", "WA==").expect_err("absent");
        assert!(err.to_string().contains("found 0 times"), "{err}");
        assert!(replace_base64_value(text, "QUJDRA==", "x\ny").is_err());
        assert_eq!(
            replace_base64_value(text, "QUJDRA==", "WA==").expect("once"),
            "a: QUJD\nb: QUJD\nc: WA==\n"
        );
    }

    #[test]
    fn malformed_yaml_names_the_file() {
        let err = Kubeconfig::parse("users: [\n  - name: x\n", "/tmp/bad.conf").expect_err("bad");
        assert_eq!(err.kind(), ErrorKind::Kubeconfig);
        assert!(
            err.to_string()
                .starts_with("/tmp/bad.conf: malformed kubeconfig YAML"),
            "{err}"
        );
        let err = Kubeconfig::parse("- a\n- b\n", "list.conf").expect_err("not a mapping");
        assert!(err.to_string().contains("not a YAML mapping"), "{err}");
        let err = Kubeconfig::parse(
            "users:\n- name: u\n  user:\n    client-key-data: '%%'\n",
            "k",
        )
        .expect_err("bad base64");
        assert!(
            err.to_string()
                .contains("client-key-data is not valid base64"),
            "{err}"
        );
    }
}
