use dom0scope_verdict::Inputs;
use dom0scope_verdict::predicates::Truth;
use dom0scope_verdict::predicates::ports::*;

use crate::common::load;

fn specs() -> Vec<PortSpec> {
    vec![
        PortSpec {
            first: 0xcf9,
            last: 0xcf9,
            name: "reset control".into(),
        },
        PortSpec {
            first: 0x4d0,
            last: 0x4d1,
            name: "ELCR".into(),
        },
    ]
}

#[test]
fn xen_417_leaves_reset_and_elcr_ports_to_dom0() {
    let (s, r) = load("snapshots/x417-pv-q35-vtd-bios");
    let Truth::Holds(d) = ports_reachable(&Inputs::new(&s, &r), &specs()) else {
        panic!("4.17 grants 0xcf9 and the ELCR");
    };
    assert_eq!(d.vars["ports_disable"], "cf9,4d0-4d1");
    assert!(d.evidence[0].text.contains("I/O Ports"));
}

#[test]
fn xen_420_denies_them() {
    let (s, r) = load("snapshots/x420-pv-pc-bios");
    assert!(matches!(
        ports_reachable(&Inputs::new(&s, &r), &specs()),
        Truth::Fails(_)
    ));
}

#[test]
fn pm1_control_ports_are_reachable() {
    let (s, r) = load("snapshots/x417-pv-q35-uefi");
    let Truth::Holds(d) = ports_reachable_owner(&Inputs::new(&s, &r), PortOwnerKind::Pm1Control)
    else {
        panic!("PM1 control reachable");
    };
    assert!(d.vars["ports"].contains("PM1a_CNT"), "{:?}", d.vars);
}

#[test]
fn bare_log_without_dump_is_unknown() {
    let (s, r) = load("logs/xen-dmesg/intel-thinkpad-t480s-coreboot_xen-4.17.5_qubes_legacy.txt");
    let i = Inputs::new(&s, &r);
    assert!(matches!(ports_reachable(&i, &specs()), Truth::Unknown(_)));
    assert!(matches!(
        ports_reachable_owner(&i, PortOwnerKind::Acpi),
        Truth::Unknown(_)
    ));
}
