//! Re-signing a certificate with a CA: `kcert_resign_pem` (PEM in, PEM out) and `kcert_resign`
//! (handles in and out, with key rotation), plus their options handle.

use std::ffi::c_char;

use kcertlib::{Certificate, Issuer, KeyPolicy, PrivateKey, ResignOptions, Signed, resign};

use crate::args::{OutPtr, free_handle, handle, text};
use crate::cert::{first_certificate, kcert_cert};
use crate::error::FfiError;
use crate::key::kcert_key;
use crate::options_handle::{
    OptionsHandle, new_options, options_or_default, set_option, set_text_option, update_options,
};
use crate::panic::ffi_status;
use crate::result::kcert_result;
use crate::validity_options::{ValiditySettings, kcert_not_before_mode};

/// Options of a re-sign (opaque). Defaults: 365 days, `notBefore` backdated one hour, the
/// subject key kept, the result clamped to the CA's validity window.
#[derive(Default)]
pub struct kcert_resign_options {
    validity: ValiditySettings,
    rotate_key: bool,
}

impl OptionsHandle for kcert_resign_options {
    type Core = ResignOptions;

    fn core(&self) -> ResignOptions {
        ResignOptions::default()
            .with_validity(self.validity.policy())
            .with_key(if self.rotate_key {
                KeyPolicy::Rotate
            } else {
                KeyPolicy::Keep
            })
    }
}

/// A new options handle with the defaults. Free it with `kcert_resign_options_free`.
/// Returns NULL only if a panic was caught (see `kcert_last_error_message`).
#[unsafe(no_mangle)]
pub extern "C" fn kcert_resign_options_new() -> *mut kcert_resign_options {
    new_options()
}

/// Sets the lifetime: `notAfter = now + days`. `days` 0 or over 365000 (1000 years) returns
/// `KCERT_INVALID_ARGUMENT`. NULL `opts` returns `KCERT_NULL_ARGUMENT`. A failing setter leaves
/// the options unchanged.
///
/// # Safety
/// `opts` is NULL or a live `kcert_resign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign_options_set_days(
    opts: *mut kcert_resign_options,
    days: u32,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { update_options(opts, |o| o.validity.set_days(days)) }
}

/// Sets how far `notBefore` lies before now in `KCERT_NOT_BEFORE_BACKDATE` mode (default 3600).
/// More than 1000 years returns `KCERT_INVALID_ARGUMENT`. NULL `opts` returns
/// `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_resign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign_options_set_backdate_seconds(
    opts: *mut kcert_resign_options,
    seconds: u64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { update_options(opts, |o| o.validity.set_backdate_seconds(seconds)) }
}

/// Chooses the `notBefore` rule: `KCERT_NOT_BEFORE_BACKDATE`, `KCERT_NOT_BEFORE_CA` or
/// `KCERT_NOT_BEFORE_KEEP_ORIGINAL`; any other value returns `KCERT_INVALID_ARGUMENT`.
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_resign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign_options_set_not_before_mode(
    opts: *mut kcert_resign_options,
    mode: kcert_not_before_mode,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { update_options(opts, |o| o.validity.set_mode(mode)) }
}

/// Sets the `notBefore` rule from text, as the `kcert` command's `--backdate` takes it: a
/// backdate such as `1h` or `2d` (`KCERT_NOT_BEFORE_BACKDATE` with that backdate), `ca`
/// (`KCERT_NOT_BEFORE_CA`), `keep` (`KCERT_NOT_BEFORE_KEEP_ORIGINAL`) or an RFC 3339 UTC time
/// such as `2026-01-31T12:00:00Z` (a fixed `notBefore`). Unreadable text, or a backdate over
/// 1000 years, returns `KCERT_INVALID_ARGUMENT` and leaves the options unchanged; text that is
/// not UTF-8 returns `KCERT_INVALID_UTF8`. NULL `opts` or `rule` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_resign_options`; `rule` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign_options_set_not_before(
    opts: *mut kcert_resign_options,
    rule: *const c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe {
        set_text_option(opts, rule, "rule", |o, rule| {
            o.validity.set_not_before_text(rule)
        })
    }
}

