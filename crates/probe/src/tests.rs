//! `run` against the simulated Xen (`dom0scope_privcmd::sim`), which follows the rules
//! measured on real Xen 4.17: frames outside dom0's rangeset are refused with EPERM, DOMID_IO
//! is ESRCH in a PVH dom0, denied ports read 0xff. Memory-mapping domctls reach it as bytes.
//! (The real thing runs in the harness: harness/enforce.sh.)

use dom0scope_privcmd::sim::SimXen;
use dom0scope_ranges::{FrameSet, PortSet};

use super::*;

/// Xen 4.17.7's `XEN_DOMCTL_INTERFACE_VERSION`.
const V: u32 = 0x15;

/// The first bytes of Xen 4.17.7's AP trampoline, as measured (frame 0x8f).
const ENTRY: [u8; 16] = [
    0x8c, 0xc8, 0x8e, 0xd8, 0xc6, 0x06, 0x38, 0x02, 0xa5, 0xfc, 0xfa, 0x0f, 0x01, 0x1e, 0xf2, 0x01,
];

fn sim(iomem: &[(u64, u64)], ports: &[(u16, u16)]) -> SimXen {
    let mut x = SimXen::new(
        FrameSet::from_ranges(iomem.iter().map(|&(a, b)| a..=b)),
        PortSet::from_ranges(ports.iter().map(|&(a, b)| a..=b)),
    );
    x.domctl_version = Some(V);
    x.frames.insert(0x8f, ENTRY.to_vec());
    x
}

/// Probes through `x` at Xen 4.17's domctl interface.
fn probe(x: &mut SimXen, method: Method, targets: &[Target], ports: bool) -> Report {
    run(x, Some(V), method, targets, ports, None)
}

/// The calls `x` received, as text.
fn calls(x: &SimXen) -> Vec<String> {
    x.calls.iter().map(ToString::to_string).collect()
}

fn frames(first: u64, last: u64, what: &str, peek: Peek) -> Target {
    Target {
        resource: Resource::Iomem,
        first,
        last,
        what: what.into(),
        origin: "plan: planned".into(),
        peek,
        read_safe: false,
        kept: false,
    }
}

fn port(p: u64, safe: bool) -> Target {
    Target {
        resource: Resource::Ioport,
        first: p,
        last: p,
        what: "ACPI SMI_CMD".into(),
        origin: "plan: planned".into(),
        peek: Peek::None,
        read_safe: safe,
        kept: false,
    }
}

/// Xen 4.17 PV on q35/SeaBIOS before and after enforce (`I/O Memory { 0-fedff, … }` →
/// `{ 0-8e, 91-7ffdf, 7ffe1-fedff, … }`).
fn before() -> SimXen {
    sim(
        &[(0, 0xfedff), (0xfef00, 0xfcfffff)],
        &[(0, 0x1f), (0xa2, 0x3f7)],
    )
}

fn after() -> SimXen {
    sim(
        &[(0, 0x8e), (0x91, 0x7ffdf), (0x7ffe1, 0xfedff)],
        &[(0, 0x1f), (0xa2, 0xb1), (0xb3, 0x3f7)],
    )
}

fn plan() -> Vec<Target> {
    vec![
        frames(0x8f, 0x90, "Xen AP trampoline", Peek::Trampoline),
        frames(0x7ffe0, 0x7ffe0, "ACPI FACS page", Peek::None),
        port(0xb2, true),
    ]
}

#[test]
fn pv_before_and_after_enforce() {
    let mut x = before();
    let r = probe(&mut x, Method::DomIo, &plan(), true);
    let o: Vec<Outcome> = r.ranges.iter().map(|r| r.outcome).collect();
    assert_eq!(o, [Outcome::Granted, Outcome::Granted, Outcome::Granted]);
    let d = r.ranges[0].samples[0].detail.as_deref().unwrap();
    assert!(d.starts_with("starts with Xen's trampoline"), "{d}");
    assert!(
        r.ranges[0].samples[1].detail.is_none(),
        "only the first frame is read"
    );
    assert!(contradictions(&r, Expect::Granted).is_empty());
    assert_eq!(contradictions(&r, Expect::Refused).len(), 3);

    let mut x = after();
    let r = probe(&mut x, Method::DomIo, &plan(), true);
    let o: Vec<Outcome> = r.ranges.iter().map(|r| r.outcome).collect();
    assert_eq!(
        o,
        [Outcome::Refused, Outcome::Refused, Outcome::ReadsAllOnes]
    );
    assert!(contradictions(&r, Expect::Refused).is_empty());
    assert!(r.stopped.is_none());
}

#[test]
fn ports_only_on_request_and_only_safe_registers() {
    let mut x = before();
    let r = probe(
        &mut x,
        Method::DomIo,
        &[port(0xb2, true), port(0xcf9, false)],
        false,
    );
    assert!(r.ranges.iter().all(|r| r.outcome == Outcome::Skipped));
    assert!(!calls(&x).iter().any(|c| c.starts_with("read_port")));
    let r = probe(&mut x, Method::DomIo, &[port(0xcf9, false)], true);
    assert_eq!(r.ranges[0].outcome, Outcome::Skipped);
    assert!(
        !calls(&x).iter().any(|c| c.starts_with("read_port")),
        "{:?}",
        x.calls
    );
    assert!(
        contradictions(&r, Expect::Granted).is_empty(),
        "skipped never contradicts"
    );
}

