//! k3s/RKE2's `server/tls/dynamic-cert.json` (dynamiclistener's JSON TLS Secret): listed by the
//! scan, renewed in place, and judged from outside: the file read back with serde_json and
//! Python's json, the decoded leaf verified by `openssl verify` against `server-ca.crt`, the
//! fingerprint annotation equal to openssl's SHA-1, and every other value of the Secret as it
//! was (the CA after the leaf, the key unless rotated, the annotations, the mode).

mod renew_support;
mod txn_support;

use std::path::Path;
use std::process::Command;

use base64ct::{Base64, Encoding};
use kcertlib::fixture::FixtureLayout;
use kcertlib::inventory::{EntryStatus, Location};
use kcertlib::renew::{self, RenewOptions};
use kcertlib::{Certificate, PrivateKey};
use renew_support::*;

fn secret_path(root: &Path, program: &str) -> std::path::PathBuf {
    root.join(format!(
        "var/lib/rancher/{program}/server/tls/dynamic-cert.json"
    ))
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read secret");
    serde_json::from_str(&text).expect("the Secret is JSON")
}

/// `data.<field>` decoded.
fn data(secret: &serde_json::Value, field: &str) -> Vec<u8> {
    let value = secret["data"][field].as_str().expect("data field");
    Base64::decode_vec(value).expect("base64")
}

fn fingerprint(secret: &serde_json::Value) -> String {
    secret["metadata"]["annotations"]["listener.cattle.io/fingerprint"]
        .as_str()
        .expect("fingerprint annotation")
        .to_string()
}

/// The Secret with the values a renewal may change blanked, for comparing the rest.
fn shape(mut secret: serde_json::Value, rotated: bool) -> serde_json::Value {
    secret["data"]["tls.crt"] = "".into();
    secret["metadata"]["annotations"]["listener.cattle.io/fingerprint"] = "".into();
    if rotated {
        secret["data"]["tls.key"] = "".into();
    }
    secret
}

/// `openssl x509 -fingerprint -sha1` of `pem`, as dynamiclistener writes it (`SHA1=<HEX>`).
fn openssl_sha1(pem: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("leaf.pem");
    std::fs::write(&path, pem).expect("write");
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha1", "-in"])
        .arg(&path)
        .output()
        .expect("openssl runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = text
        .trim()
        .rsplit('=')
        .next()
        .expect("value")
        .replace(':', "");
    format!("SHA1={hex}")
}

/// Python's json module reads the file (the format Go's decoder reads is plain JSON).
fn python_reads(path: &Path) {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys; d=json.load(open(sys.argv[1])); assert d['data']['tls.crt']",
        ])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python json: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn renew_and_judge(layout: FixtureLayout, program: &str, rotate: bool) {
    let (_dir, root, _) = tree(layout);
    let path = secret_path(&root, program);
    let before = scan(&root);
    let entry = before.get("dynamic-cert").expect("listed by the scan");
    assert_eq!(entry.cert, Location::SecretJson(path.clone()));
    assert_eq!(entry.status, EntryStatus::Expired);
    assert_eq!(entry.ca_name.as_deref(), Some("server-ca"));
    assert_eq!(entry.key_matches, Some(true));
    assert!(entry.problems.is_empty(), "{:?}", entry.problems);
    let old = read_json(&path);
    let old_chain = Certificate::bundle_from_pem(&data(&old, "tls.crt")).expect("chain");
    assert_eq!(old_chain.len(), 2, "leaf then server CA");
    let mode_before = mode(&path);

    let report = renew::renew(
        &root,
        &RenewOptions::default()
            .with_only(["dynamic-cert"])
            .with_rotate_keys(rotate),
    )
    .expect("renew");
    let renewed = report
        .renewed
        .iter()
        .find(|r| r.name == "dynamic-cert")
        .expect("reported");
    assert_eq!(renewed.paths, std::slice::from_ref(&path));
    assert_eq!(renewed.key_rotated, rotate);
    let secret_name = format!("{program}-serving");
    assert!(
        report.warnings.iter().any(|w| w.contains(&secret_name)
            && w.contains(&format!(
                "kubectl -n kube-system delete secret {secret_name}"
            ))),
        "{:?}",
        report.warnings
    );

    python_reads(&path);
    let new = read_json(&path);
    assert_eq!(
        shape(new.clone(), rotate),
        shape(old.clone(), rotate),
        "only the certificate (and key) values change"
    );
    let pem = String::from_utf8(data(&new, "tls.crt")).expect("PEM");
    let chain = Certificate::bundle_from_pem(pem.as_bytes()).expect("chain");
    assert_eq!(chain.len(), 2);
    assert_eq!(
        chain[1].as_der(),
        old_chain[1].as_der(),
        "the CA after the leaf is kept"
    );
    let ca = first_cert(&root.join(format!(
        "var/lib/rancher/{program}/server/tls/server-ca.crt"
    )));
    openssl_verify(&ca, &chain[0]).unwrap_or_else(|e| panic!("openssl verify: {e}"));
    let leaf_pem = chain[0].to_pem();
    assert_eq!(fingerprint(&new), openssl_sha1(&leaf_pem));
    assert_ne!(fingerprint(&new), fingerprint(&old));
    if !rotate && let Some(result) = judge_compare(&old_chain[0], &chain[0], RESIGN_MAY_CHANGE) {
        result.unwrap_or_else(|e| panic!("judge.py compare: {e}"));
    }
    let key = PrivateKey::from_pem(&data(&new, "tls.key")).expect("key");
    assert!(key.matches(&chain[0]));
    assert_eq!(data(&new, "tls.key") == data(&old, "tls.key"), !rotate);
    assert_eq!(mode(&path), mode_before, "mode kept");
    let after = scan(&root);
    let entry = after.get("dynamic-cert").expect("still listed");
    assert_eq!(entry.status, EntryStatus::Ok);
    assert_eq!(entry.chain_verifies, Some(true));

    // The transaction's backup puts the original back.
    renew::rollback(report.manifest.as_deref().expect("manifest")).expect("rollback");
    assert_eq!(read_json(&path), old);
}

