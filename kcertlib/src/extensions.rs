//! Typed views of the extensions kcertlib reasons about: SANs, key usage, extended key usage,
//! basic constraints. Values are named after RFC 5280 so that reports read like `openssl -text`.

use std::fmt;
use std::net::IpAddr;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280;
use serde::Serialize;

/// Subject alternative names, by kind, in certificate order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AltNames {
    /// `dNSName` entries.
    pub dns: Vec<String>,
    /// `iPAddress` entries.
    pub ips: Vec<IpAddr>,
    /// `uniformResourceIdentifier` entries.
    pub uris: Vec<String>,
    /// `rfc822Name` (email) entries.
    pub emails: Vec<String>,
}

impl AltNames {
    /// Alt names from DNS names and IP addresses.
    pub fn new(
        dns: impl IntoIterator<Item = impl Into<String>>,
        ips: impl IntoIterator<Item = IpAddr>,
    ) -> Self {
        AltNames {
            dns: dns.into_iter().map(Into::into).collect(),
            ips: ips.into_iter().collect(),
            ..AltNames::default()
        }
    }

    /// Names as openssl and kubeadm users write them, comma-separated: `DNS:lb.example.com`,
    /// `IP:10.0.0.10`, `URI:spiffe://x`, `email:a@b`; a bare value is an IP address when it
    /// parses as one, else a DNS name. Blank items are ignored.
    ///
    /// # Errors
    /// `InvalidArgument` naming the item: an unknown prefix, an empty or non-ASCII name, an
    /// invalid IP address.
    pub fn parse(text: &str) -> crate::error::Result<AltNames> {
        use crate::error::{Error, ErrorKind};
        let mut out = AltNames::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let invalid = |why: &str| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "subject alternative name {item:?}: {why} (use DNS:name or IP:address)"
                    ),
                )
            };
            let (kind, value) = match item.split_once(':') {
                Some((k, v))
                    if ["dns", "ip", "uri", "email"].contains(&k.to_ascii_lowercase().as_str()) =>
                {
                    (k.to_ascii_lowercase(), v.trim())
                }
                _ if item.parse::<IpAddr>().is_ok() => ("ip".to_string(), item),
                Some(_) => return Err(invalid("unknown kind")),
                None => ("dns".to_string(), item),
            };
            if value.is_empty() {
                return Err(invalid("empty name"));
            }
            if !value.is_ascii()
                || value
                    .chars()
                    .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
            {
                return Err(invalid("names are ASCII without spaces (IA5String)"));
            }
            match kind.as_str() {
                "ip" => out
                    .ips
                    .push(value.parse().map_err(|_| invalid("not an IP address"))?),
                "dns" => {
                    if value.contains(['/', ':', '@']) {
                        return Err(invalid("not a DNS name"));
                    }
                    out.dns.push(value.to_string());
                }
                "uri" => out.uris.push(value.to_string()),
                _ => out.emails.push(value.to_string()),
            }
        }
        Ok(out)
    }

    /// These names followed by those of `more` not already here (DNS names compared without
    /// regard to case).
    pub fn merged(&self, more: &AltNames) -> AltNames {
        let mut out = self.clone();
        for d in &more.dns {
            if !out.dns.iter().any(|x| x.eq_ignore_ascii_case(d)) {
                out.dns.push(d.clone());
            }
        }
        for ip in &more.ips {
            if !out.ips.contains(ip) {
                out.ips.push(*ip);
            }
        }
        for u in &more.uris {
            if !out.uris.contains(u) {
                out.uris.push(u.clone());
            }
        }
        for e in &more.emails {
            if !out.emails.contains(e) {
                out.emails.push(e.clone());
            }
        }
        out
    }

    /// The names of `self` that `present` does not hold (DNS names compared without regard
    /// to case).
    pub(crate) fn missing_from(&self, present: &AltNames) -> AltNames {
        let all = present.merged(self);
        AltNames {
            dns: all.dns[present.dns.len()..].to_vec(),
            ips: all.ips[present.ips.len()..].to_vec(),
            uris: all.uris[present.uris.len()..].to_vec(),
            emails: all.emails[present.emails.len()..].to_vec(),
        }
    }

    /// Whether there is no name of any kind.
    pub fn is_empty(&self) -> bool {
        self.dns.is_empty() && self.ips.is_empty() && self.uris.is_empty() && self.emails.is_empty()
    }
}

/// One bit of the keyUsage extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum KeyUsageBit {
    DigitalSignature,
    NonRepudiation,
    KeyEncipherment,
    DataEncipherment,
    KeyAgreement,
    KeyCertSign,
    CrlSign,
    EncipherOnly,
    DecipherOnly,
}

impl KeyUsageBit {
    /// Every bit, in RFC 5280 bit order.
    pub const ALL: [KeyUsageBit; 9] = [
        KeyUsageBit::DigitalSignature,
        KeyUsageBit::NonRepudiation,
        KeyUsageBit::KeyEncipherment,
        KeyUsageBit::DataEncipherment,
        KeyUsageBit::KeyAgreement,
        KeyUsageBit::KeyCertSign,
        KeyUsageBit::CrlSign,
        KeyUsageBit::EncipherOnly,
        KeyUsageBit::DecipherOnly,
    ];

