//! The validity policy: how long a new certificate lives and where its `notBefore` lies.
//!
//! Backdating `notBefore` is what people use libfaketime for today: a node whose clock is behind,
//! or a peer that checks a freshly renewed certificate before its clock catches up, must not see
//! `certificate is not yet valid`. By default the result stays inside the issuing CA's window,
//! because a leaf that outlives its CA fails verification the day the CA expires.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;

use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
use crate::time::duration::write_duration;
use crate::time::{HumanDuration, LAST_ENCODABLE, Timestamp};

/// Where the new `notBefore` lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotBefore {
    /// `now - duration` (default: one hour, as dynamiclistener does).
    Backdate(Duration),
    /// The CA's own `notBefore` (what kubeadm < 1.31 and RKE do).
    CaNotBefore,
    /// The `notBefore` of the certificate being re-signed.
    KeepOriginal,
    /// A fixed time.
    At(Timestamp),
}

impl FromStr for NotBefore {
    type Err = Error;

    /// Reads the rule as the `kcert` command, the Python module and the C setters take it:
    /// `ca` (the CA's `notBefore`), `keep` (the certificate's own), an RFC 3339 UTC time
    /// (`2026-01-31T12:00:00Z`: a fixed `notBefore`), or a backdate in the [`HumanDuration`]
    /// syntax (`1h`, `365d`). Words are matched without regard to case and surrounding space.
    ///
    /// ```
    /// use kcertlib::NotBefore;
    /// use std::time::Duration;
    ///
    /// assert_eq!("2h".parse::<NotBefore>()?, NotBefore::Backdate(Duration::from_secs(7200)));
    /// assert_eq!("CA".parse::<NotBefore>()?, NotBefore::CaNotBefore);
    /// assert_eq!(NotBefore::KeepOriginal.to_string().parse::<NotBefore>()?, NotBefore::KeepOriginal);
    /// # Ok::<(), kcertlib::Error>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidArgument` naming the text and the accepted forms.
    fn from_str(text: &str) -> Result<NotBefore> {
        let word = text.trim();
        if word.eq_ignore_ascii_case("ca") {
            return Ok(NotBefore::CaNotBefore);
        }
        if word.eq_ignore_ascii_case("keep") {
            return Ok(NotBefore::KeepOriginal);
        }
        // A time has a date (`2026-01-31`); a duration never holds a `-`.
        if word.contains('-') && word.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return Timestamp::parse_rfc3339(word).map(NotBefore::At);
        }
        word.parse::<HumanDuration>()
            .map(|d| NotBefore::Backdate(d.as_duration()))
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "{}; a notBefore rule is a backdate such as 1h, `ca` (the CA's \
                         notBefore), `keep` (the certificate's own) or an RFC 3339 time",
                        e.message()
                    ),
                )
            })
    }
}

impl fmt::Display for NotBefore {
    /// The form `FromStr` reads back: `1h`, `ca`, `keep`, `2026-01-31T12:00:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotBefore::Backdate(d) => write_duration(f, *d),
            NotBefore::CaNotBefore => f.write_str("ca"),
            NotBefore::KeepOriginal => f.write_str("keep"),
            NotBefore::At(t) => write!(f, "{t}"),
        }
    }
}

/// What to do when the requested window leaves the CA's window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IssuerWindow {
    /// Pull `notBefore`/`notAfter` inside the CA's validity and report it (the default).
    #[default]
    Clamp,
    /// Let the certificate outlive its CA. It will stop verifying when the CA expires.
    DangerousAllowOutliving,
}

/// Lifetime and `notBefore` rule for certificates kcertlib signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidityPolicy {
    /// `notAfter = now + lifetime`. Default 365 days.
    pub lifetime: Duration,
    /// Default `Backdate(1 hour)`.
    pub not_before: NotBefore,
    /// Default `Clamp`.
    pub issuer_window: IssuerWindow,
    /// The time taken as "now"; `None` reads the clock. Tests and the demo pin it.
    pub now: Option<Timestamp>,
}

impl Default for ValidityPolicy {
    fn default() -> Self {
        ValidityPolicy {
            lifetime: crate::defaults::LIFETIME,
            not_before: NotBefore::Backdate(crate::defaults::BACKDATE),
            issuer_window: IssuerWindow::Clamp,
            now: None,
        }
    }
}

