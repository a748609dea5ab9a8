//! C ABI for kcertlib: `libkcert.so`, `libkcert.a` and the generated `include/kcert.h`.
//!
//! Conventions (DESIGN.md §5): opaque handles named `kcert_<type>`, functions named
//! `kcert_<type>_<verb>`, inputs before outputs, outputs written only on success, `_free(NULL)`
//! is a no-op, strings returned to C are freed with `kcert_string_free`, every export runs inside
//! `panic::ffi_boundary`, and the detail of the last failure is in `kcert_last_error_message`.
//! This crate holds no certificate logic: only conversion of types, errors and ownership.
//!
//! Rust items carry their C names (`kcert_cert`, `KCERT_OK`) so that the header, the C tests and
//! this source can be searched with one word.
#![allow(non_camel_case_types)]

mod args;
pub mod bundle;
pub mod cert;
mod error;
pub mod handoff;
pub mod inventory;
pub mod issuer;
pub mod key;
pub mod last_error;
pub mod live;
mod operation;
mod options_handle;
mod panic;
pub mod renew;
pub mod resign;
pub mod result;
pub mod strings;
#[cfg(feature = "test-panic")]
pub mod test_hooks;
pub mod validity_options;
pub mod version;
