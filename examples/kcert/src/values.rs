//! Parsers for option values, used by clap (`value_parser = ...`). Each checks the range the
//! core accepts and names the value in its message, so a typo is a usage error (exit 64), never
//! a wrapped-around lifetime or a silently clamped window.

use std::time::Duration;

use kcertlib::Timestamp;
use kcertlib::time::parse_duration;

/// A duration such as `30d`, `12h`, `1d12h` or `10y`: at most 1000 years
/// (`kcertlib::time::MAX_DURATION`).
pub fn duration(value: &str) -> Result<Duration, String> {
    parse_duration(value).map_err(|e| e.message().to_string())
}

/// `--days N`: a lifetime of 1 to 365,000 days (1000 years).
pub fn days(value: &str) -> Result<Duration, String> {
    let days: u64 = value
        .trim()
        .parse()
        .map_err(|_| format!("{value:?} is not a whole number of days from 1 to 365000"))?;
    kcertlib::time::days(days).map_err(|e| e.message().to_string())
}

/// `--backdate DUR|ca|keep|TIME`: the core's own reading of the `notBefore` rule (how far
/// before now, the CA's, the certificate's own, or a fixed RFC 3339 time).
pub fn backdate(value: &str) -> Result<kcertlib::NotBefore, String> {
    value
        .parse::<kcertlib::NotBefore>()
        .map_err(|e| e.message().to_string())
}

/// `--threads N`: N threads, 0 for one per core.
pub fn threads(value: &str) -> Result<kcertlib::Threads, String> {
    value
        .parse::<usize>()
        .map(kcertlib::Threads::from_count)
        .map_err(|_| format!("{value:?} is not a number of threads (0 = one per core)"))
}

/// `--at WHEN`: an RFC 3339 time (`2027-03-01T12:00:00Z`), a date (`2027-03-01`, midnight
/// UTC), or an offset from now (`+90d`, `-1w`) within 1000 years.
pub fn at(value: &str) -> Result<Timestamp, String> {
    let text = value.trim();
    let offset = |sign: char| text.strip_prefix(sign).map(duration);
    if let Some(later) = offset('+') {
        return checked(Timestamp::now().checked_plus(later?), value);
    }
    if let Some(earlier) = offset('-') {
        return checked(Timestamp::now().checked_minus(earlier?), value);
    }
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    Timestamp::parse_rfc3339(&full).map_err(|_| {
        format!("{value:?} is not a time: use 2027-03-01, 2027-03-01T12:00:00Z or +90d")
    })
}

fn checked(t: Option<Timestamp>, value: &str) -> Result<Timestamp, String> {
    t.ok_or_else(|| format!("{value:?} is out of range"))
}

/// `--live-port COMPONENT=PORT`: a component the live check knows (`kube-apiserver`, `etcd`,
/// `etcd-peer`, `kubelet`, `kube-controller-manager`, `kube-scheduler`, `supervisor`) and a
/// port from 1 to 65535, read by the core's rule (`LiveOptions::with_ports_text`).
pub fn live_port(value: &str) -> Result<(kcertlib::live::Component, u16), String> {
    let options = kcertlib::live::LiveOptions::default()
        .with_ports_text(value)
        .map_err(|e| e.message().to_string())?;
    match options.ports.into_iter().collect::<Vec<_>>()[..] {
        [one] => Ok(one),
        _ => Err(format!(
            "{value:?} is not one COMPONENT=PORT (e.g. etcd=12379)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_takes_dates_times_and_offsets() {
        assert_eq!(
            at("2027-03-01").ok(),
            Timestamp::parse_rfc3339("2027-03-01T00:00:00Z").ok()
        );
        assert!(at("2027-03-01T12:00:00Z").is_ok());
        let now = Timestamp::now();
        let later = at("+90d").expect("offset");
        assert!(later.unix() - now.unix() >= 90 * 86_400);
        assert!(at("+1001y").is_err());
        assert!(at("tomorrow").is_err());
        assert!(at("2027-13-01").is_err());
    }

    #[test]
    fn days_are_bounded() {
        assert!(days("365000").is_ok());
        for bad in ["0", "365001", "-5", "x", "99999999999999999999999"] {
            assert!(days(bad).is_err(), "{bad}");
        }
    }
}
