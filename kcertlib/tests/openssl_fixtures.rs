//! The core judged by independent implementations, on certificates kcertlib did not make:
//! `testing/openssl-fixtures.sh` builds them with the openssl CLI, and every re-signed result is
//! checked by `openssl verify` and by Python `cryptography` (`testing/judge.py`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

mod openssl_support;

use kcertlib::*;
use openssl_support::*;
use serde_json::Value;

#[test]
fn every_good_certificate_round_trips_byte_for_byte() {
    use der::Encode;
    let mut n = 0;
    for role in ["leaf", "ca"] {
        for (name, meta) in files(role) {
            let c = cert(&name);
            let reencoded = c.x509().expect("decodes").to_der().expect("encodes");
            assert_eq!(reencoded, c.as_der(), "{name}: re-encoding differs");
            assert_eq!(
                c.subject(),
                meta["subject"].as_str().expect("subject"),
                "{name}"
            );
            assert_eq!(
                c.serial_hex().trim_start_matches('0'),
                meta["serial_hex"]
                    .as_str()
                    .expect("serial")
                    .trim_start_matches('0'),
                "{name}"
            );
            assert_eq!(
                c.not_after().to_rfc3339(),
                meta["not_after"].as_str().expect("na"),
                "{name}"
            );
            n += 1;
        }
    }
    assert!(n >= 12, "expected the manifest's certificates, found {n}");
}

#[test]
fn keys_load_in_their_format_match_and_write_back_the_same() {
    for (name, meta) in files("key") {
        let k = key(&name);
        let expected = match meta["key_format"].as_str().expect("format") {
            "pkcs1" => KeyFormat::Pkcs1,
            "pkcs8" => KeyFormat::Pkcs8,
            "sec1" => KeyFormat::Sec1,
            other => panic!("unknown format {other}"),
        };
        assert_eq!(k.format(), expected, "{name}");
        let c = cert(meta["cert_file"].as_str().expect("cert_file"));
        assert!(k.matches(&c), "{name} should match its certificate");
        let again = PrivateKey::load(k.to_pem().expect("pem").as_bytes()).expect("reloads");
        assert_eq!(again.format(), expected);
        assert_eq!(
            *again.to_der().expect("der"),
            *k.to_der().expect("der"),
            "{name}: key re-encoding differs"
        );
    }
    assert!(!key("bad/wrong_key_for_client.key").matches(&cert("client.crt")));
}

#[test]
fn resigned_leaves_verify_with_openssl_and_cryptography_and_change_only_what_must() {
    let out = tempfile::tempdir().expect("tmp");
    let mut n = 0;
    for (name, meta) in files("leaf") {
        let issuer_file = meta["issuer_file"].as_str().expect("issuer");
        if issuer_file == "ca-nocertsign.crt" {
            continue;
        }
        let ca = cert(issuer_file);
        let ca_key = key(&issuer_file.replace(".crt", ".key"));
        let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
        let old = cert(&name);
        let new = resign(&old, &issuer, &ResignOptions::default()).expect("resigns");
        let new_path = write(out.path(), &name, &new.certificate.to_pem());
        openssl_verify(&path(issuer_file), &new_path)
            .unwrap_or_else(|e| panic!("{name}: openssl verify: {e}"));
        let (ok, verdict) = judge(&[Path::new("verify"), &new_path, &path(issuer_file)]);
        assert!(
            ok,
            "{name}: cryptography rejects the re-signed cert: {verdict}"
        );

        let (_, cmp) = judge(&[Path::new("compare"), &path(&name), &new_path]);
        let different: Vec<&str> = cmp["different"]
            .as_array()
            .expect("compare output")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let allowed = [
            "serial",
            "serial_hex",
            "not_before",
            "not_after",
            "not_before_encoding",
            "not_after_encoding",
            "signature_hex",
            "fingerprint_sha256",
            "authority_key_identifier_hex",
            "extension:2.5.29.35",
            "validity",
            "signature_algorithm",
            "signature_algorithm_oid",
        ];
        let had_aki = old.authority_key_id().is_some();
        let was_v1 =
            old.x509().expect("decodes").tbs_certificate().version() == x509_cert::Version::V1;
        for field in &different {
            if *field == "extension_order" && !had_aki {
                continue; // the AKI was added, pointing at the CA's SKI
            }
            if *field == "version" && was_v1 && new.certificate.authority_key_id().is_some() {
                continue; // a v1 certificate that gains an AKI must become v3
            }
            assert!(
                allowed.contains(field),
                "{name}: field {field} changed on re-sign"
            );
        }
        assert!(different.contains(&"serial"), "{name}: serial must change");
        n += 1;
    }
    assert!(n >= 9, "re-signed {n} leaves");
}

