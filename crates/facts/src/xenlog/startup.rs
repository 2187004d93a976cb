//! Start-up lines of the Xen console the hypercall surface needs: which XSM
//! module started, whether EFI runtime services were turned off after a failed
//! SetVirtualAddressMap, whether MCE was disabled, and the built-in command
//! line. Read by [`super::parse`] in a pass of its own over the artifact's
//! bytes, so the line numbers are the artifact's.
//!
//! Only lines carrying Xen's `(XEN)` console prefix count, so dom0 console
//! output interleaved in a serial capture cannot forge them. Bounded: lines
//! longer than [`MAX_LINE`] are skipped, evidence text is cut to [`MAX_TEXT`].

use serde::Serialize;

/// Longest line looked at (Xen's console lines are short).
pub const MAX_LINE: usize = 8192;
/// Longest evidence text kept.
pub const MAX_TEXT: usize = 300;

/// A matched line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// 1-based line number in the artifact.
    pub line: u32,
    /// The line after `(XEN)`, cut to [`MAX_TEXT`].
    pub text: String,
}

/// What the XSM framework said when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum XsmLine {
    /// `Flask:  Starting in enforcing mode.`
    FlaskEnforcing,
    /// `Flask:  Starting in permissive mode.`
    FlaskPermissive,
    /// `flask=late`: no access control until dom0 loads a policy.
    FlaskLate,
    /// `Flask:  Disabled at boot.`: the dummy module's default actions apply.
    FlaskDisabled,
    /// `Initialising XSM SILO mode`.
    Silo,
}

/// Everything found; for each kind the last line wins (the latest boot copy).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Startup {
    /// The last XSM start-up line, and what it says.
    pub xsm: Option<(XsmLine, Hit)>,
    /// `EFI: SetVirtualAddressMap() failed (…), disabling runtime services`.
    pub efi_rs_disabled: Option<Hit>,
    /// `MCE support disabled by bootparam`.
    pub mce_disabled: Option<Hit>,
    /// `Built-in command line: …`, with the command line itself.
    pub builtin_cmdline: Option<(String, Hit)>,
}

/// Scans a Xen log artifact's bytes.
pub fn scan(bytes: &[u8]) -> Startup {
    let mut s = Startup::default();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        if raw.len() > MAX_LINE || !contains(raw, b"(XEN)") {
            continue;
        }
        let text = String::from_utf8_lossy(raw);
        let Some(at) = text.find("(XEN)") else {
            continue;
        };
        let body = text[at + 5..].trim();
        let hit = || Hit {
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            text: cut(body),
        };
        let xsm = if body.starts_with("Flask:") {
            if body.contains("Starting in enforcing mode") {
                Some(XsmLine::FlaskEnforcing)
            } else if body.contains("Starting in permissive mode") {
                Some(XsmLine::FlaskPermissive)
            } else if body.contains("Access controls disabled until policy is loaded") {
                Some(XsmLine::FlaskLate)
            } else if body.contains("Disabled at boot") {
                Some(XsmLine::FlaskDisabled)
            } else {
                None
            }
        } else if body.starts_with("Initialising XSM SILO mode") {
            Some(XsmLine::Silo)
        } else {
            None
        };
        if let Some(x) = xsm {
            s.xsm = Some((x, hit()));
        } else if body.contains("SetVirtualAddressMap() failed")
            && body.contains("disabling runtime services")
        {
            s.efi_rs_disabled = Some(hit());
        } else if body.starts_with("MCE support disabled by bootparam") {
            s.mce_disabled = Some(hit());
        } else if let Some(c) = body.strip_prefix("Built-in command line:") {
            s.builtin_cmdline = Some((c.trim().to_owned(), hit()));
        }
    }
    s
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_TEXT) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_xen_lines_only() {
        let log = b"[ 1.0] (XEN) Flask:  Starting in enforcing mode.\n\
                    Flask: Disabled at boot\n\
                    (XEN) EFI: SetVirtualAddressMap() failed (0x3), disabling runtime services\n\
                    (XEN) Built-in command line: efi=no-rs\n\
                    (XEN) MCE support disabled by bootparam\n";
        let s = scan(log);
        assert_eq!(
            s.xsm.as_ref().map(|x| (x.0, x.1.line)),
            Some((XsmLine::FlaskEnforcing, 1))
        );
        assert_eq!(s.efi_rs_disabled.unwrap().line, 3);
        assert_eq!(s.builtin_cmdline.unwrap().0, "efi=no-rs");
        assert_eq!(s.mce_disabled.unwrap().line, 5);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = scan(&bytes);
        }

        #[test]
        fn never_panics_on_xen_like_text(s in "((\\(XEN\\) )?(Flask: |Built-in command line:|MCE |[é€a-z ]){0,6}\n){0,10}") {
            let _ = scan(s.as_bytes());
        }
    }
}
