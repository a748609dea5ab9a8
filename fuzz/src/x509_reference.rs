//! The judge of kcertlib's one certificate reader: what x509-cert says about the same DER when
//! it decodes the whole certificate into its owned types.
//!
//! kcertlib reads a certificate once, with its own validating walk (`view`), and decodes with
//! x509-cert only on demand (`Certificate::x509`). These checks keep that walk accepting exactly
//! the certificates x509-cert accepts and reading the same values from them. Shared by the fuzz
//! targets (`targets.rs`) and kcertlib's view tests (`#[path]`), so both judge the same way.
#![allow(dead_code)]

use kcertlib::{Certificate, ErrorKind, Timestamp};
use x509_cert::der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName,
    SubjectKeyIdentifier,
};

/// What x509-cert makes of `der` as one certificate: `Ok` with the decoded certificate, or the
/// kind of error kcertlib must report (`Der`, or `InvalidCertificate` for a negative serial,
/// which x509-cert decodes but RFC 5280 forbids).
pub fn read(der: &[u8]) -> Result<x509_cert::Certificate, ErrorKind> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|_| ErrorKind::Der)?;
    let serial = cert.tbs_certificate().serial_number().as_bytes();
    if serial.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(ErrorKind::InvalidCertificate);
    }
    Ok(cert)
}

/// Every difference between `cert`'s accessors and x509-cert's decode `x` of the same DER,
/// described with `what`.
pub fn differences(cert: &Certificate, x: &x509_cert::Certificate, what: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |field: &str, same: bool| {
        if !same {
            out.push(format!("{what}: {field} differs from x509-cert's"));
        }
    };
    let tbs = x.tbs_certificate();
    let serial = tbs.serial_number().as_bytes();
    let serial = match serial {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => serial,
    };
    check("serial", cert.serial() == serial);
    let validity = tbs.validity();
    check(
        "not_before",
        cert.not_before() == Timestamp::from_asn1(&validity.not_before),
    );
    check(
        "not_after",
        cert.not_after() == Timestamp::from_asn1(&validity.not_after),
    );
    check(
        "signature_algorithm",
        x.signature_algorithm().oid.to_string() == oid_of(&cert.signature_algorithm().to_string()),
    );
    check("alt_names", alt_names(x) == alt_names_of(cert));
    let bc = extension::<BasicConstraints>(x).map(|bc| (bc.ca, bc.path_len_constraint));
    let ours = cert.basic_constraints().map(|bc| (bc.ca, bc.path_len));
    check("basic_constraints", bc == ours);
    let ski = extension::<SubjectKeyIdentifier>(x).map(|s| s.0.as_bytes().to_vec());
    check("subject_key_id", ski == cert.subject_key_id());
    let aki = extension::<AuthorityKeyIdentifier>(x)
        .and_then(|a| a.key_identifier.map(|k| k.as_bytes().to_vec()));
    check("authority_key_id", aki == cert.authority_key_id());
    check(
        "key_usage",
        extension::<KeyUsage>(x).is_some() == cert.key_usage().is_some(),
    );
    let eku = extension::<ExtendedKeyUsage>(x).map(|e| e.0.len());
    check(
        "extended_key_usage",
        eku == cert.extended_key_usage().map(|e| e.len()),
    );
    let exts: Vec<(String, bool, Vec<u8>)> = tbs
        .extensions()
        .map(|exts| {
            exts.iter()
                .map(|e| {
                    (
                        e.extn_id.to_string(),
                        e.critical,
                        e.extn_value.as_bytes().to_vec(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let ours: Vec<(String, bool, Vec<u8>)> = cert
        .extensions()
        .into_iter()
        .map(|e| (e.oid, e.critical, e.value))
        .collect();
    check("extensions", exts == ours);
    out
}

/// x509-cert's decode of the extension of type `T`; malformed or repeated reads as absent.
fn extension<T>(x: &x509_cert::Certificate) -> Option<T>
where
    T: for<'a> Decode<'a> + x509_cert::der::oid::AssociatedOid,
{
    x.tbs_certificate()
        .get_extension::<T>()
        .ok()
        .flatten()
        .map(|(_, v)| v)
}

/// (dNSName, URI, rfc822Name, iPAddress) entries as x509-cert decodes the subjectAltName.
type Names = (Vec<String>, Vec<String>, Vec<String>, Vec<Vec<u8>>);

fn alt_names(x: &x509_cert::Certificate) -> Names {
    let mut out = Names::default();
    for name in extension::<SubjectAltName>(x)
        .map(|s| s.0)
        .unwrap_or_default()
    {
        match name {
            GeneralName::DnsName(s) => out.0.push(s.to_string()),
            GeneralName::UniformResourceIdentifier(s) => out.1.push(s.to_string()),
            GeneralName::Rfc822Name(s) => out.2.push(s.to_string()),
            GeneralName::IpAddress(o) if matches!(o.as_bytes().len(), 4 | 16) => {
                out.3.push(o.as_bytes().to_vec());
            }
            _ => {}
        }
    }
    out
}

fn alt_names_of(cert: &Certificate) -> Names {
    let alt = cert.alt_names();
    let ips = alt
        .ips
        .iter()
        .map(|ip| match ip {
            std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
            std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
        })
        .collect();
    (alt.dns, alt.uris, alt.emails, ips)
}

/// The dotted OID of a signature algorithm's OpenSSL name (other algorithms are named by OID).
fn oid_of(name: &str) -> String {
    match name {
        "sha1WithRSAEncryption" => "1.2.840.113549.1.1.5",
        "sha256WithRSAEncryption" => "1.2.840.113549.1.1.11",
        "sha384WithRSAEncryption" => "1.2.840.113549.1.1.12",
        "sha512WithRSAEncryption" => "1.2.840.113549.1.1.13",
        "ecdsa-with-SHA256" => "1.2.840.10045.4.3.2",
        "ecdsa-with-SHA384" => "1.2.840.10045.4.3.3",
        "ecdsa-with-SHA512" => "1.2.840.10045.4.3.4",
        other => other,
    }
    .to_string()
}
