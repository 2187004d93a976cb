//! Predicates over dom0's own kernel and the firmware's Secure Boot switch:
//! the Linux lockdown analogues that apply to dom0.

use serde::Deserialize;

use super::{Detail, Truth};
use crate::inputs::{Inputs, Lockdown};

/// Lockdown levels a condition can name (`dom0_lockdown_below = "integrity"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockdownLevel {
    /// `integrity`: below it means lockdown `none`.
    Integrity,
    /// `confidentiality`: below it means `none` or `integrity`.
    Confidentiality,
}

/// `dom0_lockdown_below = "integrity"`: dom0's kernel runs with a lockdown
/// mode below this one (`/sys/kernel/security/lockdown`). Vars: `lockdown`.
pub fn dom0_lockdown_below(i: &Inputs<'_>, level: LockdownLevel) -> Truth {
    let Some((mode, ev)) = &i.readings.lockdown else {
        return Truth::Unknown(
            "dom0's kernel lockdown mode (linux/lockdown, i.e. /sys/kernel/security/lockdown, in a collected snapshot)"
                .into(),
        );
    };
    let want = match level {
        LockdownLevel::Integrity => Lockdown::Integrity,
        LockdownLevel::Confidentiality => Lockdown::Confidentiality,
    };
    if *mode < want {
        Truth::Holds(
            Detail::summary(format!(
                "dom0's kernel runs with lockdown mode `{}`.",
                mode.label()
            ))
            .var("lockdown", mode.label())
            .evidence([ev.clone()]),
        )
    } else {
        Truth::Fails(format!("dom0's lockdown mode is {}", mode.label()))
    }
}

/// `privcmd_unrestricted = true`: dom0 runs Linux, whose `/dev/xen/privcmd`
/// passes any hypercall from root userspace in dom0 (Linux's
/// `LOCKDOWN_XEN_USER_ACTIONS` restricts privcmd only in non-dom0 guests; a
/// downstream hypercall filter, as XenServer ships, is not visible in a snapshot).
pub fn privcmd_unrestricted(i: &Inputs<'_>) -> Truth {
    match &i.readings.dom0_linux {
        Some(ev) => Truth::Holds(
            Detail::summary(
                "dom0 runs Linux: root in dom0 can issue any hypercall dom0 may make through /dev/xen/privcmd, whatever the kernel's lockdown mode.",
            )
            .evidence([ev.clone()]),
        ),
        None => Truth::Unknown("dom0's kernel (linux/version in a collected snapshot)".into()),
    }
}

/// `uefi_secure_boot = false`: the firmware's `SecureBoot` variable says
/// Secure Boot is off (`= true`: on).
pub fn uefi_secure_boot(i: &Inputs<'_>, on: bool) -> Truth {
    match &i.readings.secure_boot {
        None => Truth::Unknown(
            "the UEFI SecureBoot variable (efi/efivars/SecureBoot-8be4df61-… in a collected snapshot)"
                .into(),
        ),
        Some((v, ev)) if *v == on => Truth::Holds(
            Detail::summary(format!(
                "The firmware reports UEFI Secure Boot {}.",
                if *v { "on" } else { "off" }
            ))
            .evidence([ev.clone()]),
        ),
        Some((v, _)) => Truth::Fails(format!("SecureBoot is {}", if *v { "on" } else { "off" })),
    }
}
