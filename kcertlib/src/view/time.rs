//! `Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }` read from DER, with the
//! forms RFC 5280 §4.1.2.5 allows: `YYMMDDHHMMSSZ` (years 1950–2049) and `YYYYMMDDHHMMSSZ`.

use der::DateTime;

use crate::time::Timestamp;
use crate::tlv::{GENERALIZED_TIME, Malformed, Tlv, UTC_TIME, Walk};

/// The point in time a Time element names.
///
/// `what` is the error's text when the element is not a valid UTCTime or GeneralizedTime.
pub(crate) fn parse(time: Tlv<'_>, what: &'static str) -> Walk<Timestamp> {
    let bad = || Malformed(what);
    let (year, rest) = match (time.tag, time.content.len()) {
        (UTC_TIME, 13) => {
            let yy = u16::from(two_digits(&time.content[..2]).ok_or_else(bad)?);
            (
                if yy >= 50 { 1900 + yy } else { 2000 + yy },
                &time.content[2..],
            )
        }
        (GENERALIZED_TIME, 15) => {
            let hi = u16::from(two_digits(&time.content[..2]).ok_or_else(bad)?);
            let lo = u16::from(two_digits(&time.content[2..4]).ok_or_else(bad)?);
            (hi * 100 + lo, &time.content[4..])
        }
        _ => return Err(bad()),
    };
    // rest = MMDDHHMMSSZ
    if rest[10] != b'Z' {
        return Err(bad());
    }
    let field = |i: usize| two_digits(&rest[i..i + 2]).ok_or_else(bad);
    let (month, day, hour, minute, second) =
        (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    let at = DateTime::new(year, month, day, hour, minute, second).map_err(|_| bad())?;
    let secs = at.unix_duration().as_secs();
    Ok(Timestamp::from_unix(
        i64::try_from(secs).map_err(|_| bad())?,
    ))
}

fn two_digits(text: &[u8]) -> Option<u8> {
    match text {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tag: u8, text: &str) -> Walk<Timestamp> {
        let raw = crate::tlv::wrap(tag, &[text.as_bytes()]);
        let (tlv, _) = crate::tlv::split(&raw)?;
        parse(tlv, "bad notAfter")
    }

    #[test]
    fn utc_and_generalized_times() {
        let t = |s: &str| Timestamp::parse_rfc3339(s).ok();
        assert_eq!(
            at(UTC_TIME, "491231235959Z").ok(),
            t("2049-12-31T23:59:59Z")
        );
        assert_eq!(
            at(UTC_TIME, "700101000000Z").ok(),
            t("1970-01-01T00:00:00Z")
        );
        assert_eq!(
            at(UTC_TIME, "000229120000Z").ok(),
            t("2000-02-29T12:00:00Z")
        );
        assert_eq!(
            at(GENERALIZED_TIME, "21250101000000Z").ok(),
            t("2125-01-01T00:00:00Z")
        );
        for bad in [
            "491231235959",
            "4912312359590",
            "491331235959Z",
            "490230235959Z",
            "491231245959Z",
            "491231235960Z",
            "49123123595aZ",
            "4912312359+0Z",
        ] {
            assert!(at(UTC_TIME, bad).is_err(), "{bad}");
        }
        assert!(at(GENERALIZED_TIME, "20250101000000.5Z").is_err());
        assert!(at(GENERALIZED_TIME, "491231235959Z").is_err());
        assert!(at(0x04, "491231235959Z").is_err());
    }
}
