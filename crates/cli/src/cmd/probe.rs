//! `dom0scope probe [PLAN]`: asks the running Xen, from inside dom0, whether each protected
//! range can still be mapped (crates/probe) — runtime proof beside `enforce`'s rangesets.
//!
//! Read-only in a PV dom0. In a PVH dom0 the only real path is a memory-mapping domctl on
//! dom0 itself, a reversible change made only with `--pvh-self-map`. Ports are read only with
//! `--ports` (the plan's registers whose reads have no side effects) or `--port`. Only
//! `--write-test` writes: one byte per probed frame, put back at once, to show whether Xen
//! keeps the frame read-only (`--expect read-only`) or lets the write land
//! (`--expect writable`, a positive control).
//!
//! Exit codes: 0 = probed (and, with `--expect`, every probed range as expected); 1 = a range
//! contradicts `--expect`, or probing stopped early, or a write test left a byte changed; 2 =
//! refused before probing (not root, not dom0, bad plan or arguments).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use dom0scope_boundedread::Accept;
use dom0scope_collect::{CollectError, Sources, preflight};
use dom0scope_enforce::banner_version;
use dom0scope_enforce::live::MAX_PROC_BYTES;
use dom0scope_enforce::plan::{self, HostView, Status, XenRelease};
use dom0scope_privcmd::{Privcmd, Xen};
use dom0scope_probe::{
    Expect, Method, Outcome, Peek, Report, Resource, Target, WriteOutcome, WriteTest,
};

use super::output::{Format, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan from `dom0scope harden -o PLAN.json`: probe its planned ranges.
    pub plan: Option<PathBuf>,
    /// Probe every range of the plan, also those it keeps for dom0.
    #[arg(long)]
    pub all: bool,
    /// Also probe machine frames FIRST[-LAST] (hex with 0x, or decimal); repeatable.
    #[arg(long, value_name = "FIRST[-LAST]")]
    pub mfn: Vec<String>,
    /// Read the plan's port registers whose reads have no side effects (SMI_CMD, PM1
    /// control, PM timer, reset control).
    #[arg(long)]
    pub ports: bool,
    /// Also read ports FIRST[-LAST]; you assert reading them has no side effects. Repeatable.
    #[arg(long, value_name = "FIRST[-LAST]")]
    pub port: Vec<String>,
    /// In a PVH dom0: probe with XEN_DOMCTL_memory_mapping on dom0 itself, mapping each frame
    /// at an unused guest frame and removing it at once (a reversible change to dom0's p2m).
    #[arg(long)]
    pub pvh_self_map: bool,
    /// The unused guest frame for --pvh-self-map (default: the first page at or above 4 GiB
    /// that no /proc/iomem entry covers).
    #[arg(long, value_name = "GFN", requires = "pvh_self_map")]
    pub scratch_gfn: Option<String>,
    /// WRITES TO MACHINE MEMORY for a moment: for each probed frame Xen maps, map it
    /// writable (PV: DOMID_IO through privcmd; PVH: the --pvh-self-map frame through
    /// /dev/mem), store the byte at --write-offset XOR 0xff, read it again through a fresh
    /// read-only mapping, and put the old byte back if it changed. Reports per range "write
    /// reached memory", "write did not reach memory (read-only)" or "map refused". The store
    /// runs in a child process that is killed after 2 s (a store to a page Xen keeps
    /// read-only can fault without end). Risk: until it is put back (microseconds), the byte
    /// is wrong for whatever else reads it (firmware, Xen, a device); on a frame Xen does not
    /// protect, that includes Xen's AP trampoline or EFI runtime data. Test hosts only.
    #[arg(long)]
    pub write_test: bool,
    /// The byte --write-test writes within each frame, 0 to 0xfff (default: the last one,
    /// 0xfff, beyond the 4000 bytes of an 80x25 VGA text screen).
    #[arg(long, value_name = "OFFSET", requires = "write_test")]
    pub write_offset: Option<String>,
    /// Exit 1 unless every probed range is granted (before enforce) or refused (after);
    /// ranges the plan keeps for dom0 (with --all) must be granted either way. With
    /// --write-test: read-only = every frame range readable and no write reached memory;
    /// writable = every frame range readable and the write reached memory (a positive
    /// control).
    #[arg(long, value_enum)]
    pub expect: Option<ExpectArg>,
    #[command(flatten)]
    pub out: Output,
    /// Read /proc, /sys and /dev under DIR instead of / (tests).
    #[arg(long, hide = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Answer from the debug-key `q` dump of a snapshot or Xen log instead of Xen (tests):
    /// frames and ports in dom0's rangesets are granted, others refused.
    #[arg(long, hide = true, value_name = "SNAPSHOT|LOG")]
    pub simulate_xen: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExpectArg {
    Granted,
    Refused,
    ReadOnly,
    Writable,
}

impl ExpectArg {
    fn word(self) -> &'static str {
        match self {
            ExpectArg::Granted => "granted",
            ExpectArg::Refused => "refused",
            ExpectArg::ReadOnly => "readable, write did not reach memory",
            ExpectArg::Writable => "readable, write reached memory",
        }
    }
}

