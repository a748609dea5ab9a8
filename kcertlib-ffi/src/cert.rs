//! `kcert_cert`: one parsed certificate, and its accessors.

use std::ffi::c_char;

use kcertlib::{Certificate, Error, ErrorKind};

use crate::args::{OutPtr, bytes, free_handle, handle};
use crate::panic::{ffi_boundary, ffi_status};
use crate::result::kcert_result;

/// A parsed X.509 certificate (opaque). Made by `kcert_cert_parse`, `kcert_bundle_get` or
/// `kcert_resign`; always owned by the caller, who frees it with `kcert_cert_free`.
pub struct kcert_cert {
    pub(crate) inner: Certificate,
}

/// What `kcert_cert_not_before`/`kcert_cert_not_after` return for a NULL certificate.
pub const KCERT_INVALID_TIME: i64 = i64::MIN;

impl kcert_cert {
    pub(crate) fn new_owned(inner: Certificate) -> *mut kcert_cert {
        Box::into_raw(Box::new(kcert_cert { inner }))
    }
}

/// The first certificate of `input`, which is PEM (any number of blocks) or one DER certificate.
pub(crate) fn first_certificate(input: &[u8]) -> Result<Certificate, Error> {
    Certificate::load_all(input)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::new(ErrorKind::Pem, "no certificate in input"))
}

/// Parses the first certificate of PEM or DER input (`len` bytes at `data`). In PEM, other
/// blocks (keys) are skipped, and every CERTIFICATE block must be well formed.
///
/// Errors: `KCERT_PEM` (empty input, no END line, bad base64, no certificate), `KCERT_DER`
/// (truncated or trailing data), `KCERT_INVALID_CERTIFICATE` (e.g. negative serial).
///
/// Ownership: on `KCERT_OK`, `*out` is a new certificate the caller frees with
/// `kcert_cert_free`; the input is copied and may be released at once. On failure `*out` is
/// not written. NULL handling: `data` may be NULL only with `len` 0 (empty input, `KCERT_PEM`);
/// `out` NULL returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `data` is NULL or readable for `len` bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_parse(
    data: *const u8,
    len: usize,
    out: *mut *mut kcert_cert,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out` NULL or writable.
        let out = unsafe { OutPtr::new(out, "out") }?;
        // SAFETY: this export's contract makes `data` NULL or readable for its length.
        let input = unsafe { bytes(data, len, "data") }?;
        out.write(kcert_cert::new_owned(first_certificate(input)?));
        Ok(())
    })
}

/// `notBefore` in Unix seconds, or `KCERT_INVALID_TIME` (INT64_MIN) when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a live `kcert_cert`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_not_before(cert: *const kcert_cert) -> i64 {
    ffi_boundary(KCERT_INVALID_TIME, || {
        // SAFETY: the caller guarantees `cert` is NULL or live.
        unsafe { handle(cert, "cert") }.map_or(KCERT_INVALID_TIME, |c| c.inner.not_before().unix())
    })
}

/// `notAfter` in Unix seconds, or `KCERT_INVALID_TIME` (INT64_MIN) when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a live `kcert_cert`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_not_after(cert: *const kcert_cert) -> i64 {
    ffi_boundary(KCERT_INVALID_TIME, || {
        // SAFETY: the caller guarantees `cert` is NULL or live.
        unsafe { handle(cert, "cert") }.map_or(KCERT_INVALID_TIME, |c| c.inner.not_after().unix())
    })
}

/// Whether basicConstraints says CA:TRUE; false when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a live `kcert_cert`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_is_ca(cert: *const kcert_cert) -> bool {
    ffi_boundary(false, || {
        // SAFETY: the caller guarantees `cert` is NULL or live.
        unsafe { handle(cert, "cert") }.is_ok_and(|c| c.inner.is_ca())
    })
}

/// Writes one string property of `cert` to `*out`.
///
/// # Safety
/// As the exports that call it.
unsafe fn string_property(
    cert: *const kcert_cert,
    out: *mut *mut c_char,
    property: impl FnOnce(&Certificate) -> Result<String, Error>,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out` NULL or writable.
        let out = unsafe { OutPtr::new(out, "out") }?;
        // SAFETY: this export's contract makes `cert` NULL or a live handle.
        let cert = unsafe { handle(cert, "cert") }?;
        out.write_string(property(&cert.inner)?);
        Ok(())
    })
}

/// The subject as an RFC 4514 string, most specific first (`CN=kube-apiserver`,
/// `CN=kubernetes-admin,O=kubeadm:cluster-admins`).
///
/// Ownership: on `KCERT_OK`, `*out` is a new string freed with `kcert_string_free`.
/// NULL handling: `cert` or `out` NULL returns `KCERT_NULL_ARGUMENT`; `*out` is not written on
/// failure.
///
/// # Safety
/// `cert` is NULL or a live `kcert_cert`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_subject(
    cert: *const kcert_cert,
    out: *mut *mut c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { string_property(cert, out, |c| Ok(c.subject())) }
}

