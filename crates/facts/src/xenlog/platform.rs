//! ACPI, APIC, HPET, PM timer, sleep registers and MCFG lines (Xen
//! `tbutils.c`, `acpi/tables.c`, `mpparse.c`, `x86/acpi/boot.c`, `mmconfig*.c`).

use std::sync::LazyLock;

use regex::Regex;

use super::builder::{Builder, dec, hex};
use super::lines::XenLine;
use super::model::{
    AcpiTable, GenericAddress, Hpet, IoApic, Lapic, Located, McfgArea, PmTimer, SleepInfo,
};

static TABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ACPI: (\S{4}) ([0-9A-Fa-f]{1,16}), ([0-9A-Fa-f]{1,8})(?: \(r(\d+) ?(.*)\))?\s*$")
        .expect("static regex")
});
static LAPIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ACPI: (?:LAPIC \(acpi_id\[0x([0-9a-fA-F]+)\] lapic_id\[0x([0-9a-fA-F]+)\]|X2APIC \(apic_id\[0x([0-9a-fA-F]+)\] uid\[0x([0-9a-fA-F]+)\]) (enabled|disabled)\)")
        .expect("static regex")
});
static ACPI_IOAPIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^ACPI: IOAPIC \(id\[0x([0-9a-fA-F]+)\] address\[0x([0-9a-fA-F]+)\] gsi_base\[(\d+)\]\)",
    )
    .expect("static regex")
});
static IOAPIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^IOAPIC\[(\d+)\]: apic_id (\d+), version (\d+), address 0x([0-9a-fA-F]+), GSI (\d+)-(\d+)")
        .expect("static regex")
});
static HPET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ACPI: HPET id: 0x([0-9a-fA-F]+) base: 0x([0-9a-fA-F]+)").expect("static regex")
});
static PMTMR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ACPI: PM-Timer IO Port: 0x([0-9a-fA-F]+)(?: \((\d+) bits\))?")
        .expect("static regex")
});
static SLEEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ACPI: SLEEP INFO: pm1x_cnt\[(\d+):([0-9a-fA-F]+),(\d+):([0-9a-fA-F]+)\], pm1x_evt\[(\d+):([0-9a-fA-F]+),(\d+):([0-9a-fA-F]+)\]")
        .expect("static regex")
});
static WAKEUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ACPI:\s+wakeup_vec\[([0-9a-fA-F]+)\], vec_size\[([0-9a-fA-F]+)\]")
        .expect("static regex")
});
static MCFG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^PCI: MCFG configuration (\d+): base ([0-9a-fA-F]+) segment ([0-9a-fA-F]+) buses ([0-9a-fA-F]+) - ([0-9a-fA-F]+)")
        .expect("static regex")
});
static MCFG_USE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^PCI: (Using|Not using) MCFG for segment ([0-9a-fA-F]+) bus ([0-9a-fA-F]+)-([0-9a-fA-F]+)")
        .expect("static regex")
});

pub(crate) fn line(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let body = l.body.trim_end();
    if body.starts_with("ACPI: ") {
        return acpi(b, l, body);
    }
    if body.starts_with("IOAPIC[") {
        match IOAPIC.captures(body) {
            Some(c) => ioapic_line(b, l, &c),
            None => b.warn(l, "unreadable IOAPIC line"),
        }
        return true;
    }
    if body.starts_with("PCI: MCFG configuration ") {
        match MCFG.captures(body) {
            Some(c) => mcfg_line(b, l, &c),
            None => b.warn(l, "unreadable MCFG configuration line"),
        }
        return true;
    }
    if body.starts_with("PCI: Using MCFG") || body.starts_with("PCI: Not using MCFG") {
        match MCFG_USE.captures(body) {
            Some(c) => {
                let used = &c[1] == "Using";
                let seg = u16::from_str_radix(&c[2], 16).ok();
                // Cited so the line is quotable as evidence, though nothing points at it yet.
                b.cite(l);
                let mut found = false;
                for m in b.log.mcfg.iter_mut().filter(|m| Some(m.segment) == seg) {
                    m.used = Some(used);
                    found = true;
                }
                if !found {
                    b.warn(
                        l,
                        "MCFG use line for a segment with no MCFG configuration line",
                    );
                }
            }
            None => b.warn(l, "unreadable MCFG use line"),
        }
        return true;
    }
    false
}

