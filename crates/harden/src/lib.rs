//! The hardening plan: what dom0 should give up itself, what only Xen can
//! change, and the surface that remains.
//!
//! - **Self-revocation**: the exact frame and port ranges dom0 can give up
//!   through Xen's permission domctls (`XEN_DOMCTL_iomem_permission`,
//!   `XEN_DOMCTL_ioport_permission`) early in boot — the AP trampoline, EFI
//!   runtime *code* (not data: Linux reads runtime data, measured), the FACS
//!   page, IOMMU register pages, PM1 control, reset (0xcf9) and SMI_CMD ports,
//!   and the frames of any finding whose remedies include the
//!   `dom0_self_revocation` channel. Each range is checked against what dom0
//!   itself uses (its `/proc/iomem` and `/proc/ioports` in the snapshot): a range
//!   a dom0 driver claims is refused with the claim; without those views every
//!   range is `unchecked`, never silently safe.
//! - **Changes only Xen can make** (and the firmware / dom0-kernel ones), from
//!   the findings' other remedies, grouped by channel.
//! - **Residual**: the verdict re-run on the observed reach minus the planned
//!   ranges (a what-if), with the findings closed and remaining.
//!
//! The plan is a versioned JSON document ([`SCHEMA`]) carrying the host's
//! identity and Xen version so a later `enforce` can refuse a plan for another
//! host.

mod check;
pub mod plan;
mod render;

use std::collections::BTreeMap;

use dom0scope_facts::Facts;
use dom0scope_inventory::{Inventory, Owner, PortOwner};
use dom0scope_ranges::{FrameSet, PortSet, Radix};
use dom0scope_reach::Reach;
use dom0scope_surface::Surface;
use dom0scope_verdict::{Channel, Date, Inputs, Policy, Readings, Verdict};

pub use check::{Dom0Use, Judgement, UseKind, ViewSource, check_range};
pub use plan::{
    Change, ChannelChanges, FindingRef, MAX_PLAN_BYTES, Plan, PlanError, Range, Residual, Resource,
    Revocation, SCHEMA, Span, Status,
};
pub use render::render_text;

/// What the plan is built from.
#[derive(Debug)]
pub struct Context<'a> {
    pub facts: &'a Facts,
    pub inventory: &'a Inventory,
    pub surface: &'a Surface,
    pub verdict: &'a Verdict,
    pub readings: &'a Readings,
    pub policy: &'a Policy,
    pub today: Date,
    pub host: BTreeMap<String, String>,
    pub snapshot: String,
    /// dom0's kernel log (`linux/dmesg`), if the snapshot has it: it tells
    /// whether dom0 drives a VGA text console in the legacy VGA window.
    pub dom0_dmesg: Option<&'a [u8]>,
}

/// Frames and ports the model predicts Xen grants dom0 at boot that the snapshot's rangesets
/// lack: given up earlier in the boot the snapshot was taken in (by `enforce`).
#[derive(Debug)]
struct AlreadyAbsent {
    iomem: FrameSet,
    ioports: PortSet,
    /// The `q` dump that shows them absent (`xen/dmesg.txt:315`).
    source: String,
}

impl AlreadyAbsent {
    fn of(reach: &Reach) -> Option<AlreadyAbsent> {
        let obs = reach.observed.as_ref()?;
        let pred = reach.predicted.as_ref()?;
        let iomem = pred.iomem.difference(&obs.iomem);
        let ioports = obs
            .ioports
            .as_ref()
            .map(|p| pred.ioports.difference(p))
            .unwrap_or_default();
        if iomem.is_empty() && ioports.is_empty() {
            return None;
        }
        Some(AlreadyAbsent {
            iomem,
            ioports,
            source: format!("{}:{}", obs.header.artifact, obs.header.line),
        })
    }

    /// dom0's reach at the next boot: the observed reach plus what is already absent.
    fn boot_reach(&self, reach: &Reach) -> Reach {
        let mut r = reach.clone();
        if let Some(o) = r.observed.as_mut() {
            o.iomem = o.iomem.union(&self.iomem);
            if let Some(p) = o.ioports.as_mut() {
                *p = p.union(&self.ioports);
            }
        }
        r
    }

