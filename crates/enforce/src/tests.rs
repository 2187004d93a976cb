//! `apply` and `dry_run` against the simulated Xen (`dom0scope_privcmd::sim`), seeded from a
//! real Xen 4.17 `q` dump: every domctl reaches it as the bytes of `struct xen_domctl`, and
//! every read of dom0's rangesets goes through debug key `q` and the console ring.

use dom0scope_privcmd::sim::SimXen;
use dom0scope_ranges::Radix;

use super::*;

const LOG: &str = "(XEN) Xen version 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1) (pkg-xen-devel@lists.alioth.debian.org) (x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0) debug=n Mon Aug 18 11:24:15 UTC 2025
(XEN) Rangesets belonging to domain 0:
(XEN)     Interrupts { 1-51, 56-71 }
(XEN)     I/O Memory { 0-fedff, fef00-fcfffff }
(XEN)     I/O Ports  { 0-1f, 22-3f, 44-60, 62-9f, a2-3f7, 400-807, 80c-cfb, d00-ffff }
";

fn plan(ranges: &str) -> plan::Plan {
    plan::parse(
        "t",
        format!(
            r#"{{"schema":"dom0scope-plan/1","host":{{"sys_vendor":"QEMU"}},"xen_version":"4.17.7","revoke":[{ranges}]}}"#
        )
        .as_bytes(),
    )
    .unwrap()
}

const RANGES: &str = r#"{"resource":"iomem","first":"0x8f","last":"0x90","what":"tramp","status":"planned"},
    {"resource":"iomem","first":"0xa0","last":"0xbf","what":"vga","status":"refused","reason":"console"},
    {"resource":"ioport","first":"0xb2","last":"0xb2","what":"smi","status":"planned"},
    {"resource":"ioport","first":"0x1e","last":"0x23","what":"split","status":"planned"}"#;

/// Xen 4.17.7's `XEN_DOMCTL_INTERFACE_VERSION`.
const V: u32 = 0x15;

fn sim() -> SimXen {
    let r = Dom0Rangesets::from_log("log", LOG.as_bytes()).unwrap();
    let mut x = SimXen::new(r.iomem, r.ioports);
    x.domctl_version = Some(V);
    x
}

/// The domctls `x` received, as calls.
fn domctls(x: &SimXen) -> Vec<String> {
    x.domctls().map(|d| d.op.to_string()).collect()
}

#[test]
fn applies_proves_and_is_idempotent() {
    let p = plan(RANGES);
    let mut x = sim();
    let mut log = Vec::new();
    let o = apply(&p, &mut x, V, &mut log, true).unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(o.success(), "{log}");
    assert_eq!(
        domctls(&x),
        [
            "iomem_permission(0x8f, 2, false)",
            "ioport_permission(0xb2, 1, false)",
            "ioport_permission(0x1e, 2, false)",
            "ioport_permission(0x22, 2, false)",
            "iomem_permission(0x8f, 2, true)",
        ]
    );
    assert_eq!(
        x.iomem.to_xen(Radix::Hex),
        "{ 0-8e, 91-fedff, fef00-fcfffff }"
    );
    assert!(log.contains("keep iomem 0xa0-0xbf (vga): refused in the plan (console)"));
    assert!(
        log.contains("already absent: 0x20-0x21; revoking the rest"),
        "{log}"
    );
    assert!(log.contains("proven: iomem 0x8f-0x90 (tramp)"));
    assert!(
        log.contains("re-grant test") && log.contains("refused by Xen"),
        "{log}"
    );
    assert!(matches!(o.regrant, Some((_, Err(Errno::PERM)))));
    assert_eq!(x.q_presses(), 2);
    assert!(
        log.contains("dom0 before: I/O Memory { 0-fedff, fef00-fcfffff }, I/O Ports { 0-1f, 22-3f, 44-60, 62-9f, a2-3f7, 400-807, 80c-cfb, d00-ffff } (Xen console after debug key 'q':2)"),
        "{log}"
    );

    // Second run: nothing left to do, no domctl.
    x.calls.clear();
    let mut log = Vec::new();
    let o = apply(&p, &mut x, V, &mut log, false).unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(o.success(), "{log}");
    assert!(domctls(&x).is_empty(), "{:?}", x.calls);
    assert!(log.contains("skip iomem 0x8f-0x90 (tramp): already absent"));
}

#[test]
fn a_xen_that_ignores_denies_is_caught() {
    let p = plan(RANGES);
    let mut x = sim();
    x.ignore_denies = true;
    let mut log = Vec::new();
    let o = apply(&p, &mut x, V, &mut log, true).unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(!o.success());
    assert!(
        log.contains("NOT REVOKED: iomem 0x8f-0x90 (tramp) still in Xen's rangesets: 0x8f-0x90")
    );
    assert!(o.regrant.is_none(), "nothing proven, nothing to re-grant");
}

