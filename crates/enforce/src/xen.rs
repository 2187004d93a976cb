//! What enforce asks of Xen, over the one seam ([`dom0scope_privcmd::Xen`]): dom0's current
//! rangesets (debug key `q`, read back from the console ring and parsed as any Xen log is),
//! the running release from Xen's banner, and the two permission domctls, encoded by
//! [`dom0scope_privcmd::abi::domctl`]. The real Xen and the simulator answer the same bytes.

use dom0scope_privcmd::abi::domctl;
use dom0scope_privcmd::{Errno, Xen};
use dom0scope_ranges::{FrameSet, PortSet, Radix};

use crate::plan;

/// dom0's I/O memory and I/O port rangesets as Xen states them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dom0Rangesets {
    /// I/O memory dom0 may map (machine frames).
    pub iomem: FrameSet,
    /// I/O ports dom0 may use.
    pub ioports: PortSet,
    /// Where they were read (`Xen console after debug key 'q'`, a file), with the line.
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

/// Why dom0's rangesets could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RangesetError {
    /// The bytes are not a Xen log.
    #[error(transparent)]
    Log(#[from] dom0scope_facts::xenlog::LogError),
    /// The log has no `q` dump for domain 0.
    #[error("{log}: no 'Rangesets belonging to domain 0' dump (debug key 'q')")]
    NoDump {
        /// The log, as named.
        log: String,
    },
    /// The dump for domain 0 lacks a line enforce needs.
    #[error("{log}:{line}: the domain 0 dump lacks its I/O Memory or I/O Ports line")]
    Incomplete {
        /// The log, as named.
        log: String,
        /// The dump's header line.
        line: u32,
    },
    /// Xen's console ring could not be read.
    #[error("XEN_SYSCTL_readconsole")]
    ReadConsole(#[source] std::io::Error),
    /// Debug key `q` could not be pressed.
    #[error("XEN_SYSCTL_debug_keys 'q'")]
    DebugKeys(#[source] std::io::Error),
}

impl Dom0Rangesets {
    /// The last `'q'` dump for domain 0 in a Xen log (`xl dmesg`, a serial capture, a
    /// snapshot's `xen/dmesg.txt`).
    pub fn from_log(source: &str, bytes: &[u8]) -> Result<Dom0Rangesets, RangesetError> {
        let log = dom0scope_facts::xenlog::parse(source, bytes)?;
        let r = log
            .last_rangesets(0)
            .ok_or_else(|| RangesetError::NoDump { log: source.into() })?;
        match (&r.iomem, &r.ioports) {
            (Some(m), Some(p)) => Ok(Dom0Rangesets {
                iomem: m.value.clone(),
                ioports: p.value.clone(),
                source: format!("{source}:{}", r.header_line),
            }),
            _ => Err(RangesetError::Incomplete {
                log: source.into(),
                line: r.header_line,
            }),
        }
    }

    /// Xen's rangesets for dom0 now: presses debug key `q` and reads back only what Xen
    /// printed after it (the ring index from a read just before), so a stale dump can never
    /// be taken for the current state.
    pub fn read(xen: &mut dyn Xen) -> Result<Dom0Rangesets, RangesetError> {
        let (_, index) = xen.read_ring(None).map_err(RangesetError::ReadConsole)?;
        xen.debug_keys(b"q").map_err(RangesetError::DebugKeys)?;
        let (fresh, _) = xen
            .read_ring(Some(index))
            .map_err(RangesetError::ReadConsole)?;
        Dom0Rangesets::from_log("Xen console after debug key 'q'", &fresh)
    }
}

/// The running Xen's release from its banner in the console ring (when sysfs lacks it).
pub fn banner_version(xen: &mut dyn Xen) -> Option<plan::XenRelease> {
    let (ring, _) = xen.read_ring(None).ok()?;
    let v = dom0scope_facts::xenlog::parse("xen console", &ring)
        .ok()?
        .version?;
    plan::XenRelease::parse(&v.full())
}

/// `XEN_DOMCTL_iomem_permission` on dom0: allow or deny frames `first .. first + nr`.
pub(crate) fn iomem_permission(
    xen: &mut dyn Xen,
    version: u32,
    first: u64,
    nr: u64,
    allow: bool,
) -> Result<(), Errno> {
    xen.domctl(&domctl::iomem_permission(version, 0, first, nr, allow))
}

/// `XEN_DOMCTL_ioport_permission` on dom0: allow or deny ports `first .. first + nr`.
pub(crate) fn ioport_permission(
    xen: &mut dyn Xen,
    version: u32,
    first: u32,
    nr: u32,
    allow: bool,
) -> Result<(), Errno> {
    xen.domctl(&domctl::ioport_permission(version, 0, first, nr, allow))
}