    /// The parts of `r` already absent.
    fn within(&self, r: &Range) -> Vec<Span> {
        match r.resource {
            Resource::Iomem => self
                .iomem
                .intersect_range(r.first..=r.last)
                .ranges()
                .map(|x| Span {
                    first: *x.start(),
                    last: *x.end(),
                })
                .collect(),
            Resource::Ioport => match (u16::try_from(r.first), u16::try_from(r.last)) {
                (Ok(a), Ok(b)) => self
                    .ioports
                    .intersect_range(a..=b)
                    .ranges()
                    .map(|x| Span {
                        first: u64::from(*x.start()),
                        last: u64::from(*x.end()),
                    })
                    .collect(),
                _ => Vec::new(),
            },
        }
    }
}

impl Plan {
    /// Builds the plan and its what-if residual, for dom0's reach **at boot**.
    ///
    /// The snapshot's rangesets show dom0's reach at the time of the snapshot. After
    /// `enforce` ran in that boot they lack what it gave up, and a plan made from them alone
    /// would leave those ranges out, so the next boot would not give them up. The model's
    /// prediction (`dom0scope_reach::model::predict`, replaying Xen's
    /// `dom0_setup_permissions()` for this host) says what Xen grants dom0 at boot, so
    /// whatever it predicts and the rangesets lack is taken as given up earlier in this boot:
    /// the plan is built on the observed reach plus those ranges (surface, verdict and
    /// what-if alike), exactly as on a snapshot taken before `enforce`. A range the plan then
    /// names keeps its status from the usual check against dom0's own use (so an absent range
    /// dom0's drivers claim is still refused) and records the absent part in
    /// `already_absent`, with its reason saying so and a plan note naming them all. `enforce`
    /// skips already absent parts, so planning them costs nothing; leaving them out would
    /// silently re-open them on the next boot. Planning rather than only warning is what
    /// keeps the plan correct; it relies on the model, which agrees exactly with Xen on every
    /// real boot in `testdata/`, and a range the model wrongly predicts is harmless (enforce
    /// finds it absent).
    pub fn build(cx: &Context<'_>) -> Plan {
        let Some(absent) = AlreadyAbsent::of(&cx.surface.reach) else {
            return Plan::build_for(cx, None);
        };
        let surface = Surface::join(absent.boot_reach(&cx.surface.reach), cx.inventory);
        let verdict =
            Verdict::evaluate_with(&Inputs::new(&surface, cx.readings), cx.policy, cx.today);
        let boot = Context {
            facts: cx.facts,
            inventory: cx.inventory,
            surface: &surface,
            verdict: &verdict,
            readings: cx.readings,
            policy: cx.policy,
            today: cx.today,
            host: cx.host.clone(),
            snapshot: cx.snapshot.clone(),
            dom0_dmesg: cx.dom0_dmesg,
        };
        Plan::build_for(&boot, Some(&absent))
    }

