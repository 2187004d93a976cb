//! The log parser on hostile input: truncated, corrupted and synthetic logs
//! never panic, and malformed known lines become located warnings.

use std::path::Path;

use dom0scope_facts::xenlog;
use proptest::prelude::*;

fn real_log() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/logs/qemu-xen-4.17/uefi-pv-q35-qemu64.log"),
    )
    .expect("test data")
}

#[test]
fn every_truncation_of_a_real_log_parses_or_fails_cleanly() {
    let log = real_log();
    let step = log.len() / 211;
    for cut in (0..log.len()).step_by(step.max(1)) {
        match xenlog::parse("cut.log", &log[..cut]) {
            Ok(l) => assert!(l.stats.xen_lines > 0),
            Err(e) => assert!(e.message.contains("no Xen console line"), "{cut}: {e}"),
        }
    }
}

#[test]
fn truncated_e820_block_keeps_the_entries_read() {
    let text = "(XEN) Xen-e820 RAM map:\n(XEN)  [0000000000000000, 000000000009fbff] (usable)\n(XEN)  [000000000009fc00, 0000";
    let log = xenlog::parse("t", text.as_bytes()).unwrap();
    assert_eq!(log.e820.unwrap().entries.len(), 1);
}

#[test]
fn oversized_numbers_and_ranges_warn_with_line_numbers() {
    let text = "(XEN) Xen version 4.17.7 (a@b) (gcc) debug=n\n\
                (XEN) Rangesets belonging to domain 0:\n\
                (XEN)     I/O Ports  { 0-1ffff }\n\
                (XEN)     I/O Memory { 5-3 }\n\
                (XEN) ACPI: PM-Timer IO Port: 0x1ffff (24 bits)\n\
                (XEN) IOAPIC[0]: apic_id 99999999999, version 32, address 0xfec00000, GSI 0-23\n\
                (XEN)  Dom0 kernel: something unexpected\n";
    let log = xenlog::parse("t", text.as_bytes()).unwrap();
    let lines: Vec<u32> = log.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7], "{:?}", log.warnings);
    let d0 = log.last_rangesets(0).unwrap();
    assert!(d0.ioports.is_none() && d0.iomem.is_none());
}

#[test]
fn damaged_s3_patch_lines_warn_and_are_not_taken_for_the_patch() {
    // A port block past 0xffff, reversed, or unreadable is no evidence of the patch: each is a
    // located warning, and no port is taken as denied.
    let text = "(XEN) Xen version 4.22.0 (a@b) (gcc) debug=n\n\
                (XEN) d0: PM1a control ports 604-1ffff denied [dom0-protect-s3]\n\
                (XEN) d0: PM1b control ports 605-604 trapped [dom0-protect-s3]\n\
                (XEN) d0: sleep control ports zz-1 denied [dom0-protect-s3]\n\
                (XEN) d0: SLP_EN written to port 604: FACS waking vectors zeroed [dom0-protect-s3]\n";
    let log = xenlog::parse("s3.log", text.as_bytes()).unwrap();
    assert!(log.patches.s3_ports.is_empty());
    let warned: Vec<_> = log
        .warnings
        .iter()
        .filter(|w| w.message.contains("[dom0-protect-s3]"))
        .map(|w| (w.artifact.as_str(), w.line))
        .collect();
    assert_eq!(
        warned,
        [("s3.log", 2), ("s3.log", 3), ("s3.log", 4)],
        "{:?}",
        log.warnings
    );
    // The run-time line is read for what it is.
    assert_eq!(log.patches.s3_vectors_zeroed.len(), 1);
}

#[test]
fn a_huge_rangeset_line_is_read_within_bounds() {
    let mut line = String::from("(XEN) Rangesets belonging to domain 0:\n(XEN)     I/O Memory {");
    for i in 0..50_000u64 {
        line.push_str(&format!(" {:x}-{:x},", i * 4, i * 4 + 1));
    }
    line.pop();
    line.push_str(" }\n");
    let log = xenlog::parse("t", line.as_bytes()).unwrap();
    let d0 = log.last_rangesets(0).unwrap();
    assert_eq!(d0.iomem.as_ref().unwrap().value.range_count(), 50_000);
}

#[test]
fn differing_copies_are_reported_and_the_later_wins() {
    let text = "(XEN) Xen version 4.17.7 (a@b) (gcc) debug=n\n\
                (XEN) Command line: console=com1\n\
                (XEN) Xen-e820 RAM map:\n\
                (XEN)  [0000000000000000, 000000000009fbff] (usable)\n\
                dom0 says hello\n\
                (XEN) Xen version 4.17.7 (a@b) (gcc) debug=n\n\
                (XEN) Command line: console=com2\n";
    let log = xenlog::parse("t", text.as_bytes()).unwrap();
    assert_eq!(log.boot_copies, 2);
    assert_eq!(log.cmdline.as_ref().unwrap().value, "console=com2");
    assert_eq!(log.cmdline.as_ref().unwrap().line, 7);
    // The E820 map only the first copy had is kept.
    assert_eq!(log.e820.as_ref().unwrap().header_line, 3);
    assert!(
        log.warnings
            .iter()
            .any(|w| w.message.contains("lines 1-5 differs") && w.message.contains("command line")),
        "{:?}",
        log.warnings
    );
}

#[test]
fn changed_dom0_rangesets_between_dumps_are_reported() {
    let text = "(XEN) 'q' pressed -> dumping domain info (now = 1)\n\
                (XEN) Rangesets belonging to domain 0:\n\
                (XEN)     I/O Memory { 0-fedff }\n\
                (XEN) 'q' pressed -> dumping domain info (now = 2)\n\
                (XEN) Rangesets belonging to domain 0:\n\
                (XEN)     I/O Memory { 0-8e, 90-fedff }\n";
    let log = xenlog::parse("t", text.as_bytes()).unwrap();
    assert_eq!(log.rangesets.len(), 2);
    assert_eq!(log.last_rangesets(0).unwrap().header_line, 5);
    assert!(
        log.warnings
            .iter()
            .any(|w| w.line == 5 && w.message.contains("differ"))
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn corrupted_real_log_never_panics(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..64)) {
        let mut log = real_log();
        let n = log.len();
        for (pos, byte) in flips {
            log[pos % n] = byte;
        }
        let _ = xenlog::parse("corrupt.log", &log);
    }

    #[test]
    fn xen_like_noise_never_panics(lines in proptest::collection::vec(
        prop_oneof![
            Just("(XEN) ".to_string()),
            "\\(XEN\\) \\[[0-9a-f .:-]{0,30}\\] ?[ -~]{0,80}",
            "\\(XEN\\) (Xen version|Command line:|ACPI: [A-Z]{4}|IOAPIC\\[|PCI: MCFG configuration|Rangesets belonging to domain|    I/O Memory \\{|    I/O Ports  \\{|EFI memory map:| \\[|Xen-e820 RAM map:| - Dom0 mode:|\\*\\*\\* Building a P) ?[ -~]{0,60}",
            "[ -~]{0,100}",
        ], 0..60)) {
        let text = lines.join("\n");
        let _ = xenlog::parse("noise.log", text.as_bytes());
    }
}
