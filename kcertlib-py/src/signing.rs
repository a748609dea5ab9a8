//! `kcert.Issuer` (a CA certificate and key checked once, then reused) and the one-shot
//! `kcert.resign` and `kcert.issue`, which build an `Issuer` for the call: thin calls into the
//! core's faithful re-sign and profile issuing, run without the GIL.

use std::net::IpAddr;
use std::sync::Arc;

use kcertlib::{
    AltNames, IssueRequest, KeyPolicy, OwnedIssuer, Profile, ResignOptions, issue as core_issue,
    resign as core_resign,
};
use pyo3::exceptions::PyUserWarning;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::boundary::without_gil;
use crate::certificate::PyCertificate;
use crate::errors::{invalid_argument, to_py_err};
use crate::private_key::PyPrivateKey;
use crate::validity_args::validity_policy;

/// A CA certificate and its key, checked once (a CA with keyCertSign, the key its own) and
/// then used for any number of certificates: re-signing many leaves with one CA skips the
/// per-call check that `kcert.resign` makes. Immutable; safe to share between threads.
#[pyclass(frozen, module = "kcert", name = "Issuer")]
pub(crate) struct PyIssuer {
    inner: OwnedIssuer,
}

#[pymethods]
impl PyIssuer {
    #[new]
    fn new(ca_cert: PyRef<'_, PyCertificate>, ca_key: PyRef<'_, PyPrivateKey>) -> PyResult<Self> {
        let inner = OwnedIssuer::new(ca_cert.core(), ca_key.core()).map_err(to_py_err)?;
        Ok(PyIssuer { inner })
    }

    /// The CA certificate.
    #[getter]
    fn certificate(&self) -> PyCertificate {
        PyCertificate::shared(Arc::clone(self.inner.certificate()))
    }

    /// Re-signs `cert` with this CA, changing only serial, validity, issuer, authority key
    /// identifier and signature algorithm. Returns the new certificate, or
    /// `(certificate, new_key)` when `rotate_key` is true.
    #[pyo3(signature = (cert, *, days=365, backdate=None, not_before=None, rotate_key=false))]
    fn resign<'py>(
        &self,
        py: Python<'py>,
        cert: PyRef<'py, PyCertificate>,
        days: i64,
        backdate: Option<&Bound<'py, PyAny>>,
        not_before: Option<&Bound<'py, PyAny>>,
        rotate_key: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = ResignOptions::default()
            .with_validity(validity_policy(days, backdate, not_before)?)
            .with_key(if rotate_key {
                KeyPolicy::Rotate
            } else {
                KeyPolicy::Keep
            });
        let (cert, issuer) = (cert.core(), &self.inner);
        let signed = without_gil(py, move || core_resign(&cert, &issuer.issuer(), &options))?;
        warn_about_clamps(py, &signed.clamps)?;
        let new_cert = Bound::new(py, PyCertificate::new(signed.certificate))?.into_any();
        match signed.key {
            Some(key) if rotate_key => {
                let key = Bound::new(py, PyPrivateKey::new(key))?.into_any();
                Ok(PyTuple::new(py, [new_cert, key])?.into_any())
            }
            _ => Ok(new_cert),
        }
    }

    /// Issues a new certificate for `key`'s public half, signed by this CA, with the
    /// extensions of `profile` (`client`, `apiproxyclient`, `etcd`, `api`, `ca`).
    #[pyo3(signature = (subject, key, *, profile="client", dns_names=None, ip_addresses=None, days=365, backdate=None, not_before=None))]
    #[allow(clippy::too_many_arguments)]
    fn issue<'py>(
        &self,
        py: Python<'py>,
        subject: String,
        key: PyRef<'py, PyPrivateKey>,
        profile: &str,
        dns_names: Option<Vec<String>>,
        ip_addresses: Option<Vec<Bound<'py, PyAny>>>,
        days: i64,
        backdate: Option<&Bound<'py, PyAny>>,
        not_before: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyCertificate> {
        let profile = Profile::parse(profile).map_err(to_py_err)?;
        let ips = ip_addresses
            .unwrap_or_default()
            .iter()
            .map(parse_ip)
            .collect::<PyResult<Vec<_>>>()?;
        let request = IssueRequest::new(subject, profile)
            .with_alt_names(AltNames::new(dns_names.unwrap_or_default(), ips))
            .with_validity(validity_policy(days, backdate, not_before)?);
        let (key, issuer) = (key.core(), &self.inner);
        let cert = without_gil(py, move || {
            core_issue(&request, &key.public_key_der()?, &issuer.issuer())
        })?;
        Ok(PyCertificate::new(cert))
    }

    fn __repr__(&self) -> String {
        format!("<kcert.Issuer {}>", self.inner.certificate().subject())
    }
}

/// Re-signs `cert` with `ca_cert`/`ca_key`: `Issuer(ca_cert, ca_key).resign(cert, ...)`.
#[pyfunction]
#[pyo3(signature = (cert, ca_cert, ca_key, *, days=365, backdate=None, not_before=None, rotate_key=false))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn resign<'py>(
    py: Python<'py>,
    cert: PyRef<'py, PyCertificate>,
    ca_cert: PyRef<'py, PyCertificate>,
    ca_key: PyRef<'py, PyPrivateKey>,
    days: i64,
    backdate: Option<&Bound<'py, PyAny>>,
    not_before: Option<&Bound<'py, PyAny>>,
    rotate_key: bool,
) -> PyResult<Bound<'py, PyAny>> {
    PyIssuer::new(ca_cert, ca_key)?.resign(py, cert, days, backdate, not_before, rotate_key)
}

/// Issues a certificate signed by `ca_cert`/`ca_key`: `Issuer(ca_cert, ca_key).issue(...)`.
#[pyfunction]
#[pyo3(signature = (subject, key, ca_cert, ca_key, *, profile="client", dns_names=None, ip_addresses=None, days=365, backdate=None, not_before=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn issue<'py>(
    py: Python<'py>,
    subject: String,
    key: PyRef<'py, PyPrivateKey>,
    ca_cert: PyRef<'py, PyCertificate>,
    ca_key: PyRef<'py, PyPrivateKey>,
    profile: &str,
    dns_names: Option<Vec<String>>,
    ip_addresses: Option<Vec<Bound<'py, PyAny>>>,
    days: i64,
    backdate: Option<&Bound<'py, PyAny>>,
    not_before: Option<&Bound<'py, PyAny>>,
) -> PyResult<PyCertificate> {
    PyIssuer::new(ca_cert, ca_key)?.issue(
        py,
        subject,
        key,
        profile,
        dns_names,
        ip_addresses,
        days,
        backdate,
        not_before,
    )
}

/// An IP address from an `ipaddress` object or text.
fn parse_ip(value: &Bound<'_, PyAny>) -> PyResult<IpAddr> {
    let text = value.str()?.to_string();
    text.parse::<IpAddr>()
        .map_err(|_| to_py_err(invalid_argument(format!("invalid IP address {text:?}"))))
}

/// The core kept the new certificate inside its CA's window; say so as a Python warning.
fn warn_about_clamps(py: Python<'_>, clamps: &[kcertlib::Clamp]) -> PyResult<()> {
    for clamp in clamps {
        let message = std::ffi::CString::new(clamp.to_string()).unwrap_or_default();
        PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 1)?;
    }
    Ok(())
}
