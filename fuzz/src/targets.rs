//! The body of every fuzz target, as plain functions over bytes.
//!
//! Each function panics when a property of kcertlib's parsers does not hold and returns
//! quietly otherwise (rejecting the input is fine; panicking, hanging or disagreeing is not).
//! `fuzz_targets/*.rs` hand them to libFuzzer; `kcertlib/tests/fuzz_corpus.rs` includes this
//! file and replays every committed corpus file through them on stable Rust, so CI checks the
//! same properties without cargo-fuzz.

use std::io::BufReader;
use std::time::Duration;

use kcertlib::pem::{self, PemBlock, Reader};
use kcertlib::testing::Journal;
use kcertlib::view::CertificateView;
use kcertlib::{Certificate, Kubeconfig, PrivateKey, Timestamp};

/// x509-cert's reading of a certificate, the judge of kcertlib's reader.
#[path = "x509_reference.rs"]
pub mod x509_reference;

/// The checks of one target: return quietly or panic.
pub type Target = fn(&[u8]);

/// Every target by name, as `fuzz/corpus/<name>/` and `fuzz_targets/<name>.rs` are named.
pub const TARGETS: &[(&str, Target)] = &[
    ("pem_blocks", pem_blocks),
    ("pem_stream", pem_stream),
    ("certificate_view", certificate_view),
    ("certificate", certificate),
    ("private_key", private_key),
    ("kubeconfig", kubeconfig),
    ("journal", journal),
];

/// `pem::blocks`: never panics; what it finds is PEM, and a block re-encoded by `pem::encode`
/// reads back the same.
pub fn pem_blocks(data: &[u8]) {
    let Ok(blocks) = pem::blocks(data) else {
        return;
    };
    assert!(blocks.is_empty() || pem::looks_like_pem(data));
    for block in &blocks {
        std::hint::black_box(block.is_legacy_encrypted());
        if !is_plain_label(&block.label) {
            continue;
        }
        let text = pem::encode(&block.label, &block.der);
        let again = pem::blocks(text.as_bytes()).expect("pem::encode output reads back");
        assert_eq!(again.len(), 1, "{text}");
        assert_eq!((&again[0].label, &again[0].der), (&block.label, &block.der));
    }
}

