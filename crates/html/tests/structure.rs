//! The HTML report's structure without a browser, on the bundled example and real
//! snapshots: the pictures, the trampoline segment, every finding's anchor, nothing
//! fetched, and hostile snapshot text escaped. (`scripts/html-check.sh` renders it in
//! Chromium.)

use std::path::{Path, PathBuf};

use dom0scope_engine::Analysis;
use dom0scope_report::{Audit, SnapshotInfo};
use dom0scope_snapshot::Snapshot;
use dom0scope_verdict::{Date, Policy, Severity};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The audit and its HTML, as `audit --format html` builds them.
fn render(path: &Path) -> (Audit, String) {
    let snap = Snapshot::open(path).unwrap();
    let parts = Analysis::of(&snap, Policy::builtin(), Date::new(2026, 11, 26).unwrap())
        .unwrap()
        .into_parts();
    let info = SnapshotInfo {
        label: snap.origin.label(),
        bare_log: snap.is_bare_log(),
        problems: vec![],
    };
    let audit = Audit::new(
        info,
        &parts.facts,
        &parts.inventory,
        parts.surface,
        parts.verdict,
        Severity::High,
    );
    let html = dom0scope_html::render_audit(&audit, &parts.inventory);
    (audit, html)
}

/// Every `href`/`src` in the document points inside it.
fn links_stay_inside(html: &str) {
    for attr in ["href=\"", "src=\"", "url("] {
        for (i, _) in html.match_indices(attr) {
            let v = &html[i + attr.len()..];
            assert!(
                v.starts_with('#'),
                "{attr} outside the document: {}",
                &v[..v.len().min(60)]
            );
        }
    }
    assert!(html.contains(dom0scope_html::CSP));
    assert!(!html.contains("<script"), "no script in the report");
}

#[test]
fn bundled_example_has_both_pictures_the_trampoline_and_every_finding() {
    let (audit, html) = render(&root().join("crates/cli/bundled/x417-pv-q35-vtd-bios.tar.gz"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg id=\"memory-picture\""));
    assert!(html.contains("<svg id=\"ports-picture\""));
    // The trampoline is its own segment, linked to its finding.
    let t = html
        .find("data-owner=\"xen_trampoline\"")
        .expect("trampoline segment");
    let seg = &html[html[..t].rfind("<rect").unwrap()..t + 300];
    assert!(
        seg.contains("data-finding=\"DOM0_LOWMEM_TRAMPOLINE\""),
        "{seg}"
    );
    assert!(seg.contains("sev-critical"), "{seg}");
    assert!(
        html[..t].ends_with(
            &html[html[..t]
                .rfind("<a href=\"#finding-DOM0_LOWMEM_TRAMPOLINE\">")
                .unwrap()..t]
        )
    );
    // The port picture links each port finding's own port ranges (Finding::ports): the
    // platform-control ports and the PM1 control block (S3) on the bundled example.
    for f in audit
        .verdict
        .findings
        .iter()
        .filter(|f| !f.ports.is_empty())
    {
        let port = html.find("<svg id=\"ports-picture\"").unwrap();
        let svg = &html[port..port + html[port..].find("</svg>").unwrap()];
        assert!(
            svg.contains(&format!("data-finding=\"{}\"", f.id)),
            "{} names ports {:?} but no port segment links it",
            f.id,
            f.ports
        );
    }
    assert!(
        audit
            .verdict
            .findings
            .iter()
            .any(|f| f.id == "DOM0_S3_WAKING_VECTOR" && !f.ports.is_empty())
    );
    let v = &audit.verdict;
    assert!(!v.findings.is_empty());
    for f in &v.findings {
        assert!(
            html.contains(&format!("id=\"finding-{}\"", f.id)),
            "{}",
            f.id
        );
    }
    for id in &v.passed {
        assert!(html.contains(&format!("id=\"rule-{id}\"")), "{id}");
    }
    for n in &v.not_evaluated {
        assert!(html.contains(&format!("id=\"rule-{}\"", n.id)), "{}", n.id);
    }
    // Every link from a segment lands on a finding that exists.
    for (i, _) in html.match_indices("href=\"#finding-") {
        let id = &html[i + 15..];
        let id = &id[..id.find('"').unwrap()];
        assert!(
            html.contains(&format!("id=\"finding-{id}\"")),
            "dangling link {id}"
        );
    }
    links_stay_inside(&html);
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
}

#[test]
fn every_real_snapshot_renders_with_one_segment_per_region() {
    for rel in [
        "testdata/snapshots/x417-pv-q35-uefi",
        "testdata/snapshots/x420-pvh-q35-vtd-bios",
        "testdata/snapshots/x420-pvh-q35-amdvi-bios",
        "testdata/logs/qemu-xen-4.20/pv-q35-qemu64.log",
    ] {
        let snap = Snapshot::open(&root().join(rel)).unwrap();
        let inv = Analysis::of(&snap, Policy::builtin(), Date::new(2026, 11, 26).unwrap())
            .unwrap()
            .inventory()
            .clone();
        let (_, html) = render(&root().join(rel));
        let segs = html.matches("class=\"seg c-").count();
        // Legend swatches are `seg a-…`, so only the pictures' segments count here.
        assert_eq!(segs, inv.regions.len() + inv.ports.len(), "{rel}");
        links_stay_inside(&html);
    }
}

#[test]
fn hostile_snapshot_text_is_escaped() {
    let dir = tempfile_dir();
    let log = std::fs::read_to_string(root().join("testdata/logs/qemu-xen-4.20/pv-q35-qemu64.log"))
        .unwrap();
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
    let log = log.replace(
        "(XEN) Command line: ",
        &format!("(XEN) Command line: {hostile} "),
    );
    let path = dir.join("x<script>.log");
    std::fs::write(&path, log).unwrap();
    let (audit, html) = render(&path);
    assert!(audit.host.xen_cmdline.as_deref().unwrap().contains(hostile));
    assert!(!html.contains("<script"), "unescaped script");
    assert!(!html.contains("<img"), "unescaped img");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    links_stay_inside(&html);
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("dom0scope-html-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
