//! `kcert.scan`, `kcert.Inventory` and `kcert.Entry`.

use std::path::PathBuf;
use std::sync::Arc;

use kcertlib::{EntryKind, Inventory, Location, ScanOptions, defaults};
use pyo3::exceptions::{PyIndexError, PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;

use crate::boundary::without_gil;
use crate::certificate::PyCertificate;
use crate::datetime::{duration_or, to_datetime};

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Every certificate found under a root, with its state; iterable over its entries.
#[pyclass(frozen, module = "kcert", name = "Inventory")]
pub(crate) struct PyInventory {
    inner: Arc<Inventory>,
}

/// One certificate of the node, as its distribution names it.
#[pyclass(frozen, module = "kcert", name = "Entry")]
pub(crate) struct PyEntry {
    inventory: Arc<Inventory>,
    index: usize,
}

/// Scans `root` (default `/`) for the certificates of every distribution detected there.
/// Runs without the GIL. Fails only when `root` itself is unusable; per-file problems are in
/// the entries.
#[pyfunction]
#[pyo3(signature = (root=None, *, warn_within=None, threads=0))]
pub(crate) fn scan(
    py: Python<'_>,
    root: Option<PathBuf>,
    warn_within: Option<&Bound<'_, PyAny>>,
    threads: usize,
) -> PyResult<PyInventory> {
    let root = root.unwrap_or_else(|| PathBuf::from("/"));
    let options = ScanOptions::default()
        .with_warn_within(duration_or(warn_within, defaults::WARN_WITHIN)?)
        .with_threads(kcertlib::Threads::from_count(threads));
    let inventory = without_gil(py, move || kcertlib::scan(&root, &options))?;
    Ok(PyInventory {
        inner: Arc::new(inventory),
    })
}

impl PyInventory {
    fn entry(&self, index: usize) -> PyEntry {
        PyEntry {
            inventory: Arc::clone(&self.inner),
            index,
        }
    }

    fn entries_where(&self, keep: impl Fn(&kcertlib::Entry) -> bool) -> Vec<PyEntry> {
        (0..self.inner.entries.len())
            .filter(|&i| keep(&self.inner.entries[i]))
            .map(|i| self.entry(i))
            .collect()
    }
}

#[pymethods]
impl PyInventory {
    /// The scanned root, canonical.
    #[getter]
    fn root(&self) -> String {
        self.inner.root.display().to_string()
    }

    /// The distributions detected (`kubeadm`, `kubespray`, `rke1`, `rke2`, `k3s`).
    #[getter]
    fn distributions(&self) -> Vec<&'static str> {
        self.inner.distributions.iter().map(|d| d.name()).collect()
    }

    /// The time the statuses refer to, as an aware UTC `datetime`.
    #[getter]
    fn scanned_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_datetime(py, self.inner.scanned_at)
    }

    /// Every entry, in the order the layouts list them.
    #[getter]
    fn entries(&self) -> Vec<PyEntry> {
        self.entries_where(|_| true)
    }

    /// The leaf entries.
    fn leaves(&self) -> Vec<PyEntry> {
        self.entries_where(kcertlib::Entry::is_leaf)
    }

    /// The CA entries.
    fn cas(&self) -> Vec<PyEntry> {
        self.entries_where(kcertlib::Entry::is_ca)
    }

    /// The entry called `name`, or `None`.
    fn get(&self, name: &str) -> Option<PyEntry> {
        self.inner
            .entries
            .iter()
            .position(|e| e.name == name)
            .map(|i| self.entry(i))
    }

    /// Whether any entry has expired.
    #[getter]
    fn any_expired(&self) -> bool {
        self.inner.any_expired()
    }

    /// kubeadm's `check-expiration` table (leaves, then CAs), with a STATUS column.
    fn to_table(&self) -> String {
        self.inner.to_table()
    }

    /// kubeadm's `check-expiration -o json` document, extended with kcert's fields.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// `to_json()` as a dict (JSON-safe, for Ansible return values).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.inner.to_json())
    }

    /// Prometheus text-file lines (`x509_cert_not_after`, `x509_cert_expired`, ...).
    fn to_prometheus(&self) -> String {
        self.inner.to_prometheus()
    }

    fn __len__(&self) -> usize {
        self.inner.entries.len()
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let entries = PyList::new(slf.py(), slf.entries())?;
        entries.try_iter().map(Bound::into_any)
    }

    fn __contains__(&self, name: &str) -> bool {
        self.inner.get(name).is_some()
    }

    /// `inventory["apiserver"]` by name, or `inventory[0]` by position.
    fn __getitem__(&self, key: &Bound<'_, PyAny>) -> PyResult<PyEntry> {
        if let Ok(name) = key.extract::<String>() {
            return self
                .get(&name)
                .ok_or_else(|| PyKeyError::new_err(format!("no entry named {name:?}")));
        }
        let Ok(index) = key.extract::<isize>() else {
            return Err(PyTypeError::new_err(
                "entries are looked up by name or index",
            ));
        };
        let len = self.inner.entries.len() as isize;
        let position = if index < 0 { index + len } else { index };
        if (0..len).contains(&position) {
            Ok(self.entry(position as usize))
        } else {
            Err(PyIndexError::new_err("inventory index out of range"))
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<Inventory root={:?} distributions={:?} entries={}>",
            self.root(),
            self.distributions(),
            self.inner.entries.len()
        )
    }
}

