//! RKE1's cluster state file, `<cluster>.rkestate` (rancher/rke `cluster/state.go`): JSON
//! written by `json.MarshalIndent(FullState, "", "  ")` with mode 0600, beside `cluster.yml` on
//! the machine that runs `rke up`. `desiredState` and `currentState` each hold a
//! `certificatesBundle`, a map from certificate name (`kube-apiserver`, `kube-etcd-10-0-0-5`,
//! `kube-ca`, ...) to `pki.CertificatePKI`, whose `certificatePEM` and `keyPEM` are PEM text.
//! `rke up` deploys the desired bundle to the nodes, so a certificate renewed on a node but not
//! in the state comes back at the next `rke up`.
//!
//! Each entry also has a `config`: kubeconfig text. For `kube-admin` it is the kubeconfig `rke`
//! writes beside the state as `kube_config_<cluster>.yml` (`pki.GetKubeConfigX509WithData`),
//! with the CA, the client certificate and its key embedded as base64 `*-data`; the components'
//! (`pki.getKubeConfigX509`) only name the node's files, and the CAs, kube-apiserver, kube-etcd-*
//! and kube-service-account-token have none. `kube-admin` is never deployed to a node: the state
//! and that kubeconfig are its only homes.
//!
//! Edits replace those string values only (`json_text`); every other byte of the state stays.

use crate::cert::Certificate;
use crate::json_text::{self, StringValue};

/// The two states of `FullState`, in the order Go writes them.
pub(crate) const STATES: [&str; 2] = ["desiredState", "currentState"];
const BUNDLE: &str = "certificatesBundle";
const CERTIFICATE: &str = "certificatePEM";
const KEY: &str = "keyPEM";
const CONFIG: &str = "config";
/// The administrator's certificate, kept only in the state (and its kubeconfig).
pub(crate) const ADMIN: &str = "kube-admin";

/// One certificate of a state's bundle.
#[derive(Clone, Debug)]
pub(crate) struct BundleCertificate {
    /// `desiredState` or `currentState`.
    pub state: &'static str,
    /// The bundle key (`kube-apiserver`).
    pub name: String,
    /// Its `certificatePEM`.
    pub certificate_pem: StringValue,
    /// Its `keyPEM`, when present and not empty.
    pub key_pem: Option<StringValue>,
}

/// Every certificate in the bundles of `text`, desired state first, in document order.
///
/// # Errors
/// A sentence saying what is malformed (not JSON, a member written twice).
pub(crate) fn bundle(text: &str) -> Result<Vec<BundleCertificate>, String> {
    let values = json_text::string_values(text)?;
    let mut out: Vec<BundleCertificate> = Vec::new();
    for state in STATES {
        let in_bundle = |v: &&StringValue, field: &str| {
            v.path.len() == 4 && v.path[0] == state && v.path[1] == BUNDLE && v.path[3] == field
        };
        for cert in values.iter().filter(|v| in_bundle(v, CERTIFICATE)) {
            let name = cert.path[2].clone();
            if out.iter().any(|b| b.state == state && b.name == name) {
                return Err(format!("{state}.{BUNDLE}.{name} appears more than once"));
            }
            let key_pem = values
                .iter()
                .find(|v| in_bundle(v, KEY) && v.path[2] == name && !v.value.is_empty())
                .cloned();
            out.push(BundleCertificate {
                state,
                name,
                certificate_pem: cert.clone(),
                key_pem,
            });
        }
    }
    Ok(out)
}

/// The first certificate of bundle entry `name` in `state`.
///
/// # Errors
/// When the state has no such entry or its PEM does not parse.
pub(crate) fn certificate(text: &str, state: &str, name: &str) -> Result<Certificate, String> {
    let found = find(text, state, name)?;
    Certificate::from_pem(found.certificate_pem.value.as_bytes())
        .map_err(|e| format!("{state}.{BUNDLE}.{name}.{CERTIFICATE}: {}", e.message()))
}

/// The `keyPEM` of bundle entry `name` in `state`, when it has one.
///
/// # Errors
/// When the state has no such entry.
pub(crate) fn key_pem(text: &str, state: &str, name: &str) -> Result<Option<String>, String> {
    Ok(find(text, state, name)?.key_pem.map(|v| v.value))
}

/// `text` with the `certificatePEM` of entry `name` in `state` replaced by `pem`.
///
/// # Errors
/// When the state has no such entry.
pub(crate) fn with_certificate(
    text: &str,
    state: &str,
    name: &str,
    pem: &str,
) -> Result<String, String> {
    let found = find(text, state, name)?;
    Ok(json_text::replace_string(
        text,
        &found.certificate_pem.span,
        pem,
    ))
}

/// `text` with the `keyPEM` of entry `name` in `state` replaced by `pem`.
///
/// # Errors
/// When the state has no such entry or it has no key.
pub(crate) fn with_key(text: &str, state: &str, name: &str, pem: &str) -> Result<String, String> {
    let found = find(text, state, name)?;
    let key = found
        .key_pem
        .ok_or_else(|| format!("{state}.{BUNDLE}.{name} has no {KEY}"))?;
    Ok(json_text::replace_string(text, &key.span, pem))
}

/// A non-empty `config` (kubeconfig text) of a bundle entry.
#[derive(Clone, Debug)]
pub(crate) struct BundleConfig {
    /// `desiredState` or `currentState`.
    pub state: &'static str,
    /// The bundle key (`kube-admin`).
    pub name: String,
    /// The kubeconfig text.
    pub config: StringValue,
}

impl BundleConfig {
    /// Where the value is, for messages: `desiredState.certificatesBundle.kube-admin.config`.
    pub fn field(&self) -> String {
        field(self.state, &self.name)
    }
}

