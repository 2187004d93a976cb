//! The platform and dom0 as dom0's kernel shows them (sysfs, efivarfs, `/proc`, the kernel
//! log): plain, bounded file copies that need nothing from Xen.

use std::fs;

use super::{Ctx, Res};
use crate::show;

/// EFI variables copied raw (any vendor GUID): Secure Boot state, key databases, boot entries
/// and shim's state. Every variable's name goes to efi/efivars-list.txt regardless.
const EFI_VARS: &[&str] = &[
    "SecureBoot",
    "SetupMode",
    "AuditMode",
    "DeployedMode",
    "VendorKeys",
    "PK",
    "KEK",
    "db",
    "dbx",
    "dbt",
    "dbr",
    "PKDefault",
    "KEKDefault",
    "dbDefault",
    "dbxDefault",
    "BootOrder",
    "BootCurrent",
    "OsIndicationsSupported",
    "MokSBStateRT",
    "MokListRT",
    "MokListXRT",
    "SbatLevelRT",
];

/// Raw ACPI tables as dom0 sees them (Xen hides the DMAR by renaming its signature).
pub(crate) fn acpi(ctx: &mut Ctx) -> Res {
    let dir = ctx.src.sys.join("firmware/acpi/tables");
    if !dir.is_dir() {
        ctx.w.failed(format!("to find {}", show(&dir)));
        return Ok(());
    }
    let n = ctx.copy_tree(&dir, "acpi", true)?;
    ctx.w.note(format!("acpi: {n} files"));
    Ok(())
}

/// PCI functions: config space (full, as root) and the sysfs identity and resource files.
pub(crate) fn pci(ctx: &mut Ctx) -> Res {
    const ATTRS: &[(&str, bool)] = &[
        ("config", false),
        ("resource", false),
        ("vendor", false),
        ("device", false),
        ("class", false),
        ("irq", false),
        ("revision", true),
        ("subsystem_vendor", true),
        ("subsystem_device", true),
    ];
    let dir = ctx.src.sys.join("bus/pci/devices");
    let mut devs: Vec<String> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) => {
            ctx.w.failed(format!("to list {}: {e}", show(&dir)));
            return Ok(());
        }
    };
    devs.sort();
    let mut sizes = Vec::new();
    for d in &devs {
        for (attr, optional) in ATTRS {
            let p = dir.join(d).join(attr);
            let copied = ctx.copy(&p, &format!("pci/{d}/{attr}"), *optional)?;
            if copied && *attr == "config" {
                let len = fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                sizes.push(format!("{d}={len}"));
            }
        }
    }
    ctx.w.note(format!(
        "pci: {} devices; config sizes: {}",
        devs.len(),
        sizes.join(" ")
    ));
    Ok(())
}

/// Everything readable under /sys/hypervisor (Xen version, features, start flags).
pub(crate) fn hypervisor(ctx: &mut Ctx) -> Res {
    let dir = ctx.src.sys.join("hypervisor");
    let n = ctx.copy_tree(&dir, "hypervisor", true)?;
    ctx.w.note(format!("hypervisor: {n} files"));
    Ok(())
}

/// The DMI attributes (the directory's own files; not its links and subdirectories).
pub(crate) fn dmi(ctx: &mut Ctx) -> Res {
    let dir = ctx.src.sys.join("class/dmi/id");
    if !dir.is_dir() {
        ctx.w.note(format!("no {}: dmi/ not collected", show(&dir)));
        return Ok(());
    }
    let n = ctx.copy_tree(&dir, "dmi", false)?;
    ctx.w.note(format!("dmi: {n} files"));
    Ok(())
}

/// EFI: the system table pointers and the Secure Boot related variables, raw from efivarfs
/// (4 bytes of attributes, then the data).
pub(crate) fn efi(ctx: &mut Ctx) -> Res {
    let efi = ctx.src.sys.join("firmware/efi");
    if !efi.is_dir() {
        ctx.w
            .note("no /sys/firmware/efi (not an EFI boot): efi/ not collected".into());
        return Ok(());
    }
    for f in ["systab", "fw_platform_size", "config_table"] {
        ctx.copy(&efi.join(f), &format!("efi/{f}"), true)?;
    }
    let rt = efi.join("runtime-map");
    if rt.is_dir() {
        ctx.copy_tree(&rt, "efi/runtime-map", true)?;
    } else {
        ctx.w
            .note("/sys/firmware/efi/runtime-map not present".into());
    }
    let vars = efi.join("efivars");
    let mut names: Vec<String> = fs::read_dir(&vars)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    if names.is_empty() {
        ctx.w.failed(format!(
            "to list EFI variables: {} is empty or missing (mount -t efivarfs efivarfs {})",
            show(&vars),
            show(&vars)
        ));
        return Ok(());
    }
    let mut list = names.join("\n");
    list.push('\n');
    ctx.write_logged("efi/efivars-list.txt", list.as_bytes())?;
    let mut n = 0;
    for name in &names {
        // Name-8-4-4-4-12: the GUID is the last 36 characters.
        let Some(var) = name.len().checked_sub(37).map(|i| &name[..i]) else {
            continue;
        };
        let wanted = EFI_VARS.contains(&var)
            || (var.len() == 8
                && var.starts_with("Boot")
                && var[4..].bytes().all(|b| b.is_ascii_hexdigit()));
        if wanted {
            n += usize::from(ctx.copy(&vars.join(name), &format!("efi/efivars/{name}"), false)?);
        }
    }
    for var in ["SecureBoot", "SetupMode", "PK", "KEK", "db", "dbx"] {
        if !names
            .iter()
            .any(|n| n.len() == var.len() + 37 && n.starts_with(var))
        {
            ctx.w.note(format!("efi variable {var}-* not present"));
        }
    }
    ctx.w
        .note(format!("efi: {} variables listed, {n} copied", names.len()));
    Ok(())
}

/// dom0's own view: /proc files (read as root, so real addresses), the hostname, lockdown, and the kernel
/// log last so it includes everything the collection caused.
pub(crate) fn linux(ctx: &mut Ctx) -> Res {
    let proc = ctx.src.proc.clone();
    for f in [
        "iomem",
        "ioports",
        "interrupts",
        "cpuinfo",
        "cmdline",
        "modules",
        "version",
    ] {
        ctx.copy(&proc.join(f), &format!("linux/{f}"), false)?;
    }
    ctx.copy(
        &proc.join("xen/capabilities"),
        "linux/xen-capabilities",
        true,
    )?;
    // Who the host is beside its DMI identity, so audits of a fleet can be joined.
    ctx.copy(&proc.join("sys/kernel/hostname"), "linux/hostname", true)?;
    let lockdown = ctx.src.sys.join("kernel/security/lockdown");
    if !ctx.copy(&lockdown, "linux/lockdown", true)? {
        ctx.w.note(format!(
            "no {} (securityfs not mounted, or no lockdown LSM)",
            show(&lockdown)
        ));
    }
    let kmsg = ctx.src.dev.join("kmsg");
    match crate::kmsg::read_kmsg(&kmsg) {
        Ok(raw) => {
            let text = crate::kmsg_to_dmesg(&raw);
            ctx.w.note(format!(
                "{} > linux/dmesg ({} bytes)",
                show(&kmsg),
                text.len()
            ));
            ctx.write_logged("linux/dmesg", &text)?;
        }
        Err(e) => ctx.w.failed(format!("to read {}: {e}", show(&kmsg))),
    }
    Ok(())
}
