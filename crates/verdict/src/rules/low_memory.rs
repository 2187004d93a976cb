//! dom0 can map the low 1 MiB, where Xen keeps the AP start-up trampoline.
//!
//! Xen copies its trampoline into conventional memory below 1 MiB at boot
//! (`xen/arch/x86/boot/head.S`, `trampoline_phys`) and executes it on every CPU
//! bring-up and S3 resume. `dom0_setup_permissions()`
//! (`xen/arch/x86/dom0_build.c`, 4.17 and 4.20) grants dom0 all of I/O memory
//! and removes only specific ranges; the low 1 MiB is not among them, and
//! `arch_init_memory()` hands frames below 1 MiB to `dom_io`, so a PV dom0's
//! mapping through DOMID_IO succeeds (measured: frame 0x8f writable from dom0
//! root userspace on Xen 4.17, even under Linux lockdown). A PVH dom0 cannot map
//! DOMID_IO, but `XEN_DOMCTL_memory_mapping` on itself checks only
//! `iomem_access_permitted()` (measured: frame 0x8f mapped at gfn 0x90000).

use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_surface::Surface;

use super::{Outcome, Rule};
use crate::{Channel, Finding, FrameRange, Impact, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "DOM0_LOWMEM_TRAMPOLINE",
    title: "dom0 can map the low 1 MiB, where Xen keeps the AP start-up trampoline",
    eval,
};

/// Frames 0x00-0xff: the first MiB.
const LOW_1M_LAST_FRAME: u64 = 0xff;

fn eval(s: &Surface) -> Outcome {
    let Some(obs) = &s.reach.observed else {
        return Outcome::NeedsInput(
            "dom0's I/O Memory rangeset (debug key 'q' dump in the Xen log)".into(),
        );
    };
    let low = obs.iomem.intersect_range(0..=LOW_1M_LAST_FRAME);
    if low.is_empty() {
        return Outcome::Passes;
    }
    let located = s
        .reach
        .predicted
        .as_ref()
        .and_then(|p| p.trampoline.as_ref());
    let (frames_set, where_) = match located {
        Some(t) => {
            let t_set = obs.iomem.intersect_range(t.first_frame..=t.last_frame);
            if t_set.is_empty() {
                // The trampoline's own frames were given up; the rest of low
                // memory is firmware data, judged by other rules.
                return Outcome::Passes;
            }
            let certainty = match t.certainty {
                dom0scope_reach::model::trampoline::Certainty::Derived => "located",
                dom0scope_reach::model::trampoline::Certainty::Bounded => "bounded",
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
    let frames: Vec<FrameRange> = frames_set
        .ranges()
        .map(|r| FrameRange {
            first_frame: *r.start(),
            last_frame: *r.end(),
            start: *r.start() << 12,
            end: (*r.end() << 12) | 0xfff,
        })
        .collect();
    let span = low
        .ranges()
        .map(|r| format!("{:#x}-{:#x}", r.start(), r.end()))
        .collect::<Vec<_>>()
        .join(", ");
    let how = match s.reach.dom0_mode {
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
    let summary = format!(
        "dom0's I/O Memory rangeset includes frames {span} of the first MiB. {where_}; Xen runs it on every CPU bring-up (hot-plug, S3 resume). {how} Code planted there runs as Xen."
    );
    let mut evidence = vec![obs.iomem_source.clone()];
    if let Some(t) = located {
        evidence.extend(t.evidence.iter().cloned());
    }
    if let Some(e) = &s.reach.dom0_mode_source {
        evidence.push(e.clone());
    }
    for m in s.memory_in(0, 0xfffff) {
        if let Some(src) = &m.owner_source
            && !evidence.contains(src)
            && located.is_none()
        {
            evidence.push(src.clone());
        }
    }
    Outcome::Fires(Box::new(Finding {
        id: RULE.id,
        title: RULE.title,
        severity: Severity::Critical,
        impact: Impact::Integrity,
        summary,
        frames,
        evidence,
        rationale: "Secure Boot's promise is that only signed code runs with privilege. Xen executes its AP trampoline in real mode and then as the hypervisor; if dom0 can write it, dom0 runs unsigned code as Xen, so dom0 must be inside the Secure Boot boundary.",
        references: vec![
            "xen-devel, Feb 2026: \"SecureBoot requirements regarding Dom0\" (low 1 MiB / AP trampoline in a PV dom0)",
            "xen/arch/x86/dom0_build.c: dom0_setup_permissions() (4.17, 4.20)",
            "xen/arch/x86/mm.c: arch_init_memory() (frames below 1 MiB assigned to dom_io)",
            "xen/arch/x86/boot/head.S: trampoline placement (trampoline_phys)",
        ],
        remedies: vec![
            Remedy {
                channel: Channel::Dom0SelfRevocation,
                text: "Early in dom0's boot, before any untrusted code runs, give up the trampoline's frames with XEN_DOMCTL_iomem_permission (irreversible: re-granting fails, but mappings made earlier survive).".into(),
            },
            Remedy {
                channel: Channel::XenPatch,
                text: "Deny dom0 the trampoline frames PFN_DOWN(trampoline_phys)..PFN_DOWN(bootsym_phys(trampoline_end) - 1) in dom0_setup_permissions() (measured on a patched 4.17: mappings refused, CPU bring-up still works).".into(),
            },
        ],
    }))
}
