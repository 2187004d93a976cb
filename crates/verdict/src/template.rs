//! `{name}` placeholders in a rule's summary and remedy texts, filled from the
//! variables its predicates set (checked when the policy is loaded).

use std::collections::BTreeMap;

/// The placeholder names in `t`, with their byte offsets.
pub(crate) fn placeholders(t: &str) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    let mut rest = t;
    let mut base = 0;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    out.push((name, base + open));
                }
                base += open + close + 2;
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// Fills the placeholders; one without a value is left as written.
pub(crate) fn render(t: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                match vars.get(&after[..close]) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_and_keeps_unknown() {
        let vars = [("ports".to_owned(), "0xcf9".to_owned())].into();
        assert_eq!(render("a {ports} b {nope} {", &vars), "a 0xcf9 b {nope} {");
        assert_eq!(
            placeholders("x {ports} {Not} {a_b}"),
            vec![("ports", 2), ("a_b", 16)]
        );
    }
}
