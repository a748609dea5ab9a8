//! Helpers of the transaction's unit tests: the tree helpers the integration suites use too
//! (one file, `tests/txn_support/mod.rs`, included here), and transactions under the lock.

use std::fs;
use std::path::Path;

#[path = "../../tests/txn_support/mod.rs"]
mod tree;

pub use tree::*;

/// A transaction under the root's lock, as a renewal runs one.
pub fn apply_locked(
    root: &Path,
    changes: &[super::FileChange],
    options: &super::TxnOptions,
    verify: impl FnMut(&super::StagedFile<'_>) -> crate::Result<()>,
) -> crate::Result<super::TxnOutcome> {
    let lock = super::RootLock::acquire(root)?;
    super::apply(&lock, changes, &[], options, verify)
}

/// A journal or manifest read from disk.
pub fn load_journal(path: &Path) -> super::Journal {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    super::Journal::from_json(&bytes).expect("journal parses")
}
