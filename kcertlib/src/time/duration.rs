//! Durations as people write them: `30d`, `12h`, `1d12h`, `10y`.
//!
//! The `kcert` command (`--backdate 2h`, `--expiring-within 30d`), the Python module
//! (`backdate="1h"`) and the C option setters all read this one syntax through
//! [`HumanDuration`]'s `FromStr`, and every duration kcertlib accepts is bounded by
//! [`MAX_DURATION`] here, so none of them keeps a rule of its own.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::MAX_DURATION;
use crate::error::{Error, ErrorKind, Result};

/// A whole number of seconds, at most [`MAX_DURATION`] (1000 years), written as `30d`, `12h`,
/// `90m`, `45s`, `2w`, `10y` (365 days each), or combinations such as `1d12h`. A bare number is
/// seconds.
///
/// `Display` writes the shortest form with the units `y`, `d`, `h`, `m` and `s` (`400d` is
/// `1y35d`, `0` is `0s`), and parsing it gives the same duration back.
///
/// ```
/// use kcertlib::time::HumanDuration;
/// use std::time::Duration;
///
/// let window: HumanDuration = "1d12h".parse()?;
/// assert_eq!(Duration::from(window), Duration::from_secs(36 * 3600));
/// assert_eq!(window.to_string(), "1d12h");
/// assert!("1001y".parse::<HumanDuration>().is_err());
/// # Ok::<(), kcertlib::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(Duration);

/// The units `Display` writes, largest first (a year is 365 days, as in parsing).
const UNITS: [(char, u64); 5] = [
    ('y', 365 * 86_400),
    ('d', 86_400),
    ('h', 3600),
    ('m', 60),
    ('s', 1),
];

impl HumanDuration {
    /// `duration` in whole seconds (any fraction is dropped: certificates hold seconds).
    ///
    /// # Errors
    /// `InvalidArgument` when it is longer than [`MAX_DURATION`].
    pub fn new(duration: Duration) -> Result<HumanDuration> {
        check_duration("a duration", duration)
            .map(|d| HumanDuration(Duration::from_secs(d.as_secs())))
    }

    /// The duration.
    pub const fn as_duration(self) -> Duration {
        self.0
    }

    /// Whole seconds.
    pub const fn as_secs(self) -> u64 {
        self.0.as_secs()
    }
}

impl From<HumanDuration> for Duration {
    fn from(value: HumanDuration) -> Duration {
        value.0
    }
}

impl TryFrom<Duration> for HumanDuration {
    type Error = Error;

    fn try_from(value: Duration) -> Result<HumanDuration> {
        HumanDuration::new(value)
    }
}

impl FromStr for HumanDuration {
    type Err = Error;

    /// # Errors
    /// `InvalidArgument` naming the text when it is not such a duration, or is longer than
    /// `MAX_DURATION` (however large the numbers in it: nothing wraps around).
    fn from_str(text: &str) -> Result<HumanDuration> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid duration {text:?}: {why} (examples: 30d, 12h, 1d12h, 10y)"),
            )
        };
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
            let unit = match c {
                'w' => 7 * 86_400,
                _ => match UNITS.iter().find(|(name, _)| *name == c) {
                    Some((_, secs)) => *secs,
                    None => return Err(bad(&format!("unknown unit {c:?}"))),
                },
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
            return Err(bad("longer than 1000 years, the most kcertlib accepts"));
        }
        Ok(HumanDuration(Duration::from_secs(total)))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_duration(f, self.0)
    }
}

/// Writes `duration` in the `HumanDuration` syntax (also for durations beyond its bound, which
/// `NotBefore::Backdate` can hold).
pub(crate) fn write_duration(f: &mut impl fmt::Write, duration: Duration) -> fmt::Result {
    let mut rest = duration.as_secs();
    if rest == 0 {
        return f.write_str("0s");
    }
    for (name, secs) in UNITS {
        if rest >= secs {
            write!(f, "{}{name}", rest / secs)?;
            rest %= secs;
        }
    }
    Ok(())
}

/// Parses a duration in the [`HumanDuration`] syntax.
///
/// # Errors
/// As `HumanDuration`'s `FromStr`.
pub fn parse_duration(text: &str) -> Result<Duration> {
    text.parse::<HumanDuration>().map(Duration::from)
}

/// A lifetime of `days` days: at least one, at most `MAX_DURATION` (365,000 days). The `kcert`
/// command's `--days`, the C `*_set_days` setters and Python's `days=` all check it here.
///
/// # Errors
/// `InvalidArgument` naming the number when it is 0 or larger than the bound.
pub fn days(days: u64) -> Result<Duration> {
    if days == 0 {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "a lifetime of 0 days: a certificate must live at least one day",
        ));
    }
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
        assert!(days(0).is_err());
        assert!(check_duration("backdate", Duration::from_secs(u64::MAX)).is_err());
        assert!(check_duration("backdate", MAX_DURATION).is_ok());
        assert!(HumanDuration::new(MAX_DURATION + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn syntax_and_errors() {
        for (text, secs) in [
            ("1h", 3600),
            ("365d", 365 * 86_400),
            ("2w", 14 * 86_400),
            (" 1d12h ", 36 * 3600),
            ("90m", 5400),
            ("45", 45),
            ("0s", 0),
        ] {
            assert_eq!(
                parse_duration(text).ok(),
                Some(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for (text, why) in [
            ("", "empty"),
            ("h", "a number must precede"),
            ("1d12", "has no unit"),
            ("3x", "unknown unit 'x'"),
            ("-1h", "unknown unit '-'"),
        ] {
            let e = parse_duration(text).expect_err(text);
            assert!(e.to_string().contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn display_round_trips() {
        for secs in [
            0,
            1,
            59,
            60,
            3600,
            5400,
            86_400,
            36 * 3600,
            30 * 86_400,
            365 * 86_400,
            400 * 86_400 + 3661,
            MAX_DURATION.as_secs(),
        ] {
            let d = HumanDuration::new(Duration::from_secs(secs)).expect("in range");
            let text = d.to_string();
            assert_eq!(text.parse::<HumanDuration>().ok(), Some(d), "{text}");
        }
        let show = |secs| HumanDuration::new(Duration::from_secs(secs)).map(|d| d.to_string());
        assert_eq!(show(0).ok().as_deref(), Some("0s"));
        assert_eq!(show(3600).ok().as_deref(), Some("1h"));
        assert_eq!(show(30 * 86_400).ok().as_deref(), Some("30d"));
        assert_eq!(
            show(400 * 86_400 + 3661).ok().as_deref(),
            Some("1y35d1h1m1s")
        );
        assert_eq!(
            HumanDuration::new(Duration::from_millis(1500))
                .map(HumanDuration::as_secs)
                .ok(),
            Some(1)
        );
    }
}
