//! `dom0scope audit` end to end on real snapshots and on hostile input.

mod common;

use common::{copy_dir, dom0scope, testdata};

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

#[test]
fn no_argument_audits_the_bundled_example_and_says_so() {
    dom0scope()
        .arg("audit")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bundled example snapshot"))
        .stdout(predicate::str::contains(
            "audit of bundled example snapshot x417-pv-q35-vtd-bios",
        ))
        .stdout(predicate::str::contains("CRITICAL DOM0_LOWMEM_TRAMPOLINE"));
    dom0scope()
        .args(["audit", "--details"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "I/O Memory { 0-fed8f, fed91-fedff, fef00-fcfffff }",
        ));
}

#[test]
fn every_collected_snapshot_fires_the_trampoline_rule_worded_per_mode() {
    for (name, mode_words) in [
        ("x417-pv-q35-vtd-bios", "PV dom0 maps those frames directly"),
        ("x417-pv-q35-uefi", "PV dom0 maps those frames directly"),
        ("x420-pv-pc-bios", "PV dom0 maps those frames directly"),
        ("x420-pvh-q35-vtd-bios", "This PVH dom0 cannot map DOMID_IO"),
    ] {
        let out = dom0scope()
            .args(["audit", "--details"])
            .arg(testdata(&format!("snapshots/{name}")))
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("DOM0_LOWMEM_TRAMPOLINE"), "{name}");
        assert!(text.contains(mode_words), "{name}: {text}");
        assert!(
            text.contains("xen/dmesg.txt:"),
            "{name}: evidence must cite the artifact"
        );
        assert!(
            !text.contains("degraded"),
            "{name}: verified snapshot reported degraded"
        );
    }
}

#[test]
fn fail_on_critical_still_fails_and_json_is_valid() {
    let out = dom0scope()
        .args(["audit", "--format", "json", "--fail-on", "critical"])
        .arg(testdata("logs/qemu-xen-4.20/pv-q35-qemu64.log"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(v["schema"], "dom0scope-audit/1");
    let findings = v["verdict"]["findings"].as_array().unwrap();
    let t = findings
        .iter()
        .find(|f| f["id"] == "DOM0_LOWMEM_TRAMPOLINE")
        .expect("trampoline finding");
    // The trampoline as Xen placed it on SeaBIOS (measured: 0x8f000).
    assert_eq!(t["frames"][0]["first_frame"], "0x8f");
    assert_eq!(t["frames"][0]["last_frame"], "0x90");
    assert_eq!(v["host"]["xen_version"], "4.20.5-pre");
    assert_eq!(v["fails"], true);
}

#[test]
fn a_log_without_the_q_dump_reports_the_rule_not_evaluated() {
    // A real machine's boot log: no debug-key 'q' dump, so no observed reach.
    dom0scope()
        .args(["audit", "--details"])
        .arg(testdata(
            "logs/xen-dmesg/intel-thinkpad-t480s-coreboot_xen-4.17.5_qubes_legacy.txt",
        ))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "NOT EVALUATED DOM0_LOWMEM_TRAMPOLINE",
        ))
        // A legacy (BIOS) boot has no EFI runtime services: that rule is decided
        // (it passes) even without the rangesets.
        .stdout(predicate::str::contains("NOT EVALUATED DOM0_EFI_RUNTIME_WRITE").not())
        .stdout(
            predicate::str::is_match(r"\n  Passed \(\d+\): (.|\n    )*DOM0_EFI_RUNTIME_WRITE")
                .unwrap(),
        )
        // The IOMMU mode is in the log, so the DMA rule is judged.
        .stdout(predicate::str::contains("CRITICAL DOM0_DMA_XEN_HEAP"))
        .stdout(predicate::str::contains("rule(s) not evaluated"))
        .stdout(predicate::str::contains(
            "NOT EVALUATED DOM0_KERNEL_LOCKDOWN_OFF",
        ));
}

