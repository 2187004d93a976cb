//! The write test (`--write-test`) through the seam: the simulated Xen keeps
//! `mmio_ro_ranges` ([`SimXen::read_only`]), and a wrapper breaks the writer or the restore to
//! show that a changed frame is repaired, or reported LEFT CHANGED, never hidden.

use dom0scope_privcmd::sim::SimXen;
use dom0scope_privcmd::{WriteEnd, abi};
use dom0scope_ranges::{FrameSet, PortSet};

use super::*;

const WT: Option<WriteTest> = Some(WriteTest { offset: 0xfff });

/// A patched Xen 4.22 PV dom0 on q35/SeaBIOS: dom0 holds the first MiB, the trampoline
/// 0x8f-0x90 is read-only, 0xb8 is VGA text memory, 0xfee00 is not dom0's.
fn patched() -> SimXen {
    let mut x = SimXen::new(
        FrameSet::from_ranges([0..=0xfedff]),
        PortSet::from_ranges([0..=0xffff]),
    );
    x.read_only = FrameSet::from_ranges([0x8f..=0x90]);
    for (mfn, b) in [(0x8f, 0x11), (0x90, 0x22), (0xb8, 0x07)] {
        x.frames.insert(mfn, vec![b; 4096]);
    }
    x.domctl_version = Some(0x17);
    x
}

fn mfns(first: u64, last: u64) -> Target {
    Target {
        resource: Resource::Iomem,
        first,
        last,
        what: "frames".into(),
        origin: "--mfn".into(),
        peek: Peek::None,
        read_safe: false,
        kept: false,
    }
}

fn targets() -> Vec<Target> {
    vec![mfns(0x8f, 0x90), mfns(0xb8, 0xb8), mfns(0xfee00, 0xfee00)]
}

fn outcomes(r: &Report) -> Vec<(Outcome, Option<WriteOutcome>)> {
    r.ranges.iter().map(|x| (x.outcome, x.write)).collect()
}

#[test]
fn pv_read_only_frames_drop_the_write_and_the_control_sees_it_land() {
    let mut x = patched();
    let r = run(&mut x, None, Method::DomIo, &targets(), false, WT);
    assert_eq!(
        outcomes(&r),
        [
            (Outcome::Granted, Some(WriteOutcome::Dropped)),
            (Outcome::Granted, Some(WriteOutcome::Landed)),
            (Outcome::Refused, Some(WriteOutcome::MapRefused)),
        ]
    );
    let w = r.ranges[0].samples[1].write.as_ref().unwrap();
    assert_eq!(
        (w.before, w.after, w.offset),
        (Some(0x22), Some(0x22), 0xfff)
    );
    assert!(w.detail.contains("killed"), "{}", w.detail);
    let w = r.ranges[1].samples[0].write.as_ref().unwrap();
    assert_eq!((w.before, w.after), (Some(0x07), Some(0x07)));
    assert_eq!(x.frames[&0xb8][0xfff], 0x07, "the control's byte is back");
    // Each frame: read, store (XOR 0xff), read again through a fresh mapping.
    let vga = Window::Foreign {
        dom: abi::DOMID_IO,
        gfn: 0xb8,
    };
    let c: Vec<String> = x.calls.iter().map(ToString::to_string).collect();
    let at = c
        .iter()
        .position(|s| s == "map_foreign_ro(0x7ff1, 0xb8)")
        .unwrap();
    assert_eq!(
        c[at + 1..at + 4],
        [
            format!("read_window({vga:?})"),
            format!("write_byte({vga:?}, +0xfff, 0xf8)"),
            format!("read_window({vga:?})"),
        ]
    );
    let bad = |e| -> Vec<u64> {
        contradictions(&r, e)
            .iter()
            .map(|x| x.target.first)
            .collect()
    };
    assert_eq!(bad(Expect::ReadOnly), [0xb8, 0xfee00]);
    assert_eq!(bad(Expect::Writable), [0x8f, 0xfee00]);
    assert_eq!(bad(Expect::Granted), [0xfee00], "the reads alone");
}

#[test]
fn without_the_write_test_no_write_expectation_is_met() {
    let mut x = patched();
    let r = run(&mut x, None, Method::DomIo, &targets()[..2], false, None);
    assert!(r.ranges.iter().all(|x| x.write.is_none()));
    assert_eq!(contradictions(&r, Expect::ReadOnly).len(), 2);
    assert_eq!(contradictions(&r, Expect::Writable).len(), 2);
    assert!(
        x.calls
            .iter()
            .all(|c| !c.to_string().starts_with("write_byte"))
    );
}

