//! Step 2, where the CA key is: `kcert_sign_requests` and its options handle. The validity
//! setters are the renewal's (`ValiditySettings`), so both sign with the same rules.

use std::ffi::c_char;

use kcertlib::handoff::{RequestSet, SignOptions, sign_requests};

use crate::args::{free_handle, text};
use crate::operation::{json_operation, tree_arguments};
use crate::options_handle::{
    OptionsHandle, new_options, set_option, set_text_option, set_threads_option, update_options,
};
use crate::result::kcert_result;
use crate::validity_options::{ValiditySettings, kcert_not_before_mode};

/// Options of a signing (opaque). Defaults: 365 days, `notBefore` backdated one hour, no CA
/// certificates carried along, the system clock, one thread per core.
#[derive(Default)]
pub struct kcert_sign_options {
    validity: ValiditySettings,
    core: SignOptions,
}

impl OptionsHandle for kcert_sign_options {
    type Core = SignOptions;

    fn core(&self) -> SignOptions {
        self.core.clone().with_validity(self.validity.policy())
    }
}

/// A new signing options handle with the defaults. Free it with `kcert_sign_options_free`.
/// Returns NULL only if a panic was caught (see `kcert_last_error_message`).
#[unsafe(no_mangle)]
pub extern "C" fn kcert_sign_options_new() -> *mut kcert_sign_options {
    new_options()
}

/// Sets the lifetime of the new certificates: `notAfter = now + days` (kept within the CA's
/// validity). `days` 0 or over 365000 (1000 years) returns `KCERT_INVALID_ARGUMENT`. NULL
/// `opts` returns `KCERT_NULL_ARGUMENT`. A failing setter leaves the options unchanged.
///
/// # Safety
/// `opts` is NULL or a live `kcert_sign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_sign_options_set_days(
    opts: *mut kcert_sign_options,
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
/// `opts` is NULL or a live `kcert_sign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_sign_options_set_backdate_seconds(
    opts: *mut kcert_sign_options,
    seconds: u64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { update_options(opts, |o| o.validity.set_backdate_seconds(seconds)) }
}

/// Chooses the `notBefore` rule (`KCERT_NOT_BEFORE_*`); any other value returns
/// `KCERT_INVALID_ARGUMENT`. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_sign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_sign_options_set_not_before_mode(
    opts: *mut kcert_sign_options,
    mode: kcert_not_before_mode,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { update_options(opts, |o| o.validity.set_mode(mode)) }
}

/// Sets the `notBefore` rule from text, as `kcert_renew_options_set_not_before` takes it: a
/// backdate such as `1h`, `ca`, `keep` or an RFC 3339 UTC time. Unreadable text returns
/// `KCERT_INVALID_ARGUMENT` and leaves the options unchanged; text that is not UTF-8 returns
/// `KCERT_INVALID_UTF8`. NULL `opts` or `rule` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_sign_options`; `rule` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_sign_options_set_not_before(
    opts: *mut kcert_sign_options,
    rule: *const c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe {
        set_text_option(opts, rule, "rule", |o, rule| {
            o.validity.set_not_before_text(rule)
        })
    }
}

/// Takes `unix_seconds` as "now" for the new validity instead of reading the clock.
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_sign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_sign_options_set_now(
    opts: *mut kcert_sign_options,
    unix_seconds: i64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.validity.set_now(unix_seconds)) }
}

/// Carries the signing side's current certificate of each CA used along in the result, for
/// the node to install into its CA copies. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_sign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_sign_options_set_include_ca(
    opts: *mut kcert_sign_options,
    include_ca: bool,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.core.include_ca = include_ca) }
}

/// Sets how many threads scan and sign; 0 (the default) means one per core. NULL `opts`
/// returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_sign_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_sign_options_set_threads(
    opts: *mut kcert_sign_options,
    threads: u32,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_threads_option(opts, threads, |o| &mut o.core.threads) }
}

/// Frees a signing options handle. NULL handling: `kcert_sign_options_free(NULL)` does
/// nothing.
///
/// # Safety
/// `opts` is NULL or a `kcert_sign_options` from `kcert_sign_options_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_sign_options_free(opts: *mut kcert_sign_options) {
    // SAFETY: this export's contract makes `opts` NULL or a handle from `kcert_sign_options_new`
    // (`new_options`) not freed yet.
    unsafe { free_handle(opts) }
}

/// Step 2, where the CA keys are: re-signs each request of `requests_json` (the text
/// `kcert_export_requests` wrote) faithfully with the CA found under `ca_root` by the identity
/// the request records. `*out_json` is the signed file to carry back to the node (`format`,
/// `created`, `signed` with each entry's name, new certificate PEM and CA identity, `refused`
/// with a reason for each request whose CA is not here or did not sign its certificate, and
/// `caCertificates` when carried along). A refused request is not an error. Writes nothing.
///
/// `opts` NULL means the defaults.
///
/// Errors: `KCERT_INVALID_ARGUMENT` naming the field when `requests_json` is not a request set
/// of a known format; `KCERT_IO`/`KCERT_LAYOUT` for an unusable `ca_root`;
/// `KCERT_CRYPTO`/`KCERT_VALIDITY` when signing fails.
///
/// Ownership: on `KCERT_OK`, `*out_json` is a new string freed with `kcert_string_free`; on
/// failure it is not written. NULL handling: `ca_root`, `requests_json` or `out_json` NULL
/// returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `ca_root` and `requests_json` are NULL or NUL-terminated; `opts` is NULL or live; `out_json`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_sign_requests(
    ca_root: *const c_char,
    requests_json: *const c_char,
    opts: *const kcert_sign_options,
    out_json: *mut *mut c_char,
) -> kcert_result {
    let sign = || {
        // SAFETY: this export's contract makes `ca_root` NULL or NUL-terminated and `opts` NULL
        // or a live handle.
        let (ca_root, options) = unsafe { tree_arguments(ca_root, "ca_root", opts) }?;
        // SAFETY: this export's contract makes `requests_json` NULL or NUL-terminated.
        let requests = RequestSet::from_json(unsafe { text(requests_json, "requests_json") }?)?;
        Ok(sign_requests(ca_root, &requests, &options)?.to_json())
    };
    // SAFETY: this export's contract makes `out_json` NULL or writable.
    unsafe { json_operation(out_json, "out_json", sign) }
}
