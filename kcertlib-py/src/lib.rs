//! Python bindings for kcertlib: the private native module `kcert._kcert`.
//!
//! This crate only converts: Python values to core values and back, core errors to the
//! exception classes of `kcert/_errors.py` (in `errors.rs`, the one place), and bulk work run
//! without the GIL (`boundary.rs`). Certificate logic lives in the `kcertlib` crate.

mod boundary;
mod certificate;
mod datetime;
mod errors;
mod handoff;
mod inventory;
mod live;
mod private_key;
mod renewal;
mod signing;
mod source;
#[cfg(feature = "test-hooks")]
mod test_hooks;
mod validity_args;

use pyo3::prelude::*;

/// The native half of the `kcert` package; import `kcert` instead.
#[pymodule]
#[pyo3(name = "_kcert")]
fn kcert_py(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<certificate::PyCertificate>()?;
    m.add_class::<private_key::PyPrivateKey>()?;
    m.add_function(wrap_pyfunction!(certificate::load_certificates, m)?)?;
    m.add_class::<signing::PyIssuer>()?;
    m.add_function(wrap_pyfunction!(signing::resign, m)?)?;
    m.add_function(wrap_pyfunction!(signing::issue, m)?)?;
    m.add_class::<inventory::PyInventory>()?;
    m.add_class::<inventory::PyEntry>()?;
    m.add_function(wrap_pyfunction!(inventory::scan, m)?)?;
    m.add_class::<live::PyLiveReport>()?;
    m.add_class::<live::PyLiveComponent>()?;
    m.add_function(wrap_pyfunction!(live::check_live, m)?)?;
    m.add_class::<renewal::PyRenewalReport>()?;
    m.add_class::<renewal::PyRenewed>()?;
    m.add_class::<renewal::PySkipped>()?;
    m.add_class::<renewal::PyRollbackReport>()?;
    m.add_function(wrap_pyfunction!(renewal::renew, m)?)?;
    m.add_function(wrap_pyfunction!(renewal::rollback, m)?)?;
    m.add_function(wrap_pyfunction!(handoff::export_requests, m)?)?;
    m.add_function(wrap_pyfunction!(handoff::sign_requests, m)?)?;
    m.add_function(wrap_pyfunction!(handoff::install_signed, m)?)?;
    #[cfg(feature = "test-hooks")]
    test_hooks::register(m)?;
    Ok(())
}
