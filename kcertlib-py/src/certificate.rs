//! `kcert.Certificate` and `kcert.load_certificates`.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use kcertlib::{Certificate, Timestamp, defaults, load};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList};

use crate::boundary::without_gil;
use crate::datetime::{duration_or, from_datetime, to_datetime};
use crate::source::Source;

static IPV4_ADDRESS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static IPV6_ADDRESS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static INT_FROM_BYTES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An X.509 certificate, parsed once; immutable.
#[pyclass(frozen, module = "kcert", name = "Certificate")]
pub(crate) struct PyCertificate {
    inner: Arc<Certificate>,
}

impl PyCertificate {
    /// Wraps a core certificate.
    pub(crate) fn new(cert: Certificate) -> Self {
        PyCertificate {
            inner: Arc::new(cert),
        }
    }

    /// Wraps a core certificate that is shared with another owner.
    pub(crate) fn shared(cert: Arc<Certificate>) -> Self {
        PyCertificate { inner: cert }
    }

    /// The core certificate (shared, cheap to clone into GIL-free work).
    pub(crate) fn core(&self) -> Arc<Certificate> {
        Arc::clone(&self.inner)
    }
}

#[pymethods]
impl PyCertificate {
    /// The subject as an RFC 4514 string.
    #[getter]
    fn subject(&self) -> String {
        self.inner.subject()
    }

    /// The issuer as an RFC 4514 string.
    #[getter]
    fn issuer(&self) -> String {
        self.inner.issuer()
    }

    /// The subject's common name, or `None`.
    #[getter]
    fn common_name(&self) -> Option<String> {
        self.inner.common_name()
    }

    /// The subject's organizations (Kubernetes groups).
    #[getter]
    fn organizations(&self) -> Vec<String> {
        self.inner.organizations()
    }

    /// The serial number as a non-negative `int`.
    #[getter]
    fn serial_number<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let from_bytes = INT_FROM_BYTES.get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("builtins")?
                    .getattr("int")?
                    .getattr("from_bytes")?
                    .unbind(),
            )
        })?;
        from_bytes
            .bind(py)
            .call1((PyBytes::new(py, self.inner.serial()), "big"))
    }

    /// `notBefore` as an aware UTC `datetime`.
    #[getter]
    fn not_before<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_datetime(py, self.inner.not_before())
    }

    /// `notAfter` as an aware UTC `datetime`.
    #[getter]
    fn not_after<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_datetime(py, self.inner.not_after())
    }

    /// DNS names of the subjectAltName extension.
    #[getter]
    fn dns_names(&self) -> Vec<String> {
        self.inner.alt_names().dns
    }

    /// IP addresses of the subjectAltName extension, as `ipaddress` objects.
    #[getter]
    fn ip_addresses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        // From the integer, not the text: `ipaddress` parsing a string costs six times more.
        let v4 = IPV4_ADDRESS.import(py, "ipaddress", "IPv4Address")?;
        let v6 = IPV6_ADDRESS.import(py, "ipaddress", "IPv6Address")?;
        let ips = self
            .inner
            .alt_names()
            .ips
            .iter()
            .map(|ip| match ip {
                std::net::IpAddr::V4(a) => v4.call1((u32::from(*a),)),
                std::net::IpAddr::V6(a) => v6.call1((u128::from(*a),)),
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, ips)
    }

    /// keyUsage bit names (`digitalSignature`, `keyCertSign`, ...), `None` when absent.
    #[getter]
    fn key_usage(&self) -> Option<Vec<&'static str>> {
        self.inner
            .key_usage()
            .map(|bits| bits.into_iter().map(|b| b.name()).collect())
    }

    /// extendedKeyUsage purposes (`serverAuth`, `clientAuth`, or a dotted OID), `None` when
    /// absent.
    #[getter]
    fn extended_key_usage(&self) -> Option<Vec<String>> {
        self.inner
            .extended_key_usage()
            .map(|ekus| ekus.iter().map(|e| e.name().to_string()).collect())
    }

    /// Whether basicConstraints says CA:TRUE.
    #[getter]
    fn is_ca(&self) -> bool {
        self.inner.is_ca()
    }

    /// SHA-256 of the DER, colon-separated uppercase hex as `openssl x509 -fingerprint` prints.
    #[getter]
    fn fingerprint_sha256(&self) -> String {
        self.inner.fingerprint_sha256_hex()
    }

    /// The subject key's algorithm and size: `RSA-2048`, `ECDSA-P256`, ...
    #[getter]
    fn public_key_algorithm(&self) -> String {
        self.inner.public_key_algorithm().name()
    }

    /// The issuer's signature algorithm in OpenSSL's spelling (`sha256WithRSAEncryption`).
    #[getter]
    fn signature_algorithm(&self) -> String {
        self.inner.signature_algorithm().name().to_string()
    }

    /// `"ok"`, `"warning"` (expires within `warn_within`), `"expired"` or `"not-yet-valid"`
    /// at `at` (default: now).
    #[pyo3(signature = (at=None, warn_within=None))]
    fn status(
        &self,
        at: Option<&Bound<'_, PyAny>>,
        warn_within: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<&'static str> {
        let at = match at {
            Some(t) => from_datetime(t)?,
            None => Timestamp::now(),
        };
        let window = duration_or(warn_within, defaults::WARN_WITHIN)?;
        Ok(self.inner.status(at, window).name())
    }

    /// The certificate as PEM text.
    fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// The DER bytes, exactly as read.
    fn to_der<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.as_der())
    }

    /// The core's JSON summary as a dict (camelCase keys, RFC 3339 times, hex serial), the
    /// same object `kcert inspect --json` and the C library print; JSON-safe for Ansible.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let loads = JSON_LOADS.import(py, "json", "loads")?;
        loads.call1((self.inner.to_json(),))
    }

    fn __eq__(&self, other: PyRef<'_, Self>) -> bool {
        self.inner.as_der() == other.inner.as_der()
    }

    fn __hash__(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.inner.as_der().hash(&mut hasher);
        hasher.finish()
    }

    fn __repr__(&self) -> String {
        format!(
            "<Certificate subject={:?} serial=0x{} not_after={}>",
            self.inner.subject(),
            self.inner.serial_hex(),
            self.inner.not_after()
        )
    }
}

/// Every certificate in `data` (`kcertlib::load`): a PEM bundle, one DER certificate, a
/// kubeconfig (its users' client certificates, then its clusters' CAs, embedded or referenced),
/// or the path of a file holding any of these.
#[pyfunction]
pub(crate) fn load_certificates(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
) -> PyResult<Vec<PyCertificate>> {
    let source = Source::from_py(data)?;
    let loaded = without_gil(py, move || match &source {
        Source::Path(path) => load::from_path(path),
        Source::Bytes(bytes) => load::from_bytes(bytes, None),
    })?;
    Ok(loaded
        .into_iter()
        .map(|found| PyCertificate::new(found.certificate))
        .collect())
}
