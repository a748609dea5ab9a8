//! Times and durations across the boundary: core `Timestamp`s become aware UTC `datetime`s,
//! and Python `datetime`/`timedelta`/duration strings become core values.
//!
//! The conversions go through Python's own `datetime` arithmetic (epoch + timedelta) instead of
//! the C datetime API, which the stable ABI does not offer; that also keeps years past 2038 and
//! before 1970 exact.

use std::time::Duration;

use kcertlib::Timestamp;
use kcertlib::time::HumanDuration;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;

use crate::errors::{invalid_argument, to_py_err};

static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static TIMEDELTA: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn timedelta_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    TIMEDELTA.import(py, "datetime", "timedelta")
}

fn datetime_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    DATETIME.import(py, "datetime", "datetime")
}

/// `datetime(1970, 1, 1, tzinfo=timezone.utc)`.
fn epoch(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    EPOCH
        .get_or_try_init(py, || {
            let utc = py.import("datetime")?.getattr("timezone")?.getattr("utc")?;
            let kwargs = pyo3::types::PyDict::new(py);
            kwargs.set_item("tzinfo", utc)?;
            Ok::<_, PyErr>(
                datetime_class(py)?
                    .call((1970, 1, 1), Some(&kwargs))?
                    .unbind(),
            )
        })
        .map(|e| e.bind(py))
}

/// An aware UTC `datetime` for `t`.
pub(crate) fn to_datetime(py: Python<'_>, t: Timestamp) -> PyResult<Bound<'_, PyAny>> {
    let offset = timedelta_class(py)?.call1((0, t.unix()))?;
    epoch(py)?.add(offset)
}

/// Reads an aware `datetime`. A naive one is refused: its meaning depends on the local zone.
///
/// # Errors
/// `TypeError` for a non-datetime, `kcert.InvalidArgumentError` for a naive one.
pub(crate) fn from_datetime(value: &Bound<'_, PyAny>) -> PyResult<Timestamp> {
    let py = value.py();
    if !value.is_instance(datetime_class(py)?)? {
        return Err(PyTypeError::new_err(format!(
            "expected a datetime.datetime, got {}",
            value.get_type().name()?
        )));
    }
    if value.call_method0("utcoffset")?.is_none() {
        return Err(to_py_err(invalid_argument(format!(
            "naive datetime {}: pass an aware one such as datetime(..., tzinfo=timezone.utc)",
            value.str()?
        ))));
    }
    let seconds = value
        .sub(epoch(py)?)?
        .call_method0("total_seconds")?
        .extract::<f64>()?;
    Ok(Timestamp::from_unix(seconds.floor() as i64))
}

/// Reads a duration: a `timedelta` (not negative) or text such as `30d`, `1h`, `1d12h`.
///
/// # Errors
/// `TypeError` for other types, `kcert.InvalidArgumentError` for negative or unparsable values.
pub(crate) fn from_duration(value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let py = value.py();
    if let Ok(text) = value.cast::<PyString>() {
        return kcertlib::time::parse_duration(&text.to_cow()?).map_err(to_py_err);
    }
    if !value.is_instance(timedelta_class(py)?)? {
        return Err(PyTypeError::new_err(format!(
            "expected a datetime.timedelta or a duration string such as '30d', got {}",
            value.get_type().name()?
        )));
    }
    let seconds = value.call_method0("total_seconds")?.extract::<f64>()?;
    if seconds < 0.0 {
        return Err(to_py_err(invalid_argument(format!(
            "negative duration {}: durations must be zero or more",
            value.str()?
        ))));
    }
    // The float-to-integer cast saturates (and maps NaN to 0); the core bounds the result.
    HumanDuration::new(Duration::from_secs(seconds.floor() as u64))
        .map(Duration::from)
        .map_err(to_py_err)
}

/// Like `from_duration`, with `default` for `None`.
///
/// # Errors
/// As `from_duration`.
pub(crate) fn duration_or(
    value: Option<&Bound<'_, PyAny>>,
    default: Duration,
) -> PyResult<Duration> {
    match value {
        Some(v) if !v.is_none() => from_duration(v),
        _ => Ok(default),
    }
}
