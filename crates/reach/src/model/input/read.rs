//! Reading the model's inputs from the facts (the Xen log, the ACPI tables, dom0's cpuinfo),
//! with a stated [`Assumption`] wherever they are silent.

use dom0scope_facts::Facts;
use dom0scope_facts::XenLog;
use dom0scope_facts::xenlog::{Dom0Mode, E820Kind};
use dom0scope_ranges::frame_of;

use super::{
    Assumption, Fit, MODELLED, Mcfg, ModelInput, NoModel, Overrides, Patched, Release, SerialPort,
    Unmodelled, Vendor, fact, patch_of,
};
use crate::model::Cmdline;
use crate::model::cmdline;

impl ModelInput {
    /// Reads the model's inputs from the facts, applying overrides.
    pub fn from_facts(facts: &Facts, ov: &Overrides) -> Result<ModelInput, NoModel> {
        let log = facts
            .xen
            .as_ref()
            .ok_or_else(|| NoModel("no Xen log in the snapshot".into()))?;
        let mut assumptions = Vec::new();
        let mut assume = |fact: &str, assumed: String, needs: &str| {
            assumptions.push(Assumption {
                fact: fact.into(),
                assumed,
                needs: needs.into(),
            })
        };

        let parse = |s: &String| {
            Release::parse(s)
                .ok_or_else(|| NoModel(format!("--xen {s:?} is not a Xen version like 4.20")))
        };
        let xen = match (&ov.xen, &log.version, &ov.xen_if_unlogged) {
            (Some(s), _, _) => parse(s)?,
            (None, Some(v), _) => Release {
                major: v.major,
                minor: v.minor,
                patch: patch_of(&v.extra),
                label: v.full(),
                package: v.package.clone(),
            },
            (None, None, Some(s)) => {
                let r = stand_in(parse(s)?);
                let given = if &r.label == s {
                    "given with --xen".to_owned()
                } else {
                    format!("given with --xen as {s}")
                };
                assume(
                    fact::XEN_VERSION,
                    format!("{} ({given})", r.label),
                    "the `Xen version` banner at the start of the log",
                );
                r
            }
            (None, None, None) => {
                return Err(NoModel(
                    "the Xen version is not in the log (no `Xen version` banner); pass --xen \
                     VERSION (it is then listed as an assumption)"
                        .into(),
                ));
            }
        };
        let requested = xen.clone();
        let xen = fit_release(xen, ov.unmodelled, &mut assume)?;
        for (k, v) in &ov.set {
            cmdline::check_set(k, v).map_err(|e| NoModel(e.to_string()))?;
        }

        let mut cmdline_text = log
            .cmdline
            .as_ref()
            .map(|c| c.value.clone())
            .unwrap_or_default();
        if log.cmdline.is_none() {
            assume(
                "Xen command line",
                "empty (every option at its default)".into(),
                "the `Command line:` line of the Xen log",
            );
        }
        for (k, v) in &ov.set {
            cmdline_text.push_str(&format!(" {k}={v}"));
        }
        let mut cmdline = Cmdline::parse(&cmdline_text);
        for (k, v) in &ov.set {
            cmdline.set(k, v);
        }

        let mode = match (
            ov.dom0,
            &log.dom0,
            cmdline.list(cmdline::DOM0).contains(&"pvh"),
        ) {
            (Some(m), _, _) => m,
            (None, Some(d), _) if ov.set.iter().all(|(k, _)| k != "dom0") => d.mode,
            (None, _, true) => Dom0Mode::Pvh,
            (None, Some(_), false) => Dom0Mode::Pv,
            (None, None, false) => {
                assume(
                    "dom0 mode",
                    "PV".into(),
                    "the `*** Building a PV/PVH Dom0 ***` line",
                );
                Dom0Mode::Pv
            }
        };

        let (vendor, family) = match (&log.cpu, &facts.cpuinfo) {
            (Some(c), _) => (vendor_of(&c.vendor), c.family),
            (None, Some(ci)) if ci.vendor_id.is_some() => (
                vendor_of(ci.vendor_id.as_deref().unwrap_or("")),
                ci.family.unwrap_or(0),
            ),
            _ => {
                assume(
                    "CPU vendor and family",
                    "Intel".into(),
                    "the `CPU Vendor:` line or linux/cpuinfo",
                );
                (Vendor::Intel, 6)
            }
        };

        let paddr_bits = match facts.cpuinfo.as_ref().and_then(|c| c.phys_bits) {
            Some(b) => b,
            None => {
                let (bits, why) = guess_paddr_bits(log, vendor, family);
                assume(
                    fact::PADDR_BITS,
                    format!("{bits} bits ({why})"),
                    "linux/cpuinfo `address sizes`",
                );
                bits
            }
        };

        let lapic = match &log.acpi.local_apic_address {
            Some(l) => l.value,
            None => {
                assume(
                    "local APIC address",
                    "0xfee00000 (the architectural default)".into(),
                    "the MADT, or `ACPI: Local APIC address` (printed only at loglvl=all)",
                );
                0xfee0_0000
            }
        };

        let ioapics: Vec<(u64, u32, u32)> = log
            .acpi
            .ioapics
            .iter()
            .map(|a| (a.address, a.gsi_base, a.gsi_end.unwrap_or(a.gsi_base + 23)))
            .collect();
        let nr_irqs_gsi = match ioapics.iter().map(|&(_, _, e)| e + 1).max() {
            Some(n) => n.max(16),
            None => {
                assume(
                    "IO-APIC GSI ranges",
                    "24 GSIs".into(),
                    "the `IOAPIC[n]: … GSI a-b` lines",
                );
                24
            }
        };

        let hpet = match (
            &log.acpi.hpet,
            facts.acpi.as_ref().and_then(|a| a.hpet.as_ref()),
        ) {
            (_, Some(t)) => Some((t.base, t.page_protect)),
            (Some(h), None) => {
                assume(
                    "HPET page protection",
                    "none (so ro-hpet applies)".into(),
                    "the HPET ACPI table (acpi/HPET)",
                );
                Some((h.base, 0))
            }
            (None, None) => None,
        };

        let pm_timer = log.acpi.pm_timer.as_ref().map(|p| p.port).or_else(|| {
            facts
                .acpi
                .as_ref()
                .and_then(|a| a.fadt.as_ref())
                .and_then(|f| u16::try_from(f.pm_tmr_blk).ok())
                .filter(|&p| p != 0)
        });
        let fadt = facts.acpi.as_ref().and_then(|a| a.fadt.as_ref());
        let smi_cmd = match fadt {
            Some(f) => u16::try_from(f.smi_cmd)
                .ok()
                .filter(|&p| p != 0 && (f.acpi_enable != 0 || f.acpi_disable != 0))
                .map(Some)
                .unwrap_or(None),
            None => None,
        };
        let fadt_known = fadt.is_some();

        let e820_unusable = log
            .e820
            .as_ref()
            .map(|m| {
                m.entries
                    .iter()
                    .filter(|e| e.kind == E820Kind::Unusable)
                    .map(|e| (e.start, e.end))
                    .collect()
            })
            .unwrap_or_default();
        if log.e820.is_none() {
            assume(
                "E820 map",
                "no unusable ranges".into(),
                "the `… RAM map:` block of the Xen log",
            );
        }

        let mcfg = log
            .mcfg
            .iter()
            .map(|m| Mcfg {
                base: m.base,
                bus_start: m.bus_start,
                bus_end: m.bus_end,
                used: m.used.unwrap_or(false),
            })
            .collect();

        let iommu_enabled = log.iommu.enabled.as_ref().is_some_and(|e| e.value);
        let mut vtd_drhd: Vec<u64> = match facts.acpi.as_ref().and_then(|a| a.dmar.as_ref()) {
            Some(d) => d.drhd.iter().map(|u| u.base).collect(),
            None => log.iommu.vtd_drhd.iter().map(|d| d.value).collect(),
        };
        if iommu_enabled && vtd_drhd.is_empty() && log.iommu.vtd_units > 0 {
            vtd_drhd = (0..u64::from(log.iommu.vtd_units))
                .map(|i| 0xfed9_0000 + 0x1000 * i)
                .collect();
            assume(
                "VT-d register bases",
                format!(
                    "{} unit(s) from 0xfed90000 (the usual chipset and QEMU placement)",
                    log.iommu.vtd_units
                ),
                "the DMAR table (acpi/DMAR, RMAD or XMAR) or Xen's iommu=verbose output",
            );
        }
        let amd_iommu_units = log.iommu.amd_vi_units;
        let (mut amd_iommu_bases, amd_iommu_source) = amd_iommus(facts);
        amd_iommu_bases.sort_unstable();
        amd_iommu_bases.dedup();
        if iommu_enabled && amd_iommu_units > 0 && amd_iommu_bases.is_empty() {
            assume(
                "AMD IOMMU register bases",
                "unknown: their 16 KiB register windows are not modelled".into(),
                "the IVRS table, or the AMD IOMMU's PCI config space (pci/*/config)",
            );
        }

        let serial = serial_ports(&cmdline, &mut assume);
        let trampoline = crate::model::trampoline::locate(log);
        let dma = crate::model::dma::reach(log, &cmdline, mode);
        let pci_config = crate::model::pci::access(facts, mode);
        if trampoline.is_none() {
            assume(
                "AP trampoline location",
                "unknown: somewhere in the low 1 MiB".into(),
                "the E820 map's low usable range, or the EFI memory map",
            );
        }

        let patched = patched(log, &mut assume);
        Ok(ModelInput {
            xen,
            requested,
            mode,
            cmdline,
            cmdline_text,
            vendor,
            family,
            paddr_bits,
            lapic,
            ioapics,
            nr_irqs_gsi,
            hpet,
            pm_timer,
            smi_cmd,
            fadt_known,
            e820_unusable,
            mcfg,
            iommu_enabled,
            vtd_drhd,
            amd_iommu_units,
            amd_iommu_bases,
            amd_iommu_source,
            serial,
            trampoline,
            dma,
            pci_config,
            efi_boot: log.bootloader.as_ref().is_some_and(|b| b.value == "EFI")
                || log.e820.as_ref().is_some_and(|m| m.label == "EFI"),
            efi_map_known: log.efi_memory_map.is_some(),
            patched,
            assumptions,
        })
    }
}

