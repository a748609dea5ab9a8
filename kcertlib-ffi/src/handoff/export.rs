//! Step 1, on the node: `kcert_export_requests` and its options handle.

use std::ffi::c_char;

use kcertlib::handoff::{ExportOptions, export_requests};

use crate::args::free_handle;
use crate::operation::{json_operation, tree_arguments};
use crate::options_handle::{
    OptionsHandle, new_options, set_now_option, set_option, set_seconds_option, set_text_option,
    set_threads_option,
};
use crate::result::kcert_result;

/// Options of an export (opaque). Defaults: every leaf whose CA key is not on the node and
/// that needs renewal, no CSRs, the system clock, one thread per core.
#[derive(Default)]
pub struct kcert_export_options {
    core: ExportOptions,
}

impl OptionsHandle for kcert_export_options {
    type Core = ExportOptions;

    fn core(&self) -> ExportOptions {
        self.core.clone()
    }
}

/// A new export options handle with the defaults. Free it with `kcert_export_options_free`.
/// Returns NULL only if a panic was caught (see `kcert_last_error_message`).
#[unsafe(no_mangle)]
pub extern "C" fn kcert_export_options_new() -> *mut kcert_export_options {
    new_options()
}

/// Adds an entry to export, by its inventory name (`kubelet-client-current`, ...). With no name
/// added, every entry that needs it is exported. An unknown name makes `kcert_export_requests`
/// fail with `KCERT_INVALID_ARGUMENT`. The name is copied. NULL `opts` or `name` returns
/// `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_export_options`; `name` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_export_options_add_only(
    opts: *mut kcert_export_options,
    name: *const c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe {
        set_text_option(opts, name, "name", |o, name| {
            o.core.only.push(name.to_string());
            Ok(())
        })
    }
}

/// Exports only entries whose `notAfter` falls within `seconds` from now (expired ones
/// included). More than 1000 years returns `KCERT_INVALID_ARGUMENT`. NULL `opts` returns
/// `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_export_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_export_options_set_expiring_within_seconds(
    opts: *mut kcert_export_options,
    seconds: u64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe {
        set_seconds_option(opts, seconds, "an expiring-within window", |o, window| {
            o.core.expiring_within = Some(window)
        })
    }
}

/// Also puts a PKCS#10 request in each request, signed by the node's own key, for CAs that
/// only accept CSRs. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_export_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_export_options_set_csr(
    opts: *mut kcert_export_options,
    csr: bool,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.core.csr = csr) }
}

/// Takes `unix_seconds` as "now" for the expiry decisions instead of reading the clock.
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_export_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_export_options_set_now(
    opts: *mut kcert_export_options,
    unix_seconds: i64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_now_option(opts, unix_seconds, |o| &mut o.core.now) }
}

/// Sets how many threads scan; 0 (the default) means one per core. NULL `opts` returns
/// `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_export_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_export_options_set_threads(
    opts: *mut kcert_export_options,
    threads: u32,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_threads_option(opts, threads, |o| &mut o.core.threads) }
}

/// Frees an export options handle. NULL handling: `kcert_export_options_free(NULL)` does
/// nothing.
///
/// # Safety
/// `opts` is NULL or a `kcert_export_options` from `kcert_export_options_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_export_options_free(opts: *mut kcert_export_options) {
    // SAFETY: this export's contract makes `opts` NULL or a handle from `kcert_export_options_new`
    // (`new_options`) not freed yet.
    unsafe { free_handle(opts) }
}

/// Step 1 of renewing a node that does not hold its CA key, run on the node: writes the
/// requests for every entry under `root` that needs renewal and whose CA key is not there.
/// `*out_json` is the request file to carry to the CA's holder (`format`, `root`, `created`,
/// `requests` with each entry's name, layout, path, certificate PEM and CA identity, and
/// `skipped` with the reason for entries left out). It holds certificates only, never key
/// material. Reads only; writes nothing under `root`.
///
/// `opts` NULL means the defaults.
///
/// Errors: `KCERT_IO`/`KCERT_LAYOUT` for an unusable root; `KCERT_INVALID_ARGUMENT` for an
/// unknown name in `only`; `KCERT_CRYPTO` when a CSR cannot be signed with the node's key.
///
/// Ownership: on `KCERT_OK`, `*out_json` is a new string freed with `kcert_string_free`; on
/// failure it is not written. NULL handling: `root` or `out_json` NULL returns
/// `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `root` is NULL or NUL-terminated; `opts` is NULL or live; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_export_requests(
    root: *const c_char,
    opts: *const kcert_export_options,
    out_json: *mut *mut c_char,
) -> kcert_result {
    let export = || {
        // SAFETY: this export's contract makes `root` NULL or NUL-terminated and `opts` NULL or
        // a live handle.
        let (root, options) = unsafe { tree_arguments(root, "root", opts) }?;
        Ok(export_requests(root, &options)?.to_json())
    };
    // SAFETY: this export's contract makes `out_json` NULL or writable.
    unsafe { json_operation(out_json, "out_json", export) }
}
