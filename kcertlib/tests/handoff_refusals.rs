//! Tampered inputs are refused with errors that name the entry and what is wrong, and change
//! nothing: on the signing side a request per request (its CA unknown or without its key here,
//! its certificate not signed by that CA, a CA, unreadable PEM); on the node the whole
//! installation (a certificate not signed by the node's CA, not holding the node's key, with
//! another subject or other extensions, for an entry the node does not have); and files that
//! are not a request or signed file of a known format.

mod handoff_support;

use std::path::{Path, PathBuf};

use handoff_support::*;
use kcertlib::fixture::FixtureLayout;
use kcertlib::handoff::{
    ExportOptions, InstallOptions, RequestSet, SignOptions, SignedSet, export_requests,
    install_signed, sign_requests,
};
use kcertlib::{
    AltNames, Certificate, ErrorKind, Issuer, KeyAlgorithm, PrivateKey, ResignOptions,
    ValidityPolicy, resign, self_signed_ca,
};

const KUBELET_CLIENT: &str = "kubelet-client-current";

struct Trees {
    _dir: tempfile::TempDir,
    cp: PathBuf,
    worker: PathBuf,
    requests: RequestSet,
    signed: SignedSet,
}

fn trees() -> Trees {
    let (dir, cp) = control_plane(FixtureLayout::Kubeadm, 1);
    let worker = dir.path().join("worker");
    kubeadm_worker(&cp, &worker);
    let requests = export_requests(&worker, &ExportOptions::default()).expect("export");
    let signed = sign_requests(&cp, &requests, &SignOptions::default()).expect("sign");
    assert!(signed.refused.is_empty(), "{}", signed.to_json());
    Trees {
        _dir: dir,
        cp,
        worker,
        requests,
        signed,
    }
}

fn cert(path: &Path) -> Certificate {
    Certificate::from_pem(&std::fs::read(path).expect("read")).expect("certificate")
}

fn key(path: &Path) -> PrivateKey {
    PrivateKey::load_file(path).expect("key")
}

/// A request set holding one altered copy of the worker's request.
fn one_request(t: &Trees, change: impl FnOnce(&mut kcertlib::handoff::Request)) -> RequestSet {
    let mut set = t.requests.clone();
    set.requests.truncate(1);
    change(&mut set.requests[0]);
    set
}

fn refusal(t: &Trees, set: &RequestSet) -> String {
    let signed = sign_requests(&t.cp, set, &SignOptions::default()).expect("sign");
    assert!(signed.signed.is_empty(), "signed: {}", signed.to_json());
    assert_eq!(signed.refused.len(), 1);
    assert_eq!(signed.refused[0].name, KUBELET_CLIENT);
    signed.refused[0].reason.clone()
}

#[test]
fn the_signing_side_refuses_what_does_not_fit_per_request() {
    let t = trees();
    let pki = t.cp.join("etc/kubernetes/pki");
    // Signed by another CA than the one it names: front-proxy-client claims CA "ca".
    let front = std::fs::read_to_string(pki.join("front-proxy-client.crt")).expect("read");
    let why = refusal(&t, &one_request(&t, |r| r.certificate_pem = front));
    assert!(why.contains("was not signed by CA ca"), "{why}");
    // A CA the signing side does not have.
    let why = refusal(
        &t,
        &one_request(&t, |r| r.ca.subject = "CN=elsewhere".into()),
    );
    assert!(
        why.contains("is not on this node") && why.contains("elsewhere"),
        "{why}"
    );
    // A CA certificate as the request.
    let ca = std::fs::read_to_string(pki.join("ca.crt")).expect("read");
    let why = refusal(&t, &one_request(&t, |r| r.certificate_pem = ca));
    assert!(why.contains("a CA certificate"), "{why}");
    // Malformed PEM, and a key slipped in.
    let why = refusal(
        &t,
        &one_request(&t, |r| {
            r.certificate_pem =
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".into()
        }),
    );
    assert!(why.contains("cannot be read"), "{why}");
    let with_key = format!(
        "{}{}",
        t.requests.requests[0].certificate_pem,
        std::fs::read_to_string(pki.join("apiserver.key")).expect("key")
    );
    let why = refusal(&t, &one_request(&t, |r| r.certificate_pem = with_key));
    assert!(why.contains("private key"), "{why}");
    // Where the CA key is not: the worker itself.
    let signed = sign_requests(&t.worker, &t.requests, &SignOptions::default()).expect("sign");
    assert!(signed.signed.is_empty());
    assert!(
        signed.refused[0]
            .reason
            .contains("the key of CA ca is not on this node"),
        "{}",
        signed.to_json()
    );
}

