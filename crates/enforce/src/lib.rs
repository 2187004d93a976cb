//! `dom0scope enforce`: dom0 gives up the frames and ports a hardening plan names, through
//! Xen's permission domctls on itself, and proves from Xen's own rangesets that it did.
//!
//! Measured on real Xen 4.17 (`shared/reference/measured-on-real-xen.md` §2): the revocation
//! is irreversible (a re-grant fails with `EPERM`) and mappings made before it survive, so it
//! must run early in dom0's boot.
//!
//! Order of work, every refusal before any change:
//! 1. [`plan::load`] / [`plan::parse`]: the file is a `dom0scope-plan/1` document for a Xen
//!    release enforce knows, with sane ranges.
//! 2. [`plan::check_host`]: the plan's DMI identity, Xen release and dom0 mode match the
//!    running host.
//! 3. [`live::check`]: harden's "is it safe to give up" check again, on dom0's live
//!    `/proc/iomem` and `/proc/ioports`: no planned range may be in use now (the plan was
//!    checked against the snapshot's, perhaps of another boot or kernel).
//! 4. [`apply`]: Xen's current rangesets for dom0 (debug key `q`, read back through
//!    `XEN_SYSCTL_readconsole`); each planned range is revoked only where still present
//!    (idempotent; Xen refuses a deny of a partly absent range), one logged domctl per
//!    sub-range; then the rangesets are read again and every planned range must be gone.
//!
//! Xen is reached through two small traits, [`Domctl`] and [`RangesetSource`]: [`LiveXen`]
//! (privcmd hypercalls, the only `unsafe` code, in the `dom0scope-privcmd` crate) and [`FakeXen`], a recording
//! simulation of Xen's rules for tests and `--dry-run`-style checks.

pub mod abi;
pub mod live;
pub mod plan;

use std::io::Write;
use std::ops::RangeInclusive;
use std::path::Path;

use dom0scope_ranges::{FrameSet, PortSet, Radix};
pub use rustix::io::Errno;

use plan::{Range, Resource, Status};

/// Xen's permission domctls on dom0 (domid 0).
pub trait Domctl {
    /// `XEN_DOMCTL_iomem_permission`: allow or deny frames `first_mfn .. first_mfn + nr`.
    fn iomem_permission(&mut self, first_mfn: u64, nr: u64, allow: bool) -> Result<(), Errno>;
    /// `XEN_DOMCTL_ioport_permission`: allow or deny ports `first .. first + nr`.
    fn ioport_permission(&mut self, first: u32, nr: u32, allow: bool) -> Result<(), Errno>;
}

/// dom0's I/O memory and I/O port rangesets as Xen states them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dom0Rangesets {
    pub iomem: FrameSet,
    pub ioports: PortSet,
    /// Where they were read (`Xen console after debug key 'q'`, a file).
    pub source: String,
}

impl Dom0Rangesets {
    /// The last `'q'` dump for domain 0 in a Xen log (`xl dmesg`, a serial capture, a
    /// snapshot's `xen/dmesg.txt`).
    pub fn from_log(source: &str, bytes: &[u8]) -> Result<Dom0Rangesets, String> {
        let log = dom0scope_facts::xenlog::parse(source, bytes).map_err(|e| e.to_string())?;
        let r = log.last_rangesets(0).ok_or_else(|| {
            format!("{source}: no 'Rangesets belonging to domain 0' dump (debug key 'q')")
        })?;
        match (&r.iomem, &r.ioports) {
            (Some(m), Some(p)) => Ok(Dom0Rangesets {
                iomem: m.value.clone(),
                ioports: p.value.clone(),
                source: format!("{source}:{}", r.header_line),
            }),
            _ => Err(format!(
                "{source}:{}: the domain 0 dump lacks its I/O Memory or I/O Ports line",
                r.header_line
            )),
        }
    }
}

/// Reads dom0's current rangesets from Xen.
pub trait RangesetSource {
    fn dom0_rangesets(&mut self) -> Result<Dom0Rangesets, String>;
}

/// A simulation of Xen's permission domctls on dom0, recording every call: the caller must
/// hold the whole range (else `EPERM`, as `xen/common/domctl.c` does), a deny removes it, a
/// grant of what the caller holds changes nothing. `ignore_denies` makes it a Xen that accepts
/// denies without acting (to test the proof step).
#[derive(Debug, Clone)]
pub struct FakeXen {
    pub state: Dom0Rangesets,
    pub calls: Vec<String>,
    pub ignore_denies: bool,
    pub reads: usize,
}