#[test]
fn output_file_has_no_ansi_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.txt");
    Command::cargo_bin("dom0scope")
        .unwrap()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .arg("audit")
        .arg(testdata("snapshots/x417-pv-q35-uefi"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stdout("");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("DOM0_LOWMEM_TRAMPOLINE"));
    assert!(!text.contains('\x1b'));
}

#[test]
fn unusable_inputs_exit_2_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, b"").unwrap();
    let garbage = dir.path().join("garbage.bin");
    let bytes: Vec<u8> = (0u32..5000)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&garbage, bytes).unwrap();
    let long = dir.path().join("long.log");
    std::fs::write(&long, vec![b'x'; 100 << 20]).unwrap();
    let missing = dir.path().join("missing.log");
    let empty_dir = dir.path().join("emptydir");
    std::fs::create_dir(&empty_dir).unwrap();
    for (path, words) in [
        (&empty, "file is empty"),
        (&garbage, "not a Xen log"),
        (&long, "over-long line"),
        (&missing, "No such file"),
        (&empty_dir, "holds no files"),
    ] {
        dom0scope()
            .arg("audit")
            .arg(path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(path.display().to_string()))
            .stderr(predicate::str::contains(words))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn usage_errors_exit_2() {
    dom0scope()
        .args(["audit", "--format", "xml"])
        .assert()
        .code(2);
    dom0scope().arg("frobnicate").assert().code(2);
}

/// A tar of a real snapshot directory, optionally gzip-compressed.
fn tar_of(dir: &Path, gz: bool) -> Vec<u8> {
    let mut raw = Vec::new();
    {
        let mut b = tar::Builder::new(&mut raw);
        b.append_dir_all("snap", dir).unwrap();
        b.finish().unwrap();
    }
    if !gz {
        return raw;
    }
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&raw).unwrap();
    e.finish().unwrap()
}

#[test]
fn tar_and_tar_gz_snapshots_audit_like_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    for gz in [false, true] {
        let path = dir.path().join(if gz { "s.tar.gz" } else { "s.tar" });
        std::fs::write(
            &path,
            tar_of(&testdata("snapshots/x417-pv-q35-vtd-bios"), gz),
        )
        .unwrap();
        dom0scope()
            .args(["audit", "--details"])
            .arg(&path)
            .assert()
            .code(1)
            .stdout(predicate::str::contains("snapshot archive"))
            .stdout(predicate::str::contains(
                "I/O Memory { 0-fed8f, fed91-fedff, fef00-fcfffff }",
            ))
            .stdout(predicate::str::contains("degraded").not());
    }
}

#[test]
fn truncated_tar_is_an_error_naming_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let full = tar_of(&testdata("snapshots/x417-pv-q35-vtd-bios"), false);
    let path = dir.path().join("cut.tar");
    std::fs::write(&path, &full[..700]).unwrap();
    dom0scope()
        .arg("audit")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cut.tar"))
        .stderr(predicate::str::contains("at byte"));
}

#[test]
fn damaged_artifact_degrades_instead_of_aborting() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&testdata("snapshots/x417-pv-q35-vtd-bios"), &snap);
    // Damage a file the audit does not need, and append to the one it does.
    std::fs::write(snap.join("acpi/HPET"), b"garbage").unwrap();
    let mut log = std::fs::read(snap.join("xen/dmesg.txt")).unwrap();
    log.extend_from_slice(b"(XEN) ACPI: IOAPIC (id[0xZZ] broken)\n");
    std::fs::write(snap.join("xen/dmesg.txt"), log).unwrap();
    std::fs::remove_file(snap.join("linux/cmdline")).unwrap();
    // The default view says the audit is degraded and why; the details add the warnings.
    dom0scope()
        .arg("audit")
        .arg(&snap)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Snapshot problems (the audit is degraded)",
        ))
        .stdout(predicate::str::contains("acpi/HPET: damaged"))
        .stdout(predicate::str::contains(
            "The snapshot is degraded (3 problem(s)",
        ))
        .stdout(predicate::str::contains("2 parse warning(s)"))
        .stdout(predicate::str::contains("unreadable ACPI IOAPIC line").not());
    dom0scope()
        .args(["audit", "--details"])
        .arg(&snap)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Snapshot problems (the audit is degraded)",
        ))
        .stdout(predicate::str::contains("acpi/HPET: damaged"))
        .stdout(predicate::str::contains("xen/dmesg.txt: damaged"))
        .stdout(predicate::str::contains(
            "linux/cmdline: listed in manifest.json but missing",
        ))
        .stdout(predicate::str::contains("unreadable ACPI IOAPIC line"))
        .stdout(predicate::str::contains("DOM0_LOWMEM_TRAMPOLINE"));
}

