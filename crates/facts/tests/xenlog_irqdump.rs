//! Debug keys `'i'`, `'M'` and the MSI list of `'Q'`: real lines (the harness boot
//! x417-pv-q35-msi-bios: e1000e with MSI-X, ICH9 AHCI with MSI) and hostile ones.

use dom0scope_facts::xenlog::{self, GuestPirq};
use proptest::prelude::*;

const REAL: &str = "\
(XEN) ==== PCI devices ====
(XEN) ==== segment 0000 ====
(XEN) 0000:00:1f.2 - d0 - node -1  - MSIs < 24 >
(XEN) 0000:00:02.0 - d0 - node -1  - MSIs < 25 26 27 >
(XEN) 0000:00:01.0 - d0 - node -1 
(XEN) IRQ information:
(XEN)    IRQ:   0 vec:f0 IO-APIC-edge    status=000 aff:{0}/{0} arch/x86/time.c#timer_interrupt()
(XEN)    IRQ:   3 vec:38 IO-APIC-edge    status=002 aff:{0-1}/{0} mapped, unbound
(XEN)    IRQ:   9 vec:60 IO-APIC-level   status=030 aff:{0}/{0} in-flight=0 d0:  9(---)
(XEN)    IRQ:  24 vec:b8 PCI-MSI         status=010 aff:{1}/{0-1} in-flight=0 d0:415(---)
(XEN)    IRQ:  25 vec:c8 PCI-MSI/-X      status=010 aff:{0}/{0-1} in-flight=0 d0:414(---)
(XEN) Direct vector information:
(XEN)    0x22 -> irq_move_cleanup_interrupt()
(XEN) IO-APIC interrupt information:
(XEN)     IRQ  0 Vec240:
(XEN)       Apic 0x00, Pin  2: vec=f0 delivery=LoPri dest=L status=0 polarity=0 irr=0 trig=E mask=0 dest_id:01
(XEN) MSI information:
(XEN)  MSI     24 vec=b8 lowest  edge   assert  log lowest dest=00000002 mask=0/  /?
(XEN)  MSI-X   25 vec=c8 lowest  edge   assert  log lowest dest=00000001 mask=1/  /0
";

#[test]
fn reads_the_real_dumps() {
    let log = xenlog::parse("xen/dmesg.txt", REAL.as_bytes()).unwrap();
    assert!(log.warnings.is_empty(), "{:?}", log.warnings);
    let msis: Vec<_> = log
        .pci_owners
        .iter()
        .map(|o| (o.sbdf.as_str(), o.msi_irqs.clone()))
        .collect();
    assert_eq!(
        msis,
        [
            ("0000:00:1f.2", vec![24]),
            ("0000:00:02.0", vec![25, 26, 27]),
            ("0000:00:01.0", vec![])
        ]
    );
    let d = &log.irq_dumps;
    assert_eq!(d.bindings.len(), 5);
    let b24 = d.binding(24).unwrap();
    assert_eq!((b24.kind.as_str(), b24.line), ("PCI-MSI", 10));
    assert_eq!(
        b24.guests,
        [GuestPirq {
            domain: 0,
            pirq: 415
        }]
    );
    assert!(b24.is_pci_msi() && !b24.unbound);
    assert_eq!(d.binding(25).unwrap().kind, "PCI-MSI/-X");
    assert!(d.binding(3).unwrap().unbound && !d.binding(3).unwrap().is_pci_msi());
    assert!(d.binding(0).unwrap().guests.is_empty());
    assert_eq!(d.binding(9).unwrap().guests[0].pirq, 9);
    let m25 = d.msi_entry(25).unwrap();
    assert_eq!(
        (m25.kind.as_str(), m25.vector, m25.line),
        ("MSI-X", 0xc8, 19)
    );
    assert_eq!(d.msi_entry(24).unwrap().kind, "MSI");
    assert_eq!(log.evidence(10).text, d.binding(24).unwrap().text);
}