impl FakeXen {
    pub fn new(state: Dom0Rangesets) -> FakeXen {
        FakeXen {
            state,
            calls: Vec::new(),
            ignore_denies: false,
            reads: 0,
        }
    }
}

impl Domctl for FakeXen {
    fn iomem_permission(&mut self, first: u64, nr: u64, allow: bool) -> Result<(), Errno> {
        self.calls
            .push(format!("iomem_permission({first:#x}, {nr}, {allow})"));
        let last = first
            .checked_add(nr.checked_sub(1).ok_or(Errno::INVAL)?)
            .ok_or(Errno::INVAL)?;
        if !FrameSet::from(first..=last).is_subset(&self.state.iomem) {
            return Err(Errno::PERM);
        }
        if !allow && !self.ignore_denies {
            self.state.iomem.remove(first..=last);
        }
        Ok(())
    }

    fn ioport_permission(&mut self, first: u32, nr: u32, allow: bool) -> Result<(), Errno> {
        self.calls
            .push(format!("ioport_permission({first:#x}, {nr}, {allow})"));
        let end = first.checked_add(nr).ok_or(Errno::INVAL)?;
        if nr == 0 || end > 0x1_0000 {
            return Err(Errno::INVAL);
        }
        let (a, b) = (first as u16, (end - 1) as u16);
        if !PortSet::from(a..=b).is_subset(&self.state.ioports) {
            return Err(Errno::PERM);
        }
        if !allow && !self.ignore_denies {
            self.state.ioports.remove(a..=b);
        }
        Ok(())
    }
}

impl RangesetSource for FakeXen {
    fn dom0_rangesets(&mut self) -> Result<Dom0Rangesets, String> {
        self.reads += 1;
        Ok(self.state.clone())
    }
}

/// The running Xen, through `/dev/xen/privcmd`.
#[derive(Debug)]
pub struct LiveXen {
    pc: dom0scope_privcmd::Privcmd,
    domctl_version: u32,
}

impl LiveXen {
    /// Opens privcmd under `dev` (else `proc/xen/privcmd`); `domctl_version` is the running
    /// release's `XEN_DOMCTL_INTERFACE_VERSION` ([`abi::domctl_version`]).
    pub fn open(dev: &Path, proc: &Path, domctl_version: u32) -> std::io::Result<LiveXen> {
        Ok(LiveXen {
            pc: dom0scope_privcmd::Privcmd::open(dev, proc)?,
            domctl_version,
        })
    }

    /// The running Xen's release from its banner in the console ring (when sysfs lacks it).
    pub fn banner_version(dev: &Path, proc: &Path) -> Option<plan::XenRelease> {
        let mut pc = dom0scope_privcmd::Privcmd::open(dev, proc).ok()?;
        let (ring, _) = pc.read_ring(None).ok()?;
        let v = dom0scope_facts::xenlog::parse("xen console", &ring)
            .ok()?
            .version?;
        plan::XenRelease::parse(&v.full())
    }
}

impl Domctl for LiveXen {
    fn iomem_permission(&mut self, first: u64, nr: u64, allow: bool) -> Result<(), Errno> {
        self.pc.domctl(&abi::iomem_permission(
            self.domctl_version,
            0,
            first,
            nr,
            allow,
        ))
    }

    fn ioport_permission(&mut self, first: u32, nr: u32, allow: bool) -> Result<(), Errno> {
        self.pc.domctl(&abi::ioport_permission(
            self.domctl_version,
            0,
            first,
            nr,
            allow,
        ))
    }
}

impl RangesetSource for LiveXen {
    /// Presses debug key `q` and reads back only what Xen printed after it (the ring index
    /// from a read just before), so a stale dump can never be taken for the current state.
    fn dom0_rangesets(&mut self) -> Result<Dom0Rangesets, String> {
        let (_, index) = self
            .pc
            .read_ring(None)
            .map_err(|e| format!("XEN_SYSCTL_readconsole: {e}"))?;
        self.pc
            .debug_keys(b"q")
            .map_err(|e| format!("XEN_SYSCTL_debug_keys 'q': {e}"))?;
        let (fresh, _) = self
            .pc
            .read_ring(Some(index))
            .map_err(|e| format!("XEN_SYSCTL_readconsole: {e}"))?;
        Dom0Rangesets::from_log("Xen console after debug key 'q'", &fresh)
    }
}