/// A domctl at another interface version than the running Xen's: Xen answers `EACCES`
/// without acting on it.
#[test]
fn a_failing_domctl_is_reported() {
    let p = plan(
        r#"{"resource":"ioport","first":"0xb2","last":"0xb2","what":"smi","status":"planned"}"#,
    );
    let mut x = sim();
    let mut log = Vec::new();
    let o = apply(&p, &mut x, 0x17, &mut log, false).unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(!o.success());
    assert!(
        log.contains("FAILED ioport 0xb2-0xb2 (smi): XEN_DOMCTL_ioport_permission d0 first=0xb2 nr=1 allow=0 -> Permission denied (os error 13) (errno 13)"),
        "{log}"
    );
    assert!(log.contains("NOT REVOKED"), "{log}");
    assert!(x.ioports.contains(0xb2));
}

#[test]
fn an_unreadable_console_stops_before_any_change() {
    let p = plan(RANGES);
    let mut x = sim();
    x.console_denied = true;
    let e = apply(&p, &mut x, V, &mut Vec::new(), false).unwrap_err();
    assert!(matches!(e, EnforceError::Before(_)), "{e:?}");
    assert_eq!(x.domctls().count(), 0);
    // As the CLI prints it (`{:#}`): each cause once, as before the errors were typed.
    let mut chain = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        chain = format!("{chain}: {c}");
        cause = c.source();
    }
    assert_eq!(
        chain,
        "cannot read Xen's rangesets for dom0 before enforcing: XEN_SYSCTL_readconsole: \
         Operation not permitted (os error 1)"
    );
}

#[test]
fn dry_run_issues_nothing() {
    let p = plan(RANGES);
    let cur = Dom0Rangesets::from_log("log", LOG.as_bytes()).unwrap();
    let mut log = Vec::new();
    let o = dry_run(&p, Some(&cur), &mut log).unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(o.success());
    assert!(
        log.contains("would revoke iomem 0x8f-0x90 (tramp)"),
        "{log}"
    );
    assert!(
        log.contains("would revoke ioport 0x22-0x23 (split)"),
        "{log}"
    );
}

#[test]
fn a_plan_from_an_after_snapshot_is_applied_like_the_original() {
    // harden on a snapshot taken after enforce marks ranges already absent there; on a
    // fresh boot they are present and revoked, on the same boot they are skipped.
    let p = plan(
        r#"{"resource":"iomem","first":"0x8f","last":"0x90","what":"tramp","status":"planned",
            "already_absent":[{"first":"0x8f","last":"0x90"}]}"#,
    );
    let mut x = sim();
    let o = apply(&p, &mut x, V, &mut Vec::new(), false).unwrap();
    assert!(o.success());
    assert_eq!(domctls(&x), ["iomem_permission(0x8f, 2, false)"]);
    x.calls.clear();
    let o = apply(&p, &mut x, V, &mut Vec::new(), false).unwrap();
    assert!(o.success() && domctls(&x).is_empty());
}

#[test]
fn from_log_needs_a_dump() {
    let e = Dom0Rangesets::from_log("x", b"(XEN) hello\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no 'Rangesets belonging to domain 0'"), "{e}");
}

/// Found on real Xen 4.17 with OVMF: the plan lists the FACS page 0x7f7dc inside the ACPI NVS
/// range 0x7f77e-0x7f7fd. Revoking the NVS range first takes the FACS page too, and Xen refuses
/// (EPERM) a deny of a range already gone, so the FACS must be computed against what is left.
#[test]
fn overlapping_planned_ranges_are_revoked_once() {
    let p = plan(
        r#"{"resource":"iomem","first":"0x7f77e","last":"0x7f7fd","what":"ACPI NVS","status":"planned"},
        {"resource":"iomem","first":"0x7f7dc","last":"0x7f7dc","what":"FACS","status":"planned"},
        {"resource":"ioport","first":"0xb0","last":"0xb3","what":"apm","status":"planned"},
        {"resource":"ioport","first":"0xb2","last":"0xb2","what":"smi","status":"planned"}"#,
    );
    let mut x = sim();
    let mut log = Vec::new();
    let o = apply(&p, &mut x, V, &mut log, false).unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(o.success(), "{log}");
    assert_eq!(
        domctls(&x),
        [
            "iomem_permission(0x7f77e, 128, false)",
            "ioport_permission(0xb0, 4, false)",
        ]
    );
    assert!(
        log.contains("skip iomem 0x7f7dc-0x7f7dc (FACS): already absent from Xen's rangesets (Xen console after debug key 'q':2, after this run's earlier revocations)"),
        "{log}"
    );
    assert!(o.entries.iter().all(|e| e.proven()), "{log}");
    // The dry run counts each frame once too.
    let mut log = Vec::new();
    let cur = Dom0Rangesets::from_log("log", LOG.as_bytes()).unwrap();
    let o = dry_run(&p, Some(&cur), &mut log).unwrap();
    let revoked: Vec<_> = o.entries.iter().map(|e| e.revoked.len()).collect();
    assert_eq!(revoked, [1, 0, 1, 0], "{}", String::from_utf8(log).unwrap());
}