/// `pem::Reader` over a `BufReader` whose capacity is the first byte plus one reads exactly
/// what `pem::blocks` reads from the rest (same blocks, or the same error), and its
/// `for_each_certificate` sees the certificates `Certificate::bundle_from_pem` sees.
pub fn pem_stream(data: &[u8]) {
    let Some((&first, text)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(first) + 1;
    let expected = pem::blocks(text).map_err(|e| e.to_string());
    let got: Result<Vec<PemBlock>, String> = Reader::new(BufReader::with_capacity(capacity, text))
        .collect::<kcertlib::Result<_>>()
        .map_err(|e| e.to_string());
    assert_eq!(got, expected, "BufReader capacity {capacity}");

    let mut streamed = Vec::new();
    let walked = Reader::new(BufReader::with_capacity(capacity, text)).for_each_certificate(|v| {
        streamed.push(v.as_der().to_vec());
        Ok(())
    });
    if expected.is_err() {
        assert!(walked.is_err(), "for_each_certificate ignored a PEM error");
    }
    // The walk parses with `CertificateView`, the bundle with `Certificate`: compare what both
    // accept.
    if let (Ok(n), Ok(bundle)) = (walked, Certificate::bundle_from_pem(text)) {
        assert_eq!(n, streamed.len());
        let ders: Vec<&[u8]> = bundle.iter().map(Certificate::as_der).collect();
        assert_eq!(ders, streamed);
    }
}

/// `CertificateView::parse`: accepts exactly what x509-cert decodes (negative serials aside,
/// rejected with their own kind), and every accessor runs; when it accepts, `Certificate`
/// exposes the same fields and x509-cert decodes the same values.
pub fn certificate_view(data: &[u8]) {
    let judged = x509_reference::read(data);
    let view = match (CertificateView::parse(data), &judged) {
        (Ok(view), Ok(_)) => view,
        (Err(e), Err(kind)) => {
            assert_eq!(
                e.kind(),
                *kind,
                "the reader and x509-cert reject differently: {e}"
            );
            return;
        }
        (Ok(_), Err(kind)) => panic!("the reader accepts what x509-cert rejects ({kind:?})"),
        (Err(e), Ok(_)) => panic!("the reader rejects what x509-cert accepts: {e}"),
    };
    let at = view.not_before();
    std::hint::black_box((
        view.subject(),
        view.issuer(),
        view.serial_hex(),
        view.alt_names(),
        view.public_key_algorithm(),
        view.status(at, Duration::from_secs(86_400)),
    ));
    let cert = Certificate::from_der(data).expect("Certificate reads what the view reads");
    if let Ok(x) = &judged {
        let differences = x509_reference::differences(&cert, x, "input");
        assert!(differences.is_empty(), "{differences:?}");
    }
    assert_eq!(view.as_der(), cert.as_der());
    assert_eq!(view.tbs_der(), cert.tbs_der());
    assert_eq!(view.serial(), cert.serial());
    assert_eq!(view.serial_hex(), cert.serial_hex());
    assert_eq!(Some(view.subject_der()), cert.subject_der().ok());
    assert_eq!(Some(view.issuer_der()), cert.issuer_der().ok());
    assert_eq!(Some(view.spki_der()), cert.spki_der().ok());
    assert_eq!(view.subject(), cert.subject());
    assert_eq!(view.issuer(), cert.issuer());
    assert_eq!(view.subject_attributes(), cert.subject_attributes());
    assert_eq!(view.issuer_attributes(), cert.issuer_attributes());
    assert_eq!(view.common_name(), cert.common_name());
    assert_eq!(view.not_before(), cert.not_before());
    assert_eq!(view.not_after(), cert.not_after());
    for at in [view.not_before(), view.not_after(), Timestamp::from_unix(0)] {
        for warn in [Duration::ZERO, Duration::from_secs(30 * 86_400)] {
            assert_eq!(view.status(at, warn), cert.status(at, warn), "at {at}");
        }
    }
    let alt = cert.alt_names();
    assert_eq!(view.dns_names().collect::<Vec<_>>(), alt.dns);
    assert_eq!(view.ip_addresses().collect::<Vec<_>>(), alt.ips);
    assert_eq!(view.alt_names(), alt);
    assert_eq!(view.basic_constraints(), cert.basic_constraints());
    assert_eq!(view.is_ca(), cert.is_ca());
    assert_eq!(view.is_self_issued(), cert.is_self_issued());
    assert_eq!(
        view.subject_key_id().map(<[u8]>::to_vec),
        cert.subject_key_id()
    );
    assert_eq!(
        view.authority_key_id().map(<[u8]>::to_vec),
        cert.authority_key_id()
    );
    assert_eq!(view.public_key_algorithm(), cert.public_key_algorithm());
    assert_eq!(view.signature_algorithm(), cert.signature_algorithm());
    assert_eq!(view.fingerprint_sha256(), cert.fingerprint_sha256());
    let raw: Vec<(bool, Vec<u8>)> = cert
        .extensions()
        .into_iter()
        .map(|e| (e.critical, e.value))
        .collect();
    let viewed: Vec<(bool, Vec<u8>)> = view
        .extensions()
        .map(|(_, critical, value)| (critical, value.to_vec()))
        .collect();
    assert_eq!(viewed, raw);
    assert_eq!(view.to_certificate().ok().as_ref(), Some(&cert));
}

/// `Certificate` from DER, from PEM and from PEM bundles: every accessor runs, and a parsed
/// certificate survives `as_der`/`to_pem` and back unchanged.
pub fn certificate(data: &[u8]) {
    if let Ok(cert) = Certificate::from_der(data) {
        assert_eq!(cert.as_der(), data);
        exercise_certificate(&cert);
    }
    let bundle = Certificate::bundle_from_pem(data);
    if let Ok(bundle) = &bundle {
        for cert in bundle {
            exercise_certificate(cert);
        }
    }
    match Certificate::from_pem(data) {
        Ok(first) => assert_eq!(bundle.ok().and_then(|b| b.into_iter().next()), Some(first)),
        Err(_) => assert!(bundle.is_err() || bundle.is_ok_and(|b| b.is_empty())),
    }
    if let Ok(all) = Certificate::load_all(data) {
        assert!(!all.is_empty());
        all.iter().for_each(exercise_certificate);
    }
}

/// `PrivateKey::load` of PEM or DER: every accessor runs, and a loaded key written out by
/// `to_pem`/`to_der` loads again as the same key (public half, algorithm, format).
pub fn private_key(data: &[u8]) {
    let Ok(key) = PrivateKey::load(data) else {
        return;
    };
    std::hint::black_box((key.algorithm().name(), format!("{key:?}")));
    let public = key
        .public_key_der()
        .expect("a loaded key has a public half");
    key.public_key_info()
        .expect("its SubjectPublicKeyInfo decodes");
    let pem = key.to_pem().expect("a loaded key encodes as PEM");
    let again = PrivateKey::load(pem.as_bytes()).expect("to_pem output loads again");
    assert_eq!(again.public_key_der().ok().as_ref(), Some(&public));
    assert_eq!(
        (again.algorithm(), again.format()),
        (key.algorithm(), key.format())
    );
    let der = key.to_der().expect("a loaded key encodes as DER");
    let again = PrivateKey::load(&der).expect("to_der output loads again");
    assert_eq!(again.public_key_der().ok().as_ref(), Some(&public));
}

/// `Kubeconfig::parse` of UTF-8 text: bounded in time and memory (the corpus holds alias bombs
/// and deep nesting), every accessor runs, and every base64 value it reports can be found for
/// replacement.
pub fn kubeconfig(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(kc) = Kubeconfig::parse(text, "fuzz.kubeconfig") else {
        return;
    };
    assert_eq!(kc.text(), text);
    let (users, clusters, contexts) = (kc.users(), kc.clusters(), kc.contexts());
    for user in &users {
        assert!(kc.user(&user.name).is_some());
    }
    for cluster in &clusters {
        assert!(kc.cluster(&cluster.name).is_some());
    }
    std::hint::black_box((kc.current(), kc.client_user(), contexts.len()));
    let values = users
        .iter()
        .flat_map(|u| {
            [
                u.client_certificate_data_base64.as_deref(),
                u.client_key_data_base64.as_deref(),
            ]
        })
        .chain(
            clusters
                .iter()
                .map(|c| c.certificate_authority_data_base64.as_deref()),
        )
        .flatten();
    for old in values {
        // Not found exactly once (quoted, folded, repeated) is an error, never a panic.
        if let Ok(new) = kc.with_replaced_value(old, "QUJD") {
            assert!(new.contains("QUJD"));
        }
    }
}

/// `Journal::from_json`: never panics, and a journal it accepts reads back the same after
/// being written out again.
pub fn journal(data: &[u8]) {
    let Ok(journal) = Journal::from_json(data) else {
        return;
    };
    let json = serde_json::to_vec(&journal).expect("a journal serialises");
    let again = Journal::from_json(&json).expect("a written journal reads back");
    assert_eq!(
        serde_json::to_vec(&again).expect("serialises"),
        json,
        "journal round trip"
    );
    // Validated against a real tree as recovery would: it accepts a journal only when every
    // path it names resolves, inside the root, to itself.
    let root = journal_root();
    if let Ok(valid) = kcertlib::testing::check_journal(data, root) {
        for record in &valid.files {
            assert!(
                record.path.is_relative()
                    && record
                        .path
                        .components()
                        .all(|c| matches!(c, std::path::Component::Normal(_))),
                "accepted a record that is not a plain relative path: {:?}",
                record.path
            );
        }
    }
}

/// The tree journals are validated against: a kubeadm node built once at a fixed path, so the
/// corpus's journals (made for that path) reach the record checks. `JOURNAL_ROOT` names it.
///
/// The fuzz target calls it from libFuzzer's `init`, before the first input: building the tree
/// signs a dozen certificates, which under ASan on a busy machine outlasts the per-input timeout
/// (a first run timed out in RSA key generation). Its leaf keys are P-256 for the same reason.
pub fn journal_root() -> &'static std::path::Path {
    static ROOT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::path::PathBuf::from(JOURNAL_ROOT);
        if !root.join("etc/kubernetes/pki/ca.crt").exists() {
            let _ = std::fs::remove_dir_all(&root);
            let options = kcertlib::fixture::FixtureOptions::default()
                .with_reuse_leaf_keys(true)
                .with_leaf_key(kcertlib::KeyAlgorithm::P256)
                .with_etcd_hosts(1);
            kcertlib::fixture::build(&root, kcertlib::fixture::FixtureLayout::Kubeadm, &options)
                .expect("the journal target's tree");
        }
        root
    })
}