fn acpi(b: &mut Builder, l: &XenLine<'_>, body: &str) -> bool {
    if let Some(c) = TABLE.captures(body) {
        let (Some(address), Some(length)) = (hex(&c[2]), hex(&c[3])) else {
            b.warn(l, "ACPI table address out of range");
            return true;
        };
        let line = b.cite(l);
        b.log.acpi_tables.push(AcpiTable {
            signature: c[1].to_owned(),
            address,
            length: length as u32,
            revision: c.get(4).and_then(|m| dec(m.as_str())),
            oem_id: c
                .get(5)
                .and_then(|m| m.as_str().split_whitespace().next())
                .map(str::to_owned),
            line,
        });
        return true;
    }
    if body.starts_with("ACPI: LAPIC (") || body.starts_with("ACPI: X2APIC (") {
        match LAPIC.captures(body) {
            Some(c) => {
                let (acpi_id, apic_id) = match (c.get(1), c.get(2)) {
                    (Some(a), Some(b)) => (a.as_str(), b.as_str()),
                    _ => (&c[4], &c[3]),
                };
                let (Some(acpi_id), Some(apic_id)) = (hex(acpi_id), hex(apic_id)) else {
                    b.warn(l, "LAPIC id out of range");
                    return true;
                };
                let line = b.cite(l);
                b.log.acpi.lapics.push(Lapic {
                    acpi_id: acpi_id as u32,
                    apic_id: apic_id as u32,
                    enabled: &c[5] == "enabled",
                    line,
                });
            }
            None => b.warn(l, "unreadable LAPIC line"),
        }
        return true;
    }
    if let Some(rest) = body.strip_prefix("ACPI: Local APIC address ") {
        match hex(rest) {
            Some(value) => {
                let line = b.cite(l);
                b.log.acpi.local_apic_address = Some(Located { value, line });
            }
            None => b.warn(l, "unreadable Local APIC address"),
        }
        return true;
    }
    if body.starts_with("ACPI: IOAPIC (") {
        match ACPI_IOAPIC.captures(body) {
            Some(c) => {
                let (Some(id), Some(address), Some(gsi_base)) =
                    (hex(&c[1]), hex(&c[2]), dec::<u32>(&c[3]))
                else {
                    b.warn(l, "IOAPIC numbers out of range");
                    return true;
                };
                let line = b.cite(l);
                let id = id as u32;
                if !b.log.acpi.ioapics.iter().any(|a| a.address == address) {
                    b.log.acpi.ioapics.push(IoApic {
                        id,
                        address,
                        gsi_base,
                        gsi_end: None,
                        version: None,
                        line,
                    });
                }
            }
            None => b.warn(l, "unreadable ACPI IOAPIC line"),
        }
        return true;
    }
    if body.starts_with("ACPI: HPET id:") {
        match HPET.captures(body) {
            Some(c) => {
                let (Some(id), Some(base)) = (hex(&c[1]), hex(&c[2])) else {
                    b.warn(l, "HPET numbers out of range");
                    return true;
                };
                let line = b.cite(l);
                b.log.acpi.hpet = Some(Hpet { id, base, line });
            }
            None => b.warn(l, "unreadable HPET line"),
        }
        return true;
    }
    if body.starts_with("ACPI: PM-Timer") {
        match PMTMR.captures(body) {
            Some(c) => match hex(&c[1]).and_then(|p| u16::try_from(p).ok()) {
                Some(port) => {
                    let line = b.cite(l);
                    b.log.acpi.pm_timer = Some(PmTimer {
                        port,
                        bits: c.get(2).and_then(|m| dec(m.as_str())),
                        line,
                    });
                }
                None => b.warn(l, "PM timer port out of range"),
            },
            None => b.warn(l, "unreadable PM-Timer line"),
        }
        return true;
    }
    if body.starts_with("ACPI: SLEEP INFO:") {
        match SLEEP.captures(body) {
            Some(c) => {
                let ga = |i: usize| -> Option<GenericAddress> {
                    Some(GenericAddress {
                        space: dec(&c[i])?,
                        address: hex(&c[i + 1])?,
                    })
                };
                match (ga(1), ga(3), ga(5), ga(7)) {
                    (Some(pm1a_cnt), Some(pm1b_cnt), Some(pm1a_evt), Some(pm1b_evt)) => {
                        let line = b.cite(l);
                        b.log.acpi.sleep = Some(SleepInfo {
                            pm1a_cnt,
                            pm1b_cnt,
                            pm1a_evt,
                            pm1b_evt,
                            line,
                        });
                    }
                    _ => b.warn(l, "SLEEP INFO numbers out of range"),
                }
            }
            None => b.warn(l, "unreadable SLEEP INFO line"),
        }
        return true;
    }
    if let Some(c) = WAKEUP.captures(body) {
        match hex(&c[1]).and_then(|v| v.checked_sub(0xc)) {
            Some(value) => {
                let line = b.cite(l);
                b.log.acpi.facs = Some(Located { value, line });
            }
            None => b.warn(l, "wakeup vector out of range"),
        }
        return true;
    }
    false
}

fn ioapic_line(b: &mut Builder, l: &XenLine<'_>, c: &regex::Captures<'_>) {
    let (Some(id), Some(version), Some(address), Some(gsi_start), Some(gsi_end)) = (
        dec::<u32>(&c[2]),
        dec::<u32>(&c[3]),
        hex(&c[4]),
        dec::<u32>(&c[5]),
        dec::<u32>(&c[6]),
    ) else {
        b.warn(l, "IOAPIC numbers out of range");
        return;
    };
    let line = b.cite(l);
    match b.log.acpi.ioapics.iter_mut().find(|a| a.address == address) {
        Some(a) => {
            a.gsi_end = Some(gsi_end);
            a.version = Some(version);
        }
        None => b.log.acpi.ioapics.push(IoApic {
            id,
            address,
            gsi_base: gsi_start,
            gsi_end: Some(gsi_end),
            version: Some(version),
            line,
        }),
    }
}

fn mcfg_line(b: &mut Builder, l: &XenLine<'_>, c: &regex::Captures<'_>) {
    let parsed = (
        hex(&c[2]),
        u16::from_str_radix(&c[3], 16).ok(),
        u8::from_str_radix(&c[4], 16).ok(),
        u8::from_str_radix(&c[5], 16).ok(),
    );
    let (Some(base), Some(segment), Some(bus_start), Some(bus_end)) = parsed else {
        b.warn(l, "MCFG numbers out of range");
        return;
    };
    let line = b.cite(l);
    b.log.mcfg.push(McfgArea {
        base,
        segment,
        bus_start,
        bus_end,
        used: None,
        line,
    });
}
