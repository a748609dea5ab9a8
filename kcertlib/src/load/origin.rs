//! Where a loaded certificate was found, in words a person can act on.

use std::fmt;
use std::path::PathBuf;

/// Where in its input a [`LoadedCertificate`](super::LoadedCertificate) was found.
///
/// `Display` gives the label a listing prints after the file name: `certificate #2 (PEM line
/// 25)`, `DER certificate`, `user kubernetes-admin (client-certificate-data)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A `CERTIFICATE` block of PEM text.
    Pem {
        /// 1-based position among the certificates of the text (key blocks are not counted).
        index: usize,
        /// 1-based line of the block's `BEGIN` line.
        line: usize,
    },
    /// The whole input is one DER certificate.
    Der,
    /// A kubeconfig's user or cluster entry.
    Kubeconfig(KubeconfigSource),
}

/// The kubeconfig entry and field a certificate came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KubeconfigSource {
    /// `users:` or `clusters:`.
    pub section: KubeconfigSection,
    /// The entry's `name` (may be empty in a hand-written file).
    pub name: String,
    /// 0-based position of the entry in its section.
    pub position: usize,
    /// The field that holds or references the certificate.
    pub field: KubeconfigField,
    /// For a referenced file: the reference exactly as written in the kubeconfig.
    pub reference: Option<PathBuf>,
    /// For a referenced file: the file that was read (the reference resolved against the
    /// kubeconfig's directory).
    pub file: Option<PathBuf>,
    /// 1-based position of this certificate in the value or file (a CA bundle holds several).
    pub index: usize,
    /// How many certificates the value or file holds.
    pub count: usize,
}

/// The two sections of a kubeconfig that hold certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KubeconfigSection {
    /// An entry of `users:`, holding a client certificate.
    User,
    /// An entry of `clusters:`, holding the CA that signed the API server's certificate.
    Cluster,
}

/// The kubeconfig fields that hold or reference certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KubeconfigField {
    /// `client-certificate-data`: base64 of PEM, embedded.
    ClientCertificateData,
    /// `client-certificate`: a file reference.
    ClientCertificate,
    /// `certificate-authority-data`: base64 of PEM, embedded.
    CertificateAuthorityData,
    /// `certificate-authority`: a file reference.
    CertificateAuthority,
}

impl KubeconfigSection {
    /// The word used in labels: `user` or `cluster`.
    pub fn name(self) -> &'static str {
        match self {
            KubeconfigSection::User => "user",
            KubeconfigSection::Cluster => "cluster",
        }
    }

    /// The kubeconfig key of the section: `users` or `clusters`.
    pub fn key(self) -> &'static str {
        match self {
            KubeconfigSection::User => "users",
            KubeconfigSection::Cluster => "clusters",
        }
    }
}

impl KubeconfigField {
    /// The field's key as written in a kubeconfig, e.g. `client-certificate-data`.
    pub fn key(self) -> &'static str {
        match self {
            KubeconfigField::ClientCertificateData => "client-certificate-data",
            KubeconfigField::ClientCertificate => "client-certificate",
            KubeconfigField::CertificateAuthorityData => "certificate-authority-data",
            KubeconfigField::CertificateAuthority => "certificate-authority",
        }
    }
}

impl KubeconfigSource {
    pub(super) fn new(
        section: KubeconfigSection,
        name: &str,
        position: usize,
        field: KubeconfigField,
    ) -> KubeconfigSource {
        KubeconfigSource {
            section,
            name: name.to_string(),
            position,
            field,
            reference: None,
            file: None,
            index: 1,
            count: 1,
        }
    }

    /// The entry and field without the certificate's position: `user kubernetes-admin
    /// (client-certificate-data)`, `cluster kubernetes (certificate-authority ../ca.crt)`. An
    /// entry without a name is called by its position, `users[2]`.
    pub fn entry_label(&self) -> String {
        let who = if self.name.is_empty() {
            format!("{}[{}]", self.section.key(), self.position)
        } else {
            self.name.clone()
        };
        match &self.reference {
            Some(reference) => format!(
                "{} {who} ({} {})",
                self.section.name(),
                self.field.key(),
                reference.display()
            ),
            None => format!("{} {who} ({})", self.section.name(), self.field.key()),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Pem { index, line } => write!(f, "certificate #{index} (PEM line {line})"),
            Origin::Der => f.write_str("DER certificate"),
            Origin::Kubeconfig(source) => fmt::Display::fmt(source, f),
        }
    }
}

impl fmt::Display for KubeconfigSource {
    /// The entry label, followed by the certificate's position when the value holds several:
    /// `cluster kubernetes (certificate-authority-data) #2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.entry_label())?;
        if self.count > 1 {
            write!(f, " #{}", self.index)?;
        }
        Ok(())
    }
}
