//! The identity of a CA as recorded in a request: enough for the signing side to find the same
//! CA in its own inventory, and to notice when its certificate differs from the node's copy.

/// A CA as one side knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CaIdentity {
    /// Its inventory entry name on the side that recorded it (`ca`, `etcd-ca`, `server-ca`).
    pub name: String,
    /// Its subject, as `Certificate::subject` writes it.
    pub subject: String,
    /// Its subjectKeyIdentifier, lower-case hex, when it has one.
    pub subject_key_id: Option<String>,
    /// SHA-256 of its certificate's DER, lower-case hex.
    pub sha256: String,
}
