//! Step 1, on the node: the requests for what cannot be signed here. The renewal's own plan
//! decides (selection by `only` and `expiring_within`, the preflight checks); the leaves whose
//! only obstacle is a CA key kept elsewhere become requests, every other entry it looked at is
//! reported as skipped with its reason.

use std::path::Path;

use super::{CaIdentity, ExportOptions, Request, RequestSet};
use crate::csr::CertificateRequest;
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::inventory::Entry;
use crate::renew::source::Source;
use crate::renew::{self, Plan, RenewOptions, Skipped};
use crate::validity::ValidityPolicy;

pub(super) fn export(root: &Path, options: &ExportOptions) -> Result<RequestSet> {
    let renew_options = RenewOptions {
        validity: ValidityPolicy {
            now: options.now,
            ..ValidityPolicy::default()
        },
        only: options.only.clone(),
        expiring_within: options.expiring_within,
        threads: options.threads,
        // Users' kubeconfig copies are refreshed by the install, with what they copy.
        user_kubeconfigs: false,
        ..RenewOptions::default()
    };
    let plan = renew::plan_from(root, &renew_options, &Source::Export)?;
    let exportable = plan.exportable.clone().unwrap_or_default();
    let mut set = RequestSet {
        root: plan.root.clone(),
        created: plan.now,
        requests: Vec::new(),
        skipped: Vec::new(),
    };
    for skipped in &plan.skipped {
        if exportable.contains(&skipped.name) {
            set.requests
                .push(request(&plan, &skipped.name, options.csr).at_entry(&skipped.name)?);
        } else {
            set.skipped.push(skipped.clone());
        }
    }
    for action in &plan.actions {
        let reason = if plan.renews_throwaway_ca(&action.name) {
            "kubelet's self-signed serving pair: its CA is a throwaway one, renew it here (kcert renew)"
        } else {
            "its CA key is on this node: renew it here (kcert renew)"
        };
        set.skipped.push(Skipped {
            name: action.name.clone(),
            reason: reason.to_string(),
        });
    }
    // Requests in inventory order, as the scan lists the entries.
    let order = |name: &str| {
        plan.inventory()
            .entries
            .iter()
            .position(|e| e.name == name)
            .unwrap_or(usize::MAX)
    };
    set.requests.sort_by_key(|r| order(&r.name));
    Ok(set)
}

fn request(plan: &Plan, name: &str, csr: bool) -> Result<Request> {
    let inventory = plan.inventory();
    let entry = inventory.get(name).ok_or_else(|| lost(name))?;
    let cert = entry.certificate.as_ref().ok_or_else(|| lost(name))?;
    let ca_name = entry.ca_name.as_deref().ok_or_else(|| lost(name))?;
    let ca = inventory
        .get(ca_name)
        .and_then(|ca| ca.certificate.as_ref())
        .ok_or_else(|| lost(ca_name))?;
    let csr_pem = if csr {
        let location = entry.key.as_ref().ok_or_else(|| lost(name))?;
        let key = renew::load_key(plan.root_dir(), location)?;
        Some(CertificateRequest::from_certificate(cert, &key)?.to_pem())
    } else {
        None
    };
    Ok(Request {
        name: name.to_string(),
        layout: entry.distribution.name().to_string(),
        path: relative(plan, entry),
        certificate_pem: cert.to_pem(),
        ca: CaIdentity::of(ca_name, ca),
        csr_pem,
    })
}

fn relative(plan: &Plan, entry: &Entry) -> std::path::PathBuf {
    let path = entry.cert.path();
    path.strip_prefix(&plan.root).unwrap_or(path).to_path_buf()
}

fn lost(name: &str) -> Error {
    Error::new(
        ErrorKind::Layout,
        format!("{name}: exportable entry is incomplete (certificate, key or CA missing)"),
    )
}