/// Pins `notBefore` to a fixed time (Unix seconds), replacing the mode.
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_resign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign_options_set_not_before_at(
    opts: *mut kcert_resign_options,
    unix_seconds: i64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.validity.set_not_before_at(unix_seconds)) }
}

/// Takes `unix_seconds` as "now" instead of reading the clock (reproducible results).
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_resign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign_options_set_now(
    opts: *mut kcert_resign_options,
    unix_seconds: i64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.validity.set_now(unix_seconds)) }
}

/// Lets the new certificate outlive its CA instead of clamping `notAfter` to the CA's. Such a
/// certificate stops verifying the day the CA expires. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_resign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign_options_set_dangerous_allow_outliving_ca(
    opts: *mut kcert_resign_options,
    allow: bool,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.validity.set_allow_outliving_ca(allow)) }
}

/// Makes `kcert_resign` replace the subject key by a new one of the same algorithm and size
/// (the subjectKeyIdentifier follows). `kcert_resign_pem` refuses such options, having no way to
/// return the key. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_resign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign_options_set_rotate_key(
    opts: *mut kcert_resign_options,
    rotate: bool,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.rotate_key = rotate) }
}

/// Frees an options handle. NULL handling: `kcert_resign_options_free(NULL)` does nothing.
///
/// # Safety
/// `opts` is NULL or a `kcert_resign_options` from `kcert_resign_options_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign_options_free(opts: *mut kcert_resign_options) {
    // SAFETY: this export's contract makes `opts` NULL or a handle from `kcert_resign_options_new`
    // (`new_options`) not freed yet.
    unsafe { free_handle(opts) }
}

fn sign_with(
    cert: &Certificate,
    ca_cert: &Certificate,
    ca_key: &PrivateKey,
    options: &ResignOptions,
) -> Result<Signed, FfiError> {
    let issuer = Issuer::new(ca_cert, ca_key)?;
    Ok(resign(cert, &issuer, options)?)
}

/// The handle-to-handle re-sign that `kcert_resign` and `kcert_issuer_resign` share: checks the
/// output pointers against the options (a rotated key needs `out_new_key`), signs with
/// `issuer`, and writes the outputs only on success.
///
/// # Safety
/// `cert` is NULL or live; `opts` is NULL or live; `out_cert` and `out_new_key` are NULL or
/// writable.
pub(crate) unsafe fn resign_to_handles<'a>(
    issuer: impl FnOnce() -> Result<Issuer<'a>, FfiError>,
    cert: *const kcert_cert,
    opts: *const kcert_resign_options,
    out_cert: *mut *mut kcert_cert,
    out_new_key: *mut *mut kcert_key,
) -> Result<(), FfiError> {
    // SAFETY: forwarded from the caller's contract.
    let out_cert = unsafe { OutPtr::new(out_cert, "out_cert") }?;
    // SAFETY: forwarded from the caller's contract.
    let cert = unsafe { handle(cert, "cert") }?;
    // SAFETY: forwarded from the caller's contract.
    let options = unsafe { options_or_default(opts) };
    let out_new_key = if out_new_key.is_null() {
        if options.key != KeyPolicy::Keep {
            return Err(FfiError::null_argument("out_new_key"));
        }
        None
    } else {
        // SAFETY: the caller guarantees `out_new_key` is writable.
        Some(unsafe { OutPtr::new(out_new_key, "out_new_key") }?)
    };
    let signed = resign(&cert.inner, &issuer()?, &options)?;
    out_cert.write(kcert_cert::new_owned(signed.certificate));
    if let Some(out) = out_new_key {
        out.write(
            signed
                .key
                .map_or(std::ptr::null_mut(), kcert_key::new_owned),
        );
    }
    Ok(())
}

