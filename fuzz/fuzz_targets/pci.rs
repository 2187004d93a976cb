//! PCI sysfs parsing (`config`, `resource`, `class`) on arbitrary bytes: no
//! panic, and every resource kept has start <= end.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (config, resource) = data.split_at(split);
    let mut warnings = Vec::new();
    let f = dom0scope_facts::pci::parse(
        [
            ("pci/0000:00:00.0/config", config),
            ("pci/0000:00:00.0/resource", resource),
            ("pci/0000:00:00.0/class", resource),
        ],
        &mut warnings,
    );
    for d in &f {
        assert!(d.resources.iter().all(|r| r.start <= r.end));
    }
});
