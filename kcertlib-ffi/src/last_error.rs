//! The thread-local message of the last failed call, for `kcert_last_error_message`.
//!
//! Every export that returns a `kcert_result` sets it on failure and clears it on success, so the
//! message always explains the most recent status of the calling thread.

use std::cell::RefCell;
use std::ffi::c_char;

use crate::error::FfiError;
use crate::panic::ffi_boundary;
use crate::result::{KCERT_NULL_ARGUMENT, KCERT_OK, KCERT_PANIC, kcert_result};
use crate::strings::into_c_string;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set(error: &FfiError) {
    let message = error.message().to_string();
    // try_with: during thread teardown the slot may be gone; the message is then dropped.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = message;
        }
    });
}

pub(crate) fn clear() {
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            slot.clear();
        }
    });
}

fn current() -> String {
    LAST_ERROR
        .try_with(|slot| slot.try_borrow().map(|s| s.clone()).unwrap_or_default())
        .unwrap_or_default()
}

/// Copies the detailed message of the calling thread's last failed call into `*out`, e.g.
/// `"certificate #1 (PEM line 1): not a valid DER certificate: ..."`. The message is
/// empty when the last call succeeded. Reading it does not clear it.
///
/// Ownership: on `KCERT_OK`, `*out` is a new string the caller frees with `kcert_string_free`.
/// NULL handling: `out` NULL returns `KCERT_NULL_ARGUMENT` (and leaves the message as it was).
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_last_error_message(out: *mut *mut c_char) -> kcert_result {
    // Not `ffi_status`: reading the message must not overwrite it.
    ffi_boundary(KCERT_PANIC, || {
        if out.is_null() {
            return KCERT_NULL_ARGUMENT;
        }
        let message = into_c_string(current());
        // SAFETY: `out` is non-NULL and the caller guarantees it is valid for writes.
        unsafe { out.write(message) };
        KCERT_OK
    })
}
