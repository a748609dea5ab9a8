//! `kcert_version`: the library version, for logs and compatibility checks.

use std::ffi::c_char;

use crate::panic::ffi_boundary;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The version of libkcert, e.g. `"0.1.0"`. Never NULL; static, do not free.
#[unsafe(no_mangle)]
pub extern "C" fn kcert_version() -> *const c_char {
    ffi_boundary(VERSION.as_ptr().cast(), || VERSION.as_ptr().cast())
}
