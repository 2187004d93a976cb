//! The model against the worked vectors of `shared/reference/xen-dom0-surface.md`
//! §12.3 (a rangeset model of Xen's code, master and 4.17), and one test per rule.

mod common;

use common::{denied_frames, denied_ports, vector_platform, xen};
use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_ranges::Radix;
use dom0scope_reach::model::{self, Cmdline, Release, SerialPort, Vendor};

#[test]
fn vector_master_pv() {
    // The model's newest rules (4.20 and later) are master's for these inputs.
    let p = model::predict(&vector_platform("4.23", Dom0Mode::Pv));
    let (mem, ports, irqs) = xen(&p);
    assert_eq!(mem, "{ 0-7efff, 7f100-fed8f, fed92-fedff, fee01-7ffffff }");
    assert_eq!(
        ports,
        "{ 0-1f, 22-3f, 44-60, 62-91, 93-9f, a2-ef, f1-3f7, 400-4cf, 4d2-cf8, cfa-cfb, d00-1807, 180c-ffff }"
    );
    assert_eq!(irqs, "{ 1-119 }");
    // PV keeps the IO-APIC, HPET and MCFG pages, read-only.
    assert!(
        p.ro_iomem.contains(0xfec00)
            && p.ro_iomem.contains(0xfed00)
            && p.ro_iomem.contains(0x80000)
    );
}

#[test]
fn vector_417_pv() {
    let p = model::predict(&vector_platform("4.17", Dom0Mode::Pv));
    let (mem, ports, _) = xen(&p);
    assert_eq!(mem, "{ 0-7efff, 7f100-fed8f, fed92-fedff, fef00-7ffffff }");
    assert_eq!(
        ports,
        "{ 0-1f, 22-3f, 44-60, 62-9f, a2-3f7, 400-cfb, d00-1807, 180c-ffff }"
    );
}

#[test]
fn vector_master_pvh() {
    let p = model::predict(&vector_platform("4.23", Dom0Mode::Pvh));
    let (mem, ports, _) = xen(&p);
    assert_eq!(
        mem,
        "{ 0-7efff, 7f100-7ffff, 90000-febff, fec01-fed8f, fed92-fedff, fee01-7ffffff }"
    );
    assert_eq!(
        ports,
        "{ 22-3f, 44-60, 62-80, 90-91, 93-9f, a2-bf, e0-e8, ea-ef, f1-3f7, 400-4cf, 4d2-cf8, cfa-cfb, d00-1807, 180c-ffff }"
    );
}

#[test]
fn rule_amd_ht_hole_depends_on_family() {
    let mut i = vector_platform("4.20.1", Dom0Mode::Pv);
    i.vendor = Vendor::Amd;
    i.family = 0xf;
    i.paddr_bits = 40;
    i.vtd_drhd.clear();
    i.e820_unusable.clear();
    assert_eq!(denied_frames(&i), "{ fee00, fd00000-fffffff }");
    // Zen (family 0x17+): below 2^paddr_bits instead of 1 TiB.
    i.family = 0x19;
    i.paddr_bits = 48;
    assert_eq!(denied_frames(&i), "{ fee00, fffd00000-fffffffff }");
    // A damaged cpuinfo claiming 32 or 33 bits: Xen's subtraction would wrap, so the model
    // takes no HT step rather than panicking or denying a wrapped range.
    for bits in [32, 33] {
        i.paddr_bits = bits;
        let p = model::predict(&i);
        assert!(
            !p.steps.iter().any(|s| s.rule == "deny-amd-ht-hole"),
            "{bits}"
        );
    }
    i.paddr_bits = 34;
    assert_eq!(denied_frames(&i), "{ fee00, 100000-3fffff }");
}

#[test]
fn rule_e820_unusable_only_above_1mib() {
    let mut i = vector_platform("4.20.1", Dom0Mode::Pv);
    i.vtd_drhd.clear();
    i.e820_unusable = vec![(0x8_0000, 0x20_0fff)];
    assert_eq!(denied_frames(&i), "{ 100-200, fee00 }");
}

#[test]
fn rule_hpet_page_protection() {
    let mut i = vector_platform("4.20.1", Dom0Mode::Pv);
    i.vtd_drhd.clear();
    i.e820_unusable.clear();
    i.hpet = Some((0xfed0_0000, 1));
    assert_eq!(denied_frames(&i), "{ fed00, fee00 }");
    i.hpet = Some((0xfed0_0000, 2));
    assert_eq!(denied_frames(&i), "{ fed00-fed0f, fee00 }");
    i.hpet = Some((0xfed0_0000, 0));
    i.cmdline = Cmdline::parse("ro-hpet=0");
    let p = model::predict(&i);
    assert!(!p.ro_iomem.contains(0xfed00));
}

#[test]
fn rule_msi_window_only_before_420() {
    let mut i = vector_platform("4.19", Dom0Mode::Pv);
    i.vtd_drhd.clear();
    i.e820_unusable.clear();
    assert_eq!(denied_frames(&i), "{ fee00-feeff }");
    i.xen = Release::parse("4.20.1").unwrap();
    assert_eq!(denied_frames(&i), "{ fee00 }");
}

