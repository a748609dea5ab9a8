#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]

pub mod cert;
pub mod csr;
pub mod error;
pub mod extensions;
pub mod fixture;
pub mod fsx;
pub mod inventory;
pub mod key;
pub mod kubeconfig;
pub mod layout;
pub mod parallel;
pub mod pem;
pub mod profile;
pub mod renew;
pub mod report;
pub mod sign;
pub mod signer;
pub mod summary;
#[cfg(feature = "test-hooks")]
pub mod testing;
pub mod time;
mod tlv;
pub mod txn;
pub mod validity;
pub mod verify;
pub mod view;

pub use cert::{Certificate, NameAttribute, SignatureAlgorithm, Status};
pub use csr::CertificateRequest;
pub use error::{Error, ErrorKind, Result};
pub use extensions::{AltNames, BasicConstraints, ExtendedKeyUsage, KeyUsageBit};
pub use inventory::{
    Distribution, Entry, EntryKind, EntryStatus, Inventory, Location, ScanOptions, scan,
};
pub use key::{KeyAlgorithm, KeyFormat, PrivateKey};
pub use kubeconfig::{Kubeconfig, KubeconfigCluster, KubeconfigUser};
pub use parallel::Threads;
pub use profile::Profile;
pub use sign::{
    IssueRequest, Issuer, KeyPolicy, ResignOptions, Signed, issue, resign, self_resign_ca,
    self_signed_ca,
};
pub use signer::{Backend, Signer};
pub use summary::CertificateSummary;
pub use time::Timestamp;
pub use validity::{Clamp, IssuerWindow, NotBefore, ValidityPolicy};
pub use verify::{verify_chain, verify_signature, verify_signature_with};