/// An adjustment made to keep a certificate inside its CA's window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Clamp {
    /// `notBefore` was raised from `requested` to the CA's `notBefore`.
    NotBeforeRaised {
        /// The `notBefore` the policy asked for (Unix seconds).
        requested: i64,
        /// The `notBefore` used (Unix seconds).
        used: i64,
    },
    /// `notAfter` was lowered from `requested` to the CA's `notAfter`.
    NotAfterLowered {
        /// The `notAfter` the policy asked for (Unix seconds).
        requested: i64,
        /// The `notAfter` used (Unix seconds).
        used: i64,
    },
}

impl std::fmt::Display for Clamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Clamp::NotBeforeRaised { requested, used } => write!(
                f,
                "notBefore raised from {} to the CA's notBefore {}",
                Timestamp::from_unix(*requested),
                Timestamp::from_unix(*used)
            ),
            Clamp::NotAfterLowered { requested, used } => write!(
                f,
                "notAfter lowered from {} to the CA's notAfter {} (renew the CA to go further)",
                Timestamp::from_unix(*requested),
                Timestamp::from_unix(*used)
            ),
        }
    }
}

/// A concrete window, with the clamps that produced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedValidity {
    /// The new `notBefore`.
    pub not_before: Timestamp,
    /// The new `notAfter`.
    pub not_after: Timestamp,
    /// Adjustments made to stay within the CA (empty when none were needed).
    pub clamps: Vec<Clamp>,
}

impl ValidityPolicy {
    /// A policy with this lifetime in days and the other defaults.
    pub fn days(days: u64) -> ValidityPolicy {
        ValidityPolicy {
            lifetime: Duration::from_secs(days.saturating_mul(86_400)),
            ..ValidityPolicy::default()
        }
    }

    /// The same policy with `notAfter = now + lifetime`.
    pub fn with_lifetime(mut self, lifetime: Duration) -> ValidityPolicy {
        self.lifetime = lifetime;
        self
    }

    /// The same policy with this `notBefore` rule.
    pub fn with_not_before(mut self, not_before: NotBefore) -> ValidityPolicy {
        self.not_before = not_before;
        self
    }

    /// The same policy with this rule for the CA's own window.
    pub fn with_issuer_window(mut self, issuer_window: IssuerWindow) -> ValidityPolicy {
        self.issuer_window = issuer_window;
        self
    }

    /// The same policy with "now" pinned to `now` (tests, demos, planning ahead).
    pub fn at(mut self, now: Timestamp) -> ValidityPolicy {
        self.now = Some(now);
        self
    }

    /// The time this policy takes as "now".
    pub fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(Timestamp::now)
    }

    /// Computes the window for a certificate signed by `issuer` (`None` for a self-signed one),
    /// replacing `original` (`None` for a new one).
    ///
    /// # Errors
    /// `InvalidArgument` for `KeepOriginal` without an original or a zero lifetime;
    /// `Validity` when the lifetime would end after 9999-12-31T23:59:59Z (the last time a
    /// certificate can hold; arithmetic overflow included) or the backdate would go before
    /// the start of `i64` seconds, naming the value, or when nothing is left of the window after
    /// clamping (e.g. the CA has expired), naming the CA's dates.
    pub fn resolve(
        &self,
        original: Option<&Certificate>,
        issuer: Option<&Certificate>,
    ) -> Result<ResolvedValidity> {
        if self.lifetime.is_zero() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the lifetime must be longer than zero",
            ));
        }
        let now = self.now();
        let mut not_before = match self.not_before {
            NotBefore::Backdate(d) => now.checked_minus(d).ok_or_else(|| {
                Error::new(
                    ErrorKind::Validity,
                    format!(
                        "a backdate of {} seconds before {now} is out of range",
                        d.as_secs()
                    ),
                )
            })?,
            NotBefore::At(t) => t,
            NotBefore::KeepOriginal => original
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidArgument,
                        "notBefore policy KeepOriginal needs a certificate being re-signed",
                    )
                })?
                .not_before(),
            NotBefore::CaNotBefore => issuer.map_or(now, Certificate::not_before),
        };
        let mut not_after = now
            .checked_plus(self.lifetime)
            .filter(|t| *t <= LAST_ENCODABLE)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Validity,
                    format!(
                        "a lifetime of {} seconds ({} days) from {now} ends after {LAST_ENCODABLE}, the last time a certificate can hold",
                        self.lifetime.as_secs(),
                        self.lifetime.as_secs() / 86_400
                    ),
                )
            })?;
        let mut clamps = Vec::new();
        if let Some(ca) = issuer {
            if not_before < ca.not_before() {
                clamps.push(Clamp::NotBeforeRaised {
                    requested: not_before.unix(),
                    used: ca.not_before().unix(),
                });
                not_before = ca.not_before();
            }
            if not_after > ca.not_after() && self.issuer_window == IssuerWindow::Clamp {
                clamps.push(Clamp::NotAfterLowered {
                    requested: not_after.unix(),
                    used: ca.not_after().unix(),
                });
                not_after = ca.not_after();
            }
            if not_after <= now {
                return Err(Error::new(
                    ErrorKind::Validity,
                    format!(
                        "the CA {:?} expired at {}: a certificate it signs cannot be valid now; renew the CA first (include_ca) or pass the option that lets a leaf outlive its CA",
                        ca.subject(),
                        ca.not_after()
                    ),
                ));
            }
        }
        if not_before >= not_after {
            return Err(Error::new(
                ErrorKind::Validity,
                format!(
                    "empty validity window: notBefore {not_before} is not before notAfter {not_after}"
                ),
            ));
        }
        Ok(ResolvedValidity {
            not_before,
            not_after,
            clamps,
        })
    }
}

