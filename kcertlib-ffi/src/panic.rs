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
