//! The report stage: renders an audit for people (text, with colour when the
//! terminal wants it) and for programs (JSON with a versioned schema,
//! `docs/json-schema/dom0scope-audit-1.json`; SARIF 2.1.0).
//!
//! Both text views open with the answer (level, the one-sentence answer, the counts and
//! the result): [`render_summary`] is the screenful `audit` prints by default,
//! [`render_details`] the full evidence (`audit --details`).

mod answer;
mod escape;
mod reach;
mod sarif;
mod style;
mod summary;
mod text;
mod wrap;

use dom0scope_facts::Facts;
use dom0scope_inventory::Inventory;
use dom0scope_surface::Surface;
use dom0scope_verdict::{Severity, Verdict};
use serde::Serialize;

pub use answer::render_header;
pub use escape::for_terminal;
pub use sarif::{SARIF_SCHEMA_URI, render_sarif};
pub use summary::render_summary;
pub use text::render_details;
pub use wrap::{DEFAULT_WIDTH, MIN_WIDTH};

/// Version of the JSON document; bumped on any incompatible change.
pub const JSON_SCHEMA: &str = "dom0scope-audit/1";

/// What was audited.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotInfo {
    /// Human label, e.g. "snapshot directory /tmp/x".
    pub label: String,
    /// True for a bare log (no ACPI tables, PCI config, …).
    pub bare_log: bool,
    /// Damage and problems found while reading it; non-empty means degraded.
    pub problems: Vec<String>,
}

/// The host as the snapshot describes it.
#[derive(Debug, Clone, Serialize)]
pub struct HostInfo {
    /// Xen's version from its log banner, e.g. `4.20.5-pre`.
    pub xen_version: Option<String>,
    /// The distribution package version where the build prints it (Debian, Ubuntu).
    pub xen_package: Option<String>,
    /// Whether Xen is a `debug=y` build, per its banner (None when the banner does not say).
    pub xen_debug: Option<bool>,
    /// Xen's command line as its log prints it.
    pub xen_cmdline: Option<String>,
    /// `PV` or `PVH`, from Xen's log.
    pub dom0_mode: Option<String>,
    /// Vendor, family and model from Xen's `CPU Vendor` line, e.g. `AMD family 0xf model 0x6b`.
    pub cpu: Option<String>,
    /// `disabled`, or `enabled` with dom0's DMA mode (the model's, when it settled one) and
    /// interrupt remapping.
    pub iommu: Option<String>,
}

impl HostInfo {
    /// Summarises the facts about the host.
    pub fn from_facts(facts: &Facts) -> HostInfo {
        let x = facts.xen.as_ref();
        let iommu = x.and_then(|l| {
            let en = l.iommu.enabled.as_ref()?.value;
            if !en {
                return Some("disabled".to_owned());
            }
            let mut s = String::from("enabled");
            if let Some(m) = &l.iommu.dom0_mode {
                s.push_str(&format!(", dom0 DMA {:?}", m.value).to_lowercase());
            }
            if let Some(r) = &l.iommu.interrupt_remapping {
                s.push_str(if r.value {
                    ", interrupt remapping on"
                } else {
                    ", interrupt remapping off"
                });
            }
            Some(s)
        });
        HostInfo {
            xen_version: x.and_then(|l| l.version.as_ref().map(|v| v.full())),
            xen_package: x.and_then(|l| l.version.as_ref().and_then(|v| v.package.clone())),
            xen_debug: x.and_then(|l| l.version.as_ref().and_then(|v| v.debug)),
            xen_cmdline: x.and_then(|l| l.cmdline.as_ref().map(|c| c.value.clone())),
            dom0_mode: x.and_then(|l| l.dom0.as_ref().map(|d| d.mode.label().to_owned())),
            cpu: x.and_then(|l| {
                l.cpu
                    .as_ref()
                    .map(|c| format!("{} family {:#x} model {:#x}", c.vendor, c.family, c.model))
            }),
            iommu,
        }
    }
}

/// Who the host is: the snapshot's DMI identity, hostname and collection time, with the Xen
/// release. Each field is absent when the snapshot does not state it (a bare log states only
/// the Xen release).
#[derive(Debug, Clone, Serialize)]
pub struct HostIdentity {
    /// DMI vendor, product and serial, hostname, collection time.
    #[serde(flatten)]
    pub host: dom0scope_facts::Identity,
    /// Xen's version from its log banner (as `host.xen_version`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xen_version: Option<String>,
}

/// The model checked against Xen's own rangesets.
#[derive(Debug, Clone, Serialize)]
pub struct ModelCheck {
    /// The model predicts exactly Xen's rangesets.
    pub agrees: bool,
    /// Each range on which they disagree, with the model's rule that decided it.
    pub differences: Vec<dom0scope_reach::verify::Difference>,
    /// Facts the model had to assume, and what in a snapshot would pin each.
    pub assumptions: Vec<dom0scope_reach::model::Assumption>,
}

