//! The `kcert` command through the built binary: help and version, usage errors (exit 64,
//! naming the culprit), "nothing found" (exit 2), the exit codes of `check` and `renew` on
//! real generated trees, `--at`, every output format parsed back, completions and the man
//! page. Every tree is built by `kcert fixture` in a temporary directory, and every `renew`
//! runs with `--root` inside it.

mod support;

use serde_json::Value;
use support::*;

#[test]
fn every_command_has_help_and_the_exit_codes_are_documented() {
    let out = expect(&["--help"], EXIT_OK);
    for command in [
        "inspect", "check", "renew", "rollback", "recover", "demo", "fixture",
    ] {
        assert!(stdout(&out).contains(command), "{}", stdout(&out));
    }
    assert!(stdout(&out).contains("Exit codes"), "{}", stdout(&out));
    for command in [
        "inspect",
        "check",
        "renew",
        "rollback",
        "recover",
        "demo",
        "fixture",
        "completions",
        "man",
        "export",
        "sign",
        "install",
    ] {
        for flag in ["-h", "--help"] {
            let out = expect(&[command, flag], EXIT_OK);
            assert!(stdout(&out).contains("Usage: kcert"), "{}", stdout(&out));
        }
    }
    let out = expect(&["renew", "--help"], EXIT_OK);
    for text in [
        "Exit codes",
        "64",
        "needs a person",
        "--dry-run",
        "--output",
    ] {
        assert!(stdout(&out).contains(text), "{text}: {}", stdout(&out));
    }
    expect(&["help", "renew"], EXIT_OK);
}

#[test]
fn version_names_the_version_the_backend_and_the_commit() {
    let out = expect(&["--version"], EXIT_OK);
    let text = stdout(&out);
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
    assert!(
        text.contains("signing backend: aws-lc") || text.contains("signing backend: rustcrypto"),
        "{text}"
    );
    let commit = text
        .lines()
        .find_map(|l| l.strip_prefix("commit: "))
        .unwrap_or_else(|| panic!("no commit line: {text}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{text}"
    );
    let out = expect(&["-V"], EXIT_OK);
    assert!(stdout(&out).contains("signing backend"), "{}", stdout(&out));
}

#[test]
fn usage_errors_exit_64_and_name_the_culprit() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().to_str().expect("utf-8");
    let cases: &[(&[&str], &str)] = &[
        (&["renew", "./tree"], "./tree"),
        (&["renew", "--dry-run", "./tree"], "./tree"),
        (&["check", "./tree"], "./tree"),
        (&["check", "--root", root, "--bogus"], "--bogus"),
        (&["check", "--root", root, "-o", "xml"], "xml"),
        (&["renew", "--root", root, "-o", "prometheus"], "prometheus"),
        (&["recover", "--root", root, "extra"], "extra"),
        (&["rollback"], "MANIFEST"),
        (&["inspect"], "PATH"),
        (&["fixture", "nosuchlayout", root], "nosuchlayout"),
        (&["completions", "tcsh"], "tcsh"),
        (&["check", "--root", root, "--at", "someday"], "someday"),
        (&["check", "--root", root, "--at", "+1001y"], "1001y"),
        (&["no-such-command"], "no-such-command"),
        (&[], "Usage"),
    ];
    for (args, named) in cases {
        let out = expect(args, EXIT_USAGE);
        assert!(stderr(&out).contains(named), "{}", describe(args, &out));
        assert!(stdout(&out).is_empty(), "{}", describe(args, &out));
    }
    // Nothing was written under the root.
    assert_eq!(std::fs::read_dir(dir.path()).expect("root").count(), 0);
}

#[test]
fn nothing_found_is_an_error_naming_the_root_and_the_layouts() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().to_str().expect("utf-8");
    for args in [
        &["check", "--root", root][..],
        &["check", "--root", root, "-o", "json"],
        &["renew", "--root", root],
        &["renew", "--root", root, "--dry-run"],
    ] {
        let out = expect(args, EXIT_ERROR);
        let err = stderr(&out);
        assert!(err.contains("no Kubernetes certificate found"), "{err}");
        assert!(err.contains(root), "{err}");
        for layout in [
            "kubeadm",
            "kubespray",
            "rke1",
            "rke2",
            "k3s",
            "etc/kubernetes/pki",
        ] {
            assert!(err.contains(layout), "{layout}: {err}");
        }
        assert!(stdout(&out).is_empty(), "{}", describe(args, &out));
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("root").count(), 0);
}

