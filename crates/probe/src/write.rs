//! The write test (`probe --write-test`): does a write by dom0 to a frame reach memory?
//!
//! Xen grants a writable mapping of a frame it keeps read-only (`mmio_ro_ranges`) and makes
//! it read-only underneath, so whether the *mapping* is granted says nothing; only the store
//! does. Per frame: read the byte at the offset through a read-only mapping, store the byte
//! XOR 0xff through a writable one (in a child process that may fault,
//! [`dom0scope_privcmd::Xen::write_byte`]), read it again through a fresh read-only mapping,
//! and put the old byte back if it is still changed. This changes machine memory for a
//! moment, on purpose: only on request.

use dom0scope_privcmd::{Errno, MapError, WRITE_TIMEOUT, Window, WriteEnd, Xen};
use serde::Serialize;

/// What the write test found for one frame, or for a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOutcome {
    /// The store changed the byte (then it was put back).
    Landed,
    /// A writable mapping was granted, but the byte never changed: the store faulted or was
    /// dropped. What a frame Xen keeps read-only shows.
    Dropped,
    /// Xen refused to map the frame at all (`EPERM`).
    MapRefused,
    /// The store landed and putting the old byte back failed: the frame is left CHANGED.
    LeftChanged,
    /// Samples disagree.
    Mixed,
    /// No answer (another error, or the writer never reached the store).
    Failed,
}

impl WriteOutcome {
    /// As the text report shows it.
    pub fn label(self) -> &'static str {
        match self {
            WriteOutcome::Landed => "write reached memory",
            WriteOutcome::Dropped => "write did not reach memory (read-only)",
            WriteOutcome::MapRefused => "map refused",
            WriteOutcome::LeftChanged => "WRITE LEFT IN MEMORY: restoring the byte failed",
            WriteOutcome::Mixed => "mixed",
            WriteOutcome::Failed => "write test failed",
        }
    }
}

/// The write test of one frame.
#[derive(Debug, Clone, Serialize)]
pub struct WriteCheck {
    /// The answer.
    pub outcome: WriteOutcome,
    /// The byte written, within the frame.
    pub offset: u16,
    /// The byte before, read through a read-only mapping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<u8>,
    /// The byte after, read through a fresh read-only mapping (before any repair).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<u8>,
    /// What happened, in a sentence.
    pub detail: String,
}

impl WriteCheck {
    fn new(outcome: WriteOutcome, offset: u16, detail: String) -> WriteCheck {
        WriteCheck {
            outcome,
            offset,
            before: None,
            after: None,
            detail,
        }
    }
}

fn refused_or_failed(e: MapError) -> WriteOutcome {
    if e == MapError::Frame(Errno::PERM) {
        WriteOutcome::MapRefused
    } else {
        WriteOutcome::Failed
    }
}

fn read_byte(xen: &mut dyn Xen, at: Window, offset: u16) -> Result<u8, MapError> {
    let mut buf = vec![0u8; usize::from(offset) + 1];
    xen.read_window(at, &mut buf)?;
    Ok(buf[usize::from(offset)])
}

