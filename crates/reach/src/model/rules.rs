//! The rules: Xen's dom0 permission code, one entry per grant or denial, each
//! citing where Xen does it. Versions: read at the xen.git tags of `MODELLED`
//! and checked against Debian's 4.17.7+13 and 4.20.4+63 builds (the real
//! rangesets of `testdata/`); which release has which change is `changes`, and
//! `docs/model-sources.md` has the reading.

use dom0scope_facts::xenlog::Dom0Mode;
use dom0scope_ranges::frame_of;

use super::changes::Changes;
use super::cmdline;
use super::input::{ModelInput, Vendor, fact};
use super::{Op, Step, Target};

/// A rule's identity and source.
#[derive(Debug, Clone, Copy)]
pub struct RuleDoc {
    /// Stable rule id, as [`Step::rule`] names it.
    pub id: &'static str,
    /// Xen file and function.
    pub source: &'static str,
    /// Versions it applies to.
    pub versions: &'static str,
    /// What the rule grants or denies, in one line.
    pub summary: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $source:literal, $versions:literal, $summary:literal;)*) => {
        $(#[allow(dead_code)] pub(crate) const $name: &str = $id;)*
        /// Every rule the model knows.
        pub const RULES: &[RuleDoc] = &[$(RuleDoc { id: $id, source: $source, versions: $versions, summary: $summary }),*];
    };
}

/// The Xen file and function behind rule `id` ("" for an id the table does not know).
pub fn rule_source(id: &str) -> &'static str {
    RULES.iter().find(|r| r.id == id).map_or("", |r| r.source)
}