/// What happened to one range of the plan.
#[derive(Debug, Clone)]
pub struct Entry {
    pub range: Range,
    /// Not applied: its status in the plan is not `planned`.
    pub not_planned: bool,
    /// Sub-ranges already absent before enforce.
    pub absent_before: Vec<RangeInclusive<u64>>,
    /// Sub-ranges revoked (or, in a dry run, to revoke).
    pub revoked: Vec<RangeInclusive<u64>>,
    /// A domctl that failed: the sub-range and the error.
    pub failed: Option<(RangeInclusive<u64>, Errno)>,
    /// Sub-ranges still in Xen's rangesets after enforce (None: not re-read, a dry run).
    pub present_after: Option<Vec<RangeInclusive<u64>>>,
}

impl Entry {
    /// The range is planned and, after enforce, wholly absent from Xen's rangesets.
    pub fn proven(&self) -> bool {
        !self.not_planned && self.present_after.as_ref().is_some_and(Vec::is_empty)
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub entries: Vec<Entry>,
    pub before: Option<Dom0Rangesets>,
    pub after: Option<Dom0Rangesets>,
    /// The re-grant test: the range tried and Xen's answer.
    pub regrant: Option<(String, Result<(), Errno>)>,
    pub dry_run: bool,
}

impl Outcome {
    /// Every planned range is gone (live run), nothing failed, and a re-grant (if tried) failed.
    pub fn success(&self) -> bool {
        let ranges_ok = self
            .entries
            .iter()
            .all(|e| e.not_planned || (e.failed.is_none() && (self.dry_run || e.proven())));
        let regrant_ok = !matches!(self.regrant, Some((_, Ok(()))));
        ranges_ok && regrant_ok
    }
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum EnforceError {
    #[error("cannot read Xen's rangesets for dom0 before enforcing: {0}")]
    Before(String),
    #[error(
        "cannot read Xen's rangesets for dom0 after enforcing (the changes above were made): {0}"
    )]
    After(String),
    #[error("writing the log: {0}")]
    Log(#[from] std::io::Error),
}

fn fmt_range(r: &RangeInclusive<u64>) -> String {
    format!("{:#x}-{:#x}", r.start(), r.end())
}

fn fmt_ranges(rs: &[RangeInclusive<u64>]) -> String {
    rs.iter().map(fmt_range).collect::<Vec<_>>().join(", ")
}

/// The parts of `r` present in `cur`.
fn present(cur: &Dom0Rangesets, res: Resource, r: RangeInclusive<u64>) -> Vec<RangeInclusive<u64>> {
    match res {
        Resource::Iomem => cur.iomem.intersect_range(r).ranges().collect(),
        Resource::Ioport => {
            let (a, b) = (*r.start(), *r.end());
            if a > 0xffff {
                return Vec::new();
            }
            let set = cur.ioports.intersect_range(a as u16..=b.min(0xffff) as u16);
            set.ranges()
                .map(|x| u64::from(*x.start())..=u64::from(*x.end()))
                .collect()
        }
    }
}

fn absent(r: &RangeInclusive<u64>, pres: &[RangeInclusive<u64>]) -> Vec<RangeInclusive<u64>> {
    let mut s = FrameSet::from(r.clone());
    for p in pres {
        s.remove(p.clone());
    }
    s.ranges().collect()
}

fn plan_entry(
    r: &Range,
    cur: Option<&Dom0Rangesets>,
    log: &mut dyn Write,
    verb: &str,
) -> std::io::Result<(Entry, Vec<RangeInclusive<u64>>)> {
    let mut e = Entry {
        range: r.clone(),
        not_planned: r.status != Status::Planned,
        absent_before: Vec::new(),
        revoked: Vec::new(),
        failed: None,
        present_after: None,
    };
    if e.not_planned {
        writeln!(
            log,
            "enforce: keep {}: {} in the plan{}",
            r.describe(),
            r.status.label(),
            if r.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.reason)
            }
        )?;
        return Ok((e, Vec::new()));
    }
    let todo = match cur {
        Some(c) => present(c, r.resource, r.first..=r.last),
        None => vec![r.first..=r.last],
    };
    e.absent_before = absent(&(r.first..=r.last), &todo);
    if todo.is_empty() {
        writeln!(
            log,
            "enforce: skip {}: already absent from Xen's rangesets ({})",
            r.describe(),
            cur.map_or("-", |c| c.source.as_str())
        )?;
    } else if !e.absent_before.is_empty() {
        writeln!(
            log,
            "enforce: {}: already absent: {}; {verb} the rest",
            r.describe(),
            fmt_ranges(&e.absent_before)
        )?;
    }
    Ok((e, todo))
}

fn domctl_name(res: Resource) -> &'static str {
    match res {
        Resource::Iomem => "XEN_DOMCTL_iomem_permission",
        Resource::Ioport => "XEN_DOMCTL_ioport_permission",
    }
}