/// The patched steps the log's tagged lines show. The EFI patch's ranges come from the EFI
/// memory map Xen logged, checked against the counts Xen printed; a mismatch is an assumption.
fn patched(log: &XenLog, assume: &mut impl FnMut(&str, String, &str)) -> Patched {
    use dom0scope_facts::xenlog::EfiRtPatch;
    let p = &log.patches;
    let mut out = Patched {
        trampoline: p.trampoline_ro.as_ref().map(|l| l.value),
        // The parser keeps only blocks within the 16-bit port space.
        s3_ports: p
            .s3_ports
            .iter()
            .filter_map(|l| {
                let v = &l.value;
                Some((
                    u16::try_from(v.first).ok()?,
                    u16::try_from(v.last).ok()?,
                    v.name.clone(),
                ))
            })
            .collect(),
        ..Patched::default()
    };
    let Some(EfiRtPatch::Protected { code, data }) = p.efi_rt.as_ref().map(|l| l.value) else {
        return out;
    };
    let frames = |kind: u32| -> Vec<(u64, u64)> {
        log.efi_memory_map
            .iter()
            .flat_map(|m| &m.entries)
            .filter(|d| d.kind == kind && d.end >= d.start)
            .map(|d| (frame_of(d.start), frame_of(d.end)))
            .collect()
    };
    out.efi_rt_code = frames(5);
    out.efi_rt_data = frames(6);
    let seen = (out.efi_rt_code.len(), out.efi_rt_data.len());
    if seen != (code as usize, data as usize) {
        assume(
            "EFI runtime regions the patched Xen protected",
            format!(
                "the {} code and {} data ranges of the logged EFI memory map, although Xen says it protected {code} and {data}",
                seen.0, seen.1
            ),
            "Xen's EFI memory map in the log (efi=attr=uc or a debug build prints it)",
        );
    }
    out
}

