//! What the snapshot says about the host, as the availability rules need it:
//! Xen version, build configuration (and where it came from), effective command
//! line, EFI boot, dom0 mode and XSM module; each fact with its evidence.

use dom0scope_facts::Facts;
use dom0scope_facts::xen_config::{self, KConfig, Value, XenConfig};
use dom0scope_facts::xenlog::startup::{Startup, XsmLine};
use dom0scope_facts::xenlog::{Dom0Mode, XenLog};
use serde::Serialize;

use crate::cmdline::{Cmdline, Origin, Word};

/// Debian's shipped configurations, carried as defaults for Debian builds whose
/// snapshot holds none (provenance: `data/debian/README.md`).
const DEBIAN: &[(&str, &str, &str, &str)] = &[
    (
        "4.17",
        "dom0scope:data/debian/xen-4.17.config",
        "4.17.7+13-g2445b30a44-0+deb12u1",
        include_str!("../data/debian/xen-4.17.config"),
    ),
    (
        "4.20",
        "dom0scope:data/debian/xen-4.20.config",
        "4.20.4+63-g7abfd2bce2-0+deb13u1",
        include_str!("../data/debian/xen-4.20.config"),
    ),
];

/// One fact an availability rests on, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// What it says, e.g. `EFI boot`, `CONFIG_KEXEC=y`.
    pub fact: String,
    /// Artifact in the snapshot, or `dom0scope:…` for a default the tool carries.
    pub artifact: String,
    /// 1-based line; 0 when the fact is about the whole artifact (e.g. a symbol absent).
    pub line: u32,
    /// The cited line's text (for an absent Kconfig symbol, a note saying so).
    pub text: String,
    /// True when it comes from a default the tool carries, not from this snapshot.
    pub assumed: bool,
}

impl Fact {
    fn at(fact: impl Into<String>, artifact: &str, line: u32, text: impl Into<String>) -> Fact {
        Fact {
            fact: fact.into(),
            artifact: artifact.to_owned(),
            line,
            text: text.into(),
            assumed: false,
        }
    }
}

/// How the build configuration was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigSource {
    /// hypfs `/buildinfo/config`: the running Xen's own.
    Hypfs,
    /// `/boot/xen-*.config` matching the running version.
    Boot,
    /// Debian's shipped configuration for this release, assumed.
    DebianDefault,
}

/// A build configuration and its origin.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// Where it was read from.
    pub source: ConfigSource,
    /// Artifact path, or `dom0scope:…` for a carried default.
    pub artifact: String,
    /// For a default: the package version it was read from.
    pub default_of: Option<String>,
    /// The parsed `.config`.
    pub kconfig: KConfig,
}

impl BuildConfig {
    /// The fact that `CONFIG_name` is on or off here.
    pub fn fact(&self, name: &str) -> (bool, Fact) {
        let assumed = self.source == ConfigSource::DebianDefault;
        let (on, line, text) = match self.kconfig.get(name) {
            Some(e) => (e.value == Value::Yes, e.line, e.text.clone()),
            None => (false, 0, format!("(no CONFIG_{name} line: off)")),
        };
        let what = if on {
            format!("CONFIG_{name}=y")
        } else {
            format!("CONFIG_{name} is not set")
        };
        let mut f = Fact::at(what, &self.artifact, line, text);
        f.assumed = assumed;
        (on, f)
    }
}

/// The XSM module in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum XsmMode {
    /// No XSM, or the dummy module: the default actions of `include/xsm/dummy.h`.
    Dummy,
    /// SILO: the dummy actions for dom0's privileged operations.
    Silo,
    /// FLASK enforcing its policy: whether dom0 holds the permission depends on the policy.
    FlaskEnforcing,
    /// FLASK permissive: denials are logged, not enforced.
    FlaskPermissive,
    /// `flask=late`: allowed until dom0 loads a policy.
    FlaskLate,
    /// Neither an XSM start-up line nor a build configuration says.
    Unknown,
}

/// The Xen version with its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// `4.17`.
    pub release: String,
    /// `4.17.7`.
    pub full: String,
    /// Distribution package version from the banner (e.g. `Debian 4.17.7+13-…`).
    pub package: Option<String>,
    /// The `Xen version` banner line.
    #[serde(skip)]
    pub fact: Fact,
}

