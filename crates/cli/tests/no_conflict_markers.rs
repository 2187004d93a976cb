//! No merge-conflict markers in anything the repository ships or documents (one reached
//! docs/policy.md, and from there the Debian package, unnoticed).

use std::path::Path;

fn walk(dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if p.is_dir() {
            // Build output, third-party test data and the harness's caches are not ours.
            if !matches!(
                name.as_ref(),
                "target" | ".git" | "work" | "out" | "corpus" | "testdata" | "fuzz"
            ) {
                walk(&p, found);
            }
            continue;
        }
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        if !matches!(
            ext,
            "rs" | "md" | "toml" | "sh" | "json" | "css" | "1" | "txt"
        ) && !name.starts_with("run")
        {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if line.starts_with("<<<<<<< ") || line.starts_with(">>>>>>> ") {
                found.push(format!("{}:{}", p.display(), i + 1));
            }
        }
    }
}

#[test]
fn no_file_holds_a_merge_conflict_marker() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut found = Vec::new();
    walk(&root, &mut found);
    assert!(found.is_empty(), "conflict markers at {found:?}");
}
