//! `run` against a Xen that follows the rules measured on real Xen 4.17: frames outside
//! dom0's rangeset are refused with EPERM, DOMID_IO is ESRCH in a PVH dom0, denied ports
//! read 0xff. (The real thing runs in the harness: harness/enforce.sh.)

use super::*;

#[derive(Default)]
struct Sim {
    pvh: bool,
    /// dom0's I/O memory rangeset.
    iomem: Vec<(u64, u64)>,
    /// dom0's I/O port rangeset.
    ports: Vec<(u64, u64)>,
    /// gfn -> mfn currently self-mapped.
    mapped: Vec<(u64, u64)>,
    fail_remove: bool,
    calls: Vec<String>,
}

const ENTRY: [u8; 16] = [
    0x8c, 0xc8, 0x8e, 0xd8, 0xc6, 0x06, 0x38, 0x02, 0xa5, 0xfc, 0xfa, 0x0f, 0x01, 0x1e, 0xf2, 0x01,
];

impl Sim {
    fn allowed(&self, mfn: u64) -> bool {
        self.iomem.iter().any(|&(a, b)| (a..=b).contains(&mfn))
    }
}

impl Xen for Sim {
    fn map_domio_ro(&mut self, mfn: u64, peek: &mut [u8]) -> Result<(), MapError> {
        self.calls.push(format!("map {mfn:#x}"));
        if self.pvh {
            return Err(MapError::Frame(Errno::SRCH));
        }
        if !self.allowed(mfn) {
            return Err(MapError::Frame(Errno::PERM));
        }
        let n = peek.len().min(16);
        peek[..n].copy_from_slice(&ENTRY[..n]);
        Ok(())
    }

    fn memory_mapping(&mut self, gfn: u64, mfn: u64, add: bool) -> Result<(), Errno> {
        self.calls
            .push(format!("memory_mapping {gfn:#x} {mfn:#x} {add}"));
        if !self.allowed(mfn) {
            return Err(Errno::PERM);
        }
        if add {
            self.mapped.push((gfn, mfn));
        } else if self.fail_remove {
            return Err(Errno::INVAL);
        } else {
            self.mapped.retain(|&m| m != (gfn, mfn));
        }
        Ok(())
    }

    fn read_port(&mut self, port: u16) -> std::io::Result<u8> {
        self.calls.push(format!("inb {port:#x}"));
        let p = u64::from(port);
        Ok(if self.ports.iter().any(|&(a, b)| (a..=b).contains(&p)) {
            0
        } else {
            0xff
        })
    }
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
fn before() -> Sim {
    Sim {
        iomem: vec![(0, 0xfedff), (0xfef00, 0xfcfffff)],
        ports: vec![(0, 0x1f), (0xa2, 0x3f7)],
        ..Sim::default()
    }
}

fn after() -> Sim {
    Sim {
        iomem: vec![(0, 0x8e), (0x91, 0x7ffdf), (0x7ffe1, 0xfedff)],
        ports: vec![(0, 0x1f), (0xa2, 0xb1), (0xb3, 0x3f7)],
        ..Sim::default()
    }
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
    let r = run(&mut x, Method::DomIo, &plan(), true);
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
    let r = run(&mut x, Method::DomIo, &plan(), true);
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
    let r = run(
        &mut x,
        Method::DomIo,
        &[port(0xb2, true), port(0xcf9, false)],
        false,
    );
    assert!(r.ranges.iter().all(|r| r.outcome == Outcome::Skipped));
    assert!(!x.calls.iter().any(|c| c.starts_with("inb")));
    let r = run(&mut x, Method::DomIo, &[port(0xcf9, false)], true);
    assert_eq!(r.ranges[0].outcome, Outcome::Skipped);
    assert!(
        !x.calls.iter().any(|c| c.starts_with("inb")),
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
    let mut x = Sim {
        pvh: true,
        ..before()
    };
    let r = run(&mut x, Method::DomIo, &plan(), false);
    assert_eq!(r.ranges.len(), 1, "stops at the first ESRCH");
    assert_eq!(r.ranges[0].outcome, Outcome::Unsupported);
    assert!(r.stopped.as_deref().unwrap().contains("--pvh-self-map"));
    assert_eq!(x.calls.len(), 1);
}

#[test]
fn pvh_self_map_adds_and_removes_at_once() {
    let mut x = Sim {
        pvh: true,
        ..before()
    };
    let m = Method::SelfMap {
        scratch_gfn: 0x10_0000,
    };
    let r = run(&mut x, m, &plan()[..1], false);
    assert_eq!(r.ranges[0].outcome, Outcome::Granted);
    assert!(x.mapped.is_empty(), "every mapping removed");
    assert_eq!(
        x.calls,
        [
            "memory_mapping 0x100000 0x8f true",
            "memory_mapping 0x100000 0x8f false",
            "memory_mapping 0x100000 0x90 true",
            "memory_mapping 0x100000 0x90 false",
        ]
    );
    let mut x = Sim {
        pvh: true,
        ..after()
    };
    let r = run(&mut x, m, &plan()[..1], false);
    assert_eq!(r.ranges[0].outcome, Outcome::Refused);
}

#[test]
fn a_failed_removal_stops_everything_and_says_so() {
    let mut x = Sim {
        pvh: true,
        fail_remove: true,
        ..before()
    };
    let m = Method::SelfMap {
        scratch_gfn: 0x4242,
    };
    let r = run(&mut x, m, &plan(), false);
    assert_eq!(r.ranges.len(), 1);
    assert_eq!(r.ranges[0].samples.len(), 1);
    assert!(r.stopped.as_deref().unwrap().contains("STILL MAPPED"));
}

#[test]
fn partly_revoked_ranges_are_mixed_and_large_ranges_sampled() {
    let mut x = after();
    let r = run(
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
    let r = run(&mut x, Method::DomIo, &plan()[..1], false);
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
    let r = run(
        &mut x,
        Method::DomIo,
        &[plan()[0].clone(), kept.clone()],
        false,
    );
    assert!(contradictions(&r, Expect::Refused).is_empty());
    assert_eq!(contradictions(&r, Expect::Granted).len(), 1);
    x.iomem = vec![(0, 0x8e)];
    let r = run(&mut x, Method::DomIo, &[kept], false);
    assert_eq!(
        contradictions(&r, Expect::Refused).len(),
        1,
        "dom0 lost a range it keeps"
    );
}