/// Ways of re-signing that may add extensions to a certificate that had none.
fn resign_variants() -> Vec<(&'static str, ResignOptions)> {
    vec![
        ("default", ResignOptions::default()),
        (
            "rotated key",
            ResignOptions::default().with_key(KeyPolicy::Rotate),
        ),
        (
            "forced profile",
            ResignOptions::default().with_forced_profile(Profile::Client),
        ),
        (
            "new SANs",
            ResignOptions::default().with_alt_names(AltNames::new(["v1.example.test"], [])),
        ),
    ]
}

#[test]
fn a_v1_leaf_that_gains_extensions_is_resigned_as_v3_and_passes_x509_strict() {
    let dir = tempfile::tempdir().expect("tmp");
    assert_eq!(
        openssl_version_and_extensions(&path("v1-leaf.crt")),
        (1, false),
        "the fixture is a v1 certificate"
    );
    let ca = cert("ca-rsa2048.crt");
    let ca_key = key("ca-rsa2048.key");
    let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
    for (what, options) in resign_variants() {
        let new = resign(&cert("v1-leaf.crt"), &issuer, &options)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .certificate;
        let p = write(dir.path(), &format!("{what}.pem"), &new.to_pem());
        assert_eq!(
            openssl_version_and_extensions(&p),
            (3, true),
            "{what}: a certificate with extensions must be v3"
        );
        assert_eq!(new.authority_key_id(), ca.subject_key_id(), "{what}");
        openssl_verify_strict(&path("ca-rsa2048.crt"), &p)
            .unwrap_or_else(|e| panic!("{what}: openssl verify -x509_strict: {e}"));
        let (ok, verdict) = judge(&[Path::new("verify"), &p, &path("ca-rsa2048.crt")]);
        assert!(ok, "{what}: cryptography rejects it: {verdict}");
    }
}

#[test]
fn a_v1_leaf_under_a_ca_without_an_ski_stays_v1_unless_it_gains_extensions() {
    let dir = tempfile::tempdir().expect("tmp");
    let ca_path = path("ca-noski.crt");
    let ca = cert("ca-noski.crt");
    assert!(ca.subject_key_id().is_none(), "the fixture CA has no SKI");
    let ca_key = key("ca-noski.key");
    let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
    let old = cert("v1-leaf-of-noski.crt");
    for (what, options) in resign_variants() {
        let new = resign(&old, &issuer, &options)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .certificate;
        let p = write(dir.path(), &format!("{what}.pem"), &new.to_pem());
        let gains_extensions = options.force_profile.is_some() || options.alt_names.is_some();
        let expected = if gains_extensions {
            (3, true)
        } else {
            (1, false)
        };
        assert_eq!(openssl_version_and_extensions(&p), expected, "{what}");
        if !gains_extensions {
            // Nothing but serial, validity and signature may differ from the v1 original.
            assert_eq!(
                new.x509().expect("decodes").tbs_certificate().version(),
                x509_cert::Version::V1
            );
            assert!(new.extensions().is_empty(), "{what}");
        }
        openssl_verify(&ca_path, &p).unwrap_or_else(|e| panic!("{what}: openssl verify: {e}"));
        // -x509_strict refuses this CA itself (a v3 CA must carry an SKI). About the re-signed
        // certificate (depth 0) it may only add, for a v3 one, that it has no AKI: there is no
        // CA SKI to point at. A v1 result must draw no complaint at all.
        let strict = openssl_verify_strict(&ca_path, &p).expect_err("the CA has no SKI");
        assert!(
            strict.contains("at 1 depth lookup: Missing Subject Key Identifier"),
            "{what}: {strict}"
        );
        let leaf_errors: Vec<&str> = strict
            .lines()
            .filter(|l| l.contains(" at 0 depth lookup: "))
            .collect();
        let allowed: &[&str] = if gains_extensions {
            &["Missing Authority Key Identifier"]
        } else {
            &[]
        };
        assert!(
            leaf_errors
                .iter()
                .all(|l| allowed.iter().any(|a| l.ends_with(a))),
            "{what}: {strict}"
        );
    }
}

