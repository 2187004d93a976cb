//! `/sys/kernel/security/lockdown` (`linux/lockdown`): dom0's kernel lockdown
//! mode, the bracketed word of `[none] integrity confidentiality`.

use serde::Serialize;

use crate::evidence::Evidence;

/// dom0 kernel lockdown modes, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lockdown {
    /// `none`: no lockdown.
    None,
    /// `integrity`: features that let user space modify the running kernel are off.
    Integrity,
    /// `confidentiality`: features that let user space read kernel secrets are off too.
    Confidentiality,
}

impl Lockdown {
    /// The mode the kernel's word `s` names; None for any other word.
    pub fn parse(s: &str) -> Option<Lockdown> {
        match s {
            "none" => Some(Lockdown::None),
            "integrity" => Some(Lockdown::Integrity),
            "confidentiality" => Some(Lockdown::Confidentiality),
            _ => None,
        }
    }

    /// The kernel's word for the mode.
    pub fn label(self) -> &'static str {
        match self {
            Lockdown::None => "none",
            Lockdown::Integrity => "integrity",
            Lockdown::Confidentiality => "confidentiality",
        }
    }
}

/// The selected mode with the line it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockdownMode {
    /// The bracketed (selected) mode.
    pub mode: Lockdown,
    /// Line 1 of the artifact.
    pub evidence: Evidence,
}

/// Reads the first line (of the first 4 KiB, which must be UTF-8); the first
/// whitespace-separated `[word]` naming a known mode is the selected one.
/// None when there is no such word.
pub fn parse(artifact: &str, bytes: &[u8]) -> Option<LockdownMode> {
    let line = super::first_line(bytes)?;
    let mode = line.split_whitespace().find_map(|w| {
        w.strip_prefix('[')
            .and_then(|w| w.strip_suffix(']'))
            .and_then(Lockdown::parse)
    })?;
    Some(LockdownMode {
        mode,
        evidence: Evidence {
            artifact: artifact.into(),
            line: 1,
            text: line,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_is_the_bracketed_word() {
        let l = parse("linux/lockdown", b"none [integrity] confidentiality\n").unwrap();
        assert_eq!(l.mode, Lockdown::Integrity);
        assert_eq!(l.evidence.line, 1);
        assert_eq!(l.evidence.artifact, "linux/lockdown");
        assert!(parse("linux/lockdown", b"\xff\xfe").is_none());
        assert!(parse("linux/lockdown", b"none integrity").is_none());
        assert!(parse("linux/lockdown", b"[bogus] [none]").is_some());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..8192)) {
            let _ = parse("linux/lockdown", &bytes);
        }
    }
}
