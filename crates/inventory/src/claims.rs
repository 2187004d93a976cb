//! Claims: every statement in the facts of the form "these bytes are X", with
//! the line or table offset that makes it.

use dom0scope_facts::{Evidence, Facts};
use dom0scope_ranges::{frame_end, frame_start};

use dom0scope_facts::xenlog::E820Kind;

use crate::Owner;

/// One source's statement about a byte range (inclusive).
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    pub start: u64,
    pub end: u64,
    pub owner: Owner,
    pub source: Evidence,
}

fn bin(artifact: &str, text: String) -> Evidence {
    Evidence {
        artifact: artifact.to_owned(),
        line: 0,
        text,
    }
}

/// PC/AT conventions every x86 platform keeps (no artifact states them).
const LEGACY: &[(u64, u64, &str)] = &[
    (0x0, 0x4ff, "real-mode IVT and BIOS data area"),
    (0xa0000, 0xbffff, "legacy VGA window"),
    (0xc0000, 0xdffff, "option ROM area"),
    (0xe0000, 0xfffff, "system BIOS area"),
    (0xfee0_0000, 0xfeef_ffff, "MSI address window"),
];

fn convention(what: &str) -> Evidence {
    Evidence {
        artifact: "PC/AT convention".into(),
        line: 0,
        text: what.into(),
    }
}

