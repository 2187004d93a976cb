//! `dom0scope enforce PLAN [--dry-run]`: dom0 gives up the plan's `planned` ranges through
//! Xen's permission domctls (crates/enforce), then proves from Xen's rangesets that they are
//! gone. Irreversible until Xen reboots.
//!
//! Exit codes: 0 = every planned range is absent from Xen's rangesets (or, with `--dry-run`,
//! the plan is valid for this host); 1 = a domctl failed or a range is still present (or the
//! re-grant test was granted); 2 = refused before any change (bad plan, another host, unknown
//! Xen, not root, not dom0, a planned range dom0 uses by its live /proc, or a live /proc that
//! cannot show it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::anyhow;
use dom0scope_boundedread::FileKind;
use dom0scope_collect::{CollectError, Sources, preflight};
use dom0scope_enforce::plan::{self, HostView, XenRelease};
use dom0scope_enforce::{Dom0Rangesets, Outcome, RangesetError, banner_version, live};
use dom0scope_privcmd::Privcmd;
use dom0scope_privcmd::abi::{self, XenVersion};
use dom0scope_privcmd::sim::SimXen;
use dom0scope_snapshot::MAX_LOG_BYTES;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan file written by `dom0scope harden -o PLAN` (`dom0scope-plan/1`).
    pub plan: PathBuf,
    /// Validate the plan against this host and print what would be revoked, without any
    /// hypercall.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply a plan that carries no host identity (a plan from a bare Xen log).
    #[arg(long)]
    pub force_host: bool,
    /// With --dry-run: a Xen log or snapshot directory whose debug-key `q` dump gives dom0's
    /// current rangesets, so ranges already given up are shown as skipped.
    #[arg(long, value_name = "LOG|SNAPSHOT", requires = "dry_run")]
    pub current: Option<PathBuf>,
    /// After enforcing, try to grant the first revoked range back and require Xen to refuse.
    #[arg(long, hide = true)]
    pub regrant_test: bool,
    /// Read /proc, /sys and /dev under DIR instead of / (tests).
    #[arg(long, hide = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Apply to a simulated Xen seeded from LOG's `q` dump instead of privcmd (tests).
    #[arg(long, hide = true, value_name = "LOG", conflicts_with = "dry_run")]
    pub simulate_xen: Option<PathBuf>,
}

/// Log lines go to stderr and, in a live run, to the kernel log (one record per line), so the
/// change is on record in dom0's dmesg too. `/dev/kmsg` is opened per record: Linux
/// rate-limits writers per open file (10 records per 5 s by default), and on real Xen that
/// dropped the end of enforce's log from dmesg.
struct Log {
    kmsg: Option<PathBuf>,
    line: Vec<u8>,
}

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' {
                std::io::stderr().write_all(&self.line)?;
                if let Some(path) = &self.kmsg
                    && let Ok(mut k) = std::fs::OpenOptions::new().write(true).open(path)
                {
                    let mut rec = b"dom0scope: ".to_vec();
                    rec.extend_from_slice(&self.line);
                    let _ = k.write_all(&rec);
                }
                self.line.clear();
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// The Xen log of `--current`/`--simulate-xen`: the file, or a snapshot directory's
/// `xen/dmesg.txt`, through the bounded reader (a FIFO or a device is refused, not waited on).
fn xen_log(path: &Path) -> anyhow::Result<(String, Vec<u8>)> {
    let file = if dom0scope_boundedread::kind(path)? == FileKind::Directory {
        path.join("xen/dmesg.txt")
    } else {
        path.to_path_buf()
    };
    let bytes = dom0scope_boundedread::read(&file, MAX_LOG_BYTES)?;
    Ok((file.display().to_string(), bytes))
}

fn banner(source: &str, bytes: &[u8]) -> Option<XenRelease> {
    let v = dom0scope_facts::xenlog::parse(source, bytes)
        .ok()?
        .version?;
    XenRelease::parse(&v.full())
}

/// The simulated Xen of `--simulate-xen`: dom0 holds the rangesets of the log's last `q` dump
/// (`source` names the log), and the console ring holds the log.
pub(crate) fn simulated_xen(
    source: &str,
    log: &[u8],
    domctl_version: Option<u32>,
) -> Result<SimXen, RangesetError> {
    let r = Dom0Rangesets::from_log(source, log)?;
    let mut x = SimXen::new(r.iomem, r.ioports);
    x.domctl_version = domctl_version;
    x.console = log.to_vec();
    Ok(x)
}