#[test]
fn corrupt_manifest_is_reported_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&testdata("snapshots/x420-pv-pc-bios"), &snap);
    std::fs::write(
        snap.join("manifest.json"),
        b"{\n  \"format\": \"dom0scope-snapshot/1\",\n  \"files\": [\n",
    )
    .unwrap();
    dom0scope()
        .arg("audit")
        .arg(&snap)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("manifest unreadable at line"))
        .stdout(predicate::str::contains("DOM0_LOWMEM_TRAMPOLINE"));
}

#[test]
fn a_revoked_trampoline_no_longer_fires_the_rule() {
    // Xen's rangeset after dom0 gave up frames 0x8f-0x90 (the measured self-revocation).
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(testdata("logs/qemu-xen-4.17/pvh-q35-viommu.log")).unwrap();
    let log = String::from_utf8_lossy(&bytes);
    let path = dir.path().join("revoked.log");
    std::fs::write(
        &path,
        log.replace("I/O Memory { 0-fedff,", "I/O Memory { 0-8e, 91-fedff,"),
    )
    .unwrap();
    dom0scope()
        .args(["audit", "--details"])
        .arg(&path)
        .assert()
        .code(1)
        // Other rules' texts may name it; the rule itself neither fires nor waits.
        .stdout(predicate::str::contains("CRITICAL DOM0_LOWMEM_TRAMPOLINE").not())
        .stdout(predicate::str::contains("NOT EVALUATED DOM0_LOWMEM_TRAMPOLINE").not())
        .stdout(predicate::str::contains("DIFFERS from Xen's rangesets"))
        .stdout(predicate::str::contains(
            "INFO     DOM0_REACH_DIFFERS_FROM_MODEL",
        ));
}

#[test]
fn a_read_only_trampoline_closes_the_rule_and_a_writable_one_does_not() {
    // Real boots of Xen built with `harden --xen-patch`'s series (harness/patched.sh): 4.22.0
    // from upstream source, and 4.17.5 from Debian 12's source package (Debian's banner and
    // patch queue, Debian 12's 6.1 dom0), PV and PVH dom0: the trampoline stays in dom0's I/O
    // Memory, read-only (its `[dom0-ro-trampoline]` line).
    for name in [
        "qemu-xen-4.22-patched/pv-q35-bios-ro-trampoline.log",
        "qemu-xen-4.22-patched/pvh-q35-bios-ro-trampoline.log",
        "qemu-xen-4.17-debian-patched/pv-q35-bios-ro-trampoline.log",
        "qemu-xen-4.17-debian-patched/pvh-q35-amdvi-bios-ro-trampoline.log",
    ] {
        let real = testdata(&format!("logs/{name}"));
        dom0scope()
            .args(["audit", "--details"])
            .arg(&real)
            .assert()
            .code(1)
            .stdout(predicate::str::contains("CRITICAL DOM0_LOWMEM_TRAMPOLINE").not())
            .stdout(predicate::str::contains("NOT EVALUATED DOM0_LOWMEM_TRAMPOLINE").not());
        // The same rangesets without the tag line: nothing says the frames are read-only, so
        // dom0 can write them and the rule fires.
        let (_dir, path) = without_tag(&real, "[dom0-ro-trampoline]");
        dom0scope()
            .arg("audit")
            .arg(&path)
            .assert()
            .code(1)
            .stdout(predicate::str::contains("CRITICAL DOM0_LOWMEM_TRAMPOLINE"));
    }
}

