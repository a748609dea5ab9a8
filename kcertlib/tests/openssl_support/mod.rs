//! The openssl-made fixtures of `testing/openssl-fixtures.sh`, built once per test process, and
//! the independent judges (`openssl verify`, `testing/judge.py`) of the tests that use them
//! (`openssl_fixtures.rs`, `signing_backends.rs`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kcertlib::{Certificate, PrivateKey};
use serde_json::Value;

/// The fixture directory and its `MANIFEST.json`.
pub struct Fixtures {
    /// Where `openssl-fixtures.sh` wrote the files.
    pub dir: PathBuf,
    /// `MANIFEST.json`: every file with its role and expected fields.
    pub manifest: Value,
}

/// Builds the openssl fixtures once per test process into a directory that outlives the tests.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("kcert-openssl-fixtures")
            .tempdir()
            .expect("temp dir")
            .keep();
        let script = repo().join("testing/openssl-fixtures.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "openssl-fixtures.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(dir.join("MANIFEST.json")).expect("manifest"))
                .expect("manifest is JSON");
        Fixtures { dir, manifest }
    })
}

/// The workspace root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The manifest's files of `role` (`leaf`, `ca`, `key`, ...), with their metadata.
pub fn files(role: &str) -> Vec<(String, Value)> {
    let f = fixtures();
    f.manifest["files"]
        .as_object()
        .expect("files")
        .iter()
        .filter(|(_, v)| v["role"] == role)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The path of fixture file `name`.
pub fn path(name: &str) -> PathBuf {
    fixtures().dir.join(name)
}

/// The first certificate of fixture file `name`.
pub fn cert(name: &str) -> Certificate {
    Certificate::load_file(path(name)).expect("loads")[0].clone()
}

/// The private key of fixture file `name`.
pub fn key(name: &str) -> PrivateKey {
    PrivateKey::load_file(path(name)).expect("key loads")
}

/// The test venv's Python when `testing/install-deps.sh` made it, else `python3`.
pub fn python() -> PathBuf {
    let venv = repo().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Runs `testing/judge.py ARGS`: (exit status ok, its JSON output).
pub fn judge(args: &[&Path]) -> (bool, Value) {
    let out = Command::new(python())
        .arg(repo().join("testing/judge.py"))
        .args(args)
        .output()
        .expect("judge runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), json)
}

/// `openssl verify -ignore_critical -CAfile CA LEAF`; the output on failure.
pub fn openssl_verify(ca: &Path, leaf: &Path) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(["verify", "-ignore_critical", "-CAfile"])
        .arg(ca)
        .arg(leaf)
        .output()
        .expect("openssl runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Writes `text` to `dir/name`, returning the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// `openssl verify -x509_strict -CAfile CA LEAF`: `Ok` when it verifies, else openssl's output
/// (which names the failing certificate's depth: `error N at D depth lookup: ...`).
pub fn openssl_verify_strict(ca: &Path, leaf: &Path) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(["verify", "-x509_strict", "-CAfile"])
        .arg(ca)
        .arg(leaf)
        .output()
        .expect("openssl runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// What `openssl x509 -text` says of a certificate file: its `Version:` line's number and
/// whether it lists an `X509v3 extensions:` section.
pub fn openssl_version_and_extensions(cert: &Path) -> (u32, bool) {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(cert)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl x509 -text {}: {}",
        cert.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Version: "))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Version line in:\n{text}"));
    (version, text.contains("X509v3 extensions:"))
}