    fn build_for(cx: &Context<'_>, absent: Option<&AlreadyAbsent>) -> Plan {
        let mut notes = Vec::new();
        let dom0_mode = cx.surface.reach.dom0_mode;
        let view = cx
            .facts
            .dom0
            .as_ref()
            .filter(|v| !v.iomem.is_empty() || !v.ioports.is_empty());
        if view.is_none() {
            notes.push("the snapshot has no dom0 /proc/iomem or /proc/ioports: dom0's own use of each range cannot be checked, so every range is marked unchecked (collect the snapshot with `dom0scope collect` inside dom0)".into());
        }
        let Some(obs) = cx.surface.reach.observed.as_ref() else {
            notes.push("dom0's observed reach is unknown (no debug-key 'q' dump of domain 0): nothing to revoke can be named".into());
            return Plan {
                schema: SCHEMA.into(),
                host: cx.host.clone(),
                snapshot: cx.snapshot.clone(),
                xen_version: xen_version(cx.facts),
                dom0_mode,
                dom0_use_checked: view.is_some(),
                ranges: Vec::new(),
                xen_changes: changes(cx.verdict, &[], true),
                other_changes: changes(cx.verdict, &[], false),
                residual: None,
                notes,
            };
        };
        // Only what dom0 can reach today, one candidate per reachable stretch.
        let candidates: Vec<Candidate> = candidates(cx, &mut notes)
            .into_iter()
            .flat_map(|c| {
                let stretches: Vec<(u64, u64)> = match c.resource {
                    Resource::Iomem => obs
                        .iomem
                        .intersect_range(c.first..=c.last)
                        .ranges()
                        .map(|r| (*r.start(), *r.end()))
                        .collect(),
                    Resource::Ioport => {
                        match (&obs.ioports, u16::try_from(c.first), u16::try_from(c.last)) {
                            (Some(p), Ok(a), Ok(b)) => p
                                .intersect_range(a..=b)
                                .ranges()
                                .map(|r| (u64::from(*r.start()), u64::from(*r.end())))
                                .collect(),
                            _ => Vec::new(),
                        }
                    }
                };
                stretches.into_iter().map(move |(a, b)| Candidate {
                    first: a,
                    last: b,
                    ..c.clone()
                })
            })
            .collect();
        let mut revoke: Vec<Revocation> = candidates
            .into_iter()
            .map(|c| check::judge(c, view, dom0_mode))
            .collect();
        revoke.sort_by_key(|r| (r.resource == Resource::Ioport, r.first, r.last));
        if let Some(a) = absent {
            let mut named = Vec::new();
            for r in &mut revoke {
                r.already_absent = a.within(r);
                if r.already_absent.is_empty() {
                    continue;
                }
                let parts = r
                    .already_absent
                    .iter()
                    .map(Span::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                r.reason = format!(
                    "{}; ALREADY ABSENT in this snapshot ({} {parts} missing from Xen's rangesets at {} although the model predicts Xen grants {} at boot: given up earlier in this boot, e.g. by enforce): {}",
                    r.reason,
                    r.resource.label(),
                    a.source,
                    if r.already_absent.len() == 1 {
                        "it"
                    } else {
                        "them"
                    },
                    if r.status == Status::Planned {
                        "kept in the plan so that the next boot gives it up too"
                    } else {
                        "the next boot grants it again"
                    }
                );
                named.push(format!("{} [{}]", r.describe(), r.status.label()));
            }
            let other = {
                let mut m = a.iomem.clone();
                let mut p = a.ioports.clone();
                for r in &revoke {
                    match r.resource {
                        Resource::Iomem => m.remove(r.first..=r.last),
                        Resource::Ioport => {
                            if let (Ok(x), Ok(y)) = (u16::try_from(r.first), u16::try_from(r.last))
                            {
                                p.remove(x..=y);
                            }
                        }
                    }
                }
                (m, p)
            };
            notes.push(format!(
                "this snapshot was taken after dom0 gave up ranges (Xen's rangesets at {} lack I/O Memory {} and I/O Ports {} that the model predicts Xen grants at boot): the plan is made for dom0's reach at boot, so it still names {}",
                a.source,
                a.iomem.to_xen(Radix::Hex),
                a.ioports.to_xen(Radix::Hex),
                if named.is_empty() { "none of them".to_owned() } else { named.join(", ") }
            ));
            if !other.0.is_empty() || !other.1.is_empty() {
                notes.push(format!(
                    "absent but named by no rule of the plan (a model difference, or given up by hand): I/O Memory {}, I/O Ports {}; see `dom0scope verify`",
                    other.0.to_xen(Radix::Hex),
                    other.1.to_xen(Radix::Hex)
                ));
            }
        }
        let residual = residual(cx, &revoke);
        let closed: Vec<String> = residual
            .as_ref()
            .map(|r| r.closed.iter().map(|f| f.id.clone()).collect())
            .unwrap_or_default();
        // A range closes a rule only if the what-if shows it closed; otherwise it narrows it.
        for r in &mut revoke {
            let planned = r.status == Status::Planned;
            let (c, n): (Vec<String>, Vec<String>) = r
                .closes
                .drain(..)
                .partition(|id| planned && closed.contains(id));
            r.closes = c;
            r.narrows = n;
        }
        Plan {
            schema: SCHEMA.into(),
            host: cx.host.clone(),
            snapshot: cx.snapshot.clone(),
            xen_version: xen_version(cx.facts),
            dom0_mode,
            dom0_use_checked: view.is_some(),
            ranges: revoke,
            xen_changes: changes(cx.verdict, &closed, true),
            other_changes: changes(cx.verdict, &closed, false),
            residual,
            notes,
        }
    }
}

fn xen_version(facts: &Facts) -> Option<String> {
    let v = facts.xen.as_ref()?.version.as_ref()?;
    Some(format!("{}.{}{}", v.major, v.minor, v.extra))
}

/// A range before it is checked against dom0's use.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub resource: Resource,
    pub first: u64,
    pub last: u64,
    pub what: String,
    pub closes: Vec<String>,
    pub loses: String,
    pub caveats: Vec<String>,
    /// Refused whatever dom0's use (with this reason).
    pub refuse: Option<String>,
    /// Not called safe even when no /proc entry claims it (with this reason).
    pub doubt: Option<String>,
}

