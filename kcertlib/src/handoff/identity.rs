//! The identity of a CA as recorded in a request: enough for the signing side to find the same
//! CA in its own inventory, and to notice when its certificate differs from the node's copy.

use crate::cert::Certificate;

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

impl CaIdentity {
    /// The identity of the CA `name` whose certificate is `cert`.
    pub(crate) fn of(name: &str, cert: &Certificate) -> CaIdentity {
        CaIdentity {
            name: name.to_string(),
            subject: cert.subject(),
            subject_key_id: cert.subject_key_id().map(|id| hex(&id)),
            sha256: crate::fsx::sha256_hex(cert.as_der()),
        }
    }

    /// Whether `cert` could be this CA: the same subject and, when recorded, the same
    /// subjectKeyIdentifier (the signature check that follows proves the key).
    pub(crate) fn names(&self, cert: &Certificate) -> bool {
        cert.subject() == self.subject
            && self
                .subject_key_id
                .as_ref()
                .is_none_or(|id| cert.subject_key_id().is_some_and(|own| hex(&own) == *id))
    }

    /// For messages: `"CN=kubernetes" (SKI ab12…)`.
    pub(crate) fn describe(&self) -> String {
        match &self.subject_key_id {
            Some(id) => format!("{:?} (subjectKeyIdentifier {id})", self.subject),
            None => format!("{:?}", self.subject),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}
