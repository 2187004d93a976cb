//! Predicates over dom0's I/O memory: which owners and frames it reaches (as
//! Xen's own rangesets say), the AP trampoline, and unmediated ECAM windows.

use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_inventory::Owner;
use dom0scope_ranges::FrameSet;
use dom0scope_ranges::frame_of;
use dom0scope_reach::model::trampoline::Certainty;
use dom0scope_surface::{MemoryEntry, Surface};
use serde::Deserialize;

use super::{Detail, Truth};
use crate::FrameRange;
use crate::inputs::Inputs;

/// Why the observed reach is unknown.
pub const NEEDS_IOMEM: &str = "dom0's I/O Memory rangeset (debug key 'q' dump in the Xen log)";

/// Owner kinds a condition can name (`reaches_owner = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    /// EFI runtime services code or data.
    EfiRuntime,
    /// EFI runtime services code only: firmware Xen runs in ring 0 on dom0's EFI calls.
    EfiRuntimeCode,
    /// The ACPI FACS (waking vectors).
    Facs,
    /// E820 ACPI NVS.
    AcpiNvs,
    /// Any ACPI table.
    AcpiTable,
    /// E820 reserved.
    E820Reserved,
    /// VT-d or AMD IOMMU registers.
    IommuRegisters,
    /// The local APIC register page.
    Lapic,
    /// Any IO-APIC register page.
    Ioapic,
    /// The HPET register block.
    Hpet,
    /// A PCI Express ECAM (MMCONFIG) window.
    PciEcam,
    /// A PCI function's memory BAR or expansion ROM.
    PciBar,
    /// Xen's AP start-up trampoline (run on CPU bring-up and S3 resume).
    XenTrampoline,
    /// E820 usable RAM.
    UsableRam,
}

impl OwnerKind {
    fn matches(self, o: &Owner) -> bool {
        use dom0scope_facts::xenlog::E820Kind;
        match self {
            OwnerKind::EfiRuntime => {
                matches!(o, Owner::EfiRuntimeCode | Owner::EfiRuntimeData { .. })
            }
            OwnerKind::EfiRuntimeCode => *o == Owner::EfiRuntimeCode,
            OwnerKind::Facs => *o == Owner::Facs,
            OwnerKind::AcpiNvs => matches!(
                o,
                Owner::E820 {
                    kind: E820Kind::AcpiNvs
                }
            ),
            OwnerKind::AcpiTable => matches!(o, Owner::AcpiTable { .. }),
            OwnerKind::E820Reserved => matches!(
                o,
                Owner::E820 {
                    kind: E820Kind::Reserved
                }
            ),
            OwnerKind::IommuRegisters => {
                matches!(o, Owner::VtdRegisters | Owner::AmdIommuRegisters)
            }
            OwnerKind::Lapic => *o == Owner::Lapic,
            OwnerKind::Ioapic => matches!(o, Owner::IoApic { .. }),
            OwnerKind::Hpet => *o == Owner::Hpet,
            OwnerKind::PciEcam => matches!(o, Owner::PciEcam { .. }),
            OwnerKind::PciBar => matches!(o, Owner::PciBar { .. }),
            OwnerKind::XenTrampoline => *o == Owner::XenTrampoline,
            OwnerKind::UsableRam => matches!(
                o,
                Owner::E820 {
                    kind: E820Kind::Usable
                }
            ),
        }
    }

    /// What the inventory must know before "not reached" can be trusted.
    fn inventory_gap(self, s: &Surface) -> Option<&'static str> {
        match self {
            OwnerKind::EfiRuntime | OwnerKind::EfiRuntimeCode
                if s.efi_boot() && !s.efi_map_known() =>
            {
                Some(
                    "the EFI memory map (printed by Xen 4.17 at the default log level, by 4.18+ only with loglvl=all)",
                )
            }
            OwnerKind::Facs if !s.facs_known() => {
                Some("the FACS address (ACPI table lines or acpi/FACP)")
            }
            _ => None,
        }
    }
}

fn range_of(m: &MemoryEntry) -> FrameRange {
    m.frames.clone()
}

