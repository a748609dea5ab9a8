//! The transaction journal: what a transaction replaces and how far it got. The same document is
//! the manifest in the backup directory (what `rollback` reads) and, while a transaction runs,
//! `<root>/var/lib/kcert/journal.json` (how the next run finds a transaction that was killed
//! half-way). Both are fsynced before the first rename.
//!
//! A journal is data, never instructions. It records each file by its path *relative to the
//! root*; every other path is derived by a fixed rule (`staged_name`, `backup_path`,
//! `MANIFEST_FILE`) and resolved inside the root by the same resolver that planned the
//! transaction. `validate` refuses a journal that names another root, a path with `..`, an
//! absolute path, a link target outside the root or a malformed id, naming the record.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::fsx::{self, Follow, MAX_FILE_SIZE, RootDir};

/// Bumped when the journal's shape changes incompatibly. Format 1 recorded absolute paths for
/// every file, staged temporary and backup; format 2 derives them.
pub const JOURNAL_FORMAT: u32 = 2;

/// The manifest's name inside a backup directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// How far a transaction got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TxnState {
    /// New files are being staged beside their destinations; nothing has been replaced.
    Staging,
    /// Backups are written; renames may have begun. A journal left in this state is rolled back.
    Prepared,
    /// Every file was replaced, and every directory synced.
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

/// What is (or is to be) at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A regular file.
    File,
    /// A symbolic link.
    Symlink,
    /// Nothing: the transaction removes the path.
    Absent,
}

/// The whole journal (and manifest) of one transaction.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    /// `JOURNAL_FORMAT` of the writer.
    pub format: u32,
    /// A random id (32 hex digits) naming the transaction's staged files.
    pub id: String,
    /// The canonical root the transaction worked under.
    pub root: PathBuf,
    /// Where the originals are copied (absolute).
    pub backup_dir: PathBuf,
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
#[serde(deny_unknown_fields)]
pub struct JournalFile {
    /// The inventory entry the change belongs to (for messages).
    pub entry: String,
    /// The real path replaced, relative to the root (symlinks in its directories resolved).
    pub path: PathBuf,
    /// What the new content is.
    pub kind: FileKind,
    /// SHA-256 of the new bytes, or of the new link target (empty when `kind` is absent).
    pub new_sha256: String,
    /// The new link target, for symlinks.
    pub new_link: Option<PathBuf>,
    /// What was there before; `None` when the path did not exist.
    pub old: Option<OldFile>,
}

/// The original at a path, as backed up.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OldFile {
    /// A regular file or a symlink.
    pub kind: FileKind,
    /// SHA-256 of the old bytes, or of the old link target.
    pub sha256: String,
    /// The old link target (symlinks).
    pub link: Option<PathBuf>,
    /// Old permission bits (restored without set-id and sticky bits).
    pub mode: u32,
    /// Old owner.
    pub uid: u32,
    /// Old group.
    pub gid: u32,
}

impl Journal {
    /// Parses a journal or manifest (shape and format only; see `validate`).
    ///
    /// # Errors
    /// `Transaction` when it is not a kcertlib journal of the supported format.
    pub fn from_json(bytes: &[u8]) -> Result<Journal> {
        let journal: Journal = serde_json::from_slice(bytes).map_err(|e| {
            let format = serde_json::from_slice::<serde_json::Value>(bytes)
                .ok()
                .and_then(|v| v.get("format").and_then(serde_json::Value::as_u64));
            let why = match format {
                Some(f) if f != u64::from(JOURNAL_FORMAT) => format!(
                    "written in format {f}, not the supported format {JOURNAL_FORMAT} (by another kcert version)"
                ),
                _ => format!("not a kcertlib transaction journal: {e}"),
            };
            Error::new(ErrorKind::Transaction, why)
        })?;
        if journal.format != JOURNAL_FORMAT {
            return Err(Error::new(
                ErrorKind::Transaction,
                format!(
                    "written in format {}, not the supported format {JOURNAL_FORMAT}",
                    journal.format
                ),
            ));
        }
        Ok(journal)
    }

