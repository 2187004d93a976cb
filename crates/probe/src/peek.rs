//! What a granted frame's bytes should show, for the frames where reading is harmless (RAM
//! Xen or firmware keeps, never device registers): evidence that the frame probed is the
//! thing the plan names, not just some frame.

use serde::Serialize;

/// Whether to read a granted frame, and what to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Peek {
    /// Do not read (device registers may have read side effects).
    None,
    /// Xen's AP trampoline: the real-mode entry at the start of the permanent page.
    Trampoline,
    /// The ACPI FACS: the `FACS` signature at a 64-byte boundary of the page.
    Facs,
}

/// `trampoline_realmode_entry` as assembled (`xen/arch/x86/boot/trampoline.S`, the same at
/// `RELEASE-4.17.7` and `RELEASE-4.20.4`): `mov %cs,%ax` (8c c8), `mov %ax,%ds` (8e d8),
/// `movb $0xa5,<trampoline_cpu_started>` (c6 06 lo hi a5), `cld` (fc), `cli` (fa),
/// `lidt <idt_48>` (0f 01 1e ..). `None` bytes are the symbol offsets, which vary by build.
/// Measured on Xen 4.17.7: `8c c8 8e d8 c6 06 38 02 a5 fc fa 0f 01 1e f2 01`.
const TRAMPOLINE_ENTRY: [Option<u8>; 14] = [
    Some(0x8c),
    Some(0xc8),
    Some(0x8e),
    Some(0xd8),
    Some(0xc6),
    Some(0x06),
    None,
    None,
    Some(0xa5),
    Some(0xfc),
    Some(0xfa),
    Some(0x0f),
    Some(0x01),
    Some(0x1e),
];

impl Peek {
    /// Bytes to copy out of the first frame.
    pub fn len(self) -> usize {
        match self {
            Peek::None => 0,
            Peek::Trampoline => 16,
            Peek::Facs => 4096,
        }
    }

    /// Nothing is read.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// What the bytes show, in a sentence.
    pub fn describe(self, bytes: &[u8]) -> String {
        match self {
            Peek::None => String::new(),
            Peek::Trampoline => {
                let shown: Vec<String> =
                    bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
                let ok = bytes.len() >= TRAMPOLINE_ENTRY.len()
                    && TRAMPOLINE_ENTRY
                        .iter()
                        .zip(bytes)
                        .all(|(want, have)| want.is_none_or(|w| w == *have));
                if ok {
                    format!(
                        "starts with Xen's trampoline real-mode entry ({})",
                        shown.join(" ")
                    )
                } else {
                    format!(
                        "does NOT start with Xen's trampoline real-mode entry ({})",
                        shown.join(" ")
                    )
                }
            }
            Peek::Facs => {
                let at = (0..bytes.len().saturating_sub(7))
                    .step_by(64)
                    .find(|&o| &bytes[o..o + 4] == b"FACS");
                match at {
                    Some(o) => {
                        let len = u32::from_le_bytes([
                            bytes[o + 4],
                            bytes[o + 5],
                            bytes[o + 6],
                            bytes[o + 7],
                        ]);
                        format!("'FACS' signature at +{o:#x} (length {len})")
                    }
                    None => "no 'FACS' signature at any 64-byte boundary of the frame".into(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trampoline_entry_as_measured_on_xen_4_17() {
        let measured = [
            0x8c, 0xc8, 0x8e, 0xd8, 0xc6, 0x06, 0x38, 0x02, 0xa5, 0xfc, 0xfa, 0x0f, 0x01, 0x1e,
            0xf2, 0x01,
        ];
        let d = Peek::Trampoline.describe(&measured);
        assert!(d.starts_with("starts with"), "{d}");
        assert!(d.contains("8c c8 8e d8 c6 06 38 02 a5"), "{d}");
        let mut other = measured;
        other[9] = 0x90;
        assert!(Peek::Trampoline.describe(&other).starts_with("does NOT"));
        assert!(
            Peek::Trampoline
                .describe(&measured[..4])
                .starts_with("does NOT")
        );
    }

    #[test]
    fn facs_signature_found_at_64_byte_boundaries_only() {
        let mut page = vec![0u8; 4096];
        page[0x40..0x44].copy_from_slice(b"FACS");
        page[0x44..0x48].copy_from_slice(&64u32.to_le_bytes());
        assert_eq!(
            Peek::Facs.describe(&page),
            "'FACS' signature at +0x40 (length 64)"
        );
        let mut odd = vec![0u8; 4096];
        odd[0x41..0x45].copy_from_slice(b"FACS");
        assert!(Peek::Facs.describe(&odd).starts_with("no 'FACS'"));
        assert!(Peek::Facs.describe(&[]).starts_with("no 'FACS'"));
        assert!(Peek::Facs.describe(b"FACS").starts_with("no 'FACS'"));
    }
}
