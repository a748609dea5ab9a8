//! Running core work with the GIL released and panics caught.
//!
//! Bulk calls (bundle parsing, scan, renew, key generation) must let other Python threads run,
//! and a panic in the core must reach Python as `kcert.PanicError`, not abort the interpreter.
//! The closure gets only owned Rust values: nothing in it may touch a Python object.

use std::panic::{AssertUnwindSafe, catch_unwind};

use kcertlib::{Error, ErrorKind};
use pyo3::prelude::*;

use crate::errors::to_py_err;

/// Runs `work` without the GIL; its error or panic becomes the matching `kcert` exception.
pub(crate) fn without_gil<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> kcertlib::Result<T> + Send,
{
    // Unwind safety: `work` owns or shares only immutable core values, so a panic cannot leave
    // state behind that a later call would observe half-updated.
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(work)));
    match outcome {
        Ok(result) => result.map_err(to_py_err),
        Err(payload) => Err(to_py_err(Error::new(
            ErrorKind::Panic,
            format!(
                "internal error in kcertlib (panic: {})",
                panic_text(&*payload)
            ),
        ))),
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}