#[test]
fn exotic_extensions_and_sans_survive_byte_for_byte() {
    let old = cert("exotic.crt");
    let ca = cert("ca-rsa4096.crt");
    let ca_key = key("ca-rsa4096.key");
    let new = resign(
        &old,
        &Issuer::new(&ca, &ca_key).expect("issuer"),
        &ResignOptions::default(),
    )
    .expect("resign")
    .certificate;
    let keep = |c: &Certificate| {
        c.extensions()
            .into_iter()
            .filter(|e| e.oid != "2.5.29.35")
            .collect::<Vec<_>>()
    };
    assert_eq!(keep(&old), keep(&new));
    assert!(
        old.extensions()
            .iter()
            .any(|e| e.oid == "1.3.6.1.4.1.55555.1.1"),
        "fixture has the private extension"
    );
    let alt = new.alt_names();
    assert!(
        alt.uris.iter().any(|u| u.starts_with("spiffe://")),
        "{alt:?}"
    );
    assert!(!alt.emails.is_empty(), "{alt:?}");
    assert_eq!(old.subject_der().ok(), new.subject_der().ok());
    assert_eq!(old.spki_der().ok(), new.spki_der().ok());
}

#[test]
fn backdating_and_clamping_follow_the_policy() {
    let ca = cert("ca-rsa2048.crt");
    let ca_key = key("ca-rsa2048.key");
    let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
    let leaf = cert("client.crt");
    let now = Timestamp::now();
    let mut opts = ResignOptions::default();
    opts.validity.now = Some(now);
    opts.validity.not_before = NotBefore::Backdate(Duration::from_secs(1800));
    let r = resign(&leaf, &issuer, &opts).expect("resign");
    // The fixture CA was made moments ago, so a 30-minute backdate may hit its notBefore.
    let expected_nb = std::cmp::max(now.minus(Duration::from_secs(1800)), ca.not_before());
    assert_eq!(r.certificate.not_before(), expected_nb);

    opts.validity.not_before = NotBefore::Backdate(Duration::from_secs(100 * 365 * 86_400));
    let r = resign(&leaf, &issuer, &opts).expect("resign");
    assert_eq!(
        r.certificate.not_before(),
        ca.not_before(),
        "clamped to the CA"
    );
    assert!(
        matches!(r.clamps.first(), Some(Clamp::NotBeforeRaised { .. })),
        "{:?}",
        r.clamps
    );

    opts.validity.not_before = NotBefore::KeepOriginal;
    let r = resign(&leaf, &issuer, &opts).expect("resign");
    assert_eq!(r.certificate.not_before(), leaf.not_before());

    opts.validity.not_before = NotBefore::CaNotBefore;
    opts.validity.lifetime = Duration::from_secs(50 * 365 * 86_400);
    let r = resign(&leaf, &issuer, &opts).expect("resign");
    assert_eq!(
        r.certificate.not_after(),
        ca.not_after(),
        "notAfter lowered to the CA's"
    );
    assert!(
        r.clamps
            .iter()
            .any(|c| matches!(c, Clamp::NotAfterLowered { .. }))
    );

    opts.validity.issuer_window = IssuerWindow::DangerousAllowOutliving;
    let r = resign(&leaf, &issuer, &opts).expect("resign");
    assert!(r.certificate.not_after() > ca.not_after());
}

