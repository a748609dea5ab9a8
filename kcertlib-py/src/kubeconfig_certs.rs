//! `load_certificates` on a kubeconfig: its users' client certificates, embedded or referenced.

use std::path::Path;

use kcertlib::{Certificate, Error, ErrorKind, Kubeconfig};

/// Whether `bytes` look like a kubeconfig rather than PEM or DER: YAML text naming kubeconfig
/// sections. Certificate input never contains these words outside PEM armour.
pub(crate) fn looks_like_kubeconfig(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    !text.contains("-----BEGIN")
        && ["users:", "clusters:", "client-certificate", "kind: Config"]
            .iter()
            .any(|word| text.contains(word))
}

/// Every client certificate of the kubeconfig's users, in file order: `client-certificate-data`
/// and `client-certificate` files (relative references resolved against the kubeconfig's
/// directory, so only when the kubeconfig was read from `origin`).
///
/// # Errors
/// `Kubeconfig` for malformed YAML or a kubeconfig without client certificates; `Io`, `Pem`,
/// `Der` for a referenced file or embedded value that cannot be read.
pub(crate) fn client_certificates(
    bytes: &[u8],
    origin: Option<&Path>,
) -> kcertlib::Result<Vec<Certificate>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::new(ErrorKind::Kubeconfig, "kubeconfig is not UTF-8 text"))?;
    let kubeconfig = Kubeconfig::parse(text, origin.unwrap_or(Path::new("<kubeconfig>")))?;
    let mut certs = Vec::new();
    for user in kubeconfig.users() {
        let what = |field: &str| format!("user {:?} {field}", user.name);
        if let Some(pem) = &user.client_certificate_data {
            let found = Certificate::load_all(pem).map_err(|e| {
                Error::new(
                    e.kind(),
                    format!("{}: {}", what("client-certificate-data"), e.message()),
                )
            })?;
            certs.extend(found);
        }
        if let Some(reference) = &user.client_certificate {
            let file = if reference.is_absolute() {
                reference.clone()
            } else if let Some(dir) = origin.and_then(Path::parent) {
                dir.join(reference)
            } else {
                continue;
            };
            certs.extend(Certificate::load_file(&file)?);
        }
    }
    if certs.is_empty() {
        return Err(Error::new(
            ErrorKind::Kubeconfig,
            "the kubeconfig holds no client certificate (no client-certificate-data or client-certificate)",
        ));
    }
    Ok(certs)
}
