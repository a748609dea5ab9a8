//! `kcertlib::load` on real files: PEM bundles, DER, kubelet's cert+key pem, kubeconfigs with
//! embedded and referenced certificates (relative, `..`, absolute, through a symlink), and the
//! errors for bad input, each naming the file and the entry.

mod inventory_support;

use std::path::Path;

use inventory_support::*;
use kcertlib::load::{self, KubeconfigField, KubeconfigSection, LoadedCertificate, Origin};
use kcertlib::{ErrorKind, Profile};

fn labels(found: &[LoadedCertificate]) -> Vec<String> {
    found.iter().map(|c| c.origin.to_string()).collect()
}

#[test]
fn pem_bundle_der_and_kubelet_pem() {
    let tree = Tree::new();
    let ca = new_ca("kubernetes");
    let leaf = new_leaf(
        &ca,
        "CN=system:node:node1,O=system:nodes",
        Profile::Client,
        false,
    );
    let bundle = format!("text before\n{}{}", leaf.cert.to_pem(), ca.cert.to_pem());
    let found = load::from_path(tree.write("bundle.pem", &bundle)).expect("bundle");
    let second = 2 + leaf.cert.to_pem().lines().count();
    assert_eq!(
        labels(&found),
        [
            "certificate #1 (PEM line 2)".to_string(),
            format!("certificate #2 (PEM line {second})")
        ]
    );
    assert_eq!(found[0].certificate, leaf.cert);
    assert_eq!(found[1].certificate, ca.cert);

    let found = load::from_path(tree.write("ca.der", ca.cert.as_der())).expect("der");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].origin, Origin::Der);
    assert_eq!(found[0].certificate, ca.cert);

    // kubelet's rotated pem: certificate and key in one file, read through its symlink; the
    // key is not a certificate.
    let pem = format!(
        "{}{}",
        leaf.cert.to_pem(),
        leaf.key.to_pem().expect("key pem").as_str()
    );
    tree.write("var/lib/kubelet/pki/kubelet-client-2026.pem", pem);
    tree.symlink(
        "var/lib/kubelet/pki/kubelet-client-current.pem",
        "kubelet-client-2026.pem",
    );
    let found = load::from_path(tree.path("var/lib/kubelet/pki/kubelet-client-current.pem"))
        .expect("kubelet pem");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].certificate, leaf.cert);

    // The byte entry agrees with the path entry.
    let bytes = tree.read("bundle.pem");
    assert_eq!(
        load::from_bytes(&bytes, None).expect("bytes"),
        load::from_path(tree.path("bundle.pem")).expect("path")
    );
}

#[test]
fn kubeconfig_embedded_and_referenced() {
    let tree = Tree::new();
    let ca = new_ca("kubernetes");
    let admin = new_leaf(&ca, "CN=kubernetes-admin", Profile::Client, false);
    let path =
        tree.embedded_kubeconfig("etc/kubernetes/admin.conf", "kubernetes-admin", &ca, &admin);
    let found = load::from_path(&path).expect("admin.conf");
    assert_eq!(
        labels(&found),
        [
            "user kubernetes-admin (client-certificate-data)",
            "cluster kubernetes (certificate-authority-data)"
        ]
    );
    assert_eq!(found[0].certificate, admin.cert);
    assert_eq!(found[1].certificate, ca.cert);
    let Origin::Kubeconfig(source) = &found[0].origin else {
        panic!("not from a kubeconfig: {:?}", found[0].origin);
    };
    assert_eq!(source.section, KubeconfigSection::User);
    assert_eq!(source.field, KubeconfigField::ClientCertificateData);
    assert_eq!(source.name, "kubernetes-admin");
    // Bytes of an embedded-only kubeconfig need no directory.
    assert_eq!(
        load::from_bytes(&tree.read("etc/kubernetes/admin.conf"), None).expect("bytes"),
        found
    );

    // References: `..` from the kubeconfig's directory, and an absolute path.
    tree.write("etc/kubernetes/pki/ca.crt", ca.cert.to_pem());
    tree.write("etc/kubernetes/pki/client.crt", admin.cert.to_pem());
    let absolute = tree.path("etc/kubernetes/pki/client.crt");
    let path = tree.referencing_kubeconfig(
        "etc/kubernetes/conf/ref.conf",
        "u",
        "../pki/ca.crt",
        absolute.to_str().expect("utf8"),
        "../pki/client.key",
    );
    let found = load::from_path(&path).expect("ref.conf");
    assert_eq!(
        labels(&found),
        [
            format!("user u (client-certificate {})", absolute.display()),
            "cluster kubernetes (certificate-authority ../pki/ca.crt)".to_string(),
        ]
    );
    assert_eq!(found[0].certificate, admin.cert);
    assert_eq!(found[1].certificate, ca.cert);
    let Origin::Kubeconfig(source) = &found[1].origin else {
        panic!("not from a kubeconfig");
    };
    assert_eq!(
        source.file.as_deref(),
        Some(tree.path("etc/kubernetes/conf/../pki/ca.crt").as_path())
    );
    assert_eq!(
        source.reference.as_deref(),
        Some(Path::new("../pki/ca.crt"))
    );

    // The same text as bytes: with its directory it reads the same; without, the relative
    // reference is refused by name rather than resolved against the current directory.
    let text = tree.read("etc/kubernetes/conf/ref.conf");
    let dir = tree.path("etc/kubernetes/conf");
    assert_eq!(
        load::from_bytes(&text, Some(&dir)).expect("with dir"),
        found
    );
    let err = load::from_bytes(&text, None).expect_err("relative without a dir");
    assert_eq!(err.kind(), ErrorKind::Kubeconfig);
    assert!(
        err.to_string().starts_with("cluster kubernetes (certificate-authority ../pki/ca.crt): a relative reference cannot be resolved"),
        "{err}"
    );
}

