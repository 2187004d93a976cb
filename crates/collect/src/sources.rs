//! Where collect reads from: the live system, or a fixture tree in tests.

use std::path::{Path, PathBuf};

/// Filesystem roots and identity of the host being collected.
///
/// Every path collect opens is derived from these fields, so a test can point all of them
/// into a temporary directory built from a real snapshot.
#[derive(Debug, Clone)]
pub struct Sources {
    /// procfs (`/proc`).
    pub proc: PathBuf,
    /// sysfs (`/sys`).
    pub sys: PathBuf,
    /// devtmpfs (`/dev`): `kmsg` and `xen/privcmd`.
    pub dev: PathBuf,
    /// `/boot`, where Debian keeps Xen's build configuration (`xen-*.config`).
    pub boot: PathBuf,
    /// Effective user id of the collecting process.
    pub euid: u32,
}

impl Sources {
    /// The running system.
    pub fn live() -> Self {
        Self {
            proc: "/proc".into(),
            sys: "/sys".into(),
            dev: "/dev".into(),
            boot: "/boot".into(),
            euid: rustix::process::geteuid().as_raw(),
        }
    }

    /// A fake system rooted at `root` (`root/proc`, `root/sys`, …), as seen by `euid`.
    pub fn under(root: &Path, euid: u32) -> Self {
        Self {
            proc: root.join("proc"),
            sys: root.join("sys"),
            dev: root.join("dev"),
            boot: root.join("boot"),
            euid,
        }
    }
}
