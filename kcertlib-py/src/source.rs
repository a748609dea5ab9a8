//! What Python callers may pass as "data or path": `bytes`/`bytearray`/`memoryview` (PEM or
//! DER), `str` (PEM text when it holds a `-----BEGIN` line, otherwise a path) or an
//! `os.PathLike`.
//!
//! The value is copied out of Python first, so that the reading and parsing that follow can run
//! without the GIL.

use std::path::PathBuf;

use kcertlib::Error;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

/// Input bytes, or the file that holds them.
pub(crate) enum Source {
    /// In-memory content.
    Bytes(Vec<u8>),
    /// A file to read.
    Path(PathBuf),
}

impl Source {
    /// Classifies a Python argument.
    ///
    /// # Errors
    /// `TypeError` for anything that is neither bytes-like, `str` nor path-like.
    pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Source> {
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(Source::Bytes(bytes.as_bytes().to_vec()));
        }
        if let Ok(array) = obj.cast::<PyByteArray>() {
            return Ok(Source::Bytes(array.to_vec()));
        }
        if let Ok(text) = obj.cast::<PyString>() {
            let text = text.to_cow()?;
            return Ok(if text.contains("-----BEGIN") {
                Source::Bytes(text.as_bytes().to_vec())
            } else {
                Source::Path(PathBuf::from(text.into_owned()))
            });
        }
        if let Ok(path) = obj.extract::<PathBuf>() {
            return Ok(Source::Path(path));
        }
        if let Ok(view) = obj.call_method0("tobytes")
            && let Ok(bytes) = view.cast::<PyBytes>()
        {
            return Ok(Source::Bytes(bytes.as_bytes().to_vec()));
        }
        Err(PyTypeError::new_err(format!(
            "expected bytes, str (PEM text or a path) or os.PathLike, got {}",
            obj.get_type().name()?
        )))
    }

    /// The content: the bytes themselves, or the file read (call it without the GIL).
    ///
    /// # Errors
    /// `Io` naming the path when the file cannot be read.
    pub(crate) fn read(&self) -> kcertlib::Result<std::borrow::Cow<'_, [u8]>> {
        match self {
            Source::Bytes(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
            Source::Path(path) => std::fs::read(path)
                .map(std::borrow::Cow::Owned)
                .map_err(|e| Error::io("reading", path, e)),
        }
    }

    /// The file this input came from, for error context.
    pub(crate) fn path(&self) -> Option<&std::path::Path> {
        match self {
            Source::Bytes(_) => None,
            Source::Path(path) => Some(path),
        }
    }
}
