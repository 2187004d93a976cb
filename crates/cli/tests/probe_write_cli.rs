//! `dom0scope probe --write-test` end to end on the real logs of the patched Xen 4.22 boots
//! (testdata/logs/qemu-xen-4.22-patched/): the simulated Xen takes dom0's rangesets from the
//! log's `q` dump and the read-only frames from its `[dom0-ro-trampoline]` line. The real
//! write runs in the harness (harness/patched.sh).

mod common;

use std::fs;

use common::{copy_dir, dom0scope, testdata};
use predicates::prelude::*;

const SEABIOS: &str = "logs/qemu-xen-4.22-patched/pv-q35-bios-ro-trampoline.log";
const PVH: &str = "logs/qemu-xen-4.22-patched/pvh-q35-bios-ro-trampoline.log";

fn probe(log: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    dom0scope()
        .arg("probe")
        .arg("--simulate-xen")
        .arg(testdata(log))
        .args(extra)
        .assert()
}

#[test]
fn the_trampoline_drops_the_write_and_vga_memory_takes_it() {
    probe(
        SEABIOS,
        &[
            "--mfn",
            "0x8f-0x90",
            "--write-test",
            "--expect",
            "read-only",
        ],
    )
    .success()
    .stdout(predicate::str::contains(
        "GRANTED     iomem 0x8f-0x90 (frames named on the command line)",
    ))
    .stdout(predicate::str::contains(
        "      write test: write did not reach memory (read-only)\n",
    ))
    .stdout(predicate::str::contains(
        "0x90 +0xfff: write did not reach memory (read-only)",
    ))
    .stdout(predicate::str::contains(
        "expectation met: every probed range readable, write did not reach memory",
    ));
    probe(
        SEABIOS,
        &["--mfn", "0xb8", "--write-test", "--expect", "writable"],
    )
    .success()
    .stdout(predicate::str::contains(
        "0xb8 +0xfff: write reached memory — stored 0xff without a fault and read back 0xff; \
         the writer put 0x00 back",
    ));
    // Each the wrong way round fails; a frame dom0 does not hold is "map refused".
    probe(
        SEABIOS,
        &["--mfn", "0xb8", "--write-test", "--expect", "read-only"],
    )
    .code(1)
    .stdout(predicate::str::contains("EXPECTATION FAILED"));
    probe(
        SEABIOS,
        &["--mfn", "0x8f", "--write-test", "--expect", "writable"],
    )
    .code(1);
    probe(
        SEABIOS,
        &["--mfn", "0xfee00", "--write-test", "--write-offset", "0"],
    )
    .success()
    .stdout(predicate::str::contains("0xfee00 +0x0: map refused"));
}

#[test]
fn json_carries_each_frames_bytes() {
    let out = probe(
        SEABIOS,
        &[
            "--mfn",
            "0x8f",
            "--mfn",
            "0xb8",
            "--write-test",
            "--format",
            "json",
        ],
    )
    .success()
    .get_output()
    .stdout
    .clone();
    let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(j["write_test"]["offset"], "0xfff");
    assert_eq!(j["ranges"][0]["write"], "dropped");
    assert_eq!(j["ranges"][1]["write"], "landed");
    let w = &j["ranges"][1]["samples"][0]["write"];
    assert_eq!(
        (w["before"].as_u64(), w["after"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn write_expectations_and_offsets_are_checked_before_anything_is_probed() {
    probe(SEABIOS, &["--mfn", "0x8f", "--expect", "read-only"])
        .code(2)
        .stderr(predicate::str::contains("add --write-test"));
    probe(
        SEABIOS,
        &["--mfn", "0x8f", "--write-test", "--write-offset", "4096"],
    )
    .code(2)
    .stderr(predicate::str::contains("0 to 0xfff"));
    probe(SEABIOS, &["--mfn", "0x8f", "--write-offset", "1"]).code(2);
}

#[test]
fn pvh_writes_through_the_self_mapped_frame() {
    let d = tempfile::tempdir().unwrap();
    let s = testdata("snapshots/x420-pvh-q35-vtd-bios");
    let root = d.path().join("root");
    copy_dir(&s.join("hypervisor"), &root.join("sys/hypervisor"));
    fs::create_dir_all(root.join("proc")).unwrap();
    fs::copy(s.join("linux/iomem"), root.join("proc/iomem")).unwrap();
    fs::copy(s.join("linux/cpuinfo"), root.join("proc/cpuinfo")).unwrap();
    dom0scope()
        .args([
            "probe",
            "--mfn",
            "0x8f-0x90",
            "--mfn",
            "0xb8",
            "--pvh-self-map",
        ])
        .args(["--write-test", "--root"])
        .arg(&root)
        .arg("--simulate-xen")
        .arg(testdata(PVH))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "0x8f +0xfff: write did not reach memory (read-only) — stored 0xff without a fault \
             and read back 0x00: the store was dropped",
        ))
        .stdout(predicate::str::contains(
            "0xb8 +0xfff: write reached memory",
        ))
        .stdout(predicate::str::contains(
            "write test: 1 reached memory, 1 did not",
        ));
}
