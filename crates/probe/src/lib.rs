//! `dom0scope probe`: runtime proof, from inside dom0, of what Xen still lets dom0 map —
//! beside the rangesets `enforce` reads, the thing an attacker in dom0 would actually try.
//!
//! - PV dom0: a read-only privcmd foreign mapping of `DOMID_IO` per frame; Xen grants it only
//!   where dom0's I/O memory rangeset allows (measured on real Xen 4.17,
//!   `shared/reference/measured-on-real-xen.md` §1–2). Nothing changes in Xen.
//! - PVH dom0: that call always fails with `ESRCH`; the real path is
//!   `XEN_DOMCTL_memory_mapping` on itself (§5). Probing that way maps the frame into an unused
//!   guest frame and removes it at once: a change, though reversible, so only on request
//!   ([`Method::SelfMap`]).
//! - Ports, only on request and only registers whose reads have no side effects: one byte
//!   read per port through `/dev/port`. Xen answers a denied port with 0xff and no fault
//!   (§2), so an all-0xff read is consistent with "refused" but not proof of it.
//!
//! - Writes, only on request ([`WriteTest`], `--write-test`): per probed frame, one byte
//!   written through a writable mapping (`DOMID_IO`, or the PVH self-mapping through
//!   `/dev/mem`) and put back at once ([`write`]). The only thing probe ever changes in
//!   machine memory, for a moment: it shows whether Xen keeps a frame read-only.
//!
//! Large ranges are sampled (first, last and evenly spaced frames in between, [`MAX_SAMPLES`]);
//! bytes are only ever read from frames the caller marks as RAM ([`Peek`]).
//!
//! Xen is reached through the one seam, [`dom0scope_privcmd::Xen`]: the real `Privcmd` (whose
//! `/dev/port` reads the kernel turns into `in`) or, in tests and `--simulate-xen`, its
//! `SimXen`. The memory-mapping domctl is encoded by [`dom0scope_privcmd::abi::domctl`].

mod peek;
mod scratch;
pub mod write;

use dom0scope_privcmd::abi::{DOMID_IO, domctl};
use dom0scope_ranges::hex;
use serde::Serialize;

pub use dom0scope_privcmd::{Errno, MapError, Window, Xen};
pub use peek::Peek;
pub use scratch::scratch_gfn;
pub use write::{WriteCheck, WriteOutcome};

/// Frames probed per range at most.
pub const MAX_SAMPLES: u64 = 16;

/// dom0 as probe asks Xen about it: the seam, and the running Xen's
/// `XEN_DOMCTL_INTERFACE_VERSION`, needed only for the memory-mapping domctl.
struct Dom0<'x> {
    xen: &'x mut dyn Xen,
    domctl_version: Option<u32>,
}

impl Dom0<'_> {
    /// A read-only foreign mapping of machine frame `mfn` through `DOMID_IO`, copying
    /// `peek.len()` bytes out of it while mapped.
    fn map_domio_ro(&mut self, mfn: u64, peek: &mut [u8]) -> Result<(), MapError> {
        self.xen.map_foreign_ro(DOMID_IO, mfn, peek)
    }

    /// `XEN_DOMCTL_memory_mapping` on dom0 itself: one frame `mfn` at `gfn`, added or removed.
    fn memory_mapping(&mut self, gfn: u64, mfn: u64, add: bool) -> Result<(), Errno> {
        // Without a known interface version, refuse rather than guess (a guess Xen rejects
        // changes nothing, but a caller that did not say which Xen this is should be told).
        let v = self.domctl_version.ok_or(Errno::NOSYS)?;
        self.xen
            .domctl(&domctl::memory_mapping(v, 0, gfn, mfn, add))
    }
}

pub use dom0scope_ranges::Resource;

/// One range to probe.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// Frames or ports.
    pub resource: Resource,
    /// The first frame or port.
    #[serde(serialize_with = "hex::u64")]
    pub first: u64,
    /// Inclusive.
    #[serde(serialize_with = "hex::u64")]
    pub last: u64,
    /// What the range is (`Xen AP trampoline`).
    pub what: String,
    /// Where the range came from (`plan: planned`, `--mfn`).
    pub origin: String,
    /// Whether bytes may be read from the first frame, and what they should show.
    pub peek: Peek,
    /// For ports: a read has no side effects (probe reads nothing else).
    pub read_safe: bool,
    /// A range dom0 keeps (the plan refused to give it up): expected granted whatever the
    /// caller expects of the rest.
    pub kept: bool,
}

