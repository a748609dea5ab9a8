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

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::ptr::NonNull;

    use super::*;
    use crate::handoff::export::kcert_export_options;
    use crate::result::{KCERT_INVALID_ARGUMENT, KCERT_NULL_ARGUMENT, KCERT_OK};
    use crate::strings::kcert_string_free;

    #[test]
    fn a_null_output_is_refused_before_the_operation_runs() {
        let mut ran = false;
        // SAFETY: a NULL output is within the contract.
        let status = unsafe {
            json_operation(std::ptr::null_mut(), "out_json", || {
                ran = true;
                Ok(String::new())
            })
        };
        assert_eq!(status, KCERT_NULL_ARGUMENT);
        assert!(!ran, "the operation ran although its output was NULL");
    }

    #[test]
    fn the_output_is_written_only_when_the_operation_succeeds() {
        // What a C caller's uninitialised variable may hold: never read, never freed.
        let garbage = NonNull::<c_char>::dangling().as_ptr();
        let mut out = garbage;
        // SAFETY: `out` is a valid place for one pointer.
        let status = unsafe {
            json_operation(&mut out, "out_json", || {
                Err(FfiError::invalid_argument("refused"))
            })
        };
        assert_eq!(status, KCERT_INVALID_ARGUMENT);
        assert_eq!(out, garbage, "a failing operation wrote its output");

        // SAFETY: as above.
        let status = unsafe { json_operation(&mut out, "out_json", || Ok("{}".to_string())) };
        assert_eq!(status, KCERT_OK);
        // SAFETY: on success `out` is a string of this library, read then freed once.
        let text = unsafe { CStr::from_ptr(out) }.to_owned();
        // SAFETY: as above.
        unsafe { kcert_string_free(out) };
        assert_eq!(text.to_str(), Ok("{}"));
    }

    #[test]
    fn tree_arguments_name_the_null_root() {
        // SAFETY: NULL root and options are within the contract.
        let err = unsafe {
            tree_arguments::<kcert_export_options>(std::ptr::null(), "ca_root", std::ptr::null())
        }
        .expect_err("a NULL root is refused");
        assert_eq!(err.code(), KCERT_NULL_ARGUMENT);
        assert!(err.message().contains("ca_root"), "{}", err.message());
    }
}
