//! One error type for the whole library: a kind with a permanent numeric code, plus context.
//!
//! The numeric codes are part of the public contract: the C status enum (`kcert_result`) and the
//! Python exceptions' `.code` reuse them. A code is never reused or renumbered; new kinds take
//! the next free number (the last one added is marked below).

use std::fmt;
use std::path::{Path, PathBuf};

/// The result type of every fallible kcertlib call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a stable category. Codes are permanent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u32)]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    Io = 1,
    /// Input is not valid PEM (no END line, bad base64, unexpected label, empty input).
    Pem = 2,
    /// DER could not be decoded as the expected ASN.1 structure (truncated, trailing data, ...).
    Der = 3,
    /// A certificate decoded but violates a rule we rely on (e.g. negative serial).
    InvalidCertificate = 4,
    /// A private key could not be decoded.
    InvalidKey = 5,
    /// The private key is encrypted; kcertlib needs it in clear.
    EncryptedKey = 6,
    /// The key or signature algorithm is not supported (Ed25519, DSA, P-521, ...).
    UnsupportedAlgorithm = 7,
    /// A private key does not belong to the certificate it was paired with.
    KeyMismatch = 8,
    /// A signature did not verify, or a chain could not be built.
    VerificationFailed = 9,
    /// The certificate meant to sign is not usable as a CA (not a CA, no keyCertSign, ...).
    InvalidIssuer = 10,
    /// The requested validity cannot be honoured (e.g. the leaf would outlive its CA).
    Validity = 11,
    /// A kubeconfig file is malformed or does not hold what it should.
    Kubeconfig = 12,
    /// A cluster layout entry is missing or inconsistent.
    Layout = 13,
    /// Another renewal holds the lock of this root.
    Locked = 14,
    /// A renewal transaction failed; everything it replaced was restored.
    Transaction = 15,
    /// An argument or option is invalid.
    InvalidArgument = 16,
    /// Signing or key generation failed inside the crypto backend.
    Crypto = 17,
    /// A path resolves outside the root directory being worked on.
    PathEscape = 18,
    /// A panic was caught at a language boundary (C, Python).
    Panic = 19,
    /// A file changed under kcertlib between reading it and replacing it (someone else wrote
    /// it meanwhile); nothing was replaced.
    Conflict = 20,
    /// A file kcertlib would have to trust (its own lock, journal, manifest, state or backup
    /// directory) is a symlink, a special file, owned by another user or writable by others.
    /// Last code added.
    Untrusted = 21,
}

impl ErrorKind {
    /// Every kind, in code order. Bindings iterate this to prove their mapping is complete.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::Io,
        ErrorKind::Pem,
        ErrorKind::Der,
        ErrorKind::InvalidCertificate,
        ErrorKind::InvalidKey,
        ErrorKind::EncryptedKey,
        ErrorKind::UnsupportedAlgorithm,
        ErrorKind::KeyMismatch,
        ErrorKind::VerificationFailed,
        ErrorKind::InvalidIssuer,
        ErrorKind::Validity,
        ErrorKind::Kubeconfig,
        ErrorKind::Layout,
        ErrorKind::Locked,
        ErrorKind::Transaction,
        ErrorKind::InvalidArgument,
        ErrorKind::Crypto,
        ErrorKind::PathEscape,
        ErrorKind::Panic,
        ErrorKind::Conflict,
        ErrorKind::Untrusted,
    ];

    /// The permanent numeric code of this kind.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The kind with this code, if any.
    pub fn from_code(code: u32) -> Option<ErrorKind> {
        Self::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// A short stable identifier (`"encrypted-key"`), used in JSON and binding names.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Pem => "pem",
            ErrorKind::Der => "der",
            ErrorKind::InvalidCertificate => "invalid-certificate",
            ErrorKind::InvalidKey => "invalid-key",
            ErrorKind::EncryptedKey => "encrypted-key",
            ErrorKind::UnsupportedAlgorithm => "unsupported-algorithm",
            ErrorKind::KeyMismatch => "key-mismatch",
            ErrorKind::VerificationFailed => "verification-failed",
            ErrorKind::InvalidIssuer => "invalid-issuer",
            ErrorKind::Validity => "validity",
            ErrorKind::Kubeconfig => "kubeconfig",
            ErrorKind::Layout => "layout",
            ErrorKind::Locked => "locked",
            ErrorKind::Transaction => "transaction",
            ErrorKind::InvalidArgument => "invalid-argument",
            ErrorKind::Crypto => "crypto",
            ErrorKind::PathEscape => "path-escape",
            ErrorKind::Panic => "panic",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Untrusted => "untrusted",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A kcertlib error: a kind, a message, and where it happened (file, entry).
///
/// Display reads `path: entry: message` with whatever context is known, lowercase, e.g.
/// `etc/kubernetes/pki/apiserver.key: apiserver: key does not match certificate`.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    path: Option<PathBuf>,
    entry: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a specific message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            path: None,
            entry: None,
            source: None,
        }
    }

    /// The category of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The permanent numeric code (same as `kind().code()`).
    pub fn code(&self) -> u32 {
        self.kind.code()
    }

    /// The message without the path/entry context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The file this error is about, if known.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The inventory entry (e.g. `apiserver`, `admin.conf`) this error is about, if known.
    pub fn entry(&self) -> Option<&str> {
        self.entry.as_deref()
    }

    /// Attaches the file this error is about, unless a more specific one is already set.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        if self.path.is_none() {
            self.path = Some(path.into());
        }
        self
    }

    /// Attaches the inventory entry this error is about, unless one is already set.
    pub fn with_entry(mut self, entry: impl Into<String>) -> Self {
        if self.entry.is_none() {
            self.entry = Some(entry.into());
        }
        self
    }

    /// Keeps the lower-level error as `source()`.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// An I/O error on `path`, with the operation named ("reading", "renaming", ...).
    pub fn io(op: &str, path: &Path, err: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, format!("{op} failed: {err}"))
            .with_path(path)
            .with_source(err)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        if let Some(entry) = &self.entry {
            write!(f, "{entry}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Adds file/entry context to any `Result<_, Error>`.
pub trait ResultExt<T> {
    /// Attaches `path` to the error, if there is one.
    ///
    /// # Errors
    /// The original error, with the path attached.
    fn at_path(self, path: impl AsRef<Path>) -> Result<T>;
    /// Attaches `entry` to the error, if there is one.
    ///
    /// # Errors
    /// The original error, with the entry attached.
    fn at_entry(self, entry: impl AsRef<str>) -> Result<T>;
}

impl<T> ResultExt<T> for Result<T> {
    fn at_path(self, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| e.with_path(path.as_ref()))
    }
    fn at_entry(self, entry: impl AsRef<str>) -> Result<T> {
        self.map_err(|e| e.with_entry(entry.as_ref()))
    }
}

pub(crate) fn der_error(what: &str, err: der::Error) -> Error {
    Error::new(ErrorKind::Der, format!("{what}: {err}")).with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            assert!(seen.insert(kind.code()), "duplicate code {}", kind.code());
            assert_eq!(ErrorKind::from_code(kind.code()), Some(*kind));
        }
        assert_eq!(ErrorKind::from_code(0), None);
    }

    #[test]
    fn display_names_file_and_entry() {
        let e = Error::new(ErrorKind::KeyMismatch, "key does not match certificate")
            .with_entry("apiserver")
            .with_path("etc/kubernetes/pki/apiserver.key");
        assert_eq!(
            e.to_string(),
            "etc/kubernetes/pki/apiserver.key: apiserver: key does not match certificate"
        );
    }
}
