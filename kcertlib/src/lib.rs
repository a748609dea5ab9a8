#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Concepts a user works with directly, re-exported at the root.
mod cert;
mod csr;
mod extensions;
mod key;
mod model;
mod parallel;
mod profile;
mod report;
mod rke_state;
mod serial;
mod sign;
mod summary;
mod validity;
mod verify;

// Namespaces of their own: each is one concept with several items.
pub mod defaults;
pub mod error;
#[cfg(feature = "fixture")]
pub mod fixture;
pub mod handoff;
pub mod inventory;
pub mod kubeconfig;
#[cfg(feature = "aws-lc")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws-lc")))]
pub mod live;
pub mod load;
pub mod pem;
pub mod renew;
pub mod signer;
#[cfg(feature = "test-hooks")]
pub mod testing;
pub mod time;
pub mod view;

// Internals: tested where they live, or through the public API.
mod fsx;
mod json_text;
mod layout;
mod tls_secret;
mod tlv;
mod txn;

pub use cert::{Certificate, NameAttribute, SignatureAlgorithm, Status};
pub use csr::CertificateRequest;
pub use error::{Error, ErrorKind, Result};
pub use extensions::{AltNames, BasicConstraints, ExtendedKeyUsage, KeyUsageBit, RawExtensionView};
pub use inventory::{
    Distribution, Entry, EntryKind, EntryStatus, Inventory, Location, ScanOptions, scan,
};
pub use key::{KeyAlgorithm, KeyFormat, PrivateKey, SecretBytes, SecretString};
pub use kubeconfig::Kubeconfig;
pub use parallel::Threads;
pub use profile::Profile;
pub use sign::{
    IssueRequest, Issuer, KeyPolicy, OwnedIssuer, ResignOptions, Signed, issue, resign,
    self_resign_ca, self_signed_ca,
};
pub use signer::{Backend, Signer};
pub use summary::CertificateSummary;
pub use time::Timestamp;
pub use validity::{Clamp, IssuerWindow, NotBefore, ResolvedValidity, ValidityPolicy};
pub use verify::{verify_chain, verify_signature, verify_signature_with};
