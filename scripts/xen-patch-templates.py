#!/usr/bin/env python3
"""Regenerates the per-release diff templates of `dom0scope harden --xen-patch`
(crates/harden/src/xen_patch/templates/<release>/<patch>.diff) from Xen's source.

    scripts/xen-patch-templates.py XEN_GIT_DIR

XEN_GIT_DIR is a clone of xen.git holding the tags below. Each change is made by
anchors (a line the change goes before or after), so a release whose anchors moved
fails loudly instead of producing a diff that does not apply. The diffs are
generated against pristine upstream files, one patch at a time, so every patch
applies alone and the series applies in order (crates/harden/tests/xen_patch.rs
checks both against testdata/xen-src; harness/build-xen.sh applies them to Debian's
source packages for 4.17 and 4.20).
"""
import difflib
import os
import subprocess
import sys

RELEASES = {
    "4.17": "RELEASE-4.17.7",
    "4.18": "RELEASE-4.18.6",
    "4.19": "RELEASE-4.19.6",
    "4.20": "RELEASE-4.20.4",
    "4.21": "RELEASE-4.21.2",
    "4.22": "RELEASE-4.22.0",
    "master": "c447b7308b1330ec6dcfef37220736c28f41daa0",
}
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "harden", "src", "xen_patch", "templates")

DOM0 = "xen/arch/x86/dom0_build.c"
EFI_H = "xen/include/xen/efi.h"
STUB = "xen/arch/x86/efi/stub.c"
EFI_BOOT = "xen/arch/x86/efi/efi-boot.h"
POWER = "xen/arch/x86/acpi/power.c"
ACPI_H = "xen/arch/x86/include/asm/acpi.h"
FILES = (DOM0, EFI_H, STUB, EFI_BOOT, POWER, ACPI_H)


def before(s, anchor, text, last=False):
    i = s.rfind(anchor) if last else s.find(anchor)
    if i < 0:
        raise SystemExit(f"anchor not found: {anchor!r}")
    return s[:i] + text + s[i:]


def after(s, anchor, text):
    i = s.find(anchor)
    if i < 0:
        raise SystemExit(f"anchor not found: {anchor!r}")
    return s[: i + len(anchor)] + text + s[i + len(anchor):]


def trampoline(files, rel):
    s = files[DOM0]
    if rel != "4.17":  # 4.17 declares trampoline_phys and bootsym_phys() in asm/config.h
        s = after(s, "#include <asm/spec_ctrl.h>\n", "#include <asm/trampoline.h>\n")
    s = before(s, "    /* Remove access to E820_UNUSABLE I/O regions above 1MB. */", """\
    /*
     * Xen's AP start-up and S3 resume trampoline lives below 1MiB in frames
     * owned by dom_io, and Xen executes it on every CPU bring-up and resume:
     * the hardware domain may read it (firmware table scans cover low memory)
     * but must never write it.
     */
    mfn = PFN_DOWN(trampoline_phys);
    rc |= rangeset_add_range(mmio_ro_ranges, mfn,
                             PFN_DOWN(bootsym_phys(trampoline_end) - 1));
    printk(XENLOG_INFO "%pd: AP trampoline %lx-%lx read-only [dom0-ro-trampoline]\\n",
           d, mfn, PFN_DOWN(bootsym_phys(trampoline_end) - 1));

""")
    return {DOM0: s}


