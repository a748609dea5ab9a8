//! The defaults of every option, in one place: the library, the `kcert` command and the C and
//! Python bindings all take them from here.

use std::time::Duration;

/// Lifetime of a renewed or issued leaf certificate in days: 365, as kubeadm, RKE and k3s give.
/// The Python module's `days=` keyword defaults to it.
pub const LIFETIME_DAYS: u64 = 365;

/// [`LIFETIME_DAYS`] as a duration.
pub const LIFETIME: Duration = Duration::from_secs(LIFETIME_DAYS * 86_400);

/// How far `notBefore` is set back from now: one hour, so a node whose clock runs a little
/// behind accepts the certificate at once (dynamiclistener backdates by an hour too).
pub const BACKDATE: Duration = Duration::from_secs(3600);

/// A certificate expiring within this window is reported as `warning`: 30 days, the window
/// monitoring users alert on.
pub const WARN_WITHIN: Duration = Duration::from_secs(30 * 86_400);
