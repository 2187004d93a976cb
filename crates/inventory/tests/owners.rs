//! The owners the inventory names beyond the basic platform: chipset blocks,
//! SPI/SMBus/LPC functions, DMA-mapped ranges, the TPM and the flash window,
//! each on real data where the corpus has it (QEMU q35 snapshots, pciutils'
//! real lspci dumps, real DMAR tables, real E820 maps and /proc/iomem), and on
//! spec-built tables where it does not (no real TPM2 table or IVMD is in the
//! corpus).

use std::path::{Path, PathBuf};

use dom0scope_facts::acpi::AcpiTables;
use dom0scope_facts::pci::lspci;
use dom0scope_facts::{Facts, linux, xenlog};
use dom0scope_inventory::{Inventory, Owner, PortOwner, Region};
use dom0scope_ranges::FrameSet;
use dom0scope_snapshot::Snapshot;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

fn empty() -> Facts {
    Facts {
        xen: None,
        acpi: None,
        cpuinfo: None,
        pci: vec![],
        dom0: None,
        warnings: vec![],
        identity: Default::default(),
    }
}

fn snapshot(name: &str) -> (Facts, Inventory) {
    let s = Snapshot::open(&testdata("snapshots").join(name)).unwrap();
    let f = Facts::extract(&s).unwrap();
    let i = Inventory::build(&f);
    (f, i)
}

fn at(i: &Inventory, addr: u64) -> &Region {
    i.overlapping(addr, addr).next().unwrap()
}

fn log(text: &str) -> xenlog::XenLog {
    xenlog::parse("xen/dmesg.txt", text.as_bytes()).unwrap()
}

#[test]
fn q35_chipset_blocks_flash_and_smbus_are_named_with_evidence() {
    let (_, i) = snapshot("x417-pv-q35-vtd-bios");
    // ICH9 LPC 8086:2918, RCBA register 0xfed1c001 at config byte 0xf0.
    let r = at(&i, 0xfed1c000);
    assert_eq!(
        r.label_and_range(),
        (
            "Intel RCBA chipset registers (0000:00:1f.0)".into(),
            0xfed1c000,
            0xfed1f7ff
        )
    );
    let src = r.source.as_ref().unwrap();
    assert_eq!(src.artifact, "pci/0000:00:1f.0/config");
    assert!(
        src.text.starts_with("RCBA at byte 0xf0: 0xfed1c001"),
        "{src}"
    );
    let spi = at(&i, 0xfed1f800);
    assert_eq!(
        spi.owner,
        Owner::SpiController {
            sbdf: "0000:00:1f.0".into(),
            via: "RCBA+0x3800"
        }
    );
    assert_eq!((spi.start, spi.end), (0xfed1f800, 0xfed1f9ff));
    // The rest of the RCBA block after the SPI registers.
    assert_eq!(at(&i, 0xfed1fa00).end, 0xfed1ffff);
    // The E820 map reserves [fffc0000, ffffffff]: QEMU's 256 KiB BIOS.
    let flash = at(&i, 0xffff_fff0);
    assert_eq!(flash.owner, Owner::FlashWindow);
    assert_eq!((flash.start, flash.end), (0xfffc0000, 0xffffffff));
    let src = flash.source.as_ref().unwrap();
    assert_eq!((src.artifact.as_str(), src.line), ("xen/dmesg.txt", 21));
    assert!(src.text.contains("holds the reset vector"), "{src}");
    // Ports: the SMBus function's I/O BAR by class 0c05, PMBASE (ACPI_EN set)
    // around the FADT's own blocks.
    let smbus = i.ports_overlapping(0x700, 0x700).next().unwrap();
    assert_eq!(
        smbus.owner.label(),
        "PCI 0000:00:1f.3 BAR4 (SMBus controller)"
    );
    let pm = i.ports_overlapping(0x630, 0x630).next().unwrap();
    assert_eq!(
        pm.owner,
        PortOwner::Chipset {
            sbdf: "0000:00:1f.0".into(),
            block: "Intel PMBASE (PM1, SMI_EN, TCO)"
        }
    );
    assert_eq!((pm.start, pm.end), (0x630, 0x67f));
    assert!(
        pm.source
            .as_ref()
            .unwrap()
            .text
            .contains("PMBASE at byte 0x40: 0x00000601")
    );
    let pm1 = i.ports_overlapping(0x604, 0x604).next().unwrap();
    assert_eq!(
        pm1.owner.label(),
        "ACPI PM1a_CNT_BLK",
        "the FADT's block wins"
    );
    // Display names come from the PCI ID database, roles from numeric IDs.
    let d = i.device("0000:00:1f.0").unwrap();
    assert_eq!(d.ids, "8086:2918");
    assert_eq!(
        d.device_name,
        Some("82801IB (ICH9) LPC Interface Controller")
    );
    assert_eq!(d.role, Some("Intel ISA/LPC/eSPI bridge"));
    assert!(i.notes.is_empty(), "{:?}", i.notes);
}

