//! What the plan leaves: the what-if verdict on the reach without the planned ranges, and
//! the findings' remedies that only Xen, the firmware or dom0's kernel can deliver.

use dom0scope_ranges::IoSets;
use dom0scope_verdict::{Channel, Verdict};

use crate::{Change, ChannelChanges, Context, FindingRef, Residual, Revocation, Status};

/// The what-if: the verdict on the observed reach minus the planned ranges.
pub(crate) fn residual(cx: &Context<'_>, revoke: &[Revocation]) -> Option<Residual> {
    let reach = cx.analysis.reach();
    let obs = reach.observed()?;
    let IoSets { frames, ports } = revoke
        .iter()
        .filter(|r| r.status == Status::Planned)
        .filter_map(Revocation::io_range)
        .collect();
    let frames_removed = obs.iomem.intersection(&frames).count();
    let ports_removed = obs
        .ioports
        .as_ref()
        .map_or(0, |p| p.intersection(&ports).count());
    let what_if = cx.analysis.with_reach(reach.without(&frames, &ports));
    let after = what_if.verdict();
    let before = cx.analysis.verdict();
    let in_after = |id: &str| after.findings.iter().any(|f| f.id == id);
    let in_before = |id: &str| before.findings.iter().any(|f| f.id == id);
    Some(Residual {
        level_before: before.level.label.clone(),
        level_after: after.level.label.clone(),
        closed: before
            .findings
            .iter()
            .filter(|f| !in_after(&f.id))
            .map(FindingRef::from)
            .collect(),
        remaining: after
            .findings
            .iter()
            .filter(|f| in_before(&f.id))
            .map(FindingRef::from)
            .collect(),
        opened: after
            .findings
            .iter()
            .filter(|f| !in_before(&f.id))
            .map(FindingRef::from)
            .collect(),
        frames_removed: u64::try_from(frames_removed).unwrap_or(u64::MAX),
        ports_removed: u64::try_from(ports_removed).unwrap_or(u64::MAX),
    })
}

fn is_xen_channel(c: Channel) -> bool {
    matches!(
        c,
        Channel::XenCommandLine
            | Channel::SignedBuiltinCommandLine
            | Channel::Kconfig
            | Channel::FlaskPolicy
            | Channel::XenPatch
    )
}

/// The findings' remedies outside self-revocation, by channel.
pub(crate) fn changes(verdict: &Verdict, closed: &[String], xen: bool) -> Vec<ChannelChanges> {
    const ORDER: [Channel; 7] = [
        Channel::SignedBuiltinCommandLine,
        Channel::XenCommandLine,
        Channel::Kconfig,
        Channel::FlaskPolicy,
        Channel::XenPatch,
        Channel::Dom0Kernel,
        Channel::Firmware,
    ];
    ORDER
        .into_iter()
        .filter(|c| is_xen_channel(*c) == xen)
        .filter_map(|channel| {
            let changes: Vec<Change> = verdict
                .findings
                .iter()
                .flat_map(|f| {
                    f.remedies
                        .iter()
                        .filter(move |r| r.channel == channel)
                        .map(move |r| Change {
                            rule: f.id.clone(),
                            title: f.title.clone(),
                            text: r.text.clone(),
                            closed_by_plan: closed.contains(&f.id),
                        })
                })
                .collect();
            (!changes.is_empty()).then(|| ChannelChanges {
                channel,
                label: channel.label().into(),
                changes,
            })
        })
        .collect()
}