#[test]
fn rule_pvh_ioapic_and_mcfg_from_420() {
    let mut i = vector_platform("4.20.1", Dom0Mode::Pvh);
    i.vtd_drhd.clear();
    i.e820_unusable.clear();
    assert_eq!(denied_frames(&i), "{ 80000-8ffff, fec00, fee00 }");
}

#[test]
fn rule_417_pvh_iommu_pages_are_granted_back() {
    let mut i = vector_platform("4.17", Dom0Mode::Pvh);
    i.e820_unusable.clear();
    assert_eq!(denied_frames(&i), "{ fee00-feeff }");
    i.mode = Dom0Mode::Pv;
    assert_eq!(denied_frames(&i), "{ fed90-fed91, fee00-feeff }");
}

#[test]
fn rule_port_denials_by_version() {
    let mut i = vector_platform("4.17", Dom0Mode::Pv);
    i.serial.clear();
    i.pm_timer = None;
    assert_eq!(denied_ports(&i), "{ 20-21, 40-43, 61, a0-a1, cfc-cff }");
    i.xen = Release::parse("4.19").unwrap();
    assert_eq!(
        denied_ports(&i),
        "{ 20-21, 40-43, 61, 92, a0-a1, f0, 4d0-4d1, cf9, cfc-cff }"
    );
}

#[test]
fn rule_pvh_ports_isa_dma_debugcon_and_smi_cmd() {
    let mut i = vector_platform("4.17", Dom0Mode::Pvh);
    i.serial.clear();
    i.pm_timer = None;
    i.vendor = Vendor::Amd;
    i.family = 0xf;
    assert_eq!(
        denied_ports(&i),
        "{ 20-21, 40-43, 61, a0-a1, b2, e9, cfc-cff }"
    );
    i.xen = Release::parse("4.20.1").unwrap();
    i.cmdline = Cmdline::parse("hvm_port80=0");
    assert_eq!(
        denied_ports(&i),
        "{ 0-21, 40-43, 61, 80-8f, 92, a0-a1, b2, c0-df, e9, f0, 4d0-4d1, cf9, cfc-cff }"
    );
    // Without a FADT the step assumes 0xb2, and the prediction lists that assumption (it was
    // only marked on the step).
    assert!(
        !model::predict(&i)
            .assumptions
            .iter()
            .any(|a| a.fact == "SMI_CMD port")
    );
    i.smi_cmd = None;
    let p = model::predict(&i);
    assert!(denied_ports(&i).contains("b2"));
    let a = p
        .assumptions
        .iter()
        .find(|a| a.fact == "SMI_CMD port")
        .expect("the SMI_CMD assumption is listed");
    assert!(a.needs.contains("FADT"));
}

#[test]
fn rule_ioports_disable_and_serial_console() {
    let mut i = vector_platform("4.17", Dom0Mode::Pv);
    i.pm_timer = None;
    i.cmdline = Cmdline::parse("dom0_ioports_disable=2f8-2ff,3e8 console=com2");
    i.serial = vec![SerialPort {
        name: "com2".into(),
        io_base: 0x2f8,
    }];
    assert_eq!(
        denied_ports(&i),
        "{ 20-21, 40-43, 61, a0-a1, 2f8-2ff, 3e8, cfc-cff }"
    );
}

#[test]
fn every_rule_has_a_source_and_is_used_or_documented() {
    for r in model::RULES {
        assert!(r.source.contains('/'), "{}: cite a Xen file", r.id);
        assert!(!r.versions.is_empty() && !r.summary.is_empty());
    }
}