const TRAMPOLINE: &str = "DOM0_LOWMEM_TRAMPOLINE";
const EFI_RUNTIME: &str = "DOM0_EFI_RUNTIME_WRITE";
const S3: &str = "DOM0_S3_WAKING_VECTOR";
const IOMMU: &str = "DOM0_IOMMU_REGISTERS_REACHABLE";
const PLATFORM_PORTS: &str = "DOM0_PLATFORM_CONTROL_PORTS";
const NVS: &str = "DOM0_ACPI_NVS_WRITE";
/// The legacy VGA window, frames 0xa0-0xbf.
const VGA_FIRST: u64 = 0xa0;
const VGA_LAST: u64 = 0xbf;

/// Every range the plan considers, before clipping to dom0's reach.
fn candidates(cx: &Context<'_>, notes: &mut Vec<String>) -> Vec<Candidate> {
    let s = cx.surface;
    let fired = |id: &str| cx.verdict.findings.iter().any(|f| f.id == id);
    let closes = |id: &str| {
        if fired(id) {
            vec![id.to_owned()]
        } else {
            Vec::new()
        }
    };
    let mut out: Vec<Candidate> = Vec::new();
    let mut mem = |owner_is: &dyn Fn(&Owner) -> bool,
                   make: &dyn Fn(u64, u64, &Owner) -> Candidate| {
        for m in s.memory.iter().filter(|m| owner_is(&m.owner)) {
            out.push(make(m.first_frame, m.last_frame, &m.owner));
        }
    };
    // The AP trampoline, as the inventory places it.
    mem(&|o| *o == Owner::XenTrampoline, &|a, b, _| {
        Candidate {
        resource: Resource::Iomem,
        first: a,
        last: b,
        what: "Xen AP trampoline".into(),
        closes: closes(TRAMPOLINE),
        loses: "nothing dom0 needs: Xen's AP start-up and S3 resume code, which only Xen runs"
            .into(),
        caveats: vec!["mappings made before the revocation survive it: apply early in boot, before untrusted userspace".into()],
        refuse: None,
        doubt: None,
    }
    });
    // EFI runtime code (not data).
    mem(&|o| *o == Owner::EfiRuntimeCode, &|a, b, _| {
        Candidate {
        resource: Resource::Iomem,
        first: a,
        last: b,
        what: "EFI runtime services code".into(),
        closes: closes(EFI_RUNTIME),
        loses: "mapping the firmware's runtime code; EFI runtime calls still work (Xen runs the code in its own mappings) and Linux reads only runtime data".into(),
        caveats: Vec::new(),
        refuse: None,
        doubt: None,
    }
    });
    mem(
        &|o| matches!(o, Owner::EfiRuntimeData { .. }),
        &|a, b, o| {
            Candidate {
        resource: Resource::Iomem,
        first: a,
        last: b,
        what: o.label(),
        closes: Vec::new(),
        loses: "dom0's EFI table parsing".into(),
        caveats: Vec::new(),
        doubt: None,
        refuse: Some("EFI runtime data stays: Linux in dom0 reads it (EFI system and configuration tables, measured on real Xen); only the runtime code is planned".into()),
    }
        },
    );
    mem(&|o| *o == Owner::Facs, &|a, b, _| {
        Candidate {
        resource: Resource::Iomem,
        first: a,
        last: b,
        what: "ACPI FACS page (S3 waking vectors)".into(),
        closes: closes(S3),
        loses: "writing the S3 waking vectors and the ACPI global lock from a new mapping".into(),
        caveats: vec!["dom0's kernel maps the FACS during ACPI initialisation (the global lock lives there); that mapping survives the revocation, so apply it after ACPI init (an initramfs hook is early enough) and not before".into()],
        refuse: None,
        doubt: None,
    }
    });
    mem(
        &|o| matches!(o, Owner::VtdRegisters | Owner::AmdIommuRegisters),
        &|a, b, o| Candidate {
            resource: Resource::Iomem,
            first: a,
            last: b,
            what: o.label(),
            closes: closes(IOMMU),
            loses: "nothing dom0 needs: the IOMMU belongs to Xen, which hides it from dom0".into(),
            caveats: Vec::new(),
            refuse: None,
            doubt: None,
        },
    );
    // Ports by owner.
    let mut port = |owner_is: &dyn Fn(&PortOwner) -> bool,
                    make: &dyn Fn(&PortOwner) -> Candidate| {
        for p in s.port_entries.iter().filter(|p| owner_is(&p.owner)) {
            let mut c = make(&p.owner);
            c.first = u64::from(p.start);
            c.last = u64::from(p.end);
            out.push(c);
        }
    };
    let port_candidate = |what: String, closes: Vec<String>, loses: &str| Candidate {
        resource: Resource::Ioport,
        first: 0,
        last: 0,
        what,
        closes,
        loses: loses.into(),
        caveats: Vec::new(),
        refuse: None,
        doubt: None,
    };
    port(
        &|o| matches!(o, PortOwner::Acpi { block } if block.starts_with("PM1") && block.ends_with("CNT_BLK")),
        &|o| {
            port_candidate(
                o.label(),
                closes(S3),
                "entering S3 or soft-off by writing SLP_EN itself (Xen sleeps through XENPF_enter_acpi_sleep) and reading SCI_EN",
            )
        },
    );
    port(
        &|o| matches!(o, PortOwner::Acpi { block } if block == "SMI_CMD"),
        &|o| {
            let mut c = port_candidate(
                o.label(),
                Vec::new(),
                "raising software SMIs: the ACPI enable handshake (done once at boot) and firmware P-state/C-state control",
            );
            c.caveats.push("no catalog rule names SMI_CMD; giving it up removes dom0's way into SMM handlers that trust their caller".into());
            c.caveats.push(
                "dom0's ACPI enable handshake writes SMI_CMD once during boot: apply after it"
                    .into(),
            );
            c
        },
    );
    port(
        &|o| matches!(o, PortOwner::Legacy { device } if *device == "reset control"),
        &|o| {
            port_candidate(
                format!("{} (0xcf9)", o.label()),
                Vec::new(),
                "resetting the machine through 0xcf9 behind Xen's back (reboots go through Xen)",
            )
        },
    );
    // Whatever else a finding names that a self-revocation can close.
    let handled = [TRAMPOLINE, EFI_RUNTIME, S3, IOMMU, PLATFORM_PORTS];
    for f in &cx.verdict.findings {
        let Some(remedy) = f
            .remedies
            .iter()
            .find(|r| r.channel == Channel::Dom0SelfRevocation)
        else {
            continue;
        };
        if handled.contains(&f.id.as_str()) {
            continue;
        }
        for fr in &f.frames {
            let owners: Vec<String> = s
                .memory_in(fr.first_frame << 12, (fr.last_frame << 12) | 0xfff)
                .map(|m| m.owner.label())
                .fold(Vec::new(), |mut v, l| {
                    if !v.contains(&l) {
                        v.push(l);
                    }
                    v
                });
            let mut c = Candidate {
                resource: Resource::Iomem,
                first: fr.first_frame,
                last: fr.last_frame,
                what: if owners.is_empty() {
                    format!("frames named by {}", f.id)
                } else {
                    format!("{} (named by {})", owners.join(", "), f.id)
                },
                closes: vec![f.id.clone()],
                loses: format!("access to these frames ({})", remedy.text),
                caveats: Vec::new(),
                refuse: None,
                doubt: None,
            };
            if f.id == NVS {
                c.what = "ACPI NVS".into();
                c.loses = "dom0's ACPI interpreter writing NVS memory".into();
                c.caveats.push(remedy.text.clone());
                // AML that names the range must keep it.
                let aml: Vec<String> = s
                    .memory_in(fr.first_frame << 12, (fr.last_frame << 12) | 0xfff)
                    .filter(|m| matches!(m.owner, Owner::AmlRegion { .. }))
                    .map(|m| m.owner.label())
                    .collect();
                if !aml.is_empty() {
                    c.refuse = Some(format!(
                        "dom0's ACPI interpreter uses it: {}",
                        aml.join(", ")
                    ));
                }
            }
            out.push(c);
        }
    }
    // Where the inventory's trampoline comes from: derived, or only bounded.
    let located = cx
        .facts
        .xen
        .as_ref()
        .and_then(dom0scope_facts::trampoline::locate);
    if let Some(t) = &located
        && t.certainty == dom0scope_facts::trampoline::Certainty::Bounded
    {
        for c in out.iter_mut().filter(|c| c.what == "Xen AP trampoline") {
            c.doubt = Some(format!(
                "the trampoline's location is only bounded, not derived ({}): giving up the whole bound may take frames dom0's firmware-table scans read",
                t.how
            ));
        }
    }
    if fired(TRAMPOLINE) && !s.memory.iter().any(|m| m.owner == Owner::XenTrampoline) {
        notes.push("DOM0_LOWMEM_TRAMPOLINE fired but the trampoline could not be located in dom0's reach: its frames are not planned".into());
    }
    // dom0's VGA text console lives in the legacy VGA window.
    for c in out
        .iter_mut()
        .filter(|c| c.resource == Resource::Iomem && c.first <= VGA_LAST && c.last >= VGA_FIRST)
    {
        match cx.dom0_dmesg {
            Some(log) => {
                let text = String::from_utf8_lossy(log);
                if let Some((n, line)) = text
                    .lines()
                    .enumerate()
                    .find(|(_, l)| l.contains("Console: colour VGA+"))
                {
                    c.refuse = Some(format!(
                        "dom0's kernel drives a VGA text console in the legacy VGA window (linux/dmesg:{}: {})",
                        n + 1,
                        line.trim()
                    ));
                }
            }
            None => {
                c.doubt = Some("dom0's kernel log (linux/dmesg) is not in the snapshot: whether dom0 drives a VGA text console in the legacy VGA window cannot be checked".into());
            }
        }
    }
    // A finding's frames may repeat an owner candidate: keep the first.
    let mut seen: Vec<(Resource, u64, u64)> = Vec::new();
    out.retain(|c| {
        let k = (c.resource, c.first, c.last);
        if seen.contains(&k) {
            false
        } else {
            seen.push(k);
            true
        }
    });
    if !s.facs_known {
        notes.push(
            "the FACS location is unknown (no FADT in the snapshot): its page cannot be planned"
                .into(),
        );
    }
    if !s.efi_map_known && s.efi_boot {
        notes.push(
            "the EFI memory map is not in the snapshot: EFI runtime code cannot be located".into(),
        );
    }
    out
}

