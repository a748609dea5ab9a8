//! The three outputs of an inventory, each in the shape its readers already know:
//!
//! - `to_table`: `kubeadm certs check-expiration`'s two tables (leaves, blank line, CAs), with a
//!   STATUS column added and the problems listed underneath;
//! - `to_json`: kubeadm's `CertificateExpirationInfo` (`certificates`,
//!   `certificateAuthorities`; items with `name`, `expirationDate`, `residualTime` in seconds,
//!   `externallyManaged`, `caName`, `missing`), so kubespray's jsonpath filters keep working,
//!   plus our own fields;
//! - `to_prometheus`: text-file collector lines with x509-certificate-exporter's metric names
//!   (`x509_cert_not_after`, `x509_cert_not_before`, `x509_cert_expired`, ...) and its label set
//!   (`serial_number`, `subject_*`, `issuer_*`, `filename`, `filepath`, ...) plus ours (`name`,
//!   `distribution`), so that its dashboards and alerts work unchanged.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cert::NameAttribute;
use crate::inventory::{Entry, EntryStatus, Inventory, Location};
use crate::time::{Timestamp, short_human_duration};

impl Inventory {
    /// The kubeadm-style table: leaves, a blank line, CAs, then any problems.
    pub fn to_table(&self) -> String {
        let mut leaves = vec![row(&[
            "CERTIFICATE",
            "EXPIRES",
            "RESIDUAL TIME",
            "CERTIFICATE AUTHORITY",
            "EXTERNALLY MANAGED",
            "STATUS",
        ])];
        let mut cas = vec![row(&[
            "CERTIFICATE AUTHORITY",
            "EXPIRES",
            "RESIDUAL TIME",
            "EXTERNALLY MANAGED",
            "STATUS",
        ])];
        for entry in sorted(&self.entries) {
            let name = match entry.status {
                EntryStatus::Missing => format!("!MISSING! {}", entry.name),
                EntryStatus::Error => format!("!ERROR! {}", entry.name),
                _ => entry.name.clone(),
            };
            let expires = entry
                .certificate
                .as_ref()
                .map(|c| kubeadm_date(c.not_after()))
                .unwrap_or_default();
            let residual = entry
                .residual_seconds
                .map(short_human_duration)
                .unwrap_or_default();
            let external = if entry.externally_managed {
                "yes"
            } else {
                "no"
            };
            let status = entry.status.name().to_string();
            if entry.is_ca() {
                cas.push(vec![name, expires, residual, external.into(), status]);
            } else {
                let ca = entry.ca_name.clone().unwrap_or_default();
                leaves.push(vec![name, expires, residual, ca, external.into(), status]);
            }
        }
        let mut out = align(&leaves);
        out.push('\n');
        out.push_str(&align(&cas));
        let problems: Vec<String> = sorted(&self.entries)
            .iter()
            .flat_map(|e| e.problems.iter().map(move |p| format!("{}: {p}", e.name)))
            .collect();
        if !problems.is_empty() {
            out.push_str("\nPROBLEMS\n");
            for p in problems {
                out.push_str(&p);
                out.push('\n');
            }
        }
        out
    }

