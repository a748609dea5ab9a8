//! The validity keywords shared by `resign`, `issue` and `renew` (`days`, `backdate`,
//! `not_before`), turned into one core `ValidityPolicy`. The rules (day range, the backdate
//! syntax, the default backdate) are the core's: this file only converts Python values.

use kcertlib::{NotBefore, ValidityPolicy, defaults};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::datetime::{from_datetime, from_duration};
use crate::errors::{invalid_argument, to_py_err};

// The `days=365` default of `resign`, `issue` and `renew` is written as a literal in their pyo3
// signatures: Python shows a default (and mypy.stubtest compares it with the stubs) only when
// it is a literal. This check keeps that literal equal to the core's default lifetime.
const _: () = assert!(defaults::LIFETIME_DAYS == 365);

/// Builds the policy: `days` of lifetime; `not_before` (an aware datetime) wins over
/// `backdate`, which is a `timedelta` or text the core's `NotBefore` parser reads (a duration
/// such as `1h` or `365d`, `"ca"` for the CA's own notBefore as kubeadm < 1.31 and RKE do,
/// `"keep"` for the certificate's current notBefore, or an RFC 3339 time).
///
/// # Errors
/// `kcert.InvalidArgumentError` for `days` out of range or an unreadable `backdate`;
/// `TypeError` for arguments of the wrong type.
pub(crate) fn validity_policy(
    days: i64,
    backdate: Option<&Bound<'_, PyAny>>,
    not_before: Option<&Bound<'_, PyAny>>,
) -> PyResult<ValidityPolicy> {
    // A negative number has no u64: the core's range message, with the number as given.
    let lifetime = u64::try_from(days)
        .map_err(|_| invalid_argument(format!("days must be at least 1, got {days}")))
        .and_then(kcertlib::time::days)
        .map_err(to_py_err)?;
    let rule = match (not_before, backdate) {
        (Some(at), _) if !at.is_none() => NotBefore::At(from_datetime(at)?),
        (_, Some(b)) if !b.is_none() => backdate_rule(b)?,
        _ => NotBefore::Backdate(defaults::BACKDATE),
    };
    Ok(ValidityPolicy::default()
        .with_lifetime(lifetime)
        .with_not_before(rule))
}

fn backdate_rule(value: &Bound<'_, PyAny>) -> PyResult<NotBefore> {
    if let Ok(text) = value.cast::<PyString>() {
        return text.to_cow()?.parse::<NotBefore>().map_err(to_py_err);
    }
    from_duration(value).map(NotBefore::Backdate)
}