/// The running Xen's `XEN_DOMCTL_INTERFACE_VERSION`, from the version Xen itself answers
/// (`XENVER_version` through privcmd), cross-checked with what dom0's kernel shows in
/// `/sys/hypervisor` (`shown`). The two disagreeing means one of them is not the running Xen
/// (a stale sysfs view, a nested or shimmed hypervisor): nothing is issued then.
pub(crate) fn running_domctl_version(
    pc: &Privcmd,
    shown: Option<&XenRelease>,
) -> Result<u32, String> {
    reconcile(pc.xen_version(), shown)
}

fn reconcile(asked: &XenVersion, shown: Option<&XenRelease>) -> Result<u32, String> {
    let v = abi::interfaces(asked)
        .map_err(|e| format!("the running Xen's domctl interface version is unknown: {e}"))?
        .domctl;
    match shown.and_then(|h| Some((h, h.domctl_version()?))) {
        Some((h, w)) if w != v => Err(format!(
            "Xen answers XENVER_version {asked} (domctl interface {v:#x}) but dom0 shows Xen {} \
             (interface {w:#x}): which one runs is unclear",
            h.text
        )),
        _ => Ok(v),
    }
}

fn refuse(what: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("refusing to enforce, nothing was changed: {what}")
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let shown = args.plan.display().to_string();
    let plan = plan::load(&args.plan).map_err(refuse)?;
    let euid = Sources::live().euid;
    let src = match &args.root {
        Some(r) => Sources::under(r, euid),
        None => Sources::live(),
    };
    let live = !args.dry_run && args.simulate_xen.is_none();
    if !args.dry_run {
        preflight(&src).map_err(|e| match e {
            CollectError::NotRoot { euid } => refuse(format!(
                "must run as root (effective uid is {euid}): Xen's permission domctls need privcmd"
            )),
            other => refuse(other),
        })?;
    }
    let mut host = HostView::read(&src.sys);
    let current = match (&args.current, &args.simulate_xen) {
        (Some(p), _) | (None, Some(p)) => Some(xen_log(p).map_err(refuse)?),
        _ => None,
    };
    if host.xen.is_none() {
        host.xen = match &current {
            Some((s, b)) => banner(s, b),
            None if live => Privcmd::open(&src.dev, &src.proc)
                .ok()
                .and_then(|mut pc| banner_version(&mut pc)),
            None => None,
        };
    }
    // A dry run checks the plan against this host's Xen and dom0, or against --current: off
    // Xen, with nothing given, there is nothing to check and a success would say it fits.
    if args.dry_run && host.xen.is_none() && current.is_none() {
        return Err(refuse(
            "this is not a Xen dom0 (no /sys/hypervisor/version): a dry run checks the plan \
             against the running Xen and dom0. Run it in the dom0 the plan is for, or give \
             --current SNAPSHOT|LOG to check it against a snapshot of that host",
        ));
    }
    let notes =
        plan::check_host(&plan, &shown, &host, args.force_host, !args.dry_run).map_err(refuse)?;
    let mut log = Log {
        kmsg: live.then(|| src.dev.join("kmsg")),
        line: Vec::new(),
    };
    writeln!(
        log,
        "enforce: plan {shown} (snapshot {}, Xen {}): {} ranges, {} planned",
        plan.snapshot,
        plan.xen.text,
        plan.ranges.len(),
        plan.planned().count()
    )?;
    for n in notes {
        writeln!(log, "enforce: {n}")?;
    }
    live_proc_check(&plan, &shown, &host, &src, args.dry_run, &mut log)?;
    let outcome = if args.dry_run {
        let cur = match &current {
            Some((s, b)) => Some(Dom0Rangesets::from_log(s, b).map_err(refuse)?),
            None => {
                writeln!(
                    log,
                    "enforce: no current rangesets given (--current): every planned range is listed"
                )?;
                None
            }
        };
        dom0scope_enforce::dry_run(&plan, cur.as_ref(), &mut log)?
    } else {
        if let Some((s, b)) = &current {
            let version = host
                .xen
                .as_ref()
                .and_then(XenRelease::domctl_version)
                .ok_or_else(|| refuse("the simulated Xen's domctl interface version is unknown"))?;
            writeln!(log, "enforce: SIMULATED Xen from {s}: no hypercall is made")?;
            let mut x = simulated_xen(s, b, Some(version)).map_err(refuse)?;
            let o = dom0scope_enforce::apply(&plan, &mut x, version, &mut log, args.regrant_test)?;
            writeln!(
                log,
                "enforce: SIMULATED Xen received {} permission domctls",
                x.domctls().count()
            )?;
            return finish(&o);
        }
        let mut pc = Privcmd::open(&src.dev, &src.proc)
            .map_err(|e| refuse(format!("opening privcmd: {e}")))?;
        let version = running_domctl_version(&pc, host.xen.as_ref()).map_err(refuse)?;
        writeln!(
            log,
            "enforce: giving up the planned ranges through XEN_DOMCTL_iomem_permission / \
             XEN_DOMCTL_ioport_permission on domain 0 (interface {version:#x}); irreversible until Xen reboots"
        )?;
        dom0scope_enforce::apply(&plan, &mut pc, version, &mut log, args.regrant_test)?
    };
    finish(&outcome)
}

