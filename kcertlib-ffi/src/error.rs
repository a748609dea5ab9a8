//! `FfiError`: a status code plus the message C reads with `kcert_last_error_message`.

use kcertlib::Error;

use crate::result::{KCERT_INVALID_ARGUMENT, KCERT_NULL_ARGUMENT, kcert_result, status_of_kind};

/// A failure at the C boundary: a core error, or an FFI-only one (NULL pointer, bad UTF-8).
#[derive(Debug)]
pub(crate) struct FfiError {
    code: kcert_result,
    message: String,
}

impl FfiError {
    pub(crate) fn new(code: kcert_result, message: impl Into<String>) -> FfiError {
        FfiError {
            code,
            message: message.into(),
        }
    }

    /// A required pointer argument was NULL; `argument` is its name in the C prototype.
    pub(crate) fn null_argument(argument: &str) -> FfiError {
        FfiError::new(
            KCERT_NULL_ARGUMENT,
            format!("argument `{argument}` is NULL"),
        )
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> FfiError {
        FfiError::new(KCERT_INVALID_ARGUMENT, message)
    }

    pub(crate) fn code(&self) -> kcert_result {
        self.code
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

impl From<Error> for FfiError {
    fn from(error: Error) -> FfiError {
        // Display carries the context: `path: entry: message`.
        FfiError::new(status_of_kind(error.kind()), error.to_string())
    }
}
