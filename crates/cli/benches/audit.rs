//! How long an audit takes, stage by stage, on real data and on a synthetic
//! large host. The goal (DESIGN.md): everything after reading the bytes costs
//! less than reading them. Run: `cargo bench -p dom0scope --bench audit`.

use std::path::{Path, PathBuf};

use divan::{Bencher, black_box};
use dom0scope_engine::Analysis;
use dom0scope_inventory::Inventory;
use dom0scope_snapshot::{Origin, Snapshot};
use dom0scope_verdict::{Date, Policy};

fn main() {
    divan::main();
}

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// A large server's log: 4,000 fragmented E820 entries and a dom0 rangeset of
/// 20,000 ranges, the boot log twice.
fn synthetic_large_log() -> Vec<u8> {
    let mut boot = String::from(
        "(XEN) Xen version 4.20.5-pre (Debian 4.20.4+63) (a@b) (gcc) debug=n Tue\n\
         (XEN) Command line: dom0_mem=8G iommu=on\n\
         (XEN) *** Building a PV Dom0 ***\n\
         (XEN) Xen-e820 RAM map:\n",
    );
    for i in 0..4000u64 {
        let start = i << 30;
        boot.push_str(&format!(
            "(XEN)  [{:016x}, {:016x}] (usable)\n(XEN)  [{:016x}, {:016x}] (reserved)\n",
            start,
            start + (1 << 29) - 1,
            start + (1 << 29),
            start + (1 << 30) - 1
        ));
    }
    let mut log = boot.clone();
    log.push_str(&boot);
    log.push_str("(XEN) Rangesets belonging to domain 0:\n(XEN)     Interrupts { 1-4000 }\n(XEN)     I/O Memory {");
    for i in 0..20_000u64 {
        log.push_str(&format!(" {:x}-{:x},", i * 0x100, i * 0x100 + 0x7f));
    }
    log.pop();
    log.push_str(" }\n(XEN)     I/O Ports  { 0-1f, 22-3f, 44-60, 62-9f, a2-3f7, 400-607, 60c-cfb, d00-ffff }\n");
    log.into_bytes()
}

/// The whole pipeline as `audit` runs it (hypercall surface included).
fn audit(snapshot: &Snapshot) -> Analysis {
    Analysis::of(snapshot, Policy::builtin(), Date::today()).expect("facts")
}

/// Reading a real collected snapshot directory from disk (hash checks included).
#[divan::bench]
fn read_real_snapshot_dir() -> Snapshot {
    Snapshot::open(&testdata("snapshots/x417-pv-q35-vtd-bios")).expect("snapshot")
}

/// Everything after reading, on the same real snapshot.
#[divan::bench]
fn audit_real_snapshot(b: Bencher) {
    let s = Snapshot::open(&testdata("snapshots/x417-pv-q35-vtd-bios")).expect("snapshot");
    b.bench(|| audit(black_box(&s)));
}

/// Parsing the real 1,807-line UEFI serial capture (boot log twice, two 'q' dumps).
#[divan::bench]
fn parse_real_uefi_log(b: Bencher) {
    let bytes = std::fs::read(testdata("logs/qemu-xen-4.17/uefi-pv-q35-qemu64.log")).expect("log");
    b.bench(|| dom0scope_facts::xenlog::parse("log", black_box(&bytes)));
}

/// The whole pipeline on the synthetic large host.
#[divan::bench]
fn audit_synthetic_large_log(b: Bencher) {
    let s = Snapshot::from_log(
        Origin::Bundled {
            name: "synthetic".into(),
        },
        "synthetic.log",
        synthetic_large_log(),
    );
    b.bench(|| audit(black_box(&s)));
}

/// Parsing alone on the synthetic large host (the rest of the pipeline is the difference).
#[divan::bench]
fn parse_synthetic_large_log(b: Bencher) {
    let bytes = synthetic_large_log();
    b.bench(|| dom0scope_facts::xenlog::parse("log", black_box(&bytes)));
}

/// The inventory stage alone (frame map, port map, device names) on the real
/// snapshot's parsed facts.
#[divan::bench]
fn inventory_real_snapshot(b: Bencher) {
    let s = Snapshot::open(&testdata("snapshots/x417-pv-q35-vtd-bios")).expect("snapshot");
    let facts = audit(&s).facts().clone();
    b.bench(|| Inventory::build(black_box(&facts)));
}

/// The hypercall stage alone on the real snapshot's parsed facts (the old `audit` bench left
/// it out; the engine always runs it, as `dom0scope audit` does).
#[divan::bench]
fn hypercalls_real_snapshot(b: Bencher) {
    let s = Snapshot::open(&testdata("snapshots/x417-pv-q35-vtd-bios")).expect("snapshot");
    let facts = audit(&s).facts().clone();
    b.bench(|| dom0scope_hypercalls::surface(black_box(&facts)));
}

/// A log holding 20,000 debug-key 'q' dumps (hostile input: each header used to scan every
/// earlier dump, so parsing was quadratic in their number).
#[divan::bench]
fn parse_20k_q_dumps(b: Bencher) {
    let mut log = String::from("(XEN) Xen version 4.17.7 (x@y) (gcc) debug=n\n");
    for _ in 0..20_000 {
        log.push_str(
            "(XEN) Rangesets belonging to domain 0:\n(XEN)     I/O Memory { 0-fedff }\n(XEN)     I/O Ports  { 0-1f }\n",
        );
    }
    let bytes = log.into_bytes();
    b.bench(|| dom0scope_facts::xenlog::parse("log", black_box(&bytes)));
}
