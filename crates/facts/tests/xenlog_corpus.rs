//! Every real log in the corpus parses; golden summaries pin the facts; the dom0
//! rangesets of the QEMU boots equal what Xen printed (see
//! `testdata/logs/README.md` for the logs' provenance).

use std::path::{Path, PathBuf};

use dom0scope_facts::xenlog::{self, Dom0Mode, E820Kind};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/logs")
        .join(rel)
}

fn parse(rel: &str) -> xenlog::XenLog {
    let bytes = std::fs::read(data(rel)).expect("test data");
    xenlog::parse(rel, &bytes).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_corpus_log_parses_with_facts() {
    let mut n = 0;
    for dir in [
        "qemu-xen-4.17",
        "qemu-xen-4.17-debian-patched",
        "qemu-xen-4.20",
        "xen-dmesg",
        "xen-debugkey-q",
    ] {
        for entry in std::fs::read_dir(data(dir)).expect("dir") {
            let path = entry.expect("entry").path();
            let rel = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            let log = parse(&rel);
            n += 1;
            if dir == "xen-debugkey-q" {
                assert!(!log.rangesets.is_empty(), "{rel}: no rangesets");
            } else {
                assert!(log.version.is_some(), "{rel}: no version");
                assert!(
                    log.e820.as_ref().is_some_and(|m| !m.entries.is_empty()),
                    "{rel}: no e820"
                );
                assert!(log.dom0.is_some(), "{rel}: no dom0 build");
                assert!(!log.acpi_tables.is_empty(), "{rel}: no ACPI tables");
            }
            assert!(log.warnings.is_empty(), "{rel}: {:?}", log.warnings);
        }
    }
    assert_eq!(n, 21);
}

/// dom0's rangesets, verbatim from `shared/reference/qemu-xen-harness.md` (as Xen printed them).
#[test]
fn qemu_dom0_rangesets_match_xen() {
    let cases = [
        (
            "qemu-xen-4.17/pv-q35-qemu64.log",
            "{ 0-fedff, fef00-fcfffff }",
            "{ 0-1f, 22-3f, 44-60, 62-9f, a2-3f7, 400-607, 60c-cfb, d00-ffff }",
        ),
        (
            "qemu-xen-4.17/pv-q35-viommu.log",
            "{ 0-fed8f, fed91-fedff, fef00-fcfffff }",
            "{ 0-1f, 22-3f, 44-60, 62-9f, a2-3f7, 400-607, 60c-cfb, d00-ffff }",
        ),
        (
            "qemu-xen-4.17/pvh-q35-viommu.log",
            "{ 0-fedff, fef00-fcfffff }",
            "{ 0-1f, 22-3f, 44-60, 62-9f, a2-b1, b3-e8, ea-3f7, 400-607, 60c-cfb, d00-ffff }",
        ),
        (
            "qemu-xen-4.17/uefi-pv-q35-qemu64.log",
            "{ 0-fedff, fef00-fcfffff }",
            "{ 0-1f, 22-3f, 44-60, 62-9f, a2-3f7, 400-607, 60c-cfb, d00-ffff }",
        ),
        (
            "qemu-xen-4.20/pv-q35-qemu64.log",
            "{ 0-fedff, fee01-fcfffff }",
            "{ 0-1f, 22-3f, 44-60, 62-91, 93-9f, a2-ef, f1-3f7, 400-4cf, 4d2-607, 60c-cf8, cfa-cfb, d00-ffff }",
        ),
        (
            "qemu-xen-4.20/pvh-q35-viommu.log",
            "{ 0-affff, c0000-febff, fec01-fed8f, fed91-fedff, fee01-fcfffff }",
            "{ 22-3f, 44-60, 62-80, 90-91, 93-9f, a2-b1, b3-bf, e0-e8, ea-ef, f1-3f7, 400-4cf, 4d2-607, 60c-cf8, cfa-cfb, d00-ffff }",
        ),
    ];
    for (rel, iomem, ports) in cases {
        let log = parse(rel);
        let d0 = log.last_rangesets(0).expect("dom0 rangesets");
        let r = dom0scope_ranges::Radix::Hex;
        assert_eq!(d0.iomem.as_ref().unwrap().value.to_xen(r), iomem, "{rel}");
        assert_eq!(d0.ioports.as_ref().unwrap().value.to_xen(r), ports, "{rel}");
        assert_eq!(
            d0.interrupts
                .as_ref()
                .unwrap()
                .value
                .to_xen(dom0scope_ranges::Radix::Decimal),
            "{ 1-23 }"
        );
        // The boot log appears twice (serial console, then `xl dmesg`).
        assert_eq!(log.boot_copies, 2, "{rel}");
        let want = if rel.contains("pvh") {
            Dom0Mode::Pvh
        } else {
            Dom0Mode::Pv
        };
        assert_eq!(log.dom0.as_ref().unwrap().mode, want);
    }
}

#[test]
fn qemu_q35_e820_is_the_one_xen_printed() {
    let log = parse("qemu-xen-4.17/pv-q35-qemu64.log");
    let m = log.e820.unwrap();
    let got: Vec<(u64, u64, E820Kind)> =
        m.entries.iter().map(|e| (e.start, e.end, e.kind)).collect();
    assert_eq!(
        got,
        vec![
            (0x0, 0x9fbff, E820Kind::Usable),
            (0x9fc00, 0x9ffff, E820Kind::Reserved),
            (0xf0000, 0xfffff, E820Kind::Reserved),
            (0x100000, 0x7ffdefff, E820Kind::Usable),
            (0x7ffdf000, 0x7fffffff, E820Kind::Reserved),
            (0xb0000000, 0xbfffffff, E820Kind::Reserved),
            (0xfed1c000, 0xfed1ffff, E820Kind::Reserved),
            (0xfffc0000, 0xffffffff, E820Kind::Reserved),
            (0xfd00000000, 0xffffffffff, E820Kind::Reserved),
        ]
    );
}

#[test]
fn mixed_timestamp_styles_are_all_read() {
    let log = parse(
        "xen-dmesg/amd-phenom2-x6-msi-890fxa-gd70_xen-4.17-unstable-debug_bios_mixed-timestamps_serial.txt",
    );
    assert_eq!(log.cmdline.as_ref().unwrap().line, 5);
    assert_eq!(log.e820.as_ref().unwrap().label, "Xen-e820");
    assert_eq!(log.dom0.as_ref().unwrap().line, 205);
    assert_eq!(log.acpi.ioapics.len(), 2);
}

#[test]
fn old_xen_41_e820_ends_are_made_inclusive() {
    let log = parse("xen-dmesg/intel-core2-dell-vostro1700_xen-4.1.1_ubuntu_bios_no-iommu.txt");
    let m = log.e820.unwrap();
    assert!(m.legacy_format);
    // "0000000000000000 - 000000000009f000 (usable)"
    assert_eq!((m.entries[0].start, m.entries[0].end), (0, 0x9efff));
    // "000000007fe6d800 - 0000000080000000 (reserved)"
    assert_eq!(m.entries[3].end, 0x7fffffff);
}

macro_rules! golden {
    ($name:ident, $rel:expr) => {
        #[test]
        fn $name() {
            let log = parse($rel);
            insta::assert_snapshot!(stringify!($name), log.summary());
        }
    };
}

golden!(golden_x417_pv_q35, "qemu-xen-4.17/pv-q35-qemu64.log");
golden!(golden_x417_pv_q35_viommu, "qemu-xen-4.17/pv-q35-viommu.log");
golden!(
    golden_x417_pvh_q35_viommu,
    "qemu-xen-4.17/pvh-q35-viommu.log"
);
golden!(
    golden_x417_uefi_pv_q35,
    "qemu-xen-4.17/uefi-pv-q35-qemu64.log"
);
golden!(golden_x420_pv_q35, "qemu-xen-4.20/pv-q35-qemu64.log");
golden!(
    golden_x420_pvh_q35_viommu,
    "qemu-xen-4.20/pvh-q35-viommu.log"
);
golden!(
    golden_amd_rd890_414,
    "xen-dmesg/amd-fam10h-gigabyte-rd890_xen-4.14.5_devuan_bios.txt"
);
golden!(
    golden_amd_ryzen7040_418_uefi,
    "xen-dmesg/amd-ryzen-7040-phoenix_xen-4.18.3-debug_uefi_flask_serial.txt"
);
golden!(
    golden_intel_xeon_414_uefi,
    "xen-dmesg/intel-xeon-skylakesp-supermicro_xen-4.14.3_uefi_flask.txt"
);
golden!(
    golden_intel_alderlake_419_uefi,
    "xen-dmesg/intel-alderlake-getac-ux10-tablet_xen-4.19.1_alpine_uefi.txt"
);
golden!(
    golden_intel_core2_41_legacy,
    "xen-dmesg/intel-core2-dell-vostro1700_xen-4.1.1_ubuntu_bios_no-iommu.txt"
);
golden!(
    golden_arm64_q_dump,
    "xen-debugkey-q/arm64-rpi4b-dom0-and-2-domUs_xen-4.19-unstable_debugkey-q.txt"
);

#[test]
fn patched_xen_tag_lines_are_read() {
    // A real boot of Xen 4.22.0 built with `harden --xen-patch`'s series (harness/patched.sh,
    // q35 SeaBIOS, PV dom0): the trampoline patch's line; no EFI line on SeaBIOS (no runtime
    // services).
    let log = parse("qemu-xen-4.22-patched/pv-q35-bios-ro-trampoline.log");
    let t = log.patches.trampoline_ro.as_ref().expect("tag line read");
    assert_eq!(t.value, (0x8f, 0x90));
    assert!(log.cited[&t.line].ends_with("read-only [dom0-ro-trampoline]"));
    assert!(log.patches.efi_rt.is_none());
}

#[test]
fn s3_patch_lines_are_read() {
    // Real boots of Xen 4.22.0 with the three-patch series (harness/patched.sh): a PV dom0
    // loses PM1a control, a PVH dom0 keeps it and Xen says so.
    let pv = parse("qemu-xen-4.22-patched/pv-q35-uefi-s3-ports.log");
    let ports: Vec<_> = pv
        .patches
        .s3_ports
        .iter()
        .map(|l| (l.value.name.as_str(), l.value.first, l.value.last))
        .collect();
    assert_eq!(ports, [("PM1a control", 0x604, 0x605)]);
    assert!(pv.cited[&pv.patches.s3_ports[0].line].ends_with("denied [dom0-protect-s3]"));
    assert!(pv.patches.s3_off.is_none());
    assert!(!pv.patches.s3_ports[0].value.trapped);
    // A PVH dom0's ports trap; at power-off Xen's filter zeroed the vectors before SLP_EN.
    let trap = parse("qemu-xen-4.22-patched/pvh-q35-bios-s3-trap.log");
    assert_eq!(trap.patches.s3_ports.len(), 1);
    assert!(trap.patches.s3_ports[0].value.trapped);
    assert_eq!(trap.patches.s3_vectors_zeroed.len(), 1);
    assert!(
        trap.cited[&trap.patches.s3_vectors_zeroed[0]]
            .contains("SLP_EN written to port 604: FACS waking vectors zeroed")
    );
    // The first version left a PVH dom0 its ports, and said so.
    let pvh = parse("qemu-xen-4.22-patched/pvh-q35-bios-s3-pvh.log");
    assert!(pvh.patches.s3_ports.is_empty());
    let line = pvh.patches.s3_off.expect("the PVH line is read");
    assert!(pvh.cited[&line].ends_with("[dom0-protect-s3=pvh]"));
    // The two-patch series before 0003 has none of it.
    let older = parse("qemu-xen-4.22-patched/pv-q35-bios-ro-trampoline.log");
    assert!(older.patches.s3_ports.is_empty() && older.patches.s3_off.is_none());
}

#[test]
fn debian_417_patched_tag_lines_are_read() {
    // Real boots of Xen 4.17.5 built from Debian 12's source package with the 4.17 series
    // (harness/build-xen-debian.sh): Debian's banner, the same tag lines; OVMF has both.
    let bios = parse("qemu-xen-4.17-debian-patched/pv-q35-bios-ro-trampoline.log");
    assert_eq!(
        bios.patches.trampoline_ro.as_ref().map(|t| t.value),
        Some((0x8f, 0x90))
    );
    assert!(bios.patches.efi_rt.is_none());
    let uefi = parse("qemu-xen-4.17-debian-patched/pv-q35-uefi-ro-trampoline-efi-rt.log");
    assert_eq!(
        uefi.patches.trampoline_ro.as_ref().map(|t| t.value),
        Some((0x9e, 0x9f))
    );
    assert!(uefi.patches.efi_rt.is_some());
    // The three-patch series on a PVH dom0 on OVMF, the one run with CPU offline/online: the
    // sleep ports trapped, not denied, and the trap's run-time line at power-off.
    let pvh = parse("qemu-xen-4.17-debian-patched/pvh-q35-amdvi-uefi-cpu-hotplug.log");
    assert_eq!(
        pvh.patches.trampoline_ro.as_ref().map(|t| t.value),
        Some((0x9e, 0x9f))
    );
    assert!(pvh.patches.efi_rt.is_some());
    assert_eq!(pvh.patches.s3_ports.len(), 1);
    assert!(pvh.patches.s3_ports[0].value.trapped);
    assert_eq!(pvh.patches.s3_vectors_zeroed.len(), 1);
}

#[test]
fn the_withdrawn_deny_trampoline_line_is_not_read_as_read_only() {
    // A real boot of Xen 4.22.0 with the first version of patch 0001, which denied the
    // trampoline ("denied [dom0-deny-trampoline]"; dom0 died in its iBFT scan): that is not
    // the read-only patch, and must not be taken for it.
    let log = parse("qemu-xen-4.22-patched/pv-q35-bios-ibft-panic.log");
    assert!(log.patches.trampoline_ro.is_none());
    assert!(log.patches.efi_rt.is_none());
    // An unpatched boot has none.
    assert!(
        parse("qemu-xen-4.22/x422-pv-pc-uefi.log")
            .patches
            .is_empty()
    );
}
