//! dom0 can write EFI runtime services code and data, which Xen executes in
//! ring 0 on dom0's behalf.
//!
//! Xen turns EfiRuntimeServicesCode/Data (and every EFI_MEMORY_RUNTIME range)
//! into E820_RESERVED (`arch/x86/efi/efi-boot.h` `efi_arch_process_memory_map()`,
//! 4.17 and 4.20); reserved frames are `dom_io`'s and nothing in
//! `dom0_setup_permissions()` denies them, while `XENPF_efi_runtime_call`
//! (`common/efi/runtime.c`) runs that code in ring 0. Measured on 4.17 under
//! OVMF: all 256 runtime-code frames mapped writable from dom0 userspace.

use dom0scope_inventory::Owner;
use dom0scope_ranges::FrameSet;
use dom0scope_surface::Surface;

use super::{Outcome, Rule};
use crate::{Channel, Finding, FrameRange, Impact, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "DOM0_EFI_RUNTIME_WRITE",
    title: "dom0 can write EFI runtime services code and data that Xen runs in ring 0",
    eval,
};

fn eval(s: &Surface) -> Outcome {
    let Some(obs) = &s.reach.observed else {
        return Outcome::NeedsInput(
            "dom0's I/O Memory rangeset (debug key 'q' dump in the Xen log)".into(),
        );
    };
    let runtime: Vec<_> = s
        .memory
        .iter()
        .filter(|m| {
            matches!(
                m.owner,
                Owner::EfiRuntimeCode | Owner::EfiRuntimeData { .. }
            )
        })
        .collect();
    if runtime.is_empty() {
        if s.efi_boot && !s.efi_map_known {
            return Outcome::NeedsInput(
                "the EFI memory map (printed by Xen 4.17 at the default log level, by 4.18+ only with loglvl=all)".into(),
            );
        }
        return Outcome::Passes;
    }
    if s.efi_runtime_disabled {
        return Outcome::Passes;
    }
    let frames_set: FrameSet = runtime
        .iter()
        .map(|m| m.first_frame..=m.last_frame)
        .collect::<FrameSet>()
        .intersection(&obs.iomem);
    let frames: Vec<FrameRange> = frames_set
        .ranges()
        .map(|r| FrameRange {
            first_frame: *r.start(),
            last_frame: *r.end(),
            start: *r.start() << 12,
            end: (*r.end() << 12) | 0xfff,
        })
        .collect();
    let code = runtime
        .iter()
        .filter(|m| m.owner == Owner::EfiRuntimeCode)
        .map(|m| m.last_frame - m.first_frame + 1)
        .sum::<u64>();
    let mut evidence = vec![obs.iomem_source.clone()];
    for m in &runtime {
        if let Some(e) = &m.owner_source
            && !evidence.contains(e)
        {
            evidence.push(e.clone());
        }
    }
    Outcome::Fires(Box::new(Finding {
        id: RULE.id,
        title: RULE.title,
        severity: Severity::Critical,
        impact: Impact::Integrity,
        summary: format!(
            "The EFI runtime services regions ({} frames, {code} of them runtime code) lie inside dom0's I/O Memory rangeset. Xen maps them as reserved memory that dom0 may map writable, and executes that firmware code in ring 0 on every XENPF_efi_runtime_call dom0 makes (GetVariable, SetVariable, GetTime …). A patch there runs in Xen's context.",
            frames_set.count()
        ),
        frames,
        evidence,
        rationale: "Runtime firmware runs with the hypervisor's privilege; if dom0 can change it, dom0 controls ring 0 and can also tamper with the Secure Boot variables the firmware guards.",
        references: vec![
            "xen/arch/x86/efi/efi-boot.h: efi_arch_process_memory_map() (runtime ranges become E820_RESERVED)",
            "xen/common/efi/runtime.c: efi_runtime_call() (XENPF_efi_runtime_call)",
            "xen/arch/x86/dom0_build.c: dom0_setup_permissions() (reserved ranges not denied)",
        ],
        remedies: vec![
            Remedy {
                channel: Channel::XenCommandLine,
                text: "efi=no-rs disables EFI runtime services in Xen (dom0 then has no EFI variables or EFI time; a signed built-in command line keeps it from being removed).".into(),
            },
            Remedy {
                channel: Channel::Dom0SelfRevocation,
                text: "Give up the runtime-code frames with XEN_DOMCTL_iomem_permission early in dom0's boot; runtime data must stay readable for Linux's EFI table parsing.".into(),
            },
            Remedy {
                channel: Channel::XenPatch,
                text: "In dom0_setup_permissions(), deny dom0 every EfiRuntimeServicesCode range and add runtime data to mmio_ro_ranges (measured on a patched 4.17: mappings refused, runtime calls still work).".into(),
            },
        ],
    }))
}