/// `reaches_owner = "<kind>"`: dom0's observed I/O memory includes frames of
/// that owner. For the EFI runtime kinds, whose rule is about dom0 *writing* firmware Xen
/// runs, frames a patched Xen keeps read-only (`mmio_ro_ranges`, as its `[dom0-protect-efi-rt]`
/// line says and the model replays) are not counted. Vars: `frames_count`, `code_frames`,
/// `first_address`, `owners`.
pub fn reaches_owner(i: &Inputs<'_>, kind: OwnerKind) -> Truth {
    let s = i.surface;
    let Some(obs) = s.reach().observed() else {
        return Truth::Unknown(NEEDS_IOMEM.into());
    };
    let patched_ro = s
        .reach()
        .predicted()
        .filter(|p| !p.input.patched.efi_rt_data.is_empty())
        .map(|p| &p.ro_iomem)
        .filter(|_| matches!(kind, OwnerKind::EfiRuntime | OwnerKind::EfiRuntimeCode));
    let read_only = |m: &MemoryEntry| {
        patched_ro.is_some_and(|ro| {
            ro.intersect_range(m.frames.first_frame..=m.frames.last_frame)
                .count()
                == u128::from(m.frames.last_frame - m.frames.first_frame + 1)
        })
    };
    let all: Vec<&MemoryEntry> = s
        .memory()
        .iter()
        .filter(|m| kind.matches(&m.owner))
        .collect();
    let hit: Vec<&MemoryEntry> = all.iter().copied().filter(|m| !read_only(m)).collect();
    if hit.is_empty() && !all.is_empty() {
        return Truth::Fails(format!(
            "the {} frame range(s) of this owner in dom0's I/O memory are read-only to dom0 (mmio_ro_ranges: the patched Xen logs [dom0-protect-efi-rt])",
            all.len()
        ));
    }
    if hit.is_empty() {
        if let Some(gap) = kind.inventory_gap(s) {
            return Truth::Unknown(gap.into());
        }
        return Truth::Fails("no such owner in dom0's I/O memory".into());
    }
    let set: FrameSet = hit
        .iter()
        .map(|m| m.frames.first_frame..=m.frames.last_frame)
        .collect();
    let code: u64 = hit
        .iter()
        .filter(|m| m.owner == Owner::EfiRuntimeCode)
        .map(|m| m.frames.last_frame - m.frames.first_frame + 1)
        .sum();
    let mut owners: Vec<String> = Vec::new();
    for m in &hit {
        let l = m.owner.label();
        if !owners.contains(&l) {
            owners.push(l);
        }
    }
    let mut d = Detail::summary(format!(
        "dom0's I/O Memory rangeset reaches {} frame(s) of {}.",
        set.count(),
        super::join_list(&owners)
    ))
    .var("frames_count", set.count().to_string())
    .var("code_frames", code.to_string())
    .var("first_address", format!("{:#x}", hit[0].frames.start))
    .var("owners", super::join_list(&owners))
    .evidence([obs.iomem_source.clone()])
    .evidence(hit.iter().filter_map(|m| m.owner_source.clone()));
    d.frames = hit.iter().map(|m| range_of(m)).collect();
    d.normalize_frames();
    Truth::Holds(d)
}