fn log(rel: &str) -> dom0scope_facts::XenLog {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/logs")
        .join(rel);
    dom0scope_facts::xenlog::parse(rel, &std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn trampoline_is_located_as_measured_on_real_xen() {
    use dom0scope_reach::model::trampoline::{Certainty, locate};
    // Measured on Xen 4.17 (shared/reference/measured-on-real-xen.md §1, §6):
    // 0x8f-0x90 on SeaBIOS, 0x9e-0x9f on OVMF.
    let t = locate(&log("qemu-xen-4.17/pv-q35-qemu64.log")).unwrap();
    assert_eq!(
        (t.first_frame, t.last_frame, t.certainty),
        (0x8f, 0x90, Certainty::Derived)
    );
    let t = locate(&log("qemu-xen-4.17/uefi-pv-q35-qemu64.log")).unwrap();
    assert_eq!(
        (t.first_frame, t.last_frame, t.certainty),
        (0x9e, 0x9f, Certainty::Derived)
    );
    assert!(t.evidence[0].text.contains("type=2"));
    // coreboot: no EBDA below 640 KiB, so 64 KiB below 0xa0000.
    let t = locate(&log(
        "xen-dmesg/intel-thinkpad-t480s-coreboot_xen-4.17.5_qubes_legacy.txt",
    ))
    .unwrap();
    assert_eq!(t.first_frame, 0x90);
    // 4.21 release log: the EFI map is a debug line, so only a bound is known.
    let t = locate(&log(
        "xen-dmesg/amd-ryzen9-5950x-asrock-b450m_xen-4.21.1_fedora_uefi_pvh-dom0_serial.txt",
    ))
    .unwrap();
    assert_eq!(t.certainty, Certainty::Bounded);
    assert!(t.first_frame <= 0x9f && t.last_frame == 0x9f);
}

#[test]
fn release_420_0_predates_the_stable_backports() {
    // bc3006b9fe and a1a5bd40b5 are first in RELEASE-4.20.1 (and in Debian's 4.20.1-pre).
    let mut i = vector_platform("4.20.0", Dom0Mode::Pvh);
    i.vtd_drhd.clear();
    i.e820_unusable.clear();
    assert_eq!(denied_frames(&i), "{ fee00-feeff }");
    i.xen = Release::parse("4.20.1-pre").unwrap();
    assert_eq!(i.xen.patch, 1);
    assert_eq!(denied_frames(&i), "{ 80000-8ffff, fec00, fee00 }");
    i.xen = Release::parse("4.18.0").unwrap();
    i.mode = Dom0Mode::Pvh;
    i.vtd_drhd = vec![0xfed9_0000];
    // From 4.18 the PVH IOMMU pages stay denied (baa6ea7003).
    assert_eq!(denied_frames(&i), "{ fed90, fee00-feeff }");
}

#[test]
fn patched_xen_denies_what_its_tagged_lines_say() {
    // The patches of `harden --xen-patch`: runtime code leaves dom0's I/O Memory, the
    // trampoline and runtime data stay in it but read-only; nothing else moves.
    let mut i = vector_platform("4.20.1", Dom0Mode::Pv);
    i.vtd_drhd.clear();
    i.e820_unusable.clear();
    let plain = model::predict(&i);
    i.patched = model::Patched {
        trampoline: Some((0x8f, 0x90)),
        efi_rt_code: vec![(0x7f5ec, 0x7f6eb)],
        efi_rt_data: vec![(0x7f6ec, 0x7f7eb)],
        ..model::Patched::default()
    };
    let p = model::predict(&i);
    let gone = plain.iomem.difference(&p.iomem);
    assert_eq!(gone.to_xen(Radix::Hex), "{ 7f5ec-7f6eb }");
    assert!(p.iomem.contains(0x8f) && p.ro_iomem.contains(0x8f) && p.ro_iomem.contains(0x90));
    assert!(!plain.ro_iomem.contains(0x8f));
    assert!(p.ro_iomem.contains(0x7f6ec) && p.ro_iomem.contains(0x7f7eb));
    assert!(!plain.ro_iomem.contains(0x7f6ec));
    assert_eq!(plain.ioports, p.ioports);

    // The S3 patch: the PM1 control ports leave dom0's I/O Ports; memory does not move.
    i.patched.s3_ports = vec![(0x604, 0x605, "PM1a control".into())];
    let s3 = model::predict(&i);
    assert_eq!(
        p.ioports.difference(&s3.ioports).to_xen(Radix::Hex),
        "{ 604-605 }"
    );
    assert_eq!(p.iomem, s3.iomem);
    assert_eq!(p.ro_iomem, s3.ro_iomem);
}

#[test]
fn rule_amd_iommu_window_is_16k() {
    let mut i = vector_platform("4.20.1", Dom0Mode::Pv);
    i.vtd_drhd.clear();
    i.e820_unusable.clear();
    i.amd_iommu_bases = vec![0xfed8_0000];
    assert_eq!(denied_frames(&i), "{ fed80-fed83, fee00 }");
}

/// Every rule in the table is taken by at least one of these platforms, so no
/// rule is documented but dead.
#[test]
fn every_rule_is_exercised() {
    let mut seen = std::collections::BTreeSet::new();
    for version in ["4.17", "4.19", "4.20.1"] {
        for mode in [Dom0Mode::Pv, Dom0Mode::Pvh] {
            for amd in [false, true] {
                let mut i = vector_platform(version, mode);
                if amd {
                    i.vendor = Vendor::Amd;
                    i.family = 0x10;
                    i.amd_iommu_bases = vec![0xfed8_0000];
                    i.hpet = Some((0xfed0_0000, 1));
                    // cfd-d0f starts inside the hole at 0xcfc: 4.17's rangeset re-grants 0xcfc.
                    i.cmdline = Cmdline::parse("dom0_ioports_disable=2f8-2ff,cfd-d0f");
                    i.patched = model::Patched {
                        trampoline: Some((0x8f, 0x90)),
                        efi_rt_code: vec![(0x7f5ec, 0x7f6eb)],
                        efi_rt_data: vec![(0x7f6ec, 0x7f7eb)],
                        s3_ports: vec![(0x604, 0x605, "PM1a control".into())],
                    };
                }
                for s in model::predict(&i).steps {
                    seen.insert(s.rule);
                }
            }
        }
    }
    let missing: Vec<_> = model::RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !seen.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules never taken: {missing:?}");
}