rules! {
    PERMIT_PORTS = "permit-ioports", "arch/x86/dom0_build.c dom0_setup_permissions()", "all", "grant every I/O port 0-0xffff";
    PERMIT_IOMEM = "permit-iomem", "arch/x86/dom0_build.c dom0_setup_permissions(); arch/x86/include/asm/paging.h paging_max_paddr_bits() (PVH, 4.18.5-4.18.6); arch/x86/domain.c domain_max_paddr_bits() (PVH, 4.19.2+)", "all", "grant every frame below 2^paddr_bits";
    PERMIT_IRQS = "permit-irqs", "arch/x86/dom0_build.c dom0_setup_permissions()", "all", "grant IRQs 1..nr_irqs_gsi-1 (IRQ0, the timer, never)";
    DENY_PIC = "deny-pic", "arch/x86/dom0_build.c dom0_setup_permissions()", "all", "8259 PIC ports 0x20-0x21, 0xa0-0xa1 (and probed aliases, 4.19+)";
    DENY_ELCR = "deny-elcr", "arch/x86/dom0_build.c dom0_setup_permissions() (d0ea916fcd)", ">= 4.19", "ELCR ports 0x4d0-0x4d1";
    DENY_PIT = "deny-pit", "arch/x86/dom0_build.c dom0_setup_permissions()", "all", "PIT ports 0x40-0x43 (and probed aliases, 4.19+)";
    DENY_PORT61 = "deny-port61", "arch/x86/dom0_build.c dom0_setup_permissions()", "all", "port 0x61 (PIT channel 2 gate / speaker)";
    DENY_PORT92 = "deny-port92", "arch/x86/dom0_build.c dom0_setup_permissions() (9e2c146c38)", ">= 4.19", "port 0x92 (A20, fast INIT)";
    DENY_PORTF0 = "deny-portf0", "arch/x86/dom0_build.c dom0_setup_permissions() (86266162fc)", ">= 4.19", "port 0xf0 (IGNNE#)";
    DENY_PMTMR = "deny-pmtimer", "arch/x86/dom0_build.c dom0_setup_permissions()", "all", "ACPI PM timer ports (4 from the FADT's PM_TMR_BLK)";
    DENY_CF9 = "deny-cf9", "arch/x86/dom0_build.c dom0_setup_permissions() (ee3bcf907a)", ">= 4.19", "reset control port 0xcf9";
    DENY_PCI_DATA = "deny-pci-conf-data", "arch/x86/dom0_build.c dom0_setup_permissions()", "all", "PCI config data ports 0xcfc-0xcff (0xcf8 is intercepted instead)";
    DENY_ISA_DMA = "deny-isa-dma", "arch/x86/dom0_build.c dom0_setup_permissions() (306e3dc919)", ">= 4.19, PVH", "ISA DMA controller ports 0x00-0x1f, 0x81-0x8f, 0xc0-0xdf";
    DENY_E9 = "deny-debugcon", "arch/x86/dom0_build.c dom0_setup_permissions()", "PVH", "HVM debug console port 0xe9";
    DENY_SMI_CMD = "deny-smi-cmd", "arch/x86/dom0_build.c dom0_setup_permissions(); arch/x86/cpu/amd.c (amd_acpi_c1e_quirk)", "PVH on AMD families with the C1E quirk", "the FADT's SMI_CMD port";
    DENY_USER_PORTS = "deny-dom0-ioports-disable", "arch/x86/dom0_build.c process_dom0_ioports_disable()", "all", "ports listed in dom0_ioports_disable=";
    DENY_LAPIC = "deny-lapic", "arch/x86/dom0_build.c dom0_setup_permissions()", "all", "the local APIC page";
    DENY_VLAPIC = "deny-vlapic", "arch/x86/dom0_build.c dom0_setup_permissions() (has_vlapic; 381caa3885: 7ce2ec63b2, e665204eb3, bc3006b9fe)", "PVH; 4.18.5+, 4.19.2+, 4.20.1+", "the emulated LAPIC page 0xfee00";
    DENY_MSI_RANGE = "deny-msi-range", "arch/x86/dom0_build.c dom0_setup_permissions()", "4.17; 4.18.0-4.18.4; 4.19.0-4.19.1; 4.20.0 (removed by 381caa3885)", "the MSI address window 0xfee00000-0xfeefffff";
    DENY_IOAPIC = "deny-ioapic", "arch/x86/dom0_build.c dom0_setup_permissions() (has_vioapic; 62f3fc5296: 74e860e45e, a1a5bd40b5)", "PVH; 4.19.2+, 4.20.1+ only", "each IO-APIC page (PV keeps them read-only)";
    DENY_HT_HOLE = "deny-amd-ht-hole", "arch/x86/dom0_build.c dom0_setup_permissions()", "AMD and Hygon", "the 12 GiB HyperTransport hole below 1 TiB (family < 0x17) or below 2^paddr_bits";
    DENY_UNUSABLE = "deny-e820-unusable", "arch/x86/dom0_build.c dom0_setup_permissions()", "all", "E820 unusable ranges above 1 MiB";
    DENY_HPET = "deny-hpet", "arch/x86/dom0_build.c dom0_setup_permissions(); arch/x86/hpet.c", "all", "the HPET page(s) when the table asks for 4K/64K page protection";
    RO_HPET = "ro-hpet", "arch/x86/hpet.c (ro-hpet, default on)", "all", "the HPET page, read-only, when the table asks no protection";
    DENY_MCFG_PVH = "deny-mcfg-pvh", "arch/x86/hvm/io.c vpci_mmcfg_deny_access() (62f3fc5296: 74e860e45e, a1a5bd40b5)", "PVH; 4.19.2+, 4.20.1+ only", "every MCFG (ECAM) window (vPCI traps them)";
    RO_MCFG = "ro-mcfg", "arch/x86/x86_64/mmconfig_64.c pci_mmcfg_arch_enable()", "all, PV", "MCFG windows Xen uses, read-only";
    RO_IOAPIC = "ro-ioapic", "arch/x86/io_apic.c ioapic_init_mappings()", "all, PV", "IO-APIC pages, read-only";
    DENY_VTD = "deny-vtd-drhd", "drivers/passthrough/vtd/iommu.c intel_iommu_hwdom_init()", "all, IOMMU on", "one page per VT-d remapping unit";
    DENY_AMD_IOMMU = "deny-amd-iommu-mmio", "drivers/passthrough/amd/pci_amd_iommu.c amd_iommu_hwdom_init()", "all, IOMMU on", "the 16 KiB register window of each AMD IOMMU";
    DENY_SERIAL = "deny-serial-console", "drivers/char/ns16550.c ns16550_endboot()", "all", "the I/O ports of a UART Xen uses as its console";
    PATCH_TRAMPOLINE = "xen-patch-ro-trampoline", "dom0scope harden --xen-patch 0001-dom0-ro-trampoline: arch/x86/dom0_build.c dom0_setup_permissions()", "a Xen that logs [dom0-ro-trampoline]", "the AP trampoline frames PFN_DOWN(trampoline_phys)..PFN_DOWN(bootsym_phys(trampoline_end) - 1), read-only (mmio_ro_ranges)";
    PATCH_EFI_RT_CODE = "xen-patch-deny-efi-rt-code", "dom0scope harden --xen-patch 0002-dom0-protect-efi-rt: arch/x86/dom0_build.c dom0_setup_permissions() (calls the helper the patch adds to arch/x86/efi/efi-boot.h)", "a Xen that logs [dom0-protect-efi-rt]", "every EfiRuntimeServicesCode range of the EFI memory map";
    PATCH_EFI_RT_DATA = "xen-patch-ro-efi-rt-data", "dom0scope harden --xen-patch 0002-dom0-protect-efi-rt: arch/x86/dom0_build.c dom0_setup_permissions() (calls the helper the patch adds to arch/x86/efi/efi-boot.h)", "a Xen that logs [dom0-protect-efi-rt]", "every EfiRuntimeServicesData range, read-only (mmio_ro_ranges)";
    PATCH_S3_PORTS = "xen-patch-deny-sleep-ports", "dom0scope harden --xen-patch 0003-dom0-protect-s3: arch/x86/dom0_build.c dom0_setup_permissions() (calls the helper the patch adds there)", "a Xen that logs [dom0-protect-s3]", "the FADT's PM1a/PM1b control and sleep control blocks in I/O space (acpi_sinfo)";
    REMOVE_REGRANT = "rangeset-remove-regrant", "common/rangeset.c rangeset_remove_range()", "4.17; 4.18; 4.19.0-4.19.2; 4.20.0 (fixed by e118fc98e7)", "a denial starting inside an earlier hole and reaching a later range first stretches the range before the hole over it";
}

