//! A compact, line-per-fact text rendering of a parsed log: what a reviewer
//! compares against the log itself (golden tests), and a debugging aid.

use dom0scope_ranges::Radix;

use super::model::XenLog;

impl XenLog {
    /// One line per fact, each ending with the source line (`@N`).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let mut w = |line: String| {
            s.push_str(&line);
            s.push('\n');
        };
        if let Some(v) = &self.version {
            w(format!(
                "version {} package={:?} debug={:?} @{}",
                v.full(),
                v.package,
                v.debug,
                v.line
            ));
        }
        if let Some(c) = &self.cmdline {
            w(format!("cmdline {:?} @{}", c.value, c.line));
        }
        if let Some(b) = &self.bootloader {
            w(format!("bootloader {:?} @{}", b.value, b.line));
        }
        if let Some(b) = &self.image_base {
            w(format!("xen image base {:#x} @{}", b.value, b.line));
        }
        if let Some(c) = &self.cpu {
            w(format!(
                "cpu {} family {} model {} stepping {} @{}",
                c.vendor, c.family, c.model, c.stepping, c.line
            ));
        }
        if let Some(h) = &self.hap {
            w(format!("hap {} @{}", h.value, h.line));
        }
        if let Some(m) = &self.e820 {
            w(format!(
                "e820 {:?}{} @{}",
                m.label,
                if m.legacy_format {
                    " (legacy, end exclusive in log)"
                } else {
                    ""
                },
                m.header_line
            ));
            for e in &m.entries {
                w(format!(
                    "  [{:016x}, {:016x}] {} @{}",
                    e.start,
                    e.end,
                    e.kind.label(),
                    e.line
                ));
            }
        }
        if let Some(m) = &self.efi_memory_map {
            let runtime = m.entries.iter().filter(|e| e.is_runtime()).count();
            w(format!(
                "efi memory map: {} descriptors, {} runtime @{}",
                m.entries.len(),
                runtime,
                m.header_line
            ));
            for e in m.entries.iter().filter(|e| e.is_runtime()) {
                w(format!(
                    "  runtime {:013x}-{:013x} type={} attr={:016x} @{}",
                    e.start, e.end, e.kind, e.attr, e.line
                ));
            }
        }
        for t in &self.acpi_tables {
            w(format!(
                "acpi {} {:#x} len {:#x} @{}",
                t.signature, t.address, t.length, t.line
            ));
        }
        let a = &self.acpi;
        if let Some(x) = &a.local_apic_address {
            w(format!("lapic address {:#x} @{}", x.value, x.line));
        }
        if !a.lapics.is_empty() {
            let enabled = a.lapics.iter().filter(|l| l.enabled).count();
            w(format!(
                "lapics {} ({} enabled) @{}",
                a.lapics.len(),
                enabled,
                a.lapics[0].line
            ));
        }
        for io in &a.ioapics {
            w(format!(
                "ioapic id {} {:#x} gsi {}-{:?} @{}",
                io.id, io.address, io.gsi_base, io.gsi_end, io.line
            ));
        }
        if let Some(h) = &a.hpet {
            w(format!(
                "hpet id {:#x} base {:#x} @{}",
                h.id, h.base, h.line
            ));
        }
        if let Some(p) = &a.pm_timer {
            w(format!(
                "pm timer port {:#x} bits {:?} @{}",
                p.port, p.bits, p.line
            ));
        }
        if let Some(sl) = &a.sleep {
            w(format!(
                "pm1a_cnt {}:{:#x} pm1b_cnt {}:{:#x} pm1a_evt {}:{:#x} pm1b_evt {}:{:#x} @{}",
                sl.pm1a_cnt.space,
                sl.pm1a_cnt.address,
                sl.pm1b_cnt.space,
                sl.pm1b_cnt.address,
                sl.pm1a_evt.space,
                sl.pm1a_evt.address,
                sl.pm1b_evt.space,
                sl.pm1b_evt.address,
                sl.line
            ));
        }
        if let Some(f) = &a.facs {
            w(format!("facs {:#x} @{}", f.value, f.line));
        }
        for m in &self.mcfg {
            w(format!(
                "mcfg {:#x} seg {:04x} bus {:02x}-{:02x} used {:?} @{}",
                m.base, m.segment, m.bus_start, m.bus_end, m.used, m.line
            ));
        }
        let i = &self.iommu;
        if let Some(e) = &i.enabled {
            w(format!("iommu enabled {} @{}", e.value, e.line));
        }
        if let Some(m) = &i.dom0_mode {
            w(format!("iommu dom0 mode {:?} @{}", m.value, m.line));
        }
        if let Some(r) = &i.interrupt_remapping {
            w(format!("interrupt remapping {} @{}", r.value, r.line));
        }
        if i.vtd_units > 0 || i.amd_vi_units > 0 {
            w(format!(
                "vt-d units {} amd-vi units {}",
                i.vtd_units, i.amd_vi_units
            ));
        }
        for d in &i.vtd_drhd {
            w(format!("drhd {:#x} @{}", d.value, d.line));
        }
        if let Some(d) = &self.dom0 {
            w(format!(
                "dom0 {} kernel {:x?} alloc {:x?} pages {:?} vcpus {:?} @{}",
                d.mode.label(),
                d.kernel_paddr,
                d.alloc,
                d.pages,
                d.max_vcpus,
                d.line
            ));
        }
        for p in &self.ioport_disables {
            w(format!(
                "ioports disabled {:04x}-{:04x} @{}",
                p.start, p.end, p.line
            ));
        }
        for r in &self.rangesets {
            w(format!(
                "rangesets d{} dump {} @{}",
                r.domain, r.dump, r.header_line
            ));
            if let Some(x) = &r.interrupts {
                w(format!(
                    "  Interrupts {} @{}",
                    x.value.to_xen(Radix::Decimal),
                    x.line
                ));
            }
            if let Some(x) = &r.iomem {
                w(format!(
                    "  I/O Memory {} @{}",
                    x.value.to_xen(Radix::Hex),
                    x.line
                ));
            }
            if let Some(x) = &r.ioports {
                w(format!(
                    "  I/O Ports  {} @{}",
                    x.value.to_xen(Radix::Hex),
                    x.line
                ));
            }
            for (n, t) in &r.other {
                w(format!("  {n} {t}"));
            }
        }
        w(format!(
            "copies {} lines {} xen {} overlong {}",
            self.boot_copies,
            self.stats.total_lines,
            self.stats.xen_lines,
            self.stats.overlong_lines_skipped
        ));
        for warning in &self.warnings {
            w(format!("warning {warning}"));
        }
        s
    }
}
