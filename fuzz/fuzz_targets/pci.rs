//! PCI parsing on arbitrary bytes: sysfs (`config`, `resource`, `class`), the
//! config-space decoders (BARs, capability lists incl. corrupt loops, MSI-X),
//! and `lspci -xxxx` text. No panic; kept resources have start <= end.

#![no_main]

use dom0scope_facts::pci::{config, lspci};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (cfg, resource) = data.split_at(split);
    let mut warnings = Vec::new();
    let f = dom0scope_facts::pci::parse(
        [
            ("pci/0000:00:00.0/config", cfg),
            ("pci/0000:00:00.0/resource", resource),
            ("pci/0000:00:00.0/class", resource),
        ],
        &mut warnings,
    );
    for d in &f {
        assert!(d.resources.iter().all(|r| r.start <= r.end));
    }
    let _ = config::bars(data);
    assert!(config::capabilities(data).len() <= 48 + 512);
    let _ = config::msix(data);
    let _ = lspci::parse("fuzz", &String::from_utf8_lossy(data), &mut warnings);
});