/// Region helpers for compact asserts.
trait LabelRange {
    fn label_and_range(&self) -> (String, u64, u64);
}

impl LabelRange for Region {
    fn label_and_range(&self) -> (String, u64, u64) {
        (self.owner.label(), self.start, self.end)
    }
}

#[test]
fn real_ich10_and_ich8_lpc_dumps_locate_rcba_spi_and_pmbase() {
    for (file, lpc, spi_at, pmbase) in [
        // ASUS P6T6, ICH10R 8086:3a16: RCBA 0xfed1c001, PMBASE 0x801.
        (
            "pciutils-tests_tree-asus-p6t6.txt",
            "8086:3a16",
            0xfed1f800u64,
            0x800u16,
        ),
        // Fujitsu P8010, ICH8M 8086:2815: SPI at RCBA + 0x3020, PMBASE 0x1001.
        (
            "pciutils-tests_tree-fujitsu-p8010.txt",
            "8086:2815",
            0xfed1f020,
            0x1000,
        ),
    ] {
        let text = std::fs::read_to_string(testdata("lspci").join(file)).unwrap();
        let mut w = vec![];
        let mut facts = empty();
        facts.pci = lspci::parse(file, &text, &mut w);
        let i = Inventory::build(&facts);
        assert_eq!(i.device("0000:00:1f.0").unwrap().ids, lpc);
        assert_eq!(
            at(&i, 0xfed1c000).owner.label(),
            "Intel RCBA chipset registers (0000:00:1f.0)",
            "{file}"
        );
        let spi = at(&i, spi_at);
        assert!(
            matches!(spi.owner, Owner::SpiController { .. }),
            "{file}: {spi:?}"
        );
        assert_eq!(spi.start, spi_at);
        let pm = i.ports_overlapping(pmbase, pmbase).next().unwrap();
        assert_eq!((pm.start, pm.end), (pmbase, pmbase + 0x7f), "{file}");
        assert!(matches!(pm.owner, PortOwner::Chipset { .. }));
        // The SMBus function is named by class wherever its BAR lands.
        assert_eq!(
            i.device("0000:00:1f.3").unwrap().role,
            Some("SMBus controller")
        );
    }
}

#[test]
fn a_truncated_or_disabled_lpc_config_claims_nothing() {
    let text =
        std::fs::read_to_string(testdata("lspci/pciutils-tests_tree-asus-p6t6.txt")).unwrap();
    let mut w = vec![];
    let mut pci = lspci::parse("p6t6", &text, &mut w);
    let lpc = pci.iter_mut().find(|f| f.sbdf == "0000:00:1f.0").unwrap();
    let full = lpc.config.clone();
    for cut in [0, 0x10, 0x42, 0xf2] {
        let mut facts = empty();
        let mut f = lpc.clone();
        f.config.truncate(cut);
        facts.pci = vec![f];
        let i = Inventory::build(&facts);
        assert!(
            !i.regions.iter().any(|r| r.owner.sbdf().is_some()),
            "cut at {cut:#x}"
        );
    }
    // RCBA enable bit clear: no block; ACPI_EN clear: no PMBASE.
    let mut f = lpc.clone();
    f.config = full;
    f.config[0xf0] &= !1;
    f.config[0x44] = 0;
    let mut facts = empty();
    facts.pci = vec![f];
    let i = Inventory::build(&facts);
    assert!(!i.regions.iter().any(|r| r.owner.sbdf().is_some()));
    assert!(
        !i.ports
            .iter()
            .any(|p| matches!(p.owner, PortOwner::Chipset { .. }))
    );
}