/// How frames are probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Method {
    /// Read-only foreign mapping of `DOMID_IO` (PV dom0).
    DomIo,
    /// Memory-mapping domctl on dom0 itself at `scratch_gfn`, removed at once (PVH dom0).
    SelfMap {
        /// The unused guest frame each machine frame is mapped at.
        #[serde(serialize_with = "hex::u64")]
        scratch_gfn: u64,
    },
}

/// The write test's settings (`--write-test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WriteTest {
    /// The byte written in each frame (below 4096).
    #[serde(serialize_with = "hex::u16")]
    pub offset: u16,
}

/// The answer for one frame or port, or for a whole range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Xen mapped the frame (or a port read returned something other than 0xff).
    Granted,
    /// Xen refused the frame (`EPERM`).
    Refused,
    /// Every byte read 0xff: what Xen returns for a denied port, and what some registers hold.
    ReadsAllOnes,
    /// Some sampled frames were granted, some refused.
    Mixed,
    /// This method cannot answer here (`ESRCH`: `DOMID_IO` in a PVH dom0).
    Unsupported,
    /// Not probed (ports without `--ports`, or a register whose read is not known to be safe).
    Skipped,
    /// Another error (the detail says which).
    Failed,
}

impl Outcome {
    /// As the text report shows it (`GRANTED`).
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Granted => "GRANTED",
            Outcome::Refused => "REFUSED",
            Outcome::ReadsAllOnes => "READS 0xff",
            Outcome::Mixed => "MIXED",
            Outcome::Unsupported => "UNSUPPORTED",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "FAILED",
        }
    }
}

/// One probed frame or port.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// The frame or port.
    #[serde(serialize_with = "hex::u64")]
    pub at: u64,
    /// Xen's answer for it.
    pub outcome: Outcome,
    /// The error Xen or the kernel gave, or what the bytes showed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The write test of this frame (`--write-test`; frames only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<WriteCheck>,
}

