//! `kcert inspect` through the built binary, on trees built by `kcert fixture`: kubeconfigs
//! (embedded and referenced certificates labelled with their user and cluster), kubelet's pem
//! bundles, directories, DER, the chain, `--key`, every output and exit code.

mod support;

use serde_json::Value;
use support::*;

fn labels(doc: &Value) -> Vec<String> {
    doc.as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["certificates"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["label"].as_str().map(String::from))
        .collect()
}

fn certificate<'a>(doc: &'a Value, label: &str) -> &'a Value {
    doc.as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["certificates"].as_array().into_iter().flatten())
        .find(|c| c["label"] == label)
        .unwrap_or_else(|| panic!("no {label} in {doc}"))
}

#[test]
fn a_kubeconfig_lists_its_embedded_certificates_with_user_and_cluster() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "kubeadm", &["--valid"]);
    let admin = root.join("etc/kubernetes/admin.conf");
    let admin = admin.to_str().expect("utf-8");
    let out = expect(&["inspect", admin], EXIT_OK);
    let text = stdout(&out);
    let user = format!("{admin}: user kubernetes-admin (client-certificate-data)");
    let cluster = format!("{admin}: cluster kubernetes (certificate-authority-data)");
    assert!(text.contains(&format!("{user}\n")), "{text}");
    assert!(text.contains(&format!("{cluster}\n")), "{text}");
    for field in [
        "subject:",
        "issuer:",
        "serial:",
        "not before:",
        "not after:",
        "key usage:",
        "ext key usage:",
        "basic constr.:",
        "auth. key id:",
        "subject key id:",
        "public key:",
        "sha256:",
        "issued by:",
    ] {
        assert!(text.contains(field), "{field}: {text}");
    }
    assert!(text.contains("CN=kubernetes-admin"), "{text}");
    assert!(
        text.contains(&format!("issued by:      {cluster}")),
        "{text}"
    );
    assert!(text.contains("itself (self-signed)"), "{text}");
    let out = expect(&["inspect", admin, "-o", "json"], EXIT_OK);
    let doc = json(&out);
    let leaf = certificate(&doc, &user);
    assert_eq!(leaf["origin"]["type"], "kubeconfig");
    assert_eq!(leaf["origin"]["section"], "user");
    assert_eq!(leaf["origin"]["name"], "kubernetes-admin");
    assert_eq!(leaf["issuedBy"], cluster);
    assert_eq!(leaf["status"], "ok");
    let out = expect(&["inspect", admin, "-o", "yaml"], EXIT_OK);
    assert_eq!(yaml(&stdout(&out)), doc);
}

#[test]
fn referenced_files_and_kubelet_pems() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "kubeadm", &["--valid"]);
    // A kubeconfig that references its certificates, relative to its own directory.
    let conf = root.join("etc/kubernetes/referencing.conf");
    std::fs::write(
        &conf,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    \
         certificate-authority: pki/ca.crt\n    server: https://127.0.0.1:6443\nusers:\n\
         - name: probe\n  user:\n    client-certificate: pki/apiserver-kubelet-client.crt\n\
         \x20   client-key: pki/apiserver-kubelet-client.key\n",
    )
    .expect("write");
    let conf = conf.to_str().expect("utf-8");
    let out = expect(&["inspect", conf, "-o", "json"], EXIT_OK);
    let doc = json(&out);
    let user = format!("{conf}: user probe (client-certificate pki/apiserver-kubelet-client.crt)");
    let cluster = format!("{conf}: cluster local (certificate-authority pki/ca.crt)");
    assert_eq!(labels(&doc), [user.clone(), cluster.clone()]);
    assert_eq!(certificate(&doc, &user)["issuedBy"], cluster);
    // kubelet.conf references /var/lib/kubelet/...: not on this machine, so an error naming
    // the file, the entry and the reference.
    let kubelet_conf = root.join("etc/kubernetes/kubelet.conf");
    let out = expect(
        &["inspect", kubelet_conf.to_str().expect("utf-8")],
        EXIT_ERROR,
    );
    assert!(
        stderr(&out).contains("user system:node:node1 (client-certificate /var/lib/kubelet/pki/kubelet-client-current.pem)"),
        "{}",
        stderr(&out)
    );
    // The combined pem (the dated file; the -current symlink points into the node's /): the
    // certificate, the key skipped.
    let pem = std::fs::read_dir(root.join("var/lib/kubelet/pki"))
        .expect("kubelet pki")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains("kubelet-client-2"))
        .expect("the dated pem");
    let out = expect(
        &["inspect", pem.to_str().expect("utf-8"), "-o", "json"],
        EXIT_OK,
    );
    assert_eq!(labels(&json(&out)), [pem.display().to_string()]);
}

