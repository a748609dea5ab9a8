//! Strings handed to C: NUL-terminated, allocated here, freed with `kcert_string_free`.

use std::ffi::{CString, c_char};

use crate::panic::ffi_boundary;

/// Moves `text` into a C string the caller owns. An interior NUL (possible only in a
/// certificate's odd name bytes) becomes U+FFFD, as the core already does for invalid UTF-8,
/// so the C string shows the whole text instead of stopping early.
pub(crate) fn into_c_string(text: String) -> *mut c_char {
    let c_string = CString::new(text).unwrap_or_else(|err| {
        let text = String::from_utf8_lossy(&err.into_vec()).replace('\0', "\u{FFFD}");
        // The replacement removed every NUL, so this cannot fail; an empty string is the
        // harmless fallback that keeps this function infallible.
        CString::new(text).unwrap_or_default()
    });
    c_string.into_raw()
}

/// Frees a string returned by kcertlib (`kcert_cert_subject`, `kcert_cert_to_json`,
/// `kcert_last_error_message`, ...).
///
/// NULL handling: `kcert_string_free(NULL)` does nothing.
///
/// # Safety
/// `s` is NULL or a string returned by kcertlib that was not freed yet. Strings from any other
/// allocator (malloc, strdup) must not be passed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kcert_string_free(s: *mut c_char) {
    ffi_boundary((), || {
        if !s.is_null() {
            // SAFETY: the caller guarantees `s` came from `CString::into_raw` in
            // `into_c_string` and is freed once.
            drop(unsafe { CString::from_raw(s) });
        }
    });
}
