//! A capture often holds the boot log twice: once as Xen wrote it to the serial
//! console, then again as `xl dmesg` printed it from the console ring. Each
//! `Xen version` banner starts a copy; the later copy is authoritative, earlier
//! copies only fill facts the later one lacks (a wrapped ring loses its start),
//! and any disagreement between copies is reported.

use super::builder::Builder;
use super::lines::XenLine;
use super::model::XenLog;
use crate::evidence::Warning;

pub(crate) fn parse_copies(artifact: &str, lines: &[XenLine<'_>]) -> XenLog {
    let mut finished: Vec<(XenLog, u32, u32)> = Vec::new();
    let mut b = Builder::new(artifact);
    let mut first_line = lines.first().map_or(0, |l| l.no);
    for l in lines {
        if l.body.starts_with("Xen version ") && b.log.version.is_some() {
            let mut next = Builder::new(artifact);
            next.dumps = b.dumps;
            next.dump_open = b.dump_open;
            next.log.rangesets = std::mem::take(&mut b.log.rangesets);
            next.log.pci_owners = std::mem::take(&mut b.log.pci_owners);
            next.log.irq_dumps = std::mem::take(&mut b.log.irq_dumps);
            let done = std::mem::replace(&mut b, next);
            finished.push((done.log, first_line, l.no - 1));
            first_line = l.no;
        }
        b.line(l);
    }
    let mut log = b.log;
    log.boot_copies = u32::try_from(finished.len() + 1).unwrap_or(u32::MAX);
    let last_span = (first_line, lines.last().map_or(0, |l| l.no));
    for (earlier, from, to) in finished.into_iter().rev() {
        let diffs = differences(&earlier, &log);
        if !diffs.is_empty() {
            log.warnings.push(Warning {
                artifact: artifact.into(),
                line: last_span.0,
                message: format!(
                    "boot log copy at lines {from}-{to} differs from the later copy at lines {}-{} in: {}; the later copy is used",
                    last_span.0,
                    last_span.1,
                    diffs.join(", ")
                ),
            });
        }
        fill_missing(&mut log, earlier);
    }
    dom0_dump_changes(&mut log);
    log
}

/// Names of the key facts on which two copies disagree (ignoring line numbers).
fn differences(a: &XenLog, b: &XenLog) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut cmp = |name: &'static str, x: Option<String>, y: Option<String>| {
        if let (Some(x), Some(y)) = (x, y)
            && x != y
        {
            out.push(name);
        }
    };
    cmp(
        "version",
        a.version
            .as_ref()
            .map(|v| format!("{} {:?}", v.full(), v.package)),
        b.version
            .as_ref()
            .map(|v| format!("{} {:?}", v.full(), v.package)),
    );
    cmp(
        "command line",
        a.cmdline.as_ref().map(|c| c.value.clone()),
        b.cmdline.as_ref().map(|c| c.value.clone()),
    );
    let e820 = |l: &XenLog| {
        l.e820.as_ref().map(|m| {
            m.entries
                .iter()
                .map(|e| format!("{:x}-{:x}:{:?}", e.start, e.end, e.kind))
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    cmp("E820 map", e820(a), e820(b));
    let efi = |l: &XenLog| {
        l.efi_memory_map.as_ref().map(|m| {
            m.entries
                .iter()
                .map(|e| format!("{:x}-{:x}:{}:{:x}", e.start, e.end, e.kind, e.attr))
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    cmp("EFI memory map", efi(a), efi(b));
    let tables = |l: &XenLog| {
        (!l.acpi_tables.is_empty()).then(|| {
            l.acpi_tables
                .iter()
                .map(|t| format!("{}@{:x}+{:x}", t.signature, t.address, t.length))
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    cmp("ACPI tables", tables(a), tables(b));
    cmp(
        "dom0 mode",
        a.dom0.as_ref().map(|d| d.mode.label().to_owned()),
        b.dom0.as_ref().map(|d| d.mode.label().to_owned()),
    );
    out
}

/// Takes from an earlier copy whatever the later one does not have.
fn fill_missing(log: &mut XenLog, earlier: XenLog) {
    macro_rules! fill {
        ($($f:ident).+) => {
            if log.$($f).+.is_none() {
                log.$($f).+ = earlier.$($f).+;
            }
        };
    }
    macro_rules! fill_vec {
        ($($f:ident).+) => {
            if log.$($f).+.is_empty() {
                log.$($f).+ = earlier.$($f).+;
            }
        };
    }
    fill!(version);
    fill!(build_id);
    fill!(bootloader);
    fill!(cmdline);
    fill!(image_load_base);
    fill!(image_base);
    fill!(cpu);
    fill!(hap);
    fill!(e820);
    fill!(efi_memory_map);
    fill!(dom0);
    fill!(acpi.local_apic_address);
    fill!(acpi.hpet);
    fill!(acpi.pm_timer);
    fill!(acpi.sleep);
    fill!(acpi.facs);
    fill!(iommu.enabled);
    fill!(iommu.dom0_mode);
    fill!(iommu.interrupt_remapping);
    fill_vec!(acpi_tables);
    fill_vec!(acpi.lapics);
    fill_vec!(acpi.ioapics);
    fill_vec!(mcfg);
    fill_vec!(iommu.vtd_drhd);
    fill_vec!(iommu.vtd_features);
    fill_vec!(ioport_disables);
    if log.iommu.vtd_units == 0 {
        log.iommu.vtd_units = earlier.iommu.vtd_units;
    }
    if log.iommu.amd_vi_units == 0 {
        log.iommu.amd_vi_units = earlier.iommu.amd_vi_units;
    }
    let mut warnings = earlier.warnings;
    warnings.append(&mut log.warnings);
    log.warnings = warnings;
    for (k, v) in earlier.cited {
        log.cited.entry(k).or_insert(v);
    }
}

/// dom0's rangesets can legitimately change between dumps (a self-revocation);
/// say so, since the last dump is what the audit judges.
fn dom0_dump_changes(log: &mut XenLog) {
    let dumps: Vec<_> = log.rangesets.iter().filter(|r| r.domain == 0).collect();
    let mut notes = Vec::new();
    for pair in dumps.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let same = a.iomem.as_ref().map(|x| &x.value) == b.iomem.as_ref().map(|x| &x.value)
            && a.ioports.as_ref().map(|x| &x.value) == b.ioports.as_ref().map(|x| &x.value)
            && a.interrupts.as_ref().map(|x| &x.value) == b.interrupts.as_ref().map(|x| &x.value);
        if !same {
            notes.push(Warning {
                artifact: log.artifact.clone(),
                line: b.header_line,
                message: format!(
                    "dom0's rangesets at line {} differ from the earlier dump at line {}; the last dump is used",
                    b.header_line, a.header_line
                ),
            });
        }
    }
    log.warnings.extend(notes);
}
