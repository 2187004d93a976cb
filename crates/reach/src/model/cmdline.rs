//! Xen's command line as the model needs it: `key=value` and bare `key` options,
//! the last occurrence winning (Xen parses left to right). A leading loader
//! word such as GRUB's `placeholder` is not an option and is dropped.
//!
//! [`OPTIONS`] is the one table of the options the model reads: [`Cmdline`] is read only
//! through its entries, so the list that `--set` is checked against cannot drift from what
//! the rules consult.

use std::collections::BTreeMap;
use std::fmt;

/// How an option's value is written, as far as the model checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Xen's boolean: empty, `1|on|yes|true|enable`, `0|off|no|false|disable`.
    Bool,
    /// Comma-separated items, each `word`, `no-word` or `word=<bool>` from the list (or, when
    /// `bare_bool`, a boolean on its own).
    Words {
        /// The item names Xen's parser accepts.
        words: &'static [&'static str],
        /// A bare boolean item (`iommu=0`) is accepted.
        bare_bool: bool,
    },
    /// Comma-separated names (`console=com1,vga`): any non-empty `[A-Za-z0-9_-]` word.
    Names,
    /// Comma-separated hex ports or hex ranges `a-b` with `a <= b <= ffff`.
    PortRanges,
    /// A UART: `baud[/clock][,DPS[,io-base[,irq…]]]`, `io-base=…` keywords, or `pci`/`amt`.
    Uart,
}

impl Syntax {
    fn hint(self) -> String {
        match self {
            Syntax::Bool => "a boolean (1|0|on|off|yes|no|true|false|enable|disable)".into(),
            Syntax::Words { words, bare_bool } => format!(
                "comma-separated {}{}",
                words.join("|"),
                if bare_bool { ", or a boolean" } else { "" }
            ),
            Syntax::Names => "comma-separated device names (e.g. com1,vga)".into(),
            Syntax::PortRanges => "comma-separated hex ports or ranges (e.g. 2f8-2ff,61)".into(),
            Syntax::Uart => "baud[/clock][,DPS[,io-base[,irq]]] (e.g. 115200,8n1,0x2f8)".into(),
        }
    }

    /// The value is well formed for this syntax.
    fn accepts(self, value: &str) -> bool {
        let items = || value.split(',');
        match self {
            Syntax::Bool => boolean(value).is_some(),
            Syntax::Words { words, bare_bool } => {
                !value.is_empty()
                    && items().all(|it| {
                        let (w, v) = it.split_once('=').unwrap_or((it, ""));
                        let w = w.strip_prefix("no-").unwrap_or(w);
                        (words.contains(&w) && boolean(v).is_some())
                            || (bare_bool && boolean(it).is_some_and(|_| !it.is_empty()))
                    })
            }
            Syntax::Names => {
                !value.is_empty()
                    && items().all(|it| {
                        !it.is_empty()
                            && it
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    })
            }
            Syntax::PortRanges => {
                !value.is_empty()
                    && items().all(|it| {
                        let (a, b) = it.split_once('-').unwrap_or((it, it));
                        matches!((hex_port(a), hex_port(b)), (Some(a), Some(b)) if a <= b)
                    })
            }
            Syntax::Uart => uart_ok(value),
        }
    }
}

/// A hex port as `dom0_ioports_disable=` writes it (`0x` optional).
pub(crate) fn hex_port(s: &str) -> Option<u16> {
    let s = s.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    u16::from_str_radix(s, 16).ok()
}

fn uart_ok(v: &str) -> bool {
    if v.is_empty() || v.starts_with("pci") || v.starts_with("amt") {
        return !v.is_empty();
    }
    let fields: Vec<&str> = v.split(',').collect();
    let number = |s: &str| dom0scope_ranges::parse_number(s).is_some();
    let baud = fields[0];
    let baud_ok = baud == "auto"
        || baud
            .split('/')
            .all(|b| !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit()));
    let dps_ok = fields.get(1).is_none_or(|d| {
        d.is_empty()
            || d.contains('=')
            || (d.len() == 3
                && d.as_bytes()[0].is_ascii_digit()
                && d.as_bytes()[2].is_ascii_digit())
    });
    let rest_ok = fields.iter().skip(2).all(|f| {
        f.is_empty()
            || f.split_once('=')
                .map_or_else(|| number(f), |(_, x)| !x.is_empty())
    });
    (baud_ok || baud.contains('=')) && dps_ok && rest_ok
}

