//! A renewal split between a node without its CA key and the holder of that key: export on the
//! node, sign on the control plane (or with `openssl ca`, an independent signer, for the CSR
//! path), install on the node. Judged by a real TLS server that trusts the CA, by the node's key
//! files (byte-identical), and by the files that crossed between the two trees (no private key).

mod handoff_support;
mod server_support;

use std::path::Path;

use handoff_support::*;
use kcertlib::fixture::FixtureLayout;
use kcertlib::handoff::{
    ExportOptions, InstallOptions, RequestSet, SignOptions, SignedSet, export_requests,
    install_signed, sign_requests,
};
use kcertlib::inventory::{EntryStatus, ScanOptions, scan};
use kcertlib::renew::{RenewOptions, renew, rollback};
use server_support::{etcd_accepts, need, tls_server_accepts};

const KUBELET_CLIENT: &str = "kubelet-client-current";

fn status(root: &Path, name: &str) -> Option<EntryStatus> {
    scan(root, &ScanOptions::default())
        .expect("scan")
        .get(name)
        .map(|e| e.status)
}

/// Export on `node`, through JSON; sign against `control_plane`, through JSON. Both files are
/// checked for key material.
fn export_and_sign(
    node: &Path,
    control_plane: &Path,
    sign: &SignOptions,
) -> (RequestSet, SignedSet) {
    let requests = export_requests(node, &ExportOptions::default()).expect("export");
    let json = requests.to_json();
    assert_no_private_key("the requests file", &json);
    let requests = RequestSet::from_json(&json).expect("requests read back");
    let before = snapshot(control_plane);
    let signed = sign_requests(control_plane, &requests, sign).expect("sign");
    assert_eq!(
        before,
        snapshot(control_plane),
        "signing wrote to the signing root"
    );
    let json = signed.to_json();
    assert_no_private_key("the signed file", &json);
    (
        requests,
        SignedSet::parse(&json).expect("signed file read back"),
    )
}

#[test]
fn a_kubeadm_worker_is_renewed_through_the_control_plane_without_its_ca_key() {
    let (dir, cp) = control_plane(FixtureLayout::Kubeadm, 1);
    let worker = dir.path().join("worker");
    kubeadm_worker(&cp, &worker);
    let pki = worker.join("var/lib/kubelet/pki");
    let ca = worker.join("etc/kubernetes/pki/ca.crt");
    let current = pki.join("kubelet-client-current.pem");
    let before = snapshot(&worker);
    let old = in_root_target(&current);
    assert!(
        tls_server_accepts(&ca, &old, &old).is_err(),
        "the expired kubelet client certificate was accepted"
    );
    // Without the CA key, renew can do nothing for the client certificate.
    let plan = kcertlib::renew::plan(&worker, &RenewOptions::default()).expect("plan");
    assert!(plan.actions.iter().all(|a| a.name != KUBELET_CLIENT));

    let (requests, signed) = export_and_sign(&worker, &cp, &SignOptions::default());
    let names: Vec<&str> = requests.requests.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, [KUBELET_CLIENT], "requests: {}", requests.to_json());
    let request = &requests.requests[0];
    assert_eq!(request.ca.name, "ca");
    assert_eq!(request.layout, "kubeadm");
    assert!(request.csr_pem.is_none());
    let serving = requests
        .skipped
        .iter()
        .find(|s| s.name == "kubelet-serving")
        .expect("kubelet's serving pair is reported");
    assert!(serving.reason.contains("throwaway"), "{}", serving.reason);
    assert!(signed.refused.is_empty(), "refused: {}", signed.to_json());
    assert_eq!(signed.signed.len(), 1);
    assert!(signed.ca_certificates.is_empty());

    let report = install_signed(&worker, &signed, &InstallOptions::default()).expect("install");
    assert!(report.changed, "{}", report.to_json());
    let renewed: Vec<&str> = report.renewed.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(renewed, [KUBELET_CLIENT], "{}", report.to_json());
    assert!(
        report.restart.iter().any(|r| r == "kubelet"),
        "{:?}",
        report.restart
    );
    assert_eq!(status(&worker, KUBELET_CLIENT), Some(EntryStatus::Ok));

    let current = in_root_target(&current);
    tls_server_accepts(&ca, &current, &current).expect("the renewed client certificate");
    let after = snapshot(&worker);
    assert_eq!(key_files(&before), key_files(&after), "a key file changed");
    // kubelet's pem is renewed the way kubelet rotates it: a new dated file with the same key;
    // the old one stays as it was.
    for (path, bytes) in &before {
        if path.to_string_lossy().contains("kubelet-client-2") {
            assert_eq!(after.get(path), Some(bytes), "{} changed", path.display());
        }
    }
    let key_block = |text: &[u8]| {
        let text = String::from_utf8_lossy(text).into_owned();
        let at = text
            .find("-----BEGIN")
            .map(|_| text.rfind("-----BEGIN").unwrap_or(0));
        text[at.unwrap_or(0)..].to_string()
    };
    let old_pem = before
        .iter()
        .find(|(p, _)| p.to_string_lossy().contains("kubelet-client-2"))
        .map(|(_, b)| key_block(b))
        .expect("old dated pem");
    let new_pem = key_block(&std::fs::read(&current).expect("current pem"));
    assert_ne!(
        current, old,
        "kubelet's link was not moved to a new dated file"
    );
    assert_eq!(old_pem, new_pem, "the key in kubelet's pem changed");

    // The installation is a renewal like any other: its manifest rolls it back.
    let manifest = report.manifest.expect("manifest");
    rollback(&manifest).expect("rollback");
    assert_eq!(status(&worker, KUBELET_CLIENT), Some(EntryStatus::Expired));
}

