//! The facts stage: raw artifacts in, typed facts out, each located at the line
//! or byte it came from. Parsing is pure (bytes in, facts or a located error
//! out); a damaged artifact yields warnings, not a failed audit.

pub mod acpi;
pub mod efi;
pub mod evidence;
pub mod identity;
pub mod linux;
pub mod pci;
pub mod trampoline;
pub mod xen_config;
pub mod xenlog;

use dom0scope_snapshot::Snapshot;
use serde::Serialize;

pub use evidence::{Evidence, Warning};
pub use identity::Identity;
pub use xenlog::XenLog;

/// Artifacts that may hold Xen's console log, best first: `xen/dmesg.txt` was read
/// after debug key `q`, so it holds the rangesets.
pub const XEN_LOG_ARTIFACTS: &[&str] = &["xen/dmesg.txt", "xen/dmesg-boot.txt"];

/// Everything parsed from a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    /// Xen's console log, if any artifact held one.
    pub xen: Option<XenLog>,
    /// ACPI tables captured under `acpi/` (None for a bare log).
    pub acpi: Option<acpi::AcpiTables>,
    /// dom0's `/proc/cpuinfo`.
    pub cpuinfo: Option<linux::cpuinfo::Cpuinfo>,
    /// PCI functions from `pci/…` (empty for a bare log).
    pub pci: Vec<pci::PciFunction>,
    /// dom0's own view (`linux/…`, and the UEFI variables dom0 read), None for a bare log.
    pub dom0: Option<linux::Dom0View>,
    /// Problems with artifacts: damage, parse failures, fallbacks taken.
    pub warnings: Vec<Warning>,
    /// Who the host is (DMI, hostname, collection time), so audits of a fleet can be joined.
    #[serde(skip_serializing_if = "Identity::is_empty")]
    pub identity: Identity,
}

/// Why a snapshot has nothing to audit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NoFacts {
    /// Why, for people: each artifact tried with its error, or the artifacts looked for.
    pub message: String,
    /// Per-artifact reasons, when artifacts were tried.
    pub errors: Vec<xenlog::LogError>,
}

