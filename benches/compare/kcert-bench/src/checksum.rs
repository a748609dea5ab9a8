//! What every tool reads from every certificate, summed into a few numbers that must agree
//! across tools: the count, the number of SANs (DNS + IP), the latest notAfter (Unix seconds)
//! and the total length of the subjects' common names.

use kcertlib::Certificate;
use kcertlib::view::CertificateView;
use serde_json::{Value, json};

/// The running sums of a parse workload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checksum {
    /// Certificates read.
    pub count: u64,
    /// DNS and IP SANs.
    pub sans: u64,
    /// Latest notAfter, Unix seconds.
    pub max_not_after: i64,
    /// Sum of the common names' lengths in bytes.
    pub cn_bytes: u64,
}

impl Checksum {
    /// Adds one certificate's fields.
    pub fn add(&mut self, sans: usize, not_after: i64, cn_len: usize) {
        self.count += 1;
        self.sans += sans as u64;
        self.max_not_after = if self.count == 1 {
            not_after
        } else {
            self.max_not_after.max(not_after)
        };
        self.cn_bytes += cn_len as u64;
    }

    /// Reads subject, notAfter and SANs of `cert` the way an inventory does, and adds them.
    pub fn add_certificate(&mut self, cert: &Certificate) {
        let subject = cert.subject();
        let not_after = cert.not_after().unix();
        let alt = cert.alt_names();
        self.add(
            alt.dns.len() + alt.ips.len(),
            not_after,
            common_name_len(&subject),
        );
    }

    /// The same fields read from a zero-copy view.
    pub fn add_view(&mut self, view: &CertificateView<'_>) {
        let subject = view.subject();
        let sans = view.dns_names().count() + view.ip_addresses().count();
        self.add(sans, view.not_after().unix(), common_name_len(&subject));
    }

    /// As JSON, for the result line and `expected.json`.
    pub fn to_json(self) -> Value {
        json!({
            "count": self.count,
            "sans": self.sans,
            "max_not_after": self.max_not_after,
            "cn_bytes": self.cn_bytes,
        })
    }

    /// The fields that do not depend on the clock (for re-signed outputs).
    pub fn to_json_timeless(self) -> Value {
        json!({ "count": self.count, "sans": self.sans, "cn_bytes": self.cn_bytes })
    }
}

/// The length of the `CN=` value in an RFC 4514 subject (0 without one). The suite's common
/// names contain no commas or escapes.
pub fn common_name_len(subject: &str) -> usize {
    subject
        .split(',')
        .find_map(|rdn| rdn.strip_prefix("CN="))
        .map_or(0, str::len)
}
