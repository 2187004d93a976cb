//! The hypercall table: data files compiled into the binary, so the table is
//! reviewed as data (one row per operation, each citing the Xen source it was
//! read from) and the code only evaluates it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The table's files, in the order their rows are listed.
const META: &str = include_str!("../data/table.toml");
const ROWS: &[(&str, &str)] = &[
    ("platform.toml", include_str!("../data/platform.toml")),
    ("efi.toml", include_str!("../data/efi.toml")),
    ("control.toml", include_str!("../data/control.toml")),
    ("pv.toml", include_str!("../data/pv.toml")),
];

/// One operation dom0 may ask of Xen (field meanings: `data/table.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Stable identifier, `hypercall.cmd[.sub]`; never reused.
    pub id: String,
    /// `__HYPERVISOR_*` name without the prefix (e.g. `platform_op`).
    pub hypercall: String,
    /// Its hypercall number (e.g. 7 for `platform_op`).
    pub hypercall_number: u32,
    /// The command (`XENPF_*`, `XEN_SYSCTL_*`, `XEN_DOMCTL_*`, `KEXEC_CMD_*` …).
    pub cmd: String,
    /// The command's number.
    pub number: u32,
    /// The sub-operation (an EFI runtime sub-op, a kexec image type …), when the row is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The sub-operation's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_number: Option<u32>,
    /// Short human name (e.g. `EFI GetTime`).
    pub name: String,
    /// What the operation lets dom0 do to Xen or the firmware.
    pub effect: String,
    /// The XSM hook Xen calls for it (e.g. `xsm_platform_op`).
    pub xsm_hook: String,
    /// The dummy (default) XSM module's action for that hook (e.g. `XSM_PRIV`).
    pub dummy: String,
    /// Whether that default action lets dom0 (the control domain) through.
    pub dummy_allows_dom0: bool,
    /// The FLASK permission checked (`class:perm`, several joined by ` + `), or `unknown` when FLASK has no case for it.
    pub flask: String,
    /// Kconfig options (without `CONFIG_`) that must all be `y` for the operation to exist.
    #[serde(default)]
    pub kconfig: Vec<String>,
    /// Kconfig options that exist only from a release on (option → first `major.minor`), and
    /// must be `y` there: `SYSCTL` (4.21) gates every sysctl, `MICROCODE_LOADING` (4.22) late
    /// microcode loading. Releases before it have no such option, so it decides nothing there.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kconfig_since: BTreeMap<String, String>,
    /// Xen command-line switches that remove it, `, `-separated; `(no X)` means leaving X off, Xen's default.
    #[serde(default)]
    pub cmdline: String,
    /// Host conditions the evaluator checks.
    #[serde(default)]
    pub needs: Vec<Need>,
    /// The checked releases (`major.minor`, `4.23` = master) the operation exists in.
    pub versions: Vec<String>,
    /// The Xen community's classification, only where it published one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<Class>,
    /// Where the Xen community singled the operation out (a citation), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
    /// Anything else the verdict should know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The dispatch site in Xen's source at each checked tag that has the operation.
    pub source: Vec<SourceRef>,
}

impl Operation {
    /// `XENPF_efi_runtime_call/XEN_EFI_set_variable (49/7)`, as people search for it.
    pub fn label(&self) -> String {
        match (&self.sub, self.sub_number) {
            (Some(s), Some(n)) => format!("{}/{} ({}/{})", self.cmd, s, self.number, n),
            (Some(s), None) => format!("{}/{} ({})", self.cmd, s, self.number),
            _ => format!("{} ({})", self.cmd, self.number),
        }
    }

    /// What removes the operation: the Kconfig options and the command-line switch.
    pub fn removed_by(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .kconfig
            .iter()
            .map(|k| format!("CONFIG_{k}=n"))
            .collect();
        v.extend(
            self.kconfig_since
                .iter()
                .map(|(k, since)| format!("CONFIG_{k}=n ({since}+)")),
        );
        if !self.cmdline.is_empty() {
            v.push(self.cmdline.clone());
        }
        v
    }
}

/// A host condition the evaluator checks (`needs` in the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Xen booted through EFI (xen.efi or multiboot2 on EFI firmware).
    EfiBoot,
    /// EFI runtime services left on (no `efi=no-rs`, SetVirtualAddressMap worked).
    EfiRs,
    /// The hypercall exists for PV guests only.
    PvDom0,
    /// Only a translated (PVH) dom0 can use it on itself.
    PvhDom0,
    /// `cpufreq=dom0-kernel` hands frequency control to dom0.
    CpufreqDom0Kernel,
    /// Machine-check support not turned off (`mce=0`).
    Mce,
    /// `crashkernel=` reserved a crash area.
    Crashkernel,
    /// Xen knows the ACPI PM1 control block.
    AcpiSleep,
    /// Xen does not implement it.
    Unimplemented,
}

/// The Xen community's two-way classification (Xen Summit 2025), where published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Class {
    /// The community's "privileged command" class.
    #[serde(rename = "privileged command")]
    PrivilegedCommand,
    /// The community's "control plane" class.
    #[serde(rename = "control plane")]
    ControlPlane,
}

/// `TAG:path:line` in Xen's tree, and the text found on that line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// `TAG:path:line` in xen.git, e.g. `RELEASE-4.17.7:xen/common/efi/runtime.c:379`.
    pub at: String,
    /// The text on that line (`tests/table.rs` re-checks it against a xen.git clone when `DOM0SCOPE_XEN_GIT` is set).
    pub text: String,
}