struct Out<'a> {
    steps: Vec<Step>,
    input: &'a ModelInput,
}

impl Out<'_> {
    fn push(
        &mut self,
        rule: &'static str,
        op: Op,
        target: Target,
        why: impl Into<String>,
        assumed: Option<&'static str>,
    ) {
        self.steps.push(Step {
            rule,
            op,
            target,
            why: why.into(),
            assumed: assumed.is_some(),
            assumption: assumed,
        });
    }
    fn ports(&mut self, rule: &'static str, op: Op, from: u16, to: u16, why: impl Into<String>) {
        self.push(rule, op, Target::Ports(from..=to), why, None);
    }
    fn frames(
        &mut self,
        rule: &'static str,
        op: Op,
        from: u64,
        to: u64,
        why: impl Into<String>,
        assumed: Option<&'static str>,
    ) {
        self.push(rule, op, Target::Frames(from..=to), why, assumed);
    }
    /// `Some(fact)` when the input assumed it, for marking the steps that rest on it.
    fn assumed(&self, fact: &'static str) -> Option<&'static str> {
        self.input
            .assumptions
            .iter()
            .any(|a| a.fact == fact)
            .then_some(fact)
    }
}

/// The steps Xen takes, in Xen's order.
pub(crate) fn steps(input: &ModelInput) -> Vec<Step> {
    let mut o = Out {
        steps: Vec::new(),
        input,
    };
    let pvh = input.mode == Dom0Mode::Pvh;
    // Before 4.18 (baa6ea7003) a PVH dom0 is built with the IOMMU set up before
    // dom0_setup_permissions(), whose grant-all then hands the IOMMU register
    // pages back (measured: 0xfed90 stays in a 4.17 PVH dom0's rangeset).
    if pvh && !Changes::of(&input.xen).pvh_permissions_first {
        iommu_hwdom_init(&mut o);
        setup_permissions(&mut o);
    } else {
        setup_permissions(&mut o);
        iommu_hwdom_init(&mut o);
    }
    serial_endboot(&mut o);
    o.steps
}

