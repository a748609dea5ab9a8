//! A CA certificate and key checked once and then reused for many certificates:
//! `kcert_issuer_new`, `kcert_issuer_resign`, `kcert_issuer_free`. `kcert_resign` makes the
//! same checks (a CA with keyCertSign, the key its own) on every call.

use kcertlib::OwnedIssuer;

use crate::args::{OutPtr, free_handle, handle};
use crate::cert::kcert_cert;
use crate::key::kcert_key;
use crate::panic::ffi_status;
use crate::resign::{kcert_resign_options, resign_to_handles};
use crate::result::kcert_result;

/// A CA certificate and its key, checked once (opaque). Immutable: one issuer may be used by
/// several threads at once.
pub struct kcert_issuer {
    inner: OwnedIssuer,
}

/// Makes an issuer from a CA certificate and its key, copying both: `ca_cert` and `ca_key`
/// may be freed afterwards.
///
/// Errors: `KCERT_INVALID_ISSUER` when the certificate is not a CA (or its keyUsage lacks
/// keyCertSign), `KCERT_KEY_MISMATCH` when the key is not the certificate's.
///
/// Ownership: on `KCERT_OK`, `*out_issuer` is a new issuer freed with `kcert_issuer_free`; on
/// failure it is not written. NULL handling: any NULL argument returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `ca_cert` and `ca_key` are NULL or live handles; `out_issuer` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_issuer_new(
    ca_cert: *const kcert_cert,
    ca_key: *const kcert_key,
    out_issuer: *mut *mut kcert_issuer,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out_issuer` NULL or writable.
        let out = unsafe { OutPtr::new(out_issuer, "out_issuer") }?;
        // SAFETY: this export's contract makes `ca_cert` NULL or a live handle.
        let ca_cert = unsafe { handle(ca_cert, "ca_cert") }?;
        // SAFETY: this export's contract makes `ca_key` NULL or a live handle.
        let ca_key = unsafe { handle(ca_key, "ca_key") }?;
        let inner = OwnedIssuer::new(ca_cert.inner.clone(), ca_key.inner.clone())?;
        out.write(Box::into_raw(Box::new(kcert_issuer { inner })));
        Ok(())
    })
}

/// Re-signs `cert` with the issuer's CA, as `kcert_resign` does, without checking the CA again.
///
/// Ownership, NULL handling and errors as `kcert_resign` (a NULL `issuer` returns
/// `KCERT_NULL_ARGUMENT`); the issuer is not changed and may be used again.
///
/// # Safety
/// `issuer`, `cert` and `opts` are NULL or live handles; `out_cert` and `out_new_key` are NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_issuer_resign(
    issuer: *const kcert_issuer,
    cert: *const kcert_cert,
    opts: *const kcert_resign_options,
    out_cert: *mut *mut kcert_cert,
    out_new_key: *mut *mut kcert_key,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `issuer` NULL or a live handle.
        let issuer = unsafe { handle(issuer, "issuer") }?;
        // SAFETY: this export's contract covers `cert`, `opts`, `out_cert` and `out_new_key`.
        unsafe {
            resign_to_handles(
                || Ok(issuer.inner.issuer()),
                cert,
                opts,
                out_cert,
                out_new_key,
            )
        }
    })
}

/// Frees an issuer; NULL is ignored.
///
/// # Safety
/// `issuer` is NULL or a `kcert_issuer` from `kcert_issuer_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_issuer_free(issuer: *mut kcert_issuer) {
    // SAFETY: this export's contract makes `issuer` NULL or a handle of this library not
    // freed yet.
    unsafe { free_handle(issuer) }
}
