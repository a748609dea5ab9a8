//! Records the git commit the binary is built from, for `kcert --version`.
//!
//! `KCERT_GIT_COMMIT` in the environment wins (a packager that knows the commit). Otherwise
//! `git rev-parse HEAD`, but only when this package's own `Cargo.toml` is tracked by that
//! repository: a crate unpacked from the registry, or `cargo package`'s copy under `target/`,
//! sits inside no repository of its own and reports `unknown` rather than the commit of
//! whatever checkout happens to enclose it.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=KCERT_GIT_COMMIT");
    println!("cargo:rerun-if-changed=build.rs");
    let commit = std::env::var("KCERT_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(from_git)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=KCERT_GIT_COMMIT={}", commit.trim());
}

fn from_git() -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let dir = Path::new(&dir);
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    git(&["ls-files", "--error-unmatch", "Cargo.toml"])?;
    let commit = git(&["rev-parse", "HEAD"])?;
    // Rebuild when HEAD moves: the HEAD file (a branch switch) and the branch's ref (a commit).
    for name in ["HEAD", "packed-refs"] {
        if let Some(path) = git(&["rev-parse", "--git-path", name]) {
            println!("cargo:rerun-if-changed={}", dir.join(path).display());
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(path) = git(&["rev-parse", "--git-path", &branch])
    {
        println!("cargo:rerun-if-changed={}", dir.join(path).display());
    }
    (commit.len() >= 7).then_some(commit)
}
