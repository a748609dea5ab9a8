//! Bounds on what loading a kubeconfig's YAML may cost, checked on the parser's events before
//! saphyr builds the tree. saphyr clones an anchor's subtree for every alias (its own budget
//! counts a mapping key as one node, whatever the key holds) and builds and drops nested
//! collections recursively, so an alias bomb or a few kilobytes of `- - - -` would exhaust the
//! memory or overflow the stack. Real kubeconfigs nest about six deep and seldom use anchors.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser};

/// The deepest nesting of collections accepted.
const MAX_DEPTH: usize = 128;

/// The most nodes a kubeconfig may hold once every alias is expanded.
const MAX_NODES: u64 = 1_000_000;

/// Why `text` is too costly to load, if it is. Text that is not YAML passes: the loader then
/// reports the syntax error with its position (what comes before the error is within bounds).
pub(super) fn excess(text: &str) -> Option<String> {
    let mut open: Vec<Open> = Vec::new();
    let mut anchored: HashMap<usize, u64> = HashMap::new();
    let mut total: u64 = 0;
    for event in Parser::new_from_str(text) {
        let Ok((event, _)) = event else {
            return None;
        };
        let at_key = open.last().is_some_and(Open::expects_key);
        let (anchor, nodes) = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if at_key {
                    return Some(COLLECTION_KEY.to_string());
                }
                if open.len() >= MAX_DEPTH {
                    return Some(format!("nests collections deeper than {MAX_DEPTH} levels"));
                }
                let mapping = matches!(event, Event::MappingStart(..));
                open.push(Open {
                    anchor,
                    nodes: 1,
                    mapping,
                    children: 0,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some(closed) => (closed.anchor, closed.nodes),
                None => continue,
            },
            Event::Scalar(_, _, anchor, _) => (anchor, 1),
            Event::Alias(id) => {
                let nodes = anchored.get(&id).copied().unwrap_or(1);
                if at_key && nodes > 1 {
                    return Some(COLLECTION_KEY.to_string());
                }
                (0, nodes)
            }
            _ => continue,
        };
        if anchor != 0 {
            anchored.insert(anchor, nodes);
        }
        let count = match open.last_mut() {
            Some(parent) => {
                parent.children += 1;
                &mut parent.nodes
            }
            None => &mut total,
        };
        *count = count.saturating_add(nodes);
        if *count > MAX_NODES {
            return Some(format!(
                "expands to more than {MAX_NODES} nodes through aliases"
            ));
        }
    }
    None
}

/// Why a collection used as a mapping key is refused. A kubeconfig's keys are plain names, and
/// saphyr hashes every key it inserts, whole: a key holding an aliased collection costs as much
/// as the collection expanded, once per copy (found by the kubeconfig fuzz target: a bomb of
/// such keys cut short by a syntax error took seconds to load within the node budget).
const COLLECTION_KEY: &str = "uses a collection as a mapping key (a kubeconfig's keys are names)";

/// A collection being read: its anchor, its nodes so far, and whether its next child is a key.
struct Open {
    anchor: usize,
    nodes: u64,
    mapping: bool,
    children: u64,
}

impl Open {
    /// A mapping's children alternate key, value.
    fn expects_key(&self) -> bool {
        self.mapping && self.children.is_multiple_of(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_and_alias_bombs_are_refused() {
        let compact = format!("{}x\n", "- ".repeat(50_000));
        assert!(excess(&compact).is_some_and(|why| why.contains("deeper")));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            bomb.push_str(&format!(
                "k{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                p = if i == 1 {
                    String::new()
                } else {
                    (i - 1).to_string()
                }
            ));
        }
        assert!(
            excess(&bomb).is_some_and(|why| why.contains("aliases")),
            "{bomb}"
        );
        // Collections as mapping keys are refused outright, however small.
        let mut keys = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = if i == 1 {
                "a".to_string()
            } else {
                format!("s{}", i - 1)
            };
            keys.push_str(&format!(
                "m{i}: &m{i} {{? [*{p}, 1]: 1, ? [*{p}, 2]: 2, ? [*{p}, 3]: 3}}\ns{i}: &s{i} [*m{i}, *m{i}, *m{i}]\n"
            ));
        }
        assert!(
            excess(&keys).is_some_and(|why| why.contains("mapping key")),
            "{keys}"
        );
        assert_eq!(excess("? [a, b]\n: c\n"), Some(COLLECTION_KEY.to_string()));
        assert_eq!(excess("? {a: b}\n: c\n"), Some(COLLECTION_KEY.to_string()));
        assert_eq!(
            excess("l: &l [a]\nm: {*l : x}\n"),
            Some(COLLECTION_KEY.to_string())
        );
        // A cut-short bomb: refused before the syntax error, not loaded up to it.
        // (fuzz/corpus/kubeconfig/regression_collection_keys_cut_short.yaml is the fuzzer's own.)
        let cut = format!("{keys}users: ]]: [\n");
        assert_eq!(excess(&cut), Some(COLLECTION_KEY.to_string()));
    }

    #[test]
    fn ordinary_yaml_passes() {
        let text = "users:\n- name: u\n  user: &u {client-key-data: QUJD}\nx: [*u, *u]\n";
        assert_eq!(excess(text), None);
        // An aliased scalar as a key, and collections as values of every shape.
        let text = "k: &k name\nm: {*k : [1, {a: [b]}], other: {x: y}}\n";
        assert_eq!(excess(text), None);
        assert_eq!(
            excess(&format!("{}x{}", "[".repeat(100), "]".repeat(100))),
            None
        );
        assert_eq!(excess("not: [valid"), None);
    }
}