/// Gathers every claim the facts make.
pub(crate) fn gather(facts: &Facts) -> Vec<Claim> {
    let mut out: Vec<Claim> = LEGACY
        .iter()
        .map(|&(start, end, what)| Claim {
            start,
            end,
            owner: Owner::Legacy { what },
            source: convention(what),
        })
        .collect();
    let mut push = |start: u64, end: u64, owner: Owner, source: Evidence| {
        if start <= end {
            out.push(Claim {
                start,
                end,
                owner,
                source,
            });
        }
    };
    if let Some(log) = &facts.xen {
        if let Some(m) = &log.e820 {
            for e in &m.entries {
                push(
                    e.start,
                    e.end,
                    Owner::E820 { kind: e.kind },
                    log.evidence(e.line),
                );
            }
        }
        if let Some(m) = &log.efi_memory_map {
            for e in m.entries.iter().filter(|e| e.is_runtime()) {
                let owner = match e.kind {
                    5 => Owner::EfiRuntimeCode,
                    11 | 12 => continue, // MMIO/port space marked runtime: not firmware memory
                    t => Owner::EfiRuntimeData { efi_type: t },
                };
                push(e.start, e.end, owner, log.evidence(e.line));
            }
        }
        for t in &log.acpi_tables {
            if t.signature == "RSDP" {
                continue;
            }
            let end = t.address.saturating_add(u64::from(t.length.max(1)) - 1);
            let owner = if t.signature == "FACS" {
                Owner::Facs
            } else {
                Owner::AcpiTable {
                    signature: t.signature.clone(),
                }
            };
            push(t.address, end, owner, log.evidence(t.line));
        }
        let a = &log.acpi;
        if let Some(l) = &a.local_apic_address {
            push(
                l.value,
                l.value.saturating_add(0xfff),
                Owner::Lapic,
                log.evidence(l.line),
            );
        }
        for io in &a.ioapics {
            push(
                io.address,
                io.address.saturating_add(0xfff),
                Owner::IoApic { id: io.id },
                log.evidence(io.line),
            );
        }
        if let Some(h) = &a.hpet {
            push(
                h.base,
                h.base.saturating_add(0x3ff),
                Owner::Hpet,
                log.evidence(h.line),
            );
        }
        for m in &log.mcfg {
            let start = m.base.saturating_add(u64::from(m.bus_start) << 20);
            let end = m
                .base
                .saturating_add(((u64::from(m.bus_end) + 1) << 20) - 1);
            push(
                start,
                end,
                Owner::PciEcam {
                    segment: m.segment,
                    bus_start: m.bus_start,
                    bus_end: m.bus_end,
                },
                log.evidence(m.line),
            );
        }
        if let Some(t) = dom0scope_facts::trampoline::locate(log)
            && let Some(ev) = t.evidence.first()
        {
            let mut source = ev.clone();
            source.text = format!("{} — {}", t.how, ev.text);
            push(
                frame_start(t.first_frame),
                frame_end(t.last_frame),
                Owner::XenTrampoline,
                source,
            );
        }
        if let (Some(base), Some(m)) = (&log.image_base, &log.e820)
            && let Some(region) = m
                .entries
                .iter()
                .find(|e| e.kind == E820Kind::Usable && (e.start..=e.end).contains(&base.value))
        {
            // Xen's setup (`__start_xen`, RELEASE-4.17.7 xen/arch/x86/setup.c: "Select
            // relocation address") ends the image at a 2 MiB boundary at or below the
            // aligned top of the RAM region it chose.
            const MASK: u64 = (2 << 20) - 1;
            let top = (region.end.saturating_add(1) & !MASK).saturating_sub(1);
            let end = if top > base.value { top } else { region.end };
            push(base.value, end, Owner::XenImage, log.evidence(base.line));
        }
        for d in &log.iommu.vtd_drhd {
            push(
                d.value,
                d.value.saturating_add(0xfff),
                Owner::VtdRegisters,
                log.evidence(d.line),
            );
        }
    }
    for f in &facts.pci {
        for r in f.resources.iter().filter(|r| !r.io) {
            push(
                r.start,
                r.end,
                Owner::PciBar {
                    sbdf: f.sbdf.clone(),
                    index: r.index,
                    role: crate::chipset::role(f),
                },
                Evidence {
                    artifact: format!("pci/{}/resource", f.sbdf),
                    line: r.line,
                    text: r.text.clone(),
                },
            );
        }
    }
    if let Some(acpi) = &facts.acpi {
        if let Some(m) = &acpi.madt {
            push(
                m.lapic_address,
                m.lapic_address.saturating_add(0xfff),
                Owner::Lapic,
                bin(
                    &m.artifact,
                    format!(
                        "local APIC address at byte 0x24{}: {:#x}",
                        if m.lapic_override {
                            " (overridden by a type-5 entry)"
                        } else {
                            ""
                        },
                        m.lapic_address
                    ),
                ),
            );
            for io in &m.ioapics {
                push(
                    io.address,
                    io.address.saturating_add(0xfff),
                    Owner::IoApic {
                        id: u32::from(io.id),
                    },
                    bin(
                        &m.artifact,
                        format!(
                            "IO-APIC entry at byte {:#x}: id {} address {:#x}",
                            io.offset, io.id, io.address
                        ),
                    ),
                );
            }
        }
        if let Some(m) = &acpi.mcfg {
            for e in &m.entries {
                push(
                    e.base.saturating_add(u64::from(e.bus_start) << 20),
                    e.base
                        .saturating_add(((u64::from(e.bus_end) + 1) << 20) - 1),
                    Owner::PciEcam {
                        segment: e.segment,
                        bus_start: e.bus_start,
                        bus_end: e.bus_end,
                    },
                    bin(
                        &m.artifact,
                        format!("allocation at byte {:#x}: base {:#x}", e.offset, e.base),
                    ),
                );
            }
        }
        for (artifact, regions) in &acpi.op_regions {
            for r in regions {
                if let (dom0scope_facts::acpi::aml::Space::SystemMemory, Some(o), Some(l)) =
                    (r.space, r.offset, r.length)
                    && l > 0
                {
                    push(
                        o,
                        o.saturating_add(l - 1),
                        Owner::AmlRegion {
                            name: r.name.clone(),
                        },
                        bin(
                            artifact,
                            format!("OperationRegion {} at byte {:#x}", r.name, r.at),
                        ),
                    );
                }
            }
        }
        if let Some(i) = &acpi.ivrs {
            for h in &i.ivhd {
                push(
                    h.base,
                    h.base.saturating_add(0x3fff),
                    Owner::AmdIommuRegisters,
                    bin(
                        &i.artifact,
                        format!("IVHD at byte {:#x}: register base {:#x}", h.offset, h.base),
                    ),
                );
            }
        }
        if let Some(d) = &acpi.dmar {
            for u in &d.drhd {
                let size = 0x1000u64 << u.size_pages_log2.min(20);
                push(
                    u.base,
                    u.base.saturating_add(size - 1),
                    Owner::VtdRegisters,
                    bin(
                        &d.artifact,
                        format!("DRHD at byte {:#x}: register base {:#x}", u.offset, u.base),
                    ),
                );
            }
        }
        if let Some(h) = &acpi.hpet
            && h.space == 0
            && h.base != 0
        {
            push(
                h.base,
                h.base.saturating_add(0x3ff),
                Owner::Hpet,
                bin(
                    &h.artifact,
                    format!("base address at byte 0x2c: {:#x}", h.base),
                ),
            );
        }
        if let Some(f) = &acpi.fadt {
            let facs = f
                .x_firmware_ctrl
                .filter(|&x| x != 0)
                .unwrap_or(f.firmware_ctrl);
            if facs != 0 {
                push(
                    facs,
                    facs.saturating_add(63),
                    Owner::Facs,
                    bin(
                        &f.artifact,
                        format!("FIRMWARE_CTRL at byte 0x24: {facs:#x}"),
                    ),
                );
            }
        }
    }
    for b in crate::chipset::memory_blocks(&facts.pci) {
        out.push(Claim {
            start: b.start,
            end: b.end,
            owner: b.owner,
            source: b.source,
        });
    }
    crate::firmware::gather(facts, &mut |c: Claim| {
        if c.start <= c.end {
            out.push(c);
        }
    });
    out
}
