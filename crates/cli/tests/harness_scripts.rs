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

/// `matrix.sh --list`: one `boot.sh NAME ARGS…` line per configuration.
fn matrix_boots() -> Vec<String> {
    let out = Command::new("bash")
        .arg(harness().join("matrix.sh"))
        .arg("--list")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("boot.sh "))
        .map(|l| format!("{l} "))
        .collect()
}

#[test]
fn matrix_covers_every_dimension_for_each_release_built_from_source() {
    // Each release harness/build-xen.sh builds boots as PV and PVH, on q35 and i440fx, with
    // SeaBIOS and OVMF, with and without an emulated IOMMU, and collects through privcmd
    // (Debian 13's xl does not speak its interface versions).
    let boots = matrix_boots();
    for rel in ["4.18", "4.19", "4.21", "4.22", "master"] {
        let mine: Vec<&String> = boots
            .iter()
            .filter(|r| r.contains(&format!(" --xen {rel} ")))
            .collect();
        let any = |what: &str, f: &dyn Fn(&str) -> bool| {
            assert!(
                mine.iter().any(|r| f(r)),
                "no Xen {rel} configuration {what}"
            );
        };
        any("with a PV dom0", &|r| !r.contains("--dom0 pvh"));
        any("with a PVH dom0", &|r| r.contains("--dom0 pvh"));
        any("on q35", &|r| !r.contains("--machine pc "));
        any("on i440fx", &|r| r.contains("--machine pc "));
        any("with SeaBIOS", &|r| !r.contains("--firmware ovmf"));
        any("with OVMF", &|r| r.contains("--firmware ovmf"));
        any("with an IOMMU", &|r| r.contains("-iommu"));
        any("without an IOMMU", &|r| !r.contains("-iommu"));
        assert!(
            mine.iter().all(|r| r.contains("--xen-access\\ privcmd")),
            "a Xen {rel} configuration collects through xl: {mine:?}"
        );
    }
}

#[test]
fn matrix_covers_the_required_dimensions() {
    let boots = matrix_boots();
    let runs: Vec<&str> = boots.iter().map(String::as_str).collect();
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