/// Re-signs the first certificate of `cert_pem` with the CA (`ca_cert_pem`, `ca_key_pem`),
/// faithfully: subject, public key and every extension stay byte-identical; serial, validity,
/// issuer, authority key identifier and signature algorithm change. `*out_pem` is the new
/// certificate as PEM.
///
/// `opts` NULL means the defaults (365 days, backdate 1 hour, keep the key). Options asking for
/// key rotation return `KCERT_INVALID_ARGUMENT`: use `kcert_resign`, which returns the new key.
///
/// Errors: `KCERT_PEM`/`KCERT_DER` for unreadable inputs, `KCERT_ENCRYPTED_KEY` and friends for
/// the CA key, `KCERT_INVALID_ISSUER` when the CA is not a CA (or lacks keyCertSign),
/// `KCERT_KEY_MISMATCH` when the key is not the CA's, `KCERT_VALIDITY` when the CA has expired.
///
/// Ownership: on `KCERT_OK`, `*out_pem` is a new string freed with `kcert_string_free`; on
/// failure it is not written. NULL handling: NULL `cert_pem`, `ca_cert_pem`, `ca_key_pem` or
/// `out_pem` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `opts` is NULL or live; `out_pem` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign_pem(
    cert_pem: *const c_char,
    ca_cert_pem: *const c_char,
    ca_key_pem: *const c_char,
    opts: *const kcert_resign_options,
    out_pem: *mut *mut c_char,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `out_pem` NULL or writable.
        let out = unsafe { OutPtr::new(out_pem, "out_pem") }?;
        // SAFETY: this export's contract makes `cert_pem` NULL or NUL-terminated.
        let cert_pem = unsafe { text(cert_pem, "cert_pem") }?;
        // SAFETY: this export's contract makes `ca_cert_pem` NULL or NUL-terminated.
        let ca_cert_pem = unsafe { text(ca_cert_pem, "ca_cert_pem") }?;
        // SAFETY: this export's contract makes `ca_key_pem` NULL or NUL-terminated.
        let ca_key_pem = unsafe { text(ca_key_pem, "ca_key_pem") }?;
        // SAFETY: guaranteed by this export's `# Safety` contract.
        let options = unsafe { options_or_default(opts) };
        if options.key != KeyPolicy::Keep {
            return Err(FfiError::invalid_argument(
                "kcert_resign_pem cannot return a rotated key: use kcert_resign with key rotation",
            ));
        }
        let cert = first_certificate(cert_pem.as_bytes())
            .map_err(|e| context("certificate to re-sign", e))?;
        let ca_cert =
            first_certificate(ca_cert_pem.as_bytes()).map_err(|e| context("CA certificate", e))?;
        let ca_key = PrivateKey::load(ca_key_pem.as_bytes()).map_err(|e| context("CA key", e))?;
        let signed = sign_with(&cert, &ca_cert, &ca_key, &options)?;
        out.write_string(signed.certificate.to_pem());
        Ok(())
    })
}

/// Re-signs `cert` with the CA (`ca_cert`, `ca_key`), as `kcert_resign_pem` does, on handles.
/// With key rotation (`kcert_resign_options_set_rotate_key`) the new key is returned in
/// `*out_new_key`; otherwise `*out_new_key` is set to NULL.
///
/// Ownership: on `KCERT_OK`, `*out_cert` is a new certificate (`kcert_cert_free`) and
/// `*out_new_key` a new key or NULL (`kcert_key_free`); on failure neither is written.
/// NULL handling: `opts` NULL means the defaults; `out_new_key` may be NULL when the options do
/// not rotate the key (else `KCERT_NULL_ARGUMENT`); any other NULL returns
/// `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// Handles are NULL or live; `out_cert` and `out_new_key` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_resign(
    cert: *const kcert_cert,
    ca_cert: *const kcert_cert,
    ca_key: *const kcert_key,
    opts: *const kcert_resign_options,
    out_cert: *mut *mut kcert_cert,
    out_new_key: *mut *mut kcert_key,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: this export's contract makes `ca_cert` NULL or a live handle.
        let ca_cert = unsafe { handle(ca_cert, "ca_cert") }?;
        // SAFETY: this export's contract makes `ca_key` NULL or a live handle.
        let ca_key = unsafe { handle(ca_key, "ca_key") }?;
        let issuer = || Ok(Issuer::new(&ca_cert.inner, &ca_key.inner)?);
        // SAFETY: this export's contract covers `cert`, `opts`, `out_cert` and `out_new_key`.
        unsafe { resign_to_handles(issuer, cert, opts, out_cert, out_new_key) }
    })
}

/// Names which input an error is about (the inputs are all PEM text, so the core's message
/// alone would not say whether the leaf or the CA was unreadable).
fn context(what: &str, error: kcertlib::Error) -> FfiError {
    let ffi = FfiError::from(error);
    FfiError::new(ffi.code(), format!("{what}: {}", ffi.message()))
}
