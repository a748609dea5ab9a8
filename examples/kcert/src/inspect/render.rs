//! One certificate of `kcert inspect`, as text for a person: every field an operator checks,
//! one a line, in the order shcert printed them, then what the inputs say about it.

use std::fmt::Write as _;

use kcertlib::CertificateSummary;
use kcertlib::time::short_human_duration;

/// What the inputs say about one certificate, beside its own fields.
pub struct Context<'a> {
    /// The label of the input certificate that issued it, `Some("")` when self-signed.
    pub issued_by: Option<&'a str>,
    /// The `--key` files that match it.
    pub keys: Vec<&'a str>,
}

pub fn text(label: &str, s: &CertificateSummary, context: &Context) -> String {
    let mut o = String::new();
    let mut line = |name: &str, value: &str| {
        let _ = writeln!(o, "  {name:<16}{value}");
    };
    line("subject:", &s.subject);
    line("issuer:", &s.issuer);
    line("serial:", &s.serial);
    line("not before:", &s.not_before);
    line(
        "not after:",
        &format!(
            "{}  ({}, {})",
            s.not_after,
            s.status,
            short_human_duration(s.residual_seconds)
        ),
    );
    let mut sans: Vec<String> = s.dns_names.iter().map(|d| format!("DNS:{d}")).collect();
    sans.extend(s.ip_addresses.iter().map(|i| format!("IP:{i}")));
    sans.extend(s.uris.iter().map(|u| format!("URI:{u}")));
    sans.extend(s.emails.iter().map(|e| format!("email:{e}")));
    if !sans.is_empty() {
        line("SANs:", &sans.join(", "));
    }
    if let Some(ku) = &s.key_usage {
        let names: Vec<&str> = ku.iter().map(|b| b.name()).collect();
        line("key usage:", &names.join(", "));
    }
    if let Some(eku) = &s.extended_key_usage {
        let names: Vec<&str> = eku.iter().map(|p| p.name()).collect();
        line("ext key usage:", &names.join(", "));
    }
    match &s.basic_constraints {
        Some(bc) => {
            let path = bc
                .path_len
                .map(|n| format!(", pathlen:{n}"))
                .unwrap_or_default();
            line(
                "basic constr.:",
                &format!("CA:{}{path}", if bc.ca { "TRUE" } else { "FALSE" }),
            );
        }
        None => line("basic constr.:", "absent"),
    }
    if let Some(ski) = &s.subject_key_id {
        line("subject key id:", ski);
    }
    if let Some(aki) = &s.authority_key_id {
        line("auth. key id:", aki);
    }
    line(
        "public key:",
        &format!(
            "{}, signed with {}",
            s.public_key_algorithm, s.signature_algorithm
        ),
    );
    line("sha256:", &s.fingerprint_sha256);
    line(
        "issued by:",
        match context.issued_by {
            Some("") => "itself (self-signed)",
            Some(issuer) => issuer,
            None => "no certificate among the inputs",
        },
    );
    for key in &context.keys {
        line("private key:", &format!("{key} matches"));
    }
    let mut out = format!("{label}\n");
    out.push_str(&o);
    out
}