fn items(v: Option<&str>) -> Vec<&str> {
    v.map(|v| v.split(',').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default()
}

/// Xen's boolean words; `""` (a bare option) is true.
fn boolean(v: &str) -> Option<bool> {
    match v {
        "" | "1" | "on" | "yes" | "true" | "enable" => Some(true),
        "0" | "off" | "no" | "false" | "disable" => Some(false),
        _ => None,
    }
}

/// A Xen command-line option the model reads.
#[derive(Debug)]
pub struct Opt {
    /// Xen's name (`-` and `_` are alike).
    pub name: &'static str,
    /// How its value is written.
    pub syntax: Syntax,
    /// What the model uses it for.
    pub effect: &'static str,
}

macro_rules! options {
    ($($konst:ident = $name:literal, $syntax:expr, $effect:literal;)*) => {
        $(pub(crate) const $konst: &Opt = &Opt { name: $name, syntax: $syntax, effect: $effect };)*
        /// Every Xen command-line option the model reads; `--set` accepts these only.
        pub const OPTIONS: &[&Opt] = &[$($konst),*];
    };
}

options! {
    DOM0 = "dom0", Syntax::Words { words: &["pv", "pvh", "shadow", "verbose", "cpuid-faulting", "msr-relaxed"], bare_bool: false }, "dom0 mode (pvh)";
    CONSOLE = "console", Syntax::Names, "Xen's console devices (whose UART ports are denied)";
    COM1 = "com1", Syntax::Uart, "COM1's I/O base";
    COM2 = "com2", Syntax::Uart, "COM2's I/O base";
    HVM_PORT80 = "hvm_port80", Syntax::Bool, "port 0x80 for a PVH dom0 (4.19+)";
    RO_HPET = "ro_hpet", Syntax::Bool, "the HPET page read-only instead of writable";
    DOM0_IOPORTS_DISABLE = "dom0_ioports_disable", Syntax::PortRanges, "ports denied to dom0";
    IOMMU = "iommu", Syntax::Words { words: &["force", "required", "quarantine", "igfx", "qinval", "superpages", "verbose", "snoop", "intremap", "intpost", "crash-disable", "debug", "amd-iommu-perdev-intremap", "dom0-passthrough", "dom0-strict", "sharept"], bare_bool: true }, "IOMMU off (dom0's DMA mode when Xen does not print it)";
    DOM0_IOMMU = "dom0-iommu", Syntax::Words { words: &["passthrough", "strict", "map-inclusive", "map-reserved", "none"], bare_bool: false }, "dom0's IOMMU mode when Xen does not print it";
}

/// `--set OPT=VAL` names an option the model does not read, or writes it wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--set {key}={value}: {problem}; the options the model reads:\n{}",
    OptionList
)]
pub struct BadOption {
    /// The option as given.
    pub key: String,
    /// The value as given.
    pub value: String,
    /// What is wrong.
    pub problem: String,
}

/// The table, one option a line, for error messages and help.
struct OptionList;

impl fmt::Display for OptionList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, o) in OPTIONS.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {}={}: {}", o.name, o.syntax.hint(), o.effect)?;
        }
        Ok(())
    }
}

fn canon(key: &str) -> String {
    key.replace('-', "_")
}

/// Checks a `--set OPT=VAL` against [`OPTIONS`]: the option must be one the model reads
/// (otherwise it would change nothing and the prediction would look as if it had), and its
/// value must be well formed (Xen would ignore a malformed one; the model must not pretend).
pub fn check_set(key: &str, value: &str) -> Result<(), BadOption> {
    let bad = |problem: String| BadOption {
        key: key.into(),
        value: value.into(),
        problem,
    };
    let k = canon(key);
    // `no-opt` is Xen's way to write `opt=0` for a boolean.
    let negated = k
        .strip_prefix("no_")
        .and_then(|n| OPTIONS.iter().find(|o| canon(o.name) == n))
        .filter(|o| o.syntax == Syntax::Bool);
    if negated.is_some() && value.is_empty() {
        return Ok(());
    }
    let Some(o) = OPTIONS.iter().find(|o| canon(o.name) == k) else {
        return Err(bad(format!("the model does not read Xen option `{key}`")));
    };
    if o.syntax.accepts(value) {
        Ok(())
    } else {
        Err(bad(format!(
            "`{value}` is not a valid value for {}: expected {}",
            o.name,
            o.syntax.hint()
        )))
    }
}

