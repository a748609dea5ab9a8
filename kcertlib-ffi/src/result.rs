//! `kcert_result`: the status every fallible export returns.
//!
//! The values of the core error kinds are the kinds' permanent codes (`ErrorKind::code`), so a C
//! program, a Python program and the JSON reports all name a failure with the same number. Codes
//! from 1000 on are failures that only exist at the C boundary.
//!
//! `kcert_result` is a `uint32_t` with named constants rather than a Rust enum: C may hand any
//! number back (to `kcert_result_name`), and an out-of-range value in a Rust enum would be
//! undefined behaviour.

use std::ffi::c_char;

use kcertlib::ErrorKind;

use crate::panic::ffi_boundary;

/// A status code: `KCERT_OK` (0) on success, otherwise the reason of the failure.
/// Use `kcert_result_name` for a short stable name and `kcert_last_error_message` for details.
pub type kcert_result = u32;

/// Success.
pub const KCERT_OK: kcert_result = 0;
/// Reading or writing a file failed.
pub const KCERT_IO: kcert_result = 1;
/// Input is not valid PEM (no END line, bad base64, empty input, no certificate block).
pub const KCERT_PEM: kcert_result = 2;
/// DER could not be decoded (truncated, trailing data, not a certificate).
pub const KCERT_DER: kcert_result = 3;
/// A certificate decoded but breaks a rule kcertlib relies on (e.g. negative serial).
pub const KCERT_INVALID_CERTIFICATE: kcert_result = 4;
/// A private key could not be decoded.
pub const KCERT_INVALID_KEY: kcert_result = 5;
/// The private key is encrypted; kcertlib needs it in clear.
pub const KCERT_ENCRYPTED_KEY: kcert_result = 6;
/// The key or signature algorithm is not supported (Ed25519, DSA, P-521, ...).
pub const KCERT_UNSUPPORTED_ALGORITHM: kcert_result = 7;
/// A private key does not belong to the certificate it was paired with.
pub const KCERT_KEY_MISMATCH: kcert_result = 8;
/// A signature did not verify, or a chain could not be built.
pub const KCERT_VERIFICATION_FAILED: kcert_result = 9;
/// The certificate meant to sign is not usable as a CA.
pub const KCERT_INVALID_ISSUER: kcert_result = 10;
/// The requested validity cannot be honoured (e.g. the CA has expired).
pub const KCERT_VALIDITY: kcert_result = 11;
/// A kubeconfig file is malformed or does not hold what it should.
pub const KCERT_KUBECONFIG: kcert_result = 12;
/// A cluster layout entry is missing or inconsistent.
pub const KCERT_LAYOUT: kcert_result = 13;
/// Another renewal holds the lock of this root.
pub const KCERT_LOCKED: kcert_result = 14;
/// A renewal transaction failed; everything it replaced was restored.
pub const KCERT_TRANSACTION: kcert_result = 15;
/// An argument or option is invalid.
pub const KCERT_INVALID_ARGUMENT: kcert_result = 16;
/// Signing or key generation failed inside the crypto backend.
pub const KCERT_CRYPTO: kcert_result = 17;
/// A path resolves outside the root directory being worked on.
pub const KCERT_PATH_ESCAPE: kcert_result = 18;
/// A panic inside the library was caught; the call had no effect on its outputs.
pub const KCERT_PANIC: kcert_result = 19;
/// A file changed between kcertlib reading it and replacing it; nothing was replaced.
pub const KCERT_CONFLICT: kcert_result = 20;
/// A file kcertlib must trust (its lock, journal, manifest, state or backup directory) is a
/// symlink, a special file, another user's, or writable by others.
pub const KCERT_UNTRUSTED: kcert_result = 21;
/// A required pointer argument was NULL.
pub const KCERT_NULL_ARGUMENT: kcert_result = 1000;
/// A string argument was not valid UTF-8.
pub const KCERT_INVALID_UTF8: kcert_result = 1001;
/// The core reported a kind of error this build of the C library has no code for.
pub const KCERT_UNKNOWN_ERROR: kcert_result = 1002;

