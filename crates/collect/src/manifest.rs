//! What collect records in manifest.json besides the files: tool, time, config name and the
//! host's DMI identity. The format itself (layout, hashing, checking) is dom0scope-snapshot's.

use std::collections::BTreeMap;
use std::fs;
use std::time::SystemTime;

use dom0scope_snapshot::{FORMAT, Manifest, ManifestEntry};

use crate::Sources;

/// DMI attributes that identify the machine, in the order they are looked up.
const DMI_IDENTITY: &[&str] = &[
    "sys_vendor",
    "product_name",
    "product_version",
    "product_family",
    "product_sku",
    "product_serial",
    "product_uuid",
    "board_vendor",
    "board_name",
    "board_version",
    "board_serial",
    "chassis_vendor",
    "chassis_type",
    "bios_vendor",
    "bios_version",
    "bios_date",
    "bios_release",
];

#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub created: SystemTime,
    pub config: Option<String>,
    pub host: BTreeMap<String, String>,
}

/// The non-empty DMI identity attributes of the host.
pub(crate) fn host_identity(src: &Sources) -> BTreeMap<String, String> {
    let dir = src.sys.join("class/dmi/id");
    DMI_IDENTITY
        .iter()
        .filter_map(|k| {
            let v = fs::read(dir.join(k)).ok()?;
            let v = String::from_utf8_lossy(&v).trim().to_string();
            (!v.is_empty()).then(|| (k.to_string(), v))
        })
        .collect()
}

/// The manifest for the files written, in the one format dom0scope-snapshot defines.
pub(crate) fn build(meta: &Meta, files: BTreeMap<String, ManifestEntry>) -> Manifest {
    Manifest {
        format: FORMAT.to_string(),
        tool: Some(format!("dom0scope {}", env!("CARGO_PKG_VERSION"))),
        created: Some(crate::rfc3339_utc(meta.created)),
        config: meta.config.clone(),
        host: meta.host.clone(),
        files,
    }
}