/// Plan ranges whose registers can be read without side effects: status/control/timer
/// registers (ACPI 6.5 §4.8.3: PM1 control, PM timer; SMI_CMD reads return the last command
/// without raising an SMI; the 0xcf9 reset control register acts only on writes).
const READ_SAFE: &[&str] = &["SMI_CMD", "PM1a_CNT", "PM1b_CNT", "PM_TMR", "reset control"];

fn parse_num(s: &str) -> anyhow::Result<u64> {
    super::input::number(s).ok_or_else(|| anyhow!("{s:?} is not a number (use 0x for hex)"))
}

fn parse_range(s: &str) -> anyhow::Result<(u64, u64)> {
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (parse_num(a)?, parse_num(b)?),
        None => {
            let a = parse_num(s)?;
            (a, a)
        }
    };
    if a > b {
        bail!("{s:?}: first is above last");
    }
    Ok((a, b))
}

/// The targets: the plan's ranges, then `--mfn` and `--port`.
fn targets(args: &Args) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    if let Some(p) = &args.plan {
        let plan = plan::load(p).map_err(|e| anyhow!("{e}"))?;
        for r in &plan.ranges {
            if r.status != Status::Planned && !args.all {
                continue;
            }
            let resource = r.resource;
            let closes = |rule: &str| r.closes.iter().chain(&r.narrows).any(|c| c == rule);
            let peek = if resource != Resource::Iomem {
                Peek::None
            } else if closes("DOM0_LOWMEM_TRAMPOLINE") {
                Peek::Trampoline
            } else if closes("DOM0_S3_WAKING_VECTOR") {
                Peek::Facs
            } else {
                Peek::None
            };
            out.push(Target {
                resource,
                first: r.first,
                last: r.last,
                what: r.what.clone(),
                origin: match r.status {
                    Status::Planned => "plan: planned",
                    Status::Refused => "plan: kept for dom0",
                    Status::Unchecked => "plan: unchecked, not applied",
                }
                .into(),
                peek,
                read_safe: READ_SAFE.iter().any(|k| r.what.contains(k)),
                kept: r.status != Status::Planned,
            });
        }
    }
    for m in &args.mfn {
        let (first, last) = parse_range(m).with_context(|| format!("--mfn {m}"))?;
        if last > dom0scope_harden::MAX_MFN {
            bail!(
                "--mfn {m}: machine frames end at {:#x} (52-bit physical addresses), as in a plan",
                dom0scope_harden::MAX_MFN
            );
        }
        out.push(Target {
            resource: Resource::Iomem,
            first,
            last,
            what: "frames named on the command line".into(),
            origin: "--mfn".into(),
            peek: Peek::None,
            read_safe: false,
            kept: false,
        });
    }
    for p in &args.port {
        let (first, last) = parse_range(p).with_context(|| format!("--port {p}"))?;
        if last > 0xffff {
            bail!("--port {p}: ports end at 0xffff");
        }
        out.push(Target {
            resource: Resource::Ioport,
            first,
            last,
            what: "ports named on the command line".into(),
            origin: "--port".into(),
            peek: Peek::None,
            read_safe: true,
            kept: false,
        });
    }
    if out.is_empty() {
        bail!(
            "nothing to probe: give a plan (`dom0scope harden -o plan.json`), --mfn or --port \
             (a plan with no planned ranges probes nothing; --all probes its kept ranges too)"
        );
    }
    Ok(out)
}

