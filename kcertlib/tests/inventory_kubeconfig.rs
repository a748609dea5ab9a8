//! Kubeconfig reading (embedded data, file references) and the in-place rewrite that changes
//! only a base64 value.

mod inventory_support;

use inventory_support::*;
use kcertlib::*;

#[test]
fn rewrite_keeps_every_byte_outside_the_value() {
    let tree = Tree::new();
    let ca = new_ca("kubernetes");
    let old = new_leaf(&ca, "CN=kubernetes-admin", Profile::Client, true);
    let path = tree.embedded_kubeconfig("etc/kubernetes/admin.conf", "kubernetes-admin", &ca, &old);
    // Comments, odd spacing and quoting, CRLF on one line, an unknown field: all must survive.
    let original = String::from_utf8(tree.read("etc/kubernetes/admin.conf"))
        .expect("utf8")
        .replace("kind: Config\n", "kind: Config   # trailing comment\r\n")
        .replace(
            "preferences: {}",
            "preferences: {}\nextensions: [ {name: x, extension: 'y'} ]",
        );
    std::fs::write(&path, &original).expect("write");
    let kc = Kubeconfig::load(&path).expect("load");
    let user = kc.client_user().expect("user").clone();
    assert_eq!(user.name, "kubernetes-admin");
    assert_eq!(
        user.client_certificate_data.as_deref(),
        Some(old.cert.to_pem().as_bytes())
    );
    let old_b64 = user.client_certificate_data_base64.clone().expect("b64");

    let new = new_leaf(&ca, "CN=kubernetes-admin", Profile::Client, false);
    let new_b64 = b64(new.cert.to_pem());
    let rewritten = kc.with_replaced_value(&old_b64, &new_b64).expect("rewrite");

    // Byte-identical outside the value.
    let at = original.find(&old_b64).expect("value in text");
    assert_eq!(&rewritten[..at], &original[..at]);
    assert_eq!(
        &rewritten[at + new_b64.len()..],
        &original[at + old_b64.len()..]
    );
    // And the result reads back with the new certificate, the key unchanged.
    let again = Kubeconfig::parse(&rewritten, &path).expect("parses");
    let user2 = again.client_user().expect("user");
    assert_eq!(
        Certificate::from_pem(user2.client_certificate_data.as_deref().expect("cert"))
            .expect("cert"),
        new.cert
    );
    assert_eq!(user2.client_key_data, user.client_key_data);
    assert_eq!(again.clusters(), kc.clusters());

    // Values that are not there exactly once are refused, naming the file.
    let err = kc
        .with_replaced_value(&new_b64, &old_b64)
        .expect_err("absent");
    assert_eq!(err.kind(), ErrorKind::Kubeconfig);
    assert!(err.to_string().contains("admin.conf"), "{err}");
    let doubled = format!("{original}# copy: {old_b64}\n");
    let kc2 = Kubeconfig::parse(&doubled, &path).expect("parses");
    let err = kc2
        .with_replaced_value(&old_b64, &new_b64)
        .expect_err("twice");
    assert!(err.to_string().contains("found 2 times"), "{err}");
}

#[test]
fn rewritten_kubeconfig_is_what_the_scan_then_sees() {
    let tree = Tree::new();
    let [ca, _, _] = kubeadm_tree(&tree, "etc/kubernetes/pki", true);
    let path = tree.path("etc/kubernetes/admin.conf");
    let kc = Kubeconfig::load(&path).expect("load");
    let user = kc.client_user().expect("user");
    let fresh = new_leaf(
        &ca,
        "CN=kubernetes-admin,O=kubeadm:cluster-admins",
        Profile::Client,
        false,
    );
    let text = kc
        .with_replaced_value(
            user.client_certificate_data_base64
                .as_deref()
                .expect("cert"),
            &b64(fresh.cert.to_pem()),
        )
        .expect("cert replaced");
    let kc = Kubeconfig::parse(&text, &path).expect("parse");
    let text = kc
        .with_replaced_value(
            kc.client_user()
                .and_then(|u| u.client_key_data_base64.as_deref())
                .expect("key"),
            &b64(fresh.key.to_pem().expect("pem").as_bytes()),
        )
        .expect("key replaced");
    std::fs::write(&path, text).expect("write");
    let inv = tree.scan();
    let admin = entry(&inv, "admin.conf");
    assert_eq!(admin.status, EntryStatus::Ok);
    assert_sound(&inv, "admin.conf", Some("ca"));
    assert_eq!(admin.certificate.as_ref(), Some(&fresh.cert));
}

#[test]
fn file_references_resolve_inside_the_root() {
    let tree = Tree::new();
    let ca = tree.ca(
        "kubernetes",
        "etc/kubernetes/pki/ca.crt",
        Some("etc/kubernetes/pki/ca.key"),
    );
    let leaf = tree.leaf(
        &ca,
        "CN=system:kube-scheduler",
        Profile::Client,
        false,
        "etc/kubernetes/pki/sched.crt",
        "etc/kubernetes/pki/sched.key",
    );
    // One absolute, one relative reference.
    tree.referencing_kubeconfig(
        "etc/kubernetes/scheduler.conf",
        "system:kube-scheduler",
        "/etc/kubernetes/pki/ca.crt",
        "/etc/kubernetes/pki/sched.crt",
        "pki/sched.key",
    );
    let inv = tree.scan();
    let e = entry(&inv, "scheduler.conf");
    assert_eq!(
        e.cert,
        Location::File(tree.path("etc/kubernetes/pki/sched.crt"))
    );
    assert_eq!(
        e.key,
        Some(Location::File(tree.path("etc/kubernetes/pki/sched.key")))
    );
    assert_eq!(e.certificate.as_ref(), Some(&leaf.cert));
    assert_eq!(e.key_matches, Some(true));
    // The referenced files belong to scheduler.conf: no unknown entries for them.
    assert!(
        inv.get("etc/kubernetes/pki/sched.crt").is_none(),
        "{:?}",
        names(&inv)
    );
}