/// One range's result.
#[derive(Debug, Clone, Serialize)]
pub struct RangeResult {
    /// The range probed.
    pub target: Target,
    /// One answer for the range ([`Outcome::Mixed`] when the samples disagree).
    pub outcome: Outcome,
    /// Frames or ports in the range.
    pub size: u64,
    /// Each frame or port probed.
    pub samples: Vec<Sample>,
    /// The write test's answer for the range (`--write-test`; frames only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<WriteOutcome>,
    /// Why it was not probed, or how it was sampled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Everything probe found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `dom0scope-probe/1`.
    pub schema: &'static str,
    /// How frames were probed.
    pub method: Method,
    /// Whether ports were read (`--ports`, `--port`).
    pub ports_read: bool,
    /// The write test, if asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_test: Option<WriteTest>,
    /// One per target, in order, up to where probing stopped.
    pub ranges: Vec<RangeResult>,
    /// Why probing stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// The frames probed for `first..=last`: all of a small range, else first, last and evenly
/// spaced frames between, [`MAX_SAMPLES`] in all.
pub fn sample_points(first: u64, last: u64) -> Vec<u64> {
    let n = last - first;
    if n < MAX_SAMPLES {
        return (first..=last).collect();
    }
    let steps = MAX_SAMPLES - 1;
    let mut v: Vec<u64> = (0..=steps)
        .map(|i| first + ((u128::from(n) * u128::from(i)) / u128::from(steps)) as u64)
        .collect();
    v.dedup();
    v
}

/// Probes every target through `xen`, and with `write_test` tries a write to each probed
/// frame Xen maps. `domctl_version` is the running Xen's `XEN_DOMCTL_INTERFACE_VERSION`,
/// needed only for [`Method::SelfMap`] (without it each frame fails with `ENOSYS`). Stops
/// early (and says why) when the method turns out not to work here, or when a self-mapping
/// could not be removed again.
pub fn run(
    xen: &mut dyn Xen,
    domctl_version: Option<u32>,
    method: Method,
    targets: &[Target],
    ports: bool,
    write_test: Option<WriteTest>,
) -> Report {
    let xen = &mut Dom0 {
        xen,
        domctl_version,
    };
    let mut report = Report {
        schema: "dom0scope-probe/1",
        method,
        ports_read: ports,
        write_test,
        ranges: Vec::new(),
        stopped: None,
    };
    for t in targets {
        if report.stopped.is_some() {
            break;
        }
        let size = t.last.saturating_sub(t.first).saturating_add(1);
        let mut r = RangeResult {
            target: t.clone(),
            outcome: Outcome::Skipped,
            size,
            samples: Vec::new(),
            write: None,
            note: None,
        };
        if t.first > t.last {
            r.outcome = Outcome::Failed;
            r.note = Some("empty range: first > last".into());
            report.ranges.push(r);
            continue;
        }
        match t.resource {
            Resource::Ioport => probe_ports(xen, t, ports, &mut r),
            Resource::Iomem => {
                for mfn in sample_points(t.first, t.last) {
                    let s = match method {
                        Method::DomIo => domio(xen, t, mfn, write_test),
                        Method::SelfMap { scratch_gfn } => {
                            match self_map(xen, scratch_gfn, mfn, write_test) {
                                Ok(s) => s,
                                Err(stop) => {
                                    r.samples.push(stop.0);
                                    report.stopped = Some(stop.1);
                                    break;
                                }
                            }
                        }
                    };
                    let unsupported = s.outcome == Outcome::Unsupported;
                    r.samples.push(s);
                    if unsupported {
                        report.stopped = Some(
                            "Xen refused DOMID_IO foreign mappings with ESRCH: this is a PVH \
                             dom0, where only the memory-mapping domctl reaches machine frames \
                             (re-run with --pvh-self-map)"
                                .into(),
                        );
                        break;
                    }
                }
                r.outcome = summarise(&r.samples);
                r.write = write::summarise(r.samples.iter().filter_map(|s| s.write.as_ref()));
                if r.samples.len() as u64 != size && !r.samples.is_empty() {
                    r.note = Some(format!("{} of {size} frames sampled", r.samples.len()));
                }
            }
        }
        report.ranges.push(r);
    }
    report
}

fn domio(xen: &mut Dom0<'_>, t: &Target, mfn: u64, write_test: Option<WriteTest>) -> Sample {
    let mut buf = vec![0u8; if mfn == t.first { t.peek.len() } else { 0 }];
    match xen.map_domio_ro(mfn, &mut buf) {
        Ok(()) => Sample {
            at: mfn,
            outcome: Outcome::Granted,
            detail: (!buf.is_empty()).then(|| t.peek.describe(&buf)),
            write: write_test.map(|w| {
                let at = Window::Foreign {
                    dom: DOMID_IO,
                    gfn: mfn,
                };
                write::check(xen.xen, at, w.offset)
            }),
        },
        Err(e) => {
            let mut s = from_error(mfn, e);
            s.write = write_test.map(|w| not_mapped(&s, w));
            s
        }
    }
}

/// The write test of a frame Xen would not map even read-only: not tried.
fn not_mapped(s: &Sample, w: WriteTest) -> WriteCheck {
    let outcome = if s.outcome == Outcome::Refused {
        WriteOutcome::MapRefused
    } else {
        WriteOutcome::Failed
    };
    WriteCheck {
        outcome,
        offset: w.offset,
        before: None,
        after: None,
        detail: "not tried: the frame was not mapped for reading".into(),
    }
}

fn from_error(at: u64, e: MapError) -> Sample {
    let outcome = match e {
        MapError::Frame(Errno::PERM) => Outcome::Refused,
        MapError::Frame(Errno::SRCH) => Outcome::Unsupported,
        _ => Outcome::Failed,
    };
    Sample {
        at,
        outcome,
        detail: Some(e.to_string()),
        write: None,
    }
}

/// Maps `mfn` at `gfn` (with `write_test`, tries the write through `/dev/mem` there) and
/// removes it again. `Err` carries the sample and the reason to stop: the removal failed, so
/// the frame is still mapped there.
fn self_map(
    xen: &mut Dom0<'_>,
    gfn: u64,
    mfn: u64,
    write_test: Option<WriteTest>,
) -> Result<Sample, (Sample, String)> {
    match xen.memory_mapping(gfn, mfn, true) {
        Ok(()) => {
            let write = write_test.map(|w| write::check(xen.xen, Window::Phys { gfn }, w.offset));
            self_unmap(xen, gfn, mfn, write)
        }
        Err(e) => {
            let outcome = if e == Errno::PERM {
                Outcome::Refused
            } else {
                Outcome::Failed
            };
            let mut s = Sample {
                at: mfn,
                outcome,
                detail: Some(format!("XEN_DOMCTL_memory_mapping: {e}")),
                write: None,
            };
            s.write = write_test.map(|w| not_mapped(&s, w));
            Ok(s)
        }
    }
}

fn self_unmap(
    xen: &mut Dom0<'_>,
    gfn: u64,
    mfn: u64,
    write: Option<WriteCheck>,
) -> Result<Sample, (Sample, String)> {
    match xen.memory_mapping(gfn, mfn, false) {
        Ok(()) => Ok(Sample {
            at: mfn,
            outcome: Outcome::Granted,
            detail: Some(format!("mapped at gfn {gfn:#x} and removed")),
            write,
        }),
        Err(e) => {
            let msg = format!(
                "frame {mfn:#x} was mapped at gfn {gfn:#x} but removing it failed ({e}): it is \
                 STILL MAPPED in dom0's physical address space"
            );
            Err((
                Sample {
                    at: mfn,
                    outcome: Outcome::Granted,
                    detail: Some(msg.clone()),
                    write,
                },
                msg,
            ))
        }
    }
}

fn probe_ports(xen: &mut Dom0<'_>, t: &Target, ports: bool, r: &mut RangeResult) {
    if !ports {
        r.note = Some("ports are read only with --ports".into());
        return;
    }
    if !t.read_safe {
        r.note =
            Some("not read: reading this register is not known to be free of side effects".into());
        return;
    }
    for port in t.first..=t.last {
        let Ok(p) = u16::try_from(port) else { break };
        r.samples.push(match xen.xen.read_port(p) {
            Ok(v) => Sample {
                at: port,
                outcome: if v == 0xff {
                    Outcome::ReadsAllOnes
                } else {
                    Outcome::Granted
                },
                detail: Some(if v == 0xff {
                    "read 0xff, which is what Xen returns for a port dom0 may not use".into()
                } else {
                    format!("read {v:#04x}")
                }),
                write: None,
            },
            Err(e) => Sample {
                at: port,
                outcome: Outcome::Failed,
                detail: Some(e.to_string()),
                write: None,
            },
        });
    }
    r.outcome = summarise(&r.samples);
}

/// One outcome for a range: all alike, else `Mixed` (granted and refused), else the first
/// failure. A port range with any byte other than 0xff counts as granted.
fn summarise(samples: &[Sample]) -> Outcome {
    let Some(first) = samples.first() else {
        return Outcome::Skipped;
    };
    if samples.iter().all(|s| s.outcome == first.outcome) {
        return first.outcome;
    }
    let has = |o| samples.iter().any(|s| s.outcome == o);
    if has(Outcome::Failed) {
        Outcome::Failed
    } else if has(Outcome::Unsupported) {
        Outcome::Unsupported
    } else if has(Outcome::ReadsAllOnes) && !has(Outcome::Refused) {
        Outcome::Granted
    } else {
        Outcome::Mixed
    }
}

/// What the caller expects of the probed ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Before enforce: every range granted.
    Granted,
    /// After enforce: every range refused (kept ranges still granted).
    Refused,
    /// With the write test: every frame range readable (granted) and no write reached
    /// memory — what Xen's `mmio_ro_ranges` give.
    ReadOnly,
    /// With the write test: every frame range readable and the write reached memory (the
    /// positive control: the test can see a write that lands).
    Writable,
}

