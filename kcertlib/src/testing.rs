//! Test hooks: ways for kcertlib's own test suites to stop, fail or interfere with a transaction
//! at a chosen point. Compiled only with the `test-hooks` feature, which is off by default and
//! never enabled for the C library, the Python wheel or the `kcert` binary.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::renew::RenewOptions;

/// The hooks of one transaction.
#[derive(Clone, Default)]
pub struct TestHooks {
    before_commit: Option<Arc<dyn Fn() + Send + Sync>>,
    fail_after_renames: Option<usize>,
    pause_after_renames: Option<usize>,
}

impl std::fmt::Debug for TestHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestHooks")
            .field("before_commit", &self.before_commit.is_some())
            .field("fail_after_renames", &self.fail_after_renames)
            .field("pause_after_renames", &self.pause_after_renames)
            .finish()
    }
}

impl TestHooks {
    /// Runs `hook` after staging and backups, before the guards are checked and the first
    /// rename (a test changes a file there to provoke a conflict).
    pub fn set_before_commit(&mut self, hook: impl Fn() + Send + Sync + 'static) {
        self.before_commit = Some(Arc::new(hook));
    }

    /// Fails on purpose once `renames` renames are done (0 = before the first).
    pub fn set_fail_after_renames(&mut self, renames: usize) {
        self.fail_after_renames = Some(renames);
    }

    /// Stops the process once `renames` renames are done, printing
    /// `kcert-test: paused after N renames, pid P` on stderr, so a test can SIGKILL it there.
    /// Gives up after ten minutes so a forgotten child does not hang forever.
    pub fn set_pause_after_renames(&mut self, renames: usize) {
        self.pause_after_renames = Some(renames);
    }

    pub(crate) fn before_commit(&self) {
        if let Some(hook) = &self.before_commit {
            hook();
        }
    }

    pub(crate) fn at_rename(&self, done: usize) -> Result<()> {
        if self.fail_after_renames == Some(done) {
            return Err(Error::new(
                ErrorKind::Transaction,
                format!("injected failure after {done} renames (test hook)"),
            ));
        }
        if self.pause_after_renames == Some(done) {
            use std::io::Write;
            let mut err = std::io::stderr();
            let _ = writeln!(
                err,
                "kcert-test: paused after {done} renames, pid {}",
                std::process::id()
            );
            let _ = err.flush();
            for _ in 0..600 {
                std::thread::sleep(Duration::from_secs(1));
            }
            return Err(Error::new(
                ErrorKind::Transaction,
                "test pause ended without a kill",
            ));
        }
        Ok(())
    }
}

/// The hooks of the renewal `options` will run.
pub fn hooks(options: &mut RenewOptions) -> &mut TestHooks {
    &mut options.hooks
}

/// The transaction journal (and manifest) type, for the fuzz target of its parser.
pub use crate::txn::Journal;

/// Parses a journal and validates it against `root` as recovery and rollback do (for the fuzz
/// target of the journal: whatever the bytes, this must not panic and must refuse any record
/// that leads outside `root`).
///
/// # Errors
/// As `Journal::from_json` and `Journal::validate`.
pub fn check_journal(bytes: &[u8], root: &std::path::Path) -> Result<Journal> {
    let journal = Journal::from_json(bytes)?;
    journal.validate(&crate::fsx::RootDir::open(root)?)?;
    Ok(journal)
}