/// The write test of the frame `at` names, at byte `offset` (below 4096).
pub fn check(xen: &mut dyn Xen, at: Window, offset: u16) -> WriteCheck {
    let before = match read_byte(xen, at, offset) {
        Ok(b) => b,
        Err(e) => {
            return WriteCheck::new(
                refused_or_failed(e),
                offset,
                format!("read-only mapping for the byte before: {e}"),
            );
        }
    };
    let value = before ^ 0xff;
    let end = xen.write_byte(at, offset, value, true);
    let mut c = WriteCheck::new(WriteOutcome::Failed, offset, String::new());
    c.before = Some(before);
    let end = match end {
        Ok(end) => end,
        Err(e) => {
            c.outcome = refused_or_failed(e);
            c.detail = format!("writable mapping: {e}");
            return c;
        }
    };
    let after = match read_byte(xen, at, offset) {
        Ok(b) => b,
        Err(e) => {
            c.detail = format!(
                "{}; then the fresh read-only mapping failed ({e}): whether the byte is back \
                 is not known",
                how_it_ended(end, value)
            );
            return c;
        }
    };
    c.after = Some(after);
    let t = WRITE_TIMEOUT.as_secs();
    let ended = how_it_ended(end, value);
    if after == before {
        (c.outcome, c.detail) = match end {
            WriteEnd::Done { readback, .. } if readback == value => (
                WriteOutcome::Landed,
                format!("{ended}; the writer put {before:#04x} back, and it reads {after:#04x}"),
            ),
            WriteEnd::Done { readback, .. } if readback == before => (
                WriteOutcome::Dropped,
                format!("{ended}: the store was dropped; {before:#04x} before and after"),
            ),
            WriteEnd::TimedOut { before: Some(_) }
            | WriteEnd::Signalled {
                before: Some(_), ..
            } => (
                WriteOutcome::Dropped,
                format!("{ended}; {before:#04x} before and after"),
            ),
            WriteEnd::TimedOut { before: None } => (
                WriteOutcome::Failed,
                format!("the writer did not reach the store within {t} s"),
            ),
            _ => (WriteOutcome::Failed, ended),
        };
        return c;
    }
    if after != value {
        c.detail = format!(
            "{ended}; the byte now reads {after:#04x}, neither the old {before:#04x} nor the \
             {value:#04x} written: something else changes it (device memory?), no verdict, \
             nothing restored"
        );
        return c;
    }
    // The store landed and the byte is still changed: the writer was stopped before it
    // restored, or was not asked to. Put it back with a second store.
    let repaired = xen.write_byte(at, offset, before, false).ok();
    let now = read_byte(xen, at, offset).ok();
    if now == Some(before) {
        c.outcome = WriteOutcome::Landed;
        c.detail = format!(
            "{ended}; it read {after:#04x} afterwards, and a second store put {before:#04x} back"
        );
    } else {
        c.outcome = WriteOutcome::LeftChanged;
        c.detail = format!(
            "{ended}; it read {after:#04x} afterwards and putting {before:#04x} back failed \
             ({}; now {}): the frame is LEFT CHANGED",
            repaired.map_or("second store refused".into(), |e| how_it_ended(e, before)),
            now.map_or("unreadable".into(), |b| format!("{b:#04x}"))
        );
    }
    c
}

/// The writer's end, in words.
fn how_it_ended(end: WriteEnd, value: u8) -> String {
    let t = WRITE_TIMEOUT.as_secs();
    match end {
        WriteEnd::Done { readback, .. } => {
            format!("stored {value:#04x} without a fault and read back {readback:#04x}")
        }
        WriteEnd::TimedOut { before: Some(_) } => format!(
            "the store of {value:#04x} did not complete in {t} s and the writer was killed \
             (what a store to a page Xen keeps read-only does: it faults and is retried \
             without end)"
        ),
        WriteEnd::TimedOut { before: None } => {
            format!("the writer did not reach the store within {t} s and was killed")
        }
        WriteEnd::Signalled { signal, .. } => {
            format!("the writer died on signal {signal} (the store of {value:#04x} faulted)")
        }
        WriteEnd::Exited { code, .. } => {
            format!("the writer exited with status {code} before reporting every step")
        }
    }
}

/// One answer for a range: all alike, else a frame left changed, else a failure, else mixed.
pub fn summarise<'a>(checks: impl Iterator<Item = &'a WriteCheck>) -> Option<WriteOutcome> {
    let all: Vec<WriteOutcome> = checks.map(|c| c.outcome).collect();
    let first = *all.first()?;
    Some(if all.iter().all(|&o| o == first) {
        first
    } else if all.contains(&WriteOutcome::LeftChanged) {
        WriteOutcome::LeftChanged
    } else if all.contains(&WriteOutcome::Failed) {
        WriteOutcome::Failed
    } else {
        WriteOutcome::Mixed
    })
}
