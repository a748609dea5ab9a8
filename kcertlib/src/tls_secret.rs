//! A Kubernetes TLS Secret serialised as JSON, as rancher/dynamiclistener's file storage keeps
//! it: k3s and RKE2 write their supervisor's serving certificate to
//! `server/tls/dynamic-cert.json` (`storage/file`: `json.NewEncoder(...).Encode(secret)`, mode
//! 0600). `data."tls.crt"` is the base64 of the PEM chain (leaf first, then the server CA),
//! `data."tls.key"` the base64 of the PEM key, and the annotation
//! `listener.cattle.io/fingerprint` is `SHA1=` and the upper-case hex SHA-1 of the leaf's DER
//! (`factory/gen.go`: `fmt.Sprintf("SHA1=%X", sha1.Sum(newCert.Raw))`).
//!
//! Edits replace those string values only (`json_text`); every other byte of the document stays.

use base64ct::{Base64, Encoding};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use crate::json_text::{self, StringValue};

/// dynamiclistener's mark of a user-provided certificate (`factory.Static`).
const STATIC_PATH: &[&str] = &["metadata", "annotations", "listener.cattle.io/static"];
/// Where the certificate chain lives in the Secret.
const CERT_PATH: &[&str] = &["data", "tls.crt"];
/// Where the key lives.
const KEY_PATH: &[&str] = &["data", "tls.key"];
/// dynamiclistener's fingerprint annotation (`factory.Fingerprint`).
const FINGERPRINT_PATH: &[&str] = &["metadata", "annotations", "listener.cattle.io/fingerprint"];

/// The PEM chain of `data."tls.crt"`.
///
/// # Errors
/// A sentence saying what is wrong (not JSON, no `data."tls.crt"`, not base64).
pub(crate) fn certificate_pem(text: &str) -> Result<Vec<u8>, String> {
    let value = required(text, CERT_PATH)?;
    decode(&value)
}

/// The PEM key of `data."tls.key"`; `Ok(None)` when the Secret has none.
///
/// # Errors
/// As `certificate_pem`.
pub(crate) fn key_pem(text: &str) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
    match json_text::string_at(text, KEY_PATH)? {
        Some(value) => {
            let value = Zeroizing::new(value.value);
            let decoded = Base64::decode_vec(&value)
                .map_err(|_| format!("{} is not base64", KEY_PATH.join(".")))?;
            Ok(Some(Zeroizing::new(decoded)))
        }
        None => Ok(None),
    }
}

/// `text` with `data."tls.crt"` holding `new_pem`, and the fingerprint annotation (when the
/// Secret has one) following `leaf_der`, the first certificate of `new_pem`.
///
/// # Errors
/// As `certificate_pem`.
pub(crate) fn with_certificate_pem(
    text: &str,
    new_pem: &str,
    leaf_der: &[u8],
) -> Result<String, String> {
    let value = required(text, CERT_PATH)?;
    let out = json_text::replace_string(
        text,
        &value.span,
        &Base64::encode_string(new_pem.as_bytes()),
    );
    match json_text::string_at(&out, FINGERPRINT_PATH)? {
        Some(fingerprint) => Ok(json_text::replace_string(
            &out,
            &fingerprint.span,
            &fingerprint_of(leaf_der),
        )),
        None => Ok(out),
    }
}

/// `text` with `data."tls.key"` holding `new_pem`.
///
/// # Errors
/// As `certificate_pem`, naming `data.tls.key` when it is absent.
pub(crate) fn with_key_pem(text: &str, new_pem: &str) -> Result<String, String> {
    let value = required(text, KEY_PATH)?;
    let encoded = Zeroizing::new(Base64::encode_string(new_pem.as_bytes()));
    Ok(json_text::replace_string(text, &value.span, &encoded))
}

/// Whether the Secret is marked user-provided (`listener.cattle.io/static: "true"`,
/// `factory.IsStatic`): dynamiclistener never re-issues such a certificate.
pub(crate) fn is_static(text: &str) -> bool {
    json_text::string_at(text, STATIC_PATH)
        .ok()
        .flatten()
        .is_some_and(|v| v.value == "true")
}

/// The value of the fingerprint annotation, when the Secret has one.
///
/// # Errors
/// As `certificate_pem`.
pub(crate) fn fingerprint(text: &str) -> Result<Option<String>, String> {
    Ok(json_text::string_at(text, FINGERPRINT_PATH)?.map(|v| v.value))
}

/// `SHA1=` and the upper-case hex SHA-1 of `der`, dynamiclistener's format.
pub(crate) fn fingerprint_of(der: &[u8]) -> String {
    let digest = Sha1::digest(der);
    format!("SHA1={}", base16ct::upper::encode_string(&digest))
}

fn required(text: &str, path: &[&str]) -> Result<StringValue, String> {
    json_text::string_at(text, path)?.ok_or_else(|| format!("has no {} string", path.join(".")))
}

fn decode(value: &StringValue) -> Result<Vec<u8>, String> {
    Base64::decode_vec(&value.value).map_err(|_| format!("{} is not base64", value.path.join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "{\"metadata\":{\"name\":\"k3s-serving\",\"annotations\":{\"listener.cattle.io/cn-10.0.0.1\":\"10.0.0.1\",\"listener.cattle.io/fingerprint\":\"SHA1=00\"}},\"data\":{\"tls.crt\":\"QUJD\",\"tls.key\":\"S0VZ\"},\"type\":\"kubernetes.io/tls\"}\n";

    #[test]
    fn reads_and_replaces_the_values_only() {
        assert_eq!(certificate_pem(SECRET).expect("valid"), b"ABC");
        assert_eq!(
            key_pem(SECRET).expect("valid").expect("present").as_slice(),
            b"KEY"
        );
        let out = with_certificate_pem(SECRET, "XYZ", b"leaf").expect("valid");
        assert_eq!(certificate_pem(&out).expect("valid"), b"XYZ");
        let expected = fingerprint_of(b"leaf");
        assert_eq!(fingerprint(&out).expect("valid"), Some(expected.clone()));
        assert_eq!(
            out,
            SECRET.replace("QUJD", "WFla").replace("SHA1=00", &expected)
        );
        let out = with_key_pem(&out, "NEW").expect("valid");
        assert_eq!(
            key_pem(&out).expect("valid").expect("present").as_slice(),
            b"NEW"
        );
    }

    #[test]
    fn a_static_secret_is_recognised() {
        assert!(!is_static(SECRET));
        let marked = SECRET.replace(
            "\"listener.cattle.io/fingerprint\"",
            "\"listener.cattle.io/static\":\"true\",\"listener.cattle.io/fingerprint\"",
        );
        assert!(is_static(&marked));
    }

    #[test]
    fn fingerprint_is_upper_case_hex_of_sha1() {
        // SHA-1("abc"), FIPS 180-2 appendix A.1.
        assert_eq!(
            fingerprint_of(b"abc"),
            "SHA1=A9993E364706816ABA3E25717850C26C9CD0D89D"
        );
    }

    #[test]
    fn a_secret_without_a_certificate_says_so() {
        let err = certificate_pem("{\"data\":{}}").unwrap_err();
        assert!(err.contains("data.tls.crt"), "{err}");
        assert!(
            certificate_pem("{\"data\":{\"tls.crt\":\"@@\"}}")
                .unwrap_err()
                .contains("base64")
        );
    }
}