#[test]
fn real_dmar_rmrrs_are_owned_by_their_device_scopes() {
    let bytes = std::fs::read(testdata(
        "acpi/linuxhw/hp-proliant-dl360-g7_60DCEE46526A/DMAR.dat",
    ))
    .unwrap();
    let mut facts = empty();
    facts.acpi = Some(AcpiTables::parse([("acpi/DMAR", bytes.as_slice())]));
    let i = Inventory::build(&facts);
    let r = at(&i, 0xdf7e6000);
    assert_eq!((r.start, r.end), (0xdf7e6000, 0xdf7e7fff));
    assert_eq!(r.owner.label(), "VT-d RMRR for 0000:00:1d.7");
    assert_eq!(
        r.source.as_ref().unwrap().to_string(),
        "acpi/DMAR: RMRR at byte 0x50: base 0xdf7e6000 limit 0xdf7e7fff, 1 device scope(s)"
    );
    // Seven scopes, two behind a bridge (the bus there is assigned at boot).
    let r = at(&i, 0xdf7df000);
    assert_eq!(
        r.owner.label(),
        "VT-d RMRR for 0000:00:1d.0, 0000:00:1d.1, 0000:00:1d.2, 0000:00:1d.3 and 3 more"
    );
    let Owner::Rmrr { devices } = &r.owner else {
        panic!()
    };
    assert_eq!(devices[4], "0000:00:1c.4/00.0");
    // Without an E820 map nothing can be said about reservation.
    assert!(!i.notes.iter().any(|n| n.contains("RMRR")), "{:?}", i.notes);
}

#[test]
fn an_rmrr_not_reserved_in_e820_is_a_disagreement() {
    let bytes = std::fs::read(testdata(
        "acpi/linuxhw/hp-proliant-dl360-g7_60DCEE46526A/DMAR.dat",
    ))
    .unwrap();
    let acpi = AcpiTables::parse([("acpi/DMAR", bytes.as_slice())]);
    // One RMRR inside usable RAM, one reserved, one outside any E820 entry.
    let mut facts = empty();
    facts.acpi = Some(acpi);
    facts.xen = Some(log("(XEN) Xen-e820 RAM map:\n\
         (XEN)  [0000000000000000, 00000000df61dfff] (usable)\n\
         (XEN)  [00000000df7df000, 00000000df7e4fff] (reserved)\n\
         (XEN)  [00000000df7e6000, 00000000df7e7fff] (usable)\n"));
    let i = Inventory::build(&facts);
    let rmrr: Vec<&String> = i.notes.iter().filter(|n| n.starts_with("RMRR")).collect();
    assert_eq!(rmrr.len(), 2, "{rmrr:?}");
    assert!(rmrr.iter().any(|n| n.starts_with(
        "RMRR 0xdf7e6000-0xdf7e7fff (VT-d RMRR for 0000:00:1d.7, acpi/DMAR: RMRR at byte 0x50"
    )
        && n.ends_with(
            "overlaps memory the E820 map calls usable RAM: the firmware must reserve it"
        )));
    assert!(
        rmrr.iter()
            .any(|n| n.starts_with("RMRR 0xdf61e000-0xdf61ffff")
                && n.ends_with("is not reserved in the E820 map"))
    );
}

