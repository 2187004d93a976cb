//! The I/O-port map: every port 0..=0xffff with an owner. Sources, by
//! precedence: PCI I/O BARs and the FADT's fixed-hardware blocks (what this
//! machine says), then chipset I/O blocks decoded from config space, then AML
//! OperationRegions, then the PC/AT conventions every x86 chipset decodes (named
//! as such, since no artifact states them), else unclaimed.

use dom0scope_facts::{Evidence, Facts};
use serde::Serialize;

/// Who or what answers at a port range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "owner", rename_all = "snake_case")]
pub enum PortOwner {
    /// A fixed-hardware block from the FADT (PM1a_CNT, GPE0, SMI_CMD …).
    Acpi {
        /// The FADT field name (`PM1a_CNT_BLK`, `GPE0_BLK`, `SMI_CMD` …).
        block: String,
    },
    /// A PCI function's I/O BAR; `role` names a platform-critical function.
    PciBar {
        /// The function (`SSSS:BB:DD.F`).
        sbdf: String,
        /// Index of the line in sysfs `resource` (the BAR number).
        index: u8,
        /// The function's platform role (SMBus controller, LPC bridge …), when it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        role: Option<&'static str>,
    },
    /// An I/O block a chipset register (not a BAR) locates, e.g. the Intel
    /// ICH/PCH PMBASE block with SMI_EN and the TCO watchdog, or the PIIX4
    /// PMBA and SMBus blocks.
    Chipset {
        /// The function whose config register locates the block (`SSSS:BB:DD.F`).
        sbdf: String,
        /// Which block, e.g. `Intel PMBASE (PM1, SMI_EN, TCO)`.
        block: &'static str,
    },
    /// An AML `OperationRegion` in SystemIO.
    AmlRegion {
        /// The region's AML name path.
        name: String,
    },
    /// A PC/AT legacy device at its conventional address.
    Legacy {
        /// The conventional device's name, e.g. `8254 PIT`.
        device: &'static str,
    },
    /// No source and no convention names the range.
    Unclaimed,
}

impl PortOwner {
    /// Short label for reports.
    pub fn label(&self) -> String {
        match self {
            PortOwner::Acpi { block } => format!("ACPI {block}"),
            PortOwner::PciBar { sbdf, index, role } => match role {
                Some(r) => format!("PCI {sbdf} BAR{index} ({r})"),
                None => format!("PCI {sbdf} BAR{index}"),
            },
            PortOwner::Chipset { sbdf, block } => format!("{block} ({sbdf})"),
            PortOwner::AmlRegion { name } => format!("AML OperationRegion {name}"),
            PortOwner::Legacy { device } => (*device).to_owned(),
            PortOwner::Unclaimed => "unclaimed".into(),
        }
    }

    /// The PCI function this owner belongs to, if any.
    pub fn sbdf(&self) -> Option<&str> {
        match self {
            PortOwner::PciBar { sbdf, .. } | PortOwner::Chipset { sbdf, .. } => Some(sbdf),
            _ => None,
        }
    }

    /// What this machine states beats the chipset block that contains it
    /// (the FADT's PM1/GPE blocks lie inside PMBASE), which beats AML, which
    /// beats convention.
    fn precedence(&self) -> u8 {
        match self {
            PortOwner::Acpi { .. } | PortOwner::PciBar { .. } => 50,
            PortOwner::Chipset { .. } => 45,
            PortOwner::AmlRegion { .. } => 40,
            PortOwner::Legacy { .. } => 10,
            PortOwner::Unclaimed => 0,
        }
    }
}

/// One port range with its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortRegion {
    /// First port of the range.
    pub start: u16,
    /// Last port of the range (inclusive).
    pub end: u16,
    /// Who answers there.
    pub owner: PortOwner,
    /// The FADT field, `resource` line, config register or AML declaration that says so; None for conventions and unclaimed ranges.
    pub source: Option<Evidence>,
}

/// PC/AT ports every x86 platform decodes (Intel PCH and AMD FCH datasheets,
/// "Fixed I/O address ranges").
const LEGACY: &[(u16, u16, &str)] = &[
    (0x00, 0x1f, "ISA DMA controller 1"),
    (0x20, 0x21, "8259 PIC (master)"),
    (0x40, 0x43, "8254 PIT"),
    (0x60, 0x60, "keyboard controller data"),
    (0x61, 0x61, "NMI status / speaker"),
    (0x64, 0x64, "keyboard controller command"),
    (0x70, 0x71, "RTC / CMOS"),
    (0x72, 0x73, "extended CMOS"),
    (0x80, 0x80, "POST code"),
    (0x81, 0x8f, "ISA DMA page registers"),
    (0x92, 0x92, "System Control Port A (fast A20, INIT)"),
    (0xa0, 0xa1, "8259 PIC (slave)"),
    (0xb2, 0xb3, "APM/SMI command and status (conventional)"),
    (0xc0, 0xdf, "ISA DMA controller 2"),
    (0xf0, 0xf0, "FPU error (IGNNE#)"),
    (0x2e8, 0x2ef, "COM4"),
    (0x2f8, 0x2ff, "COM2"),
    (0x378, 0x37f, "LPT1"),
    (0x3b0, 0x3df, "VGA"),
    (0x3e8, 0x3ef, "COM3"),
    (0x3f8, 0x3ff, "COM1"),
    (0x4d0, 0x4d1, "ELCR (interrupt edge/level)"),
    (0xcf9, 0xcf9, "reset control"),
    (0xcf8, 0xcfb, "PCI config address"),
    (0xcfc, 0xcff, "PCI config data"),
];

