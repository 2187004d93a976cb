use dom0scope_verdict::Inputs;
use dom0scope_verdict::predicates::Truth;
use dom0scope_verdict::predicates::memory::*;

use crate::common::load;

#[test]
fn efi_runtime_is_reached_on_the_uefi_boot_only() {
    let (s, r) = load("snapshots/x417-pv-q35-uefi");
    let Truth::Holds(d) = reaches_owner(&Inputs::new(&s, &r), OwnerKind::EfiRuntime) else {
        panic!("EFI runtime regions must be reachable under OVMF");
    };
    assert!(d.vars["code_frames"].parse::<u64>().unwrap() > 0);
    assert!(d.evidence[0].text.contains("I/O Memory"));
    let (s, r) = load("snapshots/x417-pv-q35-vtd-bios");
    assert!(matches!(
        reaches_owner(&Inputs::new(&s, &r), OwnerKind::EfiRuntime),
        Truth::Fails(_)
    ));
}

#[test]
fn iommu_registers_are_denied_and_facs_is_reached() {
    let (s, r) = load("snapshots/x417-pv-q35-vtd-bios");
    let i = Inputs::new(&s, &r);
    assert!(matches!(
        reaches_owner(&i, OwnerKind::IommuRegisters),
        Truth::Fails(_)
    ));
    assert!(reaches_owner(&i, OwnerKind::Facs).holds());
}

#[test]
fn frames_and_trampoline_on_a_pv_boot() {
    let (s, r) = load("snapshots/x420-pv-pc-bios");
    let i = Inputs::new(&s, &r);
    let Truth::Holds(d) = reaches_frames(&i, &[(0xa0, 0xbf)]) else {
        panic!("the legacy SMRAM window is in a PV dom0's I/O memory");
    };
    assert_eq!(d.vars["frames"], "0xa0-0xbf");
    let Truth::Holds(t) = trampoline_reachable(&i) else {
        panic!("trampoline reachable");
    };
    assert!(t.summary[0].contains("PV dom0 maps those frames directly"));
    assert_eq!(t.frames[0].first_frame, 0x8f);
}

#[test]
fn ecam_windows_xen_uses_are_mediated() {
    let (s, r) = load("snapshots/x417-pv-q35-vtd-bios");
    assert!(matches!(
        ecam_unmediated(&Inputs::new(&s, &r)),
        Truth::Fails(_)
    ));
}

#[test]
fn without_the_q_dump_memory_predicates_are_unknown() {
    let (s, r) = load("logs/xen-dmesg/intel-thinkpad-t480s-coreboot_xen-4.17.5_qubes_legacy.txt");
    let i = Inputs::new(&s, &r);
    for t in [
        reaches_owner(&i, OwnerKind::Facs),
        reaches_frames(&i, &[(0, 0xff)]),
        trampoline_reachable(&i),
        ecam_unmediated(&i),
    ] {
        assert!(matches!(t, Truth::Unknown(_)), "{t:?}");
    }
}
