//! Strings handed to C: NUL-terminated, allocated here, freed with `kcert_string_free`.

use std::ffi::{CString, c_char};

use zeroize::{Zeroize, Zeroizing};

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

/// Moves secret text (a key's PEM) into a C string without leaving a copy behind: the bytes
/// are copied once into a buffer with room for the NUL, and the original is wiped when dropped.
/// PEM text holds no NUL; should one appear, the result is an empty string.
pub(crate) fn into_secret_c_string(text: Zeroizing<String>) -> *mut c_char {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    match CString::new(bytes) {
        Ok(c_string) => c_string.into_raw(),
        Err(err) => {
            drop(Zeroizing::new(err.into_vec()));
            CString::default().into_raw()
        }
    }
}

/// Frees a string returned by kcertlib (`kcert_cert_subject`, `kcert_cert_to_json`,
/// `kcert_last_error_message`, `kcert_key_to_pem`, ...), wiping its bytes first: one of them
/// may hold a private key.
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
            // `into_c_string` or `into_secret_c_string` and is freed once.
            let mut bytes = unsafe { CString::from_raw(s) }.into_bytes_with_nul();
            bytes.zeroize();
        }
    });
}
