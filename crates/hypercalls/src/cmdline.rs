//! Xen's command line, only as far as the hypercall surface needs it, with
//! Xen's own parsing rules (`common/kernel.c` `parse_params()`, `parse_bool()`,
//! `parse_boolean()`): options are space-separated, parsed left to right so
//! the last one wins, a `no-` prefix negates, and parsing stops at ` -- `.
//! The built-in `CONFIG_CMDLINE` is parsed first; `CONFIG_CMDLINE_OVERRIDE`
//! drops the boot loader's line.
//!
//! The text comes from the snapshot: bounded ([`MAX_WORDS`]), never panics.

/// Most options considered (Xen's own buffer is 1 KiB).
pub const MAX_WORDS: usize = 4096;

/// Where a word of the command line came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `CONFIG_CMDLINE` (or Xen's `Built-in command line:` log line).
    Builtin,
    /// The boot loader's command line (Xen's `Command line:` log line).
    Loader,
}

/// One option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The option as written, e.g. `efi=no-rs`.
    pub text: String,
    /// Which command line it came from.
    pub origin: Origin,
}

/// The effective command line, in the order Xen parses it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cmdline {
    /// Every option in the order Xen parses them (built-in first), GRUB's `placeholder` dropped, cut at `--`.
    pub words: Vec<Word>,
}

impl Cmdline {
    /// Builds the effective line: the built-in words, then the loader's (unless overridden).
    pub fn new(builtin: Option<&str>, loader: Option<&str>, override_loader: bool) -> Cmdline {
        let mut words = Vec::new();
        let mut add = |text: &str, origin: Origin| {
            for (i, w) in text.split(' ').filter(|w| !w.is_empty()).enumerate() {
                if w == "--" || words.len() >= MAX_WORDS {
                    break;
                }
                // GRUB's placeholder for the image name is not an option.
                if i == 0 && origin == Origin::Loader && w == "placeholder" {
                    continue;
                }
                words.push(Word {
                    text: w.to_owned(),
                    origin: origin.clone(),
                });
            }
        };
        if let Some(b) = builtin {
            add(b, Origin::Builtin);
        }
        if let (Some(l), false) = (loader, override_loader) {
            add(l, Origin::Loader);
        }
        Cmdline { words }
    }

    /// Each `name[=value]` / `no-name[=value]` option named `name`: (word, value, negated).
    fn options<'a>(&'a self, name: &str) -> impl Iterator<Item = (&'a Word, &'a str, bool)> {
        self.words.iter().filter_map(move |w| {
            let (key, value) = w.text.split_once('=').unwrap_or((&w.text, ""));
            let (neg, key) = key.strip_prefix("no-").map_or((false, key), |k| (true, k));
            (key == name).then_some((w, value, neg))
        })
    }

    /// A custom parameter's last value, as Xen passes it to the handler
    /// (`no-name` alone passes "no"; `no-name=value` is rejected by Xen).
    pub fn custom(&self, name: &str) -> Option<(&Word, &str)> {
        self.custom_all(name).last()
    }

    /// A boolean parameter (`boolean_param`): `name`, `name=<bool>`, `no-name`, `no-name=<bool>`.
    pub fn boolean(&self, name: &str) -> Option<(bool, &Word)> {
        self.options(name)
            .filter_map(|(w, v, neg)| {
                let b = if v.is_empty() {
                    Some(true)
                } else {
                    parse_bool(v)
                }?;
                Some((b != neg, w))
            })
            .last()
    }

    /// `efi=…,rs|no-rs|rs=<bool>,…`: whether runtime services were left on or off.
    pub fn efi_rs(&self) -> Option<(bool, &Word)> {
        let mut last = None;
        for (w, v) in self.custom_all("efi") {
            for item in v.split(',') {
                if let Some(b) = parse_boolean("rs", item) {
                    last = Some((b, w));
                }
            }
        }
        last
    }

    /// Every value given to a custom parameter, in order.
    fn custom_all<'a>(&'a self, name: &str) -> impl Iterator<Item = (&'a Word, &'a str)> {
        self.options(name)
            .filter_map(|(w, v, neg)| match (neg, v.is_empty()) {
                (false, _) => Some((w, v)),
                (true, true) => Some((w, "no")),
                (true, false) => None,
            })
    }

    /// `cpufreq=dom0-kernel` (the last `cpufreq=` decides who controls frequencies).
    pub fn cpufreq_dom0_kernel(&self) -> Option<(bool, &Word)> {
        let (w, v) = self.custom("cpufreq")?;
        // Xen's cmdline_strcmp(): exact, up to a ',', ':', ';' or '='.
        let head = v.split([',', ':', ';', '=']).next().unwrap_or("");
        Some((head == "dom0-kernel", w))
    }
}