#[test]
fn check_outputs_parse_back_and_agree() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "kubeadm", &["--valid"]);
    let root = root.to_str().expect("utf-8");
    // One moment for both outputs: residual times are counted from it, and two runs a second
    // apart would otherwise differ.
    let at = kcertlib::Timestamp::now().to_rfc3339();
    let out = expect(
        &["check", "--root", root, "--at", &at, "-o", "json"],
        EXIT_OK,
    );
    // Nothing on a stderr that is not a terminal: no progress bar, no noise.
    assert_eq!(stderr(&out), "");
    let doc = json(&out);
    assert_eq!(doc["kind"], "CertificateExpirationInfo");
    assert!(
        names(&doc["certificates"]).contains(&"apiserver".to_string()),
        "{doc}"
    );
    assert!(
        names(&doc["certificateAuthorities"]).contains(&"ca".to_string()),
        "{doc}"
    );
    let out = expect(
        &["check", "--root", root, "--at", &at, "--output", "yaml"],
        EXIT_OK,
    );
    assert_eq!(yaml(&stdout(&out)), doc, "YAML and JSON differ");
    let out = expect(&["check", "--root", root, "-o", "prometheus"], EXIT_OK);
    assert!(
        stdout(&out).contains("x509_cert_not_after{name=\"apiserver\""),
        "{}",
        stdout(&out)
    );
    // kubeadm's short human duration, judged at a moment fixed against the apiserver
    // certificate's own notAfter (363.5 days before it), so the time of day cannot move it.
    let expires = doc["certificates"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == "apiserver"))
        .and_then(|c| c["expirationDate"].as_str())
        .unwrap_or_else(|| panic!("apiserver's expirationDate in {doc}"));
    let at = kcertlib::Timestamp::parse_rfc3339(expires)
        .expect("RFC 3339")
        .minus(std::time::Duration::from_secs(363 * 86_400 + 12 * 3600))
        .to_rfc3339();
    let out = expect(&["check", "--root", root, "--at", &at], EXIT_OK);
    let table = stdout(&out);
    assert!(table.starts_with("CERTIFICATE "), "{table}");
    assert!(table.contains("RESIDUAL TIME"), "{table}");
    let apiserver = table
        .lines()
        .find(|l| l.starts_with("apiserver "))
        .unwrap_or_default();
    assert!(apiserver.contains(" 363d "), "{table}");
}

#[test]
fn check_exit_codes_and_time_travel() {
    let dir = tempfile::tempdir().expect("tmp");
    let valid = fixture(dir.path(), "rke1", &["--valid"]);
    let valid = valid.to_str().expect("utf-8");
    expect(&["check", "--root", valid], EXIT_OK);
    // Within the warning window: needs a person.
    let out = expect(
        &["check", "--root", valid, "--warn-within", "400d"],
        EXIT_ATTENTION,
    );
    assert!(
        stderr(&out).contains("kube-apiserver: expires"),
        "{}",
        stderr(&out)
    );
    // A year from now every leaf has expired; the CAs (ten years) have not.
    let out = expect(
        &["check", "--root", valid, "--at", "+400d", "-o", "json"],
        EXIT_ATTENTION,
    );
    let doc = json(&out);
    for leaf in doc["certificates"].as_array().expect("list") {
        assert_eq!(leaf["status"], "expired", "{leaf}");
        assert!(leaf["residualTime"].as_i64().unwrap_or(0) < 0, "{leaf}");
    }
    for ca in doc["certificateAuthorities"].as_array().expect("list") {
        assert_eq!(ca["status"], "ok", "{ca}");
    }
    let out = expect(&["check", "--root", valid, "--at", "+400d"], EXIT_ATTENTION);
    assert!(
        stdout(&out).contains("<invalid>"),
        "kubeadm prints expired residual times so: {}",
        stdout(&out)
    );
    // Before the certificates existed.
    let out = expect(
        &["check", "--root", valid, "--at", "2001-01-01", "-o", "json"],
        EXIT_ATTENTION,
    );
    assert_eq!(json(&out)["scannedAt"], "2001-01-01T00:00:00Z");
    assert!(
        stderr(&out).contains("not valid before"),
        "{}",
        stderr(&out)
    );
    // An expired tree.
    let expired = fixture(dir.path(), "k3s", &[]);
    let out = expect(
        &["check", "--root", expired.to_str().expect("utf-8")],
        EXIT_ATTENTION,
    );
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));
    // A root that is not a directory is an error.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").expect("write");
    expect(
        &["check", "--root", file.to_str().expect("utf-8")],
        EXIT_ERROR,
    );
}

