//! Xen's build configuration (`.config`, as Kconfig writes it and hypfs
//! `/buildinfo/config` returns it): `CONFIG_X=value` and `# CONFIG_X is not set`,
//! and which artifact of a snapshot holds the running Xen's ([`find`]: hypfs,
//! else a `/boot/xen-*.config` whose header names the running version).
//!
//! The bytes come from the snapshot, so they are hostile: the parser never
//! panics, reads at most [`MAX_BYTES`], skips overlong lines, and keeps at most
//! [`MAX_ENTRIES`] symbols. A symbol absent from a complete `.config` is off
//! (Kconfig omits options whose menu is hidden, e.g. `GDBSX` without `EXPERT`).

use std::collections::BTreeMap;

use dom0scope_snapshot::Snapshot;
use serde::Serialize;

/// Where hypfs puts Xen's own `.config` (`CONFIG_HYPFS_CONFIG`).
pub const HYPFS_CONFIG: &str = "xen/hypfs/cat/buildinfo/config";

/// Real Xen configs are ~4 KiB; anything past 1 MiB is not one.
pub const MAX_BYTES: usize = 1 << 20;
/// Longest line considered (a `CONFIG_CMDLINE` string is the longest real one).
pub const MAX_LINE: usize = 4096;
/// Most symbols kept (Xen has a few hundred).
pub const MAX_ENTRIES: usize = 10_000;
const MAX_NAME: usize = 128;

/// One symbol's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// `=y` (or `=m`, which Xen does not use but Kconfig allows).
    Yes,
    /// `# CONFIG_X is not set` or `=n`.
    No,
    /// `="…"`, unescaped.
    Str(String),
    /// Anything else (numbers, hex).
    Other(String),
}

/// A symbol with the line it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The symbol's value.
    pub value: Value,
    /// 1-based line number.
    pub line: u32,
    /// The line as written.
    pub text: String,
}

/// A parsed `.config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KConfig {
    entries: BTreeMap<String, Entry>,
    /// `4.17.7` from the `# Xen/x86 4.17.7 Configuration` header, if present.
    pub header_version: Option<String>,
    /// Lines that looked like settings but were not, overlong lines, limits hit.
    pub warnings: Vec<String>,
}

impl KConfig {
    /// Parses `.config` bytes; never fails (problems become warnings).
    pub fn parse(bytes: &[u8]) -> KConfig {
        let mut c = KConfig::default();
        let bytes = if bytes.len() > MAX_BYTES {
            c.warnings
                .push(format!("larger than {MAX_BYTES} bytes; the rest ignored"));
            &bytes[..MAX_BYTES]
        } else {
            bytes
        };
        for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if raw.len() > MAX_LINE {
                c.warnings.push(format!(
                    "line {line}: longer than {MAX_LINE} bytes, skipped"
                ));
                continue;
            }
            let text = String::from_utf8_lossy(raw);
            let text = text.trim_end_matches('\r').trim();
            if text.is_empty() {
                continue;
            }
            if let Some(v) = header_version(text) {
                c.header_version.get_or_insert(v);
                continue;
            }
            let Some((name, value)) = setting(text) else {
                if text.starts_with("CONFIG_") {
                    c.warnings
                        .push(format!("line {line}: not a setting: {text:.80}"));
                }
                continue;
            };
            if c.entries.len() >= MAX_ENTRIES && !c.entries.contains_key(name) {
                c.warnings
                    .push(format!("more than {MAX_ENTRIES} symbols; the rest ignored"));
                break;
            }
            let entry = Entry {
                value,
                line,
                text: text.to_owned(),
            };
            if let Some(old) = c.entries.insert(name.to_owned(), entry) {
                c.warnings.push(format!(
                    "line {line}: CONFIG_{name} set again (first at line {}); the last wins",
                    old.line
                ));
            }
        }
        c
    }

    /// The entry for `name` (without the `CONFIG_` prefix).
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// Whether `name` is on: absent counts as off (see the module note).
    pub fn enabled(&self, name: &str) -> bool {
        self.get(name).is_some_and(|e| e.value == Value::Yes)
    }

    /// How many symbols were read.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No symbol was read.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Which artifact the running Xen's configuration was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// hypfs `/buildinfo/config`: the running Xen's own.
    Hypfs,
    /// `/boot/xen-*.config` whose header names the running version.
    Boot,
}