/// Parsed options; values keep their text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cmdline {
    opts: BTreeMap<String, String>,
}

impl Cmdline {
    /// Parses Xen's command line: whitespace-separated `key[=value]` words, the last occurrence winning.
    pub fn parse(text: &str) -> Cmdline {
        let mut opts = BTreeMap::new();
        for (i, word) in text.split_whitespace().enumerate() {
            if i == 0 && !word.contains('=') && word == "placeholder" {
                continue;
            }
            let (k, v) = word.split_once('=').unwrap_or((word, ""));
            // Xen treats '-' and '_' in option names alike.
            opts.insert(canon(k), v.to_owned());
        }
        Cmdline { opts }
    }

    /// Sets an option (from `--set OPT=VAL`).
    pub fn set(&mut self, key: &str, value: &str) {
        self.opts.insert(canon(key), value.to_owned());
    }

    /// The value of `opt` as written (`""` for a bare option).
    pub(crate) fn get(&self, opt: &Opt) -> Option<&str> {
        self.opts.get(&canon(opt.name)).map(String::as_str)
    }

    /// Xen's boolean syntax: `opt`, `opt=1|on|yes|true|enable`, `no-opt`, `opt=0|off|no|false|disable`.
    pub(crate) fn bool(&self, opt: &Opt) -> Option<bool> {
        let k = canon(opt.name);
        if let Some(v) = self.opts.get(&k) {
            return boolean(v);
        }
        if self.opts.contains_key(&format!("no_{k}")) {
            return Some(false);
        }
        None
    }

    /// Comma-separated items of an option, e.g. `console=com1,vga`.
    pub(crate) fn list(&self, opt: &Opt) -> Vec<&str> {
        items(self.get(opt))
    }

    /// An option's value by name, for readers outside the model (their options are not in
    /// [`OPTIONS`], which lists what the model itself reads).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.opts.get(&canon(name)).map(String::as_str)
    }

    /// [`Cmdline::value`] split at commas.
    pub fn items(&self, name: &str) -> Vec<&str> {
        items(self.value(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_wins_placeholder_dropped_and_booleans() {
        let c =
            Cmdline::parse("placeholder dom0=pv ro-hpet=0 dom0=pvh no-hvm-port80 console=com1,vga");
        assert_eq!(c.get(DOM0), Some("pvh"));
        assert_eq!(c.bool(RO_HPET), Some(false));
        assert_eq!(c.bool(HVM_PORT80), Some(false));
        assert_eq!(c.list(CONSOLE), vec!["com1", "vga"]);
        assert!(!c.opts.contains_key("placeholder"));
    }

    #[test]
    fn set_is_checked_against_the_table() {
        for (k, v) in [
            ("dom0_ioports_disable", "2f8-2ff,61"),
            ("dom0-ioports-disable", "0x2f8-0x2ff"),
            ("ro-hpet", "0"),
            ("hvm_port80", ""),
            ("no-ro-hpet", ""),
            ("dom0", "pvh,no-shadow"),
            ("iommu", "0"),
            ("iommu", "no-intremap,verbose"),
            ("dom0-iommu", "strict"),
            ("console", "com2,vga"),
            ("com2", "115200,8n1,0x2e8"),
            ("com1", "115200/1843200,8n1,io-base=0x3e8"),
        ] {
            assert_eq!(check_set(k, v), Ok(()), "{k}={v}");
        }
        for (k, v) in [
            ("nonsense_opt", "1"),
            ("dom0_ioports_disable", "zz"),
            ("dom0_ioports_disable", "2ff-2f8"),
            ("dom0_ioports_disable", "10000"),
            ("dom0_ioports_disable", ""),
            ("ro_hpet", "maybe"),
            ("dom0", "hvm"),
            ("console", ""),
            ("com1", "115200,8n1,zz"),
        ] {
            assert!(check_set(k, v).is_err(), "{k}={v}");
        }
        let e = check_set("nonsense_opt", "1").unwrap_err().to_string();
        assert!(e.contains("does not read Xen option `nonsense_opt`"), "{e}");
        for o in OPTIONS {
            assert!(e.contains(o.name), "{e}");
        }
    }
}