struct PortClaim {
    start: u16,
    end: u16,
    owner: PortOwner,
    source: Option<Evidence>,
}

fn claims(facts: &Facts) -> Vec<PortClaim> {
    let mut out: Vec<PortClaim> = LEGACY
        .iter()
        .map(|&(s, e, d)| PortClaim {
            start: s,
            end: e,
            owner: PortOwner::Legacy { device: d },
            source: None,
        })
        .collect();
    let mut acpi = |start: u64, len: u64, block: &str, source: Evidence| {
        if start == 0 || len == 0 {
            return;
        }
        let Ok(s) = u16::try_from(start) else { return };
        let e = u16::try_from(start + len - 1).unwrap_or(u16::MAX);
        out.push(PortClaim {
            start: s,
            end: e,
            owner: PortOwner::Acpi {
                block: block.to_owned(),
            },
            source: Some(source),
        });
    };
    if let Some(f) = facts.acpi.as_ref().and_then(|a| a.fadt.as_ref()) {
        let ev = |field: &str, off: usize, v: u32| Evidence {
            artifact: f.artifact.clone(),
            line: 0,
            text: format!("{field} at byte {off:#x}: {v:#x}"),
        };
        let blocks = [
            ("PM1a_EVT_BLK", 56, f.pm1a_evt_blk, f.pm1_evt_len),
            ("PM1b_EVT_BLK", 60, f.pm1b_evt_blk, f.pm1_evt_len),
            ("PM1a_CNT_BLK", 64, f.pm1a_cnt_blk, f.pm1_cnt_len),
            ("PM1b_CNT_BLK", 68, f.pm1b_cnt_blk, f.pm1_cnt_len),
            ("PM2_CNT_BLK", 72, f.pm2_cnt_blk, f.pm2_cnt_len),
            ("PM_TMR_BLK", 76, f.pm_tmr_blk, f.pm_tmr_len),
            ("GPE0_BLK", 80, f.gpe0_blk, f.gpe0_blk_len),
            ("GPE1_BLK", 84, f.gpe1_blk, f.gpe1_blk_len),
            ("SMI_CMD", 48, f.smi_cmd, 1),
        ];
        for (name, off, port, len) in blocks {
            acpi(u64::from(port), u64::from(len), name, ev(name, off, port));
        }
    } else if let Some(log) = &facts.xen {
        // A bare log: Xen prints the PM timer and the PM1 blocks (lengths are
        // the common 4-byte event and 2-byte control blocks).
        if let Some(p) = &log.acpi.pm_timer {
            acpi(u64::from(p.port), 4, "PM_TMR_BLK", log.evidence(p.line));
        }
        if let Some(s) = &log.acpi.sleep {
            for (ga, len, name) in [
                (s.pm1a_evt, 4, "PM1a_EVT_BLK"),
                (s.pm1b_evt, 4, "PM1b_EVT_BLK"),
                (s.pm1a_cnt, 2, "PM1a_CNT_BLK"),
                (s.pm1b_cnt, 2, "PM1b_CNT_BLK"),
            ] {
                if ga.space == 1 {
                    acpi(ga.address, len, name, log.evidence(s.line));
                }
            }
        }
    }
    if let Some(acpi) = &facts.acpi {
        for (artifact, regions) in &acpi.op_regions {
            for r in regions {
                if let (dom0scope_facts::acpi::aml::Space::SystemIo, Some(o), Some(l)) =
                    (r.space, r.offset, r.length)
                    && l > 0
                    && o <= 0xffff
                {
                    out.push(PortClaim {
                        start: o as u16,
                        end: u16::try_from(o.saturating_add(l - 1)).unwrap_or(u16::MAX),
                        owner: PortOwner::AmlRegion {
                            name: r.name.clone(),
                        },
                        source: Some(Evidence {
                            artifact: artifact.clone(),
                            line: 0,
                            text: format!("OperationRegion {} at byte {:#x}", r.name, r.at),
                        }),
                    });
                }
            }
        }
    }
    for f in &facts.pci {
        for r in f.resources.iter().filter(|r| r.io && r.start <= 0xffff) {
            out.push(PortClaim {
                start: r.start as u16,
                end: u16::try_from(r.end).unwrap_or(u16::MAX),
                owner: PortOwner::PciBar {
                    sbdf: f.sbdf.clone(),
                    index: r.index,
                    role: crate::chipset::role(f),
                },
                source: Some(Evidence {
                    artifact: format!("pci/{}/resource", f.sbdf),
                    line: r.line,
                    text: r.text.clone(),
                }),
            });
        }
    }
    out.extend(
        crate::chipset::port_blocks(facts)
            .into_iter()
            .map(|b| PortClaim {
                start: b.start,
                end: b.end,
                owner: PortOwner::Chipset {
                    sbdf: b.sbdf,
                    block: b.block,
                },
                source: Some(b.source),
            }),
    );
    out
}