/// Every code with its name, in code order: the one table `kcert_result_name` and the tests
/// read. The names of core kinds are the core's (`ErrorKind::name`).
const NAMES: &[(kcert_result, &str)] = &[
    (KCERT_OK, "ok\0"),
    (KCERT_IO, "io\0"),
    (KCERT_PEM, "pem\0"),
    (KCERT_DER, "der\0"),
    (KCERT_INVALID_CERTIFICATE, "invalid-certificate\0"),
    (KCERT_INVALID_KEY, "invalid-key\0"),
    (KCERT_ENCRYPTED_KEY, "encrypted-key\0"),
    (KCERT_UNSUPPORTED_ALGORITHM, "unsupported-algorithm\0"),
    (KCERT_KEY_MISMATCH, "key-mismatch\0"),
    (KCERT_VERIFICATION_FAILED, "verification-failed\0"),
    (KCERT_INVALID_ISSUER, "invalid-issuer\0"),
    (KCERT_VALIDITY, "validity\0"),
    (KCERT_KUBECONFIG, "kubeconfig\0"),
    (KCERT_LAYOUT, "layout\0"),
    (KCERT_LOCKED, "locked\0"),
    (KCERT_TRANSACTION, "transaction\0"),
    (KCERT_INVALID_ARGUMENT, "invalid-argument\0"),
    (KCERT_CRYPTO, "crypto\0"),
    (KCERT_PATH_ESCAPE, "path-escape\0"),
    (KCERT_PANIC, "panic\0"),
    (KCERT_CONFLICT, "conflict\0"),
    (KCERT_UNTRUSTED, "untrusted\0"),
    (KCERT_NULL_ARGUMENT, "null-argument\0"),
    (KCERT_INVALID_UTF8, "invalid-utf8\0"),
    (KCERT_UNKNOWN_ERROR, "unknown-error\0"),
];

/// The name returned for a number that is no `kcert_result`.
const UNKNOWN_CODE_NAME: &str = "unknown-code\0";

/// The status for a core error kind: its permanent code, when this binding knows the kind.
pub(crate) fn status_of_kind(kind: ErrorKind) -> kcert_result {
    let code = kind.code();
    let has_constant = NAMES.iter().any(|(known, _)| *known == code);
    if has_constant && code != KCERT_OK && code < KCERT_NULL_ARGUMENT {
        code
    } else {
        KCERT_UNKNOWN_ERROR
    }
}

fn name_of(code: kcert_result) -> &'static str {
    NAMES
        .iter()
        .find(|(known, _)| *known == code)
        .map_or(UNKNOWN_CODE_NAME, |(_, name)| name)
}

/// The short stable name of a status, e.g. `"ok"`, `"pem"`, `"encrypted-key"`,
/// `"null-argument"`; `"unknown-code"` for a number that is not a `kcert_result`.
///
/// Never returns NULL. The string is static: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn kcert_result_name(result: kcert_result) -> *const c_char {
    ffi_boundary(UNKNOWN_CODE_NAME.as_ptr().cast(), || {
        name_of(result).as_ptr().cast()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_core_kind_maps_to_its_own_distinct_code() {
        let mut seen = HashSet::new();
        for kind in ErrorKind::ALL {
            let status = status_of_kind(*kind);
            assert_ne!(status, KCERT_OK, "{kind} maps to KCERT_OK");
            assert_ne!(
                status, KCERT_UNKNOWN_ERROR,
                "{kind} has no kcert_result constant"
            );
            assert_eq!(status, kind.code(), "{kind} must keep its core code");
            assert!(
                seen.insert(status),
                "{kind} shares code {status} with another kind"
            );
            assert_eq!(name_of(status).trim_end_matches('\0'), kind.name());
        }
    }

    #[test]
    fn ffi_only_codes_collide_with_no_core_kind() {
        for code in [KCERT_NULL_ARGUMENT, KCERT_INVALID_UTF8, KCERT_UNKNOWN_ERROR] {
            assert!(
                ErrorKind::from_code(code).is_none(),
                "{code} is a core code"
            );
        }
        assert!(ErrorKind::from_code(KCERT_OK).is_none());
    }

    #[test]
    fn names_are_unique_nul_terminated_and_cover_unknown_numbers() {
        let mut names = HashSet::new();
        let mut codes = HashSet::new();
        for (code, name) in NAMES {
            assert!(name.ends_with('\0') && !name[..name.len() - 1].contains('\0'));
            assert!(names.insert(*name), "name {name:?} is used twice");
            assert!(codes.insert(*code), "code {code} is listed twice");
        }
        assert_eq!(name_of(4242), UNKNOWN_CODE_NAME);
    }
}
