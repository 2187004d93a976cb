//! dom0's own view from `linux/…` artifacts.

pub mod cpuinfo;
pub mod lockdown;
pub mod resources;

use serde::Serialize;

use crate::evidence::Evidence;

/// dom0's own view of the machine.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dom0View {
    /// `/proc/iomem`.
    pub iomem: Vec<resources::ResourceEntry>,
    /// `/proc/ioports`.
    pub ioports: Vec<resources::ResourceEntry>,
    /// `/sys/kernel/security/lockdown`: the selected mode, with its line.
    pub lockdown: Option<lockdown::LockdownMode>,
    /// `/proc/cmdline`.
    pub cmdline: Option<String>,
    /// `/proc/version`'s first line: dom0 runs Linux.
    pub version: Option<Evidence>,
    /// The firmware's `SecureBoot` variable as dom0's efivarfs showed it.
    pub secure_boot: Option<crate::efi::SecureBoot>,
}

/// `/proc/version` (`linux/version`): its first line, when there is one.
pub fn version(artifact: &str, bytes: &[u8]) -> Option<Evidence> {
    first_line(bytes).map(|text| Evidence {
        artifact: artifact.into(),
        line: 1,
        text,
    })
}

/// The first line of the first 4 KiB, trimmed; None unless that prefix is
/// UTF-8 and the line is not empty.
fn first_line(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes.get(..bytes.len().min(4096))?).ok()?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_the_first_line() {
        let v = super::version("linux/version", b"Linux version 6.1.0 (gcc)\nmore\n").unwrap();
        assert_eq!((v.line, v.text.as_str()), (1, "Linux version 6.1.0 (gcc)"));
        assert!(super::version("linux/version", b"\n").is_none());
        assert!(super::version("linux/version", b"\xff").is_none());
    }
}
