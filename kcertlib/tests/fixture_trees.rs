//! Every fixture layout, judged by the openssl CLI: each leaf verifies against its CA, expired
//! trees hold expired leaves under valid CAs, valid trees hold valid leaves, keys match their
//! certificates, files have the modes the distributions give them, and the distribution-specific
//! facts (key formats, extensions, symlinks, chains, references) are there.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64ct::{Base64, Encoding};
use kcertlib::Timestamp;
use kcertlib::fixture::{
    FixtureEntry, FixtureEntryKind, FixtureLayout, FixtureOptions, FixtureStorage, FixtureSummary,
    build,
};

// ---- the judge ---------------------------------------------------------------------------------

fn openssl(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI runs (testing/install-deps.sh installs it)")
}

fn openssl_ok(args: &[&str]) -> String {
    let out = openssl(args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The PEM blocks of `label` in `text`, in order.
fn pem_blocks(text: &str, label: &str) -> Vec<String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let stop = rest[start..].find(&end).expect("PEM block is closed") + start + end.len();
        out.push(format!("{}\n", &rest[start..stop]));
        rest = &rest[stop..];
    }
    out
}

/// A node path (`/var/lib/...`) under the test root.
fn reroot(root: &Path, node_path: &str) -> PathBuf {
    root.join(node_path.trim_start_matches('/'))
}

/// The decoded `<field>: <base64>` value of a kubeconfig we wrote (one user per file).
fn kubeconfig_data(path: &Path, field: &str) -> String {
    let text = fs::read_to_string(path).expect("kubeconfig is readable");
    let prefix = format!("{field}: ");
    let value = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("{}: no {field}", path.display()));
    String::from_utf8(Base64::decode_vec(value).expect("base64")).expect("PEM text")
}

/// Reads a file of the tree, following a symlink whose absolute target is a node path.
fn read_in_tree(path: &Path) -> String {
    let root = ROOT.with(|r| r.borrow().clone());
    let real = match fs::read_link(path) {
        Ok(target) if target.is_absolute() => reroot(&root, &target.to_string_lossy()),
        Ok(target) => path.parent().expect("parent").join(target),
        Err(_) => path.to_path_buf(),
    };
    fs::read_to_string(&real).unwrap_or_else(|e| panic!("{}: {e}", real.display()))
}

thread_local! {
    /// The root of the tree the current test judges (tests run on separate threads).
    static ROOT: std::cell::RefCell<PathBuf> = std::cell::RefCell::new(PathBuf::new());
}

/// The text holding an entry's certificate (first) and chain.
fn cert_text(entry: &FixtureEntry) -> String {
    match &entry.storage {
        FixtureStorage::KubeconfigEmbedded { .. } => {
            kubeconfig_data(&entry.cert, "client-certificate-data")
        }
        FixtureStorage::File | FixtureStorage::Combined => read_in_tree(&entry.cert),
        FixtureStorage::SecretJson => secret_data(&entry.cert, "tls.crt"),
    }
}

/// The decoded `data."<field>"` of a JSON TLS Secret, read with serde_json (an independent
/// JSON parser: the file must be JSON a Go reader accepts, not just text kcertlib can edit).
fn secret_data(path: &Path, field: &str) -> String {
    let text = read_in_tree(path);
    let secret: serde_json::Value = serde_json::from_str(&text).expect("the Secret is JSON");
    let value = secret["data"][field]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no data.{field}", path.display()));
    String::from_utf8(Base64::decode_vec(value).expect("base64")).expect("PEM text")
}

/// The text holding an entry's private key.
fn key_text(entry: &FixtureEntry) -> String {
    let path = entry.key.as_ref().expect("entry has a key");
    match &entry.storage {
        FixtureStorage::KubeconfigEmbedded { .. } => kubeconfig_data(path, "client-key-data"),
        FixtureStorage::SecretJson => secret_data(path, "tls.key"),
        _ => read_in_tree(path),
    }
}

/// Everything a check needs about one entry, in plain files openssl can read.
struct Judged {
    leaf: PathBuf,
    chain: Vec<PathBuf>,
}

