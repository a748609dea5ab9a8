//! The validity settings shared by the resign and renew option handles: lifetime in days,
//! `notBefore` mode and backdate, and a pinned "now". The rules (ranges, the text syntax of a
//! `notBefore` rule, the defaults) are the core's; these setters only convert C values.

use std::time::Duration;

use kcertlib::{IssuerWindow, NotBefore, Timestamp, ValidityPolicy, defaults};

use crate::error::FfiError;

/// How the new `notBefore` is chosen (a `uint32_t`; use the `KCERT_NOT_BEFORE_*` constants).
pub type kcert_not_before_mode = u32;

/// `notBefore = now - backdate` (default; backdate `kcertlib::defaults::BACKDATE`, one hour).
pub const KCERT_NOT_BEFORE_BACKDATE: kcert_not_before_mode = 0;
/// `notBefore` = the CA's own `notBefore` (what kubeadm before 1.31 and RKE do).
pub const KCERT_NOT_BEFORE_CA: kcert_not_before_mode = 1;
/// `notBefore` of the certificate being re-signed is kept.
pub const KCERT_NOT_BEFORE_KEEP_ORIGINAL: kcert_not_before_mode = 2;

/// Validity settings as C sets them one by one; turned into a `ValidityPolicy` when used.
#[derive(Clone, Debug)]
pub(crate) struct ValiditySettings {
    lifetime: Duration,
    mode: Mode,
    backdate: Duration,
    now: Option<Timestamp>,
    allow_outliving_ca: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Backdate,
    CaNotBefore,
    KeepOriginal,
    At(Timestamp),
}

impl Default for ValiditySettings {
    fn default() -> Self {
        ValiditySettings {
            lifetime: defaults::LIFETIME,
            mode: Mode::Backdate,
            backdate: defaults::BACKDATE,
            now: None,
            allow_outliving_ca: false,
        }
    }
}

impl ValiditySettings {
    pub(crate) fn set_days(&mut self, days: u32) -> Result<(), FfiError> {
        self.lifetime = kcertlib::time::days(u64::from(days))?;
        Ok(())
    }

    /// Sets the rule from text the core's `NotBefore` parser reads: `1h`, `ca`, `keep` or an
    /// RFC 3339 time.
    pub(crate) fn set_not_before_text(&mut self, rule: &str) -> Result<(), FfiError> {
        match rule.parse::<NotBefore>()? {
            NotBefore::Backdate(d) => {
                self.mode = Mode::Backdate;
                self.backdate = d;
            }
            NotBefore::CaNotBefore => self.mode = Mode::CaNotBefore,
            NotBefore::KeepOriginal => self.mode = Mode::KeepOriginal,
            NotBefore::At(t) => self.mode = Mode::At(t),
        }
        Ok(())
    }

    pub(crate) fn set_backdate_seconds(&mut self, seconds: u64) -> Result<(), FfiError> {
        self.backdate = kcertlib::time::check_duration("a backdate", Duration::from_secs(seconds))?;
        Ok(())
    }

    pub(crate) fn set_mode(&mut self, mode: kcert_not_before_mode) -> Result<(), FfiError> {
        self.mode = match mode {
            KCERT_NOT_BEFORE_BACKDATE => Mode::Backdate,
            KCERT_NOT_BEFORE_CA => Mode::CaNotBefore,
            KCERT_NOT_BEFORE_KEEP_ORIGINAL => Mode::KeepOriginal,
            other => {
                return Err(FfiError::invalid_argument(format!(
                    "unknown notBefore mode {other}: use KCERT_NOT_BEFORE_BACKDATE (0), \
                     KCERT_NOT_BEFORE_CA (1) or KCERT_NOT_BEFORE_KEEP_ORIGINAL (2)"
                )));
            }
        };
        Ok(())
    }

    pub(crate) fn set_not_before_at(&mut self, unix: i64) {
        self.mode = Mode::At(Timestamp::from_unix(unix));
    }

    pub(crate) fn set_now(&mut self, unix: i64) {
        self.now = Some(Timestamp::from_unix(unix));
    }

    pub(crate) fn set_allow_outliving_ca(&mut self, allow: bool) {
        self.allow_outliving_ca = allow;
    }

    pub(crate) fn policy(&self) -> ValidityPolicy {
        let mut policy = ValidityPolicy::default()
            .with_lifetime(self.lifetime)
            .with_not_before(match self.mode {
                Mode::Backdate => NotBefore::Backdate(self.backdate),
                Mode::CaNotBefore => NotBefore::CaNotBefore,
                Mode::KeepOriginal => NotBefore::KeepOriginal,
                Mode::At(t) => NotBefore::At(t),
            })
            .with_issuer_window(if self.allow_outliving_ca {
                IssuerWindow::DangerousAllowOutliving
            } else {
                IssuerWindow::Clamp
            });
        policy.now = self.now;
        policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_core_defaults() {
        assert_eq!(
            ValiditySettings::default().policy(),
            ValidityPolicy::default()
        );
    }

    #[test]
    fn setters_change_the_policy_and_reject_nonsense() {
        let mut s = ValiditySettings::default();
        assert!(s.set_days(0).is_err());
        assert!(s.set_days(365_001).is_err(), "more than 1000 years");
        assert!(s.set_days(u32::MAX).is_err());
        assert!(s.set_backdate_seconds(u64::MAX).is_err());
        assert!(s.set_backdate_seconds(7200).is_ok());
        assert!(s.set_mode(7).is_err());
        assert!(s.set_days(30).is_ok());
        assert!(s.set_mode(KCERT_NOT_BEFORE_CA).is_ok());
        s.set_now(1_000_000);
        let p = s.policy();
        assert_eq!(p.lifetime, Duration::from_secs(30 * 86_400));
        assert_eq!(p.not_before, NotBefore::CaNotBefore);
        assert_eq!(p.now, Some(Timestamp::from_unix(1_000_000)));
        s.set_not_before_at(5);
        assert_eq!(
            s.policy().not_before,
            NotBefore::At(Timestamp::from_unix(5))
        );
        assert!(s.set_not_before_text("2h").is_ok());
        assert_eq!(
            s.policy().not_before,
            NotBefore::Backdate(Duration::from_secs(7200))
        );
        assert!(s.set_not_before_text("keep").is_ok());
        assert_eq!(s.policy().not_before, NotBefore::KeepOriginal);
        assert!(s.set_not_before_text("soonish").is_err());
        assert_eq!(s.policy().not_before, NotBefore::KeepOriginal, "unchanged");
    }
}