impl SourceRef {
    /// (tag, path, line), or None when `at` is malformed.
    pub fn parts(&self) -> Option<(&str, &str, u32)> {
        let (tag, rest) = self.at.split_once(':')?;
        let (path, line) = rest.rsplit_once(':')?;
        let line = line.parse().ok().filter(|&l| l > 0)?;
        (!tag.is_empty() && !path.is_empty()).then_some((tag, path, line))
    }
}

/// A Xen version the table was checked against, and the release tag read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checked {
    /// The release, `major.minor` (e.g. `4.17`), as rows' `versions` name it.
    pub version: String,
    /// The xen.git tag (or, for master, the commit) read for it (e.g. `RELEASE-4.17.7`).
    pub tag: String,
    /// What the version stands for when it is not a release (`master, 4.23-unstable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The whole table.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// The releases (and tags) the table was checked against.
    pub checked: Vec<Checked>,
    /// Why no row carries a community class yet.
    pub class_note: String,
    /// Every row, in file order (platform, EFI, control, PV).
    pub ops: Vec<Operation>,
}

/// The command-line item that stands for each switch-like need.
const SWITCHES: &[(Need, &str)] = &[
    (Need::EfiRs, "efi=no-rs"),
    (Need::Mce, "mce=0"),
    (Need::Crashkernel, "(no crashkernel=)"),
    (Need::PvDom0, "dom0=pvh"),
    (Need::PvhDom0, "(no dom0=pvh)"),
    (Need::CpufreqDom0Kernel, "(no cpufreq=dom0-kernel)"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    checked: Vec<Checked>,
    class_note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowsFile {
    op: Vec<Operation>,
}

/// A table file that does not parse, named.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {source}")]
pub struct TableError {
    /// `table.toml` or the rows file.
    pub file: String,
    /// What TOML or the row schema said.
    #[source]
    pub source: toml::de::Error,
}

impl Table {
    /// Parses the table from its files' text; errors name the file.
    pub fn parse(meta: &str, rows: &[(&str, &str)]) -> Result<Table, TableError> {
        let m: Meta = toml::from_str(meta).map_err(|source| TableError {
            file: "table.toml".into(),
            source,
        })?;
        let mut ops = Vec::new();
        for (name, text) in rows {
            let f: RowsFile = toml::from_str(text).map_err(|source| TableError {
                file: (*name).to_owned(),
                source,
            })?;
            ops.extend(f.op);
        }
        Ok(Table {
            checked: m.checked,
            class_note: m.class_note,
            ops,
        })
    }

    /// The table compiled into this binary.
    pub fn builtin() -> &'static Table {
        static T: OnceLock<Table> = OnceLock::new();
        T.get_or_init(|| {
            // The files are ours and `tests/table.rs` parses and validates them.
            Table::parse(META, ROWS).expect("the built-in hypercall table parses")
        })
    }

    /// The checked version for `major.minor`, if the table covers it.
    pub fn checked(&self, version: &str) -> Option<&Checked> {
        self.checked.iter().find(|c| c.version == version)
    }

    /// Every inconsistency in the table (empty when it is sound).
    pub fn validate(&self) -> Vec<String> {
        let mut errs = Vec::new();
        let mut ids = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for op in &self.ops {
            let id = &op.id;
            if !ids.insert(id.as_str()) {
                errs.push(format!("{id}: duplicate id"));
            }
            let key = (op.hypercall.as_str(), op.cmd.as_str(), op.sub.as_deref());
            if !keys.insert(key) {
                errs.push(format!("{id}: duplicate operation {key:?}"));
            }
            if op.versions.is_empty() {
                errs.push(format!("{id}: no versions"));
            }
            for v in &op.versions {
                let Some(c) = self.checked(v) else {
                    errs.push(format!("{id}: version {v} was not checked"));
                    continue;
                };
                if !op
                    .source
                    .iter()
                    .any(|s| s.parts().is_some_and(|p| p.0 == c.tag))
                {
                    errs.push(format!("{id}: no source at {} for {v}", c.tag));
                }
            }
            for s in &op.source {
                match s.parts() {
                    None => errs.push(format!("{id}: malformed source {:?}", s.at)),
                    Some((tag, ..)) if !self.checked.iter().any(|c| c.tag == tag) => {
                        errs.push(format!("{id}: source {} is not at a checked tag", s.at));
                    }
                    Some(_) if s.text.trim().is_empty() => {
                        errs.push(format!("{id}: source {} has no text", s.at));
                    }
                    Some(_) => {}
                }
            }
            if op.flask != "unknown" && !op.flask.contains(':') {
                errs.push(format!("{id}: flask must be class:perm or \"unknown\""));
            }
            // Each switch-like need names its switch in `cmdline`, and only then.
            let items: Vec<&str> = op.cmdline.split(", ").collect();
            for (need, switch) in SWITCHES {
                if op.needs.contains(need) != items.contains(switch) {
                    errs.push(format!(
                        "{id}: needs {need:?} and cmdline {switch:?} disagree"
                    ));
                }
            }
            for (k, since) in &op.kconfig_since {
                if op.kconfig.contains(k) {
                    errs.push(format!("{id}: CONFIG_{k} both always and since {since}"));
                }
                if release_key(since).is_none() || self.checked(since).is_none() {
                    errs.push(format!(
                        "{id}: CONFIG_{k} since {since}: not a checked release"
                    ));
                }
            }
            if op.sub.is_none() && op.sub_number.is_some() {
                errs.push(format!("{id}: sub_number without sub"));
            }
            for field in [&op.name, &op.effect, &op.xsm_hook, &op.dummy] {
                if field.trim().is_empty() {
                    errs.push(format!("{id}: empty field"));
                }
            }
        }
        errs
    }
}

/// `major.minor` as numbers, so that `4.9` sorts before `4.17`; None when malformed.
pub fn release_key(v: &str) -> Option<(u32, u32)> {
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}
