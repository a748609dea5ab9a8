//! `kcert.check_live`, `kcert.LiveReport` and `kcert.LiveComponent`: what each component of
//! the node serves on loopback, judged against the certificates on disk (`kcertlib::live`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kcertlib::live::{LiveOptions, LiveReport, check_live as core_check_live};
use kcertlib::{ScanOptions, defaults};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt};

use crate::boundary::without_gil;
use crate::certificate::PyCertificate;
use crate::datetime::{duration_or, from_duration, to_datetime};
use crate::errors::{invalid_argument, to_py_err};
use crate::inventory::json_loads;

/// What every component of a node serves.
#[pyclass(frozen, module = "kcert", name = "LiveReport")]
pub(crate) struct PyLiveReport {
    inner: Arc<LiveReport>,
}

/// What one component serves.
#[pyclass(frozen, module = "kcert", name = "LiveComponent")]
pub(crate) struct PyLiveComponent {
    report: Arc<LiveReport>,
    index: usize,
}

/// Scans `root` (default `/`) and dials each component of its layout on 127.0.0.1 (or ::1)
/// only, reading the certificate it serves. `ports` maps a component name to a port that
/// replaces its default; `timeout` (seconds, a `timedelta` or `"5s"`) bounds each dial. Runs
/// without the GIL.
#[pyfunction]
#[pyo3(signature = (root=None, *, ports=None, timeout=None, warn_within=None))]
pub(crate) fn check_live(
    py: Python<'_>,
    root: Option<PathBuf>,
    ports: Option<&Bound<'_, PyDict>>,
    timeout: Option<&Bound<'_, PyAny>>,
    warn_within: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyLiveReport> {
    let root = root.unwrap_or_else(|| PathBuf::from("/"));
    let scan =
        ScanOptions::default().with_warn_within(duration_or(warn_within, defaults::WARN_WITHIN)?);
    let mut options = LiveOptions::default()
        .with_scan(scan)
        .with_timeout(timeout_or_default(timeout)?);
    if let Some(ports) = ports {
        for (name, port) in ports.iter() {
            let name: String = name
                .extract()
                .map_err(|_| PyTypeError::new_err("ports: keys are component names (str)"))?;
            let port: u16 = port.extract().map_err(|_| {
                to_py_err(invalid_argument(format!(
                    "ports[{name:?}]: {} is not a port from 1 to 65535",
                    port.repr().map(|r| r.to_string()).unwrap_or_default()
                )))
            })?;
            options = options.with_port_named(&name, port).map_err(to_py_err)?;
        }
    }
    let report = without_gil(py, move || core_check_live(&root, &options))?;
    Ok(PyLiveReport {
        inner: Arc::new(report),
    })
}

/// A timeout in seconds (int or float), a `timedelta` or a duration string; at least a
/// millisecond, at most an hour.
fn timeout_or_default(value: Option<&Bound<'_, PyAny>>) -> PyResult<Duration> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(kcertlib::live::DEFAULT_TIMEOUT);
    };
    let timeout = if value.is_instance_of::<PyFloat>() || value.is_instance_of::<PyInt>() {
        let seconds: f64 = value.extract()?;
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(to_py_err(invalid_argument(format!(
                "timeout {seconds}: must be a positive number of seconds"
            ))));
        }
        Duration::from_secs_f64(seconds.min(3600.0))
    } else {
        from_duration(value)?
    };
    if timeout < Duration::from_millis(1) || timeout > Duration::from_secs(3600) {
        return Err(to_py_err(invalid_argument(format!(
            "timeout {timeout:?}: must be from 1 ms to 1 hour"
        ))));
    }
    Ok(timeout)
}

#[pymethods]
impl PyLiveReport {
    /// The scanned root, canonical.
    #[getter]
    fn root(&self) -> String {
        self.inner.root.display().to_string()
    }

    /// When the check ran, as an aware UTC `datetime`.
    #[getter]
    fn checked_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_datetime(py, self.inner.checked_at)
    }

    /// One result per component, in a fixed order.
    #[getter]
    fn components(&self) -> Vec<PyLiveComponent> {
        (0..self.inner.components.len())
            .map(|index| PyLiveComponent {
                report: Arc::clone(&self.inner),
                index,
            })
            .collect()
    }

    /// Whether any component serves an older certificate than the one on disk.
    #[getter]
    fn any_outdated(&self) -> bool {
        self.inner.any_outdated()
    }

    /// The names of the components that serve an older certificate (restart them).
    #[getter]
    fn outdated(&self) -> Vec<&'static str> {
        self.inner.outdated().map(|c| c.component.name()).collect()
    }

    /// One line per component, then the details.
    fn to_table(&self) -> String {
        self.inner.to_table()
    }

    /// The report as JSON (camelCase keys, RFC 3339 times), as `kcert check --live -o json`.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// `to_json()` as a dict (JSON-safe, for Ansible return values).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.inner.to_json())
    }

    /// Prometheus text-file lines (`kcert_live_state`, `kcert_live_outdated`, ...).
    fn to_prometheus(&self) -> String {
        self.inner.to_prometheus()
    }

    fn __repr__(&self) -> String {
        format!(
            "<LiveReport {} components, {} outdated>",
            self.inner.components.len(),
            self.inner.outdated().count()
        )
    }
}

impl PyLiveComponent {
    fn core(&self) -> &kcertlib::live::ComponentReport {
        // The index was produced from this very report, which is immutable.
        &self.report.components[self.index]
    }
}

#[pymethods]
impl PyLiveComponent {
    /// `kube-apiserver`, `etcd`, `etcd-peer`, `kubelet`, `kube-controller-manager`,
    /// `kube-scheduler` or `supervisor`.
    #[getter]
    fn component(&self) -> &'static str {
        self.core().component.name()
    }

    /// The port dialled.
    #[getter]
    fn port(&self) -> u16 {
        self.core().port
    }

    /// The loopback address that answered, or was tried first (`127.0.0.1:6443`).
    #[getter]
    fn address(&self) -> String {
        self.core().address.to_string()
    }

    /// `current`, `outdated`, `unmatched`, `not-running` or `no-certificate`.
    #[getter]
    fn state(&self) -> &'static str {
        self.core().state.name()
    }

    /// `certificate`, `public-key` or `subject-and-issuer`; `None` when nothing on disk matched.
    #[getter]
    fn matched_by(&self) -> Option<&'static str> {
        self.core().matched_by.map(|m| m.name())
    }

    /// The inventory entry the served certificate was tied to.
    #[getter]
    fn entry(&self) -> Option<&str> {
        self.core().entry.as_deref()
    }

    /// The certificate served, when one was read.
    #[getter]
    fn served(&self) -> Option<PyCertificate> {
        self.core().served.clone().map(PyCertificate::new)
    }

    /// The tied entry's certificate on disk.
    #[getter]
    fn on_disk(&self) -> Option<PyCertificate> {
        self.core().on_disk.clone().map(PyCertificate::new)
    }

    /// What was seen, in words.
    #[getter]
    fn detail(&self) -> &str {
        &self.core().detail
    }

    fn __repr__(&self) -> String {
        let c = self.core();
        format!(
            "<LiveComponent {} {} {}>",
            c.component,
            c.address,
            c.state.name()
        )
    }
}
