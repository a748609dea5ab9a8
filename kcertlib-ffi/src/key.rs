//! `kcert_key`: a private key (RSA, ECDSA P-256/P-384) in PKCS#1, PKCS#8 or SEC1.

use std::ffi::c_char;

use kcertlib::PrivateKey;

use crate::args::{OutPtr, bytes, free_handle, handle};
use crate::cert::kcert_cert;
use crate::panic::ffi_status;
use crate::result::kcert_result;
use crate::strings::into_secret_c_string;

/// A private key (opaque). Its secret material is zeroized when freed with `kcert_key_free`.
pub struct kcert_key {
    pub(crate) inner: PrivateKey,
}

impl kcert_key {
    pub(crate) fn new_owned(inner: PrivateKey) -> *mut kcert_key {
        Box::into_raw(Box::new(kcert_key { inner }))
    }
}

/// Parses a private key from PEM (the first key block; certificates before it are skipped, so
/// kubelet's combined cert+key pem works) or DER (PKCS#8, PKCS#1 or SEC1).
///
/// Errors: `KCERT_ENCRYPTED_KEY` (PKCS#8 encrypted or legacy `Proc-Type: 4,ENCRYPTED`),
/// `KCERT_UNSUPPORTED_ALGORITHM` (Ed25519, DSA, other curves), `KCERT_INVALID_KEY`,
/// `KCERT_PEM` (no key block, empty input).
///
/// Ownership: on `KCERT_OK`, `*out` is a new key freed with `kcert_key_free`. On failure `*out`
/// is not written. NULL handling: `data` may be NULL only with `len` 0; `out` NULL returns
/// `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `data` is NULL or readable for `len` bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_key_parse(
    data: *const u8,
    len: usize,
    out: *mut *mut kcert_key,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out` NULL or writable.
        let out = unsafe { OutPtr::new(out, "out") }?;
        // SAFETY: this export's contract makes `data` NULL or readable for its length.
        let input = unsafe { bytes(data, len, "data") }?;
        out.write(kcert_key::new_owned(PrivateKey::load(input)?));
        Ok(())
    })
}

/// Sets `*out_matches` to whether `key` is the private half of `cert`'s public key.
///
/// NULL handling: any NULL argument returns `KCERT_NULL_ARGUMENT` and writes nothing.
///
/// # Safety
/// `key` and `cert` are NULL or live handles; `out_matches` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_key_matches(
    key: *const kcert_key,
    cert: *const kcert_cert,
    out_matches: *mut bool,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out_matches` NULL or writable.
        let out = unsafe { OutPtr::new(out_matches, "out_matches") }?;
        // SAFETY: this export's contract makes `key` NULL or a live handle.
        let key = unsafe { handle(key, "key") }?;
        // SAFETY: this export's contract makes `cert` NULL or a live handle.
        let cert = unsafe { handle(cert, "cert") }?;
        out.write(key.inner.matches(&cert.inner));
        Ok(())
    })
}

/// The key's algorithm and size: `RSA-2048`, `RSA-4096`, `ECDSA-P256`, `ECDSA-P384`.
///
/// Ownership: on `KCERT_OK`, `*out` is a new string freed with `kcert_string_free`.
/// NULL handling: `key` or `out` NULL returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `key` is NULL or a live `kcert_key`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_key_algorithm(
    key: *const kcert_key,
    out: *mut *mut c_char,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out` NULL or writable.
        let out = unsafe { OutPtr::new(out, "out") }?;
        // SAFETY: this export's contract makes `key` NULL or a live handle.
        let key = unsafe { handle(key, "key") }?;
        out.write_string(key.inner.algorithm().name());
        Ok(())
    })
}

/// The key as PEM, in the format it was read in (`RSA PRIVATE KEY`, `EC PRIVATE KEY` or
/// `PRIVATE KEY`); new keys are PKCS#1 (RSA) or SEC1 (EC), as kubeadm writes them.
///
/// Ownership: on `KCERT_OK`, `*out` is a new string holding secret material: the caller frees it
/// with `kcert_string_free`, which wipes it (copies the caller makes are the caller's to wipe).
/// NULL handling: `key` or `out` NULL returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `key` is NULL or a live `kcert_key`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_key_to_pem(
    key: *const kcert_key,
    out: *mut *mut c_char,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out` NULL or writable.
        let out = unsafe { OutPtr::new(out, "out") }?;
        // SAFETY: this export's contract makes `key` NULL or a live handle.
        let key = unsafe { handle(key, "key") }?;
        out.write(into_secret_c_string(key.inner.to_pem()?));
        Ok(())
    })
}

/// Frees a key made by `kcert_key_parse` or `kcert_resign`, zeroizing its secret.
///
/// NULL handling: `kcert_key_free(NULL)` does nothing.
///
/// # Safety
/// `key` is NULL or a `kcert_key` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_key_free(key: *mut kcert_key) {
    // SAFETY: this export's contract makes `key` NULL or a handle of this library not
    // freed yet.
    unsafe { free_handle(key) }
}