/// One audit, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// [`JSON_SCHEMA`], so readers can refuse a document they do not understand.
    pub schema: &'static str,
    /// `dom0scope` and the version that wrote the audit.
    pub tool: String,
    /// What was audited.
    pub snapshot: SnapshotInfo,
    /// The host as the snapshot describes it.
    pub host: HostInfo,
    /// Who the host is, in one object, so audits of a fleet can be joined on it.
    pub identity: HostIdentity,
    /// dom0's reach named by owner: what the verdict judged.
    pub surface: Surface,
    /// Bytes of dom0-reachable frames that no artifact claims (whole frames
    /// inside inventory holes); None without Xen's rangesets.
    pub unclaimed_reachable_bytes: Option<u64>,
    /// None when either side is missing (no `q` dump, or no usable Xen log).
    pub model: Option<ModelCheck>,
    /// The policy's answer.
    pub verdict: Verdict,
    /// Parse warnings (lines that looked known but did not parse).
    pub warnings: Vec<String>,
    /// The threshold for a failing exit code.
    pub fail_on: Severity,
    /// True when a finding is at or above `fail_on`.
    pub fails: bool,
    /// The answer at `fail_on`: a PASS needs every rule at or above it judged (or waived).
    pub result: Outcome,
    /// Rules at or above `fail_on` that could not be evaluated (what keeps a non-failing
    /// audit from passing).
    pub incomplete: Vec<String>,
}

/// The audit's answer at `--fail-on`, and its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No unwaived finding at or above the threshold, and every rule there was evaluated or
    /// waived (exit 0).
    Pass,
    /// An unwaived finding is at or above the threshold (exit 1).
    Fail,
    /// Nothing at or above the threshold fired, but some rule there could not be evaluated:
    /// the evidence does not settle it (exit 3).
    Incomplete,
}

impl Outcome {
    /// The exit status the CLI returns for it.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Incomplete => 3,
        }
    }

    /// `PASS`, `FAIL`, `INCOMPLETE`.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Incomplete => "INCOMPLETE",
        }
    }
}

impl Audit {
    /// Assembles the audit from the stages' outputs.
    pub fn new(
        snapshot: SnapshotInfo,
        facts: &Facts,
        inventory: &Inventory,
        surface: Surface,
        verdict: Verdict,
        fail_on: Severity,
    ) -> Audit {
        let mut warnings: Vec<String> = facts.warnings.iter().map(|w| w.to_string()).collect();
        if let Some(x) = &facts.xen {
            warnings.extend(x.warnings.iter().map(|w| w.to_string()));
        }
        let fails = verdict.worst().is_some_and(|w| w >= fail_on);
        let incomplete: Vec<String> = verdict
            .not_evaluated
            .iter()
            .filter(|n| n.severity >= fail_on)
            .map(|n| n.id.clone())
            .collect();
        let result = if fails {
            Outcome::Fail
        } else if incomplete.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Incomplete
        };
        let mut host = HostInfo::from_facts(facts);
        if let (Some(p), Some(i)) = (surface.reach().predicted(), &mut host.iommu)
            && i.starts_with("enabled")
            && !p.dma.inferred
        {
            // The mode the model settled on (a PVH dom0 is forced to strict after
            // Xen printed the mode it parsed).
            let rest = i
                .split_once(", interrupt")
                .map(|(_, r)| format!(", interrupt{r}"));
            *i = format!(
                "enabled, dom0 DMA {}{}",
                format!("{:?}", p.dma.mode).to_lowercase(),
                rest.unwrap_or_default()
            );
        }
        let model = match (surface.reach().predicted(), surface.reach().comparison()) {
            (Some(p), Some(c)) => Some(ModelCheck {
                agrees: c.agrees,
                differences: c.differences.clone(),
                assumptions: p.assumptions.clone(),
            }),
            _ => None,
        };
        let unclaimed_reachable_bytes = surface
            .reach()
            .observed()
            .map(|o| inventory.unclaimed_bytes_in(&o.iomem));
        let identity = HostIdentity {
            host: facts.identity.clone(),
            xen_version: host.xen_version.clone(),
        };
        Audit {
            schema: JSON_SCHEMA,
            tool: format!("dom0scope {}", env!("CARGO_PKG_VERSION")),
            snapshot,
            host,
            identity,
            surface,
            unclaimed_reachable_bytes,
            model,
            verdict,
            warnings,
            fail_on,
            fails,
            result,
            incomplete,
        }
    }

    /// The JSON document.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"schema\":\"{JSON_SCHEMA}\",\"error\":\"{e}\"}}"));
        s.push('\n');
        s
    }
}
