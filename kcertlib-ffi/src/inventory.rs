//! `kcert_scan_json`: the certificate inventory of a node's file tree, as JSON.

use std::ffi::c_char;

use kcertlib::inventory::{ScanOptions, scan};

use crate::args::path;
use crate::operation::json_operation;
use crate::result::kcert_result;

/// Scans `root` (a node's `/`, or a copy of it) for the certificates of kubeadm, kubespray,
/// RKE1, RKE2 and k3s, checks each (expiry with a 30-day warning window, key match, chain) and
/// writes the inventory to `*out_json`: kubeadm's `check-expiration -o json` document
/// (`certificates` and `certificateAuthorities` arrays with `name`, `expirationDate`,
/// `residualTime`, `externallyManaged`, `caName`, `missing`) extended with `status`,
/// `distribution`, `path`, `subject`, `issuer`, `notBefore`, `serial`, `keyMatches`,
/// `chainVerifies` and `problems`.
///
/// Errors: only when `root` itself is unusable (`KCERT_IO`, `KCERT_INVALID_ARGUMENT`); a
/// missing or broken certificate is reported inside its entry, not as a failure.
///
/// Ownership: on `KCERT_OK`, `*out_json` is a new string freed with `kcert_string_free`; on
/// failure it is not written. NULL handling: `root` or `out_json` NULL returns
/// `KCERT_NULL_ARGUMENT`.
///
/// # Safety
/// `root` is NULL or a NUL-terminated string; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_scan_json(
    root: *const c_char,
    out_json: *mut *mut c_char,
) -> kcert_result {
    let scan_tree = || {
        // SAFETY: this export's contract makes `root` NULL or NUL-terminated.
        let root = unsafe { path(root, "root") }?;
        Ok(scan(root, &ScanOptions::default())?.to_json())
    };
    // SAFETY: this export's contract makes `out_json` NULL or writable.
    unsafe { json_operation(out_json, "out_json", scan_tree) }
}