/// The what-if: the verdict on the observed reach minus the planned ranges.
fn residual(cx: &Context<'_>, revoke: &[Revocation]) -> Option<Residual> {
    let mut reach = cx.surface.reach.clone();
    let obs = reach.observed.as_ref()?;
    let mut frames = FrameSet::new();
    let mut ports = PortSet::new();
    for r in revoke.iter().filter(|r| r.status == Status::Planned) {
        match r.resource {
            Resource::Iomem => frames.insert(r.first..=r.last),
            Resource::Ioport => {
                if let (Ok(a), Ok(b)) = (u16::try_from(r.first), u16::try_from(r.last)) {
                    ports.insert(a..=b);
                }
            }
        }
    }
    let frames_removed = obs.iomem.intersection(&frames).count();
    // The model's prediction gets the same edit, so the what-if compares like with like.
    if let Some(pred) = reach.predicted.as_mut() {
        pred.iomem = pred.iomem.difference(&frames);
        pred.ioports = pred.ioports.difference(&ports);
    }
    let obs = reach.observed.as_mut()?;
    obs.iomem = obs.iomem.difference(&frames);
    let mut ports_removed = 0;
    if let Some(p) = obs.ioports.as_mut() {
        ports_removed = p.intersection(&ports).count();
        *p = p.difference(&ports);
    }
    let after_surface = Surface::join(reach, cx.inventory);
    let after = Verdict::evaluate_with(
        &Inputs::new(&after_surface, cx.readings),
        cx.policy,
        cx.today,
    );
    let before = cx.verdict;
    let in_after = |id: &str| after.findings.iter().any(|f| f.id == id);
    let in_before = |id: &str| before.findings.iter().any(|f| f.id == id);
    Some(Residual {
        level_before: before.level.label.clone(),
        level_after: after.level.label.clone(),
        closed: before
            .findings
            .iter()
            .filter(|f| !in_after(&f.id))
            .map(FindingRef::from)
            .collect(),
        remaining: after
            .findings
            .iter()
            .filter(|f| in_before(&f.id))
            .map(FindingRef::from)
            .collect(),
        opened: after
            .findings
            .iter()
            .filter(|f| !in_before(&f.id))
            .map(FindingRef::from)
            .collect(),
        frames_removed: u64::try_from(frames_removed).unwrap_or(u64::MAX),
        ports_removed: u64::try_from(ports_removed).unwrap_or(u64::MAX),
    })
}