/// The running Xen's build configuration, as the snapshot holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct XenConfig {
    /// Which kind of artifact it came from.
    pub source: Source,
    /// Artifact path inside the snapshot.
    pub artifact: String,
    /// The parsed `.config`.
    pub kconfig: KConfig,
}

/// The running configuration: hypfs, then a `/boot` config whose header names
/// `running` (Xen's full version, e.g. `4.17.7`). Candidates not used, and the
/// parser's problems with them, are pushed to `warnings` as `path: why`.
pub fn find(
    snapshot: &Snapshot,
    running: Option<&str>,
    warnings: &mut Vec<String>,
) -> Option<XenConfig> {
    let usable = |path: &str, warnings: &mut Vec<String>| -> Option<KConfig> {
        let a = snapshot.get(path)?;
        if a.is_damaged() {
            warnings.push(format!(
                "{path}: damaged (see the snapshot problems); not used"
            ));
            return None;
        }
        let k = KConfig::parse(&a.bytes);
        warnings.extend(k.warnings.iter().map(|w| format!("{path}: {w}")));
        if k.is_empty() {
            warnings.push(format!("{path}: no CONFIG_ settings; not used"));
            return None;
        }
        Some(k)
    };
    if let Some(k) = usable(HYPFS_CONFIG, warnings) {
        return Some(XenConfig {
            source: Source::Hypfs,
            artifact: HYPFS_CONFIG.to_owned(),
            kconfig: k,
        });
    }
    let boot: Vec<&str> = snapshot
        .artifacts
        .keys()
        .filter(|k| k.starts_with("boot/xen") && k.ends_with(".config"))
        .map(String::as_str)
        .collect();
    for path in boot {
        let Some(k) = usable(path, warnings) else {
            continue;
        };
        let matches = match (&k.header_version, running) {
            (Some(h), Some(v)) => h == v,
            _ => false,
        };
        if matches {
            return Some(XenConfig {
                source: Source::Boot,
                artifact: path.to_owned(),
                kconfig: k,
            });
        }
        warnings.push(format!(
            "{path}: for Xen {}, not the running {}; not used",
            k.header_version.as_deref().unwrap_or("(no version header)"),
            running.unwrap_or("(unknown)")
        ));
    }
    None
}

/// `# Xen/x86 4.17.7 Configuration` → `4.17.7`.
fn header_version(text: &str) -> Option<String> {
    let rest = text.strip_prefix("# Xen/")?;
    let (_arch, rest) = rest.split_once(' ')?;
    let v = rest.strip_suffix(" Configuration")?;
    let ok = !v.is_empty() && v.len() <= 32 && v.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| v.to_owned())
}

