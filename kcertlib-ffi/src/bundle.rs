//! `kcert_bundle`: every certificate of a file or buffer (`kcertlib::load`: PEM, DER or a
//! kubeconfig), each with where it was found, for iteration.

use std::ffi::c_char;
use std::path::Path;

use kcertlib::load::{self, LoadedCertificate};

use crate::args::{OutPtr, bytes, free_handle, handle, text};
use crate::cert::kcert_cert;
use crate::error::FfiError;
use crate::panic::{ffi_boundary, ffi_status};
use crate::result::kcert_result;

/// An ordered list of certificates, each with where it was found (opaque). Made by
/// `kcert_bundle_parse` or `kcert_bundle_load`, freed with `kcert_bundle_free`.
/// `kcert_bundle_get` hands out copies, so nothing outlives it by pointing into it.
pub struct kcert_bundle {
    certs: Vec<LoadedCertificate>,
}

/// Parses every certificate of `input`: all CERTIFICATE blocks of PEM text in order (other
/// blocks skipped; text around blocks, CRLF and blank lines tolerated), one DER certificate, or
/// a kubeconfig's (users' client certificates, then clusters' CAs). A kubeconfig given as
/// bytes has no directory, so only its absolute file references can be followed: use
/// `kcert_bundle_load` for one with relative references.
///
/// Errors: as `kcert_cert_parse`; input without any certificate is `KCERT_PEM`, and one bad
/// block fails the whole bundle, naming its position; `KCERT_KUBECONFIG` for a malformed
/// kubeconfig, one without certificates or with a relative reference.
///
/// Ownership: on `KCERT_OK`, `*out` is a new bundle freed with `kcert_bundle_free`. On failure
/// `*out` is not written. NULL handling: `data` may be NULL only with `len` 0; `out` NULL
/// returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `data` is NULL or readable for `len` bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_bundle_parse(
    data: *const u8,
    len: usize,
    out: *mut *mut kcert_bundle,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out` NULL or writable.
        let out = unsafe { OutPtr::new(out, "out") }?;
        // SAFETY: this export's contract makes `data` NULL or readable for its length.
        let input = unsafe { bytes(data, len, "data") }?;
        let certs = load::from_bytes(input, None)?;
        out.write(Box::into_raw(Box::new(kcert_bundle { certs })));
        Ok(())
    })
}

/// Reads every certificate of the file at `path`, which is PEM, DER or a kubeconfig (its
/// users' client certificates, then its clusters' CAs, embedded or in files it references,
/// resolved against the kubeconfig's directory). Symlinks are followed; the file and every
/// referenced file must be regular files of at most 16 MiB.
///
/// Errors: `KCERT_IO` when a file cannot be read; as `kcert_bundle_parse` otherwise. The
/// message names the file and, for a kubeconfig, the entry and field.
///
/// Ownership: on `KCERT_OK`, `*out` is a new bundle freed with `kcert_bundle_free`. On failure
/// `*out` is not written. NULL handling: `path` or `out` NULL returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated UTF-8 string; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_bundle_load(
    path: *const c_char,
    out: *mut *mut kcert_bundle,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out` NULL or writable.
        let out = unsafe { OutPtr::new(out, "out") }?;
        // SAFETY: this export's contract makes `path` NULL or NUL-terminated.
        let path = unsafe { text(path, "path") }?;
        let certs = load::from_path(Path::new(path))?;
        out.write(Box::into_raw(Box::new(kcert_bundle { certs })));
        Ok(())
    })
}

/// The number of certificates in `bundle` (at least 1 for a parsed bundle); 0 when NULL.
///
/// # Safety
/// `bundle` is NULL or a live `kcert_bundle`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_bundle_len(bundle: *const kcert_bundle) -> usize {
    ffi_boundary(0, || {
        // SAFETY: the caller guarantees `bundle` is NULL or live.
        unsafe { handle(bundle, "bundle") }.map_or(0, |b| b.certs.len())
    })
}

/// Copies the certificate at `index` (0-based, in file order) out of `bundle`.
///
/// Errors: `KCERT_INVALID_ARGUMENT` when `index` is not below `kcert_bundle_len(bundle)`.
///
/// Ownership: on `KCERT_OK`, `*out` is a new certificate of its own, freed with
/// `kcert_cert_free` like one from `kcert_cert_parse`; it stays valid after
/// `kcert_bundle_free`, and the two may be freed in either order. A copy rather than a pointer
/// into the bundle: a borrowed `kcert_cert *` looks exactly like an owned one, and passing it to
/// `kcert_cert_free` (the natural mistake) would free memory the bundle still owns. One copy
/// costs about as much as parsing the certificate's DER once. On failure `*out` is not written.
/// NULL handling: `bundle` or `out` NULL returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `bundle` is NULL or a live `kcert_bundle`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_bundle_get(
    bundle: *const kcert_bundle,
    index: usize,
    out: *mut *mut kcert_cert,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out` NULL or writable.
        let out = unsafe { OutPtr::new(out, "out") }?;
        // SAFETY: the caller guarantees `bundle` is NULL or live.
        let bundle = unsafe { handle(bundle, "bundle") }?;
        let found = bundle.entry(index)?;
        out.write(kcert_cert::new_owned(found.certificate.clone()));
        Ok(())
    })
}

/// Where the certificate at `index` was found, as a label for listings:
/// `certificate #2 (PEM line 25)`, `DER certificate`,
/// `user kubernetes-admin (client-certificate-data)`,
/// `cluster kubernetes (certificate-authority ../pki/ca.crt)`.
///
/// Errors: `KCERT_INVALID_ARGUMENT` when `index` is not below `kcert_bundle_len(bundle)`.
///
/// Ownership: on `KCERT_OK`, `*out` is a new string freed with `kcert_string_free`; on failure
/// it is not written. NULL handling: `bundle` or `out` NULL returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `bundle` is NULL or a live `kcert_bundle`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_bundle_origin(
    bundle: *const kcert_bundle,
    index: usize,
    out: *mut *mut c_char,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out` NULL or writable.
        let out = unsafe { OutPtr::new(out, "out") }?;
        // SAFETY: the caller guarantees `bundle` is NULL or live.
        let bundle = unsafe { handle(bundle, "bundle") }?;
        out.write_string(bundle.entry(index)?.origin.to_string());
        Ok(())
    })
}

impl kcert_bundle {
    /// The certificate at `index`, or the error a C caller sees for an index out of range.
    fn entry(&self, index: usize) -> Result<&LoadedCertificate, FfiError> {
        self.certs.get(index).ok_or_else(|| {
            FfiError::invalid_argument(format!(
                "index {index} is out of range: the bundle holds {} certificates",
                self.certs.len()
            ))
        })
    }
}

/// Frees a bundle (certificates copied out of it with `kcert_bundle_get` stay valid).
///
/// NULL handling: `kcert_bundle_free(NULL)` does nothing.
///
/// # Safety
/// `bundle` is NULL or a `kcert_bundle` from `kcert_bundle_parse` or `kcert_bundle_load`, not
/// freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_bundle_free(bundle: *mut kcert_bundle) {
    // SAFETY: this export's contract makes `bundle` NULL or a handle of this library not
    // freed yet.
    unsafe { free_handle(bundle) }
}
