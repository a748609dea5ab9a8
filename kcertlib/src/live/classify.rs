//! Judging a served certificate against the node's certificates on disk.
//!
//! The public key decides first, because it is what ties a running server to its key file:
//! - the very same DER as an entry: the component serves the file on disk (`Current`);
//! - the same key (SubjectPublicKeyInfo) but another certificate whose serial or notAfter
//!   differs: the component still holds the certificate it loaded before the renewal
//!   (`Outdated`, restart it);
//! - otherwise the same subject and issuer as an entry: the key was rotated on disk and the
//!   component still serves the old pair (`Outdated`);
//! - nothing on disk matches: a certificate the component made itself (kube-controller-manager
//!   and kube-scheduler generate a self-signed one in memory when given none) or one kept
//!   elsewhere (`Unmatched`, reported, not a failure).

use serde::Serialize;

use crate::cert::Certificate;
use crate::inventory::{Entry, Inventory};

/// What a component serves, compared with the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LiveState {
    /// It serves the certificate on disk.
    Current,
    /// It serves an older certificate than the one on disk: restart it.
    Outdated,
    /// It serves a certificate that matches nothing on disk (its own in-memory certificate).
    Unmatched,
    /// Nothing listens on the port, or the connection timed out.
    NotRunning,
    /// Something listens but presented no certificate in time (not TLS, stalled, TLS error).
    NoCertificate,
}

impl LiveState {
    /// `current`, `outdated`, `unmatched`, `not-running` or `no-certificate`.
    pub fn name(self) -> &'static str {
        match self {
            LiveState::Current => "current",
            LiveState::Outdated => "outdated",
            LiveState::Unmatched => "unmatched",
            LiveState::NotRunning => "not-running",
            LiveState::NoCertificate => "no-certificate",
        }
    }
}

/// How the served certificate was tied to an entry on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MatchedBy {
    /// Byte-identical certificate.
    Certificate,
    /// Same public key (SubjectPublicKeyInfo).
    PublicKey,
    /// Same subject and issuer names, another key.
    SubjectAndIssuer,
}

impl MatchedBy {
    /// `certificate`, `public-key` or `subject-and-issuer`.
    pub fn name(self) -> &'static str {
        match self {
            MatchedBy::Certificate => "certificate",
            MatchedBy::PublicKey => "public-key",
            MatchedBy::SubjectAndIssuer => "subject-and-issuer",
        }
    }
}

/// The judgement of one served certificate.
pub(crate) struct Judgement<'a> {
    pub state: LiveState,
    pub matched_by: Option<MatchedBy>,
    pub entry: Option<&'a Entry>,
    pub detail: String,
}

/// Judges `served` against every certificate of `inventory`.
pub(crate) fn judge<'a>(served: &Certificate, inventory: &'a Inventory) -> Judgement<'a> {
    let on_disk: Vec<(&Entry, &Certificate)> = inventory
        .entries
        .iter()
        .filter_map(|e| e.certificate.as_ref().map(|c| (e, c)))
        .collect();
    // A copy (an agent's copy, a kubeconfig embedding the file) names the same certificate;
    // the original is the entry to report.
    let first = |found: Vec<(&'a Entry, &'a Certificate)>| {
        found
            .iter()
            .find(|(e, _)| e.copy_of.is_none())
            .or(found.first())
            .copied()
    };

    let same_der = on_disk
        .iter()
        .filter(|(_, c)| c.as_der() == served.as_der())
        .copied()
        .collect();
    if let Some((entry, _)) = first(same_der) {
        return Judgement {
            state: LiveState::Current,
            matched_by: Some(MatchedBy::Certificate),
            entry: Some(entry),
            detail: format!("serves {} as on disk", entry.name),
        };
    }

    let served_spki = served.spki_der().ok();
    let same_key: Vec<_> = on_disk
        .iter()
        .filter(|(_, c)| served_spki.is_some() && c.spki_der().ok() == served_spki)
        .copied()
        .collect();
    // Several entries may share a key (fixture trees, hand-made PKIs): the one whose names
    // match the served certificate is the one it was issued as.
    let same_key_and_names: Vec<_> = same_key
        .iter()
        .filter(|(_, c)| subject_and_issuer(c) == subject_and_issuer(served))
        .copied()
        .collect();
    let chosen = first(same_key_and_names).or_else(|| first(same_key));
    if let Some((entry, disk)) = chosen {
        let differs = disk.serial() != served.serial() || disk.not_after() != served.not_after();
        return if differs {
            Judgement {
                state: LiveState::Outdated,
                matched_by: Some(MatchedBy::PublicKey),
                entry: Some(entry),
                detail: format!(
                    "serves an older certificate of {} (serial {}, notAfter {}; on disk: serial \
                     {}, notAfter {}): restart needed",
                    entry.name,
                    served.serial_hex(),
                    served.not_after().to_rfc3339(),
                    disk.serial_hex(),
                    disk.not_after().to_rfc3339()
                ),
            }
        } else {
            Judgement {
                state: LiveState::Current,
                matched_by: Some(MatchedBy::PublicKey),
                entry: Some(entry),
                detail: format!(
                    "serves {} (same key, serial and notAfter; encoded differently)",
                    entry.name
                ),
            }
        };
    }

    let served_names = subject_and_issuer(served);
    let same_names = on_disk
        .iter()
        .filter(|(_, c)| served_names.is_some() && subject_and_issuer(c) == served_names)
        .copied()
        .collect();
    if let Some((entry, disk)) = first(same_names) {
        return Judgement {
            state: LiveState::Outdated,
            matched_by: Some(MatchedBy::SubjectAndIssuer),
            entry: Some(entry),
            detail: format!(
                "serves the key {} had before its key was replaced (serial {}, notAfter {}; on \
                 disk: serial {}, notAfter {}): restart needed",
                entry.name,
                served.serial_hex(),
                served.not_after().to_rfc3339(),
                disk.serial_hex(),
                disk.not_after().to_rfc3339()
            ),
        };
    }

    Judgement {
        state: LiveState::Unmatched,
        matched_by: None,
        entry: None,
        detail: format!(
            "serves {} (issuer {}), which matches no certificate on disk (a certificate the \
             component made itself?)",
            served.subject(),
            served.issuer()
        ),
    }
}

/// The DER of the subject and issuer names, `None` when either is unreadable.
fn subject_and_issuer(c: &Certificate) -> Option<(&[u8], &[u8])> {
    c.subject_der().ok().zip(c.issuer_der().ok())
}
