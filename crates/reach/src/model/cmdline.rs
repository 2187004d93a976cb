//! Xen's command line as the model needs it: `key=value` and bare `key` options,
//! the last occurrence winning (Xen parses left to right). A leading loader
//! word such as GRUB's `placeholder` is not an option and is dropped.

use std::collections::BTreeMap;

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
            opts.insert(k.replace('-', "_"), v.to_owned());
        }
        Cmdline { opts }
    }

    /// Sets an option (from `--set OPT=VAL`).
    pub fn set(&mut self, key: &str, value: &str) {
        self.opts.insert(key.replace('-', "_"), value.to_owned());
    }

    /// The value of `key` as written (`""` for a bare `key`); `-` and `_` in the name are alike.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.opts.get(&key.replace('-', "_")).map(String::as_str)
    }

    /// Xen's boolean syntax: `opt`, `opt=1|on|yes|true|enable`, `no-opt`, `opt=0|off|no|false|disable`.
    pub fn bool(&self, key: &str) -> Option<bool> {
        let k = key.replace('-', "_");
        if let Some(v) = self.opts.get(&k) {
            return match v.as_str() {
                "" | "1" | "on" | "yes" | "true" | "enable" => Some(true),
                "0" | "off" | "no" | "false" | "disable" => Some(false),
                _ => None,
            };
        }
        if self.opts.contains_key(&format!("no_{k}")) {
            return Some(false);
        }
        None
    }

    /// Comma-separated items of an option, e.g. `console=com1,vga`.
    pub fn list(&self, key: &str) -> Vec<&str> {
        self.get(key)
            .map(|v| v.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_wins_placeholder_dropped_and_booleans() {
        let c = Cmdline::parse(
            "placeholder dom0=pv ro-hpet=0 dom0=pvh no-probe-port-aliases console=com1,vga",
        );
        assert_eq!(c.get("dom0"), Some("pvh"));
        assert_eq!(c.bool("ro_hpet"), Some(false));
        assert_eq!(c.bool("probe-port-aliases"), Some(false));
        assert_eq!(c.list("console"), vec!["com1", "vga"]);
        assert_eq!(c.get("placeholder"), None);
    }
}
