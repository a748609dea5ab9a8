//! The edges of a node (issue 12): kubelet's self-signed serving pair regenerated as kubelet
//! makes it, extra SANs on a serving certificate, and users' kubeconfig copies of the node's
//! credentials refreshed with it. Each judged by openssl, read back from the files.

mod renew_support;
mod txn_support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use kcertlib::fixture::FixtureLayout;
use kcertlib::inventory::{self, EntryStatus, ScanOptions};
use kcertlib::kubeconfig::Kubeconfig;
use kcertlib::renew::{self, RenewOptions};
use kcertlib::{AltNames, Certificate, ErrorKind, PrivateKey};
use renew_support::*;

const KUBELET_CRT: &str = "var/lib/kubelet/pki/kubelet.crt";
const KUBELET_KEY: &str = "var/lib/kubelet/pki/kubelet.key";

fn openssl(args: &[&str], input: &Path) -> String {
    let out = Command::new("openssl")
        .args(args)
        .arg("-in")
        .arg(input)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn certs(path: &Path) -> Vec<Certificate> {
    Certificate::bundle_from_pem(&std::fs::read(path).expect("read")).expect("pem")
}

#[test]
fn kubelet_self_signed_serving_pair_is_regenerated_as_kubelet_makes_it() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let crt = root.join(KUBELET_CRT);
    let key_path = root.join(KUBELET_KEY);
    let original_crt = std::fs::read(&crt).expect("crt");
    let original_key = std::fs::read(&key_path).expect("key");
    let old = certs(&crt);
    assert_eq!(old.len(), 2, "the fixture writes leaf then CA");
    let started = kcertlib::time::Timestamp::now();
    let report = renew::renew(
        &root,
        &RenewOptions::default().with_only(["kubelet-serving"]),
    )
    .expect("renew");
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.renewed.len(), 1, "{:?}", report.renewed);
    assert_eq!(report.restart, ["kubelet"]);
    let new = certs(&crt);
    assert_eq!(new.len(), 2, "leaf then its new CA");
    let (leaf, ca) = (&new[0], &new[1]);
    // openssl verifies the leaf against the CA that follows it.
    openssl_verify(ca, leaf).expect("openssl verify -CAfile <second block> <first block>");
    // The leaf says what it said, with the same key; only the CA and dates moved.
    assert_eq!(leaf.subject_der().ok(), old[0].subject_der().ok());
    assert_eq!(leaf.alt_names(), old[0].alt_names());
    assert_eq!(leaf.key_usage(), old[0].key_usage());
    assert_eq!(leaf.extended_key_usage(), old[0].extended_key_usage());
    assert_eq!(leaf.spki_der().ok(), old[0].spki_der().ok());
    assert_eq!(std::fs::read(&key_path).expect("key"), original_key);
    let key = PrivateKey::load(&original_key).expect("key parses");
    assert!(key.matches(leaf));
    assert_eq!(
        leaf.status(started, std::time::Duration::ZERO),
        kcertlib::Status::Ok
    );
    // The CA as client-go makes it: <host>-ca@<unix>, RSA-2048, CA:TRUE, the three usages.
    let cn = ca.common_name().expect("CN");
    let (host, stamp) = cn.split_once("-ca@").expect("<host>-ca@<unix>");
    assert_eq!(host, "node1");
    assert!(stamp.parse::<i64>().expect("unix time") >= started.unix());
    assert_ne!(ca.as_der(), old[1].as_der());
    assert!(ca.is_self_issued());
    let dir = tempfile::tempdir().expect("tmp");
    let ca_pem = dir.path().join("ca.pem");
    std::fs::write(&ca_pem, ca.to_pem()).expect("write");
    let text = openssl(&["x509", "-noout", "-text"], &ca_pem);
    assert!(text.contains("CA:TRUE"), "{text}");
    assert!(
        text.contains("Digital Signature, Key Encipherment, Certificate Sign"),
        "{text}"
    );
    assert!(text.contains("Public-Key: (2048 bit)"), "{text}");
    assert!(
        ca.not_before() <= started.minus(std::time::Duration::from_secs(3500)),
        "backdated an hour"
    );
    // The inventory now finds it valid, signed by the CA next to it.
    let inv = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    let entry = inv.get("kubelet-serving").expect("entry");
    assert_eq!(entry.status, EntryStatus::Ok, "{:?}", entry.problems);
    assert_eq!(entry.chain_verifies, Some(true));
    // And a rollback restores the pair byte for byte.
    renew::rollback(report.manifest.as_deref().expect("manifest")).expect("rollback");
    assert_eq!(std::fs::read(&crt).expect("crt"), original_crt);
    assert_eq!(std::fs::read(&key_path).expect("key"), original_key);
}

