//! The hypercall surface: what dom0 may ask of Xen that matters for UEFI Secure
//! Boot (platform ops and each EFI runtime sub-op, kexec, livepatch, debug keys,
//! hypfs, the permission and mapping domctls, physdev, mca, mmu_update with
//! DOMID_IO …), kept as data in `data/*.toml` with the Xen source each row was
//! read from, and evaluated per snapshot into "available", "not available
//! (why)" or "unknown (needs X)", each with the evidence it rests on.
//!
//! Input: the facts stage's [`Facts`] only (version, command line, memory map,
//! dom0 mode, Xen's build configuration from hypfs or /boot, and the start-up
//! console lines: XSM module, EFI runtime services, MCE, built-in command line).
//! Debian's shipped configurations are carried as marked defaults for Debian
//! builds whose snapshot holds none.

pub mod cmdline;
pub mod eval;
pub mod host;
pub mod table;

use dom0scope_facts::Facts;
use serde::Serialize;

pub use eval::{Availability, OpSurface};
pub use host::{ConfigSource, Fact, Host, XsmMode};
pub use table::{Checked, Need, Operation, Table};

/// The versioned JSON schema name of [`HypercallSurface`].
pub const SCHEMA: &str = "dom0scope-hypercalls/1";

/// The table evaluated on one snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct HypercallSurface<'t> {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The host facts every row was judged against.
    pub host: HostSummary,
    /// Counts of rows by availability.
    pub summary: Summary,
    /// The Xen versions (and tags) the table was checked against.
    pub checked: &'t [Checked],
    /// Why no row carries a "privileged command" / "control plane" class yet.
    pub class_note: &'t str,
    /// Every row of the table, in table order, with its availability here.
    pub operations: Vec<OpSurface<'t>>,
    /// Problems with the inputs (unusable config artifacts, parser warnings).
    pub warnings: Vec<String>,
}

/// The host facts every row was judged against.
#[derive(Debug, Clone, Serialize)]
pub struct HostSummary {
    /// The Xen version from the `Xen version` banner.
    pub xen: Option<host::Version>,
    /// The banner line.
    pub xen_evidence: Option<Fact>,
    /// Where the build configuration came from, if one was found or assumed.
    pub config: Option<ConfigSummary>,
    /// Evidence for the boot loader's command line (`Command line:`).
    pub cmdline: Option<Fact>,
    /// Evidence for the built-in command line (`CONFIG_CMDLINE` or `Built-in command line:`).
    pub builtin_cmdline: Option<Fact>,
    /// Xen booted through EFI; None when the log does not say.
    pub efi_boot: Option<bool>,
    /// The line that shows how Xen booted.
    pub efi_boot_evidence: Option<Fact>,
    /// dom0's mode, `PV` or `PVH`, from the dom0 build line.
    pub dom0: Option<&'static str>,
    /// The dom0 build line.
    pub dom0_evidence: Option<Fact>,
    /// The XSM module in force.
    pub xsm: XsmMode,
    /// The lines or config symbols the XSM module was decided on.
    pub xsm_evidence: Vec<Fact>,
}

/// Where the build configuration came from.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigSummary {
    /// hypfs, a matching `/boot` config, or Debian's carried default.
    pub source: ConfigSource,
    /// Artifact path, or `dom0scope:…` for a carried default.
    pub artifact: String,
    /// For a carried default: the package version it was read from.
    pub default_of: Option<String>,
}

/// Counts by availability.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Rows evaluated.
    pub total: usize,
    /// Rows dom0 can use on this host.
    pub available: usize,
    /// Rows ruled out on this host.
    pub not_available: usize,
    /// Rows whose availability the snapshot cannot decide.
    pub unknown: usize,
}

/// Evaluates the built-in table on a snapshot's facts: the verdict stage's entry point.
pub fn surface(facts: &Facts) -> HypercallSurface<'static> {
    surface_with(Table::builtin(), facts)
}

/// Evaluates `table` on a snapshot's facts.
pub fn surface_with<'t>(table: &'t Table, facts: &Facts) -> HypercallSurface<'t> {
    let host = Host::read(facts);
    let operations: Vec<OpSurface<'t>> = table
        .ops
        .iter()
        .map(|op| eval::evaluate(op, table, &host))
        .collect();
    let mut summary = Summary {
        total: operations.len(),
        ..Summary::default()
    };
    for o in &operations {
        match o.availability {
            Availability::Available => summary.available += 1,
            Availability::NotAvailable { .. } => summary.not_available += 1,
            Availability::Unknown { .. } => summary.unknown += 1,
        }
    }
    HypercallSurface {
        schema: SCHEMA,
        host: HostSummary {
            xen_evidence: host.version.as_ref().map(|v| v.fact.clone()),
            xen: host.version.clone(),
            config: host.config.as_ref().map(|c| ConfigSummary {
                source: c.source,
                artifact: c.artifact.clone(),
                default_of: c.default_of.clone(),
            }),
            cmdline: host.cmdline_loader.clone(),
            builtin_cmdline: host.cmdline_builtin.clone(),
            efi_boot: host.efi_boot.as_ref().map(|e| e.0),
            efi_boot_evidence: host.efi_boot.as_ref().map(|e| e.1.clone()),
            dom0: host.dom0.as_ref().map(|d| d.0.label()),
            dom0_evidence: host.dom0.as_ref().map(|d| d.1.clone()),
            xsm: host.xsm.0,
            xsm_evidence: host.xsm.1.clone(),
        },
        summary,
        checked: &table.checked,
        class_note: &table.class_note,
        operations,
        warnings: host.warnings,
    }
}
