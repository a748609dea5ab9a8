//! After a renewal, prove the running components serve the new certificates.
//!
//! `check_live(root)` scans the node, works out which components its layout runs and on which
//! port (`Component`), dials each on loopback with a bounded time (`dial`), reads the
//! certificate it serves, and judges it against the certificates on disk (`classify`): the file
//! on disk (current), an older one (outdated: restart the component), one matching nothing on
//! disk (its own in-memory certificate), or nothing at all (not running).
//!
//! Only 127.0.0.1 and ::1 are ever dialled; the addresses are built here, never read from the
//! tree or a kubeconfig. The TLS client records whatever the server presents and trusts none of
//! it. Available with the `aws-lc` feature (the TLS stack is rustls on aws-lc-rs).
//!
//! ```no_run
//! use kcertlib::live::{LiveOptions, check_live};
//!
//! # fn main() -> kcertlib::Result<()> {
//! let report = check_live(std::path::Path::new("/"), &LiveOptions::default())?;
//! if report.any_outdated() {
//!     eprintln!("{}", report.to_table());
//! }
//! # Ok(())
//! # }
//! ```

mod classify;
mod component;
mod dial;
mod recorder;
mod report;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use classify::{LiveState, MatchedBy};
pub use component::Component;

use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result};
use crate::inventory::{Inventory, ScanOptions, scan};
use crate::time::Timestamp;
use dial::Dialled;

/// The default bound on connecting to and reading the certificate of one component.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Options of `check_live`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiveOptions {
    /// Ports that replace a component's default; a component named here is dialled even when
    /// the layout does not run it.
    pub ports: BTreeMap<Component, u16>,
    /// The bound on connect plus handshake, per component (they are dialled in parallel).
    pub timeout: Duration,
    /// How the node is scanned first.
    pub scan: ScanOptions,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            ports: BTreeMap::new(),
            timeout: DEFAULT_TIMEOUT,
            scan: ScanOptions::default(),
        }
    }
}

impl LiveOptions {
    /// The same options with `component` dialled on `port`.
    pub fn with_port(mut self, component: Component, port: u16) -> LiveOptions {
        self.ports.insert(component, port);
        self
    }

    /// `with_port` for a component given by name (`kube-apiserver`, `etcd`, ...), as the
    /// command line and the bindings pass it.
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown component name or port 0.
    pub fn with_port_named(self, component: &str, port: u16) -> Result<LiveOptions> {
        let component = Component::from_name(component)?;
        if port == 0 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("port of {component} must be 1 to 65535, not 0"),
            ));
        }
        Ok(self.with_port(component, port))
    }

    /// `with_port_named` for each `COMPONENT=PORT` item of `text`, items separated by commas
    /// (`etcd=12379,kube-apiserver=16443`): how the command line and the C library spell
    /// port overrides.
    ///
    /// # Errors
    /// `InvalidArgument` naming the item that is not `COMPONENT=PORT`, names an unknown
    /// component, or has a port outside 1 to 65535.
    pub fn with_ports_text(mut self, text: &str) -> Result<LiveOptions> {
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let invalid = |why: &str| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!("port override {item:?}: {why}"),
                )
            };
            let (name, port) = item
                .split_once('=')
                .ok_or_else(|| invalid("not COMPONENT=PORT (e.g. etcd=12379)"))?;
            let port: u16 = port
                .trim()
                .parse()
                .map_err(|_| invalid("the port is not a number from 1 to 65535"))?;
            self = self.with_port_named(name.trim(), port)?;
        }
        Ok(self)
    }

    /// The same options with this per-component timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> LiveOptions {
        self.timeout = timeout;
        self
    }

    /// The same options scanning the node with `scan`.
    pub fn with_scan(mut self, scan: ScanOptions) -> LiveOptions {
        self.scan = scan;
        self
    }
}

/// What one component serves.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ComponentReport {
    /// The component.
    pub component: Component,
    /// The port dialled.
    pub port: u16,
    /// The loopback address that answered (or was tried first).
    pub address: SocketAddr,
    /// The verdict.
    pub state: LiveState,
    /// How the served certificate was tied to an entry on disk.
    pub matched_by: Option<MatchedBy>,
    /// The inventory entry it was tied to.
    pub entry: Option<String>,
    /// The certificate served (leaf), when one was read.
    pub served: Option<Certificate>,
    /// The entry's certificate on disk, when one was tied.
    pub on_disk: Option<Certificate>,
    /// What was seen, in words (why it is outdated, why nothing was read).
    pub detail: String,
}