/// `CONFIG_X=…` or `# CONFIG_X is not set` → (X, value).
fn setting(text: &str) -> Option<(&str, Value)> {
    if let Some(rest) = text.strip_prefix("# CONFIG_") {
        let name = rest.strip_suffix(" is not set")?;
        return valid_name(name).then_some((name, Value::No));
    }
    let rest = text.strip_prefix("CONFIG_")?;
    let (name, raw) = rest.split_once('=')?;
    if !valid_name(name) {
        return None;
    }
    let value = match raw {
        "y" | "m" => Value::Yes,
        "n" => Value::No,
        _ if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') => {
            Value::Str(unescape(&raw[1..raw.len() - 1]))
        }
        _ => Value::Other(raw.to_owned()),
    };
    Some((name, value))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Kconfig escapes `"` and `\` in strings with a backslash.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_settings_header_and_strings() {
        let c = KConfig::parse(
            b"#\n# Xen/x86 4.20.5-pre Configuration\n#\nCONFIG_KEXEC=y\n# CONFIG_XSM is not set\n\
              CONFIG_CMDLINE=\"efi=no-rs \\\"x\\\"\"\nCONFIG_NR_CPUS=256\nCONFIG_bad-name=y\n",
        );
        assert_eq!(c.header_version.as_deref(), Some("4.20.5-pre"));
        assert!(c.enabled("KEXEC"));
        assert_eq!(c.get("XSM").unwrap().value, Value::No);
        assert_eq!(c.get("XSM").unwrap().line, 5);
        assert!(!c.enabled("LIVEPATCH"));
        assert_eq!(
            c.get("CMDLINE").unwrap().value,
            Value::Str("efi=no-rs \"x\"".into())
        );
        assert_eq!(c.get("NR_CPUS").unwrap().value, Value::Other("256".into()));
        assert_eq!(c.len(), 4);
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn the_last_setting_wins_and_is_reported() {
        let c = KConfig::parse(b"CONFIG_KEXEC=y\nCONFIG_KEXEC=n\r\n");
        assert!(!c.enabled("KEXEC"));
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn bounds_hold() {
        let mut big = b"CONFIG_A=y\n".to_vec();
        big.extend(vec![b'x'; MAX_LINE + 1]);
        big.push(b'\n');
        big.extend(b"CONFIG_B=y\n");
        let c = KConfig::parse(&big);
        assert!(c.enabled("A") && c.enabled("B"));
        assert_eq!(c.warnings.len(), 1);
        let huge = vec![b'\n'; MAX_BYTES + 10];
        assert!(KConfig::parse(&huge).is_empty());
    }

    fn snapshot(files: &[(&str, &[u8])]) -> Snapshot {
        Snapshot::from_files(
            dom0scope_snapshot::Origin::Directory {
                path: "test".into(),
            },
            files
                .iter()
                .map(|(p, b)| ((*p).to_owned(), b.to_vec()))
                .collect(),
        )
    }

    #[test]
    fn hypfs_first_then_a_boot_config_of_the_running_version() {
        let boot_old: &[u8] = b"# Xen/x86 4.17.6 Configuration\nCONFIG_KEXEC=y\n";
        let boot: &[u8] = b"# Xen/x86 4.17.7 Configuration\nCONFIG_KEXEC=n\n";
        let s = snapshot(&[
            ("boot/xen-4.17-a.config", boot_old),
            ("boot/xen-4.17-b.config", boot),
        ]);
        let mut w = Vec::new();
        let c = find(&s, Some("4.17.7"), &mut w).unwrap();
        assert_eq!(
            (c.source, c.artifact.as_str()),
            (Source::Boot, "boot/xen-4.17-b.config")
        );
        assert!(!c.kconfig.enabled("KEXEC"));
        assert_eq!(
            w,
            ["boot/xen-4.17-a.config: for Xen 4.17.6, not the running 4.17.7; not used"]
        );

        let s = snapshot(&[
            (HYPFS_CONFIG, b"CONFIG_KEXEC=y\n"),
            ("boot/xen.config", boot),
        ]);
        let mut w = Vec::new();
        let c = find(&s, None, &mut w).unwrap();
        assert_eq!(c.source, Source::Hypfs);
        assert!(w.is_empty());

        let s = snapshot(&[(HYPFS_CONFIG, b"junk\nCONFIG_=y\n")]);
        let mut w = Vec::new();
        assert!(find(&s, Some("4.17.7"), &mut w).is_none());
        assert_eq!(
            w,
            [
                "xen/hypfs/cat/buildinfo/config: line 2: not a setting: CONFIG_=y",
                "xen/hypfs/cat/buildinfo/config: no CONFIG_ settings; not used"
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = KConfig::parse(&bytes);
        }

        #[test]
        fn never_panics_on_config_like_text(s in "(CONFIG_[A-Z_]{0,6}(=[yn\"\\\\a-z]{0,5})?\n|# CONFIG_[A-Z]{0,4} is not set\n|# Xen/[a-z0-9]{0,3} [0-9.]{0,5} Configuration\n){0,20}") {
            let _ = KConfig::parse(s.as_bytes());
        }
    }
}
