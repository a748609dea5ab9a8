//! Helpers of the CLI suites: run the built binary, build trees with `kcert fixture`, read
//! JSON and YAML outputs back.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub const EXIT_OK: i32 = 0;
pub const EXIT_ATTENTION: i32 = 1;
pub const EXIT_ERROR: i32 = 2;
pub const EXIT_USAGE: i32 = 64;

/// Runs the binary cargo built for these tests.
pub fn kcert(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kcert"))
        .args(args)
        .output()
        .expect("kcert runs")
}

pub fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "kcert {}: {:?}\nstdout: {}\nstderr: {}",
        args.join(" "),
        out.status,
        stdout(out),
        stderr(out)
    )
}

/// Runs `kcert args` and checks its exit status.
pub fn expect(args: &[&str], status: i32) -> Output {
    let out = kcert(args);
    assert_eq!(code(&out), Some(status), "{}", describe(args, &out));
    assert!(
        !stderr(&out).contains("panicked"),
        "{}",
        describe(args, &out)
    );
    out
}

/// A tree built by `kcert fixture LAYOUT` under `dir`, with extra fixture flags.
pub fn fixture(dir: &Path, layout: &str, flags: &[&str]) -> PathBuf {
    let root = dir.join(layout);
    let root_arg = root.to_str().expect("utf-8");
    let mut args = vec!["fixture", layout, root_arg, "--reuse-keys"];
    args.extend_from_slice(flags);
    expect(&args, EXIT_OK);
    root
}

pub fn json(out: &Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

/// A YAML document as the JSON value it stands for (for comparing `-o yaml` with `-o json`).
pub fn yaml(text: &str) -> Value {
    let docs = <saphyr::Yaml as saphyr::LoadableYamlNode>::load_from_str(text)
        .unwrap_or_else(|e| panic!("not YAML ({e}): {text}"));
    assert_eq!(docs.len(), 1, "{text}");
    to_json(&docs[0])
}

pub fn to_json(node: &saphyr::Yaml) -> Value {
    if let Some(map) = node.as_mapping() {
        return Value::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().expect("string keys").to_string(), to_json(v)))
                .collect(),
        );
    }
    if let Some(seq) = node.as_sequence() {
        return Value::Array(seq.iter().map(to_json).collect());
    }
    if node.is_null() {
        return Value::Null;
    }
    if let Some(b) = node.as_bool() {
        return Value::Bool(b);
    }
    if let Some(i) = node.as_integer() {
        return Value::from(i);
    }
    Value::String(node.as_str().expect("a scalar").to_string())
}

pub fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