#[test]
fn kubelet_serving_key_rotates_when_asked() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let crt = root.join(KUBELET_CRT);
    let key_path = root.join(KUBELET_KEY);
    let original_key = std::fs::read(&key_path).expect("key");
    let mode = std::fs::metadata(&key_path)
        .expect("meta")
        .permissions()
        .mode();
    renew::renew(
        &root,
        &RenewOptions::default()
            .with_only(["kubelet-serving"])
            .with_rotate_keys(true),
    )
    .expect("renew");
    let new_key = std::fs::read(&key_path).expect("key");
    assert_ne!(new_key, original_key);
    assert_eq!(
        std::fs::metadata(&key_path)
            .expect("meta")
            .permissions()
            .mode(),
        mode
    );
    let new = certs(&crt);
    assert!(PrivateKey::load(&new_key).expect("key").matches(&new[0]));
    openssl_verify(&new[1], &new[0]).expect("verify");
}

#[test]
fn a_whole_kubeadm_node_renews_with_nothing_skipped() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let report = renew::renew(&root, &RenewOptions::default()).expect("renew");
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert!(report.renewed.iter().any(|r| r.name == "kubelet-serving"));
    let inv = inventory::scan(&root, &ScanOptions::default()).expect("scan");
    for e in &inv.entries {
        assert!(
            matches!(e.status, EntryStatus::Ok | EntryStatus::Missing),
            "{}: {:?} {:?}",
            e.name,
            e.status,
            e.problems
        );
    }
}

fn sans_of(root: &Path, file: &str) -> String {
    let text = openssl(
        &["x509", "-noout", "-ext", "subjectAltName"],
        &root.join(file),
    );
    text.lines()
        .skip(1)
        .collect::<Vec<_>>()
        .join(",")
        .replace(' ', "")
}

#[test]
fn extra_sans_extend_the_apiserver_certificate_and_nothing_else() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let file = "etc/kubernetes/pki/apiserver.crt";
    let before = sans_of(&root, file);
    let old = certs(&root.join(file)).remove(0);
    let add = AltNames::parse("DNS:lb.example.com,IP:10.0.0.10,DNS:KUBERNETES,lb.example.com")
        .expect("parse");
    let report = renew::renew(
        &root,
        &RenewOptions::default()
            .with_only(["apiserver"])
            .with_add_sans(add),
    )
    .expect("renew");
    assert_eq!(report.renewed.len(), 1, "{:?}", report.renewed);
    let after = sans_of(&root, file);
    assert_eq!(
        after,
        format!("{before},DNS:lb.example.com,IPAddress:10.0.0.10"),
        "old names kept in order, new ones once, `kubernetes` not repeated"
    );
    let new = certs(&root.join(file)).remove(0);
    assert_eq!(new.subject_der().ok(), old.subject_der().ok());
    assert_eq!(new.key_usage(), old.key_usage());
    assert_eq!(new.extended_key_usage(), old.extended_key_usage());
    assert_eq!(new.spki_der().ok(), old.spki_der().ok());
    let ca = certs(&root.join("etc/kubernetes/pki/ca.crt")).remove(0);
    openssl_verify(&ca, &new).expect("verify");
    // Only the SAN extension differs among the extensions (besides the AKI, same CA here).
    let differing: Vec<String> = old
        .extensions()
        .iter()
        .zip(new.extensions().iter())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.oid.clone())
        .collect();
    assert_eq!(differing, ["2.5.29.17"]);
    // The same names again change nothing more.
    let again = AltNames::parse("IP:10.0.0.10").expect("parse");
    renew::renew(
        &root,
        &RenewOptions::default()
            .with_only(["apiserver"])
            .with_add_sans(again),
    )
    .expect("renew");
    assert_eq!(sans_of(&root, file), after);
}

#[test]
fn extra_sans_are_refused_on_a_ca_or_a_client_certificate() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let add = || AltNames::parse("DNS:lb.example.com").expect("parse");
    let before = std::fs::read(root.join("etc/kubernetes/admin.conf")).expect("read");
    for (only, include_ca, what) in [
        ("admin.conf", false, "not a serving certificate"),
        (
            "apiserver-kubelet-client",
            false,
            "not a serving certificate",
        ),
        ("ca", true, "is a CA"),
    ] {
        let err = renew::renew(
            &root,
            &RenewOptions::default()
                .with_only([only])
                .with_include_ca(include_ca)
                .with_add_sans(add()),
        )
        .expect_err(only);
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(err.to_string().contains(what), "{only}: {err}");
        assert!(err.to_string().contains(only), "{only}: {err}");
    }
    // Without only, the client certificates of a whole renewal refuse it.
    let err =
        renew::renew(&root, &RenewOptions::default().with_add_sans(add())).expect_err("whole node");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        std::fs::read(root.join("etc/kubernetes/admin.conf")).expect("read"),
        before
    );
    for bad in ["XYZ:foo", "IP:10.0.0.300", "DNS:", "DNS:a b"] {
        assert!(AltNames::parse(bad).is_err(), "{bad}");
    }
}