/// The summary on stdout, and the exit code.
fn finish(outcome: &Outcome) -> anyhow::Result<ExitCode> {
    print_summary(outcome);
    Ok(if outcome.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// harden's "is it safe to give up" check, again, on dom0's live `/proc/iomem` and
/// `/proc/ioports` (crates/enforce/src/live.rs): a planned range dom0 uses now refuses the
/// whole run, dry or not. Tables that cannot show it (unreadable, empty, all zeros when not
/// root) refuse a run that changes anything and are only noted in a dry run.
fn live_proc_check(
    plan: &plan::Plan,
    shown: &str,
    host: &HostView,
    src: &Sources,
    dry_run: bool,
    log: &mut Log,
) -> anyhow::Result<()> {
    let mode = live::mode_of(host.guest_type.as_deref()).or(plan.dom0_mode);
    match live::read(&src.proc) {
        Ok(proc) => match live::check(plan, &proc, mode) {
            Ok(line) => writeln!(log, "enforce: {line}")?,
            Err(conflicts) => {
                return Err(refuse(format!(
                    "dom0 uses {} planned range{} now, by its live /proc (plan {shown} was checked against the /proc of snapshot {}); make the plan again from a snapshot of this boot: {}",
                    conflicts.len(),
                    if conflicts.len() == 1 { "" } else { "s" },
                    plan.snapshot,
                    conflicts
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )));
            }
        },
        Err(problem) if dry_run => writeln!(
            log,
            "enforce: dom0's live /proc NOT checked (a run without --dry-run refuses): {problem}"
        )?,
        Err(problem) => {
            return Err(refuse(format!(
                "cannot check that dom0 does not use a planned range now: {problem}"
            )));
        }
    }
    Ok(())
}

fn print_summary(o: &Outcome) {
    let planned: Vec<_> = o.entries.iter().filter(|e| !e.not_planned).collect();
    let revoked = planned.iter().filter(|e| !e.revoked.is_empty()).count();
    let failed = planned.iter().filter(|e| e.failed.is_some()).count();
    let skipped = planned
        .iter()
        .filter(|e| e.revoked.is_empty() && e.failed.is_none())
        .count();
    if o.dry_run {
        println!(
            "dry run: {} planned ranges, {} to revoke, {} already absent, {} kept (not planned); no hypercall made",
            planned.len(),
            revoked,
            skipped,
            o.entries.len() - planned.len()
        );
        return;
    }
    let proven = planned.iter().filter(|e| e.proven()).count();
    println!(
        "enforce: {} planned ranges: {} revoked now, {} already absent, {} failed; {} of {} proven absent from Xen's rangesets",
        planned.len(),
        revoked,
        skipped,
        failed,
        proven,
        planned.len()
    );
    match &o.regrant {
        Some((what, Err(e))) => println!("re-grant test: {what}: refused by Xen ({e})"),
        Some((what, Ok(()))) => {
            println!("re-grant test: {what}: GRANTED by Xen (revocation is not final)")
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xenver(major: u32, minor: u32, extra: &str) -> XenVersion {
        XenVersion::from_raw(major << 16 | minor, extra.as_bytes())
    }

    #[test]
    fn the_domctl_version_is_what_the_running_xen_answers() {
        let shown = XenRelease::parse("4.22.0");
        assert_eq!(reconcile(&xenver(4, 22, ".0"), shown.as_ref()), Ok(0x18));
        assert_eq!(reconcile(&xenver(4, 17, ".7"), None), Ok(0x15));
        // sysfs naming another release with another interface: nothing is issued.
        let e = reconcile(&xenver(4, 17, ".7"), shown.as_ref()).unwrap_err();
        assert!(e.contains("4.17.7") && e.contains("4.22.0"), "{e}");
        // A release dom0scope does not know is named, with the known ones.
        let e = reconcile(&xenver(4, 9, ".0"), None).unwrap_err();
        assert!(e.contains("4.9"), "{e}");
    }
}
