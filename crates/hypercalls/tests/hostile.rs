//! Hostile snapshots: whatever the build configuration and Xen command line
//! hold, evaluating the surface never panics and stays total.

use std::collections::BTreeMap;

use dom0scope_facts::Facts;
use dom0scope_facts::xen_config::HYPFS_CONFIG;
use dom0scope_hypercalls::surface;
use dom0scope_snapshot::{Origin, Snapshot};

fn snapshot(config: &[u8], cmdline: &str) -> Snapshot {
    let log = format!(
        "(XEN) Xen version 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1) (pkg-xen-devel@lists.alioth.debian.org) (gcc) debug=n Wed Nov  4 16:52:28 UTC 2026\n\
         (XEN) Bootloader: EFI\n(XEN) Command line: {cmdline}\n(XEN) EFI RAM map:\n\
         (XEN)  [0000000000000000, 000000000009ffff] (usable)\n"
    );
    let mut files = BTreeMap::new();
    files.insert("xen/dmesg.txt".to_owned(), log.into_bytes());
    files.insert(HYPFS_CONFIG.to_owned(), config.to_vec());
    Snapshot::from_files(
        Origin::Directory {
            path: "hostile".into(),
        },
        files,
    )
}

fn check(config: &[u8], cmdline: &str) {
    let s = snapshot(config, cmdline);
    let Ok(facts) = Facts::extract(&s) else {
        return;
    };
    let surf = surface(&facts);
    let c = surf.summary;
    assert_eq!(c.available + c.not_available + c.unknown, c.total);
    assert_eq!(c.total, surf.operations.len());
}

#[test]
fn the_minimal_log_parses_and_efi_no_rs_counts() {
    let s = snapshot(b"CONFIG_KEXEC=y\n# CONFIG_XSM is not set\n", "efi=no-rs");
    let facts = Facts::extract(&s).unwrap();
    let surf = surface(&facts);
    let set_var = surf
        .operations
        .iter()
        .find(|o| o.op.id == "platform_op.efi_runtime_call.set_variable")
        .unwrap();
    assert_eq!(
        set_var.availability.to_string(),
        "not available (efi=no-rs on the command line)"
    );
}

proptest::proptest! {
    #[test]
    fn arbitrary_config_and_cmdline(
        config in proptest::collection::vec(proptest::num::u8::ANY, 0..1024),
        cmdline in "[ -~]{0,200}",
    ) {
        check(&config, &cmdline);
    }

    #[test]
    fn config_and_cmdline_that_look_real(
        config in "((# )?CONFIG_(XSM|XSM_FLASK|XSM_SILO|XSM_FLASK_DEFAULT|KEXEC|LIVEPATCH|CMDLINE|CMDLINE_OVERRIDE)(=[yn]| is not set|=\"[a-z=, -]{0,20}\")\n){0,12}",
        cmdline in "((no-)?(efi|xsm|flask|mce|cpufreq|crashkernel)(=[a-z0-9,:;_-]{0,12})? ){0,8}",
    ) {
        check(config.as_bytes(), &cmdline);
    }
}
