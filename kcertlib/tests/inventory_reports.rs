//! The three report formats of an inventory: kubeadm-like table, kubeadm-compatible JSON,
//! Prometheus text-file lines.

mod inventory_support;

use inventory_support::*;
use kcertlib::*;

fn sample() -> (Tree, Inventory) {
    let tree = Tree::new();
    kubeadm_tree(&tree, "etc/kubernetes/pki", true);
    tree.remove("etc/kubernetes/pki/front-proxy-ca.key");
    tree.write("etc/kubernetes/pki/etcd/peer.crt", "not a certificate");
    let inv = tree.scan();
    (tree, inv)
}

#[test]
fn table_lists_leaves_then_cas_like_kubeadm() {
    let (_tree, inv) = sample();
    let table = inv.to_table();
    println!("{table}");
    let (leaves, rest) = table
        .split_once("\n\n")
        .expect("blank line between the tables");
    let leaf_lines: Vec<&str> = leaves.lines().collect();
    assert!(
        leaf_lines[0].starts_with("CERTIFICATE ")
            && leaf_lines[0].contains("EXPIRES")
            && leaf_lines[0].contains("RESIDUAL TIME")
            && leaf_lines[0].contains("CERTIFICATE AUTHORITY")
            && leaf_lines[0].contains("EXTERNALLY MANAGED"),
        "{}",
        leaf_lines[0]
    );
    // Rows sorted by name, kubeadm's EXPIRES format, the CA column, yes/no.
    let admin = leaf_lines[1];
    assert!(admin.starts_with("admin.conf "), "{admin}");
    assert!(admin.contains(" UTC "), "{admin}");
    let words: Vec<&str> = admin.split_whitespace().collect();
    assert_eq!(words[1..=3].len(), 3);
    assert!(words[2].ends_with(','), "month day, year: {admin}");
    assert!(words.contains(&"ca") && words.contains(&"no") && words.contains(&"expired"));
    assert!(
        leaves.contains("!MISSING! super-admin.conf"),
        "missing row: {leaves}"
    );
    assert!(leaves.contains("!ERROR! etcd-peer"), "error row: {leaves}");
    let fp_client = leaf_lines
        .iter()
        .find(|l| l.starts_with("front-proxy-client "))
        .expect("front-proxy-client row");
    assert!(
        fp_client.contains(" yes "),
        "externally managed: {fp_client}"
    );
    // Columns line up: every data row's CA column starts where the header's does.
    let header_ca = leaf_lines[0].find("CERTIFICATE AUTHORITY").expect("column");
    assert_eq!(&admin[header_ca..header_ca + 3], "ca ", "{admin}");

    let ca_lines: Vec<&str> = rest.lines().collect();
    assert!(
        ca_lines[0].starts_with("CERTIFICATE AUTHORITY "),
        "{}",
        ca_lines[0]
    );
    let ca_names: Vec<&str> = ca_lines[1..4]
        .iter()
        .map(|l| l.split_whitespace().next().expect("name"))
        .collect();
    assert_eq!(ca_names, ["ca", "etcd-ca", "front-proxy-ca"]);
    assert!(rest.contains("\nPROBLEMS\n"), "{rest}");
    assert!(rest.contains("etcd-peer: "), "{rest}");
}

