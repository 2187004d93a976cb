//! `explain`'s notations and its refusal to guess, on the real collected snapshots: a
//! number that may be a port gets both readings, Xen's hex notations (`port:cf9`, `mfn:8f`)
//! are read as Xen means them, the snapshot is optional, and `--format json` writes a
//! document that validates against docs/json-schema/dom0scope-explain-1.json.

mod common;

use std::path::Path;

use common::{REAL_BOOTS, dom0scope, run_in_repo};
use predicates::prelude::*;
use serde_json::Value;

/// Exit code and standard output of `explain` run from the repository root.
fn explain(args: &[&str]) -> (i32, String) {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    let (status, out) = run_in_repo(&all);
    (status.code().unwrap(), out)
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let (code, out) = explain(&all);
    assert_eq!(code, 0, "{args:?}");
    serde_json::from_str(&out).unwrap()
}

fn schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/json-schema/dom0scope-explain-1.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("a usable schema")
}

const PC: &str = "testdata/snapshots/x420-pv-pc-bios";
const VTD: &str = "testdata/snapshots/x417-pv-q35-vtd-bios";

/// The text for inputs that were never ambiguous, exactly as before readings existed.
const CF9: &str = "In snapshot directory testdata/snapshots/x420-pv-pc-bios:
port 0xcf9: reset control (ports 0xcf9-0xcf9)
  stated by: PC/AT convention (no artifact)
  dom0 access: No
  the model: Deny by rule deny-cf9 (arch/x86/dom0_build.c dom0_setup_permissions() (ee3bcf907a)): reset control
";
const DRHD: &str = "In snapshot directory testdata/snapshots/x417-pv-q35-vtd-bios:
0xfed90000: VT-d registers (0xfed90000-0xfed90fff)
  stated by acpi/RMAD: DRHD at byte 0x30: register base 0xfed90000
  dom0 access to frame 0xfed90: No
  the model: Deny by rule deny-vtd-drhd (drivers/passthrough/vtd/iommu.c intel_iommu_hwdom_init()): VT-d unit at 0xfed90000
";

#[test]
fn unambiguous_inputs_print_what_they_always_did() {
    assert_eq!(explain(&[PC, "port:0xcf9"]), (0, CF9.to_owned()));
    assert_eq!(explain(&[VTD, "0xfed90000"]), (0, DRHD.to_owned()));
    assert_eq!(explain(&[VTD, "0xfed9_0000"]), (0, DRHD.to_owned()));
    // An explicit prefix selects one reading: the same text as the unambiguous spellings.
    assert_eq!(explain(&[VTD, "mem:0xfed90000"]), (0, DRHD.to_owned()));
    assert_eq!(explain(&[VTD, "addr:4275634176"]), (0, DRHD.to_owned()));
    // Xen's notation: port digits are hex, 0x optional.
    assert_eq!(explain(&[PC, "port:cf9"]), (0, CF9.to_owned()));
    assert_eq!(explain(&[PC, "port:CF9"]), (0, CF9.to_owned()));
}

