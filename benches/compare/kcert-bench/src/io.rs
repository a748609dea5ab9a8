//! File helpers with errors that name the path.

use std::fs;
use std::path::Path;

use kcertlib::{Error, ErrorKind, Result};

/// An `Io` error naming `path`.
pub fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{}: {e}", path.display()))
}

/// Writes `data` to `path`.
///
/// # Errors
/// `Io` naming the path.
pub fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    fs::write(path, data).map_err(|e| io_error(path, e))
}

/// Reads `path`.
///
/// # Errors
/// `Io` naming the path.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| io_error(path, e))
}

/// The files of directory `dir`, sorted by name.
///
/// # Errors
/// `Io` naming the directory.
pub fn sorted_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        files.push(entry.map_err(|e| io_error(dir, e))?.path());
    }
    files.sort();
    Ok(files)
}