    /// Reads the journal or manifest `name` in kcertlib's directory `dir`, which must pass the
    /// ownership rules of `fsx::open_owned_file`, and validates it against `root`. `Ok(None)`
    /// when it does not exist.
    ///
    /// # Errors
    /// `Untrusted` for a file that must not be trusted; `Transaction` naming the file (and the
    /// record) when it is malformed or points outside `root`.
    pub fn read(dir: &RootDir, name: &str, root: &RootDir, what: &str) -> Result<Option<Journal>> {
        let Some(fd) = fsx::open_owned_file(dir, name, false, what)? else {
            return Ok(None);
        };
        let path = dir.path().join(name);
        let mut bytes = Vec::new();
        std::fs::File::from(fd)
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(&format!("reading {what}"), &path, e))?;
        if bytes.len() as u64 > MAX_FILE_SIZE {
            return Err(
                Error::new(ErrorKind::Transaction, format!("{what} is too large")).with_path(&path),
            );
        }
        let journal = Journal::from_json(&bytes).map_err(|e| e.with_path(&path))?;
        journal.validate(root).map_err(|e| e.with_path(&path))?;
        Ok(Some(journal))
    }

    /// Writes the journal as `name` in `dir` atomically and durably (mode 0600).
    ///
    /// # Errors
    /// `Io` naming the file.
    pub fn store(&self, dir: &RootDir, name: &str) -> Result<()> {
        let mut text = serde_json::to_vec_pretty(self).map_err(|e| {
            Error::new(
                ErrorKind::Transaction,
                format!("encoding the transaction journal: {e}"),
            )
        })?;
        text.push(b'\n');
        let place = dir.resolve(Path::new(name), Follow::NotLast)?;
        let temp = place.sibling(format!(".{name}.kcert-write-{}", self.id));
        temp.remove()?;
        temp.create_file(&text, 0o600, None)?;
        let renamed = temp.rename_over(&place).and_then(|()| place.sync_dir());
        if renamed.is_err() {
            let _ = temp.remove();
        }
        renamed
    }

    /// Refuses a journal that does not describe a transaction under `root` made by kcertlib:
    /// another root, a malformed id, duplicate, absolute or climbing paths, link targets that
    /// leave the root, inconsistent records.
    ///
    /// # Errors
    /// `Transaction` naming the record.
    pub fn validate(&self, root: &RootDir) -> Result<()> {
        if self.root != root.path() {
            return Err(Error::new(
                ErrorKind::Transaction,
                format!(
                    "belongs to the root {}, not {}; refusing to act on it (move it away if the tree was moved)",
                    self.root.display(),
                    root.path().display()
                ),
            ));
        }
        if self.id.len() != 32 || !self.id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::new(
                ErrorKind::Transaction,
                format!("has a malformed transaction id {:?}", self.id),
            ));
        }
        if !self.backup_dir.is_absolute() || !is_plain(&self.backup_dir) {
            return Err(Error::new(
                ErrorKind::Transaction,
                format!(
                    "names the backup directory {:?}, which is not a plain absolute path",
                    self.backup_dir
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        for (index, record) in self.files.iter().enumerate() {
            record.validate(root).map_err(|why| {
                Error::new(
                    ErrorKind::Transaction,
                    format!(
                        "record {} (entry {:?}, path {:?}) {why}; refusing the whole journal",
                        index + 1,
                        record.entry,
                        record.path
                    ),
                )
            })?;
            if !seen.insert(&record.path) {
                return Err(Error::new(
                    ErrorKind::Transaction,
                    format!("names {:?} twice", record.path),
                ));
            }
        }
        Ok(())
    }
}

impl JournalFile {
    fn validate(&self, root: &RootDir) -> std::result::Result<(), String> {
        if self.path.is_absolute() || !is_plain(&self.path) || self.path.file_name().is_none() {
            return Err("is not a plain path relative to the root".into());
        }
        // The recorded path is the real one: resolving it again must land on itself.
        let follow = match self.kind {
            FileKind::File => Follow::Last,
            FileKind::Symlink | FileKind::Absent => Follow::NotLast,
        };
        match root.resolve(&self.path, follow) {
            Ok(place) if place.relative() == self.path => {}
            Ok(place) => {
                return Err(format!(
                    "now resolves to {} (through a symlink)",
                    place.relative().display()
                ));
            }
            Err(e) => return Err(format!("cannot be resolved inside the root: {e}")),
        }
        let link_ok = |target: &Option<PathBuf>| match target {
            Some(t) => link_target_inside(root, &self.path, t).map_err(|e| e.to_string()),
            None => Err("names no link target".to_string()),
        };
        match self.kind {
            FileKind::Symlink => link_ok(&self.new_link)?,
            FileKind::File | FileKind::Absent if self.new_link.is_some() => {
                return Err("has a link target but is not a symlink".into());
            }
            _ => {}
        }
        if let Some(old) = &self.old {
            match old.kind {
                FileKind::Symlink => link_ok(&old.link)?,
                FileKind::File => {}
                FileKind::Absent => return Err("records an absent original".into()),
            }
        }
        if self.kind == FileKind::Absent && self.old.is_none() {
            return Err("removes a path that did not exist".into());
        }
        let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        let new_ok = self.kind == FileKind::Absent || hex(&self.new_sha256);
        if !new_ok || self.old.as_ref().is_some_and(|o| !hex(&o.sha256)) {
            return Err("has a malformed sha256".into());
        }
        Ok(())
    }
}

/// The staged sibling of a destination: `.apiserver.crt.kcert-stage-<id>`.
pub fn staged_name(destination: &Path, id: &str) -> OsString {
    let mut name = OsString::from(".");
    name.push(destination.file_name().unwrap_or_default());
    name.push(format!(".kcert-stage-{id}"));
    name
}

/// Where the original of `relative` is copied inside a backup directory.
pub fn backup_path(relative: &Path) -> PathBuf {
    Path::new("files").join(relative)
}

/// A new symlink at `link` (root-relative) must point inside the root, read the way the
/// resolver reads links (absolute targets are under the root).
///
/// # Errors
/// As `RootDir::resolve`: `PathEscape` when it leads outside.
pub fn link_target_inside(root: &RootDir, link: &Path, target: &Path) -> Result<()> {
    let as_seen = if target.is_absolute() {
        target.to_path_buf()
    } else {
        link.parent().unwrap_or(Path::new("")).join(target)
    };
    let as_seen = if as_seen.is_absolute() && root.relative(&as_seen).is_err() {
        // An absolute target outside the root's own path is re-rooted, as the resolver does.
        as_seen
            .strip_prefix("/")
            .map(Path::to_path_buf)
            .unwrap_or(as_seen)
    } else {
        as_seen
    };
    root.resolve(&as_seen, Follow::Last).map(|_| ())
}

/// Only normal components (and a leading `/` when absolute): no `.` or `..`.
fn is_plain(path: &Path) -> bool {
    path.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::RootDir))
}
