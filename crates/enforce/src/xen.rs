//! The seam to Xen: the two traits enforce needs of it, the running Xen behind them, and a
//! recording simulation of Xen's rules so the apply logic can be tested without a hypervisor.

use std::path::Path;

use dom0scope_ranges::{FrameSet, PortSet, Radix};
use rustix::io::Errno;

use crate::{abi, plan};

/// Xen's permission domctls on dom0 (domid 0).
pub trait Domctl {
    /// `XEN_DOMCTL_iomem_permission`: allow or deny frames `first_mfn .. first_mfn + nr`.
    fn iomem_permission(&mut self, first_mfn: u64, nr: u64, allow: bool) -> Result<(), Errno>;
    /// `XEN_DOMCTL_ioport_permission`: allow or deny ports `first .. first + nr`.
    fn ioport_permission(&mut self, first: u32, nr: u32, allow: bool) -> Result<(), Errno>;
}

/// dom0's I/O memory and I/O port rangesets as Xen states them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dom0Rangesets {
    pub iomem: FrameSet,
    pub ioports: PortSet,
    /// Where they were read (`Xen console after debug key 'q'`, a file).
    pub source: String,
}

/// As enforce logs them: `I/O Memory { … }, I/O Ports { … } (source)`.
impl std::fmt::Display for Dom0Rangesets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "I/O Memory {}, I/O Ports {} ({})",
            self.iomem.to_xen(Radix::Hex),
            self.ioports.to_xen(Radix::Hex),
            self.source
        )
    }
}

impl Dom0Rangesets {
    /// The last `'q'` dump for domain 0 in a Xen log (`xl dmesg`, a serial capture, a
    /// snapshot's `xen/dmesg.txt`).
    pub fn from_log(source: &str, bytes: &[u8]) -> Result<Dom0Rangesets, String> {
        let log = dom0scope_facts::xenlog::parse(source, bytes).map_err(|e| e.to_string())?;
        let r = log.last_rangesets(0).ok_or_else(|| {
            format!("{source}: no 'Rangesets belonging to domain 0' dump (debug key 'q')")
        })?;
        match (&r.iomem, &r.ioports) {
            (Some(m), Some(p)) => Ok(Dom0Rangesets {
                iomem: m.value.clone(),
                ioports: p.value.clone(),
                source: format!("{source}:{}", r.header_line),
            }),
            _ => Err(format!(
                "{source}:{}: the domain 0 dump lacks its I/O Memory or I/O Ports line",
                r.header_line
            )),
        }
    }
}

/// Reads dom0's current rangesets from Xen.
pub trait RangesetSource {
    fn dom0_rangesets(&mut self) -> Result<Dom0Rangesets, String>;
}

/// A simulation of Xen's permission domctls on dom0, recording every call: the caller must
/// hold the whole range (else `EPERM`, as `xen/common/domctl.c` does), a deny removes it, a
/// grant of what the caller holds changes nothing. `ignore_denies` makes it a Xen that accepts
/// denies without acting (to test the proof step).
#[derive(Debug, Clone)]
pub struct FakeXen {
    pub state: Dom0Rangesets,
    pub calls: Vec<String>,
    pub ignore_denies: bool,
    pub reads: usize,
}

impl FakeXen {
    pub fn new(state: Dom0Rangesets) -> FakeXen {
        FakeXen {
            state,
            calls: Vec::new(),
            ignore_denies: false,
            reads: 0,
        }
    }
}

impl Domctl for FakeXen {
    fn iomem_permission(&mut self, first: u64, nr: u64, allow: bool) -> Result<(), Errno> {
        self.calls
            .push(format!("iomem_permission({first:#x}, {nr}, {allow})"));
        let last = first
            .checked_add(nr.checked_sub(1).ok_or(Errno::INVAL)?)
            .ok_or(Errno::INVAL)?;
        if !FrameSet::from(first..=last).is_subset(&self.state.iomem) {
            return Err(Errno::PERM);
        }
        if !allow && !self.ignore_denies {
            self.state.iomem.remove(first..=last);
        }
        Ok(())
    }

    fn ioport_permission(&mut self, first: u32, nr: u32, allow: bool) -> Result<(), Errno> {
        self.calls
            .push(format!("ioport_permission({first:#x}, {nr}, {allow})"));
        let end = first.checked_add(nr).ok_or(Errno::INVAL)?;
        if nr == 0 || end > 0x1_0000 {
            return Err(Errno::INVAL);
        }
        let (a, b) = (first as u16, (end - 1) as u16);
        if !PortSet::from(a..=b).is_subset(&self.state.ioports) {
            return Err(Errno::PERM);
        }
        if !allow && !self.ignore_denies {
            self.state.ioports.remove(a..=b);
        }
        Ok(())
    }
}

impl RangesetSource for FakeXen {
    fn dom0_rangesets(&mut self) -> Result<Dom0Rangesets, String> {
        self.reads += 1;
        Ok(self.state.clone())
    }
}

/// The running Xen, through `/dev/xen/privcmd`.
#[derive(Debug)]
pub struct LiveXen {
    pc: dom0scope_privcmd::Privcmd,
    domctl_version: u32,
}

impl LiveXen {
    /// Opens privcmd under `dev` (else `proc/xen/privcmd`); `domctl_version` is the running
    /// release's `XEN_DOMCTL_INTERFACE_VERSION` ([`abi::domctl_version`]).
    pub fn open(dev: &Path, proc: &Path, domctl_version: u32) -> std::io::Result<LiveXen> {
        Ok(LiveXen {
            pc: dom0scope_privcmd::Privcmd::open(dev, proc)?,
            domctl_version,
        })
    }

    /// The running Xen's release from its banner in the console ring (when sysfs lacks it).
    pub fn banner_version(dev: &Path, proc: &Path) -> Option<plan::XenRelease> {
        let mut pc = dom0scope_privcmd::Privcmd::open(dev, proc).ok()?;
        let (ring, _) = pc.read_ring(None).ok()?;
        let v = dom0scope_facts::xenlog::parse("xen console", &ring)
            .ok()?
            .version?;
        plan::XenRelease::parse(&v.full())
    }
}

impl Domctl for LiveXen {
    fn iomem_permission(&mut self, first: u64, nr: u64, allow: bool) -> Result<(), Errno> {
        self.pc.domctl(&abi::iomem_permission(
            self.domctl_version,
            0,
            first,
            nr,
            allow,
        ))
    }

    fn ioport_permission(&mut self, first: u32, nr: u32, allow: bool) -> Result<(), Errno> {
        self.pc.domctl(&abi::ioport_permission(
            self.domctl_version,
            0,
            first,
            nr,
            allow,
        ))
    }
}

impl RangesetSource for LiveXen {
    /// Presses debug key `q` and reads back only what Xen printed after it (the ring index
    /// from a read just before), so a stale dump can never be taken for the current state.
    fn dom0_rangesets(&mut self) -> Result<Dom0Rangesets, String> {
        let (_, index) = self
            .pc
            .read_ring(None)
            .map_err(|e| format!("XEN_SYSCTL_readconsole: {e}"))?;
        self.pc
            .debug_keys(b"q")
            .map_err(|e| format!("XEN_SYSCTL_debug_keys 'q': {e}"))?;
        let (fresh, _) = self
            .pc
            .read_ring(Some(index))
            .map_err(|e| format!("XEN_SYSCTL_readconsole: {e}"))?;
        Dom0Rangesets::from_log("Xen console after debug key 'q'", &fresh)
    }
}
