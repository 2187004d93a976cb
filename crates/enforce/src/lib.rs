//! `dom0scope enforce`: dom0 gives up the frames and ports a hardening plan names, through
//! Xen's permission domctls on itself, and proves from Xen's own rangesets that it did.
//!
//! Measured on real Xen 4.17 (`shared/reference/measured-on-real-xen.md` §2): the revocation
//! is irreversible (a re-grant fails with `EPERM`) and mappings made before it survive, so it
//! must run early in dom0's boot.
//!
//! Order of work, every refusal before any change:
//! 1. [`plan::load`] / [`plan::parse`]: the file is a `dom0scope-plan/1` document for a Xen
//!    release enforce knows, with sane ranges.
//! 2. [`plan::check_host`]: the plan's DMI identity, Xen release and dom0 mode match the
//!    running host.
//! 3. [`live::check`]: harden's "is it safe to give up" check again, on dom0's live
//!    `/proc/iomem` and `/proc/ioports`: no planned range may be in use now (the plan was
//!    checked against the snapshot's, perhaps of another boot or kernel).
//! 4. [`apply`]: Xen's current rangesets for dom0 (debug key `q`, read back through
//!    `XEN_SYSCTL_readconsole`); each planned range is revoked only where still present
//!    (idempotent; Xen refuses a deny of a partly absent range), one logged domctl per
//!    sub-range; then the rangesets are read again and every planned range must be gone.
//!
//! Xen is reached through the one seam, [`dom0scope_privcmd::Xen`]: the real `Privcmd`
//! (hypercalls, the only `unsafe` code, in `dom0scope-privcmd`) or its `SimXen` (feature
//! `sim`), a recording simulation of Xen's rules for tests and `--simulate-xen`. Both receive
//! the same `struct xen_domctl` bytes ([`dom0scope_privcmd::abi`]).

pub mod live;
pub mod plan;
mod run;
mod xen;

pub use dom0scope_privcmd::Errno;

pub use run::{EnforceError, Entry, Outcome, apply, dry_run};
pub use xen::{Dom0Rangesets, RangesetError, banner_version};

#[cfg(test)]
mod tests;
