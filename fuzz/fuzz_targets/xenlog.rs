//! The Xen console log parser on arbitrary bytes: it must never panic, every
//! warning must point at a line that exists, and every fact's line must too.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(log) = dom0scope_facts::xenlog::parse("fuzz.log", data) else {
        return;
    };
    let total = log.stats.total_lines.max(1) + 1;
    for w in &log.warnings {
        assert!(w.line <= total, "warning line {} beyond {}", w.line, total);
    }
    for (line, _) in &log.cited {
        assert!(*line >= 1 && *line <= total);
    }
    let d = &log.irq_dumps;
    assert!(d.bindings.len() <= dom0scope_facts::xenlog::irqdump::MAX_ENTRIES);
    assert!(d.msi.len() <= dom0scope_facts::xenlog::irqdump::MAX_ENTRIES);
    for b in d.bindings.values() {
        assert!(b.line >= 1 && b.line <= total && log.cited.contains_key(&b.line));
    }
    for m in d.msi.values() {
        assert!(m.line >= 1 && m.line <= total && log.cited.contains_key(&m.line));
    }
    if let Some(m) = &log.e820 {
        for e in &m.entries {
            assert!(e.start <= e.end);
        }
    }
    let _ = log.summary();
});
