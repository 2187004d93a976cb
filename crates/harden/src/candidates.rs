//! Candidate gathering: every range the plan considers giving up, with what it closes, what
//! dom0 loses and any reason it must stay, before it is clipped to dom0's reach and checked
//! against dom0's own use (`check`).

use dom0scope_inventory::{Owner, PortOwner};
use dom0scope_ranges::{frame_end, frame_start};
use dom0scope_verdict::Channel;

use crate::{Context, Resource};

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
pub(crate) fn candidates(cx: &Context<'_>, notes: &mut Vec<String>) -> Vec<Candidate> {
    let s = cx.analysis.surface();
    let fired = |id: &str| cx.analysis.verdict().findings.iter().any(|f| f.id == id);
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
        for m in s.memory().iter().filter(|m| owner_is(&m.owner)) {
            out.push(make(m.frames.first_frame, m.frames.last_frame, &m.owner));
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
        for p in s.port_entries().iter().filter(|p| owner_is(&p.owner)) {
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
    for f in &cx.analysis.verdict().findings {
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
                .memory_in(frame_start(fr.first_frame), frame_end(fr.last_frame))
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
                    .memory_in(frame_start(fr.first_frame), frame_end(fr.last_frame))
                    .filter(|m| matches!(m.owner, Owner::AmlRegion { .. }))
                    .map(|m| m.owner.label())
                    .collect();
                let not_kept = cx
                    .analysis
                    .facts()
                    .acpi
                    .as_ref()
                    .map_or(0, |a| a.op_regions_not_kept);
                if !aml.is_empty() {
                    c.refuse = Some(format!(
                        "dom0's ACPI interpreter uses it: {}",
                        aml.join(", ")
                    ));
                } else if not_kept > 0 {
                    // The AML scan's cap dropped regions: one of them may name this range.
                    c.doubt = Some(format!(
                        "{not_kept} AML OperationRegions were over the scan's cap and not kept: whether dom0's ACPI interpreter uses this range cannot be checked"
                    ));
                }
            }
            out.push(c);
        }
    }
    // Where the inventory's trampoline comes from: derived, or only bounded.
    let located = cx
        .analysis
        .facts()
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
    if fired(TRAMPOLINE) && !s.memory().iter().any(|m| m.owner == Owner::XenTrampoline) {
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
    if !s.facs_known() {
        notes.push(
            "the FACS location is unknown (no FADT in the snapshot): its page cannot be planned"
                .into(),
        );
    }
    if !s.efi_map_known() && s.efi_boot() {
        notes.push(
            "the EFI memory map is not in the snapshot: EFI runtime code cannot be located".into(),
        );
    }
    out
}