/// A TPM2 table as the TCG ACPI spec lays it out: header, platform class,
/// reserved, control area address (byte 40), start method (byte 48).
fn tpm2(control_area: u64, start_method: u32) -> Vec<u8> {
    let mut t = vec![0u8; 52];
    t[..4].copy_from_slice(b"TPM2");
    t[4..8].copy_from_slice(&52u32.to_le_bytes());
    t[8] = 4;
    t[40..48].copy_from_slice(&control_area.to_le_bytes());
    t[48..52].copy_from_slice(&start_method.to_le_bytes());
    let sum = t.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    t[9] = 0u8.wrapping_sub(sum);
    t
}

#[test]
fn the_tpm_is_named_from_its_tpm2_table() {
    let tpm = |ca, sm| {
        let t = tpm2(ca, sm);
        let mut facts = empty();
        facts.acpi = Some(AcpiTables::parse([("acpi/TPM2", t.as_slice())]));
        assert!(facts.acpi.as_ref().unwrap().warnings.is_empty());
        Inventory::build(&facts)
    };
    // FIFO (TIS): the PTP's fixed localities.
    let i = tpm(0, 6);
    let r = at(&i, 0xfed40000);
    assert_eq!(
        (r.owner.clone(), r.start, r.end),
        (Owner::TpmLocalities, 0xfed40000, 0xfed44fff)
    );
    assert!(
        r.source
            .as_ref()
            .unwrap()
            .text
            .contains("start method at byte 0x30: 6 (FIFO/TIS)")
    );
    // CRB at the PTP address: the control area's page inside the localities.
    let i = tpm(0xfed40040, 7);
    assert_eq!(at(&i, 0xfed40040).owner, Owner::TpmCrb);
    assert_eq!(at(&i, 0xfed40040).end, 0xfed40fff);
    assert_eq!(at(&i, 0xfed41000).owner, Owner::TpmLocalities);
    // A firmware TPM with its CRB in reserved memory: only that page.
    let i = tpm(0xbd6a3000, 7);
    assert_eq!(at(&i, 0xbd6a3000).owner, Owner::TpmCrb);
    assert_eq!(at(&i, 0xfed40000).owner, Owner::Hole);
}

/// An IVRS with one IVMD block of `kind` (AMD IOMMU spec §5.2.2.3).
fn ivrs_with_ivmd(kind: u8, flags: u8, start: u64, len: u64) -> Vec<u8> {
    let mut t = vec![0u8; 48 + 32];
    t[..4].copy_from_slice(b"IVRS");
    t[4..8].copy_from_slice(&80u32.to_le_bytes());
    t[8] = 2;
    let b = &mut t[48..];
    b[0] = kind;
    b[1] = flags;
    b[2..4].copy_from_slice(&32u16.to_le_bytes());
    b[4..6].copy_from_slice(&0x00a0u16.to_le_bytes()); // 00:14.0
    b[6..8].copy_from_slice(&0x00a7u16.to_le_bytes()); // 00:14.7
    b[16..24].copy_from_slice(&start.to_le_bytes());
    b[24..32].copy_from_slice(&len.to_le_bytes());
    let sum = t.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    t[9] = 0u8.wrapping_sub(sum);
    t
}

#[test]
fn ivmd_ranges_are_named_and_hostile_lengths_are_skipped() {
    let build = |t: Vec<u8>| {
        let mut facts = empty();
        facts.acpi = Some(AcpiTables::parse([("acpi/IVRS", t.as_slice())]));
        Inventory::build(&facts)
    };
    let i = build(ivrs_with_ivmd(0x21, 0x7, 0xbd000000, 0x10000));
    let r = at(&i, 0xbd000000);
    assert_eq!((r.start, r.end), (0xbd000000, 0xbd00ffff));
    assert_eq!(
        r.owner.label(),
        "AMD IVMD unity-mapped range for device 00:14.0"
    );
    assert!(
        r.source
            .as_ref()
            .unwrap()
            .text
            .starts_with("IVMD type 0x21 at byte 0x30")
    );
    let i = build(ivrs_with_ivmd(0x22, 0x8, 0xbd000000, 0x1000));
    assert_eq!(
        at(&i, 0xbd000000).owner.label(),
        "AMD IVMD exclusion range for devices 00:14.0-00:14.7"
    );
    for (start, len) in [(0xbd000000, 0), (u64::MAX - 10, 0x1000)] {
        let i = build(ivrs_with_ivmd(0x20, 1, start, len));
        assert!(
            !i.regions
                .iter()
                .any(|r| matches!(r.owner, Owner::Ivmd { .. }))
        );
    }
}