/// Builds the port map, 0..=0xffff without gaps: the ports are cut at every
/// claim boundary and each piece goes to its highest-precedence claim (ties to
/// the earliest claim); neighbours with the same owner and source merge. Costs
/// O(claims × pieces), not a pass over all 65,536 ports.
pub(crate) fn build(facts: &Facts) -> Vec<PortRegion> {
    let claims = claims(facts);
    let mut cuts: Vec<u32> = vec![0, 0x1_0000];
    for c in claims.iter().filter(|c| c.start <= c.end) {
        cuts.push(u32::from(c.start));
        cuts.push(u32::from(c.end) + 1);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut by_start: Vec<usize> = (0..claims.len())
        .filter(|&i| claims[i].start <= claims[i].end)
        .collect();
    by_start.sort_by_key(|&i| claims[i].start);
    let mut next = 0;
    let mut active: Vec<usize> = Vec::new();
    let mut out: Vec<PortRegion> = Vec::new();
    for w in cuts.windows(2) {
        // Every cut is at most 0x10000, so both ends fit in a u16.
        let (start, end) = (w[0] as u16, (w[1] - 1) as u16);
        while next < by_start.len() && claims[by_start[next]].start <= start {
            active.push(by_start[next]);
            next += 1;
        }
        active.retain(|&i| claims[i].end >= start);
        let best = active
            .iter()
            .copied()
            .max_by_key(|&i| (claims[i].owner.precedence(), std::cmp::Reverse(i)));
        let (owner, source) = match best {
            Some(i) => (&claims[i].owner, &claims[i].source),
            None => (&PortOwner::Unclaimed, &None),
        };
        if let Some(last) = out.last_mut()
            && last.owner == *owner
            && last.source == *source
        {
            last.end = end;
            continue;
        }
        out.push(PortRegion {
            start,
            end,
            owner: owner.clone(),
            source: source.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The port map the obvious way: one winner per port, first claim wins ties.
    fn per_port(facts: &Facts) -> Vec<PortRegion> {
        let claims = claims(facts);
        let mut out: Vec<PortRegion> = Vec::new();
        for p in 0..=u16::MAX {
            let mut best: Option<&PortClaim> = None;
            for c in claims.iter().filter(|c| c.start <= p && p <= c.end) {
                if best.is_none_or(|b| b.owner.precedence() < c.owner.precedence()) {
                    best = Some(c);
                }
            }
            let (owner, source) = best.map_or((PortOwner::Unclaimed, None), |c| {
                (c.owner.clone(), c.source.clone())
            });
            match out.last_mut() {
                Some(l) if l.owner == owner && l.source == source => l.end = p,
                _ => out.push(PortRegion {
                    start: p,
                    end: p,
                    owner,
                    source,
                }),
            }
        }
        out
    }

    #[test]
    fn the_sweep_gives_every_port_the_same_owner_as_a_per_port_pass() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/snapshots");
        let mut seen = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if !path.is_dir() {
                continue;
            }
            let s = dom0scope_snapshot::Snapshot::open(&path).unwrap();
            let mut facts = Facts::extract(&s).unwrap();
            assert_eq!(build(&facts), per_port(&facts), "{}", path.display());
            // Overlapping BARs of equal precedence, nested and adjacent.
            let f = facts.pci.first_mut().unwrap();
            let r = |index, start, end| dom0scope_facts::pci::Resource {
                index,
                start,
                end,
                io: true,
                prefetchable: false,
                line: 1,
                text: String::new(),
            };
            f.resources
                .extend([r(0, 0x5f0, 0x6ff), r(1, 0x600, 0x607), r(2, 0x700, 0xffff)]);
            assert_eq!(build(&facts), per_port(&facts), "{}", path.display());
            seen += 1;
        }
        assert!(seen >= 5);
    }
}