#[test]
fn renew_exits_0_when_everything_is_renewed_and_nothing_is_left_behind() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "rke1", &[]);
    let root = root.to_str().expect("utf-8");
    expect(&["check", "--root", root], EXIT_ATTENTION);
    let out = expect(
        &["renew", "--root", root, "--dry-run", "-o", "json"],
        EXIT_OK,
    );
    let plan = json(&out);
    assert_eq!(plan["dryRun"], true);
    assert_eq!(plan["needsAttention"], Value::Array(vec![]));
    assert!(!names(&plan["renewed"]).is_empty(), "{plan}");
    // The core's notBefore rules: keep the certificate's own, or the CA's.
    for rule in ["keep", "ca", "2h"] {
        expect(
            &["renew", "--root", root, "--dry-run", "--backdate", rule],
            EXIT_OK,
        );
    }
    let out = expect(&["renew", "--root", root, "-o", "yaml"], EXIT_OK);
    let report = yaml(&stdout(&out));
    assert_eq!(report["changed"], true, "{report}");
    expect(&["check", "--root", root], EXIT_OK);
    // Again: nothing is left to renew within the window, and that is success too.
    let out = expect(
        &["renew", "--root", root, "--expiring-within", "30d"],
        EXIT_OK,
    );
    assert!(
        stdout(&out).contains("nothing to renew"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_expired_kubeadm_node_renews_whole_kubelets_serving_pair_included() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "kubeadm", &[]);
    let root_arg = root.to_str().expect("utf-8");
    // kubelet's self-signed serving pair is regenerated as kubelet makes it, with a new
    // throwaway CA: nothing is left for a person.
    let out = expect(&["renew", "--root", root_arg, "-o", "json"], EXIT_OK);
    let report = json(&out);
    assert_eq!(report["needsAttention"], Value::Array(vec![]), "{report}");
    for name in ["kubelet-serving", "apiserver", "admin.conf"] {
        assert!(
            names(&report["renewed"]).contains(&name.to_string()),
            "{name}: {report}"
        );
    }
    expect(&["check", "--root", root_arg], EXIT_OK);
}

