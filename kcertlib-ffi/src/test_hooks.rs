//! Exports that exist only to test the C boundary itself, compiled only with the `test-panic`
//! feature (which `kcertlib-ffi/tests/run-c-tests.sh` enables in a build of its own) and left
//! out of `include/kcert.h` (cbindgen.toml excludes them); the C test declares them itself.
//! Their names start with `kcert_test_` and they touch no state.

use crate::panic::ffi_status;
use crate::result::kcert_result;

/// TEST HOOK, not for applications: panics inside the library, to prove that a panic becomes
/// `KCERT_PANIC` with a message from `kcert_last_error_message` instead of aborting the process.
/// Always returns `KCERT_PANIC`; has no other effect.
#[unsafe(no_mangle)]
pub extern "C" fn kcert_test_panic() -> kcert_result {
    ffi_status(|| panic!("kcert_test_panic was called"))
}