/// The write test asked for, its offset checked.
fn write_test(args: &Args) -> anyhow::Result<Option<WriteTest>> {
    if !args.write_test {
        if let Some(e @ (ExpectArg::ReadOnly | ExpectArg::Writable)) = args.expect {
            bail!(
                "--expect {} judges the write test: add --write-test",
                match e {
                    ExpectArg::ReadOnly => "read-only",
                    _ => "writable",
                }
            );
        }
        return Ok(None);
    }
    let offset = match &args.write_offset {
        Some(o) => parse_num(o).context("--write-offset")?,
        None => 0xfff,
    };
    let offset = u16::try_from(offset)
        .ok()
        .filter(|&o| o < 0x1000)
        .ok_or_else(|| {
            anyhow!("--write-offset {offset:#x}: a byte within the frame, 0 to 0xfff")
        })?;
    Ok(Some(WriteTest { offset }))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let targets = targets(&args)?;
    let write_test = write_test(&args)?;
    let ports = args.ports || !args.port.is_empty();
    let euid = Sources::live().euid;
    let src = match &args.root {
        Some(r) => Sources::under(r, euid),
        None => Sources::live(),
    };
    let host = HostView::read(&src.sys);
    let pvh = host.guest_type.as_deref() == Some("pvh");
    let method = if args.pvh_self_map {
        if !pvh {
            // xen/common/domctl.c, XEN_DOMCTL_memory_mapping (RELEASE-4.17.7, RELEASE-4.20.4):
            // for a domain without a translated physmap (PV) it returns 0 before any
            // permission check, so every frame would look GRANTED.
            bail!(
                "--pvh-self-map needs a PVH dom0 (/sys/hypervisor/guest_type says {}): Xen \
                 answers XEN_DOMCTL_memory_mapping on a PV domain with success without mapping \
                 or checking anything, so it cannot tell granted from refused; a PV dom0 is \
                 probed without it, through read-only DOMID_IO mappings",
                host.guest_type.as_deref().unwrap_or("nothing")
            );
        }
        let gfn = match &args.scratch_gfn {
            Some(g) => parse_num(g).context("--scratch-gfn")?,
            None => default_scratch(&src)?,
        };
        Method::SelfMap { scratch_gfn: gfn }
    } else {
        if pvh {
            bail!(
                "this is a PVH dom0, where DOMID_IO foreign mappings always fail (ESRCH); the \
                 real path is XEN_DOMCTL_memory_mapping on dom0 itself, which probe uses only \
                 with --pvh-self-map (each frame is mapped at an unused guest frame and removed \
                 at once)"
            );
        }
        Method::DomIo
    };
    // What the running Xen answers to XENVER_version (live only), reconciled with sysfs.
    let mut asked = None;
    let mut xen: Box<dyn Xen> = if let Some(path) = &args.simulate_xen {
        let snap = dom0scope_snapshot::Snapshot::open(path)?;
        let log = snap
            .bare_log()
            .or_else(|| snap.get("xen/dmesg.txt"))
            .ok_or_else(|| anyhow!("{}: no Xen log (xen/dmesg.txt)", path.display()))?;
        let shown = format!("{}: {}", path.display(), log.path);
        let mut x = super::enforce::simulated_xen(&shown, &log.bytes, None)?;
        x.pvh = pvh;
        // A patched Xen's tagged line names the frames it keeps read-only (only the
        // trampoline's: the EFI line gives counts, not ranges).
        if let Some(t) = dom0scope_facts::xenlog::parse(&shown, &log.bytes)
            .ok()
            .and_then(|l| l.patches.trampoline_ro)
        {
            let (a, b) = t.value;
            x.read_only = dom0scope_ranges::FrameSet::from_ranges([a..=b]);
        }
        eprintln!("probe: SIMULATED Xen from {shown}: no hypercall is made");
        Box::new(x)
    } else {
        preflight(&src).map_err(|e| match e {
            CollectError::NotRoot { euid } => {
                anyhow!("must run as root (effective uid is {euid}): privcmd needs it")
            }
            other => anyhow!(other),
        })?;
        let pc = Privcmd::open(&src.dev, &src.proc).context("opening privcmd")?;
        asked = Some(super::enforce::running_domctl_version(
            &pc,
            host.xen.as_ref(),
        ));
        Box::new(pc)
    };
    let version = match (method, asked) {
        (Method::DomIo, _) => None,
        (Method::SelfMap { .. }, Some(asked)) => {
            Some(asked.map_err(|e| anyhow!("{e}: cannot issue XEN_DOMCTL_memory_mapping"))?)
        }
        (Method::SelfMap { .. }, None) => {
            let running = host.xen.clone().or_else(|| banner_version(xen.as_mut()));
            Some(running.as_ref().and_then(XenRelease::domctl_version).ok_or_else(|| {
                anyhow!("the simulated Xen's domctl interface version is unknown: cannot issue XEN_DOMCTL_memory_mapping")
            })?)
        }
    };
    let report = dom0scope_probe::run(xen.as_mut(), version, method, &targets, ports, write_test);
    let expect = args.expect.map(|e| match e {
        ExpectArg::Granted => Expect::Granted,
        ExpectArg::Refused => Expect::Refused,
        ExpectArg::ReadOnly => Expect::ReadOnly,
        ExpectArg::Writable => Expect::Writable,
    });
    let bad: Vec<String> = expect
        .map(|e| {
            dom0scope_probe::contradictions(&report, e)
                .iter()
                .map(|r| describe(&r.target))
                .collect()
        })
        .unwrap_or_default();
    let out = match args.out.format() {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
        Format::Text => render(&report, args.expect, &bad),
    };
    args.out.write(&out)?;
    let left_changed = report
        .ranges
        .iter()
        .any(|r| r.write == Some(WriteOutcome::LeftChanged));
    Ok(
        if bad.is_empty() && report.stopped.is_none() && !left_changed {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

fn default_scratch(src: &Sources) -> anyhow::Result<u64> {
    let path = src.proc.join("iomem");
    let bytes = dom0scope_boundedread::read(&path, MAX_PROC_BYTES)?;
    let mut w = Vec::new();
    let top: Vec<(u64, u64)> =
        dom0scope_facts::linux::resources::parse(&path.display().to_string(), &bytes, &mut w)
            .into_iter()
            .filter(|e| e.depth == 0)
            .map(|e| (e.start, e.end))
            .collect();
    if top.iter().all(|&(s, e)| s == 0 && e == 0) {
        bail!(
            "{}: every address reads 0 (not root?); cannot choose an unused guest frame, give --scratch-gfn",
            path.display()
        );
    }
    // Only the first processor's entry is needed: a prefix of a huge cpuinfo will do.
    let cpuinfo = dom0scope_boundedread::open(&src.proc.join("cpuinfo"), Accept::RegularFile)
        .and_then(|f| f.read_prefix(MAX_PROC_BYTES))
        .map(|p| p.bytes)
        .unwrap_or_default();
    let bits = dom0scope_facts::linux::cpuinfo::parse("cpuinfo", &cpuinfo)
        .and_then(|c| c.phys_bits)
        .unwrap_or(36);
    dom0scope_probe::scratch_gfn(&top, bits).ok_or_else(|| {
        anyhow!("no unused guest frame above 4 GiB within {bits} physical address bits; give --scratch-gfn")
    })
}

fn describe(t: &Target) -> String {
    let r = t.resource.label();
    if t.first == t.last {
        format!("{r} {:#x} ({})", t.first, t.what)
    } else {
        format!("{r} {:#x}-{:#x} ({})", t.first, t.last, t.what)
    }
}

fn render(r: &Report, expect: Option<ExpectArg>, bad: &[String]) -> String {
    let mut o = String::new();
    let how = match r.method {
        Method::DomIo => "read-only foreign mappings of DOMID_IO through privcmd".to_string(),
        Method::SelfMap { scratch_gfn } => format!(
            "XEN_DOMCTL_memory_mapping on dom0 itself at gfn {scratch_gfn:#x}, each removed at once"
        ),
    };
    let _ = writeln!(o, "probe: {how}");
    if let Some(w) = r.write_test {
        let _ = writeln!(
            o,
            "write test: one byte at +{:#x} of each frame Xen maps, stored XOR 0xff through a \
             writable mapping, read again through a fresh read-only one, put back",
            w.offset
        );
    }
    for x in &r.ranges {
        let _ = writeln!(
            o,
            "  {:<11} {}  [{}]",
            x.outcome.label(),
            describe(&x.target),
            x.target.origin
        );
        // The first sample always (it carries any bytes read), others where they differ.
        for (i, smp) in x.samples.iter().enumerate() {
            if let Some(d) = smp
                .detail
                .as_deref()
                .filter(|_| i == 0 || smp.outcome != x.outcome)
            {
                let _ = writeln!(o, "      {:#x}: {} — {d}", smp.at, smp.outcome.label());
            }
        }
        if let Some(w) = x.write {
            let _ = writeln!(o, "      write test: {}", w.label());
            for smp in &x.samples {
                if let Some(c) = &smp.write {
                    let _ = writeln!(
                        o,
                        "      {:#x} +{:#x}: {} — {}",
                        smp.at,
                        c.offset,
                        c.outcome.label(),
                        c.detail
                    );
                }
            }
        }
        if let Some(n) = &x.note {
            let _ = writeln!(o, "      {n}");
        }
    }
    let count = |w: Outcome| r.ranges.iter().filter(|x| x.outcome == w).count();
    let _ = writeln!(
        o,
        "summary: {} ranges: {} granted, {} refused, {} read 0xff, {} mixed, {} skipped, {} failed or unsupported",
        r.ranges.len(),
        count(Outcome::Granted),
        count(Outcome::Refused),
        count(Outcome::ReadsAllOnes),
        count(Outcome::Mixed),
        count(Outcome::Skipped),
        count(Outcome::Failed) + count(Outcome::Unsupported),
    );
    if r.write_test.is_some() {
        let wcount = |w: WriteOutcome| r.ranges.iter().filter(|x| x.write == Some(w)).count();
        let _ = writeln!(
            o,
            "write test: {} reached memory, {} did not (read-only), {} map refused, {} mixed, {} failed, {} LEFT CHANGED",
            wcount(WriteOutcome::Landed),
            wcount(WriteOutcome::Dropped),
            wcount(WriteOutcome::MapRefused),
            wcount(WriteOutcome::Mixed),
            wcount(WriteOutcome::Failed),
            wcount(WriteOutcome::LeftChanged),
        );
    }
    if let Some(s) = &r.stopped {
        let _ = writeln!(o, "STOPPED: {s}");
    }
    if let Some(e) = expect {
        let want = e.word();
        if bad.is_empty() {
            let kept = if r.ranges.iter().any(|x| x.target.kept) {
                ", every range kept for dom0 granted"
            } else {
                ""
            };
            let _ = writeln!(o, "expectation met: every probed range {want}{kept}");
        } else {
            let _ = writeln!(o, "EXPECTATION FAILED ({want}): {}", bad.join("; "));
        }
    }
    o
}
