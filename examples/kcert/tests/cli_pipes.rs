//! The `kcert` binary: a closed or broken stdout or stderr never makes it panic, and an
//! out-of-range `--days` or duration is a usage error (exit 64) naming the value. Every renew
//! runs with `--root` inside a temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use kcertlib::fixture::{FixtureLayout, FixtureOptions, build};
use kcertlib::*;

const EXIT_USAGE: i32 = 64;
/// The status of a Rust program that panicked.
const EXIT_PANIC: i32 = 101;

/// The binary cargo built for this package's tests.
fn kcert() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kcert"))
}

/// A writer whose reader is already gone: every write to it fails with EPIPE.
fn broken_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer.into()
}

/// A PEM file with one valid certificate, and a kubeadm tree, under `dir`.
fn inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let key = PrivateKey::generate(&KeyAlgorithm::P256).expect("key");
    let ca = self_signed_ca("CN=cli-test", &key, &ValidityPolicy::days(30)).expect("ca");
    let pem = dir.join("ca.pem");
    std::fs::write(&pem, ca.to_pem().repeat(200)).expect("write");
    let tree = dir.join("tree");
    build(&tree, FixtureLayout::Kubeadm, &FixtureOptions::default()).expect("tree");
    (pem, tree)
}

fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "kcert {}: {:?}\nstdout: {}\nstderr: {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_closed_stdout_never_panics() {
    let dir = tempfile::tempdir().expect("tmp");
    let (pem, tree) = inputs(dir.path());
    let (pem, tree) = (pem.to_str().expect("utf-8"), tree.to_str().expect("utf-8"));
    let runs: [&[&str]; 6] = [
        &["inspect", pem],
        &["inspect", "--json", pem],
        &["help"],
        &["check", "--root", tree],
        &["check", "--root", tree, "--output", "json"],
        &["renew", "--root", tree, "--dry-run"],
    ];
    for args in runs {
        let out = Command::new(kcert())
            .args(args)
            .stdout(broken_pipe())
            .stderr(Stdio::piped())
            .output()
            .expect("kcert runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() != Some(EXIT_PANIC) && !stderr.contains("panicked"),
            "{}",
            describe(args, &out)
        );
        // The output stops, the command does not: its status is the one a working stdout gets.
        let normal = Command::new(kcert())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("kcert runs");
        assert_eq!(out.status.code(), normal.code(), "{}", describe(args, &out));
    }
}

#[test]
fn a_closed_or_broken_stderr_never_panics() {
    let dir = tempfile::tempdir().expect("tmp");
    let (pem, _) = inputs(dir.path());
    let missing = dir.path().join("no-such-root");
    let (pem, missing) = (
        pem.to_str().expect("utf-8"),
        missing.to_str().expect("utf-8"),
    );
    // Each run writes an error to stderr: a root that does not exist, a missing file among
    // good ones, an unknown command (with the usage text), a bad option value.
    let runs: [(&[&str], i32); 4] = [
        (&["check", "--root", missing], 2),
        (&["inspect", "/no/such/file.pem", pem], 2),
        (&["no-such-command"], EXIT_USAGE),
        (
            &["check", "--root", missing, "--warn-within", "soon"],
            EXIT_USAGE,
        ),
    ];
    for (args, expected) in runs {
        // A pipe whose reader has gone (EPIPE), stdout too.
        let out = Command::new(kcert())
            .args(args)
            .stdout(broken_pipe())
            .stderr(broken_pipe())
            .output()
            .expect("kcert runs");
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{}",
            describe(args, &out)
        );
        // A closed descriptor: `kcert ... 2>&-`.
        let out = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 2>&-"#)
            .arg(kcert())
            .args(args)
            .stdout(Stdio::null())
            .output()
            .expect("sh runs");
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{}",
            describe(args, &out)
        );
    }
}

#[test]
fn out_of_range_days_and_durations_are_usage_errors_naming_the_value() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("root");
    std::fs::create_dir(&root).expect("root");
    let root_arg = root.to_str().expect("utf-8");
    let cases: [(&[&str], &str); 9] = [
        (&["renew", "--days", "213503982334602"], "213503982334602"),
        (&["renew", "--days=365001"], "365001"),
        (
            &["renew", "--days", "99999999999999999999999"],
            "99999999999999999999999",
        ),
        (&["renew", "--days", "0"], "lifetime of 0 days"),
        (&["renew", "--days", "-5"], "-5"),
        (&["renew", "--backdate", "1001y"], "1001y"),
        (
            &["renew", "--expiring-within", "18446744073709551616"],
            "18446744073709551616",
        ),
        (
            &["check", "--warn-within", "584942417355y"],
            "584942417355y",
        ),
        (
            &["inspect", "--warn-within", "99999999999w", "x.pem"],
            "99999999999w",
        ),
    ];
    for (args, named) in cases {
        let mut command = Command::new(kcert());
        command.args(args);
        if args[0] != "inspect" {
            command.args(["--root", root_arg]);
        }
        let out = command.output().expect("kcert runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(EXIT_USAGE),
            "{}",
            describe(args, &out)
        );
        assert!(stderr.contains(named), "{}", describe(args, &out));
        assert!(!stderr.contains("panicked"), "{}", describe(args, &out));
    }
    // Nothing was written under the root.
    assert_eq!(std::fs::read_dir(&root).expect("root").count(), 0);
    // The largest accepted value still works (a dry run on an empty root renews nothing).
    let out = Command::new(kcert())
        .args(["renew", "--days", "365000", "--dry-run", "--root", root_arg])
        .output()
        .expect("kcert runs");
    assert_ne!(
        out.status.code(),
        Some(EXIT_USAGE),
        "{}",
        describe(&[], &out)
    );
}