/// Ranges whose outcome contradicts `expect` (skipped ranges never do; kept ranges are
/// expected granted). An all-0xff port read is taken as consistent with "refused", never with
/// "granted". [`Expect::ReadOnly`] and [`Expect::Writable`] judge frame ranges by the write
/// test (a range without one contradicts them: not judged is not passed); port ranges under
/// them must read (granted).
pub fn contradictions(report: &Report, expect: Expect) -> Vec<&RangeResult> {
    report
        .ranges
        .iter()
        .filter(|r| {
            if r.outcome == Outcome::Skipped {
                return false;
            }
            let expect = match expect {
                Expect::Refused if r.target.kept => Expect::Granted,
                Expect::ReadOnly | Expect::Writable if r.target.resource == Resource::Ioport => {
                    Expect::Granted
                }
                e => e,
            };
            !matches!(
                (expect, r.outcome, r.write),
                (Expect::Granted, Outcome::Granted, _)
                    | (Expect::Refused, Outcome::Refused | Outcome::ReadsAllOnes, _)
                    | (
                        Expect::ReadOnly,
                        Outcome::Granted,
                        Some(WriteOutcome::Dropped)
                    )
                    | (
                        Expect::Writable,
                        Outcome::Granted,
                        Some(WriteOutcome::Landed)
                    )
            )
        })
        .collect()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_write;
