//! Fast checks of the QEMU/Xen harness (harness/*.sh) that need no QEMU: every script parses,
//! and the named matrix covers every dimension the real-Xen tests promise. The boots
//! themselves run with `harness/matrix.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../harness")
}

#[test]
fn scripts_parse() {
    // Every script in harness/ (the dom0 /init scripts run under busybox sh, the rest bash).
    let mut n = 0;
    for e in std::fs::read_dir(harness()).unwrap() {
        let p = e.unwrap().path();
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".sh") {
            continue;
        }
        // dom0's side (the /init scripts and dom0-lib.sh) is busybox sh.
        let shell = if name.ends_with("init.sh") || name.starts_with("dom0-") {
            "sh"
        } else {
            "bash"
        };
        let st = Command::new(shell).arg("-n").arg(&p).status().unwrap();
        assert!(st.success(), "{name} does not parse");
        n += 1;
    }
    assert!(n >= 12, "only {n} scripts found in harness/");
}

#[test]
fn dom0_library_is_where_both_init_scripts_source_it() {
    // build-initrd.sh puts dom0-lib.sh into every initramfs, enforce.sh into its appended
    // archive, and both /init scripts source it from there: one path in all four.
    let lib = "/usr/lib/harness/dom0-lib.sh";
    let read = |f: &str| std::fs::read_to_string(harness().join(f)).unwrap();
    for init in ["init.sh", "enforce-init.sh"] {
        assert!(
            read(init).lines().any(|l| l.trim() == format!(". {lib}")),
            "{init} does not source {lib}"
        );
    }
    for builder in ["build-initrd.sh", "enforce.sh"] {
        let installs = |l: &str| {
            l.starts_with("install ")
                && l.contains("\"$HARNESS_DIR/dom0-lib.sh\"")
                && l.contains(&format!("{lib}\""))
        };
        assert!(
            read(builder).lines().any(installs),
            "{builder} does not install dom0-lib.sh as {lib}"
        );
    }
}

#[test]
fn matrix_covers_the_required_dimensions() {
    let out = Command::new("bash")
        .arg(harness().join("matrix.sh"))
        .arg("--list")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let runs: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("boot.sh "))
        .collect();
    assert!(runs.len() >= 8, "only {} configurations", runs.len());
    let any = |f: &dyn Fn(&str) -> bool| runs.iter().any(|r| f(r));
    for needle in [
        "--xen 4.17",
        "--xen 4.20",
        "--machine pc",
        "--firmware ovmf",
        "--dom0 pvh",
        "intel-iommu",
        "amd-iommu",
        "dom0_ioports_disable=",
        "--console com2",
    ] {
        assert!(
            any(&|r| r.contains(needle)),
            "no configuration with {needle}"
        );
    }
    assert!(
        any(&|r| !r.contains("--machine pc")),
        "no q35 configuration"
    );
    assert!(
        any(&|r| !r.contains("--firmware ovmf")),
        "no SeaBIOS configuration"
    );
    assert!(
        any(&|r| !r.contains("iommu")),
        "no configuration without an IOMMU"
    );
    assert!(
        any(&|r| r.contains("vendor=GenuineIntel") && !r.contains("--dom0 pvh")),
        "no PV configuration with an Intel vendor string"
    );
    assert!(
        any(&|r| r.contains("--xen-cmdline ")
            && !r.contains("loglvl")
            && !r.contains("conring_size")),
        "no configuration at Xen's default log level and console ring size"
    );
}
