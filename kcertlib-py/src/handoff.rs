//! `kcert.export_requests`, `kcert.sign_requests` and `kcert.install_signed`: the three steps
//! that renew a node without its CA key (`kcertlib::handoff`). The files that move between the
//! machines are JSON text in and out, exactly as the core writes and reads them; installing
//! returns the `RenewalReport` that `kcert.renew` returns. Each call runs without the GIL.

use std::path::PathBuf;

use kcertlib::handoff::{
    ExportOptions, InstallOptions, RequestSet, SignOptions, SignedSet, export_requests as export,
    install_signed as install, sign_requests as sign,
};
use kcertlib::{Threads, Timestamp};
use pyo3::prelude::*;

use crate::boundary::without_gil;
use crate::datetime::from_datetime;
use crate::renewal::{PyRenewalReport, names, optional_duration};
use crate::validity_args::validity_policy;

/// Step 1, on the node: the requests for every entry that needs renewal and whose CA key is
/// not under `root`, as the JSON text of a request set. Certificates only, never key material.
#[pyfunction]
#[pyo3(signature = (root, *, only=None, expiring_within=None, csr=false, at=None, threads=0))]
pub(crate) fn export_requests(
    py: Python<'_>,
    root: PathBuf,
    only: Option<&Bound<'_, PyAny>>,
    expiring_within: Option<&Bound<'_, PyAny>>,
    csr: bool,
    at: Option<&Bound<'_, PyAny>>,
    threads: usize,
) -> PyResult<String> {
    let mut options = ExportOptions::default()
        .with_only(names(only)?)
        .with_csr(csr)
        .with_threads(Threads::from_count(threads));
    options.expiring_within = optional_duration(expiring_within)?;
    options.now = optional_time(at)?;
    without_gil(py, move || export(&root, &options).map(|set| set.to_json()))
}

/// Step 2, where the CA keys are: re-signs the requests of `requests` (the text
/// `export_requests` returned) with the CAs under `ca_root`, as the JSON text of a signed set.
#[pyfunction]
#[pyo3(signature = (
    ca_root, requests, *, days=365, backdate=None, include_ca=false, at=None, threads=0
))]
// Each Python keyword argument is a parameter; a struct would only hide them from pyo3.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sign_requests(
    py: Python<'_>,
    ca_root: PathBuf,
    requests: String,
    days: i64,
    backdate: Option<&Bound<'_, PyAny>>,
    include_ca: bool,
    at: Option<&Bound<'_, PyAny>>,
    threads: usize,
) -> PyResult<String> {
    let mut validity = validity_policy(days, backdate, None)?;
    validity.now = optional_time(at)?;
    let options = SignOptions::default()
        .with_validity(validity)
        .with_include_ca(include_ca)
        .with_threads(Threads::from_count(threads));
    without_gil(py, move || {
        let requests = RequestSet::from_json(&requests)?;
        sign(&ca_root, &requests, &options).map(|set| set.to_json())
    })
}

/// Step 3, on the node: checks the certificates of `signed` (the text `sign_requests` returned,
/// or PEM certificates from an external CA) and applies them under `root` as one transaction.
#[pyfunction]
#[pyo3(signature = (
    root, signed, *, dry_run=false, backup_dir=None, user_kubeconfigs=true, at=None, threads=0
))]
// Each Python keyword argument is a parameter; a struct would only hide them from pyo3.
#[allow(clippy::too_many_arguments)]
pub(crate) fn install_signed(
    py: Python<'_>,
    root: PathBuf,
    signed: String,
    dry_run: bool,
    backup_dir: Option<PathBuf>,
    user_kubeconfigs: bool,
    at: Option<&Bound<'_, PyAny>>,
    threads: usize,
) -> PyResult<PyRenewalReport> {
    let mut options = InstallOptions::default()
        .with_dry_run(dry_run)
        .with_user_kubeconfigs(user_kubeconfigs)
        .with_threads(Threads::from_count(threads));
    options.backup_dir = backup_dir;
    options.now = optional_time(at)?;
    let report = without_gil(py, move || {
        let signed = SignedSet::parse(&signed)?;
        install(&root, &signed, &options)
    })?;
    Ok(PyRenewalReport::from(report))
}

/// `at`: an aware `datetime`, or `None` for the system clock.
fn optional_time(at: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Timestamp>> {
    match at {
        Some(t) if !t.is_none() => from_datetime(t).map(Some),
        _ => Ok(None),
    }
}