#[test]
fn k3s_dynamic_cert_is_renewed_in_place() {
    renew_and_judge(FixtureLayout::K3s, "k3s", false);
}

#[test]
fn rke2_dynamic_cert_gets_a_new_key_in_the_secret() {
    renew_and_judge(FixtureLayout::Rke2, "rke2", true);
}

#[test]
fn a_renewed_server_ca_is_refreshed_in_the_secret_chain() {
    let (_dir, root, _) = tree(FixtureLayout::K3s);
    let path = secret_path(&root, "k3s");
    renew::renew(&root, &RenewOptions::default().with_include_ca(true)).expect("renew");
    let chain = Certificate::bundle_from_pem(&data(&read_json(&path), "tls.crt")).expect("chain");
    let ca = first_cert(&root.join("var/lib/rancher/k3s/server/tls/server-ca.crt"));
    assert_eq!(
        chain[1].as_der(),
        ca.as_der(),
        "the chain holds the renewed CA"
    );
    openssl_verify(&ca, &chain[0]).unwrap_or_else(|e| panic!("openssl verify: {e}"));
    assert_eq!(
        fingerprint(&read_json(&path)),
        openssl_sha1(&chain[0].to_pem())
    );
}

#[test]
fn a_malformed_secret_is_reported_not_renewed() {
    let (_dir, root, _) = tree(FixtureLayout::K3s);
    let path = secret_path(&root, "k3s");
    std::fs::write(&path, "{\"data\":{\"tls.crt\":\"not base64!\"}").expect("write");
    let inventory = scan(&root);
    let entry = inventory.get("dynamic-cert").expect("listed");
    assert_eq!(entry.status, EntryStatus::Error);
    assert!(
        entry
            .problems
            .iter()
            .any(|p| p.contains("dynamic-cert.json")),
        "{:?}",
        entry.problems
    );
    let report = renew::renew(&root, &RenewOptions::default()).expect("renew the rest");
    assert!(report.skipped.iter().any(|s| s.name == "dynamic-cert"));
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "{\"data\":{\"tls.crt\":\"not base64!\"}",
        "left as it was"
    );
}

#[test]
fn a_user_provided_secret_is_left_to_its_owner() {
    let (_dir, root, _) = tree(FixtureLayout::K3s);
    let path = secret_path(&root, "k3s");
    let text = std::fs::read_to_string(&path).expect("read");
    let marked = text.replacen(
        "\"listener.cattle.io/fingerprint\"",
        "\"listener.cattle.io/static\":\"true\",\"listener.cattle.io/fingerprint\"",
        1,
    );
    assert_ne!(marked, text);
    std::fs::write(&path, &marked).expect("write");
    let report = renew::renew(&root, &RenewOptions::default()).expect("renew the rest");
    let skipped = report
        .skipped
        .iter()
        .find(|s| s.name == "dynamic-cert")
        .expect("skipped");
    assert!(
        skipped.reason.contains("user-provided"),
        "{}",
        skipped.reason
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), marked);
}

#[test]
fn a_secret_linked_out_of_the_root_is_never_read_or_written() {
    let (_dir, root, _) = tree(FixtureLayout::K3s);
    let outside = tempfile::tempdir().expect("tempdir");
    let target = outside.path().join("dynamic-cert.json");
    let path = secret_path(&root, "k3s");
    std::fs::rename(&path, &target).expect("move out");
    std::os::unix::fs::symlink(&target, &path).expect("link");
    let before = std::fs::read(&target).expect("read");
    // The link's target is taken inside the root (as the node would see it), where there is
    // nothing: the entry is absent or unreadable, never the file outside.
    let inventory = scan(&root);
    if let Some(entry) = inventory.get("dynamic-cert") {
        assert!(entry.certificate.is_none(), "{entry:?}");
    }
    renew::renew(&root, &RenewOptions::default()).expect("renew the rest");
    assert_eq!(
        std::fs::read(&target).expect("read"),
        before,
        "untouched outside the root"
    );
}