#[test]
fn the_flash_window_comes_from_real_e820_maps_and_proc_iomem() {
    // Real E820 maps whose reserved range holding the reset vector is wider
    // than any chipset's flash decode: the window is capped at 16 MiB.
    for (file, start) in [
        (
            "amd-ryzen-7040-phoenix_xen-4.18.3-debug_uefi_flask_serial.txt",
            0xff000000u64,
        ),
        (
            "amd-fam10h-gigabyte-rd890_xen-4.14.5_devuan_bios.txt",
            0xff000000,
        ),
        (
            "intel-alderlake-getac-ux10-tablet_xen-4.19.1_alpine_uefi.txt",
            0xff000000,
        ),
        (
            "amd-phenom2-x6-msi-890fxa-gd70_xen-4.17-unstable-debug_bios_mixed-timestamps_serial.txt",
            0xffe00000,
        ),
    ] {
        let bytes = std::fs::read(testdata("logs/xen-dmesg").join(file)).unwrap();
        let mut facts = empty();
        facts.xen = Some(xenlog::parse(file, &bytes).unwrap());
        let i = Inventory::build(&facts);
        let r = at(&i, 0xffff_fff0);
        assert_eq!(
            (r.owner.clone(), r.start, r.end),
            (Owner::FlashWindow, start, 0xffffffff),
            "{file}"
        );
        assert!(r.source.as_ref().unwrap().line > 0);
    }
    // No Xen E820 map: dom0's /proc/iomem ("ff000000-ffffffff : pnp 00:07").
    let rel = "proc/intel-laptop-kabylake-era_linux_proc-iomem.txt";
    let bytes = std::fs::read(testdata(rel)).unwrap();
    let mut w = vec![];
    let mut facts = empty();
    facts.dom0 = Some(linux::Dom0View {
        iomem: linux::resources::parse("linux/iomem", &bytes, &mut w),
        ..Default::default()
    });
    let i = Inventory::build(&facts);
    let r = at(&i, 0xffff_fff0);
    assert_eq!((r.owner.clone(), r.start), (Owner::FlashWindow, 0xff000000));
    assert_eq!(
        r.source.as_ref().unwrap().to_string(),
        "linux/iomem:107: ff000000-ffffffff : pnp 00:07 — holds the reset vector 0xfffffff0 (flash window 0xff000000-0xffffffff)"
    );
}

#[test]
fn a_bar_that_disagrees_with_config_space_is_noted() {
    let (mut f, _) = snapshot("x417-pv-q35-vtd-bios");
    let nic = f.pci.iter_mut().find(|p| p.sbdf == "0000:00:02.0").unwrap();
    nic.resources[0].start += 0x1000;
    let i = Inventory::build(&f);
    assert_eq!(
        i.notes,
        vec![
            "PCI 0000:00:02.0 BAR0: config space says memory 0xfeb80000 but pci/0000:00:02.0/resource:1 says 0xfeb81000"
        ]
    );
}

#[test]
fn unclaimed_bytes_count_whole_hole_frames_only() {
    let (_, i) = snapshot("x417-pv-q35-vtd-bios");
    // 0x80000000-0xafffffff is a hole (PCI window with no BAR); 0xfed1c000 is RCBA.
    let frames: FrameSet = [0x80000u64..=0x80001, 0xfed1c..=0xfed1c]
        .into_iter()
        .collect();
    assert_eq!(i.unclaimed_bytes_in(&frames), 0x2000);
    assert_eq!(i.unclaimed_bytes_in(&FrameSet::default()), 0);
}

