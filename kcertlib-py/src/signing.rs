//! `kcert.resign` and `kcert.issue`: thin calls into the core's faithful re-sign and profile
//! issuing, run without the GIL.

use std::net::IpAddr;

use kcertlib::{
    AltNames, IssueRequest, Issuer, KeyPolicy, Profile, ResignOptions, issue as core_issue,
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

/// Re-signs `cert` with `ca_cert`/`ca_key`, changing only serial, validity, issuer, authority
/// key identifier and signature algorithm. Returns the new certificate, or
/// `(certificate, new_key)` when `rotate_key` is true.
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
    let options = ResignOptions::default()
        .with_validity(validity_policy(days, backdate, not_before)?)
        .with_key(if rotate_key {
            KeyPolicy::Rotate
        } else {
            KeyPolicy::Keep
        });
    let (cert, ca_cert, ca_key) = (cert.core(), ca_cert.core(), ca_key.core());
    let signed = without_gil(py, move || {
        let issuer = Issuer::new(&ca_cert, ca_key.as_ref())?;
        core_resign(&cert, &issuer, &options)
    })?;
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

/// Issues a new certificate for `key`'s public half, signed by `ca_cert`/`ca_key`, with the
/// extensions of `profile` (`client`, `apiproxyclient`, `etcd`, `api`, `ca`).
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
    let profile = Profile::parse(profile).map_err(to_py_err)?;
    let ips = ip_addresses
        .unwrap_or_default()
        .iter()
        .map(parse_ip)
        .collect::<PyResult<Vec<_>>>()?;
    let request = IssueRequest::new(subject, profile)
        .with_alt_names(AltNames::new(dns_names.unwrap_or_default(), ips))
        .with_validity(validity_policy(days, backdate, not_before)?);
    let (key, ca_cert, ca_key) = (key.core(), ca_cert.core(), ca_key.core());
    let cert = without_gil(py, move || {
        let issuer = Issuer::new(&ca_cert, ca_key.as_ref())?;
        core_issue(&request, &key.public_key_der()?, &issuer)
    })?;
    Ok(PyCertificate::new(cert))
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
