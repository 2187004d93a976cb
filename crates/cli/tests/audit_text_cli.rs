//! `audit`'s two text views: the default screenful (the answer first, one line per finding,
//! the other rules by name) and `--details` (everything), checked against the JSON document
//! of the same audit so that nothing the audit knows goes missing from the text.

mod common;

use common::{dom0scope, testdata};

use predicates::prelude::*;
use serde_json::Value;

/// Standard output of `dom0scope ARGS` (exit 1 expected: the snapshots here fail).
fn run(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut c = dom0scope();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    String::from_utf8(c.assert().code(1).get_output().stdout.clone()).unwrap()
}

fn json(args: &[&str]) -> Value {
    let mut all = vec!["audit", "--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&run(&all, &[])).unwrap()
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v["verdict"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x.as_str()
                .unwrap_or_else(|| x["id"].as_str().unwrap())
                .to_owned()
        })
        .collect()
}

/// `text` with every run of whitespace made one space: wrapping and folding only move
/// line breaks.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// The acceptance test of the default view: the bundled example (what `dom0scope audit`
/// prints off a dom0) fits a screen, 40 lines of at most 100 columns, and says its level
/// within the first 10 lines.
#[test]
fn the_bundled_example_fits_a_screen_with_the_level_first() {
    let text = run(&["audit"], &[]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() <= 40, "{} lines:\n{text}", lines.len());
    assert!(widest(&text) <= 100, "{text}");
    let level = lines
        .iter()
        .position(|l| l.contains("Level DOM0:0!"))
        .expect("the level");
    assert!(level < 10, "level on line {}", level + 1);
    // The answer and the counts, as the JSON document has them.
    let v = json(&[]);
    let counts = format!(
        "{} failed, {} passed, {} not evaluated, {} waived",
        ids(&v, "findings").len(),
        ids(&v, "passed").len(),
        ids(&v, "not_evaluated").len(),
        ids(&v, "waived").len()
    );
    assert!(lines[..10].iter().any(|l| l.contains(&counts)), "{counts}");
    assert!(
        lines[..10]
            .iter()
            .any(|l| l.contains("No: dom0 can run code as Xen or beneath it")),
        "{text}"
    );
}

/// Every rule the audit judged is named in the default view: a finding on a line of its
/// own, the others in their collapsed lists.
#[test]
fn the_default_view_names_every_rule() {
    for snap in [
        "snapshots/x417-pv-q35-uefi",
        "snapshots/x420-pvh-q35-vtd-bios",
    ] {
        let path = testdata(snap);
        let path = path.to_str().unwrap();
        let text = run(&["audit", path], &[]);
        let v = json(&[path]);
        for id in ids(&v, "findings") {
            let on = text
                .lines()
                .filter(|l| l.split_whitespace().nth(1) == Some(id.as_str()))
                .count();
            assert_eq!(on, 1, "{snap}: {id}");
        }
        let flat = flat(&text);
        for (key, label) in [("passed", "Passed"), ("not_evaluated", "Not evaluated")] {
            let list = ids(&v, key);
            assert!(
                flat.contains(&format!("{label} ({}): {}", list.len(), list.join(", "))),
                "{snap}: {label}\n{text}"
            );
        }
        assert!(
            !text.contains("evidence:") && !text.contains("fix ("),
            "{text}"
        );
    }
}