impl ResolvedValidity {
    /// The DER `Validity` SEQUENCE (UTCTime through 2049, GeneralizedTime from 2050).
    ///
    /// # Errors
    /// `Validity` for times outside 1970..=9999.
    pub(crate) fn to_der(&self) -> Result<Vec<u8>> {
        use der::Encode;
        let enc = |t: Timestamp| -> Result<Vec<u8>> {
            t.to_asn1()?
                .to_der()
                .map_err(|e| Error::new(ErrorKind::Validity, format!("encoding time {t}: {e}")))
        };
        let nb = enc(self.not_before)?;
        let na = enc(self.not_after)?;
        Ok(crate::tlv::wrap(crate::tlv::SEQUENCE, &[&nb, &na]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_before_rules_parse_and_round_trip() {
        for (text, rule) in [
            ("1h", NotBefore::Backdate(Duration::from_secs(3600))),
            (
                "365d",
                NotBefore::Backdate(Duration::from_secs(365 * 86_400)),
            ),
            ("0s", NotBefore::Backdate(Duration::ZERO)),
            (" ca ", NotBefore::CaNotBefore),
            ("KEEP", NotBefore::KeepOriginal),
            (
                "2026-01-31T12:00:00Z",
                NotBefore::At(Timestamp::from_unix(1_769_860_800)),
            ),
        ] {
            assert_eq!(text.parse::<NotBefore>().ok(), Some(rule), "{text}");
            assert_eq!(
                rule.to_string().parse::<NotBefore>().ok(),
                Some(rule),
                "{rule}"
            );
        }
        assert_eq!(
            NotBefore::Backdate(Duration::from_secs(7200)).to_string(),
            "2h"
        );
        for (text, why) in [
            ("later", "unknown unit"),
            ("", "empty"),
            ("1001y", "1000 years"),
            ("2026-13-01T00:00:00Z", "invalid time"),
        ] {
            let e = text.parse::<NotBefore>().expect_err(text);
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.to_string().contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn a_huge_lifetime_or_backdate_is_a_validity_error_not_an_overflow() {
        let now = Timestamp::from_unix(1_800_000_000);
        for lifetime in [
            Duration::from_secs(u64::MAX),
            Duration::from_secs(i64::MAX as u64),
            Duration::from_secs(LAST_ENCODABLE.unix() as u64),
        ] {
            let policy = ValidityPolicy {
                lifetime,
                now: Some(now),
                issuer_window: IssuerWindow::DangerousAllowOutliving,
                ..ValidityPolicy::default()
            };
            let e = policy.resolve(None, None).expect_err("too long");
            assert_eq!(e.kind(), ErrorKind::Validity, "{e}");
            assert!(
                e.to_string().contains(&lifetime.as_secs().to_string()),
                "{e}"
            );
        }
        let policy = ValidityPolicy {
            not_before: NotBefore::Backdate(Duration::from_secs(u64::MAX)),
            now: Some(now),
            ..ValidityPolicy::default()
        };
        let e = policy.resolve(None, None).expect_err("out of range");
        assert_eq!(e.kind(), ErrorKind::Validity, "{e}");
        // The last encodable second is still fine.
        let until_end = (LAST_ENCODABLE.unix() - now.unix()) as u64;
        let policy = ValidityPolicy {
            lifetime: Duration::from_secs(until_end),
            now: Some(now),
            ..ValidityPolicy::default()
        };
        let window = policy
            .resolve(None, None)
            .expect("ends at 9999-12-31T23:59:59Z");
        assert_eq!(window.not_after, LAST_ENCODABLE);
        assert!(window.to_der().is_ok());
    }
}