#[test]
fn a_number_that_may_be_a_port_gets_both_readings() {
    let (code, text) = explain(&[PC, "0xcf9"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("0xcf9 has 2 readings, each explained below: a number up to 0xffff without mem: or port: may be a memory address or an I/O port."),
        "{text}"
    );
    let mem = text.find("0xcf9 read as a memory address (mem:0xcf9):\n0xcf9: RAM");
    let port = text.find("0xcf9 read as an I/O port (port:0xcf9):\nport 0xcf9: reset control");
    assert!(mem.is_some() && port.is_some() && mem < port, "{text}");
    // The port reading is the port:0xcf9 text, under its heading.
    assert!(text.ends_with(CF9.split_once('\n').unwrap().1), "{text}");
    assert!(text.contains("dom0 access to frame 0x0: Yes"), "{text}");

    // Decimal and the top port: still both readings.
    let (code, text) = explain(&[PC, "3321"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("3321 read as an I/O port (port:0xcf9):"),
        "{text}"
    );
    let (code, text) = explain(&[PC, "0xffff"]);
    assert_eq!(code, 0);
    assert!(text.contains("0xffff has 2 readings"), "{text}");
    // Just above the port space: an address only, as always.
    let (code, text) = explain(&[PC, "0x10000"]);
    assert_eq!(code, 0);
    assert!(
        !text.contains("readings") && !text.contains("port"),
        "{text}"
    );

    // mem: selects the address alone.
    let (code, text) = explain(&[PC, "mem:0xcf9"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("0xcf9: RAM") && !text.contains("port"),
        "{text}"
    );
}

#[test]
fn port_digits_alone_are_hex_to_xen_and_decimal_to_people_so_both_are_explained() {
    let (code, text) = explain(&[PC, "port:3321"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("port:3321 has 2 readings, each explained below: Xen writes ports in hex, but digits without 0x also read as decimal."),
        "{text}"
    );
    let hex = text
        .find("port:3321 read as an I/O port in hex, as Xen writes ports (port:0x3321):\nport 0x3321: unclaimed")
        .expect("hex reading");
    let dec = text
        .find("port:3321 read as an I/O port in decimal (port:0xcf9):\nport 0xcf9: reset control")
        .expect("decimal reading");
    assert!(hex < dec, "{text}");
    // One digit means the same either way.
    let (code, text) = explain(&[PC, "port:7"]);
    assert_eq!(code, 0);
    assert!(!text.contains("readings"), "{text}");
    // As hex it is no port: the decimal reading alone, and a note says why.
    let (code, text) = explain(&[PC, "port:65535"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("note: port:65535 read as an I/O port in hex, as Xen writes ports, would be 0x65535, above the last I/O port 0xffff: only 0xffff is explained"),
        "{text}"
    );
    assert!(text.contains("port 0xffff: unclaimed"), "{text}");
}

#[test]
fn an_unclaimed_port_is_not_said_to_be_a_convention() {
    let (code, text) = explain(&[PC, "port:0x1234"]);
    assert_eq!(code, 0);
    assert!(text.contains("port 0x1234: unclaimed"), "{text}");
    assert!(!text.contains("stated by"), "{text}");
}

#[test]
fn a_machine_frame_as_xen_writes_it() {
    for input in ["mfn:8f", "frame:0x8f", "mfn:0X8F"] {
        let (code, text) = explain(&[PC, input]);
        assert_eq!(code, 0, "{input}");
        let prefix = input.split_once(':').unwrap().0;
        assert!(
            text.contains(&format!(
                "{input} read as machine frame 0x8f ({prefix}:0x8f), from its first byte 0x8f000:\n0x8f000: Xen AP trampoline (0x8f000-0x90fff)"
            )),
            "{text}"
        );
        assert!(text.contains("dom0 access to frame 0x8f: Yes"), "{text}");
    }
    // The VT-d unit, by its frame.
    let (code, text) = explain(&[VTD, "mfn:fed90"]);
    assert_eq!(code, 0);
    assert!(text.ends_with(DRHD.split_once('\n').unwrap().1), "{text}");
    // Digits alone: hex first, then decimal.
    let (code, text) = explain(&[PC, "mfn:100"]);
    assert_eq!(code, 0);
    let hex = text.find("mfn:100 read as machine frame 0x100 in hex, as Xen writes frames (mfn:0x100), from its first byte 0x100000:");
    let dec = text.find(
        "mfn:100 read as machine frame 0x64 in decimal (mfn:0x64), from its first byte 0x64000:",
    );
    assert!(hex.is_some() && dec.is_some() && hex < dec, "{text}");
    // As hex it is beyond the 40-bit address space; as decimal it is not.
    let (code, text) = explain(&[PC, "mfn:20000000"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("note: mfn:20000000 read as machine frame 0x20000000 in hex, as Xen writes frames: frame 0x20000000 (from 0x20000000000) is above the 40-bit physical address space"),
        "{text}"
    );
    assert!(text.contains("from its first byte 0x1312d00000:"), "{text}");
}

#[test]
fn impossible_and_malformed_inputs_are_usage_errors() {
    for (input, says) in [
        ("port:0x10000", "I/O ports go up to 0xffff, not 0x10000"),
        ("port:70000", "I/O ports go up to 0xffff"),
        ("port:xyz", "is not a port"),
        (
            "mfn:fffffffff",
            "frame 0xfffffffff (from 0xfffffffff000) is above the 40-bit physical address space",
        ),
        ("mfn:0x10000000000000", "above the 64-bit address space"),
        ("frame:", "is not a machine frame number"),
        (
            "0x10000000000",
            "is above the 40-bit physical address space",
        ),
        ("cf9", "hex needs 0x: 0xcf9"),
        ("mem:cf9", "is not an address"),
        ("io:0xcf9", "unknown prefix \"io\""),
        ("nowhere", "not an address"),
    ] {
        dom0scope()
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .args(["explain", PC, input])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(says));
    }
}

#[test]
fn the_snapshot_is_optional_off_a_dom0() {
    dom0scope()
        .args(["explain", "port:0xcf9"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("bundled example snapshot"))
        .stdout(predicate::str::starts_with(
            "In bundled example snapshot x417-pv-q35-vtd-bios",
        ))
        .stdout(predicate::str::contains("port 0xcf9: reset control"));
    // A snapshot and no address: said, not read as an address.
    dom0scope()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(["explain", PC])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "say what to explain after the snapshot",
        ));
    dom0scope()
        .arg("explain")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("say what to explain"));
}

#[test]
fn json_carries_what_the_text_says() {
    let v = json(&[VTD, "0x703"]);
    assert_eq!(v["schema"], "dom0scope-explain/1");
    assert_eq!(
        v["snapshot"],
        "snapshot directory testdata/snapshots/x417-pv-q35-vtd-bios"
    );
    assert_eq!(v["input"]["text"], "0x703");
    assert!(v["input"]["prefix"].is_null());
    assert_eq!(v["input"]["ambiguous"], true);
    let r = v["readings"].as_array().unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0]["kind"], "memory");
    assert_eq!(r[0]["select"], "mem:0x703");
    assert_eq!(r[0]["frame"], "0x0");
    assert_eq!(
        r[0]["frame_also_holds"][0],
        "real-mode IVT and BIOS data area"
    );
    assert_eq!(r[0]["dom0_access"], "yes");
    assert_eq!(r[1]["kind"], "port");
    assert_eq!(r[1]["owner"], "PCI 0000:00:1f.3 BAR4 (SMBus controller)");
    assert_eq!(r[1]["start"], "0x700");
    assert_eq!(r[1]["end"], "0x73f");
    assert_eq!(r[1]["source"]["artifact"], "pci/0000:00:1f.3/resource");
    assert_eq!(r[1]["device"]["role"], "SMBus controller");
    assert_eq!(r[1]["model"]["rule"], "permit-ioports");
    assert!(r[1]["frame"].is_null());

    let v = json(&[VTD, "0xfed90000"]);
    assert_eq!(v["input"]["ambiguous"], false);
    let r = &v["readings"][0];
    assert_eq!(r["owner"], "VT-d registers");
    assert_eq!(r["source"]["artifact"], "acpi/RMAD");
    assert_eq!(r["dom0_access"], "no");
    assert_eq!(r["model"]["op"], "deny");
    assert_eq!(r["model"]["rule"], "deny-vtd-drhd");
    assert_eq!(
        r["model"]["rule_source"],
        "drivers/passthrough/vtd/iommu.c intel_iommu_hwdom_init()"
    );

    let v = json(&[PC, "port:cf9"]);
    assert_eq!(v["input"]["prefix"], "port");
    let r = &v["readings"][0];
    assert_eq!(r["convention"], true);
    assert!(r["source"].is_null());

    let v = json(&[PC, "mfn:8f"]);
    assert_eq!(v["readings"][0]["frame_number"], "0x8f");
    assert_eq!(v["readings"][0]["value"], "0x8f000");
    assert_eq!(v["readings"][0]["e820"], "usable");

    let v = json(&[PC, "port:65535"]);
    assert_eq!(v["input"]["ambiguous"], false);
    assert_eq!(v["notes"].as_array().unwrap().len(), 1);
}

#[test]
fn json_validates_against_dom0scope_explain_1_on_every_real_boot() {
    let v = schema();
    for rel in REAL_BOOTS {
        let path = format!("testdata/{rel}");
        for input in [
            "0x0",
            "0xcf9",
            "0x703",
            "port:400",
            "port:65535",
            "mfn:8f",
            "mfn:20000000",
            "frame:fed90",
            "0xfed1f804",
            "0xfee00000",
            "0xffffffff",
        ] {
            let doc = json(&[&path, input]);
            let errors: Vec<String> = v
                .iter_errors(&doc)
                .take(10)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{rel} {input}:\n{}", errors.join("\n"));
            assert_eq!(
                doc["input"]["ambiguous"],
                doc["readings"].as_array().unwrap().len() > 1
            );
        }
    }
    // The validator does reject a broken document.
    let mut doc = json(&[PC, "0xcf9"]);
    doc["readings"][1]["dom0_access"] = "maybe".into();
    assert!(!v.is_valid(&doc));
}

#[test]
fn json_goes_to_a_file_with_o() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("explain.json");
    dom0scope()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(["explain", PC, "0xcf9", "--format", "json", "-o"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout("");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["readings"].as_array().unwrap().len(), 2);
    assert!(schema().is_valid(&v));
}
