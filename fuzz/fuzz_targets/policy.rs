//! User policy files (TOML) on arbitrary text: loading never panics, and an
//! error always carries a position inside the text.

#![no_main]

use dom0scope_verdict::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut p = Policy::builtin();
    if let Err(e) = p.load("fuzz.toml", &text) {
        let _ = e.line_col(&text);
        let _ = e.styled();
    }
});
