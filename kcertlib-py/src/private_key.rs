//! `kcert.PrivateKey`.

use std::sync::Arc;

use kcertlib::error::ResultExt;
use kcertlib::{KeyAlgorithm, PrivateKey};
use pyo3::prelude::*;

use crate::boundary::without_gil;
use crate::certificate::PyCertificate;
use crate::errors::to_py_err;
use crate::source::Source;

/// A private key (RSA 2048-8192, ECDSA P-256/P-384); immutable, never printed.
#[pyclass(frozen, module = "kcert", name = "PrivateKey")]
pub(crate) struct PyPrivateKey {
    inner: Arc<PrivateKey>,
}

impl PyPrivateKey {
    /// Wraps a core key.
    pub(crate) fn new(key: PrivateKey) -> Self {
        PyPrivateKey {
            inner: Arc::new(key),
        }
    }

    /// The core key (shared, cheap to clone into GIL-free work).
    pub(crate) fn core(&self) -> Arc<PrivateKey> {
        Arc::clone(&self.inner)
    }
}

#[pymethods]
impl PyPrivateKey {
    /// Reads a key from PEM/DER bytes, PEM text, or a file path (PKCS#1, PKCS#8 or SEC1).
    #[staticmethod]
    fn load(data: &Bound<'_, PyAny>) -> PyResult<PyPrivateKey> {
        let source = Source::from_py(data)?;
        let bytes = source.read().map_err(to_py_err)?;
        let key = PrivateKey::load(&bytes);
        let key = match source.path() {
            Some(path) => key.at_path(path),
            None => key,
        };
        key.map(PyPrivateKey::new).map_err(to_py_err)
    }

    /// Generates a new key: `RSA-2048` (default), `RSA-3072`, `RSA-4096`, `ECDSA-P256` or
    /// `ECDSA-P384`. Runs without the GIL (RSA generation takes a while).
    #[staticmethod]
    #[pyo3(signature = (algorithm="RSA-2048"))]
    fn generate(py: Python<'_>, algorithm: &str) -> PyResult<PyPrivateKey> {
        let algorithm = KeyAlgorithm::parse(algorithm).map_err(to_py_err)?;
        without_gil(py, move || PrivateKey::generate(&algorithm)).map(PyPrivateKey::new)
    }

    /// Whether this key is the private half of `cert`'s public key.
    fn matches(&self, cert: PyRef<'_, PyCertificate>) -> bool {
        self.inner.matches(&cert.core())
    }

    /// PEM text in the format the key was read in (new keys: PKCS#1 for RSA, SEC1 for EC).
    fn to_pem(&self) -> PyResult<String> {
        self.inner
            .to_pem()
            .map(|pem| pem.as_str().to_owned())
            .map_err(to_py_err)
    }

    /// `RSA-2048`, `ECDSA-P256`, ...
    #[getter]
    fn algorithm(&self) -> String {
        self.inner.algorithm().name()
    }

    /// `pkcs1`, `pkcs8` or `sec1`: the encoding `to_pem()` writes.
    #[getter]
    fn format(&self) -> &'static str {
        match self.inner.format() {
            kcertlib::KeyFormat::Pkcs1 => "pkcs1",
            kcertlib::KeyFormat::Pkcs8 => "pkcs8",
            kcertlib::KeyFormat::Sec1 => "sec1",
        }
    }

    fn __repr__(&self) -> String {
        format!("<PrivateKey {} {}>", self.algorithm(), self.format())
    }
}
