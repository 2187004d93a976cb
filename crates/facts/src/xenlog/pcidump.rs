//! Debug key `'Q'`: one line per PCI device with the domain that owns it
//! (Xen `drivers/passthrough/pci.c` `_dump_pci_devices()`; `%pp - %pd - node %d`), and the
//! Xen IRQs of its MSI/MSI-X entries (` - MSIs < %d %d … >`: `drivers/passthrough/msi.c`
//! `pdev_dump_msi()` from RELEASE-4.16.0 to RELEASE-4.22.0, only for a device with MSIs;
//! before, `_dump_pci_devices()` printed it for every device).
//! A later dump of the same device replaces the earlier one.

use std::sync::LazyLock;

use regex::Regex;

use super::builder::Builder;
use super::lines::XenLine;
use super::model::PciOwner;

static DEVICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]) - (\S+) - node ")
        .expect("static regex")
});

pub(crate) fn line(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let body = l.body.trim();
    if body.starts_with("==== ") && body.ends_with(" ====") {
        return body.starts_with("==== PCI devices") || body.starts_with("==== segment ");
    }
    let Some(c) = DEVICE.captures(body) else {
        return false;
    };
    let sbdf = c[1].to_ascii_lowercase();
    let o = PciOwner {
        sbdf: sbdf.clone(),
        owner: c[2].to_owned(),
        line: l.no,
        text: body.to_owned(),
        msi_irqs: msi_irqs(b, l, body),
    };
    b.cite(l);
    match b.log.pci_owners.iter_mut().find(|p| p.sbdf == sbdf) {
        Some(p) => *p = o,
        None => b.log.pci_owners.push(o),
    }
    true
}

/// At most this many MSI IRQs per device (MSI-X allows 2048 entries, MSI 32).
const MAX_MSIS: usize = 4096;

/// The IRQs of ` - MSIs < 24 25 >`; an unreadable list is warned about and left empty.
fn msi_irqs(b: &mut Builder, l: &XenLine<'_>, body: &str) -> Vec<u32> {
    let Some((_, rest)) = body.split_once(" - MSIs < ") else {
        return Vec::new();
    };
    let list = rest.strip_suffix('>').unwrap_or(rest);
    let mut irqs = Vec::new();
    for t in list.split_whitespace() {
        match t.parse::<u32>() {
            Ok(_) if irqs.len() >= MAX_MSIS => {
                b.warn(
                    l,
                    format!("more than {MAX_MSIS} MSI IRQs: the rest skipped"),
                );
                break;
            }
            Ok(irq) => irqs.push(irq),
            Err(_) => {
                b.warn(l, "debug-key 'Q' MSI list unreadable; ignored");
                return Vec::new();
            }
        }
    }
    irqs
}