def efi_runtime(files, rel):
    d = files[DOM0]
    d = before(d, "#include <xen/init.h>\n", "#include <xen/efi.h>\n")
    d = before(d, "int __init dom0_setup_permissions(struct domain *d)\n", """\
/*
 * Deny the hardware domain EFI runtime services code and keep their data
 * read-only (its kernel parses the EFI configuration tables there).
 * "dom0-protect-efi-rt=0" leaves both mappable, as before.
 */
static bool __initdata opt_dom0_protect_efi_rt = true;
boolean_param("dom0-protect-efi-rt", opt_dom0_protect_efi_rt);

""")
    d = before(d, "    /* Prevent access to HPET */", """\
    if ( opt_dom0_protect_efi_rt )
        rc |= efi_hwdom_protect_runtime(d);
    else
        printk(XENLOG_WARNING
               "%pd: EFI runtime services left mappable [dom0-protect-efi-rt=0]\\n", d);

""")
    proto = "struct domain;\nint efi_hwdom_protect_runtime(struct domain *d);\n"
    if rel == "4.17":  # Debian's 4.17.5 still declares efi_rs_using_pgtables() after the usual anchor
        h = before(files[EFI_H], "#ifndef COMPAT\nint efi_get_info", proto)
    else:
        h = after(files[EFI_H], "bool efi_boot_mem_unused(unsigned long *start, unsigned long *end);\n", proto)
    st = after(files[STUB], "void __init efi_init_memory(void) { }\n",
               "\nint __init efi_hwdom_protect_runtime(struct domain *d) { return 0; }\n")
    b = before(files[EFI_BOOT], "#include <xen/vga.h>\n", "#include <xen/iocap.h>\n")
    fn = """\
/*
 * EFI runtime services regions are E820_RESERVED, hence owned by dom_io and
 * mappable by the hardware domain, yet Xen runs their code in ring 0 on every
 * XENPF_efi_runtime_call.  Deny the code; make the data read-only, since the
 * hardware domain's kernel reads the configuration tables (SMBIOS, ...) there.
 */
int __init efi_hwdom_protect_runtime(struct domain *d)
{
    unsigned int i, code = 0, data = 0;
    int rc = 0;

    if ( !efi_enabled(EFI_RS) )
        return 0;

    for ( i = 0; i < efi_memmap_size; i += efi_mdesc_size )
    {
        const EFI_MEMORY_DESCRIPTOR *desc = efi_memmap + i;
        unsigned long smfn = PFN_DOWN(desc->PhysicalStart);
        unsigned long emfn = smfn + desc->NumberOfPages - 1;

        if ( !desc->NumberOfPages )
            continue;
        if ( desc->Type == EfiRuntimeServicesCode )
        {
            rc |= iomem_deny_access(d, smfn, emfn);
            code++;
        }
        else if ( desc->Type == EfiRuntimeServicesData )
        {
            rc |= rangeset_add_range(mmio_ro_ranges, smfn, emfn);
            data++;
        }
    }

    printk(XENLOG_INFO "%pd: EFI runtime code denied (%u ranges), data read-only (%u ranges) [dom0-protect-efi-rt]\\n",
           d, code, data);

    return rc;
}

"""
    if "#endif /* X86_EFI_EFI_BOOT_H */" in b:
        b = before(b, "#endif /* X86_EFI_EFI_BOOT_H */", fn)
    else:
        b = before(b, "/*\n * Local variables:", fn, last=True)
    return {DOM0: d, EFI_H: h, STUB: st, EFI_BOOT: b}


