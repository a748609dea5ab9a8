//! Reading C arguments and writing C outputs, with the checks every export needs.
//!
//! Exports check every pointer before doing any work, and write outputs only at the very end,
//! through `OutPtr::write`, so a failing call leaves the caller's variables untouched.

use std::ffi::{CStr, c_char};
use std::path::Path;
use std::ptr::NonNull;

use crate::error::FfiError;
use crate::panic::ffi_boundary;
use crate::result::KCERT_INVALID_UTF8;
use crate::strings::into_c_string;

/// An output parameter checked to be non-NULL, written once on success.
pub(crate) struct OutPtr<T> {
    ptr: NonNull<T>,
}

impl<T> OutPtr<T> {
    /// Checks `ptr`; `argument` names it in the NULL error.
    ///
    /// # Safety
    /// `ptr` is NULL or valid for writing one `T` for as long as the export runs.
    pub(crate) unsafe fn new(ptr: *mut T, argument: &str) -> Result<OutPtr<T>, FfiError> {
        NonNull::new(ptr)
            .map(|ptr| OutPtr { ptr })
            .ok_or_else(|| FfiError::null_argument(argument))
    }

    /// Writes the result, without reading or dropping what was there (the caller's garbage).
    pub(crate) fn write(self, value: T) {
        // SAFETY: `new` was given a pointer the caller guarantees valid for writes.
        unsafe { self.ptr.as_ptr().write(value) };
    }
}

impl OutPtr<*mut c_char> {
    /// Writes `text` as a new C string the caller frees with `kcert_string_free`.
    pub(crate) fn write_string(self, text: String) {
        self.write(into_c_string(text));
    }
}

/// Frees a handle this library handed out as a leaked `Box<T>` (certificates, keys, bundles,
/// issuers, options); NULL does nothing. Inside the panic boundary: a panicking destructor
/// does not cross into C.
///
/// # Safety
/// `ptr` is NULL or a `Box<T>` this library leaked with `Box::into_raw`, not freed yet.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    ffi_boundary((), || {
        if !ptr.is_null() {
            // SAFETY: the caller guarantees `ptr` is a leaked `Box<T>`, freed once.
            drop(unsafe { Box::from_raw(ptr) });
        }
    });
}

/// The handle behind a `const` pointer argument.
///
/// # Safety
/// `ptr` is NULL or points to a live handle of type `T` made by this library.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, argument: &str) -> Result<&'a T, FfiError> {
    // SAFETY: forwarded from the caller's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| FfiError::null_argument(argument))
}

/// The handle behind a mutable pointer argument.
///
/// # Safety
/// `ptr` is NULL or points to a live handle of type `T` made by this library, not used by
/// another thread during the call.
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, argument: &str) -> Result<&'a mut T, FfiError> {
    // SAFETY: forwarded from the caller's contract.
    unsafe { ptr.as_mut() }.ok_or_else(|| FfiError::null_argument(argument))
}

/// A byte buffer argument. `data` may be NULL only when `len` is 0 (an empty input).
///
/// # Safety
/// `data` is NULL or valid for reading `len` bytes for as long as the export runs.
pub(crate) unsafe fn bytes<'a>(
    data: *const u8,
    len: usize,
    argument: &str,
) -> Result<&'a [u8], FfiError> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(FfiError::null_argument(argument))
        };
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `s` is NULL or a NUL-terminated string readable for as long as the export runs.
pub(crate) unsafe fn text<'a>(s: *const c_char, argument: &str) -> Result<&'a str, FfiError> {
    if s.is_null() {
        return Err(FfiError::null_argument(argument));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let c_str = unsafe { CStr::from_ptr(s) };
    c_str.to_str().map_err(|err| {
        FfiError::new(
            KCERT_INVALID_UTF8,
            format!(
                "argument `{argument}` is not valid UTF-8 (invalid byte at offset {})",
                err.valid_up_to()
            ),
        )
    })
}

/// A NUL-terminated UTF-8 path argument (a root directory, a manifest), borrowed as a `Path`.
///
/// # Safety
/// As `text`.
pub(crate) unsafe fn path<'a>(s: *const c_char, argument: &str) -> Result<&'a Path, FfiError> {
    // SAFETY: forwarded from the caller's contract.
    unsafe { text(s, argument) }.map(Path::new)
}