/// A copy of the real log `real` without its lines carrying a patch's `tag` (at least one must
/// go): the same rangesets, without the evidence that the patch ran. The directory holds it.
fn without_tag(real: &Path, tag: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let text = String::from_utf8_lossy(&std::fs::read(real).unwrap()).into_owned();
    let untagged: String = text
        .lines()
        .filter(|l| !l.contains(tag))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        untagged.len() < text.len(),
        "{}: no {tag} line",
        real.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("untagged.log");
    std::fs::write(&path, untagged).unwrap();
    (dir, path)
}

#[test]
fn read_only_efi_runtime_data_closes_the_write_rule_and_writable_data_does_not() {
    // Real OVMF boots of Xen 4.22.0 and of Debian 12's 4.17.5 built with `harden
    // --xen-patch`'s series: runtime code denied (gone from dom0's I/O Memory), runtime data
    // kept but read-only (its `[dom0-protect-efi-rt]` line), the trampoline read-only too.
    for name in [
        "qemu-xen-4.22-patched/pv-q35-uefi-ro-trampoline-efi-rt.log",
        "qemu-xen-4.17-debian-patched/pv-q35-uefi-ro-trampoline-efi-rt.log",
    ] {
        efi_runtime_data_read_only(&testdata(&format!("logs/{name}")));
    }
}

/// `audit` of a real patched OVMF boot's log, with and without the EFI patch's line.
fn efi_runtime_data_read_only(real: &Path) {
    dom0scope()
        .arg("audit")
        .arg(real)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("CRITICAL DOM0_EFI_RUNTIME_WRITE").not())
        .stdout(predicate::str::contains("CRITICAL DOM0_LOWMEM_TRAMPOLINE").not());
    // The same rangesets without the EFI patch's line: the data frames are writable.
    let (_dir, path) = without_tag(real, "[dom0-protect-efi-rt]");
    dom0scope()
        .arg("audit")
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("CRITICAL DOM0_EFI_RUNTIME_WRITE"))
        .stdout(predicate::str::contains("CRITICAL DOM0_LOWMEM_TRAMPOLINE").not());
}

#[test]
fn the_s3_patch_closes_the_waking_vector_rule() {
    // Real q35 boots of Xen 4.22.0 with the three-patch series: dom0's I/O Ports lose PM1a
    // control (denied to PV, trapped for PVH; Xen's 'q' dump shows it), so
    // DOM0_S3_WAKING_VECTOR no longer fires; the first version, which left a PVH dom0 the
    // ports, still fires. The same q35 PV boot with the
    // two-patch series (no 0003) is the like-for-like "before". verify is exact on all three.
    let log = |n: &str| testdata(&format!("logs/qemu-xen-4.22-patched/{n}"));
    let s3 = "DOM0_S3_WAKING_VECTOR";
    for (name, open) in [
        ("pv-q35-uefi-s3-ports.log", false),
        ("pv-q35-bios-s3-ports.log", false),
        ("pv-q35-uefi-s3-suspend-resume.log", false),
        ("pvh-q35-bios-s3-pvh.log", true),
        ("pvh-q35-bios-s3-trap.log", false),
        ("pv-q35-bios-ro-trampoline.log", true),
    ] {
        let out = dom0scope()
            .args(["audit", "--format", "json"])
            .arg(log(name))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let verdict = &v["verdict"];
        let fired = verdict["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == s3);
        let passed = verdict["passed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|id| id == s3);
        // Closed means judged and passed, never merely not evaluated.
        assert_eq!((fired, passed), (open, !open), "{name}");
        dom0scope().arg("verify").arg(log(name)).assert().code(0);
    }
}

/// A real Fedora host's serial log (Xen 4.21.1, PVH dom0, no 'q' dump): nothing at or above
/// high fires, but nothing there could be judged either. That is never a PASS.
#[test]
fn nothing_judged_is_incomplete_not_a_pass() {
    let log = testdata(
        "logs/xen-dmesg/amd-ryzen9-5950x-asrock-b450m_xen-4.21.1_fedora_uefi_pvh-dom0_serial.txt",
    );
    dom0scope()
        .arg("audit")
        .arg(&log)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("INCOMPLETE at --fail-on high"))
        .stdout(predicate::str::contains("DOM0_LOWMEM_TRAMPOLINE"))
        .stdout(predicate::str::contains(
            "dom0's I/O Memory rangeset (debug key 'q' dump in the Xen log)",
        ))
        .stdout(predicate::str::contains("dom0scope collect -o DIR"))
        .stdout(predicate::str::contains("PASS").not());
    // The default view explains it too, pointing at the details for each rule's needs.
    dom0scope()
        .arg("audit")
        .arg(&log)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("INCOMPLETE at --fail-on high"))
        .stdout(predicate::str::contains("Not a pass:"))
        .stdout(predicate::str::contains("dom0scope collect -o DIR"));
    let out = dom0scope()
        .args(["audit", "--format", "json"])
        .arg(&log)
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["result"], "incomplete");
    assert_eq!(v["fails"], false);
    let incomplete = v["incomplete"].as_array().unwrap();
    assert!(incomplete.iter().any(|r| r == "DOM0_LOWMEM_TRAMPOLINE"));
    // Only rules at or above the threshold keep it from passing: at critical, the
    // high ones do not count.
    let out = dom0scope()
        .args(["audit", "--format", "json", "--fail-on", "critical"])
        .arg(&log)
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(
        !v["incomplete"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "DOM0_S3_WAKING_VECTOR")
    );
}

