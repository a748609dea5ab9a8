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
/// reports the syntax error with its position.
pub(super) fn excess(text: &str) -> Option<String> {
    // Each open collection's anchor and node count so far.
    let mut open: Vec<(usize, u64)> = Vec::new();
    let mut anchored: HashMap<usize, u64> = HashMap::new();
    let mut total: u64 = 0;
    for event in Parser::new_from_str(text) {
        let Ok((event, _)) = event else {
            return None;
        };
        let (anchor, nodes) = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if open.len() >= MAX_DEPTH {
                    return Some(format!("nests collections deeper than {MAX_DEPTH} levels"));
                }
                open.push((anchor, 1));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some(closed) => closed,
                None => continue,
            },
            Event::Scalar(_, _, anchor, _) => (anchor, 1),
            Event::Alias(id) => (0, anchored.get(&id).copied().unwrap_or(1)),
            _ => continue,
        };
        if anchor != 0 {
            anchored.insert(anchor, nodes);
        }
        let count = open.last_mut().map_or(&mut total, |(_, n)| n);
        *count = count.saturating_add(nodes);
        if *count > MAX_NODES {
            return Some(format!(
                "expands to more than {MAX_NODES} nodes through aliases"
            ));
        }
    }
    None
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
        // Aliases hidden in mapping keys count in full.
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
            excess(&keys).is_some_and(|why| why.contains("aliases")),
            "{keys}"
        );
    }

    #[test]
    fn ordinary_yaml_passes() {
        let text = "users:\n- name: u\n  user: &u {client-key-data: QUJD}\nx: [*u, *u]\n";
        assert_eq!(excess(text), None);
        assert_eq!(
            excess(&format!("{}x{}", "[".repeat(100), "]".repeat(100))),
            None
        );
        assert_eq!(excess("not: [valid"), None);
    }
}
