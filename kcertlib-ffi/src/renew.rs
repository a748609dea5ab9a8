//! Renewing a node's certificates as one transaction: `kcert_renew`, `kcert_rollback` and the
//! renewal options handle.

use std::ffi::c_char;

use kcertlib::renew::{RenewOptions, renew, rollback};

use crate::args::{free_handle, path};
use crate::operation::{json_operation, tree_arguments};
use crate::options_handle::{
    OptionsHandle, new_options, set_option, set_path_option, set_seconds_option, set_text_option,
    set_threads_option, update_options,
};
use crate::result::kcert_result;
use crate::validity_options::{ValiditySettings, kcert_not_before_mode};

/// Options of a renewal (opaque). Defaults: every leaf, 365 days, `notBefore` backdated one
/// hour, keys kept, CAs untouched, not a dry run, backups under
/// `<root>/var/lib/kcert/backups/<timestamp>`, a 30-day warning window.
#[derive(Default)]
pub struct kcert_renew_options {
    validity: ValiditySettings,
    core: RenewOptions,
}

impl OptionsHandle for kcert_renew_options {
    type Core = RenewOptions;

    fn core(&self) -> RenewOptions {
        self.core.clone().with_validity(self.validity.policy())
    }
}

/// A new renewal options handle with the defaults. Free it with `kcert_renew_options_free`.
/// Returns NULL only if a panic was caught (see `kcert_last_error_message`).
#[unsafe(no_mangle)]
pub extern "C" fn kcert_renew_options_new() -> *mut kcert_renew_options {
    new_options()
}

/// Sets the lifetime of renewed certificates: `notAfter = now + days` (CAs keep at least their
/// original lifetime). `days` 0 or over 365000 (1000 years) returns `KCERT_INVALID_ARGUMENT`.
/// NULL `opts` returns
/// `KCERT_NULL_ARGUMENT`. A failing setter leaves the options unchanged.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_days(
    opts: *mut kcert_renew_options,
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
/// `opts` is NULL or a live `kcert_renew_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_backdate_seconds(
    opts: *mut kcert_renew_options,
    seconds: u64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { update_options(opts, |o| o.validity.set_backdate_seconds(seconds)) }
}

/// Chooses the `notBefore` rule (`KCERT_NOT_BEFORE_*`); any other value returns
/// `KCERT_INVALID_ARGUMENT`. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_not_before_mode(
    opts: *mut kcert_renew_options,
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
/// `opts` is NULL or a live `kcert_renew_options`; `rule` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_not_before(
    opts: *mut kcert_renew_options,
    rule: *const c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe {
        set_text_option(opts, rule, "rule", |o, rule| {
            o.validity.set_not_before_text(rule)
        })
    }
}

/// Takes `unix_seconds` as "now" for the whole renewal instead of reading the clock.
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_now(
    opts: *mut kcert_renew_options,
    unix_seconds: i64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.validity.set_now(unix_seconds)) }
}

/// A dry run plans and signs in memory and writes nothing; the report says what would change.
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_dry_run(
    opts: *mut kcert_renew_options,
    dry_run: bool,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.core.dry_run = dry_run) }
}

/// Sets how many threads scan and sign; 0 (the default) means one per core, 1 signs on the
/// calling thread. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_threads(
    opts: *mut kcert_renew_options,
    threads: u32,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_threads_option(opts, threads, |o| &mut o.core.threads) }
}

/// Gives each renewed leaf a new key of the same algorithm, written in the old key's format.
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_rotate_keys(
    opts: *mut kcert_renew_options,
    rotate: bool,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.core.rotate_keys = rotate) }
}

/// Also renews CAs, with their own key and subject (certificates they signed stay valid), and
/// refreshes every copy of them. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_include_ca(
    opts: *mut kcert_renew_options,
    include_ca: bool,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_option(opts, |o| o.core.include_ca = include_ca) }
}

/// Renews only entries whose `notAfter` falls within `seconds` from now (expired ones
/// included); by default every selected entry is renewed. More than 1000 years returns
/// `KCERT_INVALID_ARGUMENT`. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_expiring_within_seconds(
    opts: *mut kcert_renew_options,
    seconds: u64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe {
        set_seconds_option(opts, seconds, "an expiring-within window", |o, window| {
            o.core.expiring_within = Some(window)
        })
    }
}

/// Sets the warning window of the scan behind the plan (default 30 days). More than 1000 years
/// returns `KCERT_INVALID_ARGUMENT`. NULL `opts` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_warn_within_seconds(
    opts: *mut kcert_renew_options,
    seconds: u64,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe {
        set_seconds_option(opts, seconds, "a warning window", |o, window| {
            o.core.warn_within = window
        })
    }
}

/// Sets where the originals are backed up (the directory must not exist or be empty); NULL
/// restores the default `<root>/var/lib/kcert/backups/<timestamp>`. The path is copied.
/// NULL `opts` returns `KCERT_NULL_ARGUMENT`; a non-UTF-8 path `KCERT_INVALID_UTF8`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`; `dir` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_backup_dir(
    opts: *mut kcert_renew_options,
    dir: *const c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_path_option(opts, dir, "dir", |o, dir| o.core.backup_dir = dir) }
}