#[test]
fn json_uses_kubeadm_field_names() {
    let (tree, inv) = sample();
    let json: serde_json::Value = serde_json::from_str(&inv.to_json()).expect("valid JSON");
    assert_eq!(json["kind"], "CertificateExpirationInfo");
    assert_eq!(json["distributions"], serde_json::json!(["kubeadm"]));
    let leaves = json["certificates"].as_array().expect("certificates");
    let cas = json["certificateAuthorities"].as_array().expect("CAs");
    assert_eq!(leaves.len(), inv.leaves().len());
    assert_eq!(cas.len(), 3);
    let by_name = |list: &[serde_json::Value], name: &str| {
        list.iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let apiserver = by_name(leaves, "apiserver");
    let e = entry(&inv, "apiserver");
    let cert = e.certificate.as_ref().expect("cert");
    assert_eq!(apiserver["expirationDate"], cert.not_after().to_rfc3339());
    assert_eq!(
        apiserver["residualTime"],
        now().seconds_until(cert.not_after())
    );
    assert!(apiserver["residualTime"].as_i64().expect("seconds") < 0);
    assert_eq!(apiserver["externallyManaged"], false);
    assert_eq!(apiserver["caName"], "ca");
    assert_eq!(apiserver["missing"], false);
    assert_eq!(apiserver["status"], "expired");
    assert_eq!(apiserver["distribution"], "kubeadm");
    assert_eq!(
        apiserver["path"],
        tree.path("etc/kubernetes/pki/apiserver.crt")
            .display()
            .to_string()
    );
    assert_eq!(apiserver["subject"], "CN=kube-apiserver");
    assert_eq!(apiserver["issuer"], "CN=kubernetes");
    assert_eq!(apiserver["notBefore"], cert.not_before().to_rfc3339());
    assert_eq!(apiserver["serial"], cert.serial_hex());
    assert_eq!(apiserver["keyMatches"], true);
    assert_eq!(apiserver["chainVerifies"], true);
    assert_eq!(apiserver["problems"], serde_json::json!([]));

    let missing = by_name(leaves, "super-admin.conf");
    assert_eq!(missing["missing"], true);
    assert_eq!(missing["status"], "missing");
    assert!(missing["expirationDate"].is_null());
    let broken = by_name(leaves, "etcd-peer");
    assert_eq!(broken["status"], "error");
    assert!(!broken["problems"].as_array().expect("problems").is_empty());
    assert_eq!(
        by_name(leaves, "front-proxy-client")["externallyManaged"],
        true
    );
    assert_eq!(
        by_name(leaves, "admin.conf")["kubeconfigUser"],
        "kubernetes-admin"
    );

    let ca = by_name(cas, "ca");
    assert!(ca.get("caName").is_none(), "kubeadm omits caName on CAs");
    assert_eq!(ca["externallyManaged"], false);
    assert_eq!(by_name(cas, "front-proxy-ca")["externallyManaged"], true);
}

#[test]
fn prometheus_lines_carry_the_exporter_names_and_labels() {
    let (tree, inv) = sample();
    let text = inv.to_prometheus();
    for metric in [
        "x509_cert_not_after",
        "x509_cert_not_before",
        "x509_cert_expired",
        "x509_cert_expires_in_seconds",
        "x509_cert_error",
    ] {
        assert!(text.contains(&format!("# HELP {metric} ")), "{metric} HELP");
        assert!(
            text.contains(&format!("# TYPE {metric} gauge\n")),
            "{metric} TYPE"
        );
    }
    let e = entry(&inv, "apiserver");
    let cert = e.certificate.as_ref().expect("cert");
    let line = text
        .lines()
        .find(|l| l.starts_with("x509_cert_not_after{name=\"apiserver\","))
        .expect("apiserver not_after line");
    let path = tree.path("etc/kubernetes/pki/apiserver.crt");
    for label in [
        "distribution=\"kubeadm\"".to_string(),
        format!("filepath=\"{}\"", path.display()),
        "filename=\"apiserver.crt\"".into(),
        "subject_CN=\"kube-apiserver\"".into(),
        "subject_O=\"\"".into(),
        "issuer_CN=\"kubernetes\"".into(),
        "embedded_kind=\"\"".into(),
        "embedded_key=\"\"".into(),
    ] {
        assert!(line.contains(&label), "{label} in {line}");
    }
    // x509-certificate-exporter's whole per-certificate label set, present (empty when it does
    // not apply) on every series, so that its dashboards group our series as theirs.
    let exporter_labels: Vec<String> = ["serial_number", "filename", "filepath"]
        .iter()
        .map(|l| l.to_string())
        .chain(["subject", "issuer"].iter().flat_map(|p| {
            ["C", "ST", "L", "O", "OU", "CN"]
                .iter()
                .map(move |f| format!("{p}_{f}"))
        }))
        .chain(["embedded_kind".into(), "embedded_key".into()])
        .collect();
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        for label in &exporter_labels {
            assert!(l.contains(&format!(",{label}=\"")), "{label} in {l}");
        }
    }
    // A kubeconfig's embedded certificate names the kubeconfig and its user.
    let admin = text
        .lines()
        .find(|l| l.starts_with("x509_cert_not_after{name=\"admin.conf\","))
        .expect("admin.conf not_after line");
    for label in [
        "filename=\"admin.conf\"",
        "embedded_kind=\"user\"",
        "embedded_key=\"kubernetes-admin\"",
        "subject_CN=\"kubernetes-admin\"",
    ] {
        assert!(admin.contains(label), "{label} in {admin}");
    }
    let serial = line
        .split("serial_number=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("serial label");
    assert!(serial.chars().all(|c| c.is_ascii_digit()), "{serial}");
    let value: i64 = line
        .rsplit(' ')
        .next()
        .expect("value")
        .parse()
        .expect("int");
    assert_eq!(value, cert.not_after().unix());
    let expired = text
        .lines()
        .find(|l| l.starts_with("x509_cert_expired{name=\"apiserver\","))
        .expect("expired line");
    assert!(expired.ends_with(" 1"), "{expired}");
    let ca_expired = text
        .lines()
        .find(|l| l.starts_with("x509_cert_expired{name=\"ca\","))
        .expect("ca expired line");
    assert!(ca_expired.ends_with(" 0"), "{ca_expired}");
    let error = text
        .lines()
        .find(|l| l.starts_with("x509_cert_error{name=\"etcd-peer\","))
        .expect("error line");
    assert!(error.ends_with(" 1"), "{error}");
    assert!(
        !text.contains("name=\"super-admin.conf\""),
        "missing entries have no series"
    );
    // Every sample line is `name{labels} integer`.
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = l.rsplit_once(' ').expect("value");
        assert!(series.ends_with('}'), "{l}");
        value
            .parse::<i64>()
            .unwrap_or_else(|_| panic!("integer value: {l}"));
    }
}
