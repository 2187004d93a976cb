//! The E820 map (every label Xen prints it under, both entry formats) and the
//! UEFI memory map dump (Xen `e820.c` `print_e820_memory_map()`,
//! `efi/boot.c` `efi_init_memory()`).

use std::sync::LazyLock;

use regex::Regex;

use super::builder::{Block, Builder, dec, hex};
use super::lines::XenLine;
use super::model::{E820Entry, E820Kind, E820Map, EfiMemoryDescriptor, EfiMemoryMap};

/// Current format: ` [start, end] (type)`, end inclusive.
static E820_NEW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*\[([0-9a-fA-F]{1,16}), ([0-9a-fA-F]{1,16})\] (.+)$").expect("static regex")
});
/// Xen 4.1: ` start - end (type)`, end exclusive.
static E820_OLD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*([0-9a-fA-F]{1,16}) - ([0-9a-fA-F]{1,16}) (.+)$").expect("static regex")
});
static EFI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*([0-9a-fA-F]{1,16})-([0-9a-fA-F]{1,16}) type=(\d+) attr=([0-9a-fA-F]{1,16})\s*$",
    )
    .expect("static regex")
});

pub(crate) fn header(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let body = l.body.trim_end();
    if let Some(label) = body.strip_suffix(" RAM map:") {
        // "Initial X RAM map" is the pre-sanitisation map (e820-verbose); the
        // sanitised one that follows is what Xen uses.
        if label.starts_with("Initial ") || label.trim().is_empty() || label.starts_with(' ') {
            return false;
        }
        let header_line = b.cite(l);
        b.log.e820 = Some(E820Map {
            label: label.to_owned(),
            legacy_format: false,
            header_line,
            entries: Vec::new(),
        });
        b.block = Block::E820;
        return true;
    }
    if body.starts_with("EFI memory map:") {
        let header_line = b.cite(l);
        b.log.efi_memory_map = Some(EfiMemoryMap {
            header_line,
            entries: Vec::new(),
        });
        b.block = Block::Efi;
        return true;
    }
    false
}

/// One E820 line inside the block; false ends the block.
pub(crate) fn e820_entry(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let (caps, legacy) = match E820_NEW.captures(l.body) {
        Some(c) => (c, false),
        None => match E820_OLD.captures(l.body) {
            Some(c) => (c, true),
            None => return false,
        },
    };
    let (Some(start), Some(end)) = (hex(&caps[1]), hex(&caps[2])) else {
        b.warn(l, "E820 address out of range");
        return true;
    };
    let end = if legacy {
        match end.checked_sub(1) {
            Some(e) => e,
            None => {
                b.warn(l, "E820 range with end 0");
                return true;
            }
        }
    } else {
        end
    };
    if end < start {
        b.warn(l, "E820 range ends before it starts");
        return true;
    }
    let Some(kind) = e820_kind(caps[3].trim()) else {
        b.warn(l, "unknown E820 type");
        return true;
    };
    let line = b.cite(l);
    if let Some(map) = b.log.e820.as_mut() {
        map.legacy_format |= legacy;
        map.entries.push(E820Entry {
            start,
            end,
            kind,
            line,
        });
    }
    true
}

fn e820_kind(s: &str) -> Option<E820Kind> {
    Some(match s {
        "(usable)" => E820Kind::Usable,
        "(reserved)" => E820Kind::Reserved,
        "(ACPI data)" => E820Kind::AcpiData,
        "(ACPI NVS)" => E820Kind::AcpiNvs,
        "(unusable)" => E820Kind::Unusable,
        other => {
            let n = other.strip_prefix("type ")?;
            match dec::<u32>(n)? {
                1 => E820Kind::Usable,
                2 => E820Kind::Reserved,
                3 => E820Kind::AcpiData,
                4 => E820Kind::AcpiNvs,
                5 => E820Kind::Unusable,
                n => E820Kind::Other(n),
            }
        }
    })
}

/// One EFI descriptor line inside the block; false ends the block.
pub(crate) fn efi_entry(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let Some(c) = EFI.captures(l.body) else {
        return false;
    };
    let (Some(start), Some(end), Some(kind), Some(attr)) =
        (hex(&c[1]), hex(&c[2]), dec::<u32>(&c[3]), hex(&c[4]))
    else {
        b.warn(l, "EFI memory descriptor out of range");
        return true;
    };
    if end < start {
        b.warn(l, "EFI memory descriptor ends before it starts");
        return true;
    }
    let line = b.cite(l);
    if let Some(map) = b.log.efi_memory_map.as_mut() {
        map.entries.push(EfiMemoryDescriptor {
            start,
            end,
            kind,
            attr,
            line,
        });
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn new_and_legacy_formats_normalise_to_inclusive_ends() {
        let log = parse(
            "t",
            b"(XEN) Xen-e820 RAM map:\n(XEN)  [0000000000000000, 000000000009fbff] (usable)\n(XEN)  [00000000000f0000, 00000000000fffff] type 7\n(XEN) System RAM: 1MB\n",
        )
        .unwrap();
        let m = log.e820.unwrap();
        assert_eq!(m.label, "Xen-e820");
        assert_eq!(m.entries.len(), 2);
        assert_eq!((m.entries[0].start, m.entries[0].end), (0, 0x9fbff));
        assert_eq!(m.entries[1].kind, E820Kind::Other(7));

        let log = parse(
            "t",
            b"(XEN) Xen-e820 RAM map:\n(XEN)  0000000000000000 - 000000000009f000 (usable)\n(XEN)  000000007fe6d800 - 0000000080000000 (reserved)\n",
        )
        .unwrap();
        let m = log.e820.unwrap();
        assert!(m.legacy_format);
        assert_eq!(m.entries[0].end, 0x9efff);
        assert_eq!(m.entries[1].end, 0x7fffffff);
    }

    #[test]
    fn malformed_entries_warn_with_line_numbers() {
        let log = parse(
            "t",
            b"(XEN) Xen-e820 RAM map:\n(XEN)  [0000000000001000, 0000000000000fff] (usable)\n(XEN)  [0000000000000000, 0000000000000fff] (bogus)\n",
        )
        .unwrap();
        assert!(log.e820.unwrap().entries.is_empty());
        let lines: Vec<u32> = log.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![2, 3]);
    }

    #[test]
    fn initial_map_is_not_the_sanitised_one() {
        let log = parse(
            "t",
            b"(XEN) Initial Xen-e820 RAM map:\n(XEN)  [0000000000000000, 0000000000000fff] (reserved)\n(XEN) Xen-e820 RAM map:\n(XEN)  [0000000000000000, 0000000000000fff] (usable)\n",
        )
        .unwrap();
        let m = log.e820.unwrap();
        assert_eq!(m.entries.len(), 1);
        assert_eq!(m.entries[0].kind, E820Kind::Usable);
    }
}