#[test]
fn a_renewed_ca_is_carried_to_the_worker_with_include_ca() {
    let (dir, cp) = control_plane(FixtureLayout::Kubeadm, 1);
    let worker = dir.path().join("worker");
    kubeadm_worker(&cp, &worker);
    // The control plane renews itself and its CAs first (same keys, new CA certificates).
    renew(&cp, &RenewOptions::default().with_include_ca(true)).expect("control plane renewal");
    let cp_ca = std::fs::read_to_string(cp.join("etc/kubernetes/pki/ca.crt")).expect("ca");
    let worker_ca = worker.join("etc/kubernetes/pki/ca.crt");
    assert_ne!(cp_ca, std::fs::read_to_string(&worker_ca).expect("ca"));

    let sign = SignOptions::default().with_include_ca(true);
    let (_, signed) = export_and_sign(&worker, &cp, &sign);
    assert_eq!(signed.ca_certificates, std::slice::from_ref(&cp_ca));
    let report = install_signed(&worker, &signed, &InstallOptions::default()).expect("install");
    let renewed: Vec<&str> = report.renewed.iter().map(|r| r.name.as_str()).collect();
    assert!(
        renewed.contains(&"ca") && renewed.contains(&KUBELET_CLIENT),
        "{renewed:?}"
    );
    assert_eq!(std::fs::read_to_string(&worker_ca).expect("ca"), cp_ca);
    let conf =
        kcertlib::Kubeconfig::load(worker.join("etc/kubernetes/kubelet.conf")).expect("conf");
    let data = conf.clusters()[0]
        .certificate_authority_data
        .clone()
        .expect("certificate-authority-data");
    assert_eq!(String::from_utf8(data).expect("pem"), cp_ca);
    let current = in_root_target(&worker.join("var/lib/kubelet/pki/kubelet-client-current.pem"));
    tls_server_accepts(&worker_ca, &current, &current).expect("the renewed client certificate");
    let inventory = scan(&worker, &ScanOptions::default()).expect("scan");
    // Everything but kubelet's self-signed serving pair, which the worker renews itself.
    for entry in inventory
        .entries
        .iter()
        .filter(|e| e.name != "kubelet-serving")
    {
        assert_ne!(
            entry.status,
            EntryStatus::Expired,
            "{} still expired",
            entry.name
        );
    }
}