/// What every component of a node serves.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LiveReport {
    /// The root that was scanned (canonical).
    pub root: PathBuf,
    /// When the check ran.
    pub checked_at: Timestamp,
    /// One report per component, in `Component::all()` order.
    pub components: Vec<ComponentReport>,
}

impl LiveReport {
    /// Whether any component serves an older certificate than the one on disk.
    pub fn any_outdated(&self) -> bool {
        self.outdated().next().is_some()
    }

    /// The components that serve an older certificate than the one on disk.
    pub fn outdated(&self) -> impl Iterator<Item = &ComponentReport> {
        self.components
            .iter()
            .filter(|c| c.state == LiveState::Outdated)
    }
}

/// Scans `root` and checks what each of its components serves on loopback.
///
/// # Errors
/// Those of `scan` (an unusable root); every per-component problem is reported inside the
/// component's report.
pub fn check_live(root: &Path, options: &LiveOptions) -> Result<LiveReport> {
    let inventory = scan(root, &options.scan)?;
    Ok(check_inventory(&inventory, options))
}

/// Checks what the components of an already scanned node serve on loopback.
pub fn check_inventory(inventory: &Inventory, options: &LiveOptions) -> LiveReport {
    let mut ports: BTreeMap<Component, u16> = component::default_ports(&inventory.distributions)
        .into_iter()
        .collect();
    ports.extend(&options.ports);
    // Dialled in parallel: a stalled component costs one timeout, not one per component.
    let dialled: Vec<(Component, u16, Dialled)> = std::thread::scope(|s| {
        let handles: Vec<_> = ports
            .iter()
            .map(|(&component, &port)| {
                let timeout = options.timeout;
                (component, port, s.spawn(move || dial::dial(port, timeout)))
            })
            .collect();
        handles
            .into_iter()
            .map(|(component, port, handle)| {
                let result = handle.join().unwrap_or_else(|_| Dialled::NoCertificate {
                    address: dial::loopback(port),
                    reason: "the TLS client panicked".into(),
                });
                (component, port, result)
            })
            .collect()
    });
    LiveReport {
        root: inventory.root.clone(),
        checked_at: Timestamp::now(),
        components: dialled
            .into_iter()
            .map(|(component, port, result)| judge(component, port, result, inventory))
            .collect(),
    }
}

fn judge(
    component: Component,
    port: u16,
    result: Dialled,
    inventory: &Inventory,
) -> ComponentReport {
    let mut report = ComponentReport {
        component,
        port,
        address: dial::loopback(port),
        state: LiveState::NotRunning,
        matched_by: None,
        entry: None,
        served: None,
        on_disk: None,
        detail: String::new(),
    };
    match result {
        Dialled::NotRunning { address, reason } => {
            report.address = address;
            report.detail = reason;
        }
        Dialled::NoCertificate { address, reason } => {
            report.address = address;
            report.state = LiveState::NoCertificate;
            report.detail = reason;
        }
        Dialled::Served {
            address,
            chain,
            handshake_error,
        } => {
            report.address = address;
            let leaf = chain
                .into_iter()
                .next()
                .map(Certificate::from_der_vec)
                .transpose();
            match leaf {
                Ok(Some(served)) => {
                    let judgement = classify::judge(&served, inventory);
                    report.state = judgement.state;
                    report.matched_by = judgement.matched_by;
                    report.entry = judgement.entry.map(|e| e.name.clone());
                    report.on_disk = judgement.entry.and_then(|e| e.certificate.clone());
                    report.detail = judgement.detail;
                    report.served = Some(served);
                }
                Ok(None) => {
                    report.state = LiveState::NoCertificate;
                    report.detail = "the server sent an empty certificate list".into();
                }
                Err(e) => {
                    report.state = LiveState::NoCertificate;
                    report.detail = format!("the served certificate does not parse: {e}");
                }
            }
            // A server that wants a client certificate refuses us after sending its own:
            // expected, and said only for the record.
            if let Some(error) = handshake_error {
                report
                    .detail
                    .push_str(&format!(" (handshake then ended: {error})"));
            }
        }
    }
    report
}
