//! Step 3, on the node: `kcert_install_signed` and its options handle.

use std::ffi::c_char;

use kcertlib::handoff::{InstallOptions, SignedSet, install_signed};

use crate::args::{free_handle, text};
use crate::operation::{json_operation, tree_arguments};
use crate::options_handle::{
    OptionsHandle, new_options, set_now_option, set_option, set_path_option, set_threads_option,
};
use crate::result::kcert_result;

/// Options of an installation (opaque). Defaults: not a dry run, backups under
/// `<root>/var/lib/kcert/backups/<timestamp>`, users' kubeconfig copies refreshed, the system
/// clock, one thread per core.
#[derive(Default)]
pub struct kcert_install_options {
    core: InstallOptions,
}

impl OptionsHandle for kcert_install_options {
    type Core = InstallOptions;

    fn core(&self) -> InstallOptions {
        self.core.clone()
    }
}

/// A new installation options handle with the defaults. Free it with
/// `kcert_install_options_free`. Returns NULL only if a panic was caught (see
/// `kcert_last_error_message`).
#[unsafe(no_mangle)]
pub extern "C" fn kcert_install_options_new() -> *mut kcert_install_options {
    new_options()
}

/// A dry run checks every certificate and writes nothing; the report says what would change.
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_install_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_install_options_set_dry_run(
    opts: *mut kcert_install_options,
    dry_run: bool,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.core.dry_run = dry_run) }
}

/// Sets where the originals are backed up (the directory must not exist or be empty); NULL
/// restores the default `<root>/var/lib/kcert/backups/<timestamp>`. The path is copied.
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`; a non-UTF-8 path `KCERT_INVALID_UTF8`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_install_options`; `dir` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_install_options_set_backup_dir(
    opts: *mut kcert_install_options,
    dir: *const c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_path_option(opts, dir, "dir", |o, dir| o.core.backup_dir = dir) }
}

/// Takes `unix_seconds` as "now" for the checks of the new certificates' validity instead of
/// reading the clock. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_install_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_install_options_set_now(
    opts: *mut kcert_install_options,
    unix_seconds: i64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_now_option(opts, unix_seconds, |o| &mut o.core.now) }
}

/// Whether users' kubeconfig copies of renewed credentials (`root/.kube`, `home/*/.kube`) are
/// refreshed too (default true). NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_install_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_install_options_set_user_kubeconfigs(
    opts: *mut kcert_install_options,
    refresh: bool,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.core.user_kubeconfigs = refresh) }
}

/// Sets how many threads work; 0 (the default) means one per core. NULL `opts` returns
/// `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_install_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_install_options_set_threads(
    opts: *mut kcert_install_options,
    threads: u32,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_threads_option(opts, threads, |o| &mut o.core.threads) }
}

/// Frees an installation options handle. NULL handling: `kcert_install_options_free(NULL)`
/// does nothing.
///
/// # Safety
/// `opts` is NULL or a `kcert_install_options` from `kcert_install_options_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_install_options_free(opts: *mut kcert_install_options) {
    // SAFETY: this export's contract makes `opts` NULL or a handle from `kcert_install_options_new`
    // (`new_options`) not freed yet.
    unsafe { free_handle(opts) }
}

/// Step 3, on the node: checks every certificate of `signed_text` (the text
/// `kcert_sign_requests` wrote, or PEM certificates an external CA returned for the CSRs)
/// against the node's copy of its CA, the node's private key and the certificate it replaces,
/// then applies them under `root` as one transaction with backups and a manifest, exactly as
/// `kcert_renew` applies what it signs. `*out_report_json` is the same report `kcert_renew`
/// writes (`dryRun`, `changed`, `renewed`, `skipped`, `backups`, `manifest`, `restart`,
/// `warnings`).
///
/// `opts` NULL means the defaults.
///
/// Errors: `KCERT_VERIFICATION_FAILED` when a certificate was not signed by the node's CA;
/// `KCERT_KEY_MISMATCH` when it does not hold the node's key; `KCERT_INVALID_CERTIFICATE` when
/// its subject or extensions differ from the certificate it replaces; `KCERT_INVALID_ARGUMENT`
/// when the text is not a signed set or names an entry the node does not have; `KCERT_PEM`
/// when PEM text holds no certificate; otherwise as `kcert_renew`. A certificate that fails a
/// check refuses the whole installation: nothing is written.
///
/// Ownership: on `KCERT_OK`, `*out_report_json` is a new string freed with
/// `kcert_string_free`; on failure it is not written. NULL handling: `root`, `signed_text` or
/// `out_report_json` NULL returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `root` and `signed_text` are NULL or NUL-terminated; `opts` is NULL or live;
/// `out_report_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_install_signed(
    root: *const c_char,
    signed_text: *const c_char,
    opts: *const kcert_install_options,
    out_report_json: *mut *mut c_char,
) -> kcert_result {
    let install = || {
        // SAFETY: this export's contract makes `root` NULL or NUL-terminated and `opts` NULL or
        // a live handle.
        let (root, options) = unsafe { tree_arguments(root, "root", opts) }?;
        // SAFETY: this export's contract makes `signed_text` NULL or NUL-terminated.
        let signed = SignedSet::parse(unsafe { text(signed_text, "signed_text") }?)?;
        Ok(install_signed(root, &signed, &options)?.to_json())
    };
    // SAFETY: this export's contract makes `out_report_json` NULL or writable.
    unsafe { json_operation(out_report_json, "out_report_json", install) }
}
