//! Every certificate in a file, whatever the file is.
//!
//! A node keeps certificates in four shapes, and a tool that inspects one should not make its
//! user say which:
//!
//! - PEM text: every `CERTIFICATE` block, in order (bundles, chains, and kubelet's
//!   `kubelet-client-current.pem`, which holds the key too: key blocks are skipped, a key is
//!   not a certificate);
//! - one DER certificate;
//! - a kubeconfig: each user's `client-certificate-data` and `client-certificate`, then each
//!   cluster's `certificate-authority-data` and `certificate-authority`. A referenced file is
//!   resolved relative to the kubeconfig's directory, as kubectl does (client-go's
//!   `ResolveLocalPaths`), and must itself be PEM or DER.
//!
//! Each certificate comes with its [`Origin`], so a caller can print
//! `admin.conf: user kubernetes-admin (client-certificate-data)`. This is the one reader of
//! "a file of certificates" behind the `kcert` command, `kcert_bundle_load` in C and
//! `kcert.load_certificates` in Python.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kcertlib::{KeyAlgorithm, PrivateKey, ValidityPolicy, load, self_signed_ca};
//!
//! let key = PrivateKey::generate(&KeyAlgorithm::P256)?;
//! let ca = self_signed_ca("CN=kubernetes", &key, &ValidityPolicy::days(3650))?;
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("ca.crt"), ca.to_pem())?;
//! std::fs::write(
//!     dir.path().join("admin.conf"),
//!     "kind: Config\nclusters:\n- name: k8s\n  cluster:\n    certificate-authority: ca.crt\n",
//! )?;
//!
//! let found = load::from_path(dir.path().join("admin.conf"))?;
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].certificate, ca);
//! assert_eq!(found[0].origin.to_string(), "cluster k8s (certificate-authority ca.crt)");
//! # Ok(())
//! # }
//! ```

mod kubeconfig_certs;
mod origin;

use std::path::Path;

use crate::cert::{Certificate, no_certificate, pem_certificates};
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::fsx::read_named_file;
use crate::kubeconfig::Kubeconfig;
use crate::pem;

pub use origin::{KubeconfigField, KubeconfigSection, KubeconfigSource, Origin};

/// One certificate found by [`from_path`] or [`from_bytes`], with where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadedCertificate {
    /// The certificate.
    pub certificate: Certificate,
    /// Where in the input it was found.
    pub origin: Origin,
}

/// Every certificate in the file at `path` (PEM, DER or a kubeconfig; see the module docs), in
/// file order. Relative kubeconfig references are resolved against the directory of `path`.
///
/// The file, and any file a kubeconfig references, must be a regular file (symlinks are
/// followed) of at most 16 MiB: a FIFO or a device is refused rather than read forever.
///
/// # Errors
/// Every error names `path`, and for a kubeconfig the entry and field (`user "x" (users[0])
/// client-certificate-data is not valid base64`, `cluster kubernetes (certificate-authority
/// ../pki/ca.crt): ../pki/ca.crt: reading failed: ...`). `Io` when a file cannot be read;
/// `Pem`/`Der`/`InvalidCertificate` for a malformed certificate; `Kubeconfig` for a malformed
/// kubeconfig or one that holds no certificate; `Pem` for a file that holds none of the above.
pub fn from_path(path: impl AsRef<Path>) -> Result<Vec<LoadedCertificate>> {
    let path = path.as_ref();
    let bytes = read_named_file(path)?;
    let base_dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    load(&bytes, Some(path), Some(base_dir)).at_path(path)
}

/// Every certificate in `input` (PEM, DER or kubeconfig text; see the module docs), in order.
///
/// `base_dir` is the directory relative kubeconfig references are resolved against: the
/// directory the kubeconfig came from. Without it (`None`), only absolute references can be
/// followed and a relative one is an error, never a guess against the current directory.
///
/// # Errors
/// As [`from_path`], without the file name; a relative reference with no `base_dir` is a
/// `Kubeconfig` error naming the entry.
pub fn from_bytes(input: &[u8], base_dir: Option<&Path>) -> Result<Vec<LoadedCertificate>> {
    load(input, None, base_dir)
}

/// The one decision of what `input` is. PEM first: a kubeconfig never holds a `BEGIN` line
/// (its certificates are base64 of PEM), and a kubelet pem is PEM. Then DER, which always
/// starts with a SEQUENCE tag. Any other text may only be a kubeconfig.
fn load(
    input: &[u8],
    name: Option<&Path>,
    base_dir: Option<&Path>,
) -> Result<Vec<LoadedCertificate>> {
    if pem::looks_like_pem(input) || input.first() == Some(&0x30) {
        return pem_or_der(input);
    }
    if let Ok(text) = std::str::from_utf8(input)
        && !text.trim().is_empty()
        && let Some(kubeconfig) = Kubeconfig::parse_if_kubeconfig(text, name)?
    {
        return kubeconfig_certs::certificates(&kubeconfig, base_dir);
    }
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(no_certificate(input));
    }
    Err(Error::new(
        ErrorKind::Pem,
        "no certificate: the input is neither PEM, a DER certificate nor a kubeconfig",
    ))
}

/// Every certificate of PEM text, or the one DER certificate `input` is; none is an error.
fn pem_or_der(input: &[u8]) -> Result<Vec<LoadedCertificate>> {
    if pem::looks_like_pem(input) {
        let found: Vec<LoadedCertificate> = pem_certificates(input)?
            .into_iter()
            .enumerate()
            .map(|(index, (certificate, line))| LoadedCertificate {
                certificate,
                origin: Origin::Pem {
                    index: index + 1,
                    line,
                },
            })
            .collect();
        if found.is_empty() {
            return Err(no_certificate(input));
        }
        Ok(found)
    } else if input.first() == Some(&0x30) {
        Ok(vec![LoadedCertificate {
            certificate: Certificate::from_der(input)?,
            origin: Origin::Der,
        }])
    } else {
        Err(no_certificate(input))
    }
}