/// Everything the rules read about the host.
#[derive(Debug, Clone)]
pub struct Host {
    /// From the `Xen version` banner.
    pub version: Option<Version>,
    /// The build configuration: hypfs, a matching `/boot` config, or Debian's carried default.
    pub config: Option<BuildConfig>,
    /// The effective command line, or None when the log has no `Command line:`.
    pub cmdline: Option<Cmdline>,
    /// Evidence for each command-line origin (`Command line:` / built-in source).
    pub cmdline_loader: Option<Fact>,
    /// Evidence for the built-in command line: `CONFIG_CMDLINE`, else Xen's `Built-in command line:` line.
    pub cmdline_builtin: Option<Fact>,
    /// Whether Xen booted through EFI (memory-map label, `Bootloader: EFI`, or the EFI memory map dump), with its evidence.
    pub efi_boot: Option<(bool, Fact)>,
    /// dom0's mode, from the `*** Building a PV/PVH Dom0 ***` line.
    pub dom0: Option<(Dom0Mode, Fact)>,
    /// Xen knows a PM1a control block (`ACPI: SLEEP INFO`), needed for ACPI sleep.
    pub acpi_sleep: Option<(bool, Fact)>,
    /// The XSM module in force, with the facts it was decided on.
    pub xsm: (XsmMode, Vec<Fact>),
    /// The log's start-up lines (from the facts stage).
    pub scan: Startup,
    /// The Xen log's artifact path (cited for start-up lines).
    pub log_artifact: String,
    /// Configuration artifacts not used and their parser's problems (`path: why`).
    pub warnings: Vec<String>,
}

impl Host {
    /// Reads the host's facts from the facts stage's output.
    pub fn read(facts: &Facts) -> Host {
        let empty = XenLog::default();
        let xen = facts.xen.as_ref().unwrap_or(&empty);
        let art = xen.artifact.clone();
        let warnings = xen.build_config_warnings.clone();
        let ev = |line: u32| xen.evidence(line).text;
        let version = xen.version.as_ref().map(|v| Version {
            release: format!("{}.{}", v.major, v.minor),
            full: v.full(),
            package: v.package.clone(),
            fact: Fact::at(format!("Xen {}", v.full()), &art, v.line, ev(v.line)),
        });
        let config = build_config(xen.build_config.as_ref(), version.as_ref());
        let scan = xen.startup.clone();

        // Built-in command line: the config's CONFIG_CMDLINE, else Xen's own log line.
        let mut builtin: Option<(String, Fact)> = None;
        let mut override_loader = false;
        if let Some(c) = &config {
            if let Some(e) = c.kconfig.get("CMDLINE")
                && let Value::Str(s) = &e.value
                && !s.is_empty()
            {
                let mut f = Fact::at("built-in command line", &c.artifact, e.line, e.text.clone());
                f.assumed = c.source == ConfigSource::DebianDefault;
                builtin = Some((s.clone(), f));
            }
            override_loader = c.kconfig.enabled("CMDLINE_OVERRIDE");
        }
        if builtin.is_none()
            && let Some((s, hit)) = &scan.builtin_cmdline
        {
            builtin = Some((
                s.clone(),
                Fact::at("built-in command line", &art, hit.line, hit.text.clone()),
            ));
        }
        let loader = xen.cmdline.as_ref().map(|c| {
            let f = Fact::at("Xen command line", &art, c.line, ev(c.line));
            (c.value.clone(), f)
        });
        let cmdline = loader.as_ref().map(|(l, _)| {
            Cmdline::new(
                builtin.as_ref().map(|b| b.0.as_str()),
                Some(l),
                override_loader,
            )
        });

        let efi_boot = efi_boot(xen, &art);
        let dom0 = xen.dom0.as_ref().map(|d| {
            let f = Fact::at(format!("{} dom0", d.mode.label()), &art, d.line, ev(d.line));
            (d.mode, f)
        });
        let acpi_sleep = xen.acpi.sleep.as_ref().map(|s| {
            let known = s.pm1a_cnt.address != 0;
            let what = if known {
                "ACPI PM1a control block known"
            } else {
                "no PM1a control block"
            };
            (known, Fact::at(what, &art, s.line, ev(s.line)))
        });
        let xsm = xsm_mode(
            config.as_ref(),
            cmdline.as_ref(),
            &scan,
            &art,
            loader.as_ref().map(|l| &l.1),
        );
        Host {
            version,
            config,
            cmdline,
            cmdline_loader: loader.map(|l| l.1),
            cmdline_builtin: builtin.map(|b| b.1),
            efi_boot,
            dom0,
            acpi_sleep,
            xsm,
            scan,
            log_artifact: art,
            warnings,
        }
    }

    /// Evidence for a command-line word: the line it came from.
    pub fn word_fact(&self, what: impl Into<String>, w: &Word) -> Option<Fact> {
        let src = match w.origin {
            Origin::Builtin => self.cmdline_builtin.as_ref(),
            Origin::Loader => self.cmdline_loader.as_ref(),
        }?;
        Some(Fact {
            fact: what.into(),
            ..src.clone()
        })
    }

    /// Evidence that an option is absent, so Xen's default applies.
    pub fn default_fact(&self, what: impl Into<String>) -> Option<Fact> {
        let mut f = self.cmdline_loader.clone()?;
        f.fact = what.into();
        Some(f)
    }
}