#[test]
fn a_kubespray_etcd_only_host_is_renewed_through_the_first_etcd_host() {
    let (dir, cp) = control_plane(FixtureLayout::Kubespray, 2);
    let host = dir.path().join("etcd2");
    kubespray_etcd_host(&cp, &host, "node2");
    let before = snapshot(&host);
    let etcd = host.join("etc/ssl/etcd/ssl");

    // The signing side's validity policy applies: 90 days, notBefore an hour back.
    let now = kcertlib::Timestamp::now();
    let validity = kcertlib::ValidityPolicy::days(90).at(now);
    let sign = SignOptions::default().with_validity(validity);
    let (requests, signed) = export_and_sign(&host, &cp, &sign);
    for s in &signed.signed {
        let new = kcertlib::Certificate::from_pem(s.certificate_pem.as_bytes()).expect("pem");
        assert_eq!(
            new.not_after(),
            now.plus(std::time::Duration::from_secs(90 * 86_400))
        );
        assert_eq!(
            new.not_before(),
            now.minus(std::time::Duration::from_secs(3_600))
        );
    }
    let mut names: Vec<&str> = requests.requests.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["etcd-admin-node2", "etcd-member-node2", "etcd-node-node2"],
        "{}",
        requests.to_json()
    );
    assert!(requests.requests.iter().all(|r| r.ca.name == "etcd-ca"));
    assert!(signed.refused.is_empty(), "refused: {}", signed.to_json());

    let report = install_signed(&host, &signed, &InstallOptions::default()).expect("install");
    assert_eq!(report.renewed.len(), 3, "{}", report.to_json());
    for name in names {
        assert_eq!(status(&host, name), Some(EntryStatus::Ok), "{name}");
    }
    assert_eq!(
        key_files(&before),
        key_files(&snapshot(&host)),
        "a key file changed"
    );
    tls_server_accepts(
        &etcd.join("ca.pem"),
        &etcd.join("admin-node2.pem"),
        &etcd.join("admin-node2-key.pem"),
    )
    .expect("the renewed etcd admin certificate");
    // And etcd itself, serving with the host's renewed member certificate.
    etcd_accepts(
        &etcd.join("ca.pem"),
        (
            &etcd.join("member-node2.pem"),
            &etcd.join("member-node2-key.pem"),
        ),
        (
            &etcd.join("admin-node2.pem"),
            &etcd.join("admin-node2-key.pem"),
        ),
    )
    .expect("etcd with the renewed member and admin certificates");
}

