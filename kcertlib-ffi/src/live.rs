//! `kcert_check_live_json`: what each component of a node serves on loopback, as JSON.

use std::ffi::c_char;
use std::time::Duration;

use kcertlib::live::{LiveOptions, check_live};

use crate::args::{path, text};
use crate::error::FfiError;
use crate::operation::json_operation;
use crate::result::kcert_result;

/// After a renewal and the restarts: scans `root`, dials each component of its layout on
/// 127.0.0.1 (or ::1) only - never an address from the tree - and writes to `*out_json` what
/// each serves, judged against the disk: `{"kind": "LiveCheck", "outdated": N, "components":
/// [{"component", "address", "port", "state", "matchedBy", "entry", "served", "onDisk",
/// "detail"}]}` with `state` one of `current`, `outdated` (an older certificate than the one
/// on disk: restart the component), `unmatched`, `not-running`, `no-certificate`. Sets
/// `*out_outdated` to the number of outdated components when `out_outdated` is not NULL.
///
/// `ports` is NULL (the layout's defaults) or `COMPONENT=PORT` items separated by commas
/// (`"etcd=12379,kube-apiserver=16443"`; components `kube-apiserver`, `etcd`, `etcd-peer`,
/// `kubelet`, `kube-controller-manager`, `kube-scheduler`, `supervisor`). `timeout_ms` bounds
/// each dial (0: the default, 5 seconds); components are dialled in parallel.
///
/// Errors: `KCERT_INVALID_ARGUMENT` for a bad `ports` item; `KCERT_IO` or
/// `KCERT_INVALID_ARGUMENT` when `root` is unusable. A component that is not running is
/// reported in the JSON, not as a failure.
///
/// Ownership: on `KCERT_OK`, `*out_json` is a new string freed with `kcert_string_free`; on
/// failure neither output is written. NULL handling: `root` or `out_json` NULL returns
/// `KCERT_NULL_ARGUMENT`; `ports` and `out_outdated` may be NULL.
///
/// # Safety
/// `root` is NULL or a NUL-terminated string, `ports` NULL or a NUL-terminated string;
/// `out_json` and `out_outdated` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_check_live_json(
    root: *const c_char,
    ports: *const c_char,
    timeout_ms: u32,
    out_json: *mut *mut c_char,
    out_outdated: *mut usize,
) -> kcert_result {
    let check = || {
        // SAFETY: this export's contract makes `root` NULL or NUL-terminated.
        let root = unsafe { path(root, "root") }?;
        let mut options = LiveOptions::default();
        if !ports.is_null() {
            // SAFETY: non-NULL here, NUL-terminated by this export's contract.
            let ports = unsafe { text(ports, "ports") }?;
            options = options.with_ports_text(ports).map_err(FfiError::from)?;
        }
        if timeout_ms > 0 {
            options = options.with_timeout(Duration::from_millis(u64::from(timeout_ms)));
        }
        let report = check_live(root, &options)?;
        if !out_outdated.is_null() {
            // SAFETY: non-NULL, and writable by this export's contract. Nothing fails after the
            // check, so both outputs are written or neither.
            unsafe { out_outdated.write(report.outdated().count()) };
        }
        Ok(report.to_json())
    };
    // SAFETY: this export's contract makes `out_json` NULL or writable.
    unsafe { json_operation(out_json, "out_json", check) }
}
