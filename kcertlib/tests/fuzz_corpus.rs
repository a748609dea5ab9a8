//! Replays every committed fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets'
//! checks on stable Rust, without libFuzzer: the same functions cargo-fuzz runs
//! (`fuzz/src/targets.rs`), so a crash once found and added to a corpus stays fixed. A failure
//! names the target and the file. An abort cannot be caught (a stack overflow): run with
//! `KCERT_FUZZ_TRACE=1 ... -- --nocapture` to see each file's name before it is replayed.

#[path = "../../fuzz/src/targets.rs"]
mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

#[test]
fn every_corpus_file_passes_its_target() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    let trace = std::env::var_os("KCERT_FUZZ_TRACE").is_some();
    for (name, target) in targets::TARGETS {
        let dir = corpus_dir(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: empty corpus", dir.display());
        for file in &files {
            let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            if trace {
                eprintln!("{name}: {}", file.display());
            }
            if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
                failures.push(format!("{name}: {}", file.display()));
            }
            replayed += 1;
        }
    }
    assert!(failures.is_empty(), "fuzz targets failed on: {failures:#?}");
    assert!(replayed >= 7, "replayed {replayed} files");
}