fn stage(work: &Path, entry: &FixtureEntry) -> Judged {
    let certs = pem_blocks(&cert_text(entry), "CERTIFICATE");
    assert!(!certs.is_empty(), "{}: no certificate", entry.name);
    let file = |i: usize, pem: &str| {
        let p = work.join(format!("{}.{i}.pem", entry.name.replace('/', "_")));
        fs::write(&p, pem).expect("write staged cert");
        p
    };
    let leaf = file(0, &certs[0]);
    let chain = certs[1..]
        .iter()
        .enumerate()
        .map(|(i, c)| file(i + 1, c))
        .collect();
    Judged { leaf, chain }
}

fn unix_now() -> i64 {
    Timestamp::now().unix()
}

fn expired_now(cert: &Path) -> bool {
    let out = openssl(&["x509", "-noout", "-checkend", "0", "-in", &s(cert)]);
    !out.status.success()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn text_of(cert: &Path) -> String {
    openssl_ok(&["x509", "-noout", "-text", "-in", &s(cert)])
}

// ---- the checks every layout gets --------------------------------------------------------------

fn build_in(dir: &Path, layout: FixtureLayout, options: &FixtureOptions) -> FixtureSummary {
    let summary = build(&dir.join("root"), layout, options)
        .unwrap_or_else(|e| panic!("building {layout}: {e}"));
    ROOT.with(|r| *r.borrow_mut() = summary.root.clone());
    let json: serde_json::Value =
        serde_json::from_str(&summary.to_json()).expect("the summary is JSON");
    assert_eq!(json["layout"], layout.name());
    summary
}

/// Verification, expiry, key match and modes for every entry and file of a tree.
fn judge_tree(summary: &FixtureSummary, work: &Path) {
    let names: BTreeSet<&str> = summary.entry_names().into_iter().collect();
    assert_eq!(names.len(), summary.entries.len(), "entry names are unique");
    let staged: Vec<(&FixtureEntry, Judged)> = summary
        .entries
        .iter()
        .map(|e| (e, stage(work, e)))
        .collect();
    let ca_file = |name: &str| -> PathBuf {
        let (_, j) = staged
            .iter()
            .find(|(e, _)| e.name == name && e.kind == FixtureEntryKind::Ca)
            .unwrap_or_else(|| panic!("CA entry {name} exists"));
        j.leaf.clone()
    };
    let attime = unix_now().to_string();
    for (entry, judged) in &staged {
        let leaf = s(&judged.leaf);
        match entry.kind {
            FixtureEntryKind::Ca => {
                // A CA verifies against itself at this very moment: self-signed and valid.
                openssl_ok(&["verify", "-attime", &attime, "-CAfile", &leaf, &leaf]);
                assert!(!expired_now(&judged.leaf), "{}: CA expired", entry.name);
            }
            FixtureEntryKind::Leaf => {
                let ca = match &entry.ca_name {
                    Some(name) => ca_file(name),
                    // kubelet's self-signed serving cert: its CA follows it in the file.
                    None => judged.chain.first().cloned().expect("chain holds the CA"),
                };
                openssl_ok(&["verify", "-no_check_time", "-CAfile", &s(&ca), &leaf]);
                for link in &judged.chain {
                    assert_eq!(
                        fs::read(link).ok(),
                        fs::read(&ca).ok(),
                        "{}: the chain after the leaf is its CA",
                        entry.name
                    );
                }
                assert_eq!(
                    expired_now(&judged.leaf),
                    summary.expired,
                    "{}: expired state",
                    entry.name
                );
            }
        }
        if entry.key.is_some() {
            let key_file = work.join(format!("{}.key", entry.name));
            fs::write(&key_file, key_text(entry)).expect("write staged key");
            let from_key = openssl_ok(&["pkey", "-pubout", "-in", &s(&key_file)]);
            let from_cert = openssl_ok(&["x509", "-noout", "-pubkey", "-in", &leaf]);
            assert_eq!(
                from_key, from_cert,
                "{}: key matches certificate",
                entry.name
            );
        }
        assert!(
            entry.not_before.unix() < entry.not_after.unix(),
            "{}: window",
            entry.name
        );
    }
    judge_modes(summary);
}

/// Private material (keys, combined pems, kubeconfigs, TLS Secrets) is 0600, certificates 0644.
fn judge_modes(summary: &FixtureSummary) {
    for path in &summary.files {
        assert!(
            path.starts_with(&summary.root),
            "{} under root",
            path.display()
        );
        let meta = fs::symlink_metadata(path).expect("written file exists");
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.permissions().mode() & 0o777;
        let text = fs::read_to_string(path).expect("fixture files are text");
        let secret = text.contains("PRIVATE KEY")
            || text.contains("kind: Config")
            || path.extension().is_some_and(|e| e == "kubeconfig")
            // dynamiclistener writes its Secret 0600 (storage/file: writeFile(..., 0600)).
            || path.file_name().is_some_and(|n| n == "dynamic-cert.json");
        let want = if secret { 0o600 } else { 0o644 };
        assert_eq!(mode, want, "{}: mode {mode:o}", path.display());
    }
}

fn options(expired: bool, reuse: bool) -> FixtureOptions {
    FixtureOptions::default()
        .with_expired(expired)
        .with_reuse_leaf_keys(reuse)
}

/// The PEM label of an entry's private key (`RSA PRIVATE KEY`, `EC PRIVATE KEY`, ...).
fn key_label(entry: &FixtureEntry) -> String {
    let text = key_text(entry);
    text.lines()
        .filter_map(|l| l.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
        .find(|label| label.ends_with("PRIVATE KEY"))
        .unwrap_or_else(|| panic!("{}: no private key block", entry.name))
        .to_string()
}

fn rel(summary: &FixtureSummary, path: &str) -> PathBuf {
    summary.root.join(path)
}

// ---- one test per layout -----------------------------------------------------------------------

#[test]
fn kubeadm_expired_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = build_in(dir.path(), FixtureLayout::Kubeadm, &options(true, true));
    let work = tempfile::tempdir().expect("tempdir");
    judge_tree(&summary, work.path());

    let names: BTreeSet<&str> = summary.entry_names().into_iter().collect();
    for name in [
        "ca",
        "front-proxy-ca",
        "etcd-ca",
        "apiserver",
        "apiserver-kubelet-client",
        "apiserver-etcd-client",
        "front-proxy-client",
        "etcd-server",
        "etcd-peer",
        "etcd-healthcheck-client",
        "admin.conf",
        "super-admin.conf",
        "controller-manager.conf",
        "scheduler.conf",
        "kubelet-client-current",
        "kubelet-serving",
    ] {
        assert!(names.contains(name), "kubeadm entry {name}");
    }
    let entry = |n: &str| summary.entry(n).expect("entry");
    assert_eq!(entry("apiserver").ca_name.as_deref(), Some("ca"));
    assert_eq!(entry("etcd-peer").ca_name.as_deref(), Some("etcd-ca"));
    assert_eq!(
        entry("front-proxy-client").ca_name.as_deref(),
        Some("front-proxy-ca")
    );
    assert_eq!(key_label(entry("apiserver")), "RSA PRIVATE KEY");
    assert_eq!(key_label(entry("admin.conf")), "RSA PRIVATE KEY");
    assert_eq!(key_label(entry("kubelet-client-current")), "EC PRIVATE KEY");

    // apiserver: serverAuth only; loopback SANs for TLS tests; kubeadm's 1.31+ extensions.
    let work2 = tempfile::tempdir().expect("tempdir");
    let apiserver = stage(work2.path(), entry("apiserver"));
    let text = text_of(&apiserver.leaf);
    assert!(text.contains("TLS Web Server Authentication"), "{text}");
    assert!(!text.contains("TLS Web Client Authentication"), "{text}");
    for san in [
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "DNS:kubernetes.default.svc.cluster.local",
        "DNS:node1",
    ] {
        assert!(text.contains(san), "apiserver SAN {san}: {text}");
    }
    assert!(text.contains("CA:FALSE"), "{text}");
    for name in ["etcd-server", "etcd-peer"] {
        let t = text_of(&stage(work2.path(), entry(name)).leaf);
        for san in [
            "DNS:localhost",
            "IP Address:127.0.0.1",
            "IP Address:0:0:0:0:0:0:0:1",
        ] {
            assert!(t.contains(san), "{name} SAN {san}: {t}");
        }
        assert!(t.contains("TLS Web Server Authentication, TLS Web Client Authentication"));
    }
    let admin = text_of(&stage(work2.path(), entry("admin.conf")).leaf);
    assert!(
        admin.contains("O = kubeadm:cluster-admins, CN = kubernetes-admin")
            || admin.contains("CN = kubernetes-admin, O = kubeadm:cluster-admins"),
        "{admin}"
    );

    // kubelet: absolute symlink to the dated combined pem, referenced by kubelet.conf.
    let current = rel(&summary, "var/lib/kubelet/pki/kubelet-client-current.pem");
    let target = fs::read_link(&current).expect("current pem is a symlink");
    let target = target.to_str().expect("utf-8 target");
    let stamp = target
        .strip_prefix("/var/lib/kubelet/pki/kubelet-client-")
        .and_then(|t| t.strip_suffix(".pem"))
        .expect("absolute target to a dated file");
    assert_eq!(stamp.len(), "YYYY-MM-DD-HH-MM-SS".len(), "{stamp}");
    assert!(stamp.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
    let dated = reroot(&summary.root, target);
    let combined = fs::read_to_string(&dated).expect("dated pem exists");
    let cert_at = combined.find("BEGIN CERTIFICATE").expect("cert");
    let key_at = combined.find("BEGIN EC PRIVATE KEY").expect("key");
    assert!(cert_at < key_at, "certificate first, then key");
    assert_eq!(
        fs::metadata(&dated).expect("meta").permissions().mode() & 0o777,
        0o600
    );
    let kubelet_conf =
        fs::read_to_string(rel(&summary, "etc/kubernetes/kubelet.conf")).expect("kubelet.conf");
    assert!(
        kubelet_conf
            .contains("client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem")
    );
    assert!(kubelet_conf.contains("client-key: /var/lib/kubelet/pki/kubelet-client-current.pem"));
    assert!(!kubelet_conf.contains("client-certificate-data"));

    // Every kubeconfig names a loopback server.
    for conf in [
        "admin",
        "super-admin",
        "controller-manager",
        "scheduler",
        "kubelet",
    ] {
        let text = fs::read_to_string(rel(&summary, &format!("etc/kubernetes/{conf}.conf")))
            .expect("conf");
        assert!(text.contains("server: https://127.0.0.1:6443"), "{conf}");
    }

    // sa.key/sa.pub are a key pair without a certificate.
    let sa_pub = openssl_ok(&[
        "pkey",
        "-pubout",
        "-in",
        &s(&rel(&summary, "etc/kubernetes/pki/sa.key")),
    ]);
    assert_eq!(
        sa_pub,
        fs::read_to_string(rel(&summary, "etc/kubernetes/pki/sa.pub")).expect("sa.pub")
    );

    // Nothing is overwritten: a second build into the same root fails.
    let again = build(&summary.root, FixtureLayout::Kubeadm, &options(true, true));
    assert_eq!(
        again.expect_err("refuses to overwrite").kind(),
        kcertlib::ErrorKind::Io
    );
}

#[test]
fn kubeadm_valid_tree_has_valid_leaves_and_pinned_dates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = Timestamp::now();
    let opts = options(false, true).at(now);
    let summary = build_in(dir.path(), FixtureLayout::Kubeadm, &opts);
    let work = tempfile::tempdir().expect("tempdir");
    judge_tree(&summary, work.path());
    let apiserver = summary.entry("apiserver").expect("apiserver");
    let day = 86_400;
    // Issued a day before `now`, backdated five minutes, 365 days.
    assert_eq!(apiserver.not_before.unix(), now.unix() - day - 300);
    assert_eq!(apiserver.not_after.unix(), now.unix() - day + 365 * day);
    let ca = summary.entry("ca").expect("ca");
    assert_eq!(ca.not_before.unix(), now.unix() - 730 * day - 300);
}

#[test]
fn kubespray_expired_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = build_in(dir.path(), FixtureLayout::Kubespray, &options(true, true));
    let work = tempfile::tempdir().expect("tempdir");
    judge_tree(&summary, work.path());

    let pki = rel(&summary, "etc/kubernetes/pki");
    assert_eq!(
        fs::read_link(&pki).expect("pki is a symlink"),
        PathBuf::from("/etc/kubernetes/ssl")
    );
    assert!(rel(&summary, "etc/kubernetes/ssl/apiserver.crt").is_file());
    assert!(
        !rel(&summary, "etc/kubernetes/ssl/etcd").exists(),
        "host-mode etcd: no kubeadm etcd certs"
    );
    assert!(summary.entry("apiserver-etcd-client").is_none());

    let etcd: Vec<&FixtureEntry> = summary
        .entries
        .iter()
        .filter(|e| e.name.starts_with("etcd-") && e.kind == FixtureEntryKind::Leaf)
        .collect();
    assert_eq!(etcd.len(), 9, "admin, member and node certs for 3 hosts");
    for host in 1..=3 {
        for kind in ["admin", "member", "node"] {
            let name = format!("etcd-{kind}-node{host}");
            let entry = summary.entry(&name).expect("etcd entry");
            assert_eq!(entry.ca_name.as_deref(), Some("etcd-ca"));
            assert_eq!(
                entry.cert,
                rel(&summary, &format!("etc/ssl/etcd/ssl/{kind}-node{host}.pem"))
            );
            assert_eq!(
                entry.key.as_deref(),
                Some(
                    rel(
                        &summary,
                        &format!("etc/ssl/etcd/ssl/{kind}-node{host}-key.pem")
                    )
                    .as_path()
                )
            );
            assert_eq!(
                key_label(entry),
                "PRIVATE KEY",
                "OpenSSL 3 genrsa writes PKCS#8"
            );
        }
    }
    let member = stage(
        work.path(),
        summary.entry("etcd-member-node2").expect("member"),
    );
    let text = text_of(&member.leaf);
    assert!(!text.contains("X509v3 Key Usage"), "no keyUsage: {text}");
    assert!(text.contains("TLS Web Client Authentication, TLS Web Server Authentication"));
    assert!(text.contains("CA:FALSE"));
    for san in [
        "DNS:localhost",
        "DNS:node1",
        "DNS:node3",
        "IP Address:127.0.0.1",
        "IP Address:10.0.0.3",
    ] {
        assert!(text.contains(san), "shared SAN list has {san}: {text}");
    }
    assert!(text.contains("Public-Key: (2048 bit)"));
}

