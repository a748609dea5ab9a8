//! Kubeconfig text edited in place, for kubeconfig files and for the kubeconfigs RKE1 keeps
//! inside its cluster state (`config`): a user's embedded PEM re-encoded after an edit, a CA
//! replaced in every cluster's `certificate-authority-data`, and a certificate replaced
//! wherever a kubeconfig embeds it. Only base64 values change (`kubeconfig::replace_base64_value`);
//! every other byte stays.

use std::collections::BTreeSet;
use std::path::Path;

use base64ct::{Base64, Encoding};

use super::pem_text;
use crate::error::{Error, ErrorKind, Result};
use crate::kubeconfig::{self, Kubeconfig};

/// Where a kubeconfig embeds a certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Holding {
    /// In some cluster's `certificate-authority-data`.
    pub clusters: bool,
    /// In these users' `client-certificate-data` (the client certificate, or a CA after it).
    pub users: Vec<String>,
}

impl Holding {
    /// Whether the kubeconfig embeds it anywhere.
    pub fn any(&self) -> bool {
        self.clusters || !self.users.is_empty()
    }
}

/// Where `parsed` embeds the certificate `der`. Values that are not PEM text hold nothing.
pub(super) fn holding(parsed: &Kubeconfig, der: &[u8]) -> Holding {
    let has = |data: Option<&[u8]>| {
        data.and_then(|d| std::str::from_utf8(d).ok())
            .is_some_and(|t| pem_text::contains_certificate(t, der).unwrap_or(false))
    };
    Holding {
        clusters: parsed
            .clusters()
            .iter()
            .any(|c| has(c.certificate_authority_data.as_deref())),
        users: parsed
            .users()
            .into_iter()
            .filter(|u| has(u.client_certificate_data.as_deref()))
            .map(|u| u.name)
            .collect(),
    }
}

/// `text` (the kubeconfig named `path` in messages) with the certificate `old_der` replaced by
/// `new_der` wherever it is embedded, and where that was.
///
/// # Errors
/// `Kubeconfig` when the text does not parse or a value to replace is not found as written.
pub(super) fn replace_everywhere(
    text: &str,
    path: &Path,
    old_der: &[u8],
    new_der: &[u8],
) -> Result<(String, Holding)> {
    let found = holding(&Kubeconfig::parse(text, path)?, old_der);
    let mut out = text.to_string();
    if found.clusters {
        out = replace_cluster_ca(&out, path, old_der, new_der)?;
    }
    for user in &found.users {
        out = replace_user_data(&out, path, user, UserField::Certificate, |pem| {
            Ok(pem_text::replace_certificate(pem, old_der, new_der)?.0)
        })?;
    }
    Ok((out, found))
}

/// Which embedded value of a user.
#[derive(Clone, Copy)]
pub(super) enum UserField {
    Certificate,
    Key,
}

/// Re-encodes one user's embedded data after `change` edits its decoded PEM.
pub(super) fn replace_user_data(
    text: &str,
    path: &Path,
    user: &str,
    field: UserField,
    change: impl FnOnce(&str) -> Result<String>,
) -> Result<String> {
    let parsed = Kubeconfig::parse(text, path)?;
    let found = parsed.user(user).ok_or_else(|| {
        Error::new(ErrorKind::Kubeconfig, format!("no user {user:?}")).with_path(path)
    })?;
    let (written, decoded, name) = match field {
        UserField::Certificate => (
            found.client_certificate_data_base64.as_deref(),
            found.client_certificate_data.as_deref(),
            "client-certificate-data",
        ),
        UserField::Key => (
            found.client_key_data_base64.as_deref(),
            found.client_key_data.as_deref(),
            "client-key-data",
        ),
    };
    let (Some(written), Some(decoded)) = (written, decoded) else {
        return Err(Error::new(
            ErrorKind::Kubeconfig,
            format!("user {user:?} has no {name}"),
        )
        .with_path(path));
    };
    let decoded = zeroize::Zeroizing::new(String::from_utf8(decoded.to_vec()).map_err(|_| {
        Error::new(
            ErrorKind::Kubeconfig,
            format!("{name} of user {user:?} is not PEM text"),
        )
        .with_path(path)
    })?);
    let new_pem = zeroize::Zeroizing::new(change(&decoded)?);
    let new_base64 = Base64::encode_string(new_pem.as_bytes());
    kubeconfig::replace_base64_value(text, written, &new_base64).map_err(|e| e.with_path(path))
}

/// Replaces the old CA in every cluster's `certificate-authority-data`.
pub(super) fn replace_cluster_ca(
    text: &str,
    path: &Path,
    old_der: &[u8],
    new_der: &[u8],
) -> Result<String> {
    let parsed = Kubeconfig::parse(text, path)?;
    let mut out = text.to_string();
    let mut done = BTreeSet::new();
    for cluster in parsed.clusters() {
        let (Some(written), Some(data)) = (
            cluster.certificate_authority_data_base64.as_deref(),
            cluster.certificate_authority_data.as_deref(),
        ) else {
            continue;
        };
        let Ok(pem) = std::str::from_utf8(data) else {
            continue;
        };
        let (new_pem, replaced) = pem_text::replace_certificate(pem, old_der, new_der)?;
        if replaced == 0 || !done.insert(written.to_string()) {
            continue;
        }
        let new_base64 = Base64::encode_string(new_pem.as_bytes());
        out = replace_every_value(&out, written, &new_base64, path)?;
    }
    Ok(out)
}

/// Every whole-token occurrence of `old` replaced (several clusters may share one CA value,
/// which `kubeconfig::replace_base64_value` refuses as ambiguous).
fn replace_every_value(text: &str, old: &str, new: &str, path: &Path) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut replaced = 0;
    while let Some(at) = first_token(rest, old) {
        out.push_str(&rest[..at]);
        out.push_str(new);
        rest = &rest[at + old.len()..];
        replaced += 1;
    }
    out.push_str(rest);
    if replaced == 0 {
        return Err(Error::new(
            ErrorKind::Kubeconfig,
            "certificate-authority-data value not found as written",
        )
        .with_path(path));
    }
    Ok(out)
}

fn first_token(text: &str, value: &str) -> Option<usize> {
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=';
    let bytes = text.as_bytes();
    text.match_indices(value).map(|(at, _)| at).find(|&at| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + value.len()).copied();
        !before.is_some_and(is_b64) && !after.is_some_and(is_b64)
    })
}