impl Facts {
    /// Parses what the snapshot holds. Fails only when no artifact yields a Xen log.
    pub fn extract(snapshot: &Snapshot) -> Result<Facts, NoFacts> {
        let mut warnings = Vec::new();
        let mut errors = Vec::new();
        let mut xen = None;
        let candidates: Vec<&str> = match snapshot.bare_log() {
            Some(a) => vec![a.path.as_str()],
            None => XEN_LOG_ARTIFACTS.to_vec(),
        };
        for name in candidates {
            let Some(artifact) = snapshot.get(name) else {
                continue;
            };
            match xenlog::parse(name, &artifact.bytes) {
                Ok(log) => {
                    if !errors.is_empty() {
                        warnings.push(Warning {
                            artifact: name.into(),
                            line: 0,
                            message: format!("used as the Xen log because: {}", join(&errors)),
                        });
                    }
                    xen = Some(log);
                    break;
                }
                Err(e) => errors.push(e),
            }
        }
        let Some(xen) = xen else {
            let message = if errors.is_empty() {
                format!(
                    "no Xen log in the snapshot (looked for {})",
                    XEN_LOG_ARTIFACTS.join(", ")
                )
            } else {
                join(&errors)
            };
            return Err(NoFacts { message, errors });
        };
        if let Some(a) = &xen.arch
            && a.value.arch != xenlog::arch::Arch::X86
        {
            return Err(NoFacts {
                message: format!(
                    "{}:{}: this is Xen on {} (the line prints `{}`, which only Xen on {} \
                     prints); dom0scope judges x86 hosts only (its owners, its model of Xen and \
                     its rules are x86's), so nothing here is judged",
                    xen.artifact,
                    a.line,
                    a.value.arch.label(),
                    a.value.marker,
                    a.value.arch.label()
                ),
                errors: Vec::new(),
            });
        }
        let acpi_artifacts: Vec<(&str, &[u8])> = snapshot
            .artifacts
            .iter()
            .filter(|(k, _)| k.starts_with("acpi/") && !k.ends_with(".txt"))
            .map(|(k, a)| (k.as_str(), a.bytes.as_slice()))
            .collect();
        let acpi = (!acpi_artifacts.is_empty()).then(|| {
            let mut t = acpi::AcpiTables::parse(acpi_artifacts);
            warnings.append(&mut t.warnings);
            t
        });
        let cpuinfo = snapshot
            .get("linux/cpuinfo")
            .and_then(|a| linux::cpuinfo::parse(&a.path, &a.bytes));
        let pci = pci::parse(
            snapshot
                .artifacts
                .range("pci/".to_owned().."pci0".to_owned())
                .map(|(k, a)| (k.as_str(), a.bytes.as_slice())),
            &mut warnings,
        );
        let mut xen = xen;
        // `xl debug-keys Q` output collected apart from the main log.
        if let Some(q) = snapshot.get("xen/debugkey-Q.txt")
            && let Ok(qlog) = xenlog::parse(&q.path, &q.bytes)
            && xen.pci_owners.is_empty()
        {
            xen.pci_owners = qlog.pci_owners;
            xen.pci_owners_artifact = Some(q.path.clone());
        }
        debug_key_dumps(snapshot, &mut xen, &mut warnings);
        // The running Xen's build configuration, found by the version the log names.
        let running = xen.version.as_ref().map(|v| v.full());
        xen.build_config =
            xen_config::find(snapshot, running.as_deref(), &mut xen.build_config_warnings);
        let has_dom0 = snapshot
            .artifacts
            .keys()
            .any(|k| k.starts_with("linux/") || k == efi::SECURE_BOOT_VAR);
        let dom0 = has_dom0.then(|| {
            let text = |p: &str| {
                snapshot
                    .get(p)
                    .map(|a| String::from_utf8_lossy(&a.bytes).trim().to_owned())
            };
            let res = |p: &str, w: &mut Vec<Warning>| {
                snapshot
                    .get(p)
                    .map(|a| linux::resources::parse(p, &a.bytes, w))
                    .unwrap_or_default()
            };
            linux::Dom0View {
                iomem: res("linux/iomem", &mut warnings),
                ioports: res("linux/ioports", &mut warnings),
                lockdown: snapshot
                    .get("linux/lockdown")
                    .and_then(|a| linux::lockdown::parse(&a.path, &a.bytes)),
                cmdline: text("linux/cmdline"),
                version: snapshot
                    .get("linux/version")
                    .and_then(|a| linux::version(&a.path, &a.bytes)),
                secure_boot: snapshot
                    .get(efi::SECURE_BOOT_VAR)
                    .and_then(|a| efi::secure_boot(&a.path, &a.bytes)),
            }
        });
        Ok(Facts {
            xen: Some(xen),
            acpi,
            cpuinfo,
            pci,
            dom0,
            warnings,
            identity: Identity::of(snapshot),
        })
    }
}

fn join(errors: &[xenlog::LogError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Debug keys `'i'` and `'M'` collected apart from the main log (`xen/debugkey-i.txt`,
/// `xen/debugkey-M.txt`). They were pressed after the `'q'` dump the main log ends with, so
/// they replace any older dump the log holds (an earlier collect in the same boot).
fn debug_key_dumps(snapshot: &Snapshot, xen: &mut XenLog, warnings: &mut Vec<Warning>) {
    for (name, msi) in [("xen/debugkey-i.txt", false), ("xen/debugkey-M.txt", true)] {
        let Some(a) = snapshot.get(name) else {
            continue;
        };
        let Ok(other) = xenlog::parse(&a.path, &a.bytes) else {
            continue;
        };
        warnings.extend(
            other
                .warnings
                .into_iter()
                .filter(|w| w.message.contains("debug-key")),
        );
        let (d, o) = (&mut xen.irq_dumps, other.irq_dumps);
        if msi && !o.msi.is_empty() {
            d.msi = o.msi;
            d.msi_artifact = Some(a.path.clone());
        } else if !msi && !o.bindings.is_empty() {
            d.bindings = o.bindings;
            d.bindings_artifact = Some(a.path.clone());
        }
    }
}
