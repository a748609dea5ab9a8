//! The validity keywords shared by `resign`, `issue` and `renew` (`days`, `backdate`,
//! `not_before`), turned into one core `ValidityPolicy`.

use std::time::Duration;

use kcertlib::{NotBefore, ValidityPolicy};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::datetime::{from_datetime, from_duration};
use crate::errors::{invalid_argument, to_py_err};

/// One hour, as dynamiclistener and kcertlib's core default.
const DEFAULT_BACKDATE: Duration = Duration::from_secs(3600);

/// Builds the policy: `days` of lifetime; `not_before` (an aware datetime) wins over
/// `backdate`, which is a `timedelta`, a duration string (`1h`, `365d`), `"ca"` (the CA's own
/// notBefore, as kubeadm < 1.31 and RKE do) or `"keep"` (the certificate's current notBefore).
///
/// # Errors
/// `kcert.InvalidArgumentError` for a non-positive `days` or an unreadable `backdate`;
/// `TypeError` for arguments of the wrong type.
pub(crate) fn validity_policy(
    days: i64,
    backdate: Option<&Bound<'_, PyAny>>,
    not_before: Option<&Bound<'_, PyAny>>,
) -> PyResult<ValidityPolicy> {
    let days = u64::try_from(days).ok().filter(|d| *d > 0).ok_or_else(|| {
        to_py_err(invalid_argument(format!(
            "days must be a positive number of days, got {days}"
        )))
    })?;
    let rule = match (not_before, backdate) {
        (Some(at), _) if !at.is_none() => NotBefore::At(from_datetime(at)?),
        (_, Some(b)) if !b.is_none() => backdate_rule(b)?,
        _ => NotBefore::Backdate(DEFAULT_BACKDATE),
    };
    Ok(ValidityPolicy::days(days).with_not_before(rule))
}

fn backdate_rule(value: &Bound<'_, PyAny>) -> PyResult<NotBefore> {
    if let Ok(text) = value.cast::<PyString>() {
        match text.to_cow()?.trim().to_ascii_lowercase().as_str() {
            "ca" => return Ok(NotBefore::CaNotBefore),
            "keep" => return Ok(NotBefore::KeepOriginal),
            _ => {}
        }
    }
    from_duration(value).map(NotBefore::Backdate)
}