/// A release the model reproduces stays (a bare series, `4.19`, becomes the release the series
/// stands for, 4.19.6); another is refused (as `policy` says) or predicted as the nearest
/// modelled series, stated as an assumption: the rules of one release are never silently
/// applied to another.
fn fit_release(
    xen: Release,
    policy: Unmodelled,
    assume: &mut impl FnMut(&str, String, &str),
) -> Result<Release, NoModel> {
    let modelled = || {
        MODELLED
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match xen.fit() {
        Fit::Modelled => Ok(stand_in(xen)),
        Fit::TooOld(oldest) if policy != Unmodelled::AssumeNearest => Err(NoModel(format!(
            "Xen {} is older than the oldest release the model reproduces, {} (modelled: {})",
            xen.label,
            oldest.name(),
            modelled()
        ))),
        Fit::Nearest(near) if policy == Unmodelled::Refuse => Err(NoModel(format!(
            "Xen {} is not modelled (modelled: {}; without --strict it would be predicted as \
             {}, the nearest modelled release)",
            xen.label,
            modelled(),
            near.stands_for
        ))),
        Fit::TooOld(near) | Fit::Nearest(near) => {
            assume(
                fact::XEN_VERSION,
                format!(
                    "{}, the nearest modelled release (Xen {} is not modelled)",
                    near.stands_for, xen.label
                ),
                &format!("a modelled release ({}), or --strict to refuse", modelled()),
            );
            Ok(near.release())
        }
    }
}

/// A bare modelled series (`4.19`) as the release it stands for (4.19.6); any other as given.
fn stand_in(xen: Release) -> Release {
    match MODELLED
        .iter()
        .find(|s| (s.major, s.minor) == (xen.major, xen.minor))
    {
        Some(s) if xen.series_only() => s.release(),
        _ => xen,
    }
}

fn vendor_of(s: &str) -> Vendor {
    match s {
        "Intel" | "GenuineIntel" => Vendor::Intel,
        "AMD" | "AuthenticAMD" => Vendor::Amd,
        "Hygon" | "HygonGenuine" => Vendor::Hygon,
        _ => Vendor::Other,
    }
}

/// Without `address sizes`: an E820 map ending exactly at 2^N (QEMU reserves up to
/// the top of the physical space) says N; otherwise a typical width for the vendor.
fn guess_paddr_bits(
    log: &dom0scope_facts::XenLog,
    vendor: Vendor,
    family: u32,
) -> (u8, &'static str) {
    if let Some(end) = log
        .e820
        .as_ref()
        .and_then(|m| m.entries.iter().map(|e| e.end).max())
    {
        let n = end.wrapping_add(1);
        if n.is_power_of_two() && (36..=52).contains(&n.trailing_zeros()) {
            return (
                n.trailing_zeros() as u8,
                "the E820 map ends at that power of two",
            );
        }
    }
    match vendor {
        Vendor::Amd | Vendor::Hygon if family >= 0x17 => (48, "typical for AMD Zen"),
        Vendor::Amd | Vendor::Hygon => (40, "typical for AMD before Zen"),
        _ => (39, "typical for Intel client CPUs"),
    }
}

/// Xen console UARTs on I/O ports (`console=` × `comN=`); MMIO and PCI UARTs
/// are left out (Xen does not deny their ports).
fn serial_ports(c: &Cmdline, assume: &mut impl FnMut(&str, String, &str)) -> Vec<SerialPort> {
    let consoles: Vec<String> = if c.get(cmdline::CONSOLE).is_some() {
        c.list(cmdline::CONSOLE)
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        assume(
            "Xen console devices",
            "Xen's default console (com1,vga)".into(),
            "`console=` on the Xen command line",
        );
        vec!["com1".into(), "vga".into()]
    };
    let mut out = Vec::new();
    for (opt, default_base) in [(cmdline::COM1, 0x3f8u16), (cmdline::COM2, 0x2f8)] {
        let name = opt.name;
        if !consoles.iter().any(|s| s == name) {
            continue;
        }
        let cfg = c.get(opt).unwrap_or("");
        match uart_io_base(cfg, default_base) {
            Some(io_base) => out.push(SerialPort {
                name: name.into(),
                io_base,
            }),
            None => continue,
        }
    }
    out
}

/// The I/O base from `comN=baud[/clock][,DPS[,io-base[,irq…]]]` or the
/// `io-base=` keyword form; None for MMIO (base above 0xffff) or PCI UARTs.
fn uart_io_base(cfg: &str, default: u16) -> Option<u16> {
    let parse = dom0scope_ranges::parse_number;
    if cfg.contains("pci") || cfg.contains("amt") {
        return None;
    }
    for item in cfg.split(',') {
        if let Some(v) = item
            .strip_prefix("io-base=")
            .or_else(|| item.strip_prefix("io_base="))
        {
            return parse(v).and_then(|b| u16::try_from(b).ok());
        }
    }
    let fields: Vec<&str> = cfg.split(',').collect();
    match fields.get(2).filter(|f| !f.is_empty() && !f.contains('=')) {
        Some(f) => parse(f).and_then(|b| u16::try_from(b).ok()),
        None => Some(default),
    }
}

/// The AMD IOMMUs' register bases and where they were read: the IVRS table's IVHD blocks, else
/// each AMD IOMMU function's capability block. Xen does not pass the IVRS to a PVH dom0, whose
/// snapshot then has only the config space (which Xen leaves readable: `pci_ro_device`).
fn amd_iommus(facts: &Facts) -> (Vec<u64>, Option<String>) {
    if let Some(ivrs) = facts.acpi.as_ref().and_then(|a| a.ivrs.as_ref())
        && !ivrs.ivhd.is_empty()
    {
        let bases = ivrs.ivhd.iter().map(|h| h.base).collect();
        return (bases, Some("IVRS IVHD".into()));
    }
    let found: Vec<(u64, String)> = facts
        .pci
        .iter()
        .filter_map(|f| {
            let (base, at) = f.amd_iommu_base()?;
            Some((
                base,
                format!("pci/{}/config IOMMU capability at {at:#x}", f.sbdf),
            ))
        })
        .collect();
    if found.is_empty() {
        return (Vec::new(), None);
    }
    let source = found
        .iter()
        .map(|(_, s)| s.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    (found.into_iter().map(|(b, _)| b).collect(), Some(source))
}
