//! Rendering the bundled example's HTML report (target: under 20 ms, under 1 MB).
//! Run: `cargo bench -p dom0scope-html`.

use std::path::Path;

use divan::{Bencher, black_box};
use dom0scope_engine::Analysis;
use dom0scope_report::{Audit, SnapshotInfo};
use dom0scope_snapshot::Snapshot;
use dom0scope_verdict::{Date, Policy, Severity};

fn main() {
    divan::main();
}

/// The bundled example's HTML, from its analysed parts (reading and analysing excluded).
#[divan::bench]
fn render_bundled_example(bencher: Bencher) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/bundled/x417-pv-q35-vtd-bios.tar.gz");
    let snap = Snapshot::open(&path).expect("bundled example");
    let parts = Analysis::of(&snap, Policy::builtin(), Date::today())
        .expect("facts")
        .into_parts();
    let info = SnapshotInfo {
        label: snap.origin.label(),
        bare_log: false,
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
    eprintln!("bundled example: {} bytes of HTML", html.len());
    assert!(html.len() < 1_000_000);
    bencher.bench(|| dom0scope_html::render_audit(black_box(&audit), black_box(&parts.inventory)));
}
