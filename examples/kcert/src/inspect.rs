//! `kcert inspect FILE...`: every certificate in each file (PEM bundle, DER, kubeconfig-free),
//! as text or `--json`. The successor of the `shcert` script.

use kcertlib::{Certificate, CertificateSummary, Status, Timestamp};

use crate::args::Args;
use std::fmt::Write as _;

use crate::exit::{EXIT_EXPIRED, EXIT_OK, Failure, emit, warn};

pub fn run(args: Args) -> Result<i32, Failure> {
    let mut json = false;
    let mut warn_within = kcertlib::defaults::WARN_WITHIN;
    let files = args
        .parse(
            |name, value| {
                match name {
                    "json" => json = true,
                    "warn-within" => {
                        warn_within = kcertlib::time::parse_duration(&value.unwrap_or_default())
                            .map_err(|e| e.to_string())?;
                    }
                    _ => {}
                }
                Ok(())
            },
            |name| match name {
                "json" => Some(false),
                "warn-within" => Some(true),
                _ => None,
            },
        )
        .map_err(Failure::usage)?;
    if files.is_empty() {
        return Err(Failure::usage("inspect needs at least one FILE".into()));
    }
    let now = Timestamp::now();
    let mut any_expired = false;
    let mut errors = 0;
    let mut report = Vec::new();
    for file in &files {
        match Certificate::load_file(file) {
            Ok(certs) => {
                let summaries: Vec<CertificateSummary> = certs
                    .iter()
                    .map(|c| CertificateSummary::new(c, now, warn_within))
                    .collect();
                any_expired |= summaries
                    .iter()
                    .any(|s| matches!(s.status, Status::Expired | Status::NotYetValid));
                if !json {
                    print_text(file, &summaries);
                }
                report.push(serde_json::json!({ "file": file, "certificates": summaries }));
            }
            Err(e) => {
                errors += 1;
                warn(&format!("kcert: {e}\n"));
                report.push(
                    serde_json::json!({ "file": file, "error": e.to_string(), "code": e.code() }),
                );
            }
        }
    }
    if json {
        emit(&(serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"));
    }
    Ok(if errors > 0 {
        crate::exit::EXIT_ERROR
    } else if any_expired {
        EXIT_EXPIRED
    } else {
        EXIT_OK
    })
}

fn print_text(file: &str, certs: &[CertificateSummary]) {
    let mut o = String::new();
    for (i, s) in certs.iter().enumerate() {
        let _ = writeln!(o, "{file} [{}/{}]", i + 1, certs.len());
        let _ = writeln!(o, "  subject:     {}", s.subject);
        let _ = writeln!(o, "  issuer:      {}", s.issuer);
        let _ = writeln!(o, "  serial:      {}", s.serial);
        let _ = writeln!(o, "  not before:  {}", s.not_before);
        let _ = writeln!(
            o,
            "  not after:   {}  ({}, {})",
            s.not_after,
            s.status,
            kcertlib::time::short_human_duration(s.residual_seconds)
        );
        let mut sans: Vec<String> = s.dns_names.iter().map(|d| format!("DNS:{d}")).collect();
        sans.extend(s.ip_addresses.iter().map(|i| format!("IP:{i}")));
        sans.extend(s.uris.iter().map(|u| format!("URI:{u}")));
        sans.extend(s.emails.iter().map(|e| format!("email:{e}")));
        if !sans.is_empty() {
            let _ = writeln!(o, "  SANs:        {}", sans.join(", "));
        }
        if let Some(ku) = &s.key_usage {
            let names: Vec<&str> = ku.iter().map(|b| b.name()).collect();
            let _ = writeln!(o, "  key usage:   {}", names.join(", "));
        }
        if let Some(eku) = &s.extended_key_usage {
            let names: Vec<&str> = eku.iter().map(|p| p.name()).collect();
            let _ = writeln!(o, "  ext usage:   {}", names.join(", "));
        }
        let _ = writeln!(o, "  CA:          {}", if s.is_ca { "yes" } else { "no" });
        let _ = writeln!(
            o,
            "  key:         {}  signed with {}",
            s.public_key_algorithm, s.signature_algorithm
        );
        let _ = writeln!(o, "  sha256:      {}", s.fingerprint_sha256);
    }
    emit(&o);
}
