//! What the plan leaves: the what-if verdict on the reach without the planned ranges (compared
//! with the verdict before by [`Delta`], as `dom0scope diff` compares two snapshots), and the
//! findings' remedies that only Xen, the firmware or dom0's kernel can deliver.

use dom0scope_ranges::IoSets;
use dom0scope_verdict::{Channel, Delta, Finding, Verdict};

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
    let d = Delta::between(cx.analysis.verdict(), what_if.verdict());
    let refs = |fs: &[&Finding]| fs.iter().map(|f| FindingRef::from(*f)).collect();
    Some(Residual {
        level_before: d.before.label.clone(),
        level_after: d.after.label.clone(),
        closed: refs(&d.closed),
        remaining: d
            .remaining
            .iter()
            .map(|(_, f)| FindingRef::from(*f))
            .collect(),
        opened: refs(&d.opened),
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