#[test]
fn pvh_self_map_writes_through_the_scratch_frame_and_removes_it() {
    let mut x = patched();
    x.pvh = true;
    let m = Method::SelfMap {
        scratch_gfn: 0x10_0000,
    };
    let r = run(&mut x, Some(0x17), m, &targets(), false, WT);
    assert_eq!(
        outcomes(&r),
        [
            (Outcome::Granted, Some(WriteOutcome::Dropped)),
            (Outcome::Granted, Some(WriteOutcome::Landed)),
            (Outcome::Refused, Some(WriteOutcome::MapRefused)),
        ]
    );
    let w = r.ranges[0].samples[0].write.as_ref().unwrap();
    assert!(w.detail.contains("the store was dropped"), "{}", w.detail);
    assert!(x.mapped.is_empty(), "every self-mapping removed");
    let c: Vec<String> = x.calls.iter().map(ToString::to_string).collect();
    let phys = format!("{:?}", Window::Phys { gfn: 0x10_0000 });
    // Mapped, read, stored, read again, removed: the write goes through the scratch frame
    // only while the machine frame is mapped there.
    assert_eq!(
        c[..5],
        [
            "memory_mapping(0x100000, 0x8f, 1, true)".to_string(),
            format!("read_window({phys})"),
            format!("write_byte({phys}, +0xfff, 0xee)"),
            format!("read_window({phys})"),
            "memory_mapping(0x100000, 0x8f, 1, false)".to_string(),
        ]
    );
}

/// `SimXen` whose writer lands its store but never restores it (killed first), and whose
/// second store, the repair, lands or not.
struct Unrestored {
    x: SimXen,
    repair_works: bool,
    stores: usize,
}

impl Xen for Unrestored {
    fn domctl(&mut self, d: &[u8; abi::DOMCTL_SIZE]) -> Result<(), Errno> {
        self.x.domctl(d)
    }
    fn read_ring(&mut self, from: Option<u32>) -> std::io::Result<(Vec<u8>, u32)> {
        self.x.read_ring(from)
    }
    fn debug_keys(&mut self, keys: &[u8]) -> std::io::Result<()> {
        self.x.debug_keys(keys)
    }
    fn map_foreign_ro(&mut self, dom: u16, gfn: u64, peek: &mut [u8]) -> Result<(), MapError> {
        self.x.map_foreign_ro(dom, gfn, peek)
    }
    fn read_port(&mut self, port: u16) -> std::io::Result<u8> {
        self.x.read_port(port)
    }
    fn read_window(&mut self, at: Window, buf: &mut [u8]) -> Result<(), MapError> {
        self.x.read_window(at, buf)
    }
    fn write_byte(
        &mut self,
        at: Window,
        offset: u16,
        value: u8,
        _restore: bool,
    ) -> Result<WriteEnd, MapError> {
        self.stores += 1;
        if self.stores > 1 && !self.repair_works {
            return Err(MapError::Frame(Errno::PERM));
        }
        let end = self.x.write_byte(at, offset, value, false)?;
        Ok(match end {
            WriteEnd::Done { before, .. } => WriteEnd::TimedOut {
                before: Some(before),
            },
            e => e,
        })
    }
    fn hypfs_version(&mut self) -> std::io::Result<u32> {
        self.x.hypfs_version()
    }
    fn hypfs_read(&mut self, path: &str) -> std::io::Result<abi::hypfs::Entry> {
        self.x.hypfs_read(path)
    }
}

#[test]
fn a_write_left_in_memory_is_repaired_or_reported_left_changed() {
    for repair_works in [true, false] {
        let mut u = Unrestored {
            x: patched(),
            repair_works,
            stores: 0,
        };
        let r = run(&mut u, None, Method::DomIo, &targets()[1..2], false, WT);
        let w = r.ranges[0].samples[0].write.as_ref().unwrap();
        assert_eq!(w.after, Some(0xf8), "changed after the writer died");
        if repair_works {
            assert_eq!(w.outcome, WriteOutcome::Landed, "{}", w.detail);
            assert!(
                w.detail.contains("second store put 0x07 back"),
                "{}",
                w.detail
            );
            assert_eq!(u.x.frames[&0xb8][0xfff], 0x07);
        } else {
            assert_eq!(r.ranges[0].write, Some(WriteOutcome::LeftChanged));
            assert!(w.detail.contains("LEFT CHANGED"), "{}", w.detail);
            assert_eq!(contradictions(&r, Expect::Writable).len(), 1);
        }
    }
}

#[test]
fn range_summary_reports_the_worst_case() {
    let c = |o| WriteCheck {
        outcome: o,
        offset: 0,
        before: None,
        after: None,
        detail: String::new(),
    };
    use WriteOutcome::*;
    let s =
        |v: &[WriteOutcome]| write::summarise(v.iter().map(|&o| c(o)).collect::<Vec<_>>().iter());
    assert_eq!(s(&[]), None);
    assert_eq!(s(&[Dropped, Dropped]), Some(Dropped));
    assert_eq!(s(&[Dropped, Landed]), Some(Mixed));
    assert_eq!(s(&[Dropped, Failed, Landed]), Some(Failed));
    assert_eq!(s(&[Failed, LeftChanged]), Some(LeftChanged));
}
