//! IRQs Xen granted at run time for devices' MSI/MSI-X: shown apart as observations, each
//! tied to its device by a `'Q'` line, and never hiding an IRQ nothing explains.

use std::path::Path;

use dom0scope_facts::{Facts, xenlog};
use dom0scope_reach::Reach;
use dom0scope_reach::verify::{Comparison, Outcome};

/// A real 4.17 PV boot (GSIs 0-23: the model grants IRQs 1-23) whose last `'q'` dump is
/// given `interrupts`, followed by `dumps` (debug keys `Q`, `i`, `M`).
fn compare(interrupts: &str, dumps: &str) -> Comparison {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/logs/qemu-xen-4.17/pv-q35-qemu64.log");
    let log = std::fs::read_to_string(path).unwrap();
    let at = log.rfind("Interrupts { 1-23 }").unwrap();
    let text = format!(
        "{}Interrupts {{ {interrupts} }}{}{dumps}",
        &log[..at],
        &log[at + "Interrupts { 1-23 }".len()..]
    );
    let facts = Facts {
        xen: Some(xenlog::parse("xen/dmesg.txt", text.as_bytes()).unwrap()),
        acpi: None,
        cpuinfo: None,
        pci: Vec::new(),
        dom0: None,
        warnings: Vec::new(),
        identity: Default::default(),
    };
    Reach::derive(&facts).comparison().unwrap().clone()
}

const Q: &str = "(XEN) ==== PCI devices ====\n\
                 (XEN) ==== segment 0000 ====\n\
                 (XEN) 0000:00:1f.2 - d0 - node -1  - MSIs < 24 >\n\
                 (XEN) 0000:00:02.0 - d0 - node -1  - MSIs < 25 26 27 >\n";
const I: &str = "(XEN) IRQ information:\n\
                 (XEN)    IRQ:  24 vec:b8 PCI-MSI         status=010 aff:{1}/{0-1} in-flight=0 d0:415(---)\n\
                 (XEN)    IRQ:  25 vec:c8 PCI-MSI/-X      status=010 aff:{0}/{0-1} in-flight=0 d0:414(---)\n\
                 (XEN)    IRQ:  26 vec:d0 PCI-MSI/-X      status=030 aff:{0}/{0-1} in-flight=0 d0:413(---)\n\
                 (XEN)    IRQ:  27 vec:d8 PCI-MSI/-X      status=010 aff:{0}/{0-1} in-flight=0 d0:412(---)\n";
const M: &str = "(XEN) MSI information:\n\
                 (XEN)  MSI     24 vec=b8 lowest  edge   assert  log lowest dest=00000002 mask=0/  /?\n\
                 (XEN)  MSI-X   25 vec=c8 lowest  edge   assert  log lowest dest=00000001 mask=1/  /0\n";

#[test]
fn msi_irqs_tied_to_devices_are_run_time_grants_not_differences() {
    let c = compare("1-27", &format!("{Q}{I}{M}"));
    assert_eq!(c.outcome, Outcome::Agree);
    assert!(c.agrees && c.differences.is_empty());
    let g: Vec<_> = c
        .runtime_grants
        .iter()
        .map(|g| {
            (
                g.range.as_str(),
                g.device.as_str(),
                g.kind.as_str(),
                g.dom0_pirqs.clone(),
            )
        })
        .collect();
    assert_eq!(
        g,
        [
            ("24", "0000:00:1f.2", "MSI", vec![415]),
            ("25", "0000:00:02.0", "MSI-X", vec![414]),
            // No 'M' entry for 26 and 27: the 'i' handler names them.
            ("26-27", "0000:00:02.0", "PCI-MSI/-X", vec![413, 412]),
        ]
    );
    let first = &c.runtime_grants[0];
    assert!(
        first
            .why
            .starts_with("granted at run time for MSI of 0000:00:1f.2, xen/dmesg.txt:")
    );
    assert!(first.evidence[0].text.ends_with("MSIs < 24 >"));
    assert_eq!(first.evidence.len(), 3);
}

#[test]
fn an_extra_irq_without_msi_evidence_is_still_a_difference() {
    let c = compare("1-28", &format!("{Q}{I}{M}"));
    assert_eq!(c.outcome, Outcome::ModelDiffers);
    assert_eq!(c.differences.len(), 1);
    let d = &c.differences[0];
    assert_eq!(
        (d.range.as_str(), d.observed_only, d.note.is_none()),
        ("28-28", true, true)
    );
    assert_eq!(c.runtime_grants.len(), 3);
}

#[test]
fn an_msi_irq_no_q_line_ties_to_a_device_stays_a_difference_with_a_note() {
    let q = Q.replace("< 25 26 27 >", "< 25 26 >");
    let c = compare("1-27", &format!("{q}{I}{M}"));
    assert_eq!(c.outcome, Outcome::ModelDiffers);
    let d = &c.differences[0];
    assert_eq!(d.range, "27-27");
    let note = d.note.as_deref().unwrap();
    assert!(
        note.contains("1 IRQ(s) here as MSI, first IRQ 27 (xen/dmesg.txt:"),
        "{note}"
    );
    assert!(note.contains("no debug-key 'Q' line"), "{note}");
    // Without 'i' and 'M' nothing explains anything.
    let c = compare("1-27", "");
    assert_eq!(c.differences[0].range, "24-27");
    assert!(c.runtime_grants.is_empty());
}

#[test]
fn msi_irqs_outside_the_rangeset_or_already_predicted_grant_nothing() {
    let q = Q.replace("< 24 >", "< 5 24 30 >");
    let c = compare("1-27", &q);
    assert_eq!(c.outcome, Outcome::Agree);
    let ranges: Vec<&str> = c.runtime_grants.iter().map(|g| g.range.as_str()).collect();
    assert_eq!(ranges, ["24", "25-27"]);
    // Xen denies IRQs the model grants: unaffected by MSI evidence.
    let c = compare("1-20, 24-27", &format!("{Q}{I}"));
    assert_eq!(c.differences.len(), 1);
    assert!(!c.differences[0].observed_only && c.differences[0].range == "21-23");
}

#[test]
fn a_device_of_another_domain_says_dom0_mapped_it() {
    let q = Q.replace("0000:00:1f.2 - d0", "0000:00:1f.2 - d3");
    let c = compare("1-27", &q);
    let g = &c.runtime_grants[0];
    assert_eq!((g.owner.as_str(), g.kind.as_str()), ("d3", "MSI"));
    assert!(g.why.contains("(owned by d3, mapped by dom0)"), "{}", g.why);
}
