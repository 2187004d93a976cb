use dom0scope_verdict::Inputs;
use dom0scope_verdict::predicates::Truth;
use dom0scope_verdict::predicates::firmware::*;

use crate::common::load;

fn smramc() -> Registers {
    let r = Register {
        name: "SMRAMC".into(),
        description: "System Management RAM Control".into(),
        width: 1,
        fields: [("D_LCK".to_owned(), 4), ("G_SMRAME".to_owned(), 3)].into(),
        at: vec![
            Location {
                device: "0000:00:00.0".into(),
                chipset: "Intel Q35 MCH".into(),
                ids: vec!["8086:29c0".into()],
                offset: 0x9d,
                subsystem: None,
                unsupported: None,
                source: "test".into(),
            },
            Location {
                device: "0000:00:00.0".into(),
                chipset: "unsupported test chipset".into(),
                ids: vec!["8086:1237".into()],
                offset: 0x72,
                subsystem: Some("1af4".into()),
                unsupported: Some("not implemented here".into()),
                source: "test".into(),
            },
        ],
    };
    [(r.name.clone(), r)].into()
}

fn t(field: &str, equals: u8) -> BitTest {
    BitTest {
        register: "SMRAMC".into(),
        field: field.into(),
        equals,
    }
}

#[test]
fn seabios_leaves_q35_smram_enabled_and_unlocked() {
    let (s, r) = load("snapshots/x417-pv-q35-vtd-bios");
    let i = Inputs::new(&s, &r);
    let Truth::Holds(d) = register_bits(&i, &smramc(), &[t("G_SMRAME", 1), t("D_LCK", 0)]) else {
        panic!("SMRAMC is 0x0a on this capture");
    };
    assert_eq!(
        d.vars["registers"],
        "SMRAMC = 0x0a at 0000:00:00.0 offset 0x9d (G_SMRAME=1, D_LCK=0) on the Intel Q35 MCH"
    );
    assert_eq!(d.evidence[0].artifact, "pci/0000:00:00.0/config");
    assert!(matches!(
        register_bits(&i, &smramc(), &[t("D_LCK", 1)]),
        Truth::Fails(_)
    ));
}

#[test]
fn unknown_chipsets_unsupported_registers_and_bare_logs_are_not_evaluated() {
    let (s, r) = load("snapshots/x420-pv-pc-bios");
    let i = Inputs::new(&s, &r);
    let Truth::Unknown(why) = register_bits(&i, &smramc(), &[t("D_LCK", 0)]) else {
        panic!("marked unsupported");
    };
    assert_eq!(why, "not implemented here");
    let mut regs = smramc();
    regs.get_mut("SMRAMC").unwrap().at.truncate(1);
    let Truth::Unknown(why) = register_bits(&i, &regs, &[t("D_LCK", 0)]) else {
        panic!("i440FX is not in this list");
    };
    assert!(why.contains("0000:00:00.0 is 8086:1237"), "{why}");
    let (s, r) = load("logs/qemu-xen-4.20/pv-q35-qemu64.log");
    assert!(matches!(
        register_bits(&Inputs::new(&s, &r), &smramc(), &[t("D_LCK", 0)]),
        Truth::Unknown(_)
    ));
}