#[test]
fn kubespray_valid_tree_has_century_etcd_certs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = options(false, true).with_etcd_hosts(1);
    let summary = build_in(dir.path(), FixtureLayout::Kubespray, &opts);
    let work = tempfile::tempdir().expect("tempdir");
    judge_tree(&summary, work.path());
    let member = summary.entry("etcd-member-node1").expect("member");
    let century = 36_500 * 86_400;
    assert_eq!(
        member.not_after.unix() - member.not_before.unix(),
        century,
        "100-year etcd leaves"
    );
    // Past 2049 the dates are GeneralizedTime, which openssl must read back the same.
    let staged = stage(work.path(), member);
    let end = openssl_ok(&["x509", "-noout", "-enddate", "-in", &s(&staged.leaf)]);
    let year: i64 = end
        .trim()
        .rsplit(' ')
        .nth(1)
        .and_then(|y| y.parse().ok())
        .expect("year in notAfter");
    assert!(year > 2100, "{end}");
}

#[test]
fn rke1_expired_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = build_in(dir.path(), FixtureLayout::Rke1, &options(true, true));
    let work = tempfile::tempdir().expect("tempdir");
    judge_tree(&summary, work.path());

    for name in [
        "kube-ca",
        "kube-apiserver-requestheader-ca",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kube-proxy",
        "kube-node",
        "kube-apiserver-proxy-client",
        "kube-etcd-10-0-0-1",
        "kube-etcd-10-0-0-2",
        "kube-etcd-10-0-0-3",
        "kube-service-account-token",
    ] {
        let entry = summary
            .entry(name)
            .unwrap_or_else(|| panic!("rke1 entry {name}"));
        assert_eq!(
            entry.cert,
            rel(&summary, &format!("etc/kubernetes/ssl/{name}.pem"))
        );
    }
    assert_eq!(
        summary
            .entry("kube-apiserver-proxy-client")
            .and_then(|e| e.ca_name.as_deref()),
        Some("kube-apiserver-requestheader-ca")
    );
    let ssl = |f: &str| rel(&summary, &format!("etc/kubernetes/ssl/{f}"));
    assert_eq!(
        fs::read(ssl("kube-node-key.pem")).ok(),
        fs::read(ssl("kube-proxy-key.pem")).ok(),
        "kube-node is signed for the kube-proxy key"
    );
    assert_ne!(
        fs::read(ssl("kube-node-key.pem")).ok(),
        fs::read(ssl("kube-scheduler-key.pem")).ok()
    );
    let ca = text_of(&ssl("kube-ca.pem"));
    assert!(ca.contains("Serial Number: 0 (0x0)"), "{ca}");
    let leaf = text_of(&ssl("kube-etcd-10-0-0-2.pem"));
    assert!(!leaf.contains("Basic Constraints"), "{leaf}");
    assert!(leaf.contains("CN = kube-etcd"));
    for san in [
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "IP Address:10.0.0.3",
    ] {
        assert!(leaf.contains(san), "{san}: {leaf}");
    }
    assert_eq!(
        key_label(summary.entry("kube-apiserver").expect("apiserver")),
        "RSA PRIVATE KEY"
    );
    let kubecfg = fs::read_to_string(ssl("kubecfg-kube-node.yaml")).expect("kubecfg");
    assert!(kubecfg.contains("client-certificate: /etc/kubernetes/ssl/kube-node.pem"));
    assert!(kubecfg.contains("client-key: /etc/kubernetes/ssl/kube-node-key.pem"));
    assert!(kubecfg.contains("certificate-authority: /etc/kubernetes/ssl/kube-ca.pem"));
    assert!(kubecfg.contains("server: \"https://127.0.0.1:6443\""));
}