/// `dom0_setup_permissions()`.
fn setup_permissions(o: &mut Out<'_>) {
    let i = o.input;
    let pvh = i.mode == Dom0Mode::Pvh;
    let c = Changes::of(&i.xen);
    let v419 = c.platform_ports;

    o.ports(PERMIT_PORTS, Op::Permit, 0, 0xffff, "all ports");
    // PVH with the backport: paging/domain_max_paddr_bits() = min(hap_paddr_bits, 48).
    let bits = if pvh && c.max_paddr_bits {
        i.paddr_bits.min(48)
    } else {
        i.paddr_bits
    };
    let top = (1u64 << (u32::from(bits).clamp(32, 64) - 12)) - 1;
    let bits_assumed = o.assumed(fact::PADDR_BITS);
    o.frames(
        PERMIT_IOMEM,
        Op::Permit,
        0,
        top,
        format!("paddr_bits = {}", i.paddr_bits),
        bits_assumed,
    );
    if i.nr_irqs_gsi > 1 {
        let assumed = o.assumed("IO-APIC GSI ranges");
        o.push(
            PERMIT_IRQS,
            Op::Permit,
            Target::Irqs(1..=i.nr_irqs_gsi - 1),
            format!("nr_irqs_gsi = {}", i.nr_irqs_gsi),
            assumed,
        );
    }

    o.ports(DENY_PIC, Op::Deny, 0x20, 0x21, "master 8259");
    o.ports(DENY_PIC, Op::Deny, 0xa0, 0xa1, "slave 8259");
    if v419 {
        o.ports(DENY_ELCR, Op::Deny, 0x4d0, 0x4d1, "ELCR");
    }
    o.ports(DENY_PIT, Op::Deny, 0x40, 0x43, "PIT");
    o.ports(DENY_PORT61, Op::Deny, 0x61, 0x61, "PIT gate");
    if v419 {
        o.ports(DENY_PORT92, Op::Deny, 0x92, 0x92, "System Control Port A");
        o.ports(DENY_PORTF0, Op::Deny, 0xf0, 0xf0, "IGNNE#");
    }
    if let Some(p) = i.pm_timer {
        o.ports(
            DENY_PMTMR,
            Op::Deny,
            p,
            p.saturating_add(3),
            format!("PM timer at {p:#x}"),
        );
    }
    if v419 {
        o.ports(DENY_CF9, Op::Deny, 0xcf9, 0xcf9, "reset control");
    }
    o.ports(DENY_PCI_DATA, Op::Deny, 0xcfc, 0xcff, "PCI config data");
    if pvh {
        if v419 {
            let port80_allowed = i.cmdline.bool(cmdline::HVM_PORT80).unwrap_or(true);
            o.ports(DENY_ISA_DMA, Op::Deny, 0x00, 0x1f, "DMA controller 1");
            let first = if port80_allowed { 0x81 } else { 0x80 };
            o.ports(DENY_ISA_DMA, Op::Deny, first, 0x8f, "DMA page registers");
            o.ports(DENY_ISA_DMA, Op::Deny, 0xc0, 0xdf, "DMA controller 2");
        }
        o.ports(DENY_E9, Op::Deny, 0xe9, 0xe9, "HVM debug console");
        if amd_c1e_quirk(i) {
            match i.smi_cmd {
                Some(p) => o.ports(
                    DENY_SMI_CMD,
                    Op::Deny,
                    p,
                    p,
                    format!("SMI_CMD at {p:#x} (AMD C1E quirk)"),
                ),
                None => o.push(
                    DENY_SMI_CMD,
                    Op::Deny,
                    Target::Ports(0xb2..=0xb2),
                    "SMI_CMD assumed at 0xb2 (no FADT in the snapshot; AMD C1E quirk)",
                    Some(super::SMI_CMD_FACT),
                ),
            }
        }
    }
    // The S3 patch of `harden --xen-patch`, just before the command-line ports.
    for &(from, to, ref name) in &i.patched.s3_ports {
        o.ports(
            PATCH_S3_PORTS,
            Op::Deny,
            from,
            to,
            format!("patched: {name}"),
        );
    }
    for (from, to) in ioports_disable(i) {
        o.ports(
            DENY_USER_PORTS,
            Op::Deny,
            from,
            to,
            format!("dom0_ioports_disable={from:x}-{to:x}"),
        );
    }

    let lapic_assumed = o.assumed("local APIC address");
    o.frames(
        DENY_LAPIC,
        Op::Deny,
        frame_of(i.lapic),
        frame_of(i.lapic),
        format!("LAPIC at {:#x}", i.lapic),
        lapic_assumed,
    );
    if pvh && c.vlapic_not_msi_window {
        o.frames(
            DENY_VLAPIC,
            Op::Deny,
            0xfee00,
            0xfee00,
            "emulated LAPIC",
            None,
        );
    }
    if !c.vlapic_not_msi_window {
        o.frames(
            DENY_MSI_RANGE,
            Op::Deny,
            0xfee00,
            0xfeeff,
            "MSI window",
            None,
        );
    }
    for &(addr, _, _) in &i.ioapics {
        if pvh && c.vioapic_and_vpci {
            o.frames(
                DENY_IOAPIC,
                Op::Deny,
                frame_of(addr),
                frame_of(addr),
                format!("IO-APIC at {addr:#x}"),
                None,
            );
        } else if !pvh {
            o.frames(
                RO_IOAPIC,
                Op::ReadOnly,
                frame_of(addr),
                frame_of(addr),
                format!("IO-APIC at {addr:#x}"),
                None,
            );
        }
    }
    if matches!(i.vendor, Vendor::Amd | Vendor::Hygon) {
        let n = if i.family < 0x17 {
            40
        } else {
            u32::from(i.paddr_bits)
        };
        // The 12 GiB below 2^n, as frames. A width under 34 bits (no real AMD CPU of family
        // 17h or later; only a damaged cpuinfo) would make Xen's subtraction wrap: no step.
        let top = 1u64.checked_shl(n.saturating_sub(12)).unwrap_or(0);
        if let Some(start) = top.checked_sub(frame_of(3u64 << 32)) {
            o.frames(
                DENY_HT_HOLE,
                Op::Deny,
                start,
                top - 1,
                format!("family {:#x}: below 2^{n}", i.family),
                // From family 0x17 the hole sits below 2^paddr_bits, so it moves with that width.
                if i.family < 0x17 {
                    None
                } else {
                    o.assumed(fact::PADDR_BITS)
                },
            );
        }
    }
    // The patches of `harden --xen-patch`, where they sit in dom0_setup_permissions().
    if let Some((s, e)) = i.patched.trampoline {
        o.frames(
            PATCH_TRAMPOLINE,
            Op::ReadOnly,
            s,
            e,
            "patched: the AP trampoline",
            None,
        );
    }
    for &(s, e) in &i.e820_unusable {
        let s = frame_of(s).max(0x100);
        let e = frame_of(e);
        if s <= e {
            o.frames(DENY_UNUSABLE, Op::Deny, s, e, "E820 unusable", None);
        }
    }
    for &(s, e) in &i.patched.efi_rt_code {
        o.frames(
            PATCH_EFI_RT_CODE,
            Op::Deny,
            s,
            e,
            "patched: EFI runtime code",
            None,
        );
    }
    for &(s, e) in &i.patched.efi_rt_data {
        o.frames(
            PATCH_EFI_RT_DATA,
            Op::ReadOnly,
            s,
            e,
            "patched: EFI runtime data",
            None,
        );
    }
    if let Some((base, prot)) = i.hpet {
        let f = frame_of(base);
        let assumed = o.assumed("HPET page protection");
        match prot {
            1 => o.frames(
                DENY_HPET,
                Op::Deny,
                f,
                f,
                "HPET, 4K page protection",
                assumed,
            ),
            2 => o.frames(
                DENY_HPET,
                Op::Deny,
                f,
                f + 15,
                "HPET, 64K page protection",
                assumed,
            ),
            _ if i.cmdline.bool(cmdline::RO_HPET).unwrap_or(true) => o.frames(
                RO_HPET,
                Op::ReadOnly,
                f,
                f,
                "HPET read-only (ro-hpet)",
                assumed,
            ),
            _ => {}
        }
    }
    for m in &i.mcfg {
        let start = frame_of(m.base) + (u64::from(m.bus_start) << 8);
        let end = frame_of(m.base) + ((u64::from(m.bus_end) + 1) << 8) - 1;
        if pvh && c.vioapic_and_vpci {
            o.frames(
                DENY_MCFG_PVH,
                Op::Deny,
                start,
                end,
                format!("MCFG at {:#x}", m.base),
                None,
            );
        } else if !pvh && m.used {
            o.frames(
                RO_MCFG,
                Op::ReadOnly,
                start,
                end,
                format!("MCFG at {:#x}", m.base),
                None,
            );
        }
    }
}

