//! PCI config dumps: pciutils' real `lspci -xxxx` test dumps and the sysfs
//! `config` files of real dom0s; a golden pins the decoded host bridges, LPC
//! bridges and capability lists.

use std::fmt::Write;
use std::path::Path;

use dom0scope_facts::pci::{PciFunction, config, lspci};

fn describe(f: &PciFunction, s: &mut String) {
    let _ = writeln!(
        s,
        "  {} {:04x}:{:04x} class {:06x} header {:?} config {} bytes",
        f.sbdf, f.vendor_id, f.device_id, f.class, f.header_type, f.config_len
    );
    for b in config::bars(&f.config) {
        let _ = writeln!(
            s,
            "    BAR{} {} {:#x}{}{}",
            b.index,
            if b.io { "io" } else { "mem" },
            b.base,
            if b.is_64 { " 64-bit" } else { "" },
            if b.prefetchable { " prefetchable" } else { "" }
        );
    }
    let caps: Vec<String> = config::capabilities(&f.config)
        .iter()
        .map(|c| format!("{}@{:#x}", c.name, c.offset))
        .collect();
    if !caps.is_empty() {
        let _ = writeln!(s, "    caps {}", caps.join(", "));
    }
    if let Some(m) = config::msix(&f.config) {
        let _ = writeln!(
            s,
            "    msix table BAR{}+{:#x} pba BAR{}+{:#x} entries {}",
            m.table_bar, m.table_offset, m.pba_bar, m.pba_offset, m.entries
        );
    }
}

#[test]
fn lspci_dumps_parse_and_host_bridges_decode() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/lspci");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    let mut golden = String::new();
    for p in names {
        let text = std::fs::read_to_string(&p).unwrap();
        let mut w = Vec::new();
        let f = lspci::parse("x", &text, &mut w);
        assert!(!f.is_empty(), "{}", p.display());
        assert!(f.iter().all(|d| d.config_len >= 64), "{}", p.display());
        let _ = writeln!(
            golden,
            "{}: {} functions, {} warnings",
            p.file_name().unwrap().to_string_lossy(),
            f.len(),
            w.len()
        );
        for d in f
            .iter()
            .filter(|d| d.is_host_bridge() || d.is_lpc_bridge() || d.is_iommu())
            .take(6)
        {
            describe(d, &mut golden);
        }
    }
    insta::assert_snapshot!("lspci", golden);
}

#[test]
fn sysfs_config_of_a_real_dom0() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/snapshots/x417-pv-q35-vtd-bios/pci");
    let mut arts = Vec::new();
    for d in std::fs::read_dir(&root).unwrap() {
        let d = d.unwrap().path();
        for f in ["config", "resource", "class"] {
            let bytes = std::fs::read(d.join(f)).unwrap();
            arts.push((
                format!("pci/{}/{f}", d.file_name().unwrap().to_string_lossy()),
                bytes,
            ));
        }
    }
    let mut w = Vec::new();
    let fns =
        dom0scope_facts::pci::parse(arts.iter().map(|(a, b)| (a.as_str(), b.as_slice())), &mut w);
    assert!(w.is_empty(), "{w:?}");
    let mut golden = String::new();
    for f in &fns {
        describe(f, &mut golden);
    }
    // The e1000e is PCIe with MSI-X; its 4 KiB config holds the extended list.
    let e = fns.iter().find(|f| f.sbdf == "0000:00:02.0").unwrap();
    assert_eq!(e.config_len, 4096);
    assert!(config::capabilities(&e.config).iter().any(|c| c.extended));
    insta::assert_snapshot!("sysfs", golden);
}