/// Every subcommand that reads a snapshot, with its snapshot argument last.
const READERS: &[&[&str]] = &[
    &["audit"],
    &["audit", "--format", "json"],
    &["map"],
    &["predict"],
    &["verify"],
    &["hypercalls"],
    &["harden"],
];

/// dom0scope's own executable is not a log, though it holds `(XEN)` strings: exit 2, saying
/// what it is, for every subcommand that reads a snapshot.
#[test]
fn a_binary_file_is_refused_by_every_reader() {
    let elf = assert_cmd::cargo::cargo_bin("dom0scope");
    for args in READERS {
        dom0scope()
            .args(*args)
            .arg(&elf)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("an ELF executable"))
            .stdout(predicate::str::is_empty());
    }
    dom0scope()
        .arg("explain")
        .arg(&elf)
        .arg("0x1000")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("an ELF executable"));
    let dir = tempfile::tempdir().unwrap();
    let zeros = dir.path().join("zeros.log");
    std::fs::write(&zeros, vec![0u8; 4096]).unwrap();
    dom0scope()
        .arg("audit")
        .arg(&zeros)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("binary data"));
}

/// A real Raspberry Pi 4 'q' dump from Xen 4.19 on Arm: refused by every reader (exit 2),
/// naming the line that shows it, never judged as a PC.
#[test]
fn an_arm_log_is_refused_not_judged_as_x86() {
    let log = testdata(
        "logs/xen-debugkey-q/arm64-rpi4b-dom0-and-2-domUs_xen-4.19-unstable_debugkey-q.txt",
    );
    for args in READERS {
        dom0scope()
            .args(*args)
            .arg(&log)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("this is Xen on Arm"))
            .stderr(predicate::str::contains("judges x86 hosts only"))
            .stdout(predicate::str::contains("TRAMPOLINE").not());
    }
}

/// A .tar.gz cut off before its Xen log: the error says the archive is damaged, not only that
/// the log is missing.
#[test]
fn an_early_truncated_tar_gz_says_it_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let full = tar_of(&testdata("snapshots/x417-pv-q35-vtd-bios"), true);
    let path = dir.path().join("cut.tar.gz");
    std::fs::write(&path, &full[..3000]).unwrap();
    dom0scope()
        .arg("audit")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "truncated or damaged archive: no Xen log",
        ))
        // Where the cut lands (between members or inside one) depends on the order the
        // directory was tarred in, which is the file system's.
        .stderr(
            predicate::str::is_match("archive truncated or damaged (inside the member )?at byte")
                .unwrap(),
        );
}
