//! dom0 can reach platform-control ports that Xen 4.19 took away: the reset
//! register 0xcf9, System Control Port A 0x92 (fast INIT), 0xf0 (IGNNE#) and
//! the ELCR 0x4d0-0x4d1 (`arch/x86/dom0_build.c` `dom0_setup_permissions()`:
//! commits ee3bcf907a, 9e2c146c38, 86266162fc, d0ea916fcd, first in 4.19).

use dom0scope_inventory::PortOwner;
use dom0scope_surface::Surface;

use super::{Outcome, Rule};
use crate::{Channel, Finding, Impact, Remedy, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "DOM0_PLATFORM_CONTROL_PORTS",
    title: "dom0 can reset, INIT or reprogram interrupt triggers through legacy ports",
    eval,
};

const PORTS: &[(u16, u16, &str)] = &[
    (0xcf9, 0xcf9, "reset control"),
    (0x92, 0x92, "fast INIT / A20"),
    (0xf0, 0xf0, "IGNNE#"),
    (0x4d0, 0x4d1, "ELCR"),
];

fn eval(s: &Surface) -> Outcome {
    let Some(ports) = &s.ports else {
        return Outcome::NeedsInput("dom0's I/O Ports rangeset (debug key 'q' dump)".into());
    };
    let hit: Vec<_> = PORTS
        .iter()
        .filter(|(a, b, _)| (*a..=*b).any(|p| ports.contains(p)))
        .collect();
    if hit.is_empty() {
        return Outcome::Passes;
    }
    let list = hit
        .iter()
        .map(|(a, b, n)| {
            if a == b {
                format!("{a:#x} ({n})")
            } else {
                format!("{a:#x}-{b:#x} ({n})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let disable = hit
        .iter()
        .map(|(a, b, _)| {
            if a == b {
                format!("{a:x}")
            } else {
                format!("{a:x}-{b:x}")
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    let mut evidence = Vec::new();
    if let Some(o) = &s.reach.observed
        && let Some(e) = &o.ioports_source
    {
        evidence.push(e.clone());
    }
    evidence.extend(
        s.ports_where(|o| matches!(o, PortOwner::Legacy { .. }))
            .filter(|p| hit.iter().any(|(a, b, _)| p.start <= *b && p.end >= *a))
            .filter_map(|p| p.owner_source.clone()),
    );
    Outcome::Fires(Box::new(Finding {
        id: RULE.id,
        title: RULE.title,
        severity: Severity::Medium,
        impact: Impact::Integrity,
        summary: format!(
            "dom0's I/O Ports rangeset includes {list}. Through them dom0 can reset the machine or INIT processors behind Xen's back and change how interrupts are triggered; Xen 4.19 and later deny these ports to dom0."
        ),
        frames: vec![],
        evidence,
        rationale: "Resets and INITs that bypass Xen can leave memory readable by whatever boots next, or interrupt Xen mid-update.",
        references: vec![
            "xen/arch/x86/dom0_build.c: dom0_setup_permissions() (commits ee3bcf907a, 9e2c146c38, 86266162fc, d0ea916fcd, 4.19)",
        ],
        remedies: vec![
            Remedy {
                channel: Channel::XenCommandLine,
                text: format!("dom0_ioports_disable={disable}"),
            },
            Remedy {
                channel: Channel::XenPatch,
                text: "Upgrade to Xen 4.19 or later, which denies these ports.".into(),
            },
        ],
    }))
}