#[test]
fn piix4_pmba_and_smbus_blocks_on_the_real_i440fx_snapshot() {
    let (f, i) = snapshot("x420-pv-pc-bios");
    // The real config bytes of 00:01.3 (8086:7113): PMBA 0x00000601 at 0x40,
    // PMREGMISC 0x01 at 0x80, SMBBA 0x00000701 at 0x90, SMBHSTCFG 0x09 at 0xd2.
    let pm = f.pci.iter().find(|p| p.sbdf == "0000:00:01.3").unwrap();
    assert_eq!((pm.vendor_id, pm.device_id), (0x8086, 0x7113));
    assert_eq!(&pm.config[0x40..0x44], &[0x01, 0x06, 0, 0]);
    assert_eq!((pm.config[0x80], pm.config[0xd2]), (0x01, 0x09));
    let got: Vec<_> = i
        .ports_overlapping(0x600, 0x70f)
        .map(|p| (p.start, p.end, p.owner.label()))
        .collect();
    let pmba = "Intel PIIX4 PMBA (PM1, GLBCTL, DEVCTL) (0000:00:01.3)";
    assert_eq!(
        got,
        vec![
            // The FACP's blocks (PM1a_EVT 0x600/4, PM1a_CNT 0x604/2, PM_TMR
            // 0x608/4) win inside PMBA's 64 ports.
            (0x600, 0x603, "ACPI PM1a_EVT_BLK".into()),
            (0x604, 0x605, "ACPI PM1a_CNT_BLK".into()),
            (0x606, 0x607, pmba.into()),
            (0x608, 0x60b, "ACPI PM_TMR_BLK".into()),
            (0x60c, 0x63f, pmba.into()),
            (0x640, 0x6ff, "unclaimed".into()),
            (
                0x700,
                0x70f,
                "Intel PIIX4 SMBus (SMBBA) (0000:00:01.3)".into()
            ),
        ]
    );
    let src = |port: u16| {
        let p = i.ports_overlapping(port, port).next().unwrap();
        p.source.as_ref().unwrap().to_string()
    };
    assert_eq!(
        src(0x630),
        "pci/0000:00:01.3/config: PMBA at byte 0x40: 0x00000601, PMREGMISC at byte 0x80: 0x01 (PMIOSE)"
    );
    assert_eq!(
        src(0x700),
        "pci/0000:00:01.3/config: SMBBA at byte 0x90: 0x00000701, SMBHSTCFG at byte 0xd2: 0x09 (SMB_HST_EN)"
    );
    assert_eq!(
        i.device("0000:00:01.3").unwrap().role,
        Some("Intel PIIX4 power management and SMBus")
    );
}

#[test]
fn piix4_blocks_need_their_enable_bits_and_whole_registers() {
    let (f, _) = snapshot("x420-pv-pc-bios");
    let pm = f.pci.iter().find(|p| p.sbdf == "0000:00:01.3").unwrap();
    let chipset_ports = |config: Vec<u8>| {
        let mut facts = empty();
        let mut p = pm.clone();
        p.config = config;
        facts.pci = vec![p];
        Inventory::build(&facts)
            .ports
            .into_iter()
            .filter(|p| matches!(p.owner, PortOwner::Chipset { .. }))
            .map(|p| (p.start, p.end))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        chipset_ports(pm.config.clone()),
        vec![(0x600, 0x63f), (0x700, 0x70f)]
    );
    // PMIOSE clear: no PMBA; SMB_HST_EN clear: no SMBus block.
    let mut c = pm.config.clone();
    c[0x80] = 0;
    assert_eq!(chipset_ports(c.clone()), vec![(0x700, 0x70f)]);
    c[0xd2] &= !1;
    assert_eq!(chipset_ports(c), vec![]);
    // Truncated before a register or its enable byte: nothing from it.
    for (cut, want) in [
        (0x42, vec![]),
        (0x80, vec![]),
        (0x81, vec![(0x600, 0x63f)]),
        (0xd2, vec![(0x600, 0x63f)]),
        (0xd3, vec![(0x600, 0x63f), (0x700, 0x70f)]),
    ] {
        let mut c = pm.config.clone();
        c.truncate(cut);
        assert_eq!(chipset_ports(c), want, "cut at {cut:#x}");
    }
    // Bits above 15 and below the block alignment are ignored; an all-ones
    // base ends at port 0xffff.
    let mut c = pm.config.clone();
    c[0x40..0x44].copy_from_slice(&0xffff_ffbfu32.to_le_bytes());
    c[0x90..0x94].copy_from_slice(&0xffff_ffffu32.to_le_bytes());
    assert_eq!(chipset_ports(c), vec![(0xff80, 0xffbf), (0xfff0, 0xffff)]);
}