/// An EFI boot shows in the memory map's label (`EFI RAM map:`), the loader
/// name (`Bootloader: EFI` for xen.efi) or Xen's dump of the EFI memory map.
fn efi_boot(xen: &XenLog, art: &str) -> Option<(bool, Fact)> {
    let ev = |line: u32| xen.evidence(line).text;
    if let Some(m) = &xen.e820 {
        let efi = m.label == "EFI";
        let what = if efi {
            "EFI boot"
        } else {
            "no EFI (BIOS boot)"
        };
        return Some((efi, Fact::at(what, art, m.header_line, ev(m.header_line))));
    }
    if let Some(b) = xen.bootloader.as_ref().filter(|b| b.value == "EFI") {
        return Some((true, Fact::at("EFI boot", art, b.line, ev(b.line))));
    }
    xen.efi_memory_map.as_ref().map(|m| {
        (
            true,
            Fact::at("EFI boot", art, m.header_line, ev(m.header_line)),
        )
    })
}

/// The running configuration as the facts stage found it (hypfs, then a
/// matching /boot config), else Debian's shipped one for a Debian build.
fn build_config(found: Option<&XenConfig>, v: Option<&Version>) -> Option<BuildConfig> {
    if let Some(c) = found {
        return Some(BuildConfig {
            source: match c.source {
                xen_config::Source::Hypfs => ConfigSource::Hypfs,
                xen_config::Source::Boot => ConfigSource::Boot,
            },
            artifact: c.artifact.clone(),
            default_of: None,
            kconfig: c.kconfig.clone(),
        });
    }
    let v = v?;
    let debian = v
        .package
        .as_deref()
        .is_some_and(|p| p.starts_with("Debian "));
    let (_, name, pkg, text) = DEBIAN.iter().find(|d| debian && d.0 == v.release)?;
    Some(BuildConfig {
        source: ConfigSource::DebianDefault,
        artifact: (*name).to_owned(),
        default_of: Some((*pkg).to_owned()),
        kconfig: KConfig::parse(text.as_bytes()),
    })
}

/// The XSM module: Xen's own start-up line when the log has one, else the
/// configuration (`CONFIG_XSM*`) with `xsm=` and `flask=` applied.
fn xsm_mode(
    config: Option<&BuildConfig>,
    cmdline: Option<&Cmdline>,
    scan: &Startup,
    art: &str,
    cmdline_fact: Option<&Fact>,
) -> (XsmMode, Vec<Fact>) {
    if let Some((x, hit)) = &scan.xsm {
        let mode = match x {
            XsmLine::FlaskEnforcing => XsmMode::FlaskEnforcing,
            XsmLine::FlaskPermissive => XsmMode::FlaskPermissive,
            XsmLine::FlaskLate => XsmMode::FlaskLate,
            XsmLine::FlaskDisabled => XsmMode::Dummy,
            XsmLine::Silo => XsmMode::Silo,
        };
        return (
            mode,
            vec![Fact::at(xsm_label(mode), art, hit.line, hit.text.clone())],
        );
    }
    let Some(c) = config else {
        return (XsmMode::Unknown, Vec::new());
    };
    let (xsm, f) = c.fact("XSM");
    let mut facts = vec![f];
    if !xsm {
        return (XsmMode::Dummy, facts);
    }
    let flask = c.kconfig.enabled("XSM_FLASK");
    let silo = c.kconfig.enabled("XSM_SILO");
    let mut module = if c.kconfig.enabled("XSM_FLASK_DEFAULT") {
        "flask"
    } else if c.kconfig.enabled("XSM_SILO_DEFAULT") {
        "silo"
    } else {
        "dummy"
    };
    let mut flask_mode = "enforcing";
    if let Some(cl) = cmdline {
        if let Some((_, v)) = cl.custom("xsm") {
            match v {
                "dummy" => module = "dummy",
                "flask" if flask => module = "flask",
                "silo" if silo => module = "silo",
                _ => {}
            }
            facts.extend(cmdline_fact.cloned().map(|f| Fact {
                fact: format!("xsm={v}"),
                ..f
            }));
        }
        if let Some((_, v)) = cl.custom("flask") {
            flask_mode = v;
            facts.extend(cmdline_fact.cloned().map(|f| Fact {
                fact: format!("flask={v}"),
                ..f
            }));
        }
    }
    let mode = match (module, flask_mode) {
        ("flask", "disabled") => XsmMode::Dummy,
        ("flask", "permissive") => XsmMode::FlaskPermissive,
        ("flask", "late") => XsmMode::FlaskLate,
        ("flask", _) => XsmMode::FlaskEnforcing,
        ("silo", _) => XsmMode::Silo,
        _ => XsmMode::Dummy,
    };
    (mode, facts)
}

/// A short human name for the module.
pub fn xsm_label(mode: XsmMode) -> &'static str {
    match mode {
        XsmMode::Dummy => "XSM dummy (default actions)",
        XsmMode::Silo => "XSM SILO",
        XsmMode::FlaskEnforcing => "FLASK enforcing",
        XsmMode::FlaskPermissive => "FLASK permissive",
        XsmMode::FlaskLate => "FLASK late (no policy yet)",
        XsmMode::Unknown => "XSM module unknown",
    }
}
