//! `dom0scope audit SNAPSHOT...`: the fleet, on the real snapshots in `testdata/snapshots/`.
//! One row per snapshot (and only snapshots), JSON Lines that validate, the worst host's exit
//! status, a damaged snapshot as an error row, a directory argument, and the host identity
//! every audit document carries.

mod common;

use std::path::{Path, PathBuf};

use common::{dom0scope, testdata};
use serde_json::Value;

fn validator(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/json-schema")
        .join(format!("{name}.json"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::options()
        .build(&schema)
        .expect("a usable schema")
}

/// What the shell makes of `testdata/snapshots/*`: every entry, in name order.
fn glob() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(testdata("snapshots"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// The snapshots among them: directories with a manifest, and the `.tar.gz`s.
fn snapshots() -> Vec<PathBuf> {
    glob()
        .into_iter()
        .filter(|p| p.join("manifest.json").is_file() || p.to_string_lossy().ends_with(".tar.gz"))
        .collect()
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn the_snapshots_glob_prints_one_row_per_snapshot_and_the_worst_exit() {
    let out = dom0scope().arg("audit").args(glob()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let snaps = snapshots();
    assert!(snaps.len() >= 13, "{snaps:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("HOST ") && lines[0].contains("TOP FINDING"),
        "{text}"
    );
    // One row per snapshot, in the order given, then nothing but notes and the summary.
    for (i, s) in snaps.iter().enumerate() {
        let row = lines[1 + i];
        assert!(
            row.starts_with(&name(s)[..name(s).len().min(31)]),
            "row {i}: {row}\n{text}"
        );
        assert!(row.contains("DOM0:"), "{row}");
    }
    let unfolded = text.replace("\n  ", " ");
    let last = unfolded.lines().last().unwrap();
    assert!(
        last.starts_with(&format!("{} hosts: ", snaps.len())),
        "{last}"
    );
    assert!(text.contains("worst: "), "{text}");
    // What is not a snapshot is skipped, named on stderr, not made a row.
    for skipped in [
        "README.md",
        "e417-pv-q35-bios-plan.json",
        "x419-pv-pc-uefi.provenance.txt",
    ] {
        assert!(
            stderr.contains(&format!(
                "skipped {}",
                testdata("snapshots").join(skipped).display()
            )),
            "{stderr}"
        );
        assert!(
            !lines[1..=snaps.len()]
                .iter()
                .any(|l| l.starts_with(skipped))
        );
    }
    // Every line fits the 100 columns of a pipe.
    assert!(lines.iter().all(|l| l.chars().count() <= 100), "{text}");
    // The exit status is the worst host's: each alone, ranked error > fail > incomplete > pass.
    let rank = |c: i32| [0, 2, 3, 1][c as usize];
    let worst = snaps
        .iter()
        .map(|s| {
            dom0scope()
                .arg("audit")
                .arg(s)
                .output()
                .unwrap()
                .status
                .code()
                .unwrap()
        })
        .max_by_key(|c| rank(*c))
        .unwrap();
    assert_eq!(out.status.code(), Some(worst), "{text}");
    assert!(last.ends_with(&format!("exit {worst}")), "{last}");
}

#[test]
fn json_lines_validate_one_audit_per_host_then_the_summary() {
    let snaps = snapshots();
    let out = dom0scope()
        .arg("audit")
        .args(&snaps)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), snaps.len() + 1);
    let fleet = validator("dom0scope-fleet-1");
    let audit = validator("dom0scope-audit-1");
    for (i, doc) in lines.iter().enumerate() {
        let errors: Vec<String> = fleet.iter_errors(doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "line {i}: {errors:#?}");
        if i < snaps.len() {
            assert_eq!(doc["schema"], "dom0scope-audit/1", "line {i}");
            let errors: Vec<String> = audit.iter_errors(doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "line {i}: {errors:#?}");
            // In input order, each carrying its host's identity.
            let label = doc["snapshot"]["label"].as_str().unwrap();
            assert!(label.ends_with(&snaps[i].display().to_string()), "{label}");
            assert_eq!(doc["identity"]["sys_vendor"], "QEMU", "line {i}");
            assert!(doc["identity"]["xen_version"].is_string(), "line {i}");
        }
    }
    let summary = lines.last().unwrap();
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["hosts"], snaps.len());
    assert_eq!(summary["errors"], 0);
    assert_eq!(summary["exit_code"], out.status.code().unwrap());
    let levels: u64 = summary["levels"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(levels, snaps.len() as u64);
    // A line of another kind, or one with a new field, does not validate.
    let mut drifted = summary.clone();
    drifted["unannounced"] = Value::Bool(true);
    assert!(!fleet.is_valid(&drifted));
    assert!(!fleet.is_valid(&serde_json::json!({"schema": "dom0scope-map/1"})));
}

#[test]
fn a_damaged_snapshot_is_an_error_row_and_the_fleet_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = testdata("snapshots/e417-pv-q35-bios-after.tar.gz");
    let bytes = std::fs::read(&good).unwrap();
    let bad = dir.path().join("cut.tar.gz");
    std::fs::write(&bad, &bytes[..bytes.len() / 3]).unwrap();
    std::fs::copy(&good, dir.path().join("good.tar.gz")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a snapshot\n").unwrap();

    // A directory argument: its snapshots, in name order; the note skipped.
    let out = dom0scope().arg("audit").arg(dir.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an input error is the worst: {text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].starts_with("cut.tar.gz") && lines[1].contains("ERROR"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("good.tar.gz") && lines[2].contains("DOM0:"),
        "{text}"
    );
    assert!(
        text.contains(&format!("error {}: ", bad.display())),
        "{text}"
    );
    assert!(text.contains("1 input error"), "{text}");
    assert!(stderr.contains("notes.txt: not a snapshot"), "{stderr}");

    let out = dom0scope()
        .arg("audit")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let fleet = validator("dom0scope-fleet-1");
    assert!(lines.iter().all(|l| fleet.is_valid(l)));
    assert_eq!(lines[0]["kind"], "error");
    assert!(
        lines[0]["error"].as_str().unwrap().contains("cut.tar.gz"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1]["schema"], "dom0scope-audit/1");
    assert_eq!(lines[2]["errors"], 1);
    assert_eq!(lines[2]["worst"]["name"], "cut.tar.gz");
    assert_eq!(
        lines[2]["skipped"][0]["path"],
        dir.path().join("notes.txt").display().to_string()
    );
}

#[test]
fn sarif_and_details_are_refused_for_a_fleet_and_the_table_fits_narrow_terminals() {
    let two = [
        testdata("snapshots/x417-pv-q35-uefi"),
        testdata("logs/qemu-xen-4.20/pv-q35-qemu64.log"),
    ];
    for flags in [&["--format", "sarif"][..], &["--details"]] {
        let out = dom0scope()
            .arg("audit")
            .args(&two)
            .args(flags)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("audit"),
            "{out:?}"
        );
        assert!(out.stdout.is_empty());
    }
    let out = dom0scope()
        .env("COLUMNS", "60")
        .arg("audit")
        .args(&two)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().all(|l| l.chars().count() <= 60), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].starts_with("x417-pv-q35") && lines[1].contains("DOM0:0!"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("pv-q35-qemu") && lines[2].contains("DOM0:0"),
        "{text}"
    );
    assert!(lines[3].starts_with("2 hosts: "), "{text}");
}

#[test]
fn every_audit_document_carries_what_its_snapshot_says_of_the_host_and_no_more() {
    let doc = |input: &str| -> Value {
        let out = dom0scope()
            .arg("audit")
            .arg(testdata(input))
            .args(["--format", "json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let snap = doc("snapshots/x417-pv-q35-msi-bios");
    let id = &snap["identity"];
    assert_eq!(id["sys_vendor"], "QEMU");
    assert_eq!(id["product_name"], "Standard PC (Q35 + ICH9, 2009)");
    assert_eq!(id["collected"], "2026-12-03T02:02:16Z");
    assert_eq!(id["xen_version"], snap["host"]["xen_version"]);
    // QEMU fills no serial and this snapshot predates linux/hostname: absent, not invented.
    assert!(
        id.get("product_serial").is_none() && id.get("hostname").is_none(),
        "{id}"
    );
    let log = doc("logs/qemu-xen-4.20/pv-q35-qemu64.log");
    let keys: Vec<&String> = log["identity"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["xen_version"],
        "a bare log states only Xen's release"
    );
}

#[test]
fn the_html_fleet_page_has_a_row_and_a_section_per_host() {
    let snaps = snapshots();
    let out = dom0scope()
        .arg("audit")
        .args(glob())
        .args(["--format", "html"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Content-Security-Policy"));
    for (i, p) in snaps.iter().enumerate() {
        let link = format!("<a href=\"#host-{i}\">{}</a>", name(p));
        assert!(page.contains(&link), "no row for {}", p.display());
        assert!(page.contains(&format!("id=\"host-{i}\"")), "no section {i}");
    }
    assert!(!page.contains(&format!("id=\"host-{}\"", snaps.len())));
    // The worst finding of each host is in its section, with the rule id.
    assert!(page.contains("data-finding=\"DOM0_LOWMEM_TRAMPOLINE\""));
    // A damaged snapshot keeps its row and says why.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("cut.tar.gz");
    let whole = std::fs::read(testdata("snapshots/e417-pv-q35-bios-after.tar.gz")).unwrap();
    std::fs::write(&bad, &whole[..whole.len() / 2]).unwrap();
    let out = dom0scope()
        .arg("audit")
        .arg(&bad)
        .arg(testdata("snapshots/x417-pv-q35-uefi"))
        .args(["--format", "html"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains("not audited: "), "{page}");
    assert!(page.contains("id=\"host-1\""));
}
