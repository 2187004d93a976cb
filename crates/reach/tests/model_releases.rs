//! What changes for dom0 between patch releases of 4.18 and 4.19 (docs/model-sources-4.18-4.19.md):
//! each test pins one change at the first release that has it, read at the xen.git tags.

mod common;

use common::{denied_frames, denied_ports, vector_platform};
use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_reach::model::{self, Cmdline, MODELLED, ModelInput, Release, SerialPort};

fn at(version: &str, mode: Dom0Mode) -> ModelInput {
    let mut i = vector_platform(version, mode);
    i.vtd_drhd.clear();
    i.e820_unusable.clear();
    i.serial.clear();
    i.pm_timer = None;
    i
}

#[test]
fn platform_ports_are_granted_in_418_and_denied_from_419_0() {
    // ee3bcf907a, 9e2c146c38, 86266162fc, d0ea916fcd: first in RELEASE-4.19.0, not in stable-4.18.
    for v in ["4.18.0", "4.18.6"] {
        assert_eq!(
            denied_ports(&at(v, Dom0Mode::Pv)),
            "{ 20-21, 40-43, 61, a0-a1, cfc-cff }",
            "{v}"
        );
    }
    for v in ["4.19.0", "4.19.6"] {
        assert_eq!(
            denied_ports(&at(v, Dom0Mode::Pv)),
            "{ 20-21, 40-43, 61, 92, a0-a1, f0, 4d0-4d1, cf9, cfc-cff }",
            "{v}"
        );
    }
    // 306e3dc919 (4.19.0): a PVH dom0 also loses the ISA DMA controller.
    assert!(!denied_ports(&at("4.18.6", Dom0Mode::Pvh)).contains("c0-df"));
    assert!(denied_ports(&at("4.19.0", Dom0Mode::Pvh)).contains("c0-df"));
}

#[test]
fn msi_window_is_denied_until_418_5_and_419_2() {
    // 381caa3885 as 7ce2ec63b2 (4.18.5) and e665204eb3 (4.19.2).
    for (v, denied) in [
        ("4.18.4", "{ fee00-feeff }"),
        ("4.18.5", "{ fee00 }"),
        ("4.19.1", "{ fee00-feeff }"),
        ("4.19.2", "{ fee00 }"),
    ] {
        assert_eq!(denied_frames(&at(v, Dom0Mode::Pv)), denied, "{v}");
    }
}

#[test]
fn pvh_on_418_5_loses_the_vlapic_page_but_keeps_ioapic_and_mcfg() {
    // 4.18 got the vLAPIC backport but never 62f3fc5296 (vIOAPIC, vPCI MCFG): the IO-APIC
    // page (read-only, so not denied) and the MCFG window stay granted, as in 4.17.
    let i = at("4.18.6", Dom0Mode::Pvh);
    assert_eq!(denied_frames(&i), "{ fee00 }");
    let rules: Vec<_> = model::predict(&i).steps.iter().map(|s| s.rule).collect();
    assert!(rules.contains(&"deny-vlapic") && !rules.contains(&"deny-msi-range"));
    assert!(!rules.contains(&"deny-ioapic") && !rules.contains(&"deny-mcfg-pvh"));
    // 74e860e45e (4.19.2) brings both.
    assert_eq!(
        denied_frames(&at("4.19.1", Dom0Mode::Pvh)),
        "{ fee00-feeff }"
    );
    assert_eq!(
        denied_frames(&at("4.19.2", Dom0Mode::Pvh)),
        "{ 80000-8ffff, fec00, fee00 }"
    );
}

#[test]
fn pvh_grant_is_bounded_by_hap_from_418_5_and_419_2() {
    // 5f640b6213 (4.18.5, paging_max_paddr_bits) and eaa79d83b6 (4.19.2,
    // domain_max_paddr_bits): a PVH dom0's grant stops at 2^48 under HAP; PV keeps paddr_bits.
    let top = |v: &str, mode| {
        let mut i = at(v, mode);
        i.paddr_bits = 52;
        model::predict(&i).iomem.last().unwrap()
    };
    assert_eq!(top("4.18.4", Dom0Mode::Pvh), (1 << 40) - 1);
    assert_eq!(top("4.18.5", Dom0Mode::Pvh), (1 << 36) - 1);
    assert_eq!(top("4.19.1", Dom0Mode::Pvh), (1 << 40) - 1);
    assert_eq!(top("4.19.2", Dom0Mode::Pvh), (1 << 36) - 1);
    assert_eq!(top("4.19.6", Dom0Mode::Pv), (1 << 40) - 1);
}

#[test]
fn pvh_iommu_pages_stay_denied_from_418_0() {
    // baa6ea7003 (4.18.0): the permissions come before the IOMMU's hwdom init.
    let mut i = at("4.18.0", Dom0Mode::Pvh);
    i.vtd_drhd = vec![0xfed9_0000];
    assert_eq!(denied_frames(&i), "{ fed90, fee00-feeff }");
}

#[test]
fn a_denial_starting_in_a_hole_regrants_until_the_rangeset_fix() {
    // rangeset_remove_range() before e118fc98e7 (c7e5683085 in 4.19.3; never in 4.18):
    // removing cfd-d0f, which starts inside the hole cfc-cff and reaches d00, first stretches
    // the range ending at cfb up to cfc.
    let mut i = at("4.18.6", Dom0Mode::Pv);
    i.cmdline = Cmdline::parse("dom0_ioports_disable=cfd-d0f");
    assert_eq!(denied_ports(&i), "{ 20-21, 40-43, 61, a0-a1, cfd-d0f }");
    let p = model::predict(&i);
    let s = p
        .last_step_for(&model::Target::Ports(0xcfc..=0xcfc))
        .unwrap();
    assert_eq!(
        (s.rule, s.op),
        ("rangeset-remove-regrant", model::Op::Permit)
    );
    i.xen = Release::parse("4.19.2").unwrap();
    assert!(denied_ports(&i).contains("cfd-d0f") && !denied_ports(&i).contains("cfc-"));
    i.xen = Release::parse("4.19.3").unwrap();
    assert!(denied_ports(&i).contains("cfc-d0f"));
    // The console UART after dom0_ioports_disable=3f0-3f9: 3f0-3f7 come back before the fix.
    i.cmdline = Cmdline::parse("dom0_ioports_disable=3f0-3f9 console=com1");
    i.serial = vec![SerialPort {
        name: "com1".into(),
        io_base: 0x3f8,
    }];
    assert!(denied_ports(&i).contains("3f0-3ff"));
    i.xen = Release::parse("4.18.6").unwrap();
    assert!(denied_ports(&i).contains("3f8-3ff") && !denied_ports(&i).contains("3f0"));
    // A removal that only reaches the start of its own hole changes nothing (the 4.17 MSI
    // window after the LAPIC page: no step added).
    let p = model::predict(&at("4.17", Dom0Mode::Pv));
    assert!(!p.steps.iter().any(|s| s.rule == "rangeset-remove-regrant"));
}

#[test]
fn the_418_and_419_series_are_modelled_as_their_newest_releases() {
    let names: Vec<_> = MODELLED.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        ["4.17", "4.18", "4.19", "4.20", "4.21", "4.22", "4.23"]
    );
    for s in MODELLED {
        assert_eq!(s.release().fit(), model::Fit::Modelled, "{}", s.name());
    }
    let stands = |n: &str| MODELLED.iter().find(|s| s.name() == n).unwrap().stands_for;
    assert_eq!((stands("4.18"), stands("4.19")), ("4.18.6", "4.19.6"));
}
