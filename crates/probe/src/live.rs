//! The running Xen: privcmd for mappings and domctls (the unsafe code lives in
//! `dom0scope-privcmd`), `/dev/port` for port reads (the kernel does the `in`).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use dom0scope_privcmd::{DOMID_IO, MapError, Privcmd};
use rustix::io::Errno;

use crate::{Xen, abi};

/// Probe against the running Xen.
#[derive(Debug)]
pub struct LiveProbe {
    pc: Privcmd,
    /// The running Xen's `XEN_DOMCTL_INTERFACE_VERSION`, needed only for [`Xen::memory_mapping`].
    domctl_version: Option<u32>,
    dev: PathBuf,
    port: Option<File>,
}

impl LiveProbe {
    /// Opens privcmd under `dev` (else `proc/xen/privcmd`).
    pub fn open(dev: &Path, proc: &Path, domctl_version: Option<u32>) -> std::io::Result<Self> {
        Ok(LiveProbe {
            pc: Privcmd::open(dev, proc)?,
            domctl_version,
            dev: dev.to_path_buf(),
            port: None,
        })
    }
}

impl Xen for LiveProbe {
    fn map_domio_ro(&mut self, mfn: u64, peek: &mut [u8]) -> Result<(), MapError> {
        self.pc.map_foreign_ro(DOMID_IO, mfn, peek)
    }

    fn memory_mapping(&mut self, gfn: u64, mfn: u64, add: bool) -> Result<(), Errno> {
        // Without a known interface version, refuse rather than guess (a guess Xen rejects
        // changes nothing, but a caller that did not say which Xen this is should be told).
        let v = self.domctl_version.ok_or(Errno::NOSYS)?;
        self.pc.domctl(&abi::memory_mapping(v, 0, gfn, mfn, add))
    }

    fn read_port(&mut self, port: u16) -> std::io::Result<u8> {
        if self.port.is_none() {
            self.port = Some(File::open(self.dev.join("port"))?);
        }
        let f = self.port.as_ref().expect("opened above");
        let mut b = [0u8; 1];
        f.read_exact_at(&mut b, u64::from(port))?;
        Ok(b[0])
    }
}
