//! Availability of one operation on one host: every condition the table names
//! (version, Kconfig, `needs`, XSM) is checked against the host's facts. Any
//! "no" makes it not available, else any "cannot tell" makes it unknown; it is
//! available only when every condition is positively shown (or is Xen's
//! documented default, cited as the command line it is absent from).

use dom0scope_facts::xenlog::Dom0Mode;
use serde::Serialize;

use crate::host::{Fact, Host, XsmMode, xsm_label};
use crate::table::{Need, Operation, Table, release_key};

/// Whether dom0 can use the operation on this host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Availability {
    /// Every condition is positively shown (or is Xen's documented default).
    Available,
    /// Why not (each a short reason, e.g. `no EFI`, `efi=no-rs`).
    NotAvailable {
        /// One reason per condition that fails, deduplicated, in check order.
        why: Vec<String>,
    },
    /// What would decide it.
    Unknown {
        /// What would decide each open condition, deduplicated, in check order.
        needs: Vec<String>,
    },
}

impl std::fmt::Display for Availability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Availability::Available => f.write_str("available"),
            Availability::NotAvailable { why } => write!(f, "not available ({})", why.join("; ")),
            Availability::Unknown { needs } => write!(f, "unknown (needs {})", needs.join("; ")),
        }
    }
}

/// One table row with its availability here.
#[derive(Debug, Clone, Serialize)]
pub struct OpSurface<'t> {
    /// The table row.
    #[serde(flatten)]
    pub op: &'t Operation,
    /// Its availability on this host.
    pub availability: Availability,
    /// True when the verdict rests on a default the tool carries (Debian's config).
    pub assumed: bool,
    /// The facts the verdict rests on: for "not available", those that rule it out.
    pub evidence: Vec<Fact>,
}

enum Check {
    Yes(Option<Fact>),
    No(String, Option<Fact>),
    Unknown(String),
}

/// Evaluates one operation.
pub fn evaluate<'t>(op: &'t Operation, table: &Table, host: &Host) -> OpSurface<'t> {
    let version = version(op, table, host);
    let unchecked = matches!(&version, Check::Unknown(_));
    let mut checks = vec![version];
    checks.extend(op.kconfig.iter().map(|k| kconfig(k, host)));
    checks.extend(
        op.kconfig_since
            .iter()
            .filter_map(|(k, since)| kconfig_since(k, since, host)),
    );
    checks.extend(op.needs.iter().map(|n| need(*n, host)));
    checks.push(xsm(op, host));

    let (mut yes, mut no, mut why, mut unknown) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for c in checks {
        match c {
            Check::Yes(f) => yes.extend(f),
            Check::No(w, f) => {
                push_unique(&mut why, w);
                no.extend(f);
            }
            Check::Unknown(n) => push_unique(&mut unknown, n),
        }
    }
    // A version the table was not checked against decides nothing: what the
    // checked versions would say is kept as context, not as a verdict.
    if unchecked && !why.is_empty() {
        let would = format!(
            "(as in the checked versions, it would not be available: {})",
            why.join("; ")
        );
        why.clear();
        unknown.push(would);
        yes.append(&mut no);
    }
    let (availability, evidence) = if !why.is_empty() {
        (Availability::NotAvailable { why }, no)
    } else if !unknown.is_empty() {
        (Availability::Unknown { needs: unknown }, yes)
    } else {
        (Availability::Available, yes)
    };
    OpSurface {
        op,
        availability,
        assumed: evidence.iter().any(|f| f.assumed),
        evidence,
    }
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn version(op: &Operation, table: &Table, host: &Host) -> Check {
    let Some(v) = &host.version else {
        return Check::Unknown("the Xen version (no 'Xen version' line)".into());
    };
    if table.checked(&v.release).is_none() {
        let covered: Vec<&str> = table.checked.iter().map(|c| c.version.as_str()).collect();
        return Check::Unknown(format!(
            "a table checked against Xen {} (this one covers {})",
            v.release,
            covered.join(", ")
        ));
    }
    if op.versions.contains(&v.release) {
        Check::Yes(Some(v.fact.clone()))
    } else {
        Check::No(format!("not in Xen {}", v.release), Some(v.fact.clone()))
    }
}

fn kconfig(name: &str, host: &Host) -> Check {
    match &host.config {
        Some(c) => match c.fact(name) {
            (true, f) => Check::Yes(Some(f)),
            (false, f) => Check::No(format!("CONFIG_{name} is not set"), Some(f)),
        },
        None => Check::Unknown(format!(
            "the build configuration (CONFIG_{name}): hypfs /buildinfo/config or /boot/xen-*.config"
        )),
    }
}

/// A Kconfig option that exists from `since` on: checked on those releases, skipped before
/// (the option does not exist there), unknown while the release is.
fn kconfig_since(name: &str, since: &str, host: &Host) -> Option<Check> {
    let Some(v) = &host.version else {
        return Some(Check::Unknown(format!(
            "the Xen version (CONFIG_{name} exists from {since})"
        )));
    };
    let (here, from) = (release_key(&v.release)?, release_key(since)?);
    (here >= from).then(|| kconfig(name, host))
}

const NO_CMDLINE: &str = "Xen's command line (no 'Command line:' line)";

