//! The transaction journal: what a transaction replaces, where each original is backed up, and
//! how far it got. The same document is the manifest in the backup directory (what `rollback`
//! reads) and, while a transaction runs, `<root>/var/lib/kcert/journal.json` (how the next run
//! finds a transaction that was killed half-way). Both are fsynced before the first rename.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::fsx;

/// Bumped when the journal's shape changes incompatibly.
pub const JOURNAL_FORMAT: u32 = 1;

/// How far a transaction got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TxnState {
    /// New files are being staged beside their destinations; nothing has been replaced.
    Staging,
    /// Backups are written; renames may have begun. A journal left in this state is rolled back.
    Prepared,
    /// Every file was replaced.
    Committed,
    /// Every replaced file was put back.
    RolledBack,
}

impl TxnState {
    /// The name used in the JSON (`prepared`, `rolled-back`, ...).
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Staging => "staging",
            TxnState::Prepared => "prepared",
            TxnState::Committed => "committed",
            TxnState::RolledBack => "rolled-back",
        }
    }
}

/// A regular file or a symlink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A regular file.
    File,
    /// A symbolic link.
    Symlink,
}

/// The whole journal (and manifest) of one transaction.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Journal {
    /// `JOURNAL_FORMAT` of the writer.
    pub format: u32,
    /// The canonical root the transaction worked under.
    pub root: PathBuf,
    /// Where the originals are copied.
    pub backup_dir: PathBuf,
    /// The manifest's own path (`<backup_dir>/manifest.json`).
    pub manifest: PathBuf,
    /// How far the transaction got.
    pub state: TxnState,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// The process that ran it.
    pub pid: u32,
    /// One record per replaced path, in rename order.
    pub files: Vec<JournalFile>,
}

/// One path the transaction replaces.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JournalFile {
    /// The inventory entry the change belongs to (for messages).
    pub entry: String,
    /// The real path replaced (symlinks in its directories resolved).
    pub path: PathBuf,
    /// The staged sibling renamed over `path`.
    pub staged: PathBuf,
    /// What the new content is.
    pub kind: FileKind,
    /// SHA-256 of the new bytes, or of the new link target.
    pub new_sha256: String,
    /// The new link target, for symlinks.
    pub new_link: Option<PathBuf>,
    /// What was there before; `None` when the path did not exist.
    pub old: Option<OldFile>,
}

/// The original at a path, as backed up.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OldFile {
    /// A regular file or a symlink.
    pub kind: FileKind,
    /// SHA-256 of the old bytes, or of the old link target.
    pub sha256: String,
    /// The copy of the old bytes (regular files).
    pub backup: Option<PathBuf>,
    /// The old link target (symlinks).
    pub link: Option<PathBuf>,
    /// Old permission bits.
    pub mode: u32,
    /// Old owner.
    pub uid: u32,
    /// Old group.
    pub gid: u32,
}

impl Journal {
    /// Reads a journal or manifest.
    ///
    /// # Errors
    /// `Io` when unreadable; `Transaction` when it is not a kcertlib journal of a known format.
    pub fn load(path: &Path) -> Result<Journal> {
        let text = std::fs::read(path).map_err(|e| Error::io("reading journal", path, e))?;
        Self::from_json(&text).map_err(|e| e.with_path(path))
    }

    /// Parses the JSON of a journal or manifest (what `load` reads from a file).
    ///
    /// # Errors
    /// `Transaction` when it is not a kcertlib journal of a known format.
    pub fn from_json(bytes: &[u8]) -> Result<Journal> {
        let journal: Journal = serde_json::from_slice(bytes).map_err(|e| {
            Error::new(
                ErrorKind::Transaction,
                format!("not a kcertlib transaction manifest: {e}"),
            )
        })?;
        if journal.format != JOURNAL_FORMAT {
            return Err(Error::new(
                ErrorKind::Transaction,
                format!(
                    "manifest format {} is not the supported format {JOURNAL_FORMAT}",
                    journal.format
                ),
            ));
        }
        Ok(journal)
    }

    /// Writes the journal to `path` atomically and durably (mode 0600).
    ///
    /// # Errors
    /// `Io` naming the file.
    pub fn store(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_vec_pretty(self).map_err(|e| {
            Error::new(
                ErrorKind::Transaction,
                format!("encoding the transaction journal: {e}"),
            )
        })?;
        text.push(b'\n');
        fsx::replace_file(path, &text, 0o600, None)
    }
}
