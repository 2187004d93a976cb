//! Where Xen put its AP start-up trampoline, derived from the memory maps the
//! way Xen chooses it (a derived fact: the inventory names it, the model uses it).
//!
//! - BIOS / multiboot (`arch/x86/boot/head.S`, `trampoline_bios_setup`, 4.17 and
//!   4.20): take the EBDA segment (BDA word 0x40e), cap it by multiboot
//!   `mem_lower`, step down 64 KiB (`seg -= 0x1000`), align down to 4 KiB
//!   (`seg &= 0xff00`): `phys = seg << 4`. A snapshot has no BDA bytes, so the
//!   EBDA is taken to start where the E820 map's low usable RAM ends (SeaBIOS:
//!   0x9fc00 → 0x8f000, as measured).
//! - xen.efi and multiboot2 on EFI (`arch/x86/efi/efi-boot.h`,
//!   `efi_arch_memory_setup()`): `AllocatePages(AllocateMaxAddress, EfiLoaderData,
//!   …, 1 MiB)`; UEFI allocates top-down, so it is the highest EfiLoaderData
//!   descriptor below 1 MiB in the EFI memory map (OVMF: 0x9e000, as measured).
//!   Without the EFI map in the log (it is a debug-level line from 4.18 on),
//!   only a bound is known: the top of usable conventional memory.
//!
//! The permanent part Xen executes on CPU bring-up and S3 resume is the first
//! page; measured `trampoline_start..trampoline_end` spanned two frames on 4.17.

use dom0scope_ranges::frame_of;
use serde::Serialize;

use crate::Evidence;
use crate::xenlog::E820Kind;

/// How sure the location is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// Computed as Xen computes it from facts in the snapshot.
    Derived,
    /// Only a range that must contain it is known.
    Bounded,
}

/// The trampoline's location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trampoline {
    /// First frame of the permanent page.
    pub first_frame: u64,
    /// Last frame of the region that must be protected (inclusive).
    pub last_frame: u64,
    /// Derived the way Xen computes it, or only bounded.
    pub certainty: Certainty,
    /// How it was located, for people: which rule, from which range.
    pub how: String,
    /// The memory-map line it was located from.
    pub evidence: Vec<Evidence>,
}

/// The boot path, which decides the placement rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BootPath {
    /// BIOS or multiboot(1) boot: 64 KiB below the EBDA.
    Bios,
    /// xen.efi, or multiboot2 on EFI: the highest EfiLoaderData range below 1 MiB.
    Efi,
}

/// Frames Xen's trampoline occupies from `trampoline_start` to `trampoline_end`
/// (measured on 4.17: two).
const TRAMPOLINE_FRAMES: u64 = 2;

/// Locates the trampoline from the log's memory maps.
pub fn locate(log: &crate::XenLog) -> Option<Trampoline> {
    let efi = log.bootloader.as_ref().is_some_and(|b| b.value == "EFI")
        || log.e820.as_ref().is_some_and(|m| m.label == "EFI");
    if efi {
        if let Some(map) = &log.efi_memory_map {
            let best = map
                .entries
                .iter()
                .filter(|e| e.kind == 2 && e.end < 0x10_0000)
                .max_by_key(|e| e.start)?;
            return Some(Trampoline {
                first_frame: frame_of(best.start),
                last_frame: frame_of(best.end).min(frame_of(best.start) + TRAMPOLINE_FRAMES - 1),
                certainty: Certainty::Derived,
                how: format!(
                    "EFI boot: the highest EfiLoaderData range below 1 MiB ({:#x}-{:#x}), where Xen's top-down AllocatePages put it",
                    best.start, best.end
                ),
                evidence: vec![log.evidence(best.line)],
            });
        }
        let low = low_usable(log)?;
        let top = frame_of(low.0 + 1);
        return Some(Trampoline {
            first_frame: top.saturating_sub(16),
            last_frame: top.saturating_sub(1),
            certainty: Certainty::Bounded,
            how: format!(
                "EFI boot without the EFI memory map in the log: in the top 64 KiB of usable conventional memory (below {:#x})",
                low.0 + 1
            ),
            evidence: vec![log.evidence(low.1)],
        });
    }
    let (end, line) = low_usable(log)?;
    // Without an EBDA below 640 KiB, Xen falls back to the BDA's base-memory
    // size, which is the same bound.
    let ebda_seg = ((end + 1) >> 4).min(0xa000);
    if ebda_seg < 0x2000 {
        return None;
    }
    let seg = (ebda_seg - 0x1000) & 0xff00;
    let phys = seg << 4;
    Some(Trampoline {
        first_frame: frame_of(phys),
        last_frame: frame_of(phys) + TRAMPOLINE_FRAMES - 1,
        certainty: Certainty::Derived,
        how: format!(
            "BIOS boot: 64 KiB below the EBDA at {:#x} (where the E820 map's low usable RAM ends), 4 KiB-aligned: {phys:#x}",
            end + 1
        ),
        evidence: vec![log.evidence(line)],
    })
}

/// End (inclusive) and line of the usable E820 range holding conventional memory
/// (it starts at 0, or at 0x1000 where firmware reserves page 0).
fn low_usable(log: &crate::XenLog) -> Option<(u64, u32)> {
    let m = log.e820.as_ref()?;
    m.entries
        .iter()
        .find(|e| e.kind == E820Kind::Usable && e.start <= 0x1000 && e.end < 0x10_0000)
        .map(|e| (e.end, e.line))
}
