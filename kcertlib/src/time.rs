//! Points in time as whole Unix seconds, and durations as people write them (`30d`, `1h`,
//! `10y`: [`HumanDuration`]).
//!
//! Certificates carry second-precision UTC times, so one `i64` of seconds is the whole model: it
//! is `Copy`, ordered, and crosses the C and Python boundaries without conversion loss.

pub(crate) mod duration;

pub use duration::{HumanDuration, check_duration, days, parse_duration};

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::DateTime;
use der::asn1::{GeneralizedTime, UtcTime};
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use x509_cert::time::Time;

use crate::error::{Error, ErrorKind, Result};

/// The longest duration kcertlib accepts where one is given (a lifetime, a backdate, a warning
/// window): 1000 years of 365 days, 31,536,000,000 seconds. No certificate can use more (its
/// times end at 9999-12-31), and well below it nothing overflows: a longer value is a typo,
/// not a plan, and is refused by name instead of wrapping around.
pub const MAX_DURATION: Duration = Duration::from_secs(1000 * 365 * 86_400);

/// The last second an X.509 time can hold: 9999-12-31T23:59:59Z.
pub const LAST_ENCODABLE: Timestamp = Timestamp(253_402_300_799);

/// A UTC point in time, in whole seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time, truncated to the second.
    pub fn now() -> Timestamp {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(duration_secs(d)),
            Err(e) => Timestamp(-duration_secs(e.duration())),
        }
    }

    /// The time `secs` seconds after 1970-01-01T00:00:00Z.
    pub const fn from_unix(secs: i64) -> Timestamp {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// This time plus `d`, saturating at the end of `i64` seconds: for comparisons ("expires
    /// within"), where a far-off bound means "never". Times that go into a certificate use
    /// `checked_plus`.
    pub fn plus(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration_secs(d)))
    }

    /// This time minus `d`, saturating; see `plus`.
    pub fn minus(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(duration_secs(d)))
    }

    /// This time plus `d`, or `None` when the result does not fit in `i64` seconds.
    pub fn checked_plus(self, d: Duration) -> Option<Timestamp> {
        let secs = i64::try_from(d.as_secs()).ok()?;
        self.0.checked_add(secs).map(Timestamp)
    }

    /// This time minus `d`, or `None` when the result does not fit in `i64` seconds.
    pub fn checked_minus(self, d: Duration) -> Option<Timestamp> {
        let secs = i64::try_from(d.as_secs()).ok()?;
        self.0.checked_sub(secs).map(Timestamp)
    }

    /// Signed seconds from `self` to `later` (negative when `later` is earlier).
    pub fn seconds_until(self, later: Timestamp) -> i64 {
        later.0.saturating_sub(self.0)
    }

    /// RFC 3339 in UTC, e.g. `2026-11-28T13:58:57Z` (kubeadm's `expirationDate` format).
    /// A time outside the years -9999..=9999, which no certificate can hold, is written as
    /// `@` and its Unix seconds.
    pub fn to_rfc3339(self) -> String {
        // Civil arithmetic rather than `jiff::Timestamp`, whose range stops a day short of
        // 9999-12-31T23:59:59Z (the last time a certificate can hold).
        match unix_epoch().checked_add(jiff::SignedDuration::from_secs(self.0)) {
            Ok(civil) => format!("{}Z", civil.strftime("%Y-%m-%dT%H:%M:%S")),
            Err(_) => format!("@{}", self.0),
        }
    }

    /// Parses an RFC 3339 time (`2026-11-28T13:58:57Z`; an offset such as `+02:00` is
    /// converted to UTC, and fractions of a second are dropped). Civil dates are checked for
    /// real: `2026-02-31` is refused.
    ///
    /// # Errors
    /// `InvalidArgument` when the text is not such a time, with the parser's reason.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp> {
        let bad = |why: String| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "invalid time {text:?}: expected RFC 3339 such as 2026-01-31T12:00:00Z ({why})"
                ),
            )
        };
        let pieces = Pieces::parse(text.trim()).map_err(|e| bad(e.to_string()))?;
        let offset = match pieces.offset() {
            Some(PiecesOffset::Zulu) => 0,
            Some(PiecesOffset::Numeric(n)) => i64::from(n.offset().seconds()),
            _ => return Err(bad("a UTC offset (Z or +hh:mm) is required".into())),
        };
        let Some(time) = pieces.time() else {
            return Err(bad("a time of day is required".into()));
        };
        let local = pieces.date().to_datetime(time);
        let secs = local.duration_since(unix_epoch()).as_secs();
        Ok(Timestamp(secs - offset))
    }

    /// The ASN.1 time RFC 5280 §4.1.2.5 asks for: UTCTime through 2049, GeneralizedTime from 2050.
    ///
    /// # Errors
    /// `Validity` for times before 1970 or after 9999.
    pub fn to_asn1(self) -> Result<Time> {
        let secs = u64::try_from(self.0).map_err(|_| {
            Error::new(
                ErrorKind::Validity,
                format!("time {} is before 1970", self.0),
            )
        })?;
        let dt = DateTime::from_unix_duration(Duration::from_secs(secs))
            .map_err(|e| Error::new(ErrorKind::Validity, format!("time out of range: {e}")))?;
        if dt.year() <= 2049 {
            UtcTime::from_date_time(dt)
                .map(Time::UtcTime)
                .map_err(|e| Error::new(ErrorKind::Validity, format!("time out of range: {e}")))
        } else {
            Ok(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
        }
    }

    /// Converts a decoded ASN.1 time.
    pub fn from_asn1(time: &Time) -> Timestamp {
        Timestamp(time.to_unix_duration().as_secs() as i64)
    }

    /// As a `SystemTime` (for callers that prefer std types).
    pub fn to_system_time(self) -> SystemTime {
        if self.0 >= 0 {
            UNIX_EPOCH + Duration::from_secs(self.0 as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(self.0.unsigned_abs())
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// 1970-01-01T00:00:00, the civil origin of Unix seconds.
fn unix_epoch() -> jiff::civil::DateTime {
    jiff::civil::DateTime::constant(1970, 1, 1, 0, 0, 0, 0)
}

fn duration_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Formats seconds the way kubeadm's RESIDUAL TIME column does, so scripts written against
/// `kubeadm certs check-expiration` read ours: kubeadm prints
/// `duration.ShortHumanDuration` of k8s.io/apimachinery (`pkg/util/duration/duration.go`),
/// whose steps are, on whole seconds `s`:
///
/// | seconds            | text        |
/// |--------------------|-------------|
/// | below -1           | `<invalid>` |
/// | -1                 | `0s` (a second of clock skew is "now") |
/// | 0 to 59            | `Ns`        |
/// | 60 s to 59 min     | `Nm`        |
/// | 1 h to 23 h        | `Nh`        |
/// | 1 d to 364 d       | `Nd`        |
/// | 365 d and more     | `Ny` (years of 365 days) |
///
/// Each unit truncates toward zero (Go's `int(d.Minutes())`), so 119 s is `1m`.
pub fn short_human_duration(secs: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    const YEAR: i64 = 365 * DAY;
    match secs {
        i64::MIN..=-2 => "<invalid>".to_string(),
        -1 => "0s".to_string(),
        0..MINUTE => format!("{secs}s"),
        MINUTE..HOUR => format!("{}m", secs / MINUTE),
        HOUR..DAY => format!("{}h", secs / HOUR),
        DAY..YEAR => format!("{}d", secs / DAY),
        _ => format!("{}y", secs / YEAR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_arithmetic_reports_overflow() {
        let t = Timestamp::from_unix(1_700_000_000);
        assert_eq!(t.checked_plus(Duration::from_secs(u64::MAX)), None);
        assert_eq!(t.checked_plus(Duration::from_secs(i64::MAX as u64)), None);
        assert_eq!(
            Timestamp::from_unix(i64::MIN + 5).checked_minus(Duration::from_secs(6)),
            None
        );
        assert_eq!(
            t.checked_plus(Duration::from_secs(60)),
            Some(Timestamp::from_unix(1_700_000_060))
        );
        assert_eq!(
            t.plus(Duration::from_secs(u64::MAX)).unix(),
            i64::MAX,
            "saturates"
        );
        assert_eq!(LAST_ENCODABLE.to_rfc3339(), "9999-12-31T23:59:59Z");
        assert!(LAST_ENCODABLE.to_asn1().is_ok());
        assert!(
            LAST_ENCODABLE
                .plus(Duration::from_secs(1))
                .to_asn1()
                .is_err()
        );
        for text in [
            "99999999999999999-01-01T00:00:00Z",
            "-5-01-01T00:00:00Z",
            "10000-01-01T00:00:00Z",
        ] {
            assert!(Timestamp::parse_rfc3339(text).is_err(), "{text}");
        }
    }

    #[test]
    fn rfc3339_round_trip() {
        for t in [
            0i64,
            951_782_400,
            1_764_338_337,
            2_524_608_000,
            4_102_444_799,
        ] {
            let ts = Timestamp::from_unix(t);
            assert_eq!(Timestamp::parse_rfc3339(&ts.to_rfc3339()).ok(), Some(ts));
        }
        assert_eq!(
            Timestamp::from_unix(951_782_400).to_rfc3339(),
            "2000-02-29T00:00:00Z"
        );
        assert!(Timestamp::parse_rfc3339("2026-13-01T00:00:00Z").is_err());
        // Civil dates are real dates: no February 31st, no February 29th outside leap years.
        for text in [
            "2026-02-31T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T12:00:00Z",
        ] {
            let e = Timestamp::parse_rfc3339(text).expect_err(text);
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.to_string().contains(text), "{e}");
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2028-02-29T00:00:00Z")
                .map(Timestamp::unix)
                .ok(),
            Some(1_835_395_200)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2026-01-31T14:00:00.75+02:00").ok(),
            Timestamp::parse_rfc3339("2026-01-31T12:00:00Z").ok()
        );
        assert_eq!(
            Timestamp::from_unix(i64::MAX).to_rfc3339(),
            format!("@{}", i64::MAX)
        );
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn asn1_encoding_switches_in_2050() {
        let y2049 = Timestamp::parse_rfc3339("2049-12-31T23:59:59Z").ok();
        let y2050 = Timestamp::parse_rfc3339("2050-01-01T00:00:00Z").ok();
        assert!(matches!(
            y2049.map(|t| t.to_asn1()),
            Some(Ok(Time::UtcTime(_)))
        ));
        assert!(matches!(
            y2050.map(|t| t.to_asn1()),
            Some(Ok(Time::GeneralTime(_)))
        ));
        assert!(Timestamp::from_unix(-1).to_asn1().is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("30d").ok(),
            Some(Duration::from_secs(30 * 86_400))
        );
        assert_eq!(
            parse_duration("1d12h").ok(),
            Some(Duration::from_secs(36 * 3600))
        );
        assert_eq!(parse_duration("90").ok(), Some(Duration::from_secs(90)));
        assert!(parse_duration("12x").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("12").is_ok());
        assert!(parse_duration("5h3").is_err());
        assert!(
            parse_duration("3h5").is_err(),
            "a trailing number after a unit"
        );
    }

    /// Each step boundary of apimachinery's `ShortHumanDuration`
    /// (k8s.io/apimachinery `pkg/util/duration/duration.go`, what kubeadm's
    /// `certs check-expiration` prints as RESIDUAL TIME), from both sides.
    #[test]
    fn short_human_duration_steps_as_kubeadm() {
        const DAY: i64 = 86_400;
        let cases: &[(i64, &str)] = &[
            (i64::MIN, "<invalid>"),
            (-3 * DAY, "<invalid>"),
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (59, "59s"),
            (60, "1m"),
            (119, "1m"),
            (3_599, "59m"),
            (3_600, "1h"),
            (DAY - 1, "23h"),
            (DAY, "1d"),
            (2 * DAY - 1, "1d"),
            (364 * DAY, "364d"),
            (365 * DAY - 1, "364d"),
            (365 * DAY, "1y"),
            (2 * 365 * DAY - 1, "1y"),
            (9 * 365 * DAY + 5, "9y"),
        ];
        for &(secs, text) in cases {
            assert_eq!(short_human_duration(secs), text, "{secs} seconds");
        }
        assert_eq!(short_human_duration(i64::MAX), "292471208677y");
    }
}
