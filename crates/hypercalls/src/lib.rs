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
    pub schema: &'static str,
    pub host: HostSummary,
    pub summary: Summary,
    /// The Xen versions (and tags) the table was checked against.
    pub checked: &'t [Checked],
    /// Why no row carries a "privileged command" / "control plane" class yet.
    pub class_note: &'t str,
    pub operations: Vec<OpSurface<'t>>,
    /// Problems with the inputs (unusable config artifacts, parser warnings).
    pub warnings: Vec<String>,
}

/// The host facts every row was judged against.
#[derive(Debug, Clone, Serialize)]
pub struct HostSummary {
    pub xen: Option<host::Version>,
    pub xen_evidence: Option<Fact>,
    pub config: Option<ConfigSummary>,
    pub cmdline: Option<Fact>,
    pub builtin_cmdline: Option<Fact>,
    pub efi_boot: Option<bool>,
    pub efi_boot_evidence: Option<Fact>,
    pub dom0: Option<&'static str>,
    pub dom0_evidence: Option<Fact>,
    pub xsm: XsmMode,
    pub xsm_evidence: Vec<Fact>,
}

/// Where the build configuration came from.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigSummary {
    pub source: ConfigSource,
    pub artifact: String,
    /// For a carried default: the package version it was read from.
    pub default_of: Option<String>,
}

/// Counts by availability.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub available: usize,
    pub not_available: usize,
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
