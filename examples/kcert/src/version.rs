//! `kcert --version`: the package version, the commit it was built from and the signing
//! backend compiled in, the three facts a bug report needs. The commit comes from `build.rs`.

/// The commit this binary was built from (`unknown` outside a git checkout, e.g. from the
/// registry's package).
pub const COMMIT: &str = env!("KCERT_GIT_COMMIT");

/// `-V`: one line.
pub fn short() -> String {
    format!(
        "{} (commit {}, signing backend {})",
        env!("CARGO_PKG_VERSION"),
        abbreviated(COMMIT),
        backend()
    )
}

/// `--version`: one fact a line.
pub fn long() -> String {
    format!(
        "{}\ncommit: {COMMIT}\nsigning backend: {}",
        env!("CARGO_PKG_VERSION"),
        backend(),
    )
}

/// `aws-lc` or `rustcrypto`: the fastest backend kcertlib was built with, the one that signs.
fn backend() -> &'static str {
    kcertlib::Backend::fastest().name()
}

fn abbreviated(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}