#[test]
fn century_lifetime_uses_generalized_time_and_openssl_reads_the_year() {
    let ca_key = key("ca-p256.key");
    let mut validity = ValidityPolicy::days(36_500);
    validity.issuer_window = IssuerWindow::DangerousAllowOutliving;
    let ca = self_resign_ca(
        &cert("ca-p256.crt"),
        &ca_key,
        &ResignOptions::default().with_validity(validity),
    )
    .expect("CA extended")
    .certificate;
    let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
    let r = resign(
        &cert("century.crt"),
        &issuer,
        &ResignOptions::default().with_validity(validity),
    )
    .expect("resign");
    let year = 1970 + r.certificate.not_after().unix() / (365.2425 * 86_400.0) as i64;
    assert!(year >= 2125, "year {year}");
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "c.pem", &r.certificate.to_pem());
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-enddate", "-in"])
        .arg(&p)
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&year.to_string()),
        "openssl says {text}, expected year {year}"
    );
    let asn1 = Command::new("openssl")
        .args(["asn1parse", "-in"])
        .arg(&p)
        .output()
        .expect("openssl");
    assert!(String::from_utf8_lossy(&asn1.stdout).contains("GENERALIZEDTIME"));
    let ca_path = write(dir.path(), "ca.pem", &ca.to_pem());
    openssl_verify(&ca_path, &p).expect("verifies");
}

#[test]
fn key_rotation_replaces_spki_and_ski_and_still_verifies() {
    let ca = cert("ca-p256.crt");
    let ca_key = key("ca-p256.key");
    let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
    let old = cert("etcd.crt");
    for policy in [
        KeyPolicy::Rotate,
        KeyPolicy::RotateTo(KeyAlgorithm::Rsa(2048)),
    ] {
        let r = resign(
            &old,
            &issuer,
            &ResignOptions::default().with_key(policy.clone()),
        )
        .expect("resign");
        let new_key = r.key.expect("new key");
        assert!(new_key.matches(&r.certificate));
        assert!(!key("etcd.key").matches(&r.certificate));
        assert_ne!(r.certificate.subject_key_id(), old.subject_key_id());
        assert_eq!(r.certificate.alt_names(), old.alt_names());
        verify_signature(&r.certificate, &ca).expect("verifies");
        if policy == KeyPolicy::Rotate {
            assert_eq!(new_key.algorithm(), KeyAlgorithm::P256);
        } else {
            assert_eq!(new_key.algorithm(), KeyAlgorithm::Rsa(2048));
        }
    }
}

#[test]
fn a_self_resigned_ca_keeps_its_leaves_valid() {
    let dir = tempfile::tempdir().expect("tmp");
    let ca = cert("ca-rsa2048.crt");
    let ca_key = key("ca-rsa2048.key");
    let extended = self_resign_ca(
        &ca,
        &ca_key,
        &ResignOptions::default().with_validity(ValidityPolicy::days(3650)),
    )
    .expect("extends")
    .certificate;
    assert_eq!(extended.subject_der().ok(), ca.subject_der().ok());
    assert_eq!(extended.spki_der().ok(), ca.spki_der().ok());
    assert!(extended.not_after() > ca.not_after());
    let ca_path = write(dir.path(), "ca.pem", &extended.to_pem());
    openssl_verify(&ca_path, &path("client.crt"))
        .expect("old leaf verifies against the extended CA");
    assert!(
        self_resign_ca(
            &ca,
            &ca_key,
            &ResignOptions::default().with_key(KeyPolicy::Rotate)
        )
        .is_err()
    );
}

#[test]
fn forcing_a_profile_repairs_usages_and_keeps_the_rest() {
    let ca = cert("ca-rsa2048.crt");
    let ca_key = key("ca-rsa2048.key");
    let issuer = Issuer::new(&ca, &ca_key).expect("issuer");
    let client = cert("client.crt");
    let r = resign(
        &client,
        &issuer,
        &ResignOptions::default().with_forced_profile(Profile::ApiProxyClient),
    )
    .expect("resign");
    let eku = r.certificate.extended_key_usage().expect("eku");
    assert!(
        eku.contains(&ExtendedKeyUsage::ServerAuth) && eku.contains(&ExtendedKeyUsage::ClientAuth)
    );
    assert_eq!(r.certificate.subject(), client.subject());
}

