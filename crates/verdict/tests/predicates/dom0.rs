use dom0scope_verdict::Inputs;
use dom0scope_verdict::inputs::Lockdown;
use dom0scope_verdict::predicates::Truth;
use dom0scope_verdict::predicates::dom0::*;

use crate::common::load;

#[test]
fn collected_snapshots_show_lockdown_none_linux_and_secure_boot_off() {
    let (s, r) = load("snapshots/x417-pv-q35-uefi");
    let i = Inputs::new(&s, &r);
    let Truth::Holds(d) = dom0_lockdown_below(&i, LockdownLevel::Integrity) else {
        panic!("lockdown is none in the captures");
    };
    assert_eq!(d.evidence[0].artifact, "linux/lockdown");
    assert!(privcmd_unrestricted(&i).holds());
    assert!(uefi_secure_boot(&i, false).holds());
    assert!(matches!(uefi_secure_boot(&i, true), Truth::Fails(_)));
}

#[test]
fn a_bare_log_cannot_tell() {
    let (s, r) = load("logs/qemu-xen-4.17/pvh-q35-viommu.log");
    let i = Inputs::new(&s, &r);
    assert!(matches!(
        dom0_lockdown_below(&i, LockdownLevel::Integrity),
        Truth::Unknown(_)
    ));
    assert!(matches!(privcmd_unrestricted(&i), Truth::Unknown(_)));
    assert!(matches!(uefi_secure_boot(&i, false), Truth::Unknown(_)));
}

#[test]
fn an_integrity_lockdown_passes_the_integrity_check_only() {
    let (s, mut r) = load("snapshots/x417-pv-q35-uefi");
    r.lockdown.as_mut().unwrap().0 = Lockdown::Integrity;
    let i = Inputs::new(&s, &r);
    assert!(matches!(
        dom0_lockdown_below(&i, LockdownLevel::Integrity),
        Truth::Fails(_)
    ));
    assert!(dom0_lockdown_below(&i, LockdownLevel::Confidentiality).holds());
}
