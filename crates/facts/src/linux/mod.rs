//! dom0's own view from `linux/…` artifacts.

pub mod cpuinfo;
pub mod resources;

use serde::Serialize;

/// dom0's own view of the machine.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dom0View {
    /// `/proc/iomem`.
    pub iomem: Vec<resources::ResourceEntry>,
    /// `/proc/ioports`.
    pub ioports: Vec<resources::ResourceEntry>,
    /// `/sys/kernel/security/lockdown`: the selected mode (`none`, `integrity`, `confidentiality`).
    pub lockdown: Option<String>,
    /// `/proc/cmdline`.
    pub cmdline: Option<String>,
}

/// The `[selected]` word of the lockdown file.
pub fn lockdown_mode(text: &str) -> Option<String> {
    let start = text.find('[')?;
    let end = text[start..].find(']')? + start;
    Some(text[start + 1..end].to_owned())
}