#[test]
fn a_ca_bundle_in_a_kubeconfig_numbers_its_certificates() {
    let tree = Tree::new();
    let old = new_ca("kubernetes");
    let new = new_ca("kubernetes");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    certificate-authority-data: {}\n",
        b64(format!("{}{}", old.cert.to_pem(), new.cert.to_pem()))
    );
    let found = load::from_path(tree.write("bundle.conf", text)).expect("loads");
    assert_eq!(
        labels(&found),
        [
            "cluster c (certificate-authority-data) #1",
            "cluster c (certificate-authority-data) #2"
        ]
    );
}

#[test]
fn bad_kubeconfigs_name_the_file_and_the_entry() {
    let tree = Tree::new();
    let ca = new_ca("kubernetes");

    // Bad base64 in an embedded value.
    let path = tree.write(
        "bad-base64.conf",
        "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: 'not*base64'\n",
    );
    let err = load::from_path(&path).expect_err("bad base64");
    assert_eq!(err.kind(), ErrorKind::Kubeconfig);
    assert_eq!(err.path(), Some(path.as_path()));
    assert!(
        err.to_string().starts_with(&format!(
            "{}: user \"admin\" (users[0]) client-certificate-data is not valid base64",
            path.display()
        )),
        "{err}"
    );

    // Base64 of something that is not a certificate.
    let path = tree.write(
        "not-a-cert.conf",
        format!(
            "kind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    certificate-authority-data: {}\n",
            b64("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        ),
    );
    let err = load::from_path(&path).expect_err("bad certificate");
    assert_eq!(
        err.entry(),
        Some("cluster kubernetes (certificate-authority-data)")
    );
    assert!(
        err.to_string().starts_with(&format!(
            "{}: cluster kubernetes (certificate-authority-data): certificate #1 (PEM line 1):",
            path.display()
        )),
        "{err}"
    );

    // A dangling `..` reference names the kubeconfig, the entry and the file it looked for.
    let path = tree.referencing_kubeconfig(
        "conf/dangling.conf",
        "u",
        "ca.crt",
        "../pki/missing.crt",
        "x.key",
    );
    let err = load::from_path(&path).expect_err("missing reference");
    assert_eq!(err.kind(), ErrorKind::Io);
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "{}: user u (client-certificate ../pki/missing.crt): {}: reading failed",
            path.display(),
            tree.path("conf/../pki/missing.crt").display()
        )),
        "{text}"
    );

    // A reference to something that is not a regular file is refused, not read forever.
    let path = tree.referencing_kubeconfig("fifo.conf", "u", "/dev/zero", "/dev/null", "k");
    let err = load::from_path(&path).expect_err("device");
    assert!(err.to_string().contains("character device"), "{err}");

    // A kubeconfig without certificates (token auth) is an error, not an empty list.
    let path = tree.write(
        "token.conf",
        "apiVersion: v1\nkind: Config\nusers:\n- name: bot\n  user:\n    token: abc\n",
    );
    let err = load::from_path(&path).expect_err("no certificate");
    assert_eq!(err.kind(), ErrorKind::Kubeconfig);
    assert!(err.to_string().contains("holds no certificate"), "{err}");

    // Malformed YAML, with the parser's position.
    let path = tree.write("broken.conf", "users: [\n  - name: x\n");
    let err = load::from_path(&path).expect_err("malformed");
    assert!(
        err.to_string().contains("malformed kubeconfig YAML"),
        "{err}"
    );

    // Other files: YAML that is not a kubeconfig, a key alone, garbage, nothing.
    let key_only = new_leaf(&ca, "CN=x", Profile::Client, false)
        .key
        .to_pem()
        .expect("pem");
    for (name, bytes, expected) in [
        (
            "pod.yaml",
            b"apiVersion: v1\nkind: Pod\n".to_vec(),
            "neither PEM, a DER certificate nor a kubeconfig",
        ),
        (
            "key.pem",
            key_only.as_bytes().to_vec(),
            "no CERTIFICATE block",
        ),
        (
            "garbage",
            vec![0xff, 0x00, 0x13],
            "neither PEM, a DER certificate nor a kubeconfig",
        ),
        ("empty", Vec::new(), "empty input"),
        (
            "truncated.der",
            ca.cert.as_der()[..40].to_vec(),
            "not a valid DER certificate",
        ),
    ] {
        let path = tree.write(name, bytes);
        let err = load::from_path(&path).expect_err(name);
        assert_eq!(err.path(), Some(path.as_path()), "{name}");
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    let err = load::from_path(tree.path("absent.pem")).expect_err("absent");
    assert_eq!(err.kind(), ErrorKind::Io);
}
