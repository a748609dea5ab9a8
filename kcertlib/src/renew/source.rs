//! Where a plan's new certificates come from. `renew` signs them here, with the CA keys on this
//! node; `handoff` splits that in two: its export plans without signing, collecting the entries
//! whose only obstacle is a CA key kept elsewhere, and its install plans with certificates
//! signed elsewhere, already checked, in place of the signatures made here. One plan, one
//! signing step and one transaction serve all three, so an install writes exactly what a
//! renewal would (kubelet symlink swaps, kubeconfig edits, copies, backups, manifest).

use std::collections::BTreeMap;

use crate::cert::Certificate;
use crate::error::Result;
use crate::inventory::Inventory;
use crate::time::Timestamp;

/// Matches certificates signed elsewhere to the entries of a fresh scan, checking each (the
/// install's checks); called once the root is locked and scanned.
pub(crate) type Resolve<'a> = dyn Fn(&Inventory, Timestamp) -> Result<Provided> + 'a;

/// How a plan is made.
pub(crate) enum Source<'a> {
    /// `renew`: signed here with the CA keys of this node.
    Local,
    /// `handoff::export`: planned only; leaves whose CA key is not on this node are collected
    /// in `Plan::exportable`.
    Export,
    /// `handoff::install`: the certificates are provided (by entry name), signed elsewhere.
    Provided(&'a Resolve<'a>),
}

/// Certificates signed elsewhere, checked against the node, by inventory entry name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Provided {
    /// New leaf certificates.
    pub leaves: BTreeMap<String, Certificate>,
    /// New certificates of CAs (same subject and key as the node's copy), installed in every
    /// place the CA lives.
    pub cas: BTreeMap<String, Certificate>,
    /// Things to know (a carried CA the node does not have, ...).
    pub warnings: Vec<String>,
}

impl Provided {
    /// Every entry named, CAs first.
    pub(crate) fn names(&self) -> Vec<String> {
        self.cas.keys().chain(self.leaves.keys()).cloned().collect()
    }
}