#[test]
fn pvh_domio_stops_with_advice() {
    let mut x = before();
    x.pvh = true;
    let r = probe(&mut x, Method::DomIo, &plan(), false);
    assert_eq!(r.ranges.len(), 1, "stops at the first ESRCH");
    assert_eq!(r.ranges[0].outcome, Outcome::Unsupported);
    assert!(r.stopped.as_deref().unwrap().contains("--pvh-self-map"));
    assert_eq!(x.calls.len(), 1);
}

#[test]
fn pvh_self_map_adds_and_removes_at_once() {
    let mut x = before();
    x.pvh = true;
    let m = Method::SelfMap {
        scratch_gfn: 0x10_0000,
    };
    let r = probe(&mut x, m, &plan()[..1], false);
    assert_eq!(r.ranges[0].outcome, Outcome::Granted);
    assert!(x.mapped.is_empty(), "every mapping removed");
    assert_eq!(
        calls(&x),
        [
            "memory_mapping(0x100000, 0x8f, 1, true)",
            "memory_mapping(0x100000, 0x8f, 1, false)",
            "memory_mapping(0x100000, 0x90, 1, true)",
            "memory_mapping(0x100000, 0x90, 1, false)",
        ]
    );
    let mut x = after();
    x.pvh = true;
    let r = probe(&mut x, m, &plan()[..1], false);
    assert_eq!(r.ranges[0].outcome, Outcome::Refused);
}

#[test]
fn self_map_without_a_domctl_version_issues_nothing() {
    let mut x = before();
    x.pvh = true;
    let m = Method::SelfMap {
        scratch_gfn: 0x4242,
    };
    let r = run(&mut x, None, m, &plan()[..1], false, None);
    assert_eq!(r.ranges[0].outcome, Outcome::Failed);
    let d = r.ranges[0].samples[0].detail.as_deref().unwrap();
    assert!(d.starts_with("XEN_DOMCTL_memory_mapping: "), "{d}");
    assert!(x.calls.is_empty(), "{:?}", x.calls);
}

#[test]
fn a_failed_removal_stops_everything_and_says_so() {
    let mut x = before();
    x.pvh = true;
    x.fail_unmap = true;
    let m = Method::SelfMap {
        scratch_gfn: 0x4242,
    };
    let r = probe(&mut x, m, &plan(), false);
    assert_eq!(r.ranges.len(), 1);
    assert_eq!(r.ranges[0].samples.len(), 1);
    assert!(r.stopped.as_deref().unwrap().contains("STILL MAPPED"));
}

#[test]
fn partly_revoked_ranges_are_mixed_and_large_ranges_sampled() {
    let mut x = after();
    let r = probe(
        &mut x,
        Method::DomIo,
        &[frames(0x80, 0x9f, "low memory", Peek::None)],
        false,
    );
    assert_eq!(r.ranges[0].outcome, Outcome::Mixed);
    assert_eq!(r.ranges[0].samples.len(), 16);
    assert_eq!(r.ranges[0].note.as_deref(), Some("16 of 32 frames sampled"));
    assert_eq!(contradictions(&r, Expect::Granted).len(), 1);
    assert_eq!(contradictions(&r, Expect::Refused).len(), 1);
}

#[test]
fn sample_points_cover_ends_and_stay_in_range() {
    assert_eq!(sample_points(5, 5), [5]);
    assert_eq!(sample_points(0, 15).len(), 16);
    let v = sample_points(0x7f5ec, 0x7f6eb);
    assert_eq!(v.len(), 16);
    assert_eq!((v[0], v[15]), (0x7f5ec, 0x7f6eb));
    assert!(v.windows(2).all(|w| w[0] < w[1]));
    let v = sample_points(0, u64::MAX);
    assert_eq!((v[0], *v.last().unwrap()), (0, u64::MAX));
}

#[test]
fn report_serialises_with_hex_addresses() {
    let mut x = before();
    let r = probe(&mut x, Method::DomIo, &plan()[..1], false);
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["schema"], "dom0scope-probe/1");
    assert_eq!(j["method"]["kind"], "dom_io");
    assert_eq!(j["ranges"][0]["target"]["first"], "0x8f");
    assert_eq!(j["ranges"][0]["outcome"], "granted");
    assert_eq!(j["ranges"][0]["samples"][1]["at"], "0x90");
}

#[test]
fn kept_ranges_are_expected_granted() {
    let mut kept = frames(0xa0, 0xbf, "legacy VGA window", Peek::None);
    kept.kept = true;
    let mut x = after();
    let r = probe(
        &mut x,
        Method::DomIo,
        &[plan()[0].clone(), kept.clone()],
        false,
    );
    assert!(contradictions(&r, Expect::Refused).is_empty());
    assert_eq!(contradictions(&r, Expect::Granted).len(), 1);
    x.iomem = FrameSet::from(0..=0x8e);
    let r = probe(&mut x, Method::DomIo, &[kept], false);
    assert_eq!(
        contradictions(&r, Expect::Refused).len(),
        1,
        "dom0 lost a range it keeps"
    );
}
