//! `kcert_bundle`: every certificate of a PEM bundle (or one DER certificate), for iteration.

use kcertlib::Certificate;

use crate::args::{OutPtr, bytes, handle};
use crate::cert::kcert_cert;
use crate::panic::{ffi_boundary, ffi_status};
use crate::result::kcert_result;

/// An ordered list of certificates (opaque). Made by `kcert_bundle_parse`, freed with
/// `kcert_bundle_free`, which also invalidates every certificate borrowed from it.
pub struct kcert_bundle {
    certs: Vec<kcert_cert>,
}

/// Parses every certificate of `input`: all CERTIFICATE blocks of PEM text in order (other
/// blocks skipped; text around blocks, CRLF and blank lines tolerated), or one DER certificate.
///
/// Errors: as `kcert_cert_parse`; input without any certificate is `KCERT_PEM`, and one bad
/// block fails the whole bundle, naming its position.
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
        let certs = Certificate::load_all(input)?
            .into_iter()
            .map(|inner| kcert_cert { inner })
            .collect();
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

/// Borrows the certificate at `index` (0-based, in file order), or NULL when `bundle` is NULL or
/// `index` is out of range.
///
/// Ownership: the certificate belongs to the bundle and stays valid until `kcert_bundle_free`;
/// do not pass it to `kcert_cert_free`.
///
/// # Safety
/// `bundle` is NULL or a live `kcert_bundle`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_bundle_get(
    bundle: *const kcert_bundle,
    index: usize,
) -> *const kcert_cert {
    ffi_boundary(std::ptr::null(), || {
        // SAFETY: the caller guarantees `bundle` is NULL or live.
        unsafe { handle(bundle, "bundle") }
            .ok()
            .and_then(|b| b.certs.get(index))
            .map_or(std::ptr::null(), std::ptr::from_ref)
    })
}

/// Frees a bundle and every certificate borrowed from it.
///
/// NULL handling: `kcert_bundle_free(NULL)` does nothing.
///
/// # Safety
/// `bundle` is NULL or a `kcert_bundle` from `kcert_bundle_parse` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_bundle_free(bundle: *mut kcert_bundle) {
    ffi_boundary((), || {
        if !bundle.is_null() {
            // SAFETY: the caller guarantees `bundle` came from `kcert_bundle_parse` and is
            // freed once.
            drop(unsafe { Box::from_raw(bundle) });
        }
    });
}