#[test]
fn renew_exits_1_listing_what_still_needs_a_person() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "kubeadm", &[]);
    let root_arg = root.to_str().expect("utf-8");
    // Without the front-proxy CA's key, its client certificate cannot be renewed here;
    // everything else is.
    std::fs::remove_file(root.join("etc/kubernetes/pki/front-proxy-ca.key")).expect("rm");
    let out = expect(&["renew", "--root", root_arg, "-o", "json"], EXIT_ATTENTION);
    let report = json(&out);
    assert_eq!(
        names(&report["needsAttention"]),
        ["front-proxy-client"],
        "{report}"
    );
    assert!(
        names(&report["renewed"]).contains(&"apiserver".to_string()),
        "{report}"
    );
    assert!(
        stderr(&out).contains("1 entry needs a person"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("front-proxy-client: expired"),
        "{}",
        stderr(&out)
    );
    // Asked for only what it can renew, it succeeds.
    let out = expect(
        &[
            "renew",
            "--root",
            root_arg,
            "--only",
            "apiserver,admin.conf",
        ],
        EXIT_OK,
    );
    assert!(
        stdout(&out).contains("renewed apiserver"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn add_san_extends_the_apiserver_certificate_and_is_refused_on_a_client() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "kubeadm", &[]);
    let root_arg = root.to_str().expect("utf-8");
    let out = expect(
        &[
            "renew",
            "--root",
            root_arg,
            "--only",
            "admin.conf",
            "--add-san",
            "DNS:lb.example.com",
        ],
        EXIT_ERROR,
    );
    assert!(
        stderr(&out).contains("not a serving certificate"),
        "{}",
        stderr(&out)
    );
    expect(
        &["renew", "--root", root_arg, "--add-san", "XYZ:nope"],
        EXIT_USAGE,
    );
    expect(
        &[
            "renew",
            "--root",
            root_arg,
            "--only",
            "apiserver",
            "--add-san",
            "DNS:lb.example.com,IP:10.0.0.10",
        ],
        EXIT_OK,
    );
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
        .arg(root.join("etc/kubernetes/pki/apiserver.crt"))
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DNS:lb.example.com"), "{text}");
    assert!(text.contains("IP Address:10.0.0.10"), "{text}");
    assert!(text.contains("DNS:kubernetes.default"), "{text}");
}

#[test]
fn no_copies_leaves_users_kubeconfigs_alone() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "kubeadm", &[]);
    let root_arg = root.to_str().expect("utf-8");
    let copy = root.join("root/.kube/config");
    std::fs::create_dir_all(copy.parent().expect("dir")).expect("mkdir");
    std::fs::copy(root.join("etc/kubernetes/admin.conf"), &copy).expect("copy");
    let before = std::fs::read(&copy).expect("read");
    let args = ["renew", "--root", root_arg, "--only", "admin.conf"];
    expect(&[&args[..], &["--no-copies"]].concat(), EXIT_OK);
    assert_eq!(std::fs::read(&copy).expect("read"), before);
    let out = expect(&[&args[..], &["-o", "json"]].concat(), EXIT_OK);
    let report = json(&out);
    assert!(
        names(&report["renewed"]).contains(&"root/.kube/config".to_string()),
        "{report}"
    );
    assert_eq!(
        std::fs::read(&copy).expect("read"),
        std::fs::read(root.join("etc/kubernetes/admin.conf")).expect("read")
    );
}