/// Where `journal_root` builds its tree; the corpus's journals name this root.
pub const JOURNAL_ROOT: &str = "/tmp/kcert-fuzz-journal-root";

/// Calls every accessor of a parsed certificate and checks its round trips.
fn exercise_certificate(cert: &Certificate) {
    let (nb, na) = (cert.not_before(), cert.not_after());
    std::hint::black_box((
        cert.subject(),
        cert.issuer(),
        cert.subject_attributes(),
        cert.issuer_attributes(),
        cert.common_name(),
        cert.organizations(),
        cert.subject_der().is_ok(),
        cert.issuer_der().is_ok(),
        cert.spki_der().is_ok(),
        cert.serial_hex(),
        cert.status(nb, Duration::from_secs(86_400)),
        cert.status(na, Duration::ZERO),
        cert.alt_names(),
        cert.key_usage(),
        cert.extended_key_usage(),
        cert.basic_constraints(),
        cert.is_ca(),
        cert.is_self_issued(),
        cert.subject_key_id(),
        cert.authority_key_id(),
        cert.public_key_algorithm().name(),
        cert.signature_algorithm().name().to_string(),
        cert.fingerprint_sha256_hex(),
        cert.extensions(),
        cert.x509()
            .expect("x509-cert decodes what the reader accepted")
            .tbs_certificate()
            .version(),
    ));
    std::hint::black_box((nb.to_rfc3339(), na.to_rfc3339(), cert.to_json()));
    let der = cert.as_der();
    assert!(cert.tbs_der().len() < der.len());
    let again = Certificate::from_der(der).expect("as_der output parses again");
    assert_eq!(&again, cert);
    let pem = cert.to_pem();
    let again = Certificate::from_pem(pem.as_bytes()).expect("to_pem output parses again");
    assert_eq!(again.as_der(), der);
}

/// A label `pem::encode` writes unambiguously (what real PEM uses).
fn is_plain_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'#')
        && !label.starts_with(' ')
        && !label.ends_with(' ')
}