#[test]
fn a_ca_without_key_cert_sign_is_refused() {
    let ca = cert("ca-nocertsign.crt");
    let k = key("ca-nocertsign.key");
    let e = Issuer::new(&ca, &k).err().expect("refused");
    assert_eq!(e.kind(), ErrorKind::InvalidIssuer);
    assert!(e.to_string().contains("keyCertSign"), "{e}");
    let e = Issuer::new(&cert("ca-rsa2048.crt"), &key("ca-p256.key"))
        .err()
        .expect("mismatch");
    assert_eq!(e.kind(), ErrorKind::KeyMismatch);
    let e = Issuer::new(&cert("client.crt"), &key("client.key"))
        .err()
        .expect("not a CA");
    assert_eq!(e.kind(), ErrorKind::InvalidIssuer);
}

#[test]
fn bad_inputs_give_typed_errors() {
    for (name, meta) in files("bad") {
        let bytes = std::fs::read(path(&name)).expect("read");
        let intent = meta["intent"].as_str().expect("intent");
        let result: std::result::Result<(), Error> = match meta["object"].as_str() {
            Some("key") => PrivateKey::load(&bytes).map(|k| {
                if intent == "key-mismatch" {
                    assert!(!k.matches(&cert("client.crt")));
                }
            }),
            _ => Certificate::load_all(&bytes).map(|_| ()),
        };
        let expected = match intent {
            "encrypted" => Some(ErrorKind::EncryptedKey),
            "unsupported-algorithm" if meta["object"] == "key" => {
                Some(ErrorKind::UnsupportedAlgorithm)
            }
            "unsupported-algorithm" => None, // an Ed25519 certificate parses; signing with it is refused
            "empty" | "pem-no-end" | "bad-base64" => Some(ErrorKind::Pem),
            "truncated" | "trailing-data" => Some(ErrorKind::Der),
            "negative-serial" => Some(ErrorKind::InvalidCertificate),
            "key-mismatch" => None,
            other => panic!("{name}: unknown intent {other}"),
        };
        match (expected, result) {
            (Some(kind), Err(e)) => {
                assert_eq!(e.kind(), kind, "{name}: {e}");
                assert!(!e.to_string().is_empty());
            }
            (Some(kind), Ok(())) => panic!("{name}: expected a {kind} error"),
            (None, Ok(())) => {}
            (None, Err(e)) => panic!("{name}: unexpected error {e}"),
        }
    }
    let e = Certificate::load_file(path("bad/pem_no_end.pem")).expect_err("no END");
    assert!(
        e.to_string().contains("pem_no_end.pem") && e.to_string().contains("no END line"),
        "{e}"
    );
}

#[test]
fn a_messy_bundle_yields_every_certificate() {
    let certs = Certificate::load_file(path("bundle_messy.pem")).expect("bundle parses");
    assert_eq!(certs.len(), 3);
    let chain = Certificate::load_file(path("chain.crt")).expect("chain");
    assert_eq!(chain.len(), 2);
    assert!(chain[1].is_ca());
    verify_chain(&chain[0], &[], &chain[1..]).expect("chain verifies");
}

#[test]
fn csr_from_a_certificate_is_accepted_by_openssl() {
    let dir = tempfile::tempdir().expect("tmp");
    let csr =
        CertificateRequest::from_certificate(&cert("exotic.crt"), &key("exotic.key")).expect("csr");
    csr.verify().expect("self-signature verifies");
    let p = write(dir.path(), "x.csr", &csr.to_pem());
    let out = Command::new("openssl")
        .args(["req", "-verify", "-noout", "-text", "-in"])
        .arg(&p)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("spiffe://"),
        "SANs carried into the CSR: {text}"
    );
    assert!(CertificateRequest::from_certificate(&cert("client.crt"), &key("exotic.key")).is_err());
}