#[test]
fn the_csr_path_is_signed_by_openssl_ca_and_installed_from_plain_pem() {
    need("openssl");
    let (dir, cp) = control_plane(FixtureLayout::Kubeadm, 1);
    let worker = dir.path().join("worker");
    kubeadm_worker(&cp, &worker);
    let before = snapshot(&worker);
    let requests = export_requests(&worker, &ExportOptions::default().with_csr(true))
        .expect("export with CSRs");
    let json = requests.to_json();
    assert_no_private_key("the requests file", &json);
    let csr = requests.requests[0].csr_pem.clone().expect("a CSR");

    // An independent signer: `openssl ca`, extensions copied from the CSR, the DN preserved.
    let ca_dir = dir.path().join("openssl-ca");
    std::fs::create_dir_all(ca_dir.join("new")).expect("mkdir");
    std::fs::write(ca_dir.join("index.txt"), "").expect("index");
    std::fs::write(ca_dir.join("serial"), "1000\n").expect("serial");
    std::fs::write(ca_dir.join("req.csr"), &csr).expect("csr");
    let config = format!(
        "[ca]\ndefault_ca = test\n[test]\ndir = {d}\ndatabase = {d}/index.txt\nnew_certs_dir = {d}/new\n\
         serial = {d}/serial\ndefault_md = sha256\npolicy = any\ncopy_extensions = copyall\n\
         unique_subject = no\n[any]\ncommonName = optional\norganizationName = optional\n",
        d = ca_dir.display()
    );
    std::fs::write(ca_dir.join("ca.cnf"), config).expect("config");
    let pki = cp.join("etc/kubernetes/pki");
    let out = std::process::Command::new("openssl")
        .args([
            "ca",
            "-batch",
            "-notext",
            "-preserveDN",
            "-days",
            "30",
            "-config",
        ])
        .arg(ca_dir.join("ca.cnf"))
        .arg("-cert")
        .arg(pki.join("ca.crt"))
        .arg("-keyfile")
        .arg(pki.join("ca.key"))
        .arg("-in")
        .arg(ca_dir.join("req.csr"))
        .arg("-out")
        .arg(ca_dir.join("signed.pem"))
        .output()
        .expect("openssl ca runs");
    assert!(
        out.status.success(),
        "openssl ca: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pem = std::fs::read_to_string(ca_dir.join("signed.pem")).expect("signed pem");
    assert_no_private_key("openssl ca's output", &pem);

    let signed = SignedSet::parse(&pem).expect("plain PEM");
    assert_eq!(signed.signed.len(), 1);
    assert_eq!(signed.signed[0].name, None);
    let report = install_signed(&worker, &signed, &InstallOptions::default()).expect("install");
    let renewed: Vec<&str> = report.renewed.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(renewed, [KUBELET_CLIENT], "{}", report.to_json());
    let current = in_root_target(&worker.join("var/lib/kubelet/pki/kubelet-client-current.pem"));
    tls_server_accepts(
        &worker.join("etc/kubernetes/pki/ca.crt"),
        &current,
        &current,
    )
    .expect("the certificate signed by openssl ca");
    assert_eq!(
        key_files(&before),
        key_files(&snapshot(&worker)),
        "a key file changed"
    );
}

#[test]
fn a_client_certificate_embedded_in_kubelet_conf_is_installed_in_place() {
    use base64ct::{Base64, Encoding};
    let (dir, cp) = control_plane(FixtureLayout::Kubeadm, 1);
    let worker = dir.path().join("worker");
    kubeadm_worker(&cp, &worker);
    // A worker before kubelet's first rotation: kubelet.conf embeds its client credentials.
    let pem_link = worker.join("var/lib/kubelet/pki/kubelet-client-current.pem");
    let pem = std::fs::read_to_string(in_root_target(&pem_link)).expect("pem");
    let key_at = pem
        .find("-----BEGIN EC PRIVATE KEY-----")
        .expect("key block");
    let (cert_pem, key_pem) = pem.split_at(key_at);
    let conf_path = worker.join("etc/kubernetes/kubelet.conf");
    let conf = std::fs::read_to_string(&conf_path).expect("conf");
    let embedded: String = conf
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("client-certificate:") {
                format!(
                    "    client-certificate-data: {}",
                    Base64::encode_string(cert_pem.as_bytes())
                )
            } else if line.trim_start().starts_with("client-key:") {
                format!(
                    "    client-key-data: {}",
                    Base64::encode_string(key_pem.as_bytes())
                )
            } else {
                line.to_string()
            }
        })
        .map(|line| line + "\n")
        .collect();
    std::fs::write(&conf_path, &embedded).expect("write conf");
    for entry in std::fs::read_dir(worker.join("var/lib/kubelet/pki")).expect("pki") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().contains("kubelet-client") {
            std::fs::remove_file(&path).expect("rm");
        }
    }

    let (requests, signed) = export_and_sign(&worker, &cp, &SignOptions::default());
    assert_eq!(requests.requests.len(), 1, "{}", requests.to_json());
    let name = requests.requests[0].name.clone();
    let report = install_signed(&worker, &signed, &InstallOptions::default()).expect("install");
    assert!(
        report.renewed.iter().any(|r| r.name == name),
        "{}",
        report.to_json()
    );
    assert_eq!(status(&worker, &name), Some(EntryStatus::Ok));
    let after = std::fs::read_to_string(&conf_path).expect("conf");
    let key_line = |text: &str| {
        text.lines()
            .find(|l| l.contains("client-key-data"))
            .map(str::to_string)
    };
    assert_eq!(
        key_line(&after),
        key_line(&embedded),
        "the embedded key changed"
    );
    // Only the client certificate's base64 value differs.
    let differing: Vec<_> = after
        .lines()
        .zip(embedded.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(differing.len(), 1, "{differing:?}");
    assert!(
        differing[0].0.contains("client-certificate-data"),
        "{differing:?}"
    );
    // The installed certificate, with the embedded key, is accepted by a server trusting ca.
    let conf = kcertlib::Kubeconfig::load(&conf_path).expect("conf");
    let user = conf.users().into_iter().next().expect("user");
    let cert = dir.path().join("client.crt");
    let key = dir.path().join("client.key");
    std::fs::write(&cert, user.client_certificate_data.expect("cert data")).expect("write");
    std::fs::write(&key, key_pem).expect("write");
    tls_server_accepts(&worker.join("etc/kubernetes/pki/ca.crt"), &cert, &key)
        .expect("the embedded renewed certificate");
}