/// Xen's `parse_bool()`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "on" | "yes" | "true" | "enable" => Some(true),
        "0" | "no" | "off" | "false" | "disable" => Some(false),
        _ => None,
    }
}

/// Xen's `parse_boolean(name, s)`: `name`, `no-name`, `name=<bool>`.
pub fn parse_boolean(name: &str, s: &str) -> Option<bool> {
    let (neg, s) = s.strip_prefix("no-").map_or((false, s), |r| (true, r));
    let rest = s.strip_prefix(name)?;
    if rest.is_empty() {
        return Some(!neg);
    }
    if neg {
        return None;
    }
    parse_bool(rest.strip_prefix('=')?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn efi_no_rs_in_any_spelling_and_the_last_wins() {
        let c = |s| Cmdline::new(None, Some(s), false);
        assert_eq!(c("efi=no-rs").efi_rs().map(|x| x.0), Some(false));
        assert_eq!(c("efi=attr=uc,rs=0").efi_rs().map(|x| x.0), Some(false));
        assert_eq!(c("efi=no-rs efi=rs").efi_rs().map(|x| x.0), Some(true));
        assert_eq!(c("console=com1").efi_rs(), None);
        assert_eq!(c("no-efi").efi_rs(), None);
        assert_eq!(c("efi=rsx").efi_rs(), None);
        assert_eq!(c("x -- efi=no-rs").efi_rs(), None);
    }

    #[test]
    fn builtin_first_and_override() {
        let c = Cmdline::new(Some("efi=no-rs"), Some("efi=rs"), false);
        assert_eq!(c.efi_rs().map(|x| x.0), Some(true));
        let c = Cmdline::new(Some("efi=no-rs"), Some("efi=rs"), true);
        let (rs, w) = c.efi_rs().unwrap();
        assert!(!rs);
        assert_eq!(w.origin, Origin::Builtin);
    }

    #[test]
    fn booleans_customs_and_cpufreq() {
        let c = Cmdline::new(
            None,
            Some("placeholder mce=0 xsm=flask flask=permissive cpufreq=dom0-kernel,verbose"),
            false,
        );
        assert_eq!(c.boolean("mce").map(|x| x.0), Some(false));
        assert_eq!(c.custom("xsm").map(|x| x.1), Some("flask"));
        assert_eq!(c.cpufreq_dom0_kernel().map(|x| x.0), Some(true));
        let c = Cmdline::new(None, Some("cpufreq=dom0_kernel"), false);
        assert_eq!(c.cpufreq_dom0_kernel().map(|x| x.0), Some(false));
        let c = Cmdline::new(None, Some("no-mce cpufreq=xen"), false);
        assert_eq!(c.boolean("mce").map(|x| x.0), Some(false));
        assert_eq!(c.cpufreq_dom0_kernel().map(|x| x.0), Some(false));
        assert_eq!(
            Cmdline::new(None, Some("no-mce=0"), false)
                .boolean("mce")
                .map(|x| x.0),
            Some(true)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(a in ".{0,200}", b in ".{0,200}", o in proptest::bool::ANY) {
            let c = Cmdline::new(Some(&a), Some(&b), o);
            let _ = (c.efi_rs(), c.boolean("mce"), c.custom("xsm"), c.cpufreq_dom0_kernel());
        }
    }
}