/// `state.certificatesBundle.name.config`, for messages.
pub(crate) fn field(state: &str, name: &str) -> String {
    format!("{state}.{BUNDLE}.{name}.{CONFIG}")
}

/// Every non-empty `config` of the bundles of `text`, desired state first, in document order.
///
/// # Errors
/// As `bundle`, and when an entry has two `config` members.
pub(crate) fn configs(text: &str) -> Result<Vec<BundleConfig>, String> {
    let values = json_text::string_values(text)?;
    let mut out: Vec<BundleConfig> = Vec::new();
    for state in STATES {
        for v in values.iter().filter(|v| {
            v.path.len() == 4 && v.path[0] == state && v.path[1] == BUNDLE && v.path[3] == CONFIG
        }) {
            let name = v.path[2].clone();
            if out.iter().any(|c| c.state == state && c.name == name) {
                return Err(format!("{} appears more than once", field(state, &name)));
            }
            if !v.value.is_empty() {
                out.push(BundleConfig {
                    state,
                    name,
                    config: v.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// The `config` of bundle entry `name` in `state`, when it has a non-empty one.
///
/// # Errors
/// As `configs`.
pub(crate) fn config(text: &str, state: &str, name: &str) -> Result<Option<String>, String> {
    Ok(configs(text)?
        .into_iter()
        .find(|c| c.state == state && c.name == name)
        .map(|c| c.config.value))
}

/// `text` with the `config` of entry `name` in `state` replaced by `config`.
///
/// # Errors
/// When the entry has no (non-empty) `config`.
pub(crate) fn with_config(
    text: &str,
    state: &str,
    name: &str,
    config: &str,
) -> Result<String, String> {
    let found = configs(text)?
        .into_iter()
        .find(|c| c.state == state && c.name == name)
        .ok_or_else(|| format!("has no {}", field(state, name)))?;
    Ok(json_text::replace_string(text, &found.config.span, config))
}

fn find(text: &str, state: &str, name: &str) -> Result<BundleCertificate, String> {
    bundle(text)?
        .into_iter()
        .find(|b| b.state == state && b.name == name)
        .ok_or_else(|| format!("has no {state}.{BUNDLE}.{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "{\n  \"desiredState\": {\n    \"rkeConfig\": {\"x\": \"y\"},\n    \"certificatesBundle\": {\n      \"kube-a\": {\n        \"certificatePEM\": \"A\\n\",\n        \"keyPEM\": \"K\\n\",\n        \"path\": \"/etc/kubernetes/ssl/kube-a.pem\"\n      },\n      \"kube-b\": {\n        \"certificatePEM\": \"B\\n\",\n        \"keyPEM\": \"\"\n      }\n    }\n  },\n  \"currentState\": {\n    \"certificatesBundle\": {\n      \"kube-a\": {\n        \"certificatePEM\": \"A\\n\",\n        \"keyPEM\": \"K\\n\"\n      }\n    }\n  }\n}";

    #[test]
    fn lists_both_states_and_edits_one_value() {
        let all = bundle(STATE).expect("valid");
        let names: Vec<(&str, &str)> = all.iter().map(|b| (b.state, b.name.as_str())).collect();
        assert_eq!(
            names,
            [
                ("desiredState", "kube-a"),
                ("desiredState", "kube-b"),
                ("currentState", "kube-a")
            ]
        );
        assert!(all[1].key_pem.is_none(), "an empty keyPEM is no key");
        let out = with_certificate(STATE, "currentState", "kube-a", "N\n").expect("edit");
        assert_eq!(
            out,
            STATE.replacen(
                "\"A\\n\",\n        \"keyPEM\": \"K\\n\"\n      }\n    }\n  }\n}",
                "\"N\\n\",\n        \"keyPEM\": \"K\\n\"\n      }\n    }\n  }\n}",
                1
            )
        );
        let out = with_key(&out, "desiredState", "kube-a", "Q\n").expect("edit");
        assert_eq!(
            key_pem(&out, "desiredState", "kube-a").expect("valid"),
            Some("Q\n".into())
        );
        assert_eq!(
            key_pem(&out, "currentState", "kube-a").expect("valid"),
            Some("K\n".into())
        );
        assert!(with_key(STATE, "desiredState", "kube-b", "Q").is_err());
        assert!(with_certificate(STATE, "currentState", "kube-b", "Q").is_err());
    }

    #[test]
    fn configs_are_listed_and_replaced_as_go_encodes_them() {
        let text = "{\"desiredState\": {\"certificatesBundle\": {\"kube-admin\": {\"certificatePEM\": \"A\", \"config\": \"k: \\\"v\\\"\\n\"}, \"kube-ca\": {\"certificatePEM\": \"C\", \"config\": \"\"}}}}";
        let found = configs(text).expect("valid");
        assert_eq!(found.len(), 1, "an empty config is none");
        assert_eq!(found[0].config.value, "k: \"v\"\n");
        assert_eq!(
            found[0].field(),
            "desiredState.certificatesBundle.kube-admin.config"
        );
        let out = with_config(text, "desiredState", "kube-admin", "k: <w>\n").expect("edit");
        assert_eq!(
            out,
            text.replace("k: \\\"v\\\"\\n", "k: \\u003cw\\u003e\\n")
        );
        assert_eq!(
            config(&out, "desiredState", "kube-admin").expect("valid"),
            Some("k: <w>\n".into())
        );
        assert!(with_config(text, "desiredState", "kube-ca", "x").is_err());
        assert!(configs("{\"desiredState\": {\"certificatesBundle\": {\"a\": {\"config\": \"x\", \"config\": \"y\"}}}}").is_err());
    }
}