/// Installs `signed` expecting an error of `kind` whose message contains `says`, and the worker
/// unchanged.
fn refused_install(t: &Trees, signed: &SignedSet, kind: ErrorKind, says: &str) {
    let before = snapshot(&t.worker);
    let e = install_signed(&t.worker, signed, &InstallOptions::default())
        .expect_err("a tampered certificate was installed");
    assert_eq!(e.kind(), kind, "{e}");
    assert!(e.to_string().contains(says), "{e}");
    // An entry is named once, as the error's context, not again inside its message.
    if let Some(entry) = e.entry() {
        assert_eq!(e.to_string().matches(entry).count(), 1, "{e}");
    }
    let after = snapshot(&t.worker);
    let changed: Vec<_> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    assert!(changed.is_empty(), "a refused install changed {changed:?}");
}

/// The signed set with its certificate replaced by `cert`.
fn with_certificate(t: &Trees, cert: &Certificate) -> SignedSet {
    let mut signed = t.signed.clone();
    signed.signed[0].certificate_pem = cert.to_pem();
    signed
}

#[test]
fn the_node_refuses_tampered_certificates_and_changes_nothing() {
    let t = trees();
    let pki = t.cp.join("etc/kubernetes/pki");
    let (ca_cert, ca_key) = (cert(&pki.join("ca.crt")), key(&pki.join("ca.key")));
    let issuer = Issuer::new(&ca_cert, &ca_key).expect("issuer");
    let old =
        Certificate::from_pem(t.requests.requests[0].certificate_pem.as_bytes()).expect("old");
    let names = |s: &str| AltNames::parse(s).expect("names");

    // Another certificate of the control plane, signed by the right CA: not the node's key.
    let other = resign(
        &cert(&pki.join("apiserver-kubelet-client.crt")),
        &issuer,
        &ResignOptions::default(),
    )
    .expect("resign")
    .certificate;
    refused_install(
        &t,
        &with_certificate(&t, &other),
        ErrorKind::KeyMismatch,
        "does not hold this node's key",
    );

    // The right key and CA, extensions changed (a SAN added).
    let changed = resign(
        &old,
        &issuer,
        &ResignOptions::default().with_added_alt_names(names("DNS:evil.example.com")),
    )
    .expect("resign")
    .certificate;
    refused_install(
        &t,
        &with_certificate(&t, &changed),
        ErrorKind::InvalidCertificate,
        "differs from the one it replaces",
    );

    // Signed by a CA of the same name with another key.
    let rogue_key = PrivateKey::generate(&KeyAlgorithm::P256).expect("key");
    let rogue =
        self_signed_ca(&ca_cert.subject(), &rogue_key, &ValidityPolicy::days(30)).expect("ca");
    let forged = resign(
        &old,
        &Issuer::new(&rogue, &rogue_key).expect("issuer"),
        &ResignOptions::default(),
    )
    .expect("resign")
    .certificate;
    refused_install(
        &t,
        &with_certificate(&t, &forged),
        ErrorKind::VerificationFailed,
        "not signed by CA ca",
    );
    // ... and that CA carried along does not help: it is not the node's.
    let mut carried = with_certificate(&t, &forged);
    carried.ca_certificates.push(rogue.to_pem());
    refused_install(
        &t,
        &carried,
        ErrorKind::VerificationFailed,
        "not signed by CA ca",
    );

    // A name the node does not have.
    let mut stale = t.signed.clone();
    stale.signed[0].name = Some("no-such-entry".into());
    refused_install(&t, &stale, ErrorKind::InvalidArgument, "no-such-entry");

    // Plain PEM whose key matches no entry.
    let pem = SignedSet::parse(&other.to_pem()).expect("pem");
    refused_install(&t, &pem, ErrorKind::KeyMismatch, "public key");

    // The untampered file still installs, after all that.
    let report = install_signed(
        &t.worker,
        &t.signed,
        &InstallOptions::default().with_dry_run(true),
    )
    .expect("dry run");
    assert!(
        !report.changed && report.renewed.len() == 1,
        "{}",
        report.to_json()
    );
    install_signed(&t.worker, &t.signed, &InstallOptions::default()).expect("install");
}