fn need(n: Need, host: &Host) -> Check {
    match n {
        Need::EfiBoot => match &host.efi_boot {
            Some((true, f)) => Check::Yes(Some(f.clone())),
            Some((false, f)) => Check::No("no EFI".into(), Some(f.clone())),
            None => Check::Unknown("how Xen booted (its memory-map header)".into()),
        },
        Need::EfiRs => {
            if let Some(hit) = &host.scan.efi_rs_disabled {
                let f = Fact {
                    fact: "EFI runtime services disabled by Xen".into(),
                    artifact: host.log_artifact.clone(),
                    line: hit.line,
                    text: hit.text.clone(),
                    assumed: false,
                };
                return Check::No(
                    "SetVirtualAddressMap() failed: runtime services off".into(),
                    Some(f),
                );
            }
            let Some(c) = &host.cmdline else {
                return Check::Unknown(NO_CMDLINE.into());
            };
            match c.efi_rs() {
                Some((false, w)) => Check::No(
                    format!("{} on the command line", w.text),
                    host.word_fact("EFI runtime services off", w),
                ),
                Some((true, w)) => Check::Yes(host.word_fact("EFI runtime services on", w)),
                None => Check::Yes(
                    host.default_fact("EFI runtime services on (no efi=no-rs: Xen's default)"),
                ),
            }
        }
        Need::PvDom0 | Need::PvhDom0 => {
            let want = if n == Need::PvDom0 {
                Dom0Mode::Pv
            } else {
                Dom0Mode::Pvh
            };
            match &host.dom0 {
                Some((m, f)) if *m == want => Check::Yes(Some(f.clone())),
                Some((m, f)) => Check::No(
                    format!("{}-only; dom0 is {}", want.label(), m.label()),
                    Some(f.clone()),
                ),
                None => Check::Unknown("dom0's mode (Xen's dom0 build lines)".into()),
            }
        }
        Need::CpufreqDom0Kernel => match host.cmdline.as_ref().map(|c| c.cpufreq_dom0_kernel()) {
            None => Check::Unknown(NO_CMDLINE.into()),
            Some(Some((true, w))) => Check::Yes(host.word_fact("cpufreq=dom0-kernel", w)),
            Some(Some((false, w))) => Check::No(
                format!("{}: Xen keeps frequency control", w.text),
                host.word_fact("cpufreq is not dom0's", w),
            ),
            Some(None) => Check::No(
                "no cpufreq=dom0-kernel: Xen keeps frequency control".into(),
                host.default_fact("no cpufreq=dom0-kernel on the command line"),
            ),
        },
        Need::Mce => {
            if let Some(hit) = &host.scan.mce_disabled {
                let f = Fact {
                    fact: "MCE disabled".into(),
                    artifact: host.log_artifact.clone(),
                    line: hit.line,
                    text: hit.text.clone(),
                    assumed: false,
                };
                return Check::No("MCE support disabled".into(), Some(f));
            }
            match host.cmdline.as_ref().map(|c| c.boolean("mce")) {
                None => Check::Unknown(NO_CMDLINE.into()),
                Some(Some((false, w))) => Check::No(
                    format!("{} on the command line", w.text),
                    host.word_fact("MCE disabled", w),
                ),
                Some(Some((true, w))) => Check::Yes(host.word_fact("MCE on", w)),
                Some(None) => Check::Yes(host.default_fact("MCE on (no mce=0: Xen's default)")),
            }
        }
        Need::Crashkernel => match host.cmdline.as_ref().map(|c| c.custom("crashkernel")) {
            None => Check::Unknown(NO_CMDLINE.into()),
            Some(Some((w, _))) => Check::Yes(host.word_fact("crash area requested", w)),
            Some(None) => Check::No(
                "no crashkernel=: no crash area".into(),
                host.default_fact("no crashkernel= on the command line"),
            ),
        },
        Need::AcpiSleep => match &host.acpi_sleep {
            Some((true, f)) => Check::Yes(Some(f.clone())),
            _ => {
                Check::Unknown("the ACPI PM1a control block (Xen's 'ACPI: SLEEP INFO' line)".into())
            }
        },
        Need::Unimplemented => Check::No("not implemented by Xen (-ENOSYS)".into(), None),
    }
}

fn xsm(op: &Operation, host: &Host) -> Check {
    let (mode, facts) = &host.xsm;
    let fact = facts.first().cloned();
    match mode {
        XsmMode::Dummy | XsmMode::Silo if op.dummy_allows_dom0 => Check::Yes(fact),
        XsmMode::Dummy | XsmMode::Silo => {
            Check::No(format!("{}: {}", xsm_label(*mode), op.dummy), fact)
        }
        // Permissive FLASK logs denials but allows them.
        XsmMode::FlaskPermissive => Check::Yes(fact),
        XsmMode::FlaskEnforcing | XsmMode::FlaskLate => {
            let late = if *mode == XsmMode::FlaskLate {
                " (once dom0 loads one)"
            } else {
                ""
            };
            Check::Unknown(if op.flask == "unknown" {
                format!(
                    "the FLASK policy{late}: no specific permission, allowed only with allow_unknown"
                )
            } else {
                format!("the FLASK policy{late}: does dom0 hold {}?", op.flask)
            })
        }
        XsmMode::Unknown => {
            Check::Unknown("the XSM module: the build configuration (CONFIG_XSM)".into())
        }
    }
}
