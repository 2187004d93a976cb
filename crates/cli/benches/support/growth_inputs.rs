//! Hostile-but-valid inputs that grow with a scale factor, shared by the `growth` bench
//! (time) and the `growth_inputs` example that `scripts/measure-growth.sh` runs the release
//! binary on (peak RSS). Each kind is generated, never committed: a Xen log, ACPI SSDTs packed
//! with `OperationRegion`s, and policy files with many rules or many errors.

#![allow(dead_code)] // each includer uses its part

use std::fmt::Write as _;

/// Bytes of Xen log at scale 1.
pub const LOG_BYTES_1X: usize = 4 << 20;
/// SSDTs at scale 1 (each [`SSDT_BYTES`] long).
pub const SSDTS_1X: usize = 2;
/// Size of one generated SSDT.
pub const SSDT_BYTES: usize = 4 << 20;
/// Rules in the many-rules policy at scale 1 (the smallest case).
pub const RULES_1X: usize = 2_500;
/// Errors in the many-errors policy at scale 1 (16× is the 50,000).
pub const ERRORS_1X: usize = 3_125;

/// A Xen log of about `LOG_BYTES_1X * scale` bytes: the lines every parser stage sees in
/// bulk on a large host, a third each: E820 entries, unrecognised lines, and 'q' dumps; the
/// last dump (dom0's reach) is one fixed 20,000-range line, as a line is capped at 1 MiB.
pub fn xen_log(scale: usize) -> Vec<u8> {
    let target = LOG_BYTES_1X * scale;
    let mut log = String::with_capacity(target + 4096);
    log.push_str(
        "(XEN) Xen version 4.17.7 (x@y) (gcc) debug=n Tue\n\
         (XEN) Command line: dom0_mem=8G iommu=on\n\
         (XEN) Xen-e820 RAM map:\n",
    );
    let mut i = 0u64;
    while log.len() < target / 3 {
        let start = i << 30;
        let _ = write!(
            log,
            "(XEN)  [{:016x}, {:016x}] (usable)\n(XEN)  [{:016x}, {:016x}] (reserved)\n",
            start,
            start + (1 << 29) - 1,
            start + (1 << 29),
            start + (1 << 30) - 1
        );
        i += 1;
    }
    log.push_str("(XEN) *** Building a PV Dom0 ***\n");
    let mut i = 0u64;
    while log.len() < 2 * target / 3 {
        let _ = writeln!(log, "(XEN) d0 unrecognised chatter line {i:08}");
        i += 1;
    }
    let mut last = String::from(
        "(XEN) Rangesets belonging to domain 0:\n(XEN)     Interrupts { 1-4000 }\n(XEN)     I/O Memory {",
    );
    for i in 0..20_000u64 {
        let _ = write!(last, " {:x}-{:x},", i * 0x100, i * 0x100 + 0x7f);
    }
    last.pop();
    last.push_str(" }\n(XEN)     I/O Ports  { 0-1f, 22-3f, 44-60, 62-9f, a2-3f7, 400-607, 60c-cfb, d00-ffff }\n");
    while log.len() + last.len() < target {
        log.push_str(
            "(XEN) Rangesets belonging to domain 0:\n(XEN)     I/O Memory { 0-fedff }\n(XEN)     I/O Ports  { 0-1f }\n",
        );
    }
    log.push_str(&last);
    log.into_bytes()
}

/// A Xen log of about `LOG_BYTES_1X * scale` bytes that is nothing but small 'q' dumps, the
/// log shape with the most memory per input byte measured (each dump is kept, with its lines).
pub fn xen_log_q_dumps(scale: usize) -> Vec<u8> {
    let target = LOG_BYTES_1X * scale;
    let mut log = String::from(
        "(XEN) Xen version 4.17.7 (x@y) (gcc) debug=n Tue\n(XEN) *** Building a PV Dom0 ***\n",
    );
    let dump = "(XEN) Rangesets belonging to domain 0:\n(XEN)     I/O Memory { 0-fedff }\n\
                (XEN)     I/O Ports  { 0-1f }\n";
    log.push_str(&dump.repeat(target.saturating_sub(log.len()) / dump.len()));
    log.into_bytes()
}

/// An SSDT of `len` bytes (valid header, length and checksum) whose body is back-to-back
/// `OperationRegion (Rxxx, SystemMemory|SystemIO, DWordConst, ByteConst)`, each distinct.
pub fn ssdt(len: usize, seed: u32) -> Vec<u8> {
    const SEG: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut t = Vec::with_capacity(len);
    t.extend_from_slice(b"SSDT");
    t.extend_from_slice(&u32::try_from(len).expect("SSDT under 4 GiB").to_le_bytes());
    t.extend_from_slice(&[2, 0]); // revision, checksum (set below)
    t.extend_from_slice(b"GROWTH");
    t.extend_from_slice(b"OPREGION");
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(b"INTL");
    t.extend_from_slice(&0x2023_0628u32.to_le_bytes());
    let mut n = seed.wrapping_mul(1 << 20);
    while t.len() + 12 <= len {
        let name = [
            b'R',
            SEG[(n / 1296 % 36) as usize],
            SEG[(n / 36 % 36) as usize],
            SEG[(n % 36) as usize],
        ];
        t.extend_from_slice(&[0x5b, 0x80]);
        t.extend_from_slice(&name);
        t.push(u8::from(n % 2 == 1)); // SystemMemory, SystemIO
        t.push(0x0c);
        t.extend_from_slice(&(0x1000_0000u32.wrapping_add(n.wrapping_mul(16))).to_le_bytes());
        t.extend_from_slice(&[0x0a, 0x10]);
        n = n.wrapping_add(1);
    }
    t.resize(len, 0xa3); // Noop padding
    let sum = t.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    t[9] = 0u8.wrapping_sub(sum);
    t
}

/// A policy file adding `n` valid rules (ids unique, each with a waiver and a severity
/// override), the shape a large site policy would have.
pub fn policy_rules(n: usize) -> String {
    let mut p = String::from("[severity]\n");
    for i in 0..n {
        let _ = writeln!(p, "SITE_RULE_{i} = \"medium\"");
    }
    for i in 0..n {
        let _ = write!(
            p,
            "\n[[rule]]\nid = \"SITE_RULE_{i}\"\ntitle = \"t\"\nseverity = \"low\"\n\
             impact = \"integrity\"\nrationale = \"r\"\nreferences = [\"site wiki\"]\n\
             condition = {{ reaches_owner = \"hpet\" }}\n\
             \n[[waiver]]\nrule = \"SITE_RULE_{i}\"\nreason = \"q3\"\nexpires = 2099-01-01\n"
        );
    }
    p
}

/// A policy file with `n` errors: severity overrides naming no rule.
pub fn policy_errors(n: usize) -> String {
    let mut p = String::from("[severity]\n");
    for i in 0..n {
        let _ = writeln!(p, "NO_SUCH_RULE_{i} = \"high\"");
    }
    p
}
