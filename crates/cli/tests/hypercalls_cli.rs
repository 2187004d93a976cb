//! `dom0scope hypercalls` on real snapshots and logs, and on modified copies:
//! EFI runtime calls follow the EFI boot and `efi=no-rs`; kexec and livepatch
//! follow the build configuration when collected and are unknown otherwise.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `dom0scope hypercalls --format json PATH` and parses the document.
fn json(path: &Path) -> Value {
    let out = Command::cargo_bin("dom0scope")
        .unwrap()
        .env("NO_COLOR", "1")
        .current_dir(root())
        .args(["hypercalls", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn op<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

fn state(doc: &Value, id: &str) -> String {
    op(doc, id)["availability"]["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn reasons(doc: &Value, id: &str) -> String {
    let a = &op(doc, id)["availability"];
    a.get("why")
        .or_else(|| a.get("needs"))
        .map(Value::to_string)
        .unwrap_or_default()
}

const EFI_CALLS: &[&str] = &[
    "get_time",
    "set_time",
    "get_wakeup_time",
    "set_wakeup_time",
    "get_next_high_monotonic_count",
    "get_variable",
    "set_variable",
    "get_next_variable_name",
    "query_variable_info",
];

fn efi(sub: &str) -> String {
    format!("platform_op.efi_runtime_call.{sub}")
}

/// Copies a snapshot directory, dropping its manifest (the copy is edited).
fn copy_snapshot(name: &str, dir: &Path) -> PathBuf {
    let to = dir.join(name);
    common::copy_dir(&root().join("testdata/snapshots").join(name), &to);
    std::fs::remove_file(to.join("manifest.json")).unwrap();
    to
}

fn edit(path: &Path, f: impl Fn(&str) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, text.lines().map(|l| f(l) + "\n").collect::<String>()).unwrap();
}

#[test]
fn efi_runtime_calls_are_available_on_the_uefi_snapshot_and_log() {
    let snap = json(Path::new("testdata/snapshots/x417-pv-q35-uefi"));
    let log = json(Path::new(
        "testdata/logs/qemu-xen-4.17/uefi-pv-q35-qemu64.log",
    ));
    for sub in EFI_CALLS {
        assert_eq!(state(&snap, &efi(sub)), "available", "{sub}");
        assert_eq!(op(&snap, &efi(sub))["assumed"], false, "{sub}");
        // The bare log holds no build configuration: XSM comes from Debian's, marked assumed.
        assert_eq!(state(&log, &efi(sub)), "available", "{sub}");
        assert_eq!(op(&log, &efi(sub))["assumed"], true, "{sub}");
    }
    for sub in ["query_capsule_capabilities", "update_capsule"] {
        assert_eq!(state(&snap, &efi(sub)), "not_available");
        assert!(reasons(&snap, &efi(sub)).contains("not implemented"));
    }
    assert_eq!(snap["host"]["efi_boot"], true);
    assert_eq!(snap["schema"], "dom0scope-hypercalls/1");
}

#[test]
fn efi_runtime_calls_are_not_available_on_bios_boots() {
    for s in [
        "x417-pv-q35-vtd-bios",
        "x420-pv-pc-bios",
        "x420-pvh-q35-vtd-bios",
    ] {
        let doc = json(&Path::new("testdata/snapshots").join(s));
        for sub in EFI_CALLS {
            assert_eq!(state(&doc, &efi(sub)), "not_available", "{s} {sub}");
            assert_eq!(reasons(&doc, &efi(sub)), r#"["no EFI"]"#, "{s} {sub}");
        }
    }
}

#[test]
fn efi_no_rs_takes_the_runtime_calls_away() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = copy_snapshot("x417-pv-q35-uefi", tmp.path());
    for f in ["xen/dmesg.txt", "xen/dmesg-boot.txt"] {
        edit(&snap.join(f), |l| {
            if l.starts_with("(XEN) Command line:") {
                format!("{l} efi=attr=uc,no-rs")
            } else {
                l.to_owned()
            }
        });
    }
    let log = tmp.path().join("uefi-no-rs.log");
    std::fs::copy(
        root().join("testdata/logs/qemu-xen-4.17/uefi-pv-q35-qemu64.log"),
        &log,
    )
    .unwrap();
    edit(&log, |l| {
        if l.contains("(XEN) Command line:") {
            format!("{l} efi=no-rs")
        } else {
            l.to_owned()
        }
    });
    for doc in [json(&snap), json(&log)] {
        for sub in EFI_CALLS {
            assert_eq!(state(&doc, &efi(sub)), "not_available", "{sub}");
            assert!(
                reasons(&doc, &efi(sub)).contains("no-rs on the command line"),
                "{sub}"
            );
        }
        // Firmware info stays: efi=no-rs only stops the runtime calls.
        assert_eq!(state(&doc, "platform_op.firmware_info"), "available");
    }
}

#[test]
fn kexec_and_livepatch_follow_the_collected_build_configuration() {
    let doc = json(Path::new("testdata/snapshots/x420-pv-pc-bios"));
    for id in ["kexec_op.load", "kexec_op.exec", "sysctl.livepatch_op"] {
        assert_eq!(state(&doc, id), "available", "{id}");
        assert_eq!(op(&doc, id)["assumed"], false);
        let ev = op(&doc, id)["evidence"].to_string();
        assert!(ev.contains("xen/hypfs/cat/buildinfo/config"), "{id}: {ev}");
    }
    // Without a crash area, no crash image can be loaded.
    assert!(reasons(&doc, "kexec_op.load_crash").contains("crashkernel"));
    // A PVH dom0 has no kexec_op at all.
    let pvh = json(Path::new("testdata/snapshots/x420-pvh-q35-vtd-bios"));
    assert!(reasons(&pvh, "kexec_op.load").contains("PV-only"));

    let tmp = tempfile::tempdir().unwrap();
    let snap = copy_snapshot("x420-pv-pc-bios", tmp.path());
    edit(&snap.join("xen/hypfs/cat/buildinfo/config"), |l| match l {
        "CONFIG_KEXEC=y" => "# CONFIG_KEXEC is not set".into(),
        "CONFIG_LIVEPATCH=y" => "# CONFIG_LIVEPATCH is not set".into(),
        _ => l.to_owned(),
    });
    let off = json(&snap);
    for (id, why) in [
        ("kexec_op.load", "CONFIG_KEXEC is not set"),
        ("kexec_op.get_range", "CONFIG_KEXEC is not set"),
        ("sysctl.livepatch_op", "CONFIG_LIVEPATCH is not set"),
    ] {
        assert_eq!(state(&off, id), "not_available", "{id}");
        assert!(reasons(&off, id).contains(why), "{id}");
    }
}

#[test]
fn kexec_and_livepatch_are_unknown_without_a_build_configuration() {
    // Not a Debian build and no config collected: nothing to read CONFIG_KEXEC from.
    let tmp = tempfile::tempdir().unwrap();
    let snap = copy_snapshot("x420-pv-pc-bios", tmp.path());
    std::fs::remove_file(snap.join("xen/hypfs/cat/buildinfo/config")).unwrap();
    for f in ["xen/dmesg.txt", "xen/dmesg-boot.txt"] {
        edit(&snap.join(f), |l| {
            l.replace(" (Debian 4.20.4+63-g7abfd2bce2-0+deb13u1)", "")
        });
    }
    let doc = json(&snap);
    assert!(doc["host"]["config"].is_null());
    for (id, k) in [
        ("kexec_op.load", "CONFIG_KEXEC"),
        ("sysctl.livepatch_op", "CONFIG_LIVEPATCH"),
    ] {
        assert_eq!(state(&doc, id), "unknown", "{id}");
        assert!(
            reasons(&doc, id).contains(&format!("the build configuration ({k})")),
            "{id}"
        );
    }
    // A real non-Debian log (Qubes 4.17.5) says the same.
    let qubes = json(Path::new(
        "testdata/logs/xen-dmesg/intel-thinkpad-t480s-coreboot_xen-4.17.5_qubes_legacy.txt",
    ));
    assert_eq!(state(&qubes, "kexec_op.load"), "unknown");
    assert_eq!(state(&qubes, "sysctl.livepatch_op"), "unknown");

    // A Debian build with no config collected: Debian's shipped config, marked assumed.
    let debian = json(Path::new("testdata/logs/qemu-xen-4.20/pv-q35-qemu64.log"));
    assert_eq!(debian["host"]["config"]["source"], "debian_default");
    assert_eq!(state(&debian, "kexec_op.load"), "available");
    assert_eq!(op(&debian, "kexec_op.load")["assumed"], true);
}

#[test]
fn versions_the_table_was_not_checked_against_decide_nothing() {
    let doc = json(Path::new(
        "testdata/logs/xen-dmesg/intel-xeon-skylakesp-supermicro_xen-4.14.3_uefi_flask.txt",
    ));
    assert_eq!(doc["summary"]["unknown"], doc["summary"]["total"]);
    let why = reasons(&doc, "kexec_op.load");
    assert!(why.contains("a table checked against Xen 4.14"), "{why}");
    // 4.18 is checked (RELEASE-4.18.6): the version decides, so only FLASK stays open, and
    // the operations 4.18 lacks are not available.
    let doc = json(Path::new(
        "testdata/logs/xen-dmesg/amd-ryzen-7040-phoenix_xen-4.18.3-debug_uefi_flask_serial.txt",
    ));
    assert_eq!(doc["host"]["xsm"], "flask_enforcing");
    assert_eq!(state(&doc, "domctl.gsi_permission"), "not_available");
    assert!(reasons(&doc, "domctl.gsi_permission").contains("not in Xen 4.18"));
    assert_eq!(state(&doc, "platform_op.get_dom0_console"), "unknown");
    assert!(!reasons(&doc, "platform_op.get_dom0_console").contains("table checked"));
}

#[test]
fn text_output_to_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("h.txt");
    Command::cargo_bin("dom0scope")
        .unwrap()
        .current_dir(root())
        .args(["hypercalls", "testdata/snapshots/x417-pv-q35-uefi", "-o"])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(out).unwrap();
    assert!(text.contains(" operations: "));
    assert!(!text.contains('\u{1b}'));
}
