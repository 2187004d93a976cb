//! Where a PVH self-mapping may land: a guest frame nothing in dom0 uses, so mapping a frame
//! there for an instant disturbs nothing. The choice is the first page at or above 4 GiB that
//! no top-level `/proc/iomem` entry covers (neither RAM nor a PCI window, so no device decodes
//! it), below the CPU's physical address width.

use dom0scope_ranges::{FrameSet, frame_of, frames_of_bytes};

/// 4 GiB, as a frame number.
const FOUR_GIB_PFN: u64 = 0x10_0000;

/// The scratch frame for `iomem` (top-level entries, byte ranges, inclusive) on a CPU with
/// `phys_bits` of physical address; None when no such frame exists.
pub fn scratch_gfn(iomem: &[(u64, u64)], phys_bits: u8) -> Option<u64> {
    let limit = frame_of(1u64.checked_shl(u32::from(phys_bits.min(63)))?);
    let taken = FrameSet::from_ranges(
        iomem
            .iter()
            .filter(|(s, e)| s <= e)
            .map(|&(s, e)| frames_of_bytes(s, e)),
    );
    // The first frame at or above 4 GiB outside every taken range.
    let candidate = match taken.range_at(FOUR_GIB_PFN) {
        Some(r) => r.end().checked_add(1)?,
        None => FOUR_GIB_PFN,
    };
    (candidate < limit).then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_free_page_above_4_gib() {
        // A q35 guest with 2 GiB: RAM, PCI windows below 4 GiB and a 64-bit window at 512 GiB.
        let iomem = [
            (0, 0x7ffd_ffff),
            (0x8000_0000, 0xafff_ffff),
            (0xc000_0000, 0xfebf_ffff),
            (0x80_0000_0000, 0xff_ffff_ffff),
        ];
        assert_eq!(scratch_gfn(&iomem, 40), Some(0x10_0000));
        // RAM above 4 GiB pushes it up; the 64-bit window at the top leaves nothing on 40 bits.
        let more = [
            (0x1_0000_0000, 0x1_7fff_ffff),
            (0x1_8000_0000, 0x7f_ffff_ffff),
            iomem[3],
        ];
        assert_eq!(scratch_gfn(&more, 40), None);
        assert_eq!(scratch_gfn(&more[..1], 40), Some(0x18_0000));
        assert_eq!(
            scratch_gfn(&[], 32),
            None,
            "nothing above 4 GiB on a 32-bit width"
        );
        assert_eq!(
            scratch_gfn(&[(5, 1)], 64),
            Some(0x10_0000),
            "malformed entries ignored"
        );
        assert_eq!(scratch_gfn(&[(0, u64::MAX)], 52), None);
    }
}