/// The IOMMU's hardware-domain setup.
fn iommu_hwdom_init(o: &mut Out<'_>) {
    let i = o.input;
    if !i.iommu_enabled {
        return;
    }
    for &base in &i.amd_iommu_bases {
        o.frames(
            DENY_AMD_IOMMU,
            Op::Deny,
            frame_of(base),
            frame_of(base + 0x3fff),
            match &i.amd_iommu_source {
                Some(from) => format!("AMD IOMMU at {base:#x} ({from})"),
                None => format!("AMD IOMMU at {base:#x}"),
            },
            None,
        );
    }
    let assumed = o.assumed("VT-d register bases");
    for &base in &i.vtd_drhd {
        o.frames(
            DENY_VTD,
            Op::Deny,
            frame_of(base),
            frame_of(base),
            format!("VT-d unit at {base:#x}"),
            assumed,
        );
    }
}

/// `ns16550_endboot()`: the console UART's ports.
fn serial_endboot(o: &mut Out<'_>) {
    let assumed = o.assumed("Xen console devices");
    for s in o.input.serial.clone() {
        o.push(
            DENY_SERIAL,
            Op::Deny,
            Target::Ports(s.io_base..=s.io_base.saturating_add(7)),
            format!("{} at {:#x}", s.name, s.io_base),
            assumed,
        );
    }
}

/// AMD families whose C1E handling makes Xen keep SMI_CMD from a PVH dom0.
fn amd_c1e_quirk(i: &ModelInput) -> bool {
    matches!(i.vendor, Vendor::Amd) && (0xf..=0x11).contains(&i.family)
}

/// `dom0_ioports_disable=a-b,c,…` (hex), as Xen parses it; bad items are skipped.
fn ioports_disable(i: &ModelInput) -> Vec<(u16, u16)> {
    i.cmdline
        .list(cmdline::DOM0_IOPORTS_DISABLE)
        .iter()
        .filter_map(|item| {
            let (a, b) = item.split_once('-').unwrap_or((item, item));
            let (a, b) = (cmdline::hex_port(a)?, cmdline::hex_port(b)?);
            (a <= b).then_some((a, b))
        })
        .collect()
}