    /// The RFC 5280 name, e.g. `digitalSignature`.
    pub fn name(self) -> &'static str {
        match self {
            KeyUsageBit::DigitalSignature => "digitalSignature",
            KeyUsageBit::NonRepudiation => "nonRepudiation",
            KeyUsageBit::KeyEncipherment => "keyEncipherment",
            KeyUsageBit::DataEncipherment => "dataEncipherment",
            KeyUsageBit::KeyAgreement => "keyAgreement",
            KeyUsageBit::KeyCertSign => "keyCertSign",
            KeyUsageBit::CrlSign => "cRLSign",
            KeyUsageBit::EncipherOnly => "encipherOnly",
            KeyUsageBit::DecipherOnly => "decipherOnly",
        }
    }

    pub(crate) fn from_x509(ku: &x509_cert::ext::pkix::KeyUsage) -> Vec<KeyUsageBit> {
        use KeyUsageBit as B;
        let checks = [
            (ku.digital_signature(), B::DigitalSignature),
            (ku.non_repudiation(), B::NonRepudiation),
            (ku.key_encipherment(), B::KeyEncipherment),
            (ku.data_encipherment(), B::DataEncipherment),
            (ku.key_agreement(), B::KeyAgreement),
            (ku.key_cert_sign(), B::KeyCertSign),
            (ku.crl_sign(), B::CrlSign),
            (ku.encipher_only(), B::EncipherOnly),
            (ku.decipher_only(), B::DecipherOnly),
        ];
        checks
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, b)| b)
            .collect()
    }
}

impl fmt::Display for KeyUsageBit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One purpose of the extendedKeyUsage extension.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExtendedKeyUsage {
    /// `id-kp-serverAuth`
    ServerAuth,
    /// `id-kp-clientAuth`
    ClientAuth,
    /// `id-kp-codeSigning`
    CodeSigning,
    /// `id-kp-emailProtection`
    EmailProtection,
    /// `id-kp-timeStamping`
    TimeStamping,
    /// `id-kp-OCSPSigning`
    OcspSigning,
    /// Any other purpose, as its dotted OID.
    Other(String),
}

impl ExtendedKeyUsage {
    /// The RFC 5280 short name (`serverAuth`, `clientAuth`, ...) or the dotted OID.
    pub fn name(&self) -> &str {
        match self {
            ExtendedKeyUsage::ServerAuth => "serverAuth",
            ExtendedKeyUsage::ClientAuth => "clientAuth",
            ExtendedKeyUsage::CodeSigning => "codeSigning",
            ExtendedKeyUsage::EmailProtection => "emailProtection",
            ExtendedKeyUsage::TimeStamping => "timeStamping",
            ExtendedKeyUsage::OcspSigning => "OCSPSigning",
            ExtendedKeyUsage::Other(oid) => oid,
        }
    }

    /// The OID of this purpose.
    pub fn oid(&self) -> ObjectIdentifier {
        match self {
            ExtendedKeyUsage::ServerAuth => rfc5280::ID_KP_SERVER_AUTH,
            ExtendedKeyUsage::ClientAuth => rfc5280::ID_KP_CLIENT_AUTH,
            ExtendedKeyUsage::CodeSigning => rfc5280::ID_KP_CODE_SIGNING,
            ExtendedKeyUsage::EmailProtection => rfc5280::ID_KP_EMAIL_PROTECTION,
            ExtendedKeyUsage::TimeStamping => rfc5280::ID_KP_TIME_STAMPING,
            ExtendedKeyUsage::OcspSigning => rfc5280::ID_KP_OCSP_SIGNING,
            ExtendedKeyUsage::Other(oid) => {
                ObjectIdentifier::new(oid).unwrap_or(rfc5280::ANY_EXTENDED_KEY_USAGE)
            }
        }
    }

    /// The purpose for an OID.
    pub fn from_oid(oid: &ObjectIdentifier) -> ExtendedKeyUsage {
        match *oid {
            rfc5280::ID_KP_SERVER_AUTH => ExtendedKeyUsage::ServerAuth,
            rfc5280::ID_KP_CLIENT_AUTH => ExtendedKeyUsage::ClientAuth,
            rfc5280::ID_KP_CODE_SIGNING => ExtendedKeyUsage::CodeSigning,
            rfc5280::ID_KP_EMAIL_PROTECTION => ExtendedKeyUsage::EmailProtection,
            rfc5280::ID_KP_TIME_STAMPING => ExtendedKeyUsage::TimeStamping,
            rfc5280::ID_KP_OCSP_SIGNING => ExtendedKeyUsage::OcspSigning,
            other => ExtendedKeyUsage::Other(other.to_string()),
        }
    }
}

impl fmt::Display for ExtendedKeyUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ExtendedKeyUsage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The basicConstraints extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BasicConstraints {
    /// `cA`
    pub ca: bool,
    /// `pathLenConstraint`
    pub path_len: Option<u8>,
}

/// One extension as it appears in the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawExtensionView {
    /// Dotted OID.
    pub oid: String,
    /// The critical flag.
    pub critical: bool,
    /// The extnValue octets.
    pub value: Vec<u8>,
}