/// The issuer as an RFC 4514 string. Ownership and NULL handling as `kcert_cert_subject`.
///
/// # Safety
/// `cert` is NULL or a live `kcert_cert`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_issuer(
    cert: *const kcert_cert,
    out: *mut *mut c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { string_property(cert, out, |c| Ok(c.issuer())) }
}

/// The serial number as lowercase hex without leading zero octets, as openssl prints it.
/// Ownership and NULL handling as `kcert_cert_subject`.
///
/// # Safety
/// `cert` is NULL or a live `kcert_cert`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_serial_hex(
    cert: *const kcert_cert,
    out: *mut *mut c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { string_property(cert, out, |c| Ok(c.serial_hex())) }
}

/// The subject alternative names, one per line, each line ending in `\n`: `DNS:name`, then
/// `IP:address` (IPv6 in RFC 5952 form), `URI:uri`, `email:address`, each kind in certificate
/// order; an empty string when the certificate has none. Other name forms are left out.
/// Ownership and NULL handling as `kcert_cert_subject`.
///
/// # Safety
/// `cert` is NULL or a live `kcert_cert`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_subject_alt_names(
    cert: *const kcert_cert,
    out: *mut *mut c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { string_property(cert, out, |c| Ok(alt_name_lines(&c.alt_names()))) }
}

fn alt_name_lines(names: &kcertlib::AltNames) -> String {
    let tagged = (names.dns.iter().map(|n| format!("DNS:{n}\n")))
        .chain(names.ips.iter().map(|n| format!("IP:{n}\n")))
        .chain(names.uris.iter().map(|n| format!("URI:{n}\n")))
        .chain(names.emails.iter().map(|n| format!("email:{n}\n")));
    tagged.collect()
}

/// The certificate as PEM text (one `CERTIFICATE` block, LF line ends).
/// Ownership and NULL handling as `kcert_cert_subject`.
///
/// # Safety
/// `cert` is NULL or a live `kcert_cert`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_to_pem(
    cert: *const kcert_cert,
    out: *mut *mut c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { string_property(cert, out, |c| Ok(c.to_pem())) }
}

/// The certificate summary as a JSON object, the same one the `kcert` CLI and Python print
/// (kcertlib's `CertificateSummary`, seen now with a 30-day warning window): `subject`,
/// `subjectAttributes`, `issuer`, `serial` (hex), `notBefore`, `notAfter` (RFC 3339 UTC),
/// `status` (`ok`, `warning`, `expired`, `not-yet-valid`), `residualSeconds`, `dnsNames`,
/// `ipAddresses`, `uris`, `emails`, `keyUsage` and `extendedKeyUsage` (`null` when absent),
/// `basicConstraints`, `isCa`, `subjectKeyId`, `authorityKeyId`, `publicKeyAlgorithm`
/// (`RSA-2048`, `ECDSA-P256`), `signatureAlgorithm`, `fingerprintSha256`.
/// Ownership and NULL handling as `kcert_cert_subject`.
///
/// # Safety
/// `cert` is NULL or a live `kcert_cert`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_to_json(
    cert: *const kcert_cert,
    out: *mut *mut c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { string_property(cert, out, |c| Ok(c.to_json())) }
}

/// Borrows the DER encoding: `*out_der` points to `*out_len` bytes owned by `cert`, valid until
/// `cert` (or the bundle it belongs to) is freed. Nothing to free.
///
/// NULL handling: any NULL argument returns `KCERT_NULL_ARGUMENT`; on failure neither output is
/// written.
///
/// # Safety
/// `cert` is NULL or a live `kcert_cert`; `out_der` and `out_len` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_der(
    cert: *const kcert_cert,
    out_der: *mut *const u8,
    out_len: *mut usize,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out_der` NULL or writable.
        let out_der = unsafe { OutPtr::new(out_der, "out_der") }?;
        // SAFETY: this export's contract makes `out_len` NULL or writable.
        let out_len = unsafe { OutPtr::new(out_len, "out_len") }?;
        // SAFETY: this export's contract makes `cert` NULL or a live handle.
        let cert = unsafe { handle(cert, "cert") }?;
        let der = cert.inner.as_der();
        out_der.write(der.as_ptr());
        out_len.write(der.len());
        Ok(())
    })
}

/// Frees a certificate made by `kcert_cert_parse`, `kcert_bundle_get` or `kcert_resign`.
///
/// NULL handling: `kcert_cert_free(NULL)` does nothing.
///
/// # Safety
/// `cert` is NULL or an owned `kcert_cert` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_cert_free(cert: *mut kcert_cert) {
    // SAFETY: this export's contract makes `cert` NULL or a handle of this library not
    // freed yet.
    unsafe { free_handle(cert) }
}