/// `reaches_frames = ["0xa0-0xbf", …]`: dom0's observed I/O memory includes any
/// of these frames. Vars: `frames`.
pub fn reaches_frames(i: &Inputs<'_>, ranges: &[(u64, u64)]) -> Truth {
    let Some(obs) = i.surface.reach().observed() else {
        return Truth::Unknown(NEEDS_IOMEM.into());
    };
    let want: FrameSet = ranges.iter().map(|(a, b)| *a..=*b).collect();
    let got = obs.iomem.intersection(&want);
    if got.is_empty() {
        return Truth::Fails("none of these frames is in dom0's I/O memory".into());
    }
    let list = got
        .ranges()
        .map(|r| format!("{:#x}-{:#x}", r.start(), r.end()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut d = Detail::summary(format!(
        "dom0's I/O Memory rangeset includes frames {list}."
    ))
    .var("frames", list)
    .evidence([obs.iomem_source.clone()]);
    d.frames = got
        .ranges()
        .map(|r| FrameRange::frames(*r.start(), *r.end()))
        .collect();
    Truth::Holds(d)
}

/// Frames 0x00-0xff: the first MiB.
const LOW_1M_LAST_FRAME: u64 = 0xff;

/// `trampoline_reachable = true`: dom0 can map the frames of Xen's AP
/// trampoline writable (as the model locates it; the whole first MiB it reaches
/// when the trampoline is not located). Frames Xen keeps read-only to dom0
/// (`mmio_ro_ranges`, as a patched Xen's `[dom0-ro-trampoline]` line says and the
/// model replays) do not count: the rule is about dom0 writing Xen's code.
/// Worded per dom0 mode. Vars: `low_frames`.
pub fn trampoline_reachable(i: &Inputs<'_>) -> Truth {
    let s = i.surface;
    let Some(obs) = s.reach().observed() else {
        return Truth::Unknown(NEEDS_IOMEM.into());
    };
    let low = obs.iomem.intersect_range(0..=LOW_1M_LAST_FRAME);
    if low.is_empty() {
        return Truth::Fails("dom0 reaches nothing below 1 MiB".into());
    }
    let located = s.reach().predicted().and_then(|p| p.trampoline.as_ref());
    let (frames_set, where_) = match located {
        Some(t) => {
            let t_set = obs.iomem.intersect_range(t.first_frame..=t.last_frame);
            if t_set.is_empty() {
                // The trampoline's own frames were given up; the rest of low
                // memory is firmware data, judged by other rules.
                return Truth::Fails("the trampoline's frames are not in dom0's I/O memory".into());
            }
            if let Some(p) = s
                .reach()
                .predicted()
                .filter(|p| p.input.patched.trampoline.is_some())
                && t_set.difference(&p.ro_iomem).is_empty()
            {
                // Readable (firmware scans of low memory need that), never writable: Xen
                // drops _PAGE_RW from a PV mapping of an mmio_ro_ranges frame and maps it
                // read-only in a PVH dom0's p2m.
                return Truth::Fails(format!(
                    "the trampoline's frames {:#x}-{:#x} are read-only to dom0 (mmio_ro_ranges: the patched Xen logs [dom0-ro-trampoline])",
                    t.first_frame, t.last_frame
                ));
            }
            let certainty = match t.certainty {
                Certainty::Derived => "located",
                Certainty::Bounded => "bounded",
            };
            (
                t_set,
                format!(
                    "Xen's AP trampoline is {certainty} at frames {:#x}-{:#x} ({})",
                    t.first_frame, t.last_frame, t.how
                ),
            )
        }
        None => (
            low.clone(),
            "the trampoline's exact frame is not located from this snapshot".to_owned(),
        ),
    };
    let span = low
        .ranges()
        .map(|r| format!("{:#x}-{:#x}", r.start(), r.end()))
        .collect::<Vec<_>>()
        .join(", ");
    let how = match s.reach().dom0_mode() {
        Some(Dom0Mode::Pv) => {
            "This PV dom0 maps those frames directly: a privcmd foreign mapping of DOMID_IO (mmu_update) is granted for any frame in its I/O Memory rangeset, writable."
        }
        Some(Dom0Mode::Pvh) => {
            "This PVH dom0 cannot map DOMID_IO, but XEN_DOMCTL_memory_mapping on itself places any frame of its I/O Memory rangeset into its own physical address space, where it can write it."
        }
        None => {
            "The dom0 mode is not in the log: a PV dom0 maps these frames through DOMID_IO, a PVH dom0 through XEN_DOMCTL_memory_mapping on itself."
        }
    };
    let mut d = Detail::summary(format!(
        "dom0's I/O Memory rangeset includes frames {span} of the first MiB. {where_}; Xen runs it on every CPU bring-up (hot-plug, S3 resume). {how} Code planted there runs as Xen."
    ))
    .var("low_frames", span)
    .evidence([obs.iomem_source.clone()]);
    if let Some(t) = located {
        d = d.evidence(t.evidence.iter().cloned());
    }
    if let Some(e) = s.reach().dom0_mode_source() {
        d = d.evidence([e.clone()]);
    }
    if located.is_none() {
        d = d.evidence(
            s.memory_in(0, 0xfffff)
                .filter_map(|m| m.owner_source.clone()),
        );
    }
    d.frames = frames_set
        .ranges()
        .map(|r| FrameRange::frames(*r.start(), *r.end()))
        .collect();
    Truth::Holds(d)
}

/// `ecam_unmediated = true`: a PV dom0 reaches an ECAM window Xen did not take
/// into use, so it is not in `mmio_ro_ranges` and writes bypass Xen's filters.
pub fn ecam_unmediated(i: &Inputs<'_>) -> Truth {
    let s = i.surface;
    let Some(p) = s.reach().predicted() else {
        return Truth::Unknown("a Xen log".into());
    };
    if s.reach().observed().is_none() {
        return Truth::Unknown(NEEDS_IOMEM.into());
    }
    if p.mode != Dom0Mode::Pv {
        return Truth::Fails("a PVH dom0 reaches config space through vPCI only".into());
    }
    let unused: Vec<&MemoryEntry> = s
        .memory()
        .iter()
        .filter(|m| match &m.owner {
            Owner::PciEcam { bus_start, .. } => p.input.mcfg.iter().any(|w| {
                !w.used && frame_of(w.base + (u64::from(*bus_start) << 20)) <= m.frames.first_frame
            }),
            _ => false,
        })
        .collect();
    if unused.is_empty() {
        return Truth::Fails(
            "every reachable ECAM window is one Xen uses (read-only to dom0)".into(),
        );
    }
    let mut d = Detail::summary("Xen did not take this MCFG window into use, so it is not in mmio_ro_ranges: a PV dom0 maps it writable and reaches every function's config space directly, bypassing the filters Xen applies on 0xcf8/0xcfc (read-only devices, MSI/MSI-X control).")
        .evidence(unused.iter().filter_map(|m| m.owner_source.clone()));
    d.frames = unused.iter().map(|m| range_of(m)).collect();
    Truth::Holds(d)
}
