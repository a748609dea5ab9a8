//! `-o/--output`: one flag, one meaning on every command that prints data. `table` is for a
//! person, `json` and `yaml` for programs (the same document in either syntax), `prometheus`
//! (only where `check` offers it) for a node_exporter text-file collector.

use clap::ValueEnum;
use saphyr::LoadableYamlNode;

/// The formats of commands that print data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for a person.
    #[default]
    Table,
    /// Pretty JSON.
    Json,
    /// The JSON document as YAML.
    Yaml,
}

/// `check`'s formats: the common ones plus Prometheus text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// kubeadm's `certs check-expiration` tables, with a STATUS column.
    #[default]
    Table,
    /// kubeadm's `CertificateExpirationInfo` JSON, with kcertlib's fields added.
    Json,
    /// The JSON document as YAML.
    Yaml,
    /// Text-file collector metrics named as x509-certificate-exporter names them.
    Prometheus,
}

/// Renders a JSON document in `format`: `table` is the caller's text, computed only then.
pub fn render(format: Format, json: &str, table: impl FnOnce() -> String) -> String {
    match format {
        Format::Table => table(),
        Format::Json => with_newline(json.to_string()),
        Format::Yaml => yaml(json),
    }
}

/// A JSON document as YAML, keys in the JSON's order. YAML 1.2 is a superset of JSON, so the
/// YAML library kcertlib already reads kubeconfigs with loads the JSON as it is and emits it
/// in block style: no second serializer, and the two outputs cannot disagree.
pub fn yaml(json: &str) -> String {
    let docs = match saphyr::Yaml::load_from_str(json) {
        Ok(docs) => docs,
        // Our own JSON always loads; should it not, JSON is valid YAML too.
        Err(_) => return with_newline(json.to_string()),
    };
    let mut out = String::new();
    for doc in &docs {
        let mut emitter = saphyr::YamlEmitter::new(&mut out);
        if emitter.dump(doc).is_err() {
            return with_newline(json.to_string());
        }
        out.push('\n');
    }
    out
}

fn with_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_keeps_order_types_and_quotes_ambiguous_strings() {
        let out = yaml(r#"{"b": 1, "a": [true, null, "yes", "0123", "x: y"], "c": {"d": "e"}}"#);
        assert!(
            out.find("b: 1").unwrap_or(usize::MAX) < out.find("a:").unwrap_or(0),
            "{out}"
        );
        let back = saphyr::Yaml::load_from_str(&out).expect("loads");
        let a = &back[0]["a"];
        assert_eq!(a[0].as_bool(), Some(true));
        assert!(a[1].is_null());
        assert_eq!(a[2].as_str(), Some("yes"));
        assert_eq!(a[3].as_str(), Some("0123"));
        assert_eq!(a[4].as_str(), Some("x: y"));
        assert_eq!(back[0]["c"]["d"].as_str(), Some("e"));
    }
}
