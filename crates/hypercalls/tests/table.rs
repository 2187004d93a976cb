//! The table is sound: it parses, has no duplicate operation, every row cites
//! the Xen source it was read from at each version it claims, and it covers
//! every XENPF_* command (and XEN_EFI_* sub-op) those versions define.

use std::collections::{BTreeMap, BTreeSet};

use dom0scope_hypercalls::table::Table;

/// `TAG NAME NUMBER` lines from Xen's public/platform.h (see the fixture's header).
const XENPF: &str = include_str!("fixtures/xenpf-numbers.txt");

fn fixture() -> BTreeMap<String, BTreeSet<(String, u32)>> {
    let mut by_tag: BTreeMap<String, BTreeSet<(String, u32)>> = BTreeMap::new();
    for line in XENPF
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 3, "fixture line {line:?}");
        by_tag
            .entry(f[0].to_owned())
            .or_default()
            .insert((f[1].to_owned(), f[2].parse().unwrap()));
    }
    by_tag
}

#[test]
fn the_table_parses_and_validates() {
    let t = Table::builtin();
    let errs = t.validate();
    assert!(errs.is_empty(), "table errors:\n{}", errs.join("\n"));
    assert!(t.ops.len() >= 60, "{} rows", t.ops.len());
}

#[test]
fn every_xenpf_command_and_efi_sub_op_of_each_checked_version_is_covered() {
    let t = Table::builtin();
    let fx = fixture();
    for c in &t.checked {
        let want = fx
            .get(&c.tag)
            .unwrap_or_else(|| panic!("fixture lacks {}", c.tag));
        // What the table claims for this version.
        let mut have = BTreeSet::new();
        for op in t
            .ops
            .iter()
            .filter(|o| o.hypercall == "platform_op" && o.versions.contains(&c.version))
        {
            have.insert((op.cmd.clone(), op.number));
            if let (Some(s), Some(n)) = (&op.sub, op.sub_number) {
                have.insert((s.clone(), n));
            }
        }
        let missing: Vec<_> = want.difference(&have).collect();
        let extra: Vec<_> = have.difference(want).collect();
        assert!(
            missing.is_empty(),
            "{}: not in the table: {missing:?}",
            c.tag
        );
        assert!(extra.is_empty(), "{}: not defined by Xen: {extra:?}", c.tag);
    }
}

#[test]
fn rows_are_self_consistent() {
    let t = Table::builtin();
    for op in &t.ops {
        assert!(
            op.id.starts_with(&format!("{}.", op.hypercall)),
            "{}",
            op.id
        );
        for s in &op.source {
            let (tag, path, _) = s.parts().unwrap();
            assert!(path.starts_with("xen/"), "{}: {}", op.id, s.at);
            assert!(t.checked.iter().any(|c| c.tag == tag));
        }
        // A row that needs an EFI boot is removed by efi=no-rs, and only such rows.
        let efi = op.needs.contains(&dom0scope_hypercalls::Need::EfiBoot);
        assert_eq!(efi, op.cmdline == "efi=no-rs", "{}", op.id);
        assert!(
            op.class.is_none() || op.community.is_some(),
            "{}: class without citation",
            op.id
        );
    }
}

#[test]
fn validation_catches_a_duplicate_and_a_missing_source() {
    let t = Table::builtin();
    let mut bad = t.clone();
    bad.ops.push(bad.ops[0].clone());
    bad.ops[1].source.truncate(1);
    let errs = bad.validate();
    assert!(errs.iter().any(|e| e.contains("duplicate id")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("no source at")), "{errs:?}");
}

/// With `DOM0SCOPE_XEN_GIT` pointing at a clone of xen.git, checks that every
/// cited line still holds the cited text (skipped otherwise: the tests run offline).
#[test]
fn sources_match_xen_tree_when_available() {
    let Some(dir) = std::env::var_os("DOM0SCOPE_XEN_GIT") else {
        eprintln!("DOM0SCOPE_XEN_GIT unset: not checking citations against xen.git");
        return;
    };
    let mut cache: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut bad = Vec::new();
    for op in &Table::builtin().ops {
        for s in &op.source {
            let (tag, path, line) = s.parts().unwrap();
            let lines = cache
                .entry((tag.to_owned(), path.to_owned()))
                .or_insert_with(|| {
                    let out = std::process::Command::new("git")
                        .arg("-C")
                        .arg(&dir)
                        .arg("show")
                        .arg(format!("{tag}:{path}"))
                        .output()
                        .expect("git runs");
                    String::from_utf8_lossy(&out.stdout)
                        .lines()
                        .map(str::to_owned)
                        .collect()
                });
            let ok = lines
                .get(line as usize - 1)
                .is_some_and(|l| l.contains(&s.text));
            if !ok {
                bad.push(format!("{}: {} does not hold {:?}", op.id, s.at, s.text));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
