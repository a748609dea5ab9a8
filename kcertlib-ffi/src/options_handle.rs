//! What every options handle (`kcert_renew_options`, `kcert_resign_options` and the three
//! handoff steps' options) does the same way: `*_new` makes one with the defaults, setters check
//! the handle and change one field, `*_free` frees it, and the operation reads it as the core's
//! options, NULL meaning the defaults.
//!
//! These are functions generic over the handle type rather than a macro: each export stays
//! written out with its own doc comment (cbindgen copies it into the header) and rustfmt and the
//! compiler see its one-line body as ordinary code.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use kcertlib::time::check_duration;
use kcertlib::{Threads, Timestamp};

use crate::args::{handle_mut, text};
use crate::error::FfiError;
use crate::panic::{ffi_boundary, ffi_status};
use crate::result::kcert_result;

/// An opaque options handle C builds up with setters before handing it to an operation.
pub(crate) trait OptionsHandle: Default {
    /// The core's options the handle stands for.
    type Core: Default;

    /// The core's options as the setters left them.
    fn core(&self) -> Self::Core;
}

/// A new handle with the defaults, owned by C until its `*_free`; NULL only if a panic was
/// caught.
pub(crate) fn new_options<T: OptionsHandle>() -> *mut T {
    ffi_boundary(std::ptr::null_mut(), || Box::into_raw(Box::<T>::default()))
}

/// The core's options behind `opts`, or the core's defaults for NULL (every operation documents
/// "`opts` NULL means the defaults").
///
/// # Safety
/// `opts` is NULL or a live handle of type `T`.
pub(crate) unsafe fn options_or_default<T: OptionsHandle>(opts: *const T) -> T::Core {
    // SAFETY: forwarded from the caller's contract.
    match unsafe { opts.as_ref() } {
        Some(opts) => opts.core(),
        None => T::Core::default(),
    }
}

/// Applies one setter to the options handle `opts` inside the panic boundary: NULL gives
/// `KCERT_NULL_ARGUMENT`, a failing `change` its error (setters validate before they assign, so
/// a failure leaves the options unchanged).
///
/// # Safety
/// `opts` is NULL or a live options handle of type `T`, not used by another thread meanwhile.
pub(crate) unsafe fn update_options<T>(
    opts: *mut T,
    change: impl FnOnce(&mut T) -> Result<(), FfiError>,
) -> kcert_result {
    ffi_status(|| {
        // SAFETY: the caller guarantees `opts` is NULL or live.
        let opts = unsafe { handle_mut(opts, "opts") }?;
        change(opts)
    })
}

/// A setter that cannot fail once the handle is checked (a flag, a count, a time).
///
/// # Safety
/// As `update_options`.
pub(crate) unsafe fn set_option<T>(opts: *mut T, change: impl FnOnce(&mut T)) -> kcert_result {
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        update_options(opts, |o| {
            change(o);
            Ok(())
        })
    }
}

/// The thread-count setter of every handle that has one: 0 means one per core, 1 the calling
/// thread (`Threads::from_count`). `threads_of` is the handle's field.
///
/// # Safety
/// As `update_options`.
pub(crate) unsafe fn set_threads_option<T>(
    opts: *mut T,
    threads: u32,
    threads_of: impl FnOnce(&mut T) -> &mut Threads,
) -> kcert_result {
    let threads = Threads::from_count(threads as usize);
    // SAFETY: forwarded from the caller's contract.
    unsafe { set_option(opts, |o| *threads_of(o) = threads) }
}

/// The setter of a pinned "now" in Unix seconds, for handles whose core options hold it as
/// `Option<Timestamp>` (`now_of` is that field); the validity handles pin it through
/// `ValiditySettings::set_now` instead.
///
/// # Safety
/// As `update_options`.
pub(crate) unsafe fn set_now_option<T>(
    opts: *mut T,
    unix_seconds: i64,
    now_of: impl FnOnce(&mut T) -> &mut Option<Timestamp>,
) -> kcert_result {
    let now = Timestamp::from_unix(unix_seconds);
    // SAFETY: forwarded from the caller's contract.
    unsafe { set_option(opts, |o| *now_of(o) = Some(now)) }
}

/// A setter taking a span in seconds, checked against the core's 1000-year limit
/// (`KCERT_INVALID_ARGUMENT` naming `what` beyond it).
///
/// # Safety
/// As `update_options`.
pub(crate) unsafe fn set_seconds_option<T>(
    opts: *mut T,
    seconds: u64,
    what: &str,
    change: impl FnOnce(&mut T, Duration),
) -> kcert_result {
    let change = |o: &mut T| {
        change(o, check_duration(what, Duration::from_secs(seconds))?);
        Ok(())
    };
    // SAFETY: forwarded from the caller's contract.
    unsafe { update_options(opts, change) }
}

/// A setter taking a string: NULL `value` gives `KCERT_NULL_ARGUMENT` naming `argument`, text
/// that is not UTF-8 `KCERT_INVALID_UTF8`. The handle is checked first.
///
/// # Safety
/// As `update_options`; `value` is NULL or NUL-terminated.
pub(crate) unsafe fn set_text_option<T>(
    opts: *mut T,
    value: *const c_char,
    argument: &str,
    change: impl FnOnce(&mut T, &str) -> Result<(), FfiError>,
) -> kcert_result {
    let change = |o: &mut T| {
        // SAFETY: the caller guarantees `value` is NULL or NUL-terminated.
        let value = unsafe { text(value, argument) }?;
        change(o, value)
    };
    // SAFETY: forwarded from the caller's contract.
    unsafe { update_options(opts, change) }
}

/// A setter taking a path where NULL restores the default (`None`); a path that is not UTF-8
/// gives `KCERT_INVALID_UTF8`. The path is copied.
///
/// # Safety
/// As `update_options`; `path` is NULL or NUL-terminated.
pub(crate) unsafe fn set_path_option<T>(
    opts: *mut T,
    path: *const c_char,
    argument: &str,
    change: impl FnOnce(&mut T, Option<PathBuf>),
) -> kcert_result {
    let change = |o: &mut T| {
        let path = if path.is_null() {
            None
        } else {
            // SAFETY: non-NULL, and the caller guarantees `path` is NUL-terminated.
            Some(PathBuf::from(unsafe { text(path, argument) }?))
        };
        change(o, path);
        Ok(())
    };
    // SAFETY: forwarded from the caller's contract.
    unsafe { update_options(opts, change) }
}
