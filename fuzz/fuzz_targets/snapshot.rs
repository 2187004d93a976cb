//! The snapshot archive reader on arbitrary bytes (a `.tar` or `.tar.gz`, read as the bundled
//! example is): it must never panic, never keep more than its caps, and never echo unbounded
//! input into an issue. libFuzzer's RSS limit is the memory check: an extension header that
//! claims a huge size must not be allocated (issue 14).

#![no_main]

use dom0scope_snapshot::{MAX_ARTIFACT_BYTES, MAX_TOTAL_BYTES, Snapshot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = Snapshot::from_archive_bytes("fuzz.tar", data) else {
        return;
    };
    let mut total = 0u64;
    for a in s.artifacts.values() {
        assert!(a.bytes.len() as u64 <= MAX_ARTIFACT_BYTES);
        total += a.bytes.len() as u64;
    }
    assert!(total <= MAX_TOTAL_BYTES + MAX_ARTIFACT_BYTES);
    for i in &s.issues {
        assert!(i.message.len() < 4096, "{}", i.message);
    }
});
