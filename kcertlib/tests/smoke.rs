//! Issue → re-sign → verify with our own verifier and with the openssl CLI.

use kcertlib::*;

#[test]
fn issue_and_resign_with_each_ca_algorithm() {
    let dir = tempfile::tempdir().expect("tempdir");
    for alg in [
        KeyAlgorithm::Rsa(2048),
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
    ] {
        let ca_key = PrivateKey::generate(&alg).expect("ca key");
        let ca = self_signed_ca("CN=kubernetes", &ca_key, &ValidityPolicy::days(3650)).expect("ca");
        let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
        let leaf_key = PrivateKey::generate(&KeyAlgorithm::P256).expect("leaf key");
        let mut req = IssueRequest::new("CN=kube-apiserver,O=system:masters", Profile::Api);
        req.alt_names = AltNames::new(
            ["kubernetes", "localhost"],
            ["127.0.0.1".parse().expect("ip")],
        );
        let leaf = issue(&req, &leaf_key.public_key_der().expect("spki"), &issuer).expect("issue");
        verify_signature(&leaf, &ca).expect("verifies");
        assert!(leaf_key.matches(&leaf));
        let re = resign(&leaf, &issuer, &ResignOptions::default()).expect("resign");
        verify_signature(&re.certificate, &ca).expect("re-signed verifies");
        assert_eq!(re.certificate.subject_der().ok(), leaf.subject_der().ok());
        assert_ne!(re.certificate.serial(), leaf.serial());
        let ca_path = dir.path().join("ca.crt");
        let leaf_path = dir.path().join("leaf.crt");
        std::fs::write(&ca_path, ca.to_pem()).expect("write");
        std::fs::write(&leaf_path, re.certificate.to_pem()).expect("write");
        let out = std::process::Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(&ca_path)
            .arg(&leaf_path)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "{alg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