def protect_s3(files, rel):
    d = files[DOM0]
    d = before(d, "static void __init process_dom0_ioports_disable(struct domain *dom0)\n", """\
/*
 * The ACPI sleep control registers in I/O space (PM1a/PM1b control, the
 * hardware-reduced sleep control register) let the hardware domain enter S3
 * itself, and the firmware then resumes at whatever waking vector it wrote
 * into the FACS, before Xen runs.  Deny them: sleep then goes only through
 * XENPF_enter_acpi_sleep, where Xen writes the vector itself.
 * A PVH hardware domain powers off by writing them itself, so for it they
 * trap instead (hwdom_trap_sleep_reg()).
 * "dom0-protect-s3=0" leaves them to the hardware domain, as before.
 * The FACS itself stays writable: the ACPI global lock lives there.
 */
static bool __initdata opt_dom0_protect_s3 = true;
boolean_param("dom0-protect-s3", opt_dom0_protect_s3);

static int __init hwdom_deny_sleep_reg(struct domain *d, const char *name,
                                       unsigned int slp_en,
                                       const struct acpi_generic_address *reg)
{
    unsigned long first = reg->address;
    unsigned long last = first + (reg->bit_width > 8 ? reg->bit_width / 8 : 1) - 1;

    if ( reg->space_id != ACPI_ADR_SPACE_SYSTEM_IO || !first )
        return 0;

#ifdef CONFIG_HVM
    if ( is_hvm_domain(d) )
    {
        hwdom_trap_sleep_reg(d, first, last - first + 1, slp_en);
        printk(XENLOG_INFO "%pd: %s ports %lx-%lx trapped [dom0-protect-s3]\\n",
               d, name, first, last);

        return ioports_deny_access(d, first, last);
    }
#endif

    printk(XENLOG_INFO "%pd: %s ports %lx-%lx denied [dom0-protect-s3]\\n",
           d, name, first, last);

    return ioports_deny_access(d, first, last);
}

static int __init hwdom_protect_s3(struct domain *d)
{
    int rc = 0;

    if ( !opt_dom0_protect_s3 )
    {
        printk(XENLOG_WARNING
               "%pd: ACPI sleep control left to the hardware domain [dom0-protect-s3=0]\\n",
               d);
        return 0;
    }

    /* SLP_EN: bit 13 of PM1 control, bit 5 of the sleep control register. */
    rc |= hwdom_deny_sleep_reg(d, "PM1a control", 13, &acpi_sinfo.pm1a_cnt_blk);
    rc |= hwdom_deny_sleep_reg(d, "PM1b control", 13, &acpi_sinfo.pm1b_cnt_blk);
    rc |= hwdom_deny_sleep_reg(d, "sleep control", 5, &acpi_sinfo.sleep_control);

    return rc;
}

""")
    d = before(d, "    /* Command-line I/O ranges. */\n", """\
    /* ACPI sleep control: S3 only through XENPF_enter_acpi_sleep. */
    rc |= hwdom_protect_s3(d);

""")
    h = after(files[ACPI_H], "extern int acpi_enter_state(u32 state);\n",
              "void hwdom_trap_sleep_reg(struct domain *d, unsigned int port,\n"
              "                          unsigned int size, unsigned int slp_en);\n")
    p = before(files[POWER], "    clear_fixmap(FIX_ACPI_END);\n", """\
    /*
     * Firmware resumes at a non-zero X_Firmware_Waking_Vector (ACPI 2.0+
     * FACS) in preference to the 32-bit vector written above, and Xen never
     * sets it: clear it, so that resume starts in Xen whatever the hardware
     * domain left there.
     */
    if ( acpi_sinfo.vector_width == 32 )
    {
        struct acpi_table_facs *facs = wakeup_vector_va -
            offsetof(struct acpi_table_facs, firmware_waking_vector);

        if ( facs->length >= offsetof(struct acpi_table_facs, version) )
            facs->xfirmware_waking_vector = 0;
    }

""")
    p = before(p, "static void acpi_sleep_post(u32 state) {}\n", """\
#ifdef CONFIG_HVM
/*
 * The ACPI sleep control registers of a PVH hardware domain trap here
 * (dom0_setup_permissions() denies them): reads and writes go through to the
 * chipset, but a write that sets SLP_EN first zeroes both FACS waking
 * vectors, so that firmware cannot resume into code the hardware domain
 * planted there.
 */
static struct {
    unsigned int port, size, slp_en;
} hwdom_sleep_regs[3];

static void hwdom_zero_waking_vectors(void)
{
    struct acpi_table_facs *facs;

    if ( !acpi_sinfo.wakeup_vector )
        return;

    facs = acpi_os_map_memory(acpi_sinfo.wakeup_vector -
                              offsetof(struct acpi_table_facs,
                                       firmware_waking_vector),
                              sizeof(*facs));
    if ( !facs )
        return;

    facs->firmware_waking_vector = 0;
    if ( facs->length >= offsetof(struct acpi_table_facs, version) )
        facs->xfirmware_waking_vector = 0;

    acpi_os_unmap_memory(facs, sizeof(*facs));
}

static int cf_check hwdom_sleep_reg_io(
    int dir, unsigned int port, unsigned int bytes, uint32_t *val)
{
    unsigned int i;

    if ( dir == IOREQ_READ )
    {
        *val = bytes == 1 ? inb(port) : bytes == 2 ? inw(port) : inl(port);
        return X86EMUL_OKAY;
    }

    for ( i = 0; i < ARRAY_SIZE(hwdom_sleep_regs); i++ )
    {
        unsigned int base = hwdom_sleep_regs[i].port;
        unsigned int bit = hwdom_sleep_regs[i].slp_en;

        if ( !base || port < base ||
             port >= base + hwdom_sleep_regs[i].size ||
             bit < (port - base) * 8 || bit >= (port - base + bytes) * 8 ||
             !(*val & (1U << (bit - (port - base) * 8))) )
            continue;

        printk(XENLOG_WARNING
               "%pd: SLP_EN written to port %x: FACS waking vectors zeroed [dom0-protect-s3]\\n",
               current->domain, port);
        hwdom_zero_waking_vectors();
    }

    if ( bytes == 1 )
        outb(*val, port);
    else if ( bytes == 2 )
        outw(*val, port);
    else
        outl(*val, port);

    return X86EMUL_OKAY;
}

void __init hwdom_trap_sleep_reg(struct domain *d, unsigned int port,
                                 unsigned int size, unsigned int slp_en)
{
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(hwdom_sleep_regs); i++ )
        if ( !hwdom_sleep_regs[i].port )
            break;
    if ( i == ARRAY_SIZE(hwdom_sleep_regs) )
        return;

    hwdom_sleep_regs[i].port = port;
    hwdom_sleep_regs[i].size = size;
    hwdom_sleep_regs[i].slp_en = slp_en;
    register_portio_handler(d, port, size, hwdom_sleep_reg_io);
}
#endif /* CONFIG_HVM */

""")
    p = after(p, "#include <asm/acpi.h>\n", "#include <asm/hvm/emulate.h>\n#include <asm/hvm/io.h>\n")
    return {DOM0: d, POWER: p, ACPI_H: h}


PATCHES = [("0001-dom0-ro-trampoline", trampoline), ("0002-dom0-protect-efi-rt", efi_runtime),
           ("0003-dom0-protect-s3", protect_s3)]


def main():
    git = sys.argv[1]
    for rel, rev in RELEASES.items():
        files = {
            p: subprocess.run(["git", "-C", git, "show", f"{rev}:{p}"], check=True, capture_output=True,
                              text=True).stdout
            for p in FILES
        }
        os.makedirs(os.path.join(OUT, rel), exist_ok=True)
        for name, change in PATCHES:
            new = change(files, rel)
            out = []
            for p in FILES:
                if p not in new:
                    continue
                out.append(f"diff --git a/{p} b/{p}\n")
                out.extend(difflib.unified_diff(files[p].splitlines(True), new[p].splitlines(True),
                                                f"a/{p}", f"b/{p}", n=3))
            with open(os.path.join(OUT, rel, name + ".diff"), "w") as f:
                f.write("".join(out))
        print(rel, rev)


main()
