//! The man pages and shell completions the Debian package installs.
//!
//! `crates/cli/man/` is the committed copy of what `dom0scope manpages DIR` generates (the
//! package build regenerates them from the packaged binary): a change to any subcommand's
//! options or manual text must regenerate them, and this test says how
//! (`DOM0SCOPE_UPDATE_MAN=1 cargo test -p dom0scope --test manual_cli`, then review the diff).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn dom0scope() -> Command {
    let mut c = Command::cargo_bin("dom0scope").expect("binary");
    c.env("NO_COLOR", "1");
    c
}

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("man")
}

fn pages(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".1"))
        .collect()
}

/// The visible subcommands, as `dom0scope --help` lists them.
fn subcommands() -> Vec<String> {
    let out = dom0scope().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let list = help.split("Commands:").nth(1).expect("a Commands: section");
    let list = list.split("\n\n").next().unwrap();
    // A subcommand's line is indented by two spaces; wrapped help text by more.
    list.lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| *w != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn committed_man_pages_equal_the_generated_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = dom0scope()
        .arg("manpages")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = pages(tmp.path());
    if std::env::var_os("DOM0SCOPE_UPDATE_MAN").is_some() {
        let dir = committed();
        std::fs::create_dir_all(&dir).unwrap();
        for old in pages(&dir) {
            std::fs::remove_file(dir.join(old)).unwrap();
        }
        for p in &generated {
            std::fs::copy(tmp.path().join(p), dir.join(p)).unwrap();
        }
    }
    let regen = "regenerate: DOM0SCOPE_UPDATE_MAN=1 cargo test -p dom0scope --test manual_cli";
    assert_eq!(
        pages(&committed()),
        generated,
        "the set of pages changed; {regen}"
    );
    for p in &generated {
        let want = std::fs::read(tmp.path().join(p)).unwrap();
        let have = std::fs::read(committed().join(p)).unwrap();
        assert!(have == want, "crates/cli/man/{p} is stale; {regen}");
    }
}

#[test]
fn one_page_per_subcommand_with_exit_status_files_and_examples() {
    let subs = subcommands();
    assert!(subs.len() >= 12, "only {subs:?}");
    assert!(subs.iter().any(|s| s == "completions"));
    assert!(!subs.iter().any(|s| s == "manpages"), "manpages is hidden");
    let mut want: BTreeSet<String> = subs.iter().map(|s| format!("dom0scope-{s}.1")).collect();
    want.insert("dom0scope.1".into());
    assert_eq!(pages(&committed()), want);
    for p in &want {
        let text = std::fs::read_to_string(committed().join(p)).unwrap();
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH \"EXIT STATUS\"",
            ".SH FILES",
            ".SH EXAMPLES",
        ] {
            assert!(text.contains(section), "{p} lacks {section}");
        }
        // Every page states the exit status 0 and names itself in its title.
        let name = p.trim_end_matches(".1");
        assert!(text.contains(&format!(".TH {name} 1 ")), "{p}: title");
        assert!(text.contains("\n.TP\n\\fB0\\fR\n"), "{p}: no exit status 0");
    }
    let verify = std::fs::read_to_string(committed().join("dom0scope-verify.1")).unwrap();
    assert!(verify.contains("\\fB3\\fR") && verify.contains("STILL GRANTED"));
    let top = std::fs::read_to_string(committed().join("dom0scope.1")).unwrap();
    for s in &subs {
        assert!(
            top.contains(&format!("dom0scope\\-{s}(1)")),
            "dom0scope.1 omits {s}"
        );
    }
}

#[test]
fn long_help_carries_the_manual_extras() {
    let out = dom0scope().args(["enforce", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "Exit status:",
        "Files:",
        "Examples:",
        "/dev/kmsg",
        "--dry-run /etc/dom0scope/plan.json",
    ] {
        assert!(help.contains(needle), "enforce --help lacks {needle:?}");
    }
    // -h stays short.
    let out = dom0scope().args(["enforce", "-h"]).output().unwrap();
    assert!(
        !String::from_utf8(out.stdout)
            .unwrap()
            .contains("Exit status:")
    );
}

#[test]
fn completions_for_the_three_shells_name_every_subcommand() {
    let subs = subcommands();
    for (shell, marker) in [
        ("bash", "complete -F _dom0scope"),
        ("zsh", "#compdef dom0scope"),
        ("fish", "complete -c dom0scope"),
    ] {
        let out = dom0scope().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell}: no {marker:?}");
        for s in &subs {
            assert!(text.contains(s.as_str()), "{shell} completion omits {s}");
        }
        assert!(text.contains("fail-on"), "{shell}: no audit flags");
        assert!(
            !text.contains("manpages"),
            "{shell}: offers the hidden manpages"
        );
    }
    let out = dom0scope().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
