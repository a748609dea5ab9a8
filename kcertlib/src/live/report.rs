//! The outputs of a live check, shaped like the inventory's: an aligned table for a person,
//! JSON (camelCase fields, as `Inventory::to_json`) for programs, and Prometheus text-file
//! lines (`kcert_live_*`) for a node_exporter collector.

use std::fmt::Write as _;

use serde::Serialize;

use super::{ComponentReport, LiveReport, LiveState};
use crate::cert::Certificate;
use crate::report::{align, escape, kubeadm_date, row};

impl LiveReport {
    /// One line per component: what it serves and the verdict, then the details.
    pub fn to_table(&self) -> String {
        let mut rows = vec![row(&[
            "COMPONENT",
            "ADDRESS",
            "STATE",
            "ENTRY",
            "SERVED EXPIRES",
            "ON DISK EXPIRES",
        ])];
        let expires = |c: &Option<Certificate>| {
            c.as_ref()
                .map(|c| kubeadm_date(c.not_after()))
                .unwrap_or_default()
        };
        for c in &self.components {
            rows.push(vec![
                c.component.name().to_string(),
                c.address.to_string(),
                c.state.name().to_string(),
                c.entry.clone().unwrap_or_default(),
                expires(&c.served),
                expires(&c.on_disk),
            ]);
        }
        let mut out = align(&rows);
        let noted: Vec<&ComponentReport> = self
            .components
            .iter()
            .filter(|c| c.state != LiveState::Current && !c.detail.is_empty())
            .collect();
        if !noted.is_empty() {
            out.push('\n');
            for c in noted {
                let _ = writeln!(out, "{}: {}", c.component.name(), c.detail);
            }
        }
        out
    }

    /// `{"kind": "LiveCheck", "root", "checkedAt", "outdated": N, "components": [...]}`.
    pub fn to_json(&self) -> String {
        let report = JsonReport {
            kind: "LiveCheck",
            root: self.root.display().to_string(),
            checked_at: self.checked_at.to_rfc3339(),
            outdated: self.outdated().count(),
            components: self.components.iter().map(JsonComponent::from).collect(),
        };
        // Serializing plain strings, numbers and options cannot fail.
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// `kcert_live_state` (1 for the component's state, one series per state seen),
    /// `kcert_live_outdated` (1 when a restart is needed) and
    /// `kcert_live_served_not_after` (the served certificate's notAfter, Unix seconds).
    pub fn to_prometheus(&self) -> String {
        let mut out = String::new();
        let labels = |c: &ComponentReport| {
            format!(
                "component=\"{}\",address=\"{}\",entry=\"{}\"",
                c.component.name(),
                escape(&c.address.to_string()),
                escape(c.entry.as_deref().unwrap_or_default())
            )
        };
        let header = |out: &mut String, name: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
        };
        header(
            &mut out,
            "kcert_live_state",
            "1 for what the component serves: current, outdated, unmatched, not-running or \
             no-certificate.",
        );
        for c in &self.components {
            let _ = writeln!(
                out,
                "kcert_live_state{{{},state=\"{}\"}} 1",
                labels(c),
                c.state.name()
            );
        }
        header(
            &mut out,
            "kcert_live_outdated",
            "1 when the component serves an older certificate than the one on disk (restart it).",
        );
        for c in &self.components {
            let _ = writeln!(
                out,
                "kcert_live_outdated{{{}}} {}",
                labels(c),
                i64::from(c.state == LiveState::Outdated)
            );
        }
        header(
            &mut out,
            "kcert_live_served_not_after",
            "The notAfter of the certificate the component serves, as a Unix timestamp.",
        );
        for c in &self.components {
            if let Some(served) = &c.served {
                let _ = writeln!(
                    out,
                    "kcert_live_served_not_after{{{}}} {}",
                    labels(c),
                    served.not_after().unix()
                );
            }
        }
        out
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport {
    kind: &'static str,
    root: String,
    checked_at: String,
    outdated: usize,
    components: Vec<JsonComponent>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonComponent {
    component: &'static str,
    address: String,
    port: u16,
    state: LiveState,
    matched_by: Option<super::MatchedBy>,
    entry: Option<String>,
    served: Option<JsonCertificate>,
    on_disk: Option<JsonCertificate>,
    detail: String,
}

impl From<&ComponentReport> for JsonComponent {
    fn from(c: &ComponentReport) -> Self {
        JsonComponent {
            component: c.component.name(),
            address: c.address.to_string(),
            port: c.port,
            state: c.state,
            matched_by: c.matched_by,
            entry: c.entry.clone(),
            served: c.served.as_ref().map(JsonCertificate::from),
            on_disk: c.on_disk.as_ref().map(JsonCertificate::from),
            detail: c.detail.clone(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonCertificate {
    subject: String,
    issuer: String,
    serial: String,
    not_before: String,
    not_after: String,
    sha256: String,
}

impl From<&Certificate> for JsonCertificate {
    fn from(c: &Certificate) -> Self {
        JsonCertificate {
            subject: c.subject(),
            issuer: c.issuer(),
            serial: c.serial_hex(),
            not_before: c.not_before().to_rfc3339(),
            not_after: c.not_after().to_rfc3339(),
            sha256: c.fingerprint_sha256_hex(),
        }
    }
}
