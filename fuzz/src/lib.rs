//! kcertlib's fuzz targets. The checks live in `targets` as plain functions so that
//! `kcertlib/tests/fuzz_corpus.rs` replays the committed corpora through them on stable Rust;
//! each `fuzz_targets/<name>.rs` only hands libFuzzer's input to one of them.

pub mod targets;
