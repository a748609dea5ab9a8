//! `kcert_version` and the `KCERT_VERSION_*` macros: the library version, for logs,
//! compile-time checks (`#if KCERT_VERSION_MAJOR ...`) and run-time compatibility checks.

use std::ffi::c_char;

use crate::panic::ffi_boundary;

/// The major version of the header, `0` while the ABI is 0.x (the SONAME is
/// `libkcert.so.<major>`). Equal to the first number of `kcert_version()` for the library the
/// header came with.
pub const KCERT_VERSION_MAJOR: u32 = 0;
/// The minor version of the header (`kcert_version()`'s second number).
pub const KCERT_VERSION_MINOR: u32 = 1;
/// The patch version of the header (`kcert_version()`'s third number).
pub const KCERT_VERSION_PATCH: u32 = 0;

// cbindgen copies only literals into the header, so the numbers above are written out; the
// build fails here when Cargo.toml's version and they disagree.
const _: () = {
    assert!(KCERT_VERSION_MAJOR == parse_u32(env!("CARGO_PKG_VERSION_MAJOR")));
    assert!(KCERT_VERSION_MINOR == parse_u32(env!("CARGO_PKG_VERSION_MINOR")));
    assert!(KCERT_VERSION_PATCH == parse_u32(env!("CARGO_PKG_VERSION_PATCH")));
};

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The version of libkcert, e.g. `"0.1.0"`: `KCERT_VERSION_MAJOR.MINOR.PATCH` of the library
/// that is loaded, which may be newer than the header a program was compiled with. Never NULL;
/// static, do not free.
#[unsafe(no_mangle)]
pub extern "C" fn kcert_version() -> *const c_char {
    ffi_boundary(VERSION.as_ptr().cast(), || VERSION.as_ptr().cast())
}

/// A decimal number at compile time (Cargo's version components are plain digits).
const fn parse_u32(digits: &str) -> u32 {
    let bytes = digits.as_bytes();
    let mut value = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        assert!(
            bytes[i].is_ascii_digit(),
            "a version component is not a number"
        );
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}
