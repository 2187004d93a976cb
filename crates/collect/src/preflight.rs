//! Refuse early, with a clear reason, when not root or not in Xen's dom0.
//!
//! Evidence, strongest first:
//! 1. `/proc/xen/capabilities` containing `control_d`: xenfs writes it exactly when the kernel
//!    booted as Xen's initial domain, and it is what Xen's own init scripts test. It needs
//!    xenfs mounted on `/proc/xen`, which `xl` needs anyway.
//! 2. `/sys/hypervisor/start_flags/initdomain` = 1: Xen's `SIF_INITDOMAIN` start flag, readable
//!    without xenfs, but only on newer kernels (6.12 has it, 6.1 does not).
//!
//! `/sys/hypervisor/type` = `xen` alone does not suffice: every Xen guest has it.

use std::path::Path;

use crate::{CollectError, Sources};

/// Which evidence showed this is dom0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dom0Evidence {
    /// `control_d` in `/proc/xen/capabilities`.
    Capabilities,
    /// `/sys/hypervisor/start_flags/initdomain` is 1.
    InitdomainFlag,
}

/// The result of a successful [`preflight`].
#[derive(Debug, Clone)]
pub struct Preflight {
    /// What settled it: `/proc/xen/capabilities` when readable, else the `initdomain` flag.
    pub evidence: Dom0Evidence,
    /// `/sys/hypervisor/guest_type` (PV, PVH), when the kernel exposes it.
    pub guest_type: Option<String>,
}

impl Preflight {
    /// One line for the capture log.
    pub fn describe(&self) -> String {
        let ev = match self.evidence {
            Dom0Evidence::Capabilities => "control_d in /proc/xen/capabilities",
            Dom0Evidence::InitdomainFlag => "/sys/hypervisor/start_flags/initdomain = 1",
        };
        match &self.guest_type {
            Some(t) => format!("Xen dom0 ({ev}), guest type {t}"),
            None => format!("Xen dom0 ({ev})"),
        }
    }
}

fn read_trimmed(p: &Path) -> Option<String> {
    std::fs::read(p)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
}

/// Checks root, Xen and dom0, in that order.
pub fn preflight(src: &Sources) -> Result<Preflight, CollectError> {
    if src.euid != 0 {
        return Err(CollectError::NotRoot { euid: src.euid });
    }
    let hyp = src.sys.join("hypervisor");
    let caps_path = src.proc.join("xen/capabilities");
    match read_trimmed(&hyp.join("type")) {
        Some(t) if t == "xen" => {}
        Some(t) => {
            return Err(CollectError::NotXen {
                detail: format!("/sys/hypervisor/type is {t:?}"),
            });
        }
        None if src.proc.join("xen").is_dir() => {}
        None => {
            return Err(CollectError::NotXen {
                detail: "no /sys/hypervisor/type and no /proc/xen".into(),
            });
        }
    }
    let guest_type = read_trimmed(&hyp.join("guest_type"));
    if let Some(caps) = read_trimmed(&caps_path) {
        return if caps.split([',', ' ', '\n']).any(|c| c == "control_d") {
            Ok(Preflight {
                evidence: Dom0Evidence::Capabilities,
                guest_type,
            })
        } else {
            Err(CollectError::NotDom0 {
                detail: format!(
                    "/proc/xen/capabilities is {caps:?}, without control_d (a guest domain)"
                ),
            })
        };
    }
    match read_trimmed(&hyp.join("start_flags/initdomain")).as_deref() {
        Some("1") => Ok(Preflight {
            evidence: Dom0Evidence::InitdomainFlag,
            guest_type,
        }),
        Some(v) => Err(CollectError::NotDom0 {
            detail: format!("/sys/hypervisor/start_flags/initdomain is {v:?}"),
        }),
        None => Err(CollectError::UnknownDomain {
            detail: "/proc/xen/capabilities is unreadable; mount xenfs first \
                     (mount -t xenfs xenfs /proc/xen), as the Xen tools need it too"
                .into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        for (p, c) in files {
            let p = t.path().join(p);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, c).unwrap();
        }
        t
    }

    #[test]
    fn dom0_by_capabilities() {
        let t = tree(&[
            ("sys/hypervisor/type", "xen\n"),
            ("sys/hypervisor/guest_type", "PV\n"),
            ("proc/xen/capabilities", "control_d\n"),
        ]);
        let p = preflight(&Sources::under(t.path(), 0)).unwrap();
        assert_eq!(p.evidence, Dom0Evidence::Capabilities);
        assert_eq!(
            p.describe(),
            "Xen dom0 (control_d in /proc/xen/capabilities), guest type PV"
        );
    }

    #[test]
    fn dom0_by_start_flags_without_xenfs() {
        let t = tree(&[
            ("sys/hypervisor/type", "xen\n"),
            ("sys/hypervisor/start_flags/initdomain", "1\n"),
        ]);
        let p = preflight(&Sources::under(t.path(), 0)).unwrap();
        assert_eq!(p.evidence, Dom0Evidence::InitdomainFlag);
    }

    #[test]
    fn refusals() {
        let t = tree(&[
            ("sys/hypervisor/type", "xen\n"),
            ("proc/xen/capabilities", "\n"),
        ]);
        let e = preflight(&Sources::under(t.path(), 1000)).unwrap_err();
        assert!(matches!(e, CollectError::NotRoot { euid: 1000 }), "{e}");
        let e = preflight(&Sources::under(t.path(), 0)).unwrap_err();
        assert!(matches!(e, CollectError::NotDom0 { .. }), "{e}");

        let t = tree(&[("sys/hypervisor/type", "kvm\n")]);
        let e = preflight(&Sources::under(t.path(), 0)).unwrap_err();
        assert!(matches!(e, CollectError::NotXen { .. }), "{e}");

        let t = tree(&[("proc/cpuinfo", "")]);
        let e = preflight(&Sources::under(t.path(), 0)).unwrap_err();
        assert!(matches!(e, CollectError::NotXen { .. }), "{e}");

        let t = tree(&[("sys/hypervisor/type", "xen\n")]);
        let e = preflight(&Sources::under(t.path(), 0)).unwrap_err();
        assert!(e.to_string().contains("mount -t xenfs"), "{e}");

        let t = tree(&[
            ("sys/hypervisor/type", "xen\n"),
            ("sys/hypervisor/start_flags/initdomain", "0\n"),
        ]);
        let e = preflight(&Sources::under(t.path(), 0)).unwrap_err();
        assert!(matches!(e, CollectError::NotDom0 { .. }), "{e}");
    }
}
