//! The shape every operation export shares (`kcert_renew`, `kcert_rollback`, the three handoff
//! steps, `kcert_scan_json`, `kcert_check_live_json`): check the output pointer, read the
//! arguments, make one core call, hand its result to C as JSON text in `*out`.
//!
//! A function taking the export's work as a closure rather than a macro, as `panic.rs` and
//! `options_handle.rs` do: each export keeps its own signature and doc comment (cbindgen copies
//! them into the header), and its body reads as ordinary code: the arguments it takes and the
//! one core call.

use std::ffi::c_char;
use std::path::Path;

use crate::args::{OutPtr, path};
use crate::error::FfiError;
use crate::options_handle::{OptionsHandle, options_or_default};
use crate::panic::ffi_status;
use crate::result::kcert_result;

/// Runs an operation whose result is JSON text written to `*out`, inside the panic boundary.
///
/// `out` is checked before `operation` runs, so a NULL output is reported
/// (`KCERT_NULL_ARGUMENT` naming `argument`) before any input is read; `operation` then reads
/// the inputs and makes the core call. `*out` is written only when it succeeds, with a new
/// string C frees with `kcert_string_free`.
///
/// # Safety
/// `out` is NULL or valid for writing one pointer for as long as the call runs.
pub(crate) unsafe fn json_operation(
    out: *mut *mut c_char,
    argument: &str,
    operation: impl FnOnce() -> Result<String, FfiError>,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { OutPtr::new(out, argument) }?;
        let json = operation()?;
        out.write_string(json);
        Ok(())
    })
}

/// The two arguments of an operation on a node's tree: the directory it works under
/// (`argument` names it in errors) and its options handle as the core's options, NULL meaning
/// the defaults.
///
/// # Safety
/// `root` is NULL or NUL-terminated; `opts` is NULL or a live handle of type `T`; both stay
/// valid for as long as the export runs.
pub(crate) unsafe fn tree_arguments<'a, T: OptionsHandle>(
    root: *const c_char,
    argument: &str,
    opts: *const T,
) -> Result<(&'a Path, T::Core), FfiError> {
    // SAFETY: forwarded from the caller's contract.
    let root = unsafe { path(root, argument) }?;
    // SAFETY: forwarded from the caller's contract.
    let options = unsafe { options_or_default(opts) };
    Ok((root, options))
}