/// `--details` keeps everything the full report had: the host, the owner of every range
/// and port, each finding's evidence, fixes, rationale, sources and coverage, each
/// unevaluated rule's needs, the level explained and the result line; and names the rules
/// that passed.
#[test]
fn details_keep_every_section_of_the_full_report() {
    let path = testdata("snapshots/x417-pv-q35-vtd-bios");
    let path = path.to_str().unwrap();
    let text = run(&["audit", "--details", path], &[]);
    let flat = flat(&text);
    for heading in [
        "CPU: ",
        "Xen command line: ",
        "IOMMU: ",
        "dom0's reach, as Xen recorded it",
        "I/O memory: ",
        "what lies there",
        "I/O ports: 65511 of 65536",
        "Interrupts: ",
        "The Xen model predicts exactly these rangesets.",
        "Findings",
        "Can this host's dom0 be left outside the Secure Boot boundary? DOM0:0!",
        "Levels: DOM0:0",
        "Result: 22 finding(s)",
    ] {
        assert!(text.contains(heading), "{heading}");
    }
    let v = json(&[path]);
    for m in v["surface"]["memory"].as_array().unwrap() {
        let hex = |k: &str| u64::from_str_radix(&m[k].as_str().unwrap()[2..], 16).unwrap();
        let row = format!(
            "{}-{} {:#012x}-{:#012x}",
            m["first_frame"].as_str().unwrap(),
            m["last_frame"].as_str().unwrap(),
            hex("start"),
            hex("end")
        );
        assert!(flat.contains(&row), "memory row {row}");
    }
    for f in v["verdict"]["findings"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        assert!(flat.contains(&flat_of(&f["title"])), "{id} title");
        assert!(flat.contains(&flat_of(&f["summary"])), "{id} summary");
        assert!(flat.contains(&flat_of(&f["rationale"])), "{id} why");
        for e in f["evidence"].as_array().unwrap() {
            let line = match e["line"].as_u64().unwrap() {
                0 => format!("{}: {}", e["artifact"], e["text"]),
                n => format!("{}:{n}: {}", e["artifact"], e["text"]),
            }
            .replace('"', "");
            assert!(flat.contains(&self::flat(&line)), "{id} evidence {line}");
        }
        for r in f["remedies"].as_array().unwrap() {
            assert!(flat.contains(&flat_of(&r["text"])), "{id} fix");
        }
        for r in f["references"].as_array().unwrap() {
            assert!(flat.contains(&format!("see: {}", flat_of(r))), "{id} see");
        }
    }
    let passed = ids(&v, "passed");
    let list = format!("Passed ({}): {}", passed.len(), passed.join(", "));
    assert!(flat.contains(&list), "{list}");
    for n in v["verdict"]["not_evaluated"].as_array().unwrap() {
        let line = format!(
            "NOT EVALUATED {} {} — needs {}",
            n["id"].as_str().unwrap(),
            n["title"].as_str().unwrap(),
            n["needs"].as_str().unwrap()
        );
        assert!(flat.contains(&self::flat(&line)), "{line}");
    }
}

fn flat_of(v: &Value) -> String {
    flat(v.as_str().unwrap())
}

/// `--summary` was the short view before it became the default: scripts that pass it get
/// the default view, byte for byte. Neither view applies to JSON or SARIF.
#[test]
fn summary_is_an_alias_of_the_default_view() {
    let path = testdata("snapshots/x417-pv-q35-uefi");
    let path = path.to_str().unwrap();
    assert_eq!(
        run(&["audit", "--summary", path], &[]),
        run(&["audit", path], &[])
    );
    let details = run(&["audit", "--details", path], &[]);
    let short = run(&["audit", path], &[]);
    // The same answer opens both.
    assert_eq!(
        short.lines().take(4).collect::<Vec<_>>(),
        details.lines().take(4).collect::<Vec<_>>()
    );
    assert!(short.len() * 3 < details.len());
    for bad in [
        &["audit", "--summary", "--format", "json"][..],
        &["audit", "--details", "--format", "sarif"],
        &["audit", "--details", "--summary"],
    ] {
        dom0scope()
            .args(bad)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--").and(predicate::str::contains("panicked").not()));
    }
}

/// Both views fit the width `COLUMNS` gives, and wrapping only moves line breaks: the
/// details hold the same words at 80 columns as at 200.
#[test]
fn text_fits_the_columns_it_is_given() {
    let flat_at = |cols: &str| {
        let details = run(&["audit", "--details"], &[("COLUMNS", cols)]);
        let short = run(&["audit"], &[("COLUMNS", cols)]);
        let n: usize = cols.parse().unwrap();
        assert!(widest(&details) <= n, "--details at {cols}");
        assert!(widest(&short) <= n, "default at {cols}:\n{short}");
        flat(&details)
    };
    let wide = flat_at("200");
    assert_eq!(flat_at("80"), wide);
    assert_eq!(flat_at("100"), wide);
    // At 200 columns the long quoted log line of the Xen banner stays whole.
    let details = run(&["audit", "--details"], &[("COLUMNS", "200")]);
    assert!(widest(&details) > 150);
    // Nonsense in COLUMNS is ignored (100); a tiny width is raised to 40.
    let default = run(&["audit", "--details"], &[]);
    assert_eq!(
        run(&["audit", "--details"], &[("COLUMNS", "wide")]),
        default
    );
    assert!(widest(&run(&["audit"], &[("COLUMNS", "5")])) <= 40);
}

/// A report written with `-o FILE` is 100 columns wide whatever the terminal is: the same
/// text as standard output at 100 columns, without colour.
#[test]
fn a_report_file_is_100_columns_wide() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["audit"][..], &["audit", "--details"]] {
        let file = dir.path().join("report.txt");
        dom0scope()
            .args(args)
            .arg("-o")
            .arg(&file)
            .env("COLUMNS", "60")
            .env("CLICOLOR_FORCE", "1")
            .assert()
            .code(1)
            .stdout("");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(widest(&text) <= 100 && widest(&text) > 60, "{args:?}");
        assert_eq!(text, run(args, &[]), "{args:?}");
    }
}