fn call(
    xen: &mut dyn Domctl,
    res: Resource,
    r: &RangeInclusive<u64>,
    allow: bool,
) -> Result<(), Errno> {
    let nr = r.end() - r.start() + 1;
    match res {
        Resource::Iomem => xen.iomem_permission(*r.start(), nr, allow),
        Resource::Ioport => xen.ioport_permission(*r.start() as u32, nr as u32, allow),
    }
}

/// A dry run: validates nothing further and issues no hypercall (it takes no [`Domctl`]); with
/// `current` (a fresh snapshot's rangesets) it skips what is already absent.
pub fn dry_run(
    plan: &plan::Plan,
    current: Option<&Dom0Rangesets>,
    log: &mut dyn Write,
) -> Result<Outcome, EnforceError> {
    let mut entries = Vec::new();
    for r in &plan.ranges {
        let (mut e, todo) = plan_entry(r, current, log, "would revoke")?;
        for r in &todo {
            writeln!(
                log,
                "enforce: would revoke {} {} ({}): {} d0 allow=0 (dry run, no hypercall)",
                e.range.resource.label(),
                fmt_range(r),
                e.range.what,
                domctl_name(e.range.resource)
            )?;
        }
        e.revoked = todo;
        entries.push(e);
    }
    Ok(Outcome {
        entries,
        before: current.cloned(),
        after: None,
        regrant: None,
        dry_run: true,
    })
}

/// Applies the plan's `planned` ranges to dom0 through `xen`, logging each change, then
/// re-reads Xen's rangesets and checks each range is gone. With `regrant_test`, afterwards
/// tries to grant the first revoked range back and expects Xen to refuse.
pub fn apply<X: Domctl + RangesetSource>(
    plan: &plan::Plan,
    xen: &mut X,
    log: &mut dyn Write,
    regrant_test: bool,
) -> Result<Outcome, EnforceError> {
    let before = xen.dom0_rangesets().map_err(EnforceError::Before)?;
    writeln!(
        log,
        "enforce: dom0 before: I/O Memory {}, I/O Ports {} ({})",
        before.iomem.to_xen(Radix::Hex),
        before.ioports.to_xen(Radix::Hex),
        before.source
    )?;
    let mut entries = Vec::new();
    for r in &plan.ranges {
        let (mut e, todo) = plan_entry(r, Some(&before), log, "revoking")?;
        for r in &todo {
            let res = call(xen, e.range.resource, r, false);
            let nr = r.end() - r.start() + 1;
            match res {
                Ok(()) => {
                    writeln!(
                        log,
                        "enforce: revoked {} {} ({}): {} d0 first={:#x} nr={nr} allow=0 -> ok",
                        e.range.resource.label(),
                        fmt_range(r),
                        e.range.what,
                        domctl_name(e.range.resource),
                        r.start()
                    )?;
                    e.revoked.push(r.clone());
                }
                Err(err) => {
                    writeln!(
                        log,
                        "enforce: FAILED {} {} ({}): {} d0 first={:#x} nr={nr} allow=0 -> {err} (errno {})",
                        e.range.resource.label(),
                        fmt_range(r),
                        e.range.what,
                        domctl_name(e.range.resource),
                        r.start(),
                        err.raw_os_error()
                    )?;
                    e.failed = Some((r.clone(), err));
                    break;
                }
            }
        }
        entries.push(e);
    }
    let after = xen.dom0_rangesets().map_err(EnforceError::After)?;
    writeln!(
        log,
        "enforce: dom0 after: I/O Memory {}, I/O Ports {} ({})",
        after.iomem.to_xen(Radix::Hex),
        after.ioports.to_xen(Radix::Hex),
        after.source
    )?;
    for e in entries.iter_mut().filter(|e| !e.not_planned) {
        let still = present(&after, e.range.resource, e.range.first..=e.range.last);
        if still.is_empty() {
            writeln!(
                log,
                "enforce: proven: {} is absent from Xen's rangesets",
                e.range.describe()
            )?;
        } else {
            writeln!(
                log,
                "enforce: NOT REVOKED: {} still in Xen's rangesets: {}",
                e.range.describe(),
                fmt_ranges(&still)
            )?;
        }
        e.present_after = Some(still);
    }
    let mut regrant = None;
    if regrant_test && let Some(e) = entries.iter().find(|e| e.proven()) {
        let r = e.range.first..=e.range.last;
        let what = format!("{} {}", e.range.resource.label(), fmt_range(&r));
        let res = call(xen, e.range.resource, &r, true);
        match res {
            Err(err) => writeln!(
                log,
                "enforce: re-grant test: {} d0 {what} allow=1 -> {err}: refused by Xen, as it must be",
                domctl_name(e.range.resource)
            )?,
            Ok(()) => {
                writeln!(
                    log,
                    "enforce: re-grant test: {} d0 {what} allow=1 -> ok: Xen GRANTED it back; revoking again",
                    domctl_name(e.range.resource)
                )?;
                let again = call(xen, e.range.resource, &r, false);
                writeln!(log, "enforce: revoke again {what} -> {again:?}")?;
            }
        }
        regrant = Some((what, res));
    }
    Ok(Outcome {
        entries,
        before: Some(before),
        after: Some(after),
        regrant,
        dry_run: false,
    })
}

