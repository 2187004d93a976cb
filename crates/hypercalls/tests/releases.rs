//! Options that exist only from a release on (`kconfig_since`): CONFIG_SYSCTL (4.21) gates
//! every sysctl and CONFIG_MICROCODE_LOADING (4.22) late microcode loading, while the same
//! build configuration on an older release decides nothing through them.

use std::collections::BTreeMap;

use dom0scope_facts::Facts;
use dom0scope_facts::xen_config::HYPFS_CONFIG;
use dom0scope_hypercalls::{Availability, surface};
use dom0scope_snapshot::{Origin, Snapshot};

/// A PV dom0 on dummy XSM, built with `config`, running Xen `version`.
fn facts(version: &str, config: &str) -> Facts {
    let log = format!(
        "(XEN) Xen version {version} (dom0scope@harness) (gcc (Debian 12.2.0-14+deb12u1) 12.2.0) debug=n Wed Jul 29 18:59:28 UTC 2026\n\
         (XEN) Bootloader: GRUB 2.06-13+deb12u1\n(XEN) Command line: console=com1\n\
         (XEN) Xen-e820 RAM map:\n(XEN)  [0000000000000000, 000000000009fbff] (usable)\n\
         (XEN) *** Building a PV Dom0 ***\n"
    );
    let mut files = BTreeMap::new();
    files.insert("xen/dmesg.txt".to_owned(), log.into_bytes());
    files.insert(HYPFS_CONFIG.to_owned(), config.as_bytes().to_vec());
    let s = Snapshot::from_files(
        Origin::Directory {
            path: "releases".into(),
        },
        files,
    );
    Facts::extract(&s).expect("the log parses")
}

fn state(f: &Facts, id: &str) -> Availability {
    let s = surface(f);
    s.operations
        .iter()
        .find(|o| o.op.id == id)
        .unwrap_or_else(|| panic!("{id} in the table"))
        .availability
        .clone()
}

const WITHOUT: &str = "CONFIG_KEXEC=y\nCONFIG_LIVEPATCH=y\n# CONFIG_SYSCTL is not set\n\
                       # CONFIG_MICROCODE_LOADING is not set\n# CONFIG_XSM is not set\n";

#[test]
fn sysctl_and_microcode_loading_decide_from_their_release_on() {
    let new = facts("4.22.0", WITHOUT);
    for id in [
        "sysctl.debug_keys",
        "sysctl.livepatch_op",
        "sysctl.readconsole",
    ] {
        match state(&new, id) {
            Availability::NotAvailable { why } => {
                assert!(
                    why.contains(&"CONFIG_SYSCTL is not set".to_owned()),
                    "{id}: {why:?}"
                )
            }
            other => panic!("{id} on 4.22 without SYSCTL: {other}"),
        }
    }
    match state(&new, "platform_op.microcode_update2") {
        Availability::NotAvailable { why } => assert!(
            why.contains(&"CONFIG_MICROCODE_LOADING is not set".to_owned()),
            "{why:?}"
        ),
        other => panic!("microcode_update2 on 4.22 without MICROCODE_LOADING: {other}"),
    }
    // 4.21 has CONFIG_SYSCTL but not CONFIG_MICROCODE_LOADING.
    let mid = facts("4.21.2", WITHOUT);
    assert!(matches!(
        state(&mid, "sysctl.debug_keys"),
        Availability::NotAvailable { .. }
    ));
    assert_eq!(
        state(&mid, "platform_op.microcode_update2"),
        Availability::Available
    );
    // 4.20 has neither option: the same lines in a config decide nothing there.
    let old = facts("4.20.4", WITHOUT);
    assert_eq!(state(&old, "sysctl.debug_keys"), Availability::Available);
    assert_eq!(
        state(&old, "platform_op.microcode_update2"),
        Availability::Available
    );
    // 4.18 lacks the operation itself.
    match state(&facts("4.18.6", WITHOUT), "platform_op.microcode_update2") {
        Availability::NotAvailable { why } => assert_eq!(why, ["not in Xen 4.18"]),
        other => panic!("{other}"),
    }
}

#[test]
fn the_real_4_22_build_keeps_its_sysctls_and_says_why() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/snapshots/x422-pv-pc-uefi"
    );
    let snap = Snapshot::open(std::path::Path::new(dir)).expect("the committed snapshot opens");
    let f = Facts::extract(&snap).expect("facts");
    let s = surface(&f);
    let op = s
        .operations
        .iter()
        .find(|o| o.op.id == "sysctl.debug_keys")
        .unwrap();
    assert_eq!(op.availability, Availability::Available);
    assert!(
        op.evidence
            .iter()
            .any(|e| e.text.contains("CONFIG_SYSCTL=y")),
        "{:?}",
        op.evidence
    );
    assert_eq!(s.summary.unknown, 0, "every operation judged on 4.22");
}
