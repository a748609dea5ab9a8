//! `kcert.renew`, `kcert.rollback` and their reports (`install_signed` returns the same one).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kcertlib::defaults;
use kcertlib::renew::{RenewOptions, RenewReport, Renewed, RollbackReport, Skipped};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;

use crate::boundary::without_gil;
use crate::datetime::{duration_or, from_duration, to_datetime};
use crate::validity_args::validity_policy;

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// What `renew` or `install_signed` did (or, in a dry run, would do).
#[pyclass(frozen, module = "kcert", name = "RenewalReport")]
pub(crate) struct PyRenewalReport {
    inner: Arc<RenewReport>,
}

/// One certificate renewed (in a dry run: that would be, with the values it would get).
#[pyclass(frozen, module = "kcert", name = "Renewed")]
pub(crate) struct PyRenewed {
    inner: Renewed,
}

/// An entry left alone, and why.
#[pyclass(frozen, module = "kcert", name = "Skipped")]
pub(crate) struct PySkipped {
    inner: Skipped,
}

/// What `rollback` restored.
#[pyclass(frozen, module = "kcert", name = "RollbackReport")]
pub(crate) struct PyRollbackReport {
    inner: RollbackReport,
}

/// Renews the certificates under `root` (default `/`) as one transaction: every leaf, the
/// entries named in `only`, or those expiring within `expiring_within`. Runs without the GIL.
#[pyfunction]
#[pyo3(signature = (
    root=None, *, days=365, backdate=None, only=None, expiring_within=None, rotate_keys=false,
    include_ca=false, dry_run=false, backup_dir=None, warn_within=None, threads=0,
    add_sans=None, user_kubeconfigs=true, rke_state=None
))]
// Each Python keyword argument is a parameter; a struct would only hide them from pyo3.
#[allow(clippy::too_many_arguments)]
pub(crate) fn renew(
    py: Python<'_>,
    root: Option<PathBuf>,
    days: i64,
    backdate: Option<&Bound<'_, PyAny>>,
    only: Option<&Bound<'_, PyAny>>,
    expiring_within: Option<&Bound<'_, PyAny>>,
    rotate_keys: bool,
    include_ca: bool,
    dry_run: bool,
    backup_dir: Option<PathBuf>,
    warn_within: Option<&Bound<'_, PyAny>>,
    threads: usize,
    add_sans: Option<&Bound<'_, PyAny>>,
    user_kubeconfigs: bool,
    rke_state: Option<PathBuf>,
) -> PyResult<PyRenewalReport> {
    let root = root.unwrap_or_else(|| PathBuf::from("/"));
    let mut options = RenewOptions::default()
        .with_validity(validity_policy(days, backdate, None)?)
        .with_only(names(only)?)
        .with_rotate_keys(rotate_keys)
        .with_include_ca(include_ca)
        .with_dry_run(dry_run)
        .with_warn_within(duration_or(warn_within, defaults::WARN_WITHIN)?)
        .with_threads(kcertlib::Threads::from_count(threads))
        .with_user_kubeconfigs(user_kubeconfigs);
    options.expiring_within = optional_duration(expiring_within)?;
    options.backup_dir = backup_dir;
    options.rke_state = rke_state;
    for text in names(add_sans)? {
        let parsed = kcertlib::AltNames::parse(&text).map_err(crate::errors::to_py_err)?;
        options.add_sans = options.add_sans.merged(&parsed);
    }
    let report = without_gil(py, move || kcertlib::renew::renew(&root, &options))?;
    Ok(PyRenewalReport::from(report))
}

/// Restores the files a renewal replaced, from the manifest it wrote (`RenewalReport.manifest`).
/// `root` names the renewed tree when the manifest is outside its default place (a renewal
/// made with `backup_dir`).
#[pyfunction]
#[pyo3(signature = (manifest, *, root=None))]
pub(crate) fn rollback(
    py: Python<'_>,
    manifest: PathBuf,
    root: Option<PathBuf>,
) -> PyResult<PyRollbackReport> {
    let report = without_gil(py, move || match &root {
        Some(root) => kcertlib::renew::rollback_in(root, &manifest),
        None => kcertlib::renew::rollback(&manifest),
    })?;
    Ok(PyRollbackReport { inner: report })
}

/// `only`: one name or a sequence of names.
pub(crate) fn names(only: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    match only {
        None => Ok(Vec::new()),
        Some(v) if v.is_none() => Ok(Vec::new()),
        Some(v) if v.is_instance_of::<PyString>() => Ok(vec![v.extract()?]),
        Some(v) => v.extract(),
    }
}

/// A duration argument that may be `None`.
pub(crate) fn optional_duration(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    match value {
        Some(v) if !v.is_none() => from_duration(v).map(Some),
        _ => Ok(None),
    }
}

fn paths(list: &[PathBuf]) -> Vec<String> {
    list.iter().map(|p| p.display().to_string()).collect()
}

fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    JSON_LOADS.import(py, "json", "loads")?.call1((text,))
}

impl From<RenewReport> for PyRenewalReport {
    fn from(report: RenewReport) -> Self {
        PyRenewalReport {
            inner: Arc::new(report),
        }
    }
}

#[pymethods]
impl PyRenewalReport {
    /// Nothing was written because a dry run was asked for.
    #[getter]
    fn dry_run(&self) -> bool {
        self.inner.dry_run
    }

    /// Files were changed.
    #[getter]
    fn changed(&self) -> bool {
        self.inner.changed
    }

    /// Every certificate renewed (in a dry run: that would be).
    #[getter]
    fn renewed(&self) -> Vec<PyRenewed> {
        self.inner
            .renewed
            .iter()
            .map(|r| PyRenewed { inner: r.clone() })
            .collect()
    }

    /// Entries left alone, with the reason (CA key missing, key not matching, ...).
    #[getter]
    fn skipped(&self) -> Vec<PySkipped> {
        self.inner
            .skipped
            .iter()
            .map(|s| PySkipped { inner: s.clone() })
            .collect()
    }

    /// The backup copies written.
    #[getter]
    fn backups(&self) -> Vec<String> {
        paths(&self.inner.backups)
    }

    /// The manifest to pass to `rollback`, when files were changed.
    #[getter]
    fn manifest(&self) -> Option<String> {
        self.inner
            .manifest
            .as_ref()
            .map(|p| p.display().to_string())
    }

    /// Components to restart (`kube-apiserver`, `etcd`, `kubelet`, `rke2-server`, ...).
    #[getter]
    fn restart(&self) -> Vec<String> {
        self.inner.restart.clone()
    }

    /// Things to know: validity clamped to a CA, an interrupted renewal rolled back first, ...
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }

    /// The report as JSON (camelCase keys, RFC 3339 times).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// `to_json()` as a dict (JSON-safe, for Ansible return values).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.inner.to_json())
    }

    fn __repr__(&self) -> String {
        format!(
            "<RenewalReport changed={} dry_run={} renewed={} skipped={}>",
            self.inner.changed,
            self.inner.dry_run,
            self.inner.renewed.len(),
            self.inner.skipped.len()
        )
    }
}

#[pymethods]
impl PyRenewed {
    /// The inventory name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The files written for it.
    #[getter]
    fn paths(&self) -> Vec<String> {
        paths(&self.inner.paths)
    }

    /// Serial before, lower-case hex.
    #[getter]
    fn old_serial(&self) -> &str {
        &self.inner.old_serial
    }

    /// Serial after, lower-case hex.
    #[getter]
    fn new_serial(&self) -> &str {
        &self.inner.new_serial
    }

    /// `notBefore` before (aware UTC).
    #[getter]
    fn old_not_before<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_datetime(py, self.inner.old_not_before)
    }

    /// `notAfter` before (aware UTC).
    #[getter]
    fn old_not_after<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_datetime(py, self.inner.old_not_after)
    }

    /// `notBefore` after (aware UTC).
    #[getter]
    fn new_not_before<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_datetime(py, self.inner.new_not_before)
    }

    /// `notAfter` after (aware UTC).
    #[getter]
    fn new_not_after<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_datetime(py, self.inner.new_not_after)
    }

    /// Whether a new key was written.
    #[getter]
    fn key_rotated(&self) -> bool {
        self.inner.key_rotated
    }

    /// This item as in `RenewalReport.to_dict()["renewed"]`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.inner.to_json())
    }

    fn __repr__(&self) -> String {
        format!(
            "<Renewed {} not_after {} -> {}>",
            self.inner.name, self.inner.old_not_after, self.inner.new_not_after
        )
    }
}

#[pymethods]
impl PySkipped {
    /// The inventory name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// Why it was left alone, naming the file or CA concerned.
    #[getter]
    fn reason(&self) -> &str {
        &self.inner.reason
    }

    /// This item as in `RenewalReport.to_dict()["skipped"]`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.inner.to_json())
    }

    fn __repr__(&self) -> String {
        format!("<Skipped {}: {}>", self.inner.name, self.inner.reason)
    }
}

#[pymethods]
impl PyRollbackReport {
    /// Paths put back (or removed, when the renewal had created them).
    #[getter]
    fn restored(&self) -> Vec<String> {
        paths(&self.inner.restored)
    }

    /// Things to know (an interrupted renewal rolled back first, ...).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }

    /// The rollback's own manifest (a rollback is a transaction too), or `None` when there was
    /// nothing to restore.
    #[getter]
    fn manifest(&self) -> Option<String> {
        self.inner
            .manifest
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// The report as JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// `to_json()` as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.inner.to_json())
    }

    fn __repr__(&self) -> String {
        format!("<RollbackReport restored={}>", self.inner.restored.len())
    }
}
