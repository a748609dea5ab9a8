//! Gives libkcert.so its SONAME, `libkcert.so.<major>` (`libkcert.so.0` while the ABI is 0.x),
//! so that programs linked against it record the ABI they were built for and a later
//! incompatible libkcert can be installed beside it. `scripts/install-c.sh` installs the file
//! as `libkcert.so.<version>` with the `.so.<major>` and `.so` links.
//!
//! Programs linked against the build tree (`-Ltarget/release -lkcert`) then look for
//! `libkcert.so.<major>` at run time, so this also makes that link beside `libkcert.so` in the
//! profile directory: the C tests, examples and benchmarks link against the tree and run as
//! before.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    let soname = format!("libkcert.so.{major}");
    // ELF only; macOS (install_name) and Windows have their own schemes.
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "illumos"
    ) {
        return;
    }
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");

    // OUT_DIR is <profile dir>/build/<package>-<hash>/out; the cdylib lands in <profile dir>.
    let Some(profile_dir) = env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .and_then(|out| out.ancestors().nth(3).map(PathBuf::from))
    else {
        return;
    };
    let link = profile_dir.join(&soname);
    if std::fs::symlink_metadata(&link).is_err() {
        #[cfg(unix)]
        if let Err(err) = std::os::unix::fs::symlink("libkcert.so", &link) {
            println!(
                "cargo:warning=could not link {} -> libkcert.so: {err}",
                link.display()
            );
        }
    }
}
