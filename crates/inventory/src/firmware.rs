//! Claims from firmware statements beyond the register blocks: memory the
//! IOMMU keeps mapped for devices (DMAR RMRR, IVRS IVMD), the TPM, and the boot
//! flash window below 4 GiB.

use dom0scope_facts::acpi::DeviceScope;
use dom0scope_facts::xenlog::E820Kind;
use dom0scope_facts::{Evidence, Facts};

use crate::Owner;
use crate::claims::Claim;

fn bin(artifact: &str, text: String) -> Evidence {
    Evidence {
        artifact: artifact.to_owned(),
        line: 0,
        text,
    }
}

/// A device scope as a reader would name it: the PCI address when the path
/// is one hop (SSSS:BB:DD.F), the hops otherwise (the buses behind bridges
/// are assigned at boot, so the table cannot name them).
pub(crate) fn scope_name(segment: u16, s: &DeviceScope) -> String {
    match s.kind {
        1 | 2 => {
            let mut out = format!("{segment:04x}:{:02x}", s.start_bus);
            for (i, (d, f)) in s.path.iter().enumerate() {
                if i == 0 {
                    out.push_str(&format!(":{d:02x}.{f}"));
                } else {
                    out.push_str(&format!("/{d:02x}.{f}"));
                }
            }
            if s.kind == 2 {
                out.push_str(" (bridge)");
            }
            out
        }
        3 => format!("IO-APIC {}", s.enumeration_id),
        4 => format!("HPET {}", s.enumeration_id),
        5 => format!("ACPI device {}", s.enumeration_id),
        k => format!("scope type {k}"),
    }
}

/// An AMD IOMMU device id (bus << 8 | devfn) as BB:DD.F.
fn devid(id: u16) -> String {
    format!("{:02x}:{:02x}.{}", id >> 8, (id >> 3) & 0x1f, id & 7)
}

/// The TIS/CRB localities 0-4, fixed by the TCG PC Client Platform TPM Profile.
pub(crate) const TPM_LOCALITIES: (u64, u64) = (0xfed4_0000, 0xfed4_4fff);

/// The reset vector; the flash that holds it is decoded below 4 GiB.
const RESET_VECTOR: u64 = 0xffff_fff0;

/// Intel and AMD chipsets decode at most the top 16 MiB below 4 GiB as the
/// boot flash; a larger reserved range holds other things too.
const FLASH_LOWEST: u64 = 0xff00_0000;

pub(crate) fn gather(facts: &Facts, push: &mut impl FnMut(Claim)) {
    if let Some(acpi) = &facts.acpi {
        if let Some(d) = &acpi.dmar {
            for r in &d.rmrr {
                if r.limit < r.base {
                    continue;
                }
                let devices: Vec<String> =
                    r.scopes.iter().map(|s| scope_name(r.segment, s)).collect();
                push(Claim {
                    start: r.base,
                    end: r.limit,
                    source: bin(
                        &d.artifact,
                        format!(
                            "RMRR at byte {:#x}: base {:#x} limit {:#x}, {} device scope(s)",
                            r.offset,
                            r.base,
                            r.limit,
                            r.scopes.len()
                        ),
                    ),
                    owner: Owner::Rmrr { devices },
                });
            }
        }
        if let Some(i) = &acpi.ivrs {
            for m in &i.ivmd {
                let Some(end) = m.length.checked_sub(1).and_then(|l| m.start.checked_add(l)) else {
                    continue;
                };
                let devices = match m.kind {
                    0x20 => "all devices".to_owned(),
                    0x21 => format!("device {}", devid(m.device_id)),
                    _ => format!("devices {}-{}", devid(m.device_id), devid(m.aux)),
                };
                // Flags (AMD IOMMU spec §5.2.2.3): bit 3 exclusion range, bit 0 unity map.
                let what = if m.flags & 8 != 0 {
                    "exclusion range"
                } else {
                    "unity-mapped range"
                };
                push(Claim {
                    start: m.start,
                    end,
                    source: bin(
                        &i.artifact,
                        format!(
                            "IVMD type {:#x} at byte {:#x}: start {:#x} length {:#x} flags {:#x}",
                            m.kind, m.offset, m.start, m.length, m.flags
                        ),
                    ),
                    owner: Owner::Ivmd { what, devices },
                });
            }
        }
        if let Some(t) = &acpi.tpm2 {
            tpm(t, push);
        }
    }
    flash_window(facts, push);
}

/// Start methods (TCG ACPI spec §8.3): 6 is the FIFO (TIS) interface at the
/// fixed localities; 7, 8 and 11-15 use a CRB whose control area the table
/// gives.
fn tpm(t: &dom0scope_facts::acpi::Tpm2, push: &mut impl FnMut(Claim)) {
    let crb = matches!(t.start_method, 7 | 8 | 11..=15);
    let in_localities = (TPM_LOCALITIES.0..=TPM_LOCALITIES.1).contains(&t.control_area);
    if t.start_method == 6 || (crb && in_localities) {
        push(Claim {
            start: TPM_LOCALITIES.0,
            end: TPM_LOCALITIES.1,
            source: bin(
                &t.artifact,
                format!(
                    "start method at byte 0x30: {}{}; PC Client PTP fixes localities 0-4 at 0xfed40000",
                    t.start_method,
                    if t.start_method == 6 {
                        " (FIFO/TIS)"
                    } else {
                        " (CRB)"
                    }
                ),
            ),
            owner: Owner::TpmLocalities,
        });
    }
    if crb && t.control_area != 0 {
        // The control area sits in a locality's 4 KiB register page.
        let page = t.control_area & !0xfff;
        push(Claim {
            start: page,
            end: page | 0xfff,
            source: bin(
                &t.artifact,
                format!(
                    "control area address at byte 0x28: {:#x}, start method {} (CRB)",
                    t.control_area, t.start_method
                ),
            ),
            owner: Owner::TpmCrb,
        });
    }
}

/// The boot flash window: the reserved range holding the reset vector, from
/// the E820 map, else from dom0's /proc/iomem; at most its top 16 MiB.
fn flash_window(facts: &Facts, push: &mut impl FnMut(Claim)) {
    let from_e820 = facts.xen.as_ref().and_then(|log| {
        let e = log.e820.as_ref()?.entries.iter().find(|e| {
            e.kind == E820Kind::Reserved && e.start <= RESET_VECTOR && e.end >= RESET_VECTOR
        })?;
        let mut source = log.evidence(e.line);
        source.text = format!("{} — holds the reset vector 0xfffffff0", source.text);
        Some((e.start, source))
    });
    let from_iomem = || {
        let v = facts.dom0.as_ref()?;
        let e = v
            .iomem
            .iter()
            .find(|e| e.depth == 0 && e.start <= RESET_VECTOR && e.end >= RESET_VECTOR)?;
        (e.end == 0xffff_ffff).then(|| {
            (
                e.start,
                Evidence {
                    artifact: "linux/iomem".into(),
                    line: e.line,
                    text: format!(
                        "{:08x}-{:08x} : {} — holds the reset vector 0xfffffff0",
                        e.start, e.end, e.name
                    ),
                },
            )
        })
    };
    if let Some((start, mut source)) = from_e820.or_else(from_iomem) {
        let start = start.max(FLASH_LOWEST);
        source.text = format!("{} (flash window {start:#x}-0xffffffff)", source.text);
        push(Claim {
            start,
            end: 0xffff_ffff,
            owner: Owner::FlashWindow,
            source,
        });
    }
}
