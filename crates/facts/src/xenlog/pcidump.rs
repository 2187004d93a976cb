//! Debug key `'Q'`: one line per PCI device with the domain that owns it
//! (Xen `drivers/passthrough/pci.c` `_dump_pci_devices()`; `%pp - %pd - node %d`).
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
    };
    b.cite(l);
    match b.log.pci_owners.iter_mut().find(|p| p.sbdf == sbdf) {
        Some(p) => *p = o,
        None => b.log.pci_owners.push(o),
    }
    true
}
