//! Points in time as whole Unix seconds, and the human duration syntax (`30d`, `1h`, `10y`).
//!
//! Certificates carry second-precision UTC times, so one `i64` of seconds is the whole model: it
//! is `Copy`, ordered, and crosses the C and Python boundaries without conversion loss.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::DateTime;
use der::asn1::{GeneralizedTime, UtcTime};
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
    pub fn to_rfc3339(self) -> String {
        let (y, mo, d, h, mi, s) = civil_from_unix(self.0);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// Parses RFC 3339 UTC (`2026-11-28T13:58:57Z`; a `+00:00` offset and fractions are accepted).
    ///
    /// # Errors
    /// `InvalidArgument` when the text is not such a time.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp> {
        let bad = || {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "invalid time {text:?}: expected RFC 3339 UTC such as 2026-01-31T12:00:00Z"
                ),
            )
        };
        let t = text.trim();
        let body = t
            .strip_suffix('Z')
            .or_else(|| t.strip_suffix("+00:00"))
            .ok_or_else(bad)?;
        let body = body.split('.').next().ok_or_else(bad)?;
        let (date, clock) = body.split_once(['T', ' ']).ok_or_else(bad)?;
        let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
        let dp: Vec<&str> = date.split('-').collect();
        let cp: Vec<&str> = clock.split(':').collect();
        if dp.len() != 3 || cp.len() != 3 {
            return Err(bad());
        }
        let (y, mo, d) = (num(dp[0])?, num(dp[1])?, num(dp[2])?);
        let (h, mi, s) = (num(cp[0])?, num(cp[1])?, num(cp[2])?);
        // RFC 3339 years have four digits; the range also keeps the arithmetic below in i64.
        if !(0..=9999).contains(&y)
            || !(1..=12).contains(&mo)
            || !(1..=31).contains(&d)
            || !(0..=23).contains(&h)
            || !(0..=59).contains(&mi)
            || !(0..=60).contains(&s)
        {
            return Err(bad());
        }
        Ok(Timestamp(
            days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s,
        ))
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

fn duration_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Parses a duration such as `30d`, `12h`, `90m`, `45s`, `2w`, `10y` (365 days), or `1d12h`.
/// A bare number is seconds. At most `MAX_DURATION` (1000 years).
///
/// # Errors
/// `InvalidArgument` naming the text when it is not such a duration, or is longer than
/// `MAX_DURATION` (however large the numbers in it: nothing wraps around).
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = |why: &str| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("invalid duration {text:?}: {why} (examples: 30d, 12h, 1d12h, 10y)"),
        )
    };
    let too_long = || bad("longer than 1000 years, the most kcertlib accepts");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad("empty"));
    }
    let mut total: u64 = 0;
    // The number being read (None before its first digit; saturates, so any overflow is
    // caught by the bound below).
    let mut number: Option<u64> = None;
    for c in t.chars() {
        if let Some(digit) = c.to_digit(10) {
            let n = number.unwrap_or(0);
            number = Some(n.saturating_mul(10).saturating_add(u64::from(digit)));
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            'y' => 365 * 86_400,
            _ => return Err(bad(&format!("unknown unit {c:?}"))),
        };
        let n = number
            .take()
            .ok_or_else(|| bad("a number must precede each unit"))?;
        total = total.saturating_add(n.saturating_mul(unit));
    }
    match number {
        // A bare number is seconds; after a unit, a trailing number has none.
        Some(secs) if total == 0 && t.chars().all(|c| c.is_ascii_digit()) => total = secs,
        Some(_) => return Err(bad("a number at the end has no unit")),
        None => {}
    }
    if total > MAX_DURATION.as_secs() {
        return Err(too_long());
    }
    Ok(Duration::from_secs(total))
}

/// `days` days as a duration, at most `MAX_DURATION` (365,000 days).
///
/// # Errors
/// `InvalidArgument` naming the number when it is larger.
pub fn days(days: u64) -> Result<Duration> {
    match days.checked_mul(86_400) {
        Some(secs) if secs <= MAX_DURATION.as_secs() => Ok(Duration::from_secs(secs)),
        _ => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "{days} days is longer than 1000 years ({} days), the most kcertlib accepts",
                MAX_DURATION.as_secs() / 86_400
            ),
        )),
    }
}

/// Checks that a duration given as seconds (the C and Python options) is at most
/// `MAX_DURATION`; `what` names it in the error.
///
/// # Errors
/// `InvalidArgument` naming `what` and the value.
pub fn check_duration(what: &str, d: Duration) -> Result<Duration> {
    if d > MAX_DURATION {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "{what} of {} seconds is longer than 1000 years, the most kcertlib accepts",
                d.as_secs()
            ),
        ));
    }
    Ok(d)
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

// Civil-date conversions (proleptic Gregorian), after Howard Hinnant's public-domain algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_unix(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_bounded_and_never_wrap() {
        assert_eq!(parse_duration("1000y").ok(), Some(MAX_DURATION));
        assert_eq!(
            parse_duration("31536000000").ok(),
            Some(MAX_DURATION),
            "seconds"
        );
        for text in [
            "1001y",
            "31536000001",
            "365001d",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999y",
            "584942417355y",
            "213503982334602d",
            "999y999y",
        ] {
            let e = parse_duration(text).expect_err(text);
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(
                e.to_string().contains(text) && e.to_string().contains("1000 years"),
                "{e}"
            );
        }
        assert_eq!(days(365_000).ok(), Some(MAX_DURATION));
        for n in [365_001, 213_503_982_334_602, u64::MAX] {
            let e = days(n).expect_err("too long");
            assert!(e.to_string().contains(&n.to_string()), "{e}");
        }
        assert!(check_duration("backdate", Duration::from_secs(u64::MAX)).is_err());
        assert!(check_duration("backdate", MAX_DURATION).is_ok());
    }

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
