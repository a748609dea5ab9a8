//! The one place where a core `kcertlib::Error` becomes a Python exception.
//!
//! The exception classes live in Python (`kcert/_errors.py`) so that, say, `PemError` can be
//! both a `KcertError` and a `ValueError`; Rust only picks the class by the error's permanent
//! code and fills in the message and context.

use kcertlib::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// `kcert._errors.error_class`, imported once per interpreter.
static ERROR_CLASS_FOR_CODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Converts a core error into the `kcert` exception of its kind, with `.code`, `.path` and
/// `.entry` set. Every binding call that can fail goes through here.
pub(crate) fn to_py_err(err: Error) -> PyErr {
    Python::attach(|py| build(py, &err).unwrap_or_else(|failed_to_build| failed_to_build))
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let class_for_code = ERROR_CLASS_FOR_CODE.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("kcert._errors")?.getattr("error_class")?.unbind())
    })?;
    let class = class_for_code.bind(py).call1((err.code(),))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", err.code())?;
    kwargs.set_item("path", err.path().map(|p| p.to_string_lossy().into_owned()))?;
    kwargs.set_item("entry", err.entry())?;
    let instance = class.call((err.to_string(),), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}

/// An `InvalidArgument` core error, for argument checks that raise `kcert.InvalidArgumentError`.
pub(crate) fn invalid_argument(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}