/// Sets RKE1's cluster state file (`cluster.rkestate`, beside `cluster.yml` where `rke up`
/// runs), a path under the root (relative paths are taken from the root): the node's renewed
/// certificates are renewed in it too, in the same transaction, so a later `rke up` does not
/// deploy the old ones again. NULL restores the default: looked for under the root on an RKE1
/// node, with a warning in the report when none holds the renewed certificates. The path is
/// copied. NULL `opts` returns `KCERT_NULL_ARGUMENT`; a non-UTF-8 path `KCERT_INVALID_UTF8`; a
/// path outside the root or not an RKE state makes `kcert_renew` fail with
/// `KCERT_INVALID_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`; `path` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_set_rke_state(
    opts: *mut kcert_renew_options,
    path: *const c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe { set_path_option(opts, path, "path", |o, path| o.core.rke_state = path) }
}

/// Adds an entry to renew, by its inventory name (`apiserver`, `admin.conf`, `etcd-peer`, ...,
/// as `kcert_scan_json` lists them). With no name added, every leaf is renewed. An unknown name
/// makes `kcert_renew` fail with `KCERT_INVALID_ARGUMENT`. The name is copied.
/// NULL `opts` or `name` returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`; `name` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_add_only(
    opts: *mut kcert_renew_options,
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

/// Adds subject alternative names to every certificate renewed, written as
/// `DNS:lb.example.com,IP:10.0.0.10` (a bare value is an IP address when it parses as one, else
/// a DNS name). Names already in a certificate are not repeated; nothing else changes. Only
/// serving certificates take them: `kcert_renew` fails with `KCERT_INVALID_ARGUMENT` when the
/// plan renews a CA or a certificate without serverAuth (name the serving ones with
/// `kcert_renew_options_add_only`). The text is copied. NULL `opts` or `names` returns
/// `KCERT_NULL_ARGUMENT`; an unparsable name `KCERT_INVALID_ARGUMENT`.
///
/// # Safety
/// `opts` is NULL or a live `kcert_renew_options`; `names` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_add_sans(
    opts: *mut kcert_renew_options,
    names: *const c_char,
) -> kcert_result {
    // SAFETY: same contract as this export.
    unsafe {
        set_text_option(opts, names, "names", |o, names| {
            let parsed = kcertlib::AltNames::parse(names)?;
            o.core.add_sans = o.core.add_sans.merged(&parsed);
            Ok(())
        })
    }
}

/// Frees a renewal options handle. NULL handling: `kcert_renew_options_free(NULL)` does nothing.
///
/// # Safety
/// `opts` is NULL or a `kcert_renew_options` from `kcert_renew_options_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew_options_free(opts: *mut kcert_renew_options) {
    // SAFETY: this export's contract makes `opts` NULL or a handle from `kcert_renew_options_new`
    // (`new_options`) not freed yet.
    unsafe { free_handle(opts) }
}

/// Renews the certificates under `root` (a node's `/`, or a copy of it) as one transaction:
/// every planned file changes, or none does. Leaves are re-signed faithfully by their CA (keys
/// kept unless rotated), kubeconfigs are edited in place, kubelet's pem gets a new dated file
/// behind an atomic symlink swap, originals are backed up with a manifest for
/// `kcert_rollback`. `*out_report_json` describes the result: `dryRun`, `changed`, `renewed`
/// (name, paths, old/new serial and dates, keyRotated), `skipped` (name, reason), `backups`,
/// `manifest`, `restart` (components to restart), `warnings`.
///
/// `opts` NULL means the defaults (every leaf, 365 days, backdate 1 hour, keep keys).
///
/// Errors: `KCERT_IO`/`KCERT_INVALID_ARGUMENT` for an unusable root or an unknown name in
/// `only`; `KCERT_CRYPTO`/`KCERT_VALIDITY` when signing fails (nothing written);
/// `KCERT_LOCKED` when another renewal holds the root; `KCERT_TRANSACTION` when writing failed
/// (every original was restored).
///
/// Ownership: on `KCERT_OK`, `*out_report_json` is a new string freed with
/// `kcert_string_free`; on failure it is not written. NULL handling: `root` or
/// `out_report_json` NULL returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `root` is NULL or NUL-terminated; `opts` is NULL or live; `out_report_json` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_renew(
    root: *const c_char,
    opts: *const kcert_renew_options,
    out_report_json: *mut *mut c_char,
) -> kcert_result {
    let renew_tree = || {
        // SAFETY: this export's contract makes `root` NULL or NUL-terminated and `opts` NULL or
        // a live handle.
        let (root, options) = unsafe { tree_arguments(root, "root", opts) }?;
        Ok(renew(root, &options)?.to_json())
    };
    // SAFETY: this export's contract makes `out_report_json` NULL or writable.
    unsafe { json_operation(out_report_json, "out_report_json", renew_tree) }
}

/// Restores the files a renewal replaced, from the `manifest` path its report named.
/// `*out_report_json` lists `restored` paths and `warnings` (files that had changed since).
///
/// Errors: `KCERT_IO` when the manifest or a backup cannot be read, `KCERT_LOCKED` when a
/// renewal holds the root, `KCERT_TRANSACTION` when a file cannot be restored.
///
/// Ownership: on `KCERT_OK`, `*out_report_json` is a new string freed with
/// `kcert_string_free`; on failure it is not written. NULL handling: `manifest` or
/// `out_report_json` NULL returns `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `manifest` is NULL or NUL-terminated; `out_report_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_rollback(
    manifest: *const c_char,
    out_report_json: *mut *mut c_char,
) -> kcert_result {
    let roll_back = || {
        // SAFETY: this export's contract makes `manifest` NULL or NUL-terminated.
        let manifest = unsafe { path(manifest, "manifest") }?;
        Ok(rollback(manifest)?.to_json())
    };
    // SAFETY: this export's contract makes `out_report_json` NULL or writable.
    unsafe { json_operation(out_report_json, "out_report_json", roll_back) }
}
