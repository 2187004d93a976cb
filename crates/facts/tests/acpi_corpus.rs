//! Every ACPI table in the corpus parses; one golden summary pins what was read
//! (reviewed against `iasl -d` output of the same tables where available).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use dom0scope_facts::acpi::AcpiTables;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_none_or(|e| e != "md") {
            out.push(p);
        }
    }
}

fn scopes(list: &[dom0scope_facts::acpi::DeviceScope]) -> String {
    let v: Vec<String> = list
        .iter()
        .map(|d| {
            let path: Vec<String> = d
                .path
                .iter()
                .map(|(dv, f)| format!("{dv:02x}.{f}"))
                .collect();
            format!("t{}:{:02x}:{}", d.kind, d.start_bus, path.join("/"))
        })
        .collect();
    format!("[{}]", v.join(" "))
}

fn summary(t: &AcpiTables) -> String {
    let mut s = String::new();
    for i in &t.tables {
        let _ = write!(
            s,
            "  {} r{} {} {} len {} checksum {}",
            i.signature,
            i.revision,
            i.oem_id,
            i.oem_table_id,
            i.length,
            if i.checksum_ok { "ok" } else { "BAD" }
        );
        let _ = writeln!(s);
    }
    if let Some(d) = &t.dmar {
        let _ = writeln!(
            s,
            "  dmar {} haw {} flags {:#x}",
            d.signature, d.host_address_width, d.flags
        );
        for u in &d.drhd {
            let _ = writeln!(
                s,
                "    drhd {:#x} seg {} include_all {} size 2^{} pages @{:#x} scopes {}",
                u.base,
                u.segment,
                u.include_all,
                u.size_pages_log2,
                u.offset,
                scopes(&u.scopes)
            );
        }
        for r in &d.rmrr {
            let _ = writeln!(
                s,
                "    rmrr {:#x}-{:#x} seg {} @{:#x} scopes {}",
                r.base,
                r.limit,
                r.segment,
                r.offset,
                scopes(&r.scopes)
            );
        }
        for a in &d.atsr {
            let _ = writeln!(
                s,
                "    atsr seg {} all_ports {} @{:#x} scopes {}",
                a.segment,
                a.all_ports,
                a.offset,
                scopes(&a.scopes)
            );
        }
    }
    if let Some(i) = &t.ivrs {
        for h in &i.ivhd {
            let _ = writeln!(
                s,
                "    ivhd type {:#x} dev {:04x} base {:#x} @{:#x}",
                h.kind, h.device_id, h.base, h.offset
            );
        }
        for m in &i.ivmd {
            let _ = writeln!(
                s,
                "    ivmd type {:#x} flags {:#x} dev {:04x} {:#x}+{:#x} @{:#x}",
                m.kind, m.flags, m.device_id, m.start, m.length, m.offset
            );
        }
    }
    if let Some(f) = &t.fadt {
        let _ = writeln!(
            s,
            "  fadt smi_cmd {:#x} pm1a_evt {:#x}/{} pm1a_cnt {:#x}/{} pm_tmr {:#x}/{} gpe0 {:#x}/{} facs {:#x} x_facs {:x?} hw_reduced {}",
            f.smi_cmd,
            f.pm1a_evt_blk,
            f.pm1_evt_len,
            f.pm1a_cnt_blk,
            f.pm1_cnt_len,
            f.pm_tmr_blk,
            f.pm_tmr_len,
            f.gpe0_blk,
            f.gpe0_blk_len,
            f.firmware_ctrl,
            f.x_firmware_ctrl,
            f.hw_reduced()
        );
    }
    if let Some(h) = &t.hpet {
        let _ = writeln!(
            s,
            "  hpet base {:#x} space {} page_protect {}",
            h.base, h.space, h.page_protect
        );
    }
    if let Some(m) = &t.madt {
        let _ = writeln!(
            s,
            "  madt lapic {:#x} (override {}) lapics {} x2apics {}",
            m.lapic_address, m.lapic_override, m.lapics, m.x2apics
        );
        for io in &m.ioapics {
            let _ = writeln!(
                s,
                "    ioapic {} {:#x} gsi {}",
                io.id, io.address, io.gsi_base
            );
        }
    }
    if let Some(m) = &t.mcfg {
        for e in &m.entries {
            let _ = writeln!(
                s,
                "    ecam {:#x} seg {} bus {:02x}-{:02x}",
                e.base, e.segment, e.bus_start, e.bus_end
            );
        }
    }
    if let Some(f) = &t.facs {
        let _ = writeln!(
            s,
            "  facs len {} waking {:#x} x_waking {:#x}",
            f.length, f.waking_vector, f.x_waking_vector
        );
    }
    for (a, regions) in &t.op_regions {
        for r in regions.iter().filter(|r| {
            matches!(
                r.space,
                dom0scope_facts::acpi::aml::Space::SystemIo
                    | dom0scope_facts::acpi::aml::Space::SystemMemory
            )
        }) {
            let _ = writeln!(
                s,
                "    {a} opregion {} {:?} {:x?}+{:x?}",
                r.name, r.space, r.offset, r.length
            );
        }
    }
    for w in &t.warnings {
        let _ = writeln!(s, "  warning {}: {}", w.artifact, w.message);
    }
    s
}

#[test]
fn every_corpus_table_parses() {
    let mut all = Vec::new();
    files(&root().join("acpi"), &mut all);
    assert!(all.len() >= 60);
    let mut golden = String::new();
    for p in &all {
        let bytes = std::fs::read(p).unwrap();
        let rel = p.strip_prefix(root()).unwrap().display().to_string();
        let t = AcpiTables::parse([(rel.as_str(), bytes.as_slice())]);
        assert_eq!(
            t.tables.len() + usize::from(t.facs.is_some()),
            1,
            "{rel}: {:?}",
            t.warnings
        );
        let _ = writeln!(golden, "{rel}");
        golden.push_str(&summary(&t));
    }
    insta::assert_snapshot!("acpi_corpus", golden);
}

#[test]
fn snapshot_tables_including_aml() {
    let mut golden = String::new();
    for snap in [
        "x417-pv-q35-vtd-bios",
        "x417-pv-q35-uefi",
        "x420-pv-pc-bios",
        "x420-pvh-q35-vtd-bios",
    ] {
        let mut paths = Vec::new();
        files(
            &root().join("snapshots").join(snap).join("acpi"),
            &mut paths,
        );
        let data: Vec<(String, Vec<u8>)> = paths
            .iter()
            .map(|p| {
                (
                    format!("acpi/{}", p.file_name().unwrap().to_string_lossy()),
                    std::fs::read(p).unwrap(),
                )
            })
            .collect();
        let t = AcpiTables::parse(data.iter().map(|(a, b)| (a.as_str(), b.as_slice())));
        let _ = writeln!(golden, "{snap}");
        golden.push_str(&summary(&t));
    }
    insta::assert_snapshot!("acpi_snapshots", golden);
}
