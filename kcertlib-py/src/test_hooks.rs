//! Hooks for the binding's own tests, compiled only with the `test-hooks` feature: the wheel
//! users install has none of them (kcertlib-py/tests/run-python-tests.sh builds the one it
//! tests with the feature).
//!
//! They are set as private attributes of `kcert._kcert`, not added to its `__all__`, so the
//! `.pyi` stubs describe the shipped module and `mypy.stubtest` passes on either build.

use kcertlib::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::errors::to_py_err;

/// Sets the hooks on the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.setattr("_error_kinds", wrap_pyfunction!(_error_kinds, m)?)?;
    m.setattr("_raise_error", wrap_pyfunction!(_raise_error, m)?)?;
    Ok(())
}

/// `[(code, name), ...]` for every core error kind: the pytest table test proves each one maps
/// to its own exception class.
#[pyfunction]
fn _error_kinds(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    PyList::new(
        py,
        ErrorKind::ALL.iter().map(|kind| (kind.code(), kind.name())),
    )
}

/// Raises the exception for `code` through `to_py_err`, so tests exercise the real conversion
/// for kinds that are hard to provoke from Python (`Locked`, `Panic`, ...).
#[pyfunction]
#[pyo3(signature = (code, message, path=None, entry=None))]
fn _raise_error(code: u32, message: &str, path: Option<&str>, entry: Option<&str>) -> PyResult<()> {
    let kind = ErrorKind::from_code(code).ok_or_else(|| {
        to_py_err(Error::new(
            ErrorKind::InvalidArgument,
            format!("no error kind has code {code}"),
        ))
    })?;
    let mut err = Error::new(kind, message);
    if let Some(p) = path {
        err = err.with_path(p);
    }
    if let Some(e) = entry {
        err = err.with_entry(e);
    }
    Err(to_py_err(err))
}