fn client_cert(path: &Path) -> Certificate {
    let text = std::fs::read_to_string(path).expect("kubeconfig");
    let parsed = Kubeconfig::parse(&text, path).expect("parse");
    let user = parsed.users().into_iter().next().expect("a user");
    Certificate::from_pem(&user.client_certificate_data.expect("embedded")).expect("pem")
}

fn copy_with_mode(from: &Path, to: &Path, mode: u32) {
    std::fs::create_dir_all(to.parent().expect("dir")).expect("mkdir");
    std::fs::copy(from, to).expect("copy");
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn users_copies_of_admin_conf_are_renewed_with_it() {
    let (_dir, root, _) = tree(FixtureLayout::Kubeadm);
    let admin = root.join("etc/kubernetes/admin.conf");
    let roots_copy = root.join("root/.kube/config");
    let alices_copy = root.join("home/alice/.kube/config");
    let bobs_copy = root.join("home/bob/.kube/config");
    copy_with_mode(&admin, &roots_copy, 0o600);
    copy_with_mode(&admin, &alices_copy, 0o640);
    copy_with_mode(&admin, &bobs_copy, 0o600);
    // First without copies: every copy stays as it was, and becomes stale.
    renew::renew(
        &root,
        &RenewOptions::default()
            .with_only(["admin.conf"])
            .with_user_kubeconfigs(false),
    )
    .expect("renew");
    assert_ne!(
        client_cert(&admin).as_der(),
        client_cert(&roots_copy).as_der()
    );
    let stale = std::fs::read(&bobs_copy).expect("read");
    // Bob's copy is not a kubeconfig any more: passed over.
    std::fs::write(&bobs_copy, b"not: [a kubeconfig").expect("write");
    let report =
        renew::renew(&root, &RenewOptions::default().with_only(["admin.conf"])).expect("renew");
    let names: Vec<&str> = report.renewed.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["admin.conf", "root/.kube/config", "home/alice/.kube/config"],
        "{report:?}"
    );
    let new = client_cert(&admin);
    let ca = certs(&root.join("etc/kubernetes/pki/ca.crt")).remove(0);
    for (copy, mode) in [(&roots_copy, 0o600), (&alices_copy, 0o640)] {
        assert_eq!(
            client_cert(copy).as_der(),
            new.as_der(),
            "{}",
            copy.display()
        );
        openssl_verify(&ca, &client_cert(copy)).expect("verify");
        assert_eq!(
            std::fs::metadata(copy).expect("meta").permissions().mode() & 0o777,
            mode
        );
        let text = std::fs::read_to_string(copy).expect("read");
        let admin_text = std::fs::read_to_string(&admin).expect("read");
        assert_eq!(text, admin_text, "the copy is the renewed admin.conf again");
    }
    assert_eq!(
        std::fs::read(&bobs_copy).expect("read"),
        b"not: [a kubeconfig"
    );
    drop(stale);
    // A link to admin.conf (or to another user's copy) is the file it names, renewed once.
    std::fs::remove_file(&bobs_copy).expect("rm");
    std::os::unix::fs::symlink("/etc/kubernetes/admin.conf", &bobs_copy).expect("link");
    let carols_copy = root.join("home/carol/.kube/config");
    std::fs::create_dir_all(carols_copy.parent().expect("dir")).expect("mkdir");
    std::os::unix::fs::symlink("/root/.kube/config", &carols_copy).expect("link");
    let linked = renew::renew(&root, &RenewOptions::default().with_only(["admin.conf"]))
        .expect("renew through links");
    let names: Vec<&str> = linked.renewed.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["admin.conf", "root/.kube/config", "home/alice/.kube/config"],
        "{linked:?}"
    );
    let newest = client_cert(&admin);
    assert_eq!(client_cert(&roots_copy).as_der(), newest.as_der());
    // Rolled back, the copies hold the certificate of the renewal before again.
    let before_rollback: Vec<PathBuf> = linked.backups.clone();
    assert!(!before_rollback.is_empty());
    renew::rollback(linked.manifest.as_deref().expect("manifest")).expect("rollback");
    assert_eq!(client_cert(&roots_copy).as_der(), new.as_der());
    assert_eq!(client_cert(&alices_copy).as_der(), new.as_der());
}