impl PyEntry {
    fn core(&self) -> &kcertlib::Entry {
        // The index was produced from this very inventory, which is immutable.
        &self.inventory.entries[self.index]
    }
}

#[pymethods]
impl PyEntry {
    /// The entry's name (kubeadm's `apiserver`, `admin.conf`, RKE1's `kube-apiserver`, ...).
    #[getter]
    fn name(&self) -> &str {
        &self.core().name
    }

    /// `kubeadm`, `kubespray`, `rke1`, `rke2` or `k3s`.
    #[getter]
    fn distribution(&self) -> &'static str {
        self.core().distribution.name()
    }

    /// `leaf` or `ca`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.core().kind {
            EntryKind::Leaf => "leaf",
            EntryKind::Ca => "ca",
        }
    }

    /// The file holding the certificate (the kubeconfig for embedded data).
    #[getter]
    fn path(&self) -> String {
        self.core().cert.path().display().to_string()
    }

    /// How the certificate is stored: `file`, `kubeconfig` (embedded data), `combined`
    /// (certificate and key in one file, like kubelet's `kubelet-client-current.pem`) or
    /// `secret-json` (a JSON TLS Secret, like k3s's `dynamic-cert.json`) or `rke-state` (a
    /// bundle entry of RKE1's `cluster.rkestate`).
    #[getter]
    fn storage(&self) -> &'static str {
        match self.core().cert {
            Location::File(_) => "file",
            Location::KubeconfigEmbedded { .. } => "kubeconfig",
            Location::Combined(_) => "combined",
            Location::SecretJson(_) => "secret-json",
            Location::RkeState { .. } => "rke-state",
        }
    }

    /// The kubeconfig user holding the certificate, for embedded data.
    #[getter]
    fn kubeconfig_user(&self) -> Option<&str> {
        match &self.core().cert {
            Location::KubeconfigEmbedded { user, .. } => Some(user),
            _ => None,
        }
    }

    /// The file holding the private key, when the node has it.
    #[getter]
    fn key_path(&self) -> Option<String> {
        self.core()
            .key
            .as_ref()
            .map(|k| k.path().display().to_string())
    }

    /// The name of the CA entry that signed it.
    #[getter]
    fn ca_name(&self) -> Option<&str> {
        self.core().ca_name.as_deref()
    }

    /// The certificate, `None` when missing or unreadable.
    #[getter]
    fn certificate(&self) -> Option<PyCertificate> {
        self.core().certificate.clone().map(PyCertificate::new)
    }

    /// `ok`, `warning`, `expired`, `not-yet-valid`, `missing` or `error`.
    #[getter]
    fn status(&self) -> &'static str {
        self.core().status.name()
    }

    /// `notAfter` as an aware UTC `datetime`, `None` without a certificate.
    #[getter]
    fn not_after<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.core()
            .certificate
            .as_ref()
            .map(|c| to_datetime(py, c.not_after()))
            .transpose()
    }

    /// Seconds from scan time to `notAfter` (negative once expired).
    #[getter]
    fn residual_seconds(&self) -> Option<i64> {
        self.core().residual_seconds
    }

    /// The CA key is absent, so this entry cannot be renewed on this node.
    #[getter]
    fn externally_managed(&self) -> bool {
        self.core().externally_managed
    }

    /// Whether the key matches the certificate (`None` when either is absent).
    #[getter]
    fn key_matches(&self) -> Option<bool> {
        self.core().key_matches
    }

    /// Whether the signature verifies against its CA on disk (`None` without a CA).
    #[getter]
    fn chain_verifies(&self) -> Option<bool> {
        self.core().chain_verifies
    }

    /// Components to restart after this certificate changes.
    #[getter]
    fn restart(&self) -> Vec<String> {
        self.core().restart.clone()
    }

    /// Human-readable problems, each naming its file.
    #[getter]
    fn problems(&self) -> Vec<String> {
        self.core().problems.clone()
    }

    /// The entry holding the very same certificate elsewhere, when this one is a copy.
    #[getter]
    fn copy_of(&self) -> Option<&str> {
        self.core().copy_of.as_deref()
    }

    /// This entry as an item of `Inventory.to_dict()` (kubeadm's field names plus kcert's).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.core().to_json())
    }

    fn __repr__(&self) -> String {
        format!(
            "<Entry {} {} {}>",
            self.core().name,
            self.core().distribution.name(),
            self.core().status.name()
        )
    }
}

pub(crate) fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    JSON_LOADS.import(py, "json", "loads")?.call1((text,))
}