fn is_xen_channel(c: Channel) -> bool {
    matches!(
        c,
        Channel::XenCommandLine
            | Channel::SignedBuiltinCommandLine
            | Channel::Kconfig
            | Channel::FlaskPolicy
            | Channel::XenPatch
    )
}

/// The findings' remedies outside self-revocation, by channel.
fn changes(verdict: &Verdict, closed: &[String], xen: bool) -> Vec<ChannelChanges> {
    const ORDER: [Channel; 7] = [
        Channel::SignedBuiltinCommandLine,
        Channel::XenCommandLine,
        Channel::Kconfig,
        Channel::FlaskPolicy,
        Channel::XenPatch,
        Channel::Dom0Kernel,
        Channel::Firmware,
    ];
    ORDER
        .into_iter()
        .filter(|c| is_xen_channel(*c) == xen)
        .filter_map(|channel| {
            let changes: Vec<Change> = verdict
                .findings
                .iter()
                .flat_map(|f| {
                    f.remedies
                        .iter()
                        .filter(move |r| r.channel == channel)
                        .map(move |r| Change {
                            rule: f.id.clone(),
                            title: f.title.clone(),
                            text: r.text.clone(),
                            closed_by_plan: closed.contains(&f.id),
                        })
                })
                .collect();
            (!changes.is_empty()).then(|| ChannelChanges {
                channel,
                label: channel.label().into(),
                changes,
            })
        })
        .collect()
}
