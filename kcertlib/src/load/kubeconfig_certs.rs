//! The certificates of a parsed kubeconfig: embedded values and referenced files.

use std::path::Path;

use super::origin::{KubeconfigField, KubeconfigSection, KubeconfigSource, Origin};
use super::{LoadedCertificate, pem_or_der};
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::fsx::read_named_file;
use crate::kubeconfig::Kubeconfig;

/// Users' client certificates, then clusters' CAs, each in file order; `base_dir` resolves
/// relative references.
///
/// # Errors
/// Any value or referenced file that cannot be read or parsed, naming the entry (`entry` of
/// the error) and, for a file, its path; a kubeconfig without any certificate.
pub(super) fn certificates(
    kubeconfig: &Kubeconfig,
    base_dir: Option<&Path>,
) -> Result<Vec<LoadedCertificate>> {
    let mut out = Vec::new();
    for (position, user) in kubeconfig.user_entries().iter().enumerate() {
        let source =
            |field| KubeconfigSource::new(KubeconfigSection::User, &user.name, position, field);
        if let Some(pem) = &user.client_certificate_data {
            embedded(
                pem,
                source(KubeconfigField::ClientCertificateData),
                &mut out,
            )?;
        }
        if let Some(reference) = &user.client_certificate {
            let source = source(KubeconfigField::ClientCertificate);
            referenced(reference, base_dir, source, &mut out)?;
        }
    }
    for (position, cluster) in kubeconfig.cluster_entries().iter().enumerate() {
        let source = |field| {
            KubeconfigSource::new(KubeconfigSection::Cluster, &cluster.name, position, field)
        };
        if let Some(pem) = &cluster.certificate_authority_data {
            embedded(
                pem,
                source(KubeconfigField::CertificateAuthorityData),
                &mut out,
            )?;
        }
        if let Some(reference) = &cluster.certificate_authority {
            let source = source(KubeconfigField::CertificateAuthority);
            referenced(reference, base_dir, source, &mut out)?;
        }
    }
    if out.is_empty() {
        return Err(Error::new(
            ErrorKind::Kubeconfig,
            "the kubeconfig holds no certificate: no user has client-certificate(-data) and no \
             cluster certificate-authority(-data)",
        ));
    }
    Ok(out)
}

/// The certificates of a decoded `*-data` value (PEM, as kubeconfigs hold; DER tolerated).
fn embedded(
    value: &[u8],
    source: KubeconfigSource,
    out: &mut Vec<LoadedCertificate>,
) -> Result<()> {
    let found = pem_or_der(value).map_err(|e| in_entry(e, &source))?;
    push_all(found, source, out);
    Ok(())
}

/// The certificates of the file `reference` names, resolved against `base_dir` when relative.
fn referenced(
    reference: &Path,
    base_dir: Option<&Path>,
    mut source: KubeconfigSource,
    out: &mut Vec<LoadedCertificate>,
) -> Result<()> {
    source.reference = Some(reference.to_path_buf());
    let file = if reference.is_absolute() {
        reference.to_path_buf()
    } else if let Some(base_dir) = base_dir {
        base_dir.join(reference)
    } else {
        return Err(Error::new(
            ErrorKind::Kubeconfig,
            "a relative reference cannot be resolved: the kubeconfig was given without the \
             directory it came from",
        )
        .with_entry(source.entry_label()));
    };
    let found = read_named_file(&file)
        .and_then(|bytes| pem_or_der(&bytes).at_path(&file))
        .map_err(|e| in_entry(e, &source))?;
    source.file = Some(file);
    push_all(found, source, out);
    Ok(())
}

/// Relabels certificates found inside one value or file as coming from `source`.
fn push_all(
    found: Vec<LoadedCertificate>,
    source: KubeconfigSource,
    out: &mut Vec<LoadedCertificate>,
) {
    let count = found.len();
    out.extend(found.into_iter().enumerate().map(|(index, loaded)| {
        let mut origin = source.clone();
        origin.index = index + 1;
        origin.count = count;
        LoadedCertificate {
            certificate: loaded.certificate,
            origin: Origin::Kubeconfig(origin),
        }
    }));
}

/// `err` (which names the referenced file, if any) as an error of the kubeconfig entry.
fn in_entry(err: Error, source: &KubeconfigSource) -> Error {
    Error::new(err.kind(), err.to_string())
        .with_entry(source.entry_label())
        .with_source(err)
}