#[cfg(test)]
mod tests {
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

    fn fake() -> FakeXen {
        FakeXen::new(Dom0Rangesets::from_log("log", LOG.as_bytes()).unwrap())
    }

    #[test]
    fn applies_proves_and_is_idempotent() {
        let p = plan(RANGES);
        let mut x = fake();
        let mut log = Vec::new();
        let o = apply(&p, &mut x, &mut log, true).unwrap();
        let log = String::from_utf8(log).unwrap();
        assert!(o.success(), "{log}");
        assert_eq!(
            x.calls,
            [
                "iomem_permission(0x8f, 2, false)",
                "ioport_permission(0xb2, 1, false)",
                "ioport_permission(0x1e, 2, false)",
                "ioport_permission(0x22, 2, false)",
                "iomem_permission(0x8f, 2, true)",
            ]
        );
        assert_eq!(
            x.state.iomem.to_xen(Radix::Hex),
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
        assert_eq!(x.reads, 2);

        // Second run: nothing left to do, no domctl.
        x.calls.clear();
        let mut log = Vec::new();
        let o = apply(&p, &mut x, &mut log, false).unwrap();
        let log = String::from_utf8(log).unwrap();
        assert!(o.success(), "{log}");
        assert!(x.calls.is_empty(), "{:?}", x.calls);
        assert!(log.contains("skip iomem 0x8f-0x90 (tramp): already absent"));
    }

    #[test]
    fn a_xen_that_ignores_denies_is_caught() {
        let p = plan(RANGES);
        let mut x = fake();
        x.ignore_denies = true;
        let mut log = Vec::new();
        let o = apply(&p, &mut x, &mut log, true).unwrap();
        let log = String::from_utf8(log).unwrap();
        assert!(!o.success());
        assert!(
            log.contains(
                "NOT REVOKED: iomem 0x8f-0x90 (tramp) still in Xen's rangesets: 0x8f-0x90"
            )
        );
        assert!(o.regrant.is_none(), "nothing proven, nothing to re-grant");
    }

    #[test]
    fn a_failing_domctl_is_reported() {
        let p = plan(
            r#"{"resource":"ioport","first":"0xb2","last":"0xb2","what":"smi","status":"planned"}"#,
        );
        #[derive(Debug)]
        struct Refusing(FakeXen);
        impl Domctl for Refusing {
            fn iomem_permission(&mut self, _: u64, _: u64, _: bool) -> Result<(), Errno> {
                Err(Errno::ACCESS)
            }
            fn ioport_permission(&mut self, _: u32, _: u32, _: bool) -> Result<(), Errno> {
                Err(Errno::ACCESS)
            }
        }
        impl RangesetSource for Refusing {
            fn dom0_rangesets(&mut self) -> Result<Dom0Rangesets, String> {
                self.0.dom0_rangesets()
            }
        }
        let mut x = Refusing(fake());
        let mut log = Vec::new();
        let o = apply(&p, &mut x, &mut log, false).unwrap();
        let log = String::from_utf8(log).unwrap();
        assert!(!o.success());
        assert!(log.contains("FAILED ioport 0xb2-0xb2 (smi)"), "{log}");
        assert!(log.contains("NOT REVOKED"), "{log}");
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
        let mut x = fake();
        let o = apply(&p, &mut x, &mut Vec::new(), false).unwrap();
        assert!(o.success());
        assert_eq!(x.calls, ["iomem_permission(0x8f, 2, false)"]);
        x.calls.clear();
        let o = apply(&p, &mut x, &mut Vec::new(), false).unwrap();
        assert!(o.success() && x.calls.is_empty());
    }

    #[test]
    fn from_log_needs_a_dump() {
        let e = Dom0Rangesets::from_log("x", b"(XEN) hello\n").unwrap_err();
        assert!(e.contains("no 'Rangesets belonging to domain 0'"), "{e}");
    }
}
