//! The lines a Xen built with `dom0scope harden --xen-patch`'s series prints, one per patch,
//! each tagged `[name]` (crates/harden/src/xen_patch): evidence that the patch ran and what
//! it did, so the model can replay it.
//!
//! - `d0: AP trampoline 8f-90 read-only [dom0-ro-trampoline]`
//! - `d0: EFI runtime code denied (2 ranges), data read-only (5 ranges) [dom0-protect-efi-rt]`
//! - `d0: EFI runtime services left mappable [dom0-protect-efi-rt=0]`
//! - `d0: PM1a control ports 604-605 denied [dom0-protect-s3]` (one line per block; a PVH
//!   dom0's are `trapped`: denied, with Xen's filter in front of them)
//! - `d0: SLP_EN written to port 605: FACS waking vectors zeroed [dom0-protect-s3]` (at run
//!   time, when that filter saw a PVH dom0 put the host to sleep or power it off)
//! - `d0: ACPI sleep control left to the hardware domain [dom0-protect-s3=0]`, or
//!   `… left to the PVH hardware domain [dom0-protect-s3=pvh]` (a PVH dom0 keeps the ports)

use super::builder::{Builder, hex};
use super::lines::XenLine;
use super::model::{EfiRtPatch, Located, SleepPorts};

pub(crate) fn line(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let body = l.body.trim();
    if !body.ends_with(']') || !body.contains(" [dom0-") {
        return false;
    }
    let Some(rest) = body.strip_prefix("d0: ") else {
        return false;
    };
    if let Some(r) = rest
        .strip_prefix("AP trampoline ")
        .and_then(|r| r.strip_suffix(" read-only [dom0-ro-trampoline]"))
    {
        let range = r
            .split_once('-')
            .and_then(|(a, z)| Some((hex(a)?, hex(z)?)))
            .filter(|(a, z)| a <= z);
        match range {
            Some(value) => {
                let line = b.cite(l);
                b.log.patches.trampoline_ro = Some(Located { value, line });
            }
            None => b.warn(l, "unreadable [dom0-ro-trampoline] line"),
        }
        return true;
    }
    if rest.starts_with("SLP_EN written to port ")
        && rest.ends_with(": FACS waking vectors zeroed [dom0-protect-s3]")
    {
        let line = b.cite(l);
        b.log.patches.s3_vectors_zeroed.push(line);
        return true;
    }
    let s3 = rest
        .strip_suffix(" denied [dom0-protect-s3]")
        .map(|r| (r, false))
        .or_else(|| {
            rest.strip_suffix(" trapped [dom0-protect-s3]")
                .map(|r| (r, true))
        });
    if let Some((r, trapped)) = s3 {
        let block = r.split_once(" ports ").and_then(|(name, r)| {
            let (a, z) = r.split_once('-')?;
            let (first, last) = (hex(a)?, hex(z)?);
            (first <= last && last <= 0xffff).then(|| SleepPorts {
                name: name.to_owned(),
                first,
                last,
                trapped,
            })
        });
        match block {
            Some(value) => {
                let line = b.cite(l);
                b.log.patches.s3_ports.push(Located { value, line });
            }
            None => b.warn(l, "unreadable [dom0-protect-s3] line"),
        }
        return true;
    }
    if rest == "ACPI sleep control left to the hardware domain [dom0-protect-s3=0]"
        || rest == "ACPI sleep control left to the PVH hardware domain [dom0-protect-s3=pvh]"
    {
        b.log.patches.s3_off = Some(b.cite(l));
        return true;
    }
    if rest == "EFI runtime services left mappable [dom0-protect-efi-rt=0]" {
        let line = b.cite(l);
        b.log.patches.efi_rt = Some(Located {
            value: EfiRtPatch::Off,
            line,
        });
        return true;
    }
    if let Some(r) = rest
        .strip_prefix("EFI runtime code denied (")
        .and_then(|r| r.strip_suffix(" ranges) [dom0-protect-efi-rt]"))
    {
        let counts = r
            .split_once(" ranges), data read-only (")
            .and_then(|(c, d)| Some((c.parse().ok()?, d.parse().ok()?)));
        match counts {
            Some((code, data)) => {
                let line = b.cite(l);
                b.log.patches.efi_rt = Some(Located {
                    value: EfiRtPatch::Protected { code, data },
                    line,
                });
            }
            None => b.warn(l, "unreadable [dom0-protect-efi-rt] line"),
        }
        return true;
    }
    false
}