/// A DSDT holding `OperationRegion (HUGE, SystemIO, 0x10, len)` with a
/// QWordConst length (ACPI 6.5 §20.2.5.2, §20.2.3).
fn dsdt_with_io_region(len: u64) -> Vec<u8> {
    let mut body = vec![0x5b, 0x80, b'H', b'U', b'G', b'E', 0x01, 0x0a, 0x10, 0x0e];
    body.extend_from_slice(&len.to_le_bytes());
    let mut t = vec![0u8; 36];
    t[..4].copy_from_slice(b"DSDT");
    t[4..8].copy_from_slice(&((36 + body.len()) as u32).to_le_bytes());
    t[8] = 2;
    t.extend_from_slice(&body);
    let sum = t.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    t[9] = 0u8.wrapping_sub(sum);
    t
}

#[test]
fn an_aml_io_region_with_a_huge_length_ends_at_port_0xffff() {
    for (len, end) in [(4, 0x13u16), (0x1_0000, 0xffff), (u64::MAX, 0xffff)] {
        let t = dsdt_with_io_region(len);
        let mut facts = empty();
        facts.acpi = Some(AcpiTables::parse([("acpi/DSDT", t.as_slice())]));
        let i = Inventory::build(&facts);
        let r = i.ports_overlapping(0x10, 0x10).next().unwrap();
        assert_eq!(r.owner.label(), "AML OperationRegion HUGE", "{len:#x}");
        assert_eq!(r.start, 0x10);
        // AML outranks the PC/AT conventions, so the region runs to its end.
        let last = i
            .ports
            .iter()
            .rfind(|p| p.owner.label() == "AML OperationRegion HUGE")
            .unwrap();
        assert_eq!(last.end, end, "{len:#x}");
    }
}

/// An ACPI table `sig` with `body` after the 36-byte header, checksummed.
fn table(sig: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut t = vec![0u8; 36];
    t[..4].copy_from_slice(sig);
    t[4..8].copy_from_slice(&((36 + body.len()) as u32).to_le_bytes());
    t[8] = 1;
    t.extend_from_slice(body);
    let sum = t.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    t[9] = 0u8.wrapping_sub(sum);
    t
}

