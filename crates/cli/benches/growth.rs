//! Growth with input size (issue 14): the whole audit on inputs of 1×, 4× and 16× size for
//! each input kind an attacker in dom0 controls, a Xen log, ACPI tables and a policy file.
//! Linear parsers take 4× and 16× the 1× time (plus the audit's constant). Peak RSS, which
//! divan cannot see, is measured by `scripts/measure-growth.sh`; both are recorded in
//! docs/performance.md. Run: `cargo bench -p dom0scope --bench growth`.

#[path = "support/growth_inputs.rs"]
mod inputs;

use std::path::Path;

use divan::{Bencher, black_box};
use dom0scope_engine::Analysis;
use dom0scope_snapshot::{Artifact, Integrity, Origin, Snapshot};
use dom0scope_verdict::{Date, Policy};

fn main() {
    divan::main();
}

const SCALES: [usize; 3] = [1, 4, 16];

fn today() -> Date {
    "2026-11-26".parse().expect("date")
}

/// The real collected snapshot every ACPI and policy case starts from.
fn base() -> Snapshot {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/snapshots/x417-pv-q35-vtd-bios");
    Snapshot::open(&dir).expect("snapshot")
}

/// A bare log of `scale` × 4 MiB: parsing, inventory, reach, verdict.
#[divan::bench(args = SCALES, sample_count = 5, sample_size = 1)]
fn log(b: Bencher, scale: usize) {
    let s = Snapshot::from_log(
        Origin::Bundled {
            name: "growth".into(),
        },
        "growth.log",
        inputs::xen_log(scale),
    );
    b.bench(|| Analysis::of(black_box(&s), Policy::builtin(), today()).expect("facts"));
}

/// The real snapshot plus `scale` × 2 SSDTs of 4 MiB packed with OperationRegions.
#[divan::bench(args = SCALES, sample_count = 5, sample_size = 1)]
fn acpi(b: Bencher, scale: usize) {
    let mut s = base();
    for i in 0..inputs::SSDTS_1X * scale {
        let path = format!("acpi/SSDT{}", i + 1);
        let bytes = inputs::ssdt(inputs::SSDT_BYTES, u32::try_from(i).expect("few tables"));
        let integrity = Integrity::Unchecked;
        s.artifacts.insert(
            path.clone(),
            Artifact {
                path,
                bytes,
                integrity,
            },
        );
    }
    b.bench(|| Analysis::of(black_box(&s), Policy::builtin(), today()).expect("facts"));
}

/// A policy of `scale` × 2,500 rules (each with a severity override and a waiver), loaded
/// and applied to the real snapshot.
#[divan::bench(args = SCALES, sample_count = 5, sample_size = 1)]
fn policy_rules(b: Bencher, scale: usize) {
    let s = base();
    let text = inputs::policy_rules(inputs::RULES_1X * scale);
    b.bench(|| {
        let mut p = Policy::builtin();
        p.load("growth.toml", black_box(&text)).expect("loads");
        Analysis::of(&s, p, today()).expect("facts")
    });
}

/// A policy of `scale` × 3,125 errors (16×: the 50,000), rejected with its
/// diagnostics rendered.
#[divan::bench(args = SCALES, sample_count = 5, sample_size = 1)]
fn policy_errors(b: Bencher, scale: usize) {
    let text = inputs::policy_errors(inputs::ERRORS_1X * scale);
    b.bench(|| {
        Policy::builtin()
            .load("growth.toml", black_box(&text))
            .expect_err("errors")
    });
}
