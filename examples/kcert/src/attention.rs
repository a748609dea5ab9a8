//! What a script may trust: whether a node's certificates need a person, and whether there
//! was anything to look at at all. `check` and `renew` share this judgement, so "exit 0" means
//! the same thing after either.

use std::collections::BTreeSet;
use std::path::Path;

use kcertlib::inventory::{EntryStatus, Inventory};
use kcertlib::{Distribution, Entry};

use crate::exit::Failure;

/// One entry a person must look at, and why.
#[derive(Clone, Debug)]
pub struct Attention {
    /// The inventory name.
    pub name: String,
    /// Why, with the time or file concerned.
    pub reason: String,
}

/// The entries that need a person, by name: expired, not yet valid, expiring within the
/// scan's window, unreadable, or required and missing. `fixed` names entries a dry run would
/// renew (they and their copies are judged fixed); a real renewal passes the rescan instead.
///
/// An optional entry that is absent (`super-admin.conf` before kubeadm 1.29 or off the first
/// control-plane node, a kubelet file kubelet has not written) is not missing: the core records
/// a problem for an absent entry only when its distribution requires it.
pub fn needs_person(inventory: &Inventory, fixed: &BTreeSet<String>) -> Vec<Attention> {
    let mut out: Vec<Attention> = inventory
        .entries
        .iter()
        .filter(|e| !fixed.contains(&e.name))
        .filter(|e| !e.copy_of.as_ref().is_some_and(|o| fixed.contains(o)))
        .filter_map(|e| {
            reason(e).map(|reason| Attention {
                name: e.name.clone(),
                reason,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn reason(e: &Entry) -> Option<String> {
    let cert = e.certificate.as_ref();
    let problems = || {
        if e.problems.is_empty() {
            String::new()
        } else {
            format!(": {}", e.problems.join("; "))
        }
    };
    Some(match e.status {
        EntryStatus::Ok => return None,
        EntryStatus::Missing if e.problems.is_empty() => return None,
        EntryStatus::Expired => format!(
            "expired {}",
            cert.map(|c| c.not_after().to_rfc3339()).unwrap_or_default()
        ),
        EntryStatus::Warning => format!(
            "expires {}, within the window",
            cert.map(|c| c.not_after().to_rfc3339()).unwrap_or_default()
        ),
        EntryStatus::NotYetValid => format!(
            "not valid before {}",
            cert.map(|c| c.not_before().to_rfc3339())
                .unwrap_or_default()
        ),
        EntryStatus::Missing => format!("missing{}", problems()),
        EntryStatus::Error => format!("unreadable{}", problems()),
    })
}

impl Attention {
    /// `{"name": ..., "reason": ...}`, as the JSON outputs list it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "name": self.name, "reason": self.reason })
    }
}

/// The list for stderr: `kcert: N entries need a person:` then one line each.
pub fn describe(list: &[Attention]) -> String {
    let mut out = format!(
        "kcert: {} {} a person:\n",
        list.len(),
        if list.len() == 1 {
            "entry needs"
        } else {
            "entries need"
        }
    );
    for a in list {
        out.push_str(&format!("  {}: {}\n", a.name, a.reason));
    }
    out
}

/// Fails (exit 2) when the scan found no certificate at all under `root`: an empty table and
/// exit 0 would read as "all good" for a `--root` that points at the wrong place.
pub fn require_something(inventory: &Inventory, root: &Path) -> Result<(), Failure> {
    if inventory
        .entries
        .iter()
        .any(|e| e.status != EntryStatus::Missing)
    {
        return Ok(());
    }
    let looked: Vec<String> = Distribution::all()
        .iter()
        .map(|d| format!("{d} ({})", d.searched_paths().join(", ")))
        .collect();
    Err(Failure::error(format!(
        "no Kubernetes certificate found under {}; looked for {} (is --root right?)",
        root.display(),
        looked.join("; ")
    )))
}