/// Found by the `inventory` fuzz target: an X_FIRMWARE_CTRL of all ones
/// overflowed `facs + 63`. The same for every base the tables state: a range
/// at the top of the 64-bit space ends at u64::MAX, not in a panic.
#[test]
fn table_bases_at_the_top_of_the_address_space_do_not_overflow() {
    let top = u64::MAX - 0x10;
    let mut fadt = vec![0u8; 244 - 36];
    fadt[132 - 36..140 - 36].copy_from_slice(&u64::MAX.to_le_bytes());
    let mut hpet = vec![0u8; 56 - 36];
    hpet[44 - 36..52 - 36].copy_from_slice(&top.to_le_bytes());
    let mut mcfg = vec![0u8; 8 + 16];
    mcfg[8..16].copy_from_slice(&top.to_le_bytes());
    mcfg[8 + 11] = 0xff; // buses 0-0xff
    let mut dmar = vec![0u8; 12 + 16];
    dmar[0] = 38; // host address width - 1
    dmar[12 + 2] = 16; // DRHD length
    dmar[12 + 5] = 20; // size: 2^20 pages
    dmar[12 + 8..12 + 16].copy_from_slice(&top.to_le_bytes());
    let tables = [
        table(b"FACP", &fadt),
        table(b"HPET", &hpet),
        table(b"MCFG", &mcfg),
        table(b"DMAR", &dmar),
    ];
    let acpi = AcpiTables::parse([
        ("acpi/FACP", tables[0].as_slice()),
        ("acpi/HPET", tables[1].as_slice()),
        ("acpi/MCFG", tables[2].as_slice()),
        ("acpi/DMAR", tables[3].as_slice()),
    ]);
    assert_eq!(
        acpi.fadt.as_ref().and_then(|f| f.x_firmware_ctrl),
        Some(u64::MAX)
    );
    assert_eq!(acpi.hpet.as_ref().map(|h| h.base), Some(top));
    assert_eq!(acpi.mcfg.as_ref().map(|m| m.entries.len()), Some(1));
    assert_eq!(acpi.dmar.as_ref().map(|d| d.drhd.len()), Some(1));
    let mut facts = empty();
    facts.acpi = Some(acpi);
    let i = Inventory::build(&facts);
    // The map stops at 2^52 - 1, so these claims lie beyond it.
    assert_eq!(i.regions.last().unwrap().end, (1 << 52) - 1);
}

#[test]
fn xen_image_from_its_relocation_line_bounded_by_its_ram_region() {
    // Real Xen 4.17 on SeaBIOS: `New Xen image base address: 0x7f800000`, E820 RAM
    // 0x100000-0x7ffdefff; the image ends at or below the 2 MiB-aligned top 0x7fe00000.
    let (_, inv) = snapshot("x417-pv-q35-vtd-bios");
    let r = at(&inv, 0x7f80_0000);
    assert_eq!(r.owner, Owner::XenImage);
    assert_eq!((r.start, r.end), (0x7f80_0000, 0x7fdf_ffff));
    let src = r.source.as_ref().unwrap();
    assert!(
        src.text.contains("New Xen image base address: 0x7f800000"),
        "{src:?}"
    );
    assert_eq!(r.owner.label(), "Xen image (upper bound)");
    // Around it: RAM whose owner a snapshot cannot say.
    assert_eq!(at(&inv, 0x7fe0_0000).owner.label(), "RAM, owner unknown");
    assert_eq!(at(&inv, 0x7f7f_ffff).owner.label(), "RAM, owner unknown");
    // xen.efi is not relocated that way: no such line, no such claim.
    let (_, uefi) = snapshot("x417-pv-q35-uefi");
    assert!(!uefi.regions.iter().any(|r| r.owner == Owner::XenImage));
}

#[test]
fn xen_image_base_outside_ram_or_in_a_tiny_region_stays_bounded() {
    let text = "(XEN) Xen-e820 RAM map:\n\
                (XEN)  [0000000000000000, 000000000009fbff] (usable)\n\
                (XEN)  [0000000000100000, 00000000001fffff] (usable)\n\
                (XEN) New Xen image base address: 0x180000\n";
    let mut f = empty();
    f.xen = Some(log(text));
    let inv = Inventory::build(&f);
    let r = at(&inv, 0x18_0000);
    assert_eq!(r.owner, Owner::XenImage);
    assert_eq!(
        r.end, 0x1f_ffff,
        "no 2 MiB boundary above the base: the region's end"
    );
    let mut f = empty();
    f.xen = Some(log(
        "(XEN)  [0000000000000000, 000000000009fbff] (usable)\n(XEN) New Xen image base address: 0xfffffffffffff000\n",
    ));
    let inv = Inventory::build(&f);
    assert!(!inv.regions.iter().any(|r| r.owner == Owner::XenImage));
}
