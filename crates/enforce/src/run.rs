//! The run itself: revoke each planned range where Xen still grants it, log every domctl,
//! then prove the result from Xen's rangesets read afresh (or, in a dry run, only say what
//! would be revoked).

use std::io::Write;
use std::ops::RangeInclusive;

use dom0scope_privcmd::{Errno, Xen};
use dom0scope_ranges::{FrameSet, IoRange};

use crate::Dom0Rangesets;
use crate::plan::{self, Range, Resource, Status};
use crate::xen::{self, RangesetError};

/// What happened to one range of the plan.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The range as the plan states it.
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
    /// One per range of the plan, in its order.
    pub entries: Vec<Entry>,
    /// dom0's rangesets before any change (a dry run: the `current` ones, if given).
    pub before: Option<Dom0Rangesets>,
    /// dom0's rangesets read afresh after the changes (None in a dry run).
    pub after: Option<Dom0Rangesets>,
    /// The re-grant test: the range tried and Xen's answer.
    pub regrant: Option<(String, Result<(), Errno>)>,
    /// Nothing was issued to Xen.
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
    /// Nothing was changed.
    #[error("cannot read Xen's rangesets for dom0 before enforcing")]
    Before(#[source] RangesetError),
    /// The changes logged so far were made, but cannot be proven.
    #[error("cannot read Xen's rangesets for dom0 after enforcing (the changes above were made)")]
    After(#[source] RangesetError),
    /// The log could not be written (the run stops there).
    #[error("writing the log")]
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
    res.range(*r.start(), *r.end())
        .map(|ir| ir.parts_in(&cur.iomem, &cur.ioports))
        .unwrap_or_default()
        .into_iter()
        .map(|(a, b)| a..=b)
        .collect()
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

/// The permission domctl on dom0 for `r`, at domctl interface `version`.
fn call(
    xen: &mut dyn Xen,
    version: u32,
    res: Resource,
    r: &RangeInclusive<u64>,
    allow: bool,
) -> Result<(), Errno> {
    let nr = r.end() - r.start() + 1;
    match res {
        Resource::Iomem => xen::iomem_permission(xen, version, *r.start(), nr, allow),
        Resource::Ioport => {
            xen::ioport_permission(xen, version, *r.start() as u32, nr as u32, allow)
        }
    }
}

/// A dry run: validates nothing further and issues no hypercall (it takes no [`Xen`]); with
/// `current` (a fresh snapshot's rangesets) it skips what is already absent.
pub fn dry_run(
    plan: &plan::Plan,
    current: Option<&Dom0Rangesets>,
    log: &mut dyn Write,
) -> Result<Outcome, EnforceError> {
    let mut entries = Vec::new();
    let mut cur = current.cloned();
    for r in &plan.ranges {
        let (mut e, todo) = plan_entry(r, cur.as_ref(), log, "would revoke")?;
        for r in &todo {
            if let Some(c) = cur.as_mut() {
                take_out(c, e.range.resource, r);
            }
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

/// Takes a revoked (or, in a dry run, to-be-revoked) range out of the working copy of dom0's
/// rangesets, so a later planned range overlapping it (the FACS page inside an ACPI NVS range)
/// is computed against what is left: Xen refuses, with `EPERM`, a deny of a range that is
/// already partly gone.
fn take_out(cur: &mut Dom0Rangesets, resource: Resource, r: &RangeInclusive<u64>) {
    if !cur.source.ends_with(LESS_THIS_RUN) {
        cur.source.push_str(LESS_THIS_RUN);
    }
    match resource.range(*r.start(), *r.end()) {
        Some(IoRange::Frames(f)) => cur.iomem.remove(f),
        Some(IoRange::Ports(p)) => cur.ioports.remove(p),
        None => {}
    }
}

/// Appended to a rangeset source once this run has taken ranges out of it.
const LESS_THIS_RUN: &str = ", after this run's earlier revocations";

/// Applies the plan's `planned` ranges to dom0 through `xen`, logging each change, then
/// re-reads Xen's rangesets and checks each range is gone. `domctl_version` is the running
/// Xen's `XEN_DOMCTL_INTERFACE_VERSION` ([`dom0scope_privcmd::abi::domctl_version`]). With
/// `regrant_test`, afterwards tries to grant the first revoked range back and expects Xen to
/// refuse.
pub fn apply(
    plan: &plan::Plan,
    xen: &mut dyn Xen,
    domctl_version: u32,
    log: &mut dyn Write,
    regrant_test: bool,
) -> Result<Outcome, EnforceError> {
    let before = Dom0Rangesets::read(xen).map_err(EnforceError::Before)?;
    writeln!(log, "enforce: dom0 before: {before}")?;
    let mut entries = Vec::new();
    let mut cur = before.clone();
    for r in &plan.ranges {
        let (mut e, todo) = plan_entry(r, Some(&cur), log, "revoking")?;
        for r in &todo {
            let res = call(xen, domctl_version, e.range.resource, r, false);
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
                    take_out(&mut cur, e.range.resource, r);
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
    let after = Dom0Rangesets::read(xen).map_err(EnforceError::After)?;
    writeln!(log, "enforce: dom0 after: {after}")?;
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
        let res = call(xen, domctl_version, e.range.resource, &r, true);
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
                let again = call(xen, domctl_version, e.range.resource, &r, false);
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
