//! Exports that exist only to test the C boundary itself (cargo feature `test-hooks`; the header
//! declares them under `#if defined(KCERT_TEST_HOOKS)`). Never enabled in a release build.

use crate::panic::ffi_status;
use crate::result::kcert_result;

/// TEST HOOK: panics inside the library. Proves that a panic becomes `KCERT_PANIC` with a
/// message from `kcert_last_error_message`, instead of aborting the process.
#[unsafe(no_mangle)]
pub extern "C" fn kcert_test_panic() -> kcert_result {
    ffi_status(|| panic!("kcert_test_panic was called"))
}
