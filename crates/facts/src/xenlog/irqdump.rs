//! Debug keys `'i'` and `'M'`: which domain's pirq each IRQ is bound to, and which IRQs are
//! MSI/MSI-X entries. With `'Q'` (each device's MSI IRQs) they explain IRQs Xen granted dom0
//! at run time, when dom0 mapped its devices' MSI vectors (`PHYSDEVOP_map_pirq`), beyond the
//! GSIs of the boot-time grant.
//!
//! Formats, the same from RELEASE-4.13.0 to RELEASE-4.22.0:
//! - `'i'`, `xen/arch/x86/irq.c` `dump_irqs()`: an `IRQ information:` header, then per IRQ
//!   `IRQ:%4d vec:%02x %-15s status=%03x aff:{…}/{…} ` (the handler's typename: `PCI-MSI`,
//!   `PCI-MSI/-X`, `IO-APIC-level` …), an optional `Z=ssid` (XSM), then `in-flight=%d` and the
//!   bound domains `d%d:%3d(%c%c%c)` comma-separated, or Xen's own handler `%ps()`, or
//!   `mapped, unbound`.
//! - `'M'`, `xen/arch/x86/msi.c` `dump_msi()`: an `MSI information:` header, then per IRQ
//!   ` %-6s%4u vec=%02x…` (type `MSI`, `MSI-X`, `HPET`, `IOMMU` or `???`, the IRQ, the vector).
//!
//! A header starts a new dump (the last one is Xen's state when the capture ended); entries
//! without one (a wrapped ring lost it) still count.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::builder::{Builder, dec, truncate};
use super::lines::XenLine;

/// At most this many entries per dump (Xen's `nr_irqs` is a few thousand on large hosts).
pub const MAX_ENTRIES: usize = 1 << 16;
/// At most this many bound domains per IRQ (Xen's `IRQ_MAX_GUESTS` is 7).
const MAX_GUESTS: usize = 64;

/// A domain's pirq bound to an IRQ (`d0:414(---)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GuestPirq {
    /// The domain id.
    pub domain: u32,
    /// The domain's pirq number.
    pub pirq: i32,
}

/// One IRQ of an `'i'` dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IrqBinding {
    /// Xen's IRQ number (what the `Interrupts` rangeset holds).
    pub irq: u32,
    /// The handler's typename: `PCI-MSI` (MSI without per-vector masking), `PCI-MSI/-X`
    /// (maskable MSI, MSI-X), `IO-APIC-edge`, `DMA_MSI` (an IOMMU's own) …
    pub kind: String,
    /// Domains bound to it, with their pirq (empty: Xen's own, or mapped but unbound).
    pub guests: Vec<GuestPirq>,
    /// `mapped, unbound`: a domain mapped it to a pirq but bound no event channel.
    pub unbound: bool,
    /// Line of the entry.
    pub line: u32,
    /// The entry's text after `(XEN)`, trimmed.
    pub text: String,
}

impl IrqBinding {
    /// Xen's handler for a device's MSI or MSI-X (`pci_msi_maskable`, `pci_msi_nonmaskable`).
    pub fn is_pci_msi(&self) -> bool {
        self.kind == "PCI-MSI" || self.kind == "PCI-MSI/-X"
    }
}

/// One entry of an `'M'` dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MsiEntry {
    /// `MSI`, `MSI-X` (a PCI device's), `HPET`, `IOMMU` (Xen's own), `???`.
    pub kind: String,
    /// Xen's IRQ number.
    pub irq: u32,
    /// The vector the message delivers.
    pub vector: u8,
    /// Line of the entry.
    pub line: u32,
    /// The entry's text after `(XEN)`, trimmed.
    pub text: String,
}

/// The last `'i'` and `'M'` dumps of a log, by IRQ.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IrqDumps {
    /// `'i'` entries.
    pub bindings: BTreeMap<u32, IrqBinding>,
    /// The artifact they came from, when not the log itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bindings_artifact: Option<String>,
    /// `'M'` entries.
    pub msi: BTreeMap<u32, MsiEntry>,
    /// The artifact they came from, when not the log itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msi_artifact: Option<String>,
    /// Entries skipped past [`MAX_ENTRIES`] (warned about once).
    #[serde(skip)]
    skipped: u32,
}

impl IrqDumps {
    /// Nothing from either key.
    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty() && self.msi.is_empty()
    }

    /// The `'i'` entry of `irq`.
    pub fn binding(&self, irq: u32) -> Option<&IrqBinding> {
        self.bindings.get(&irq)
    }

    /// The `'M'` entry of `irq`.
    pub fn msi_entry(&self, irq: u32) -> Option<&MsiEntry> {
        self.msi.get(&irq)
    }
}