    /// kubeadm's `check-expiration -o json` document, extended with our fields.
    pub fn to_json(&self) -> String {
        let (cas, leaves): (Vec<&Entry>, Vec<&Entry>) =
            sorted(&self.entries).into_iter().partition(|e| e.is_ca());
        let report = JsonReport {
            kind: "CertificateExpirationInfo",
            api_version: "output.kubeadm.k8s.io/v1alpha3",
            root: self.root.display().to_string(),
            scanned_at: self.scanned_at.to_rfc3339(),
            distributions: self.distributions.iter().map(|d| d.name()).collect(),
            certificates: leaves.into_iter().map(JsonEntry::from).collect(),
            certificate_authorities: cas.into_iter().map(JsonEntry::from).collect(),
        };
        // Serializing plain strings, numbers and options cannot fail.
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Prometheus text-file lines for every certificate read, and `x509_cert_error` for the
    /// unreadable ones.
    pub fn to_prometheus(&self) -> String {
        let now = self.scanned_at;
        let readable: Vec<(&Entry, String)> = sorted(&self.entries)
            .into_iter()
            .filter(|e| e.certificate.is_some())
            .map(|e| (e, labels(e)))
            .collect();
        let mut out = String::new();
        let metric = |out: &mut String, name: &str, help: &str, value: &dyn Fn(&Entry) -> i64| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            for (entry, labels) in &readable {
                let _ = writeln!(out, "{name}{{{labels}}} {}", value(entry));
            }
        };
        let cert = |e: &Entry| {
            e.certificate
                .as_ref()
                .map(|c| (c.not_before(), c.not_after()))
        };
        metric(
            &mut out,
            "x509_cert_not_after",
            "The notAfter of the certificate, as a Unix timestamp.",
            &|e| cert(e).map_or(0, |(_, na)| na.unix()),
        );
        metric(
            &mut out,
            "x509_cert_not_before",
            "The notBefore of the certificate, as a Unix timestamp.",
            &|e| cert(e).map_or(0, |(nb, _)| nb.unix()),
        );
        metric(
            &mut out,
            "x509_cert_expired",
            "1 when the certificate has expired at scan time, else 0.",
            &|e| i64::from(cert(e).is_some_and(|(_, na)| now > na)),
        );
        metric(
            &mut out,
            "x509_cert_expires_in_seconds",
            "Seconds from scan time to notAfter (negative once expired).",
            &|e| cert(e).map_or(0, |(_, na)| now.seconds_until(na)),
        );
        let _ = writeln!(
            out,
            "# HELP x509_cert_error 1 when the certificate could not be read or parsed, else 0."
        );
        let _ = writeln!(out, "# TYPE x509_cert_error gauge");
        for entry in sorted(&self.entries) {
            if entry.status == EntryStatus::Missing {
                continue;
            }
            let failed = entry.status == EntryStatus::Error;
            let _ = writeln!(
                out,
                "x509_cert_error{{{}}} {}",
                labels(entry),
                i64::from(failed)
            );
        }
        out
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport {
    kind: &'static str,
    api_version: &'static str,
    root: String,
    scanned_at: String,
    distributions: Vec<&'static str>,
    certificates: Vec<JsonEntry>,
    certificate_authorities: Vec<JsonEntry>,
}

impl Entry {
    /// This entry as an item of `Inventory::to_json`'s `certificates` or
    /// `certificateAuthorities` list (kubeadm's field names plus kcertlib's).
    pub fn to_json(&self) -> String {
        // Serializing plain strings, numbers and options cannot fail.
        serde_json::to_string_pretty(&JsonEntry::from(self))
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonEntry {
    name: String,
    expiration_date: Option<String>,
    residual_time: Option<i64>,
    externally_managed: bool,
    /// Present on leaves only, as in kubeadm.
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_name: Option<Option<String>>,
    missing: bool,
    status: EntryStatus,
    distribution: &'static str,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kubeconfig_user: Option<String>,
    key_path: Option<String>,
    subject: Option<String>,
    issuer: Option<String>,
    not_before: Option<String>,
    serial: Option<String>,
    key_matches: Option<bool>,
    chain_verifies: Option<bool>,
    restart: Vec<String>,
    problems: Vec<String>,
}

impl From<&Entry> for JsonEntry {
    fn from(e: &Entry) -> Self {
        let cert = e.certificate.as_ref();
        JsonEntry {
            name: e.name.clone(),
            expiration_date: cert.map(|c| c.not_after().to_rfc3339()),
            residual_time: e.residual_seconds,
            externally_managed: e.externally_managed,
            ca_name: e.is_leaf().then(|| e.ca_name.clone()),
            missing: e.status == EntryStatus::Missing,
            status: e.status,
            distribution: e.distribution.name(),
            path: e.cert.path().display().to_string(),
            kubeconfig_user: match &e.cert {
                Location::KubeconfigEmbedded { user, .. } => Some(user.clone()),
                _ => None,
            },
            key_path: e.key.as_ref().map(|k| k.path().display().to_string()),
            subject: cert.map(|c| c.subject()),
            issuer: cert.map(|c| c.issuer()),
            not_before: cert.map(|c| c.not_before().to_rfc3339()),
            serial: cert.map(|c| c.serial_hex()),
            key_matches: e.key_matches,
            chain_verifies: e.chain_verifies,
            restart: e.restart.clone(),
            problems: e.problems.clone(),
        }
    }
}

fn sorted(entries: &[Entry]) -> Vec<&Entry> {
    let mut v: Vec<&Entry> = entries.iter().collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

pub(crate) fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// Aligns cells as Go's tabwriter does in kubeadm (minimum width 10, padding 3); the last
/// column is not padded.
pub(crate) fn align(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count() + 3)
                .max()
                .unwrap_or(0)
                .max(10)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}", w = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Go's `Jan 02, 2006 15:04 MST`, in UTC, as kubeadm prints EXPIRES.
pub(crate) fn kubeadm_date(t: Timestamp) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let iso = t.to_rfc3339(); // 2026-11-28T13:58:57Z
    let month: usize = iso.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    format!(
        "{} {}, {} {} UTC",
        MONTHS[month.clamp(1, 12) - 1],
        iso.get(8..10).unwrap_or("01"),
        iso.get(0..4).unwrap_or("1970"),
        iso.get(11..16).unwrap_or("00:00")
    )
}

/// The subject and issuer fields x509-certificate-exporter labels, with their OIDs.
const NAME_FIELDS: [(&str, &str); 6] = [
    ("C", "2.5.4.6"),
    ("ST", "2.5.4.8"),
    ("L", "2.5.4.7"),
    ("O", "2.5.4.10"),
    ("OU", "2.5.4.11"),
    ("CN", "2.5.4.3"),
];

/// The label set of an entry, escaped for the exposition format: x509-certificate-exporter's
/// per-certificate labels (`serial_number`, `subject_*` and `issuer_*` for C, ST, L, O, OU and
/// CN, `filename`, `filepath`, `embedded_kind`, `embedded_key`; empty where they do not apply, as
/// the exporter leaves them) so that its dashboards and alerts group our series as theirs, after
/// ours: `name` (the inventory name) and `distribution`.
fn labels(e: &Entry) -> String {
    let cert = e.certificate.as_ref();
    let subject = cert.map(|c| c.subject_attributes()).unwrap_or_default();
    let issuer = cert.map(|c| c.issuer_attributes()).unwrap_or_default();
    let path = e.cert.path();
    let (embedded_kind, embedded_key) = match &e.cert {
        Location::KubeconfigEmbedded { user, .. } => ("user", user.clone()),
        _ => ("", String::new()),
    };
    let mut pairs: Vec<(String, String)> = vec![
        ("name".into(), e.name.clone()),
        ("distribution".into(), e.distribution.name().to_string()),
        (
            "serial_number".into(),
            cert.map(|c| decimal(c.serial())).unwrap_or_default(),
        ),
    ];
    for (prefix, attributes) in [("subject", &subject), ("issuer", &issuer)] {
        for (field, oid) in NAME_FIELDS {
            pairs.push((format!("{prefix}_{field}"), name_field(attributes, oid)));
        }
    }
    pairs.extend([
        (
            "filename".into(),
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        ("filepath".into(), path.display().to_string()),
        ("embedded_kind".into(), embedded_kind.into()),
        ("embedded_key".into(), embedded_key),
    ]);
    pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// One field of a name as the exporter labels it: the last CN (Go's `pkix.Name.CommonName`),
/// every value of the other fields joined with commas; empty when absent.
fn name_field(attributes: &[NameAttribute], oid: &str) -> String {
    let mut values = attributes
        .iter()
        .filter(|a| a.oid == oid)
        .map(|a| a.value.as_str());
    if oid == "2.5.4.3" {
        values.next_back().unwrap_or_default().to_string()
    } else {
        values.collect::<Vec<_>>().join(",")
    }
}

pub(crate) fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A big-endian unsigned integer in decimal, as x509-certificate-exporter labels serials.
fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0];
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_in_decimal() {
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(decimal(&[0xff; 8]), u64::MAX.to_string());
        assert_eq!(
            decimal(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0]),
            "18446744073709551616"
        );
    }

    #[test]
    fn kubeadm_dates() {
        assert_eq!(
            kubeadm_date(Timestamp::from_unix(1_764_338_337)),
            "Nov 28, 2025 13:58 UTC"
        );
    }

    #[test]
    fn tabwriter_alignment() {
        let out = align(&[row(&["A", "BB", "C"]), row(&["LONGER-NAME", "X", "Y"])]);
        assert_eq!(
            out,
            "A             BB        C\nLONGER-NAME   X         Y\n"
        );
    }
}
