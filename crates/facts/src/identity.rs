//! Who the host is, so that audits of many hosts can be joined: the DMI identity dom0's
//! kernel exported (`dmi/`, else the manifest's copy of it), the hostname (`linux/hostname`)
//! and when the snapshot was collected (the manifest's `created`). A bare log carries none of
//! these: its fields stay absent, never guessed.

use dom0scope_snapshot::Snapshot;
use serde::Serialize;

/// Longest value kept (characters): DMI strings are at most 255 bytes by SMBIOS, hostnames 64.
const MAX_VALUE: usize = 256;

/// The host's identity as the snapshot states it; every field is absent when not collected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// DMI `sys_vendor` (the system manufacturer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sys_vendor: Option<String>,
    /// DMI `product_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    /// DMI `product_serial` (readable by root only, so present when collect ran as root and
    /// the firmware filled it in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_serial: Option<String>,
    /// dom0's hostname (`/proc/sys/kernel/hostname`, collected as `linux/hostname`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// When the snapshot was collected, RFC 3339 in UTC, from the manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected: Option<String>,
}

impl Identity {
    /// Reads the identity out of `snapshot`: each DMI attribute from `dmi/<name>`, else from
    /// the manifest's `host`; empty values count as not collected.
    pub fn of(snapshot: &Snapshot) -> Identity {
        let file = |path: &str| snapshot.get(path).and_then(|a| value(&a.bytes));
        let dmi = |name: &str| {
            file(&format!("dmi/{name}")).or_else(|| {
                let m = snapshot.manifest.as_ref()?;
                value(m.host.get(name)?.as_bytes())
            })
        };
        Identity {
            sys_vendor: dmi("sys_vendor"),
            product_name: dmi("product_name"),
            product_serial: dmi("product_serial"),
            hostname: file("linux/hostname"),
            collected: snapshot
                .manifest
                .as_ref()
                .and_then(|m| value(m.created.as_deref()?.as_bytes())),
        }
    }

    /// True when the snapshot stated nothing about who the host is.
    pub fn is_empty(&self) -> bool {
        *self == Identity::default()
    }
}

/// The trimmed text of a one-line sysfs/procfs file; None when empty. Control characters
/// (a hostile snapshot's escape sequences) become U+FFFD, and the value is cut at
/// [`MAX_VALUE`] characters.
fn value(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().next().unwrap_or("").trim();
    (!line.is_empty()).then(|| {
        line.chars()
            .take(MAX_VALUE)
            .map(|c| if c.is_control() { '\u{fffd}' } else { c })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use dom0scope_snapshot::{Origin, Snapshot};

    use super::*;

    fn snap(files: &[(&str, &[u8])]) -> Snapshot {
        let files: BTreeMap<String, Vec<u8>> = files
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
            .collect();
        Snapshot::from_files(Origin::Directory { path: "t".into() }, files)
    }

    #[test]
    fn dmi_files_and_hostname_are_read_and_empty_ones_are_absent() {
        let s = snap(&[
            ("dmi/sys_vendor", b"Dell Inc.\n"),
            ("dmi/product_name", b"   \n"),
            ("dmi/product_serial", b"ABC\x1b[31m\n"),
            ("linux/hostname", b"xen-07\n"),
        ]);
        let id = Identity::of(&s);
        assert_eq!(id.sys_vendor.as_deref(), Some("Dell Inc."));
        assert_eq!(id.product_name, None);
        assert_eq!(id.product_serial.as_deref(), Some("ABC\u{fffd}[31m"));
        assert_eq!(id.hostname.as_deref(), Some("xen-07"));
        assert_eq!(id.collected, None);
        assert!(!id.is_empty());
        assert!(Identity::of(&snap(&[])).is_empty());
    }
}