static BINDING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^IRQ:\s*(\d+) vec:([0-9a-fA-F]{2}) (\S+)\s+status=[0-9a-fA-F]+ aff:\{[^}]*\}/\{[^}]*\}\s*(?:Z=\S+\s+)?(.*)$",
    )
    .expect("static regex")
});
static GUEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^d(\d+):\s*(-?\d+)\([-P?][-M?][-M]\)$").expect("static regex"));
static MSI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(MSI-X|MSI|HPET|IOMMU|\?\?\?)\s+(\d+) vec=([0-9a-fA-F]{2})\s.*assert .*dest=[0-9a-fA-F]+ mask=")
        .expect("static regex")
});

/// Reads one line of either dump; false when it is neither.
pub(crate) fn line(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let body = l.body.trim();
    match body {
        "IRQ information:" => {
            b.cite(l);
            b.log.irq_dumps.bindings.clear();
            return true;
        }
        "MSI information:" => {
            b.cite(l);
            b.log.irq_dumps.msi.clear();
            return true;
        }
        _ => {}
    }
    if body.starts_with("IRQ:") && body.contains(" vec:") {
        binding(b, l, body);
        return true;
    }
    let first = body.split_whitespace().next().unwrap_or("");
    if matches!(first, "MSI" | "MSI-X" | "HPET" | "IOMMU" | "???") && body.contains(" vec=") {
        msi(b, l, body);
        return true;
    }
    false
}

fn binding(b: &mut Builder, l: &XenLine<'_>, body: &str) {
    let Some(c) = BINDING.captures(body) else {
        b.warn(l, "debug-key 'i' line that does not parse");
        return;
    };
    let (Some(irq), Ok(_)) = (dec::<u32>(&c[1]), u8::from_str_radix(&c[2], 16)) else {
        b.warn(l, "debug-key 'i' line with an IRQ out of range");
        return;
    };
    let tail = c[4].trim();
    let mut guests = Vec::new();
    let unbound = tail == "mapped, unbound";
    if let Some(list) = tail.strip_prefix("in-flight=") {
        // `in-flight=N` then, when guests are bound, a space and `dD:P(…)` joined by commas.
        let list = list.split_once(' ').map_or("", |(_, g)| g);
        for g in list.split(',').filter(|g| !g.trim().is_empty()) {
            match GUEST
                .captures(g.trim())
                .and_then(|c| Some((dec(&c[1])?, dec(&c[2])?)))
            {
                Some((domain, pirq)) if guests.len() < MAX_GUESTS => {
                    guests.push(GuestPirq { domain, pirq });
                }
                Some(_) => {}
                None => {
                    b.warn(
                        l,
                        format!("debug-key 'i' guest {:?} unreadable", truncate(g, 40)),
                    );
                    return;
                }
            }
        }
    }
    let d = &b.log.irq_dumps;
    if d.bindings.len() >= MAX_ENTRIES && !d.bindings.contains_key(&irq) {
        skip(b, l, 'i');
        return;
    }
    let entry = IrqBinding {
        irq,
        kind: c[3].to_owned(),
        guests,
        unbound,
        line: l.no,
        text: body.to_owned(),
    };
    b.cite(l);
    // A later entry for the same IRQ (a dump without its header) replaces the earlier one.
    b.log.irq_dumps.bindings.insert(irq, entry);
}

fn msi(b: &mut Builder, l: &XenLine<'_>, body: &str) {
    let Some(c) = MSI.captures(body) else {
        b.warn(l, "debug-key 'M' line that does not parse");
        return;
    };
    let (Some(irq), Ok(vector)) = (dec::<u32>(&c[2]), u8::from_str_radix(&c[3], 16)) else {
        b.warn(l, "debug-key 'M' line with an IRQ out of range");
        return;
    };
    let d = &b.log.irq_dumps;
    if d.msi.len() >= MAX_ENTRIES && !d.msi.contains_key(&irq) {
        skip(b, l, 'M');
        return;
    }
    let entry = MsiEntry {
        kind: c[1].to_owned(),
        irq,
        vector,
        line: l.no,
        text: body.to_owned(),
    };
    b.cite(l);
    b.log.irq_dumps.msi.insert(irq, entry);
}

/// One warning for all entries past [`MAX_ENTRIES`].
fn skip(b: &mut Builder, l: &XenLine<'_>, key: char) {
    b.log.irq_dumps.skipped += 1;
    if b.log.irq_dumps.skipped == 1 {
        b.warn(
            l,
            format!(
                "more than {MAX_ENTRIES} debug-key '{key}' entries: this and later ones skipped"
            ),
        );
    }
}