#[test]
fn directories_are_read_recursively_with_the_chain_and_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "kubeadm", &[]);
    let pki = root.join("etc/kubernetes/pki");
    let pki_arg = pki.to_str().expect("utf-8");
    let key = pki.join("apiserver.key");
    let key = key.to_str().expect("utf-8");
    // Expired leaves: exit 1.
    let out = expect(
        &["inspect", pki_arg, "--key", key, "-o", "json"],
        EXIT_ATTENTION,
    );
    let doc = json(&out);
    let found = labels(&doc);
    let ca = pki.join("ca.crt").display().to_string();
    let apiserver = pki.join("apiserver.crt").display().to_string();
    let etcd_peer = pki.join("etcd/peer.crt").display().to_string();
    for wanted in [&ca, &apiserver, &etcd_peer] {
        assert!(found.contains(wanted), "{wanted}: {found:?}");
    }
    assert!(
        !found.iter().any(|l| l.ends_with(".key")),
        "keys are not certificates: {found:?}"
    );
    let leaf = certificate(&doc, &apiserver);
    assert_eq!(leaf["issuedBy"], ca);
    assert_eq!(leaf["status"], "expired");
    assert_eq!(leaf["matchingKeys"], Value::from(vec![key]));
    assert_eq!(certificate(&doc, &ca)["selfSigned"], true);
    let peer = certificate(&doc, &etcd_peer);
    assert_eq!(
        peer["issuedBy"],
        pki.join("etcd/ca.crt").display().to_string()
    );
    // The text names the matching key too.
    let out = expect(&["inspect", pki_arg, "--key", key], EXIT_ATTENTION);
    assert!(
        stdout(&out).contains(&format!("private key:    {key} matches")),
        "{}",
        stdout(&out)
    );
    let ca_key = pki.join("etcd/ca.key");
    let out = expect(
        &[
            "inspect",
            &apiserver,
            "--key",
            ca_key.to_str().expect("utf-8"),
        ],
        EXIT_ATTENTION,
    );
    assert!(
        stdout(&out).contains("matches no certificate"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn der_inputs_and_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "rke1", &["--valid"]);
    let ca = root.join("etc/kubernetes/ssl/kube-ca.pem");
    // The same certificate as DER.
    let out = expect(
        &["inspect", ca.to_str().expect("utf-8"), "-o", "json"],
        EXIT_OK,
    );
    let fingerprint = json(&out)[0]["certificates"][0]["fingerprintSha256"].clone();
    let pem = std::fs::read_to_string(&ca).expect("read");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = decode_base64(&body);
    let der_path = dir.path().join("ca.der");
    std::fs::write(&der_path, der).expect("write");
    let out = expect(
        &["inspect", der_path.to_str().expect("utf-8"), "-o", "json"],
        EXIT_OK,
    );
    assert_eq!(
        json(&out)[0]["certificates"][0]["fingerprintSha256"],
        fingerprint
    );
    // A named file without a certificate, a missing path, an unreadable key: exit 2, named.
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "hello").expect("write");
    for (args, named) in [
        (vec!["inspect", junk.to_str().expect("utf-8")], "junk.txt"),
        (vec!["inspect", "/no/such/file.pem"], "/no/such/file.pem"),
        (
            vec![
                "inspect",
                ca.to_str().expect("utf-8"),
                "--key",
                "/no/such.key",
            ],
            "/no/such.key",
        ),
    ] {
        let out = expect(&args, EXIT_ERROR);
        assert!(stderr(&out).contains(named), "{}", stderr(&out));
    }
}

/// Standard base64 (the test's own decoder: no dependency for one DER file).
fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}