#[test]
fn a_carried_ca_the_node_already_has_installs_nothing() {
    let t = trees();
    let ca = std::fs::read_to_string(t.worker.join("etc/kubernetes/pki/ca.crt")).expect("ca");
    let mut signed = t.signed.clone();
    signed.signed.clear();
    signed.ca_certificates = vec![ca];
    let before = snapshot(&t.worker);
    let report = install_signed(&t.worker, &signed, &InstallOptions::default()).expect("install");
    assert!(
        !report.changed && report.renewed.is_empty(),
        "{}",
        report.to_json()
    );
    let after = snapshot(&t.worker);
    assert!(
        before.iter().all(|(p, b)| after.get(p) == Some(b)),
        "an empty install changed a file"
    );
}

#[test]
fn files_of_another_kind_or_format_are_refused_with_the_field_named() {
    let t = trees();
    let requests = t.requests.to_json();
    let signed = t.signed.to_json();
    assert_eq!(
        RequestSet::from_json(&requests).expect("round trip"),
        t.requests
    );
    assert_eq!(SignedSet::parse(&signed).expect("round trip"), t.signed);

    let err = |r: kcertlib::Result<RequestSet>| r.expect_err("accepted").to_string();
    let e = err(RequestSet::from_json(
        &requests.replace("\"format\": 1", "\"format\": 2"),
    ));
    assert!(e.contains("\"format\" is 2"), "{e}");
    let e = err(RequestSet::from_json(&signed));
    assert!(e.contains("\"kind\" is \"kcert-signed\""), "{e}");
    let e = err(RequestSet::from_json(
        &requests.replace("\"layout\"", "\"layoutX\""),
    ));
    assert!(e.contains("layoutX"), "{e}");
    let e = err(RequestSet::from_json("[1, 2]"));
    assert!(e.contains("not a JSON object"), "{e}");
    let e = err(RequestSet::from_json(
        "{\"kind\": \"kcert-requests\", \"format\": 1",
    ));
    assert!(e.contains("kcert-requests file"), "{e}");
    let big = " ".repeat(257 << 20);
    let e = err(RequestSet::from_json(&big));
    assert!(e.contains("over the limit"), "{e}");

    let e = SignedSet::parse(&signed.replace("\"kind\": \"kcert-signed\"", "\"kind\": \"x\""))
        .expect_err("accepted")
        .to_string();
    assert!(e.contains("\"kind\" is \"x\""), "{e}");
    let key = std::fs::read_to_string(t.cp.join("etc/kubernetes/pki/ca.key")).expect("key");
    let e = SignedSet::parse(&key)
        .expect_err("a key accepted")
        .to_string();
    assert!(e.contains("private key"), "{e}");
    let e = SignedSet::parse("hello").expect_err("accepted").to_string();
    assert!(e.contains("neither"), "{e}");
}

#[test]
fn a_ca_named_for_export_is_skipped_with_where_to_renew_it() {
    let (dir, cp) = control_plane(FixtureLayout::Kubeadm, 1);
    let worker = dir.path().join("worker");
    kubeadm_worker(&cp, &worker);
    let set =
        export_requests(&worker, &ExportOptions::default().with_only(["ca"])).expect("export");
    assert!(set.requests.is_empty(), "{}", set.to_json());
    let skipped: Vec<_> = set.skipped.iter().filter(|s| s.name == "ca").collect();
    assert_eq!(skipped.len(), 1, "{}", set.to_json());
    assert!(
        skipped[0].reason.contains("where its key is")
            && skipped[0].reason.contains("not exported"),
        "{}",
        skipped[0].reason
    );
}