#[test]
fn an_entry_this_version_does_not_have_is_not_missing() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "kubeadm", &["--valid"]);
    // A kubeadm older than 1.29 writes no super-admin.conf.
    std::fs::remove_file(root.join("etc/kubernetes/super-admin.conf")).expect("rm");
    let root = root.to_str().expect("utf-8");
    expect(&["check", "--root", root], EXIT_OK);
    let out = expect(
        &["renew", "--root", root, "--dry-run", "-o", "json"],
        EXIT_OK,
    );
    assert_eq!(json(&out)["needsAttention"], Value::Array(vec![]));
    expect(&["renew", "--root", root], EXIT_OK);
    // A required one is missing, and needs a person.
    std::fs::remove_file(dir.path().join("kubeadm/etc/kubernetes/admin.conf")).expect("rm");
    let out = expect(&["check", "--root", root], EXIT_ATTENTION);
    assert!(
        stderr(&out).contains("admin.conf: missing"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn renew_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "rke1", &[]);
    let root = root.to_str().expect("utf-8");
    let out = expect(
        &["renew", "--root", root, "--only", "no-such-entry"],
        EXIT_ERROR,
    );
    assert!(stderr(&out).contains("no-such-entry"), "{}", stderr(&out));
    let out = expect(&["rollback", "/no/such/manifest.json"], EXIT_ERROR);
    assert!(
        stderr(&out).contains("/no/such/manifest.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rollback_and_recover_print_in_every_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = fixture(dir.path(), "rke1", &[]);
    let root = root.to_str().expect("utf-8");
    let out = expect(&["renew", "--root", root, "-o", "json"], EXIT_OK);
    let manifest = json(&out)["manifest"]
        .as_str()
        .expect("manifest")
        .to_string();
    let out = expect(&["rollback", &manifest, "-o", "yaml"], EXIT_OK);
    assert!(
        !yaml(&stdout(&out))["restored"]
            .as_array()
            .expect("list")
            .is_empty()
    );
    expect(&["check", "--root", root], EXIT_ATTENTION);
    let out = expect(&["recover", "--root", root, "-o", "json"], EXIT_OK);
    assert_eq!(json(&out)["recovered"], false);
    let out = expect(&["recover", "--root", root], EXIT_OK);
    assert!(
        stdout(&out).contains("no interrupted renewal"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn completions_and_man_page_are_generated() {
    for (shell, marker) in [
        ("bash", "_kcert()"),
        ("zsh", "#compdef kcert"),
        ("fish", "complete -c kcert"),
    ] {
        let out = expect(&["completions", shell], EXIT_OK);
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        for word in ["renew", "dry-run", "expiring-within"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    let out = expect(&["man"], EXIT_OK);
    let page = stdout(&out);
    assert!(page.contains(".TH kcert"), "{page}");
    for word in ["renew", "check", "inspect", "Exit codes"] {
        assert!(page.contains(word), "the man page lacks {word}");
    }
}

#[test]
fn fixture_prints_its_summary_in_every_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("t");
    let root = root.to_str().expect("utf-8");
    let out = expect(
        &["fixture", "k3s", root, "--reuse-keys", "-o", "table"],
        EXIT_OK,
    );
    assert!(
        stdout(&out).starts_with("built a k3s tree"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_lists_k3s_dynamic_cert_and_renew_updates_a_named_rke_state() {
    let dir = tempfile::tempdir().expect("tmp");
    // k3s: the supervisor's serving certificate is an entry like any other.
    let k3s = fixture(&dir.path().join("k3s"), "k3s", &[]);
    let out = expect(
        &[
            "check",
            "--root",
            k3s.to_str().expect("utf-8"),
            "-o",
            "json",
        ],
        EXIT_ATTENTION,
    );
    let report = json(&out);
    let dynamic = report["certificates"]
        .as_array()
        .expect("certificates")
        .iter()
        .find(|c| c["name"] == "dynamic-cert")
        .unwrap_or_else(|| panic!("no dynamic-cert: {report}"))
        .clone();
    assert_eq!(dynamic["status"], "expired", "{dynamic}");
    assert_eq!(dynamic["caName"], "server-ca", "{dynamic}");

    // RKE1 with its state where kcert does not look: named with --rke-state, it is renewed.
    let rke1 = fixture(&dir.path().join("rke1"), "rke1", &[]);
    let state = rke1.join("opt/ops/prod.rkestate");
    std::fs::create_dir_all(state.parent().expect("parent")).expect("mkdir");
    std::fs::rename(rke1.join("root/cluster.rkestate"), &state).expect("move");
    let root_arg = rke1.to_str().expect("utf-8");
    let out = expect(&["renew", "--root", root_arg, "--dry-run"], EXIT_OK);
    assert!(stderr(&out).contains("--rke-state") || stdout(&out).contains("--rke-state"));
    let out = expect(
        &[
            "renew",
            "--root",
            root_arg,
            "--rke-state",
            state.to_str().expect("utf-8"),
            "-o",
            "json",
        ],
        EXIT_OK,
    );
    let report = json(&out);
    assert!(
        names(&report["renewed"]).contains(&"opt/ops/prod.rkestate:kube-apiserver".to_string()),
        "{report}"
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("read")).expect("JSON");
    let node = std::fs::read_to_string(rke1.join("etc/kubernetes/ssl/kube-apiserver.pem"))
        .expect("node cert");
    for which in ["desiredState", "currentState"] {
        assert_eq!(
            written[which]["certificatesBundle"]["kube-apiserver"]["certificatePEM"],
            node.as_str(),
            "{which}"
        );
    }
    // A state outside the root is a usage of the wrong file: an error, nothing written.
    let outside = dir.path().join("elsewhere.rkestate");
    std::fs::copy(&state, &outside).expect("copy");
    expect(
        &[
            "renew",
            "--root",
            root_arg,
            "--rke-state",
            outside.to_str().expect("utf-8"),
        ],
        EXIT_ERROR,
    );
}
