//! Strict reading: defaults for a hand-written plan, every refusal named, round trips.

use std::path::Path;

use super::*;

const MINIMAL: &str = r#"{"schema":"dom0scope-plan/1","xen_version":"4.17.7","revoke":[
  {"resource":"iomem","first":"0x8f","last":143,"status":"planned"},
  {"resource":"ioport","first":"1540","last":"0x605","what":"pm1","status":"refused","reason":"used"}]}"#;

#[test]
fn a_minimal_plan_parses_with_defaults() {
    let p = parse("p", MINIMAL.as_bytes()).unwrap();
    assert_eq!(p.ranges.len(), 2);
    assert_eq!((p.ranges[0].first, p.ranges[0].last), (0x8f, 0x8f));
    assert_eq!(p.ranges[1].first, 0x604);
    assert_eq!(p.planned().count(), 1);
    assert!(p.host.is_empty() && p.dom0_mode.is_none() && p.residual.is_none());
    // Written back, it is a full document that parses to the same plan.
    assert_eq!(parse("q", p.to_json().as_bytes()).unwrap(), p);
}

#[test]
fn refusals_name_the_file_and_the_fault() {
    let e = |s: &str| parse("/etc/p.json", s.as_bytes()).unwrap_err().to_string();
    let m = e("not json");
    assert!(m.starts_with("plan /etc/p.json is malformed"), "{m}");
    assert!(e("[]").contains("malformed"));
    assert!(e(r#"{"revoke":[]}"#).contains("no \"schema\" field"));
    assert!(
        e(r#"{"schema":"dom0scope-audit/1","findings":[]}"#)
            .contains("has schema \"dom0scope-audit/1\"")
    );
    assert!(e(r#"{"schema":7}"#).contains("has schema \"7\""));
    assert!(e(r#"{"schema":"dom0scope-plan/1"}"#).contains("missing field `revoke`"));
    assert!(
        e(r#"{"schema":"dom0scope-plan/1","revoke":[],"extra":1}"#)
            .contains("unknown field `extra`")
    );
    assert!(
        e(r#"{"schema":"dom0scope-plan/1","revoke":[],"dom0_mode":"hvm"}"#)
            .contains("unknown dom0_mode \"hvm\"")
    );
    assert!(e(r#"{"schema":"dom0scope-plan/1","revoke":[],"host":{"a":1}}"#).contains("malformed"));
    let r = |x: &str| {
        e(&format!(
            r#"{{"schema":"dom0scope-plan/1","revoke":[{x}]}}"#
        ))
    };
    let m = r(r#"{"resource":"iomem","first":"0x90","last":"0x8f","status":"planned"}"#);
    assert!(
        m.contains("range #1: first 0x90 is above last 0x8f") && m.contains("/etc/p.json"),
        "{m}"
    );
    assert!(
        r(r#"{"resource":"ioport","first":"0","last":"0x10000","status":"planned"}"#)
            .contains("largest I/O port")
    );
    assert!(
        r(r#"{"resource":"iomem","first":"0","last":"0x10000000000","status":"planned"}"#)
            .contains("largest machine frame")
    );
    assert!(
        r(r#"{"resource":"irq","first":"0","last":"1","status":"planned"}"#)
            .contains("unknown resource \"irq\"")
    );
    assert!(
        r(r#"{"resource":"iomem","first":"0","last":"1","status":"maybe"}"#)
            .contains("unknown status \"maybe\"")
    );
    assert!(
        r(r#"{"resource":"iomem","first":"0x","last":"1","status":"planned"}"#)
            .contains("\"0x\" is not a number")
    );
    assert!(
        r(r#"{"resource":"iomem","first":-1,"last":"1","status":"planned"}"#)
            .contains("expected a frame or port number")
    );
    assert!(
        r(r#"{"resource":"iomem","first":"0","last":"1","status":"planned","bogus":true}"#)
            .contains("unknown field `bogus`")
    );
    assert!(
        r(r#"{"resource":"iomem","first":"0","last":"1","status":"planned","dom0_use":[{"x":1}]}"#)
            .contains("unknown field `x`")
    );
    let huge = vec![b' '; MAX_PLAN_BYTES as usize + 1];
    assert!(matches!(parse("p", &huge), Err(PlanError::TooLarge { .. })));
}

#[test]
fn already_absent_is_optional_additive_and_checked() {
    // A plan written before the field existed (real Xen 4.17, harden on the before-snapshot).
    let old = load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/snapshots/e417-pv-q35-bios-plan.json"),
    )
    .unwrap();
    assert!(old.ranges.iter().all(|r| r.already_absent.is_empty()));
    assert!(!old.to_json().contains("already_absent"));
    let with = r#"{"schema":"dom0scope-plan/1","revoke":[
      {"resource":"iomem","first":"0x8f","last":"0x90","status":"planned",
       "already_absent":[{"first":"0x8f","last":"0x90"}]}]}"#;
    let p = parse("p", with.as_bytes()).unwrap();
    assert_eq!(
        p.ranges[0].already_absent,
        [Span {
            first: 0x8f,
            last: 0x90
        }]
    );
    assert!(p.to_json().contains(r#""first": "0x8f""#));
    assert_eq!(parse("q", p.to_json().as_bytes()).unwrap(), p);
    let bad = with.replace(
        r#"{"first":"0x8f","last":"0x90"}"#,
        r#"{"first":"0x8e","last":"0x90"}"#,
    );
    let e = parse("/p", bad.as_bytes()).unwrap_err().to_string();
    assert!(
        e.contains("range #1: already_absent 0x8e-0x90 is not a sub-range of 0x8f-0x90"),
        "{e}"
    );
    let bad = with.replace(r#""last":"0x90"}]"#, r#""last":"0x90","x":1}]"#);
    assert!(
        parse("/p", bad.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("unknown field `x`")
    );
}

#[test]
fn load_names_a_missing_file() {
    let e = load(Path::new("/nonexistent/plan.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot read plan /nonexistent/plan.json"), "{e}");
}