#[test]
fn a_header_starts_a_new_dump_and_a_dump_without_one_still_counts() {
    let text = "(XEN)    IRQ:  30 vec:c8 PCI-MSI         status=010 aff:{0}/{0} in-flight=0 d0:400(---)\n\
                (XEN) IRQ information:\n\
                (XEN)    IRQ:  31 vec:c8 PCI-MSI         status=010 aff:{0}/{0} in-flight=0 d0:401(-M-),d3: 17(P-M)\n\
                (XEN)  MSI-X   40 vec=c8 lowest  edge   assert  log lowest dest=00000001 mask=1/  /0\n\
                (XEN) MSI information:\n\
                (XEN)  MSI     41 vec=b8 fixed   edge deassert phys    cpu dest=00000002 mask=0/HG/?\n";
    let log = xenlog::parse("t", text.as_bytes()).unwrap();
    let d = &log.irq_dumps;
    assert!(log.warnings.is_empty(), "{:?}", log.warnings);
    assert_eq!(d.bindings.keys().copied().collect::<Vec<_>>(), [31]);
    assert_eq!(
        d.binding(31).unwrap().guests,
        [
            GuestPirq {
                domain: 0,
                pirq: 401
            },
            GuestPirq {
                domain: 3,
                pirq: 17
            }
        ]
    );
    assert_eq!(d.msi.keys().copied().collect::<Vec<_>>(), [41]);
}

#[test]
fn malformed_lines_warn_naming_artifact_and_line() {
    let text = "(XEN) Xen version 4.17.7 (a@b) (gcc) debug=n\n\
                (XEN)    IRQ: 99999999999 vec:c8 PCI-MSI status=010 aff:{0}/{0} mapped, unbound\n\
                (XEN)    IRQ:  24 vec:zz PCI-MSI\n\
                (XEN)    IRQ:  25 vec:c8 PCI-MSI         status=010 aff:{0}/{0} in-flight=0 dx:1(---)\n\
                (XEN)  MSI-X   99999999999 vec=c8 lowest  edge   assert  log lowest dest=00000001 mask=1/  /0\n\
                (XEN)  MSI     26 vec=b8\n\
                (XEN) 0000:00:02.0 - d0 - node -1  - MSIs < 25 x >\n";
    let log = xenlog::parse("xen/debugkey-i.txt", text.as_bytes()).unwrap();
    let at: Vec<(String, u32)> = log
        .warnings
        .iter()
        .map(|w| (w.artifact.clone(), w.line))
        .collect();
    let want: Vec<(String, u32)> = (2..=7).map(|n| ("xen/debugkey-i.txt".into(), n)).collect();
    assert_eq!(at, want, "{:?}", log.warnings);
    assert!(log.irq_dumps.is_empty());
    assert!(log.pci_owners[0].msi_irqs.is_empty());
}

#[test]
fn entries_are_bounded_and_the_overflow_warned_about_once() {
    let mut text = String::new();
    for irq in 0..(xenlog::irqdump::MAX_ENTRIES + 100) {
        text.push_str(&format!(
            "(XEN)    IRQ:{irq:4} vec:c8 PCI-MSI         status=010 aff:{{0}}/{{0}} mapped, unbound\n"
        ));
    }
    let log = xenlog::parse("t", text.as_bytes()).unwrap();
    assert_eq!(log.irq_dumps.bindings.len(), xenlog::irqdump::MAX_ENTRIES);
    assert_eq!(log.warnings.len(), 1, "{:?}", log.warnings.first());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_dump_lines_never_panic(tail in ".{0,120}", irq in any::<u64>(), n in 0usize..5) {
        let lines = [
            format!("(XEN)    IRQ:{irq} vec:c8 PCI-MSI status=010 aff:{{0}}/{{0}} {tail}"),
            format!("(XEN)    IRQ:{tail} vec:{tail}"),
            format!("(XEN)  MSI-X {irq} vec={tail} assert dest=0 mask={tail}"),
            format!("(XEN) 0000:00:02.0 - d0 - node -1  - MSIs < {tail}"),
            format!("(XEN)    IRQ:  25 vec:c8 X status=1 aff:{{}}/{{}} in-flight=0 {tail}"),
        ];
        let text = lines[..=n.min(4)].join("\n");
        if let Ok(log) = xenlog::parse("p", text.as_bytes()) {
            for w in &log.warnings {
                prop_assert!(w.line >= 1 && w.line <= 5);
            }
        }
    }
}
