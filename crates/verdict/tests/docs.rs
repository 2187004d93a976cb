//! docs/policy.md documents every built-in rule and every predicate the
//! catalog uses, so the documentation cannot silently fall behind the data.

use dom0scope_verdict::Policy;

#[test]
fn policy_doc_lists_every_rule_and_predicate() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/policy.md"),
    )
    .unwrap();
    let p = Policy::builtin();
    for r in &p.rules {
        assert!(
            doc.contains(&format!("`{}`", r.id)),
            "{} missing from docs/policy.md",
            r.id
        );
        for pred in &r.predicates {
            assert!(
                doc.contains(&format!("| `{pred}` |")),
                "predicate {pred} undocumented"
            );
        }
    }
    assert!(
        doc.contains(&format!("{} rules.", p.rules.len())),
        "rule count in docs/policy.md"
    );
}
