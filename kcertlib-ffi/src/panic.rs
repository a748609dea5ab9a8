//! The one panic boundary every export runs inside.
//!
//! A panic must never unwind into C (since Rust 1.81 it would abort the process at the `extern
//! "C"` frame). `ffi_boundary` catches it, records a message as the thread's last error, and
//! returns the value the export documents for failure. It is a function rather than a macro so
//! that rustfmt and the compiler see every export's body as ordinary code.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::FfiError;
use crate::last_error;
use crate::result::{KCERT_OK, KCERT_PANIC, kcert_result};

/// Runs `body`; if it panics, records the panic as the last error and returns `on_panic`.
pub(crate) fn ffi_boundary<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    // AssertUnwindSafe: after a panic the caller sees only `on_panic`; no state the body
    // touched is observed again, since handles are only mutated after all fallible work is done.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            last_error::set(&FfiError::new(
                KCERT_PANIC,
                format!(
                    "internal error: kcertlib panicked ({}); please report it",
                    panic_message(payload.as_ref())
                ),
            ));
            on_panic
        }
    }
}

/// The boundary for exports that return a status: an error is recorded as the last error and
/// becomes its code; success clears the last error and returns `KCERT_OK`.
pub(crate) fn ffi_status(body: impl FnOnce() -> Result<(), FfiError>) -> kcert_result {
    ffi_boundary(KCERT_PANIC, || match body() {
        Ok(()) => {
            last_error::clear();
            KCERT_OK
        }
        Err(error) => {
            last_error::set(&error);
            error.code()
        }
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "no message"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::KCERT_INVALID_ARGUMENT;

    fn last_message() -> String {
        let mut out = std::ptr::null_mut();
        // SAFETY: `out` is a valid place for one pointer; the string is freed below.
        let status = unsafe { crate::last_error::kcert_last_error_message(&mut out) };
        assert_eq!(status, KCERT_OK);
        // SAFETY: `out` was just returned by the library and is freed exactly once.
        let text = unsafe { std::ffi::CStr::from_ptr(out) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: as above.
        unsafe { crate::strings::kcert_string_free(out) };
        text
    }

    #[test]
    fn a_panic_becomes_kcert_panic_with_its_message() {
        let status = ffi_status(|| panic!("boom in a test"));
        assert_eq!(status, KCERT_PANIC);
        let message = last_message();
        assert!(
            message.contains("panicked") && message.contains("boom in a test"),
            "{message}"
        );
        assert_eq!(ffi_boundary(-7_i64, || panic!("again")), -7);
    }

    #[test]
    fn errors_set_the_message_and_success_clears_it() {
        let status = ffi_status(|| Err(FfiError::invalid_argument("days must be at least 1")));
        assert_eq!(status, KCERT_INVALID_ARGUMENT);
        assert_eq!(last_message(), "days must be at least 1");
        assert_eq!(ffi_status(|| Ok(())), KCERT_OK);
        assert_eq!(last_message(), "");
    }
}