/// The k3s and RKE2 checks, by program name.
fn judge_rancher(summary: &FixtureSummary, program: &str, work: &Path) {
    judge_tree(summary, work);
    let tls = format!("var/lib/rancher/{program}/server/tls");
    for name in [
        "server-ca",
        "client-ca",
        "request-header-ca",
        "etcd-server-ca",
        "etcd-peer-ca",
    ] {
        let ca = summary.entry(name).expect("CA entry");
        assert_eq!(ca.kind, FixtureEntryKind::Ca);
        let text = text_of(&ca.cert);
        assert!(text.contains("Serial Number: 0 (0x0)"), "{name}: {text}");
        assert!(text.contains("prime256v1"), "{name} is P-256");
    }
    assert!(
        summary
            .entry("server-ca")
            .expect("server-ca")
            .subject
            .starts_with(&format!("CN={program}-server-ca@"))
    );
    let leaves = [
        ("client-admin", "client-ca"),
        ("client-kube-apiserver", "client-ca"),
        (&format!("client-{program}-controller"), "client-ca"),
        ("serving-kube-apiserver", "server-ca"),
        ("client-auth-proxy", "request-header-ca"),
        ("etcd-server-client", "etcd-server-ca"),
        ("etcd-client", "etcd-server-ca"),
        ("etcd-peer-server-client", "etcd-peer-ca"),
        ("client-kubelet", "client-ca"),
        ("serving-kubelet", "server-ca"),
        ("agent-client-kube-proxy", "client-ca"),
        (&format!("{program}.yaml"), "client-ca"),
        ("dynamic-cert", "server-ca"),
    ];
    for (name, ca) in leaves {
        let entry = summary
            .entry(name)
            .unwrap_or_else(|| panic!("entry {name}"));
        assert_eq!(entry.ca_name.as_deref(), Some(ca), "{name}");
        let certs = pem_blocks(&cert_text(entry), "CERTIFICATE");
        assert_eq!(certs.len(), 2, "{name}: leaf followed by its CA");
        assert_eq!(key_label(entry), "EC PRIVATE KEY", "{name}");
    }
    let serving = text_of(&rel(summary, &format!("{tls}/serving-kube-apiserver.crt")));
    assert!(serving.contains("TLS Web Server Authentication"));
    assert!(!serving.contains("TLS Web Client Authentication"));
    for san in [
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "DNS:kubernetes.default",
    ] {
        assert!(serving.contains(san), "{san}: {serving}");
    }
    judge_dynamic_cert(summary, program, work);
    let peer = text_of(&rel(summary, &format!("{tls}/etcd/peer-server-client.crt")));
    assert!(peer.contains("DNS:localhost") && peer.contains("IP Address:127.0.0.1"));

    let service = fs::read_to_string(rel(summary, &format!("{tls}/service.key"))).expect("key");
    assert!(service.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let cred = fs::read_to_string(rel(
        summary,
        &format!("var/lib/rancher/{program}/server/cred/admin.kubeconfig"),
    ))
    .expect("admin.kubeconfig");
    assert!(cred.contains(&format!("client-certificate: /{tls}/client-admin.crt")));
    assert!(cred.contains(&format!("certificate-authority: /{tls}/server-ca.crt")));
    assert!(cred.contains("server: https://127.0.0.1:6443"));
    let agent = format!("var/lib/rancher/{program}/agent");
    assert_eq!(
        fs::read(rel(summary, &format!("{agent}/client-kube-proxy.crt"))).ok(),
        fs::read(rel(summary, &format!("{tls}/client-kube-proxy.crt"))).ok(),
        "the agent keeps a copy of the server's kube-proxy cert"
    );
    assert_eq!(
        fs::read(rel(summary, &format!("{agent}/client-kubelet.key"))).ok(),
        fs::read(rel(summary, &format!("{tls}/client-kubelet.key"))).ok()
    );
    let kubelet = fs::read_to_string(rel(summary, &format!("{agent}/kubelet.kubeconfig")))
        .expect("kubelet.kubeconfig");
    assert!(kubelet.contains(&format!("client-key: /{agent}/client-kubelet.key")));
    let admin_yaml = fs::read_to_string(rel(
        summary,
        &format!("etc/rancher/{program}/{program}.yaml"),
    ))
    .expect("admin yaml");
    assert!(admin_yaml.contains("client-certificate-data: "));
    assert!(admin_yaml.contains("server: https://127.0.0.1:6443"));
}

/// dynamiclistener's Secret: JSON (serde_json), `<prog>-serving`, a serving certificate with
/// CN and O the program name, and the fingerprint annotation openssl's SHA-1 of the leaf.
fn judge_dynamic_cert(summary: &FixtureSummary, program: &str, work: &Path) {
    let entry = summary.entry("dynamic-cert").expect("dynamic-cert entry");
    assert_eq!(entry.storage, FixtureStorage::SecretJson);
    let text = read_in_tree(&entry.cert);
    assert!(
        text.ends_with("}\n"),
        "Go's json.Encoder ends with a newline"
    );
    let secret: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(secret["metadata"]["name"], format!("{program}-serving"));
    assert_eq!(secret["type"], "kubernetes.io/tls");
    let annotations = secret["metadata"]["annotations"]
        .as_object()
        .expect("annotations");
    assert_eq!(
        annotations.get("listener.cattle.io/cn-localhost"),
        Some(&serde_json::Value::from("localhost"))
    );
    let staged = stage(work, entry);
    let printed = text_of(&staged.leaf);
    assert!(
        printed.contains(&format!("Subject: O = {program}, CN = {program}")),
        "{printed}"
    );
    assert!(printed.contains("TLS Web Server Authentication"));
    let sha1 = openssl_ok(&[
        "x509",
        "-in",
        &staged.leaf.to_string_lossy(),
        "-noout",
        "-fingerprint",
        "-sha1",
    ]);
    let hex = sha1
        .trim()
        .rsplit('=')
        .next()
        .expect("fingerprint")
        .replace(':', "");
    assert_eq!(
        annotations.get("listener.cattle.io/fingerprint"),
        Some(&serde_json::Value::from(format!("SHA1={hex}")))
    );
}

#[test]
fn k3s_expired_tree_with_fresh_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    // P-256 keys are cheap, so this tree shows the layout without the key pool.
    let summary = build_in(dir.path(), FixtureLayout::K3s, &options(true, false));
    let work = tempfile::tempdir().expect("tempdir");
    judge_rancher(&summary, "k3s", work.path());
    let keys: BTreeSet<Vec<u8>> = ["client-admin", "client-controller", "client-scheduler"]
        .iter()
        .map(|n| {
            fs::read(
                summary
                    .entry(n)
                    .and_then(|e| e.key.clone())
                    .expect("key path"),
            )
            .expect("key")
        })
        .collect();
    assert_eq!(keys.len(), 3, "without reuse every leaf has its own key");
}

#[test]
fn rke2_valid_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = build_in(dir.path(), FixtureLayout::Rke2, &options(false, true));
    let work = tempfile::tempdir().expect("tempdir");
    judge_rancher(&summary, "rke2", work.path());
}

#[test]
fn big_kubespray_tree_reuses_a_small_key_pool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = options(true, true).with_etcd_hosts(40);
    let summary = build(&dir.path().join("root"), FixtureLayout::Kubespray, &opts).expect("build");
    let leaves = summary
        .entries
        .iter()
        .filter(|e| e.name.starts_with("etcd-") && e.kind == FixtureEntryKind::Leaf)
        .count();
    assert_eq!(leaves, 120);
    let distinct: BTreeSet<Vec<u8>> = summary
        .entries
        .iter()
        .filter(|e| e.name.starts_with("etcd-") && e.kind == FixtureEntryKind::Leaf)
        .map(|e| fs::read(e.key.as_ref().expect("key")).expect("key file"))
        .collect();
    assert!(distinct.len() <= 4, "{} distinct leaf keys", distinct.len());
    assert!(distinct.len() > 1, "neighbouring leaves differ");
}
