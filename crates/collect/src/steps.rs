//! The collection steps, in the order they run. Each copies raw bytes; failures are logged
//! in capture-log.txt and collection continues, so one unreadable file never costs a snapshot.

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use crate::writer::SnapshotWriter;
use crate::{CollectError, CommandOutput, Sources, XenAccess, XenTools, contains, rfind, show};
use dom0scope_privcmd::Privcmd;

/// Largest single file collect copies (ACPI tables and config dumps are far smaller).
const MAX_FILE: u64 = 64 << 20;
/// Bounds on directory walks (sysfs has no cycles without symlinks, but be safe).
const MAX_DEPTH: usize = 12;
const MAX_HYPFS_ENTRIES: usize = 4096;

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

pub(crate) struct Ctx<'a> {
    pub src: &'a Sources,
    pub tools: &'a mut dyn XenTools,
    pub w: &'a mut SnapshotWriter,
    pub progress: &'a mut dyn Write,
    pub access: XenAccess,
}

type Res<T = ()> = Result<T, CollectError>;

fn read_capped(p: &Path) -> io::Result<Vec<u8>> {
    let f = fs::File::open(p)?;
    let mut buf = Vec::new();
    f.take(MAX_FILE + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_FILE {
        return Err(io::Error::other(format!("larger than {MAX_FILE} bytes")));
    }
    Ok(buf)
}

impl Ctx<'_> {
    /// Copies one file; a missing file is skipped quietly when `optional`.
    fn copy(&mut self, from: &Path, to: &str, optional: bool) -> Res<bool> {
        match read_capped(from) {
            Ok(b) => {
                self.write_logged(to, &b)?;
                Ok(true)
            }
            Err(e) if optional && e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => {
                self.w.failed(format!("to read {}: {e}", show(from)));
                Ok(false)
            }
        }
    }

    /// Writes a file; a name the writer refuses (it would escape the snapshot) is logged.
    fn write_logged(&mut self, to: &str, bytes: &[u8]) -> Res {
        match self.w.write(to, bytes) {
            Err(CollectError::UnsafePath { rel }) => {
                self.w.failed(format!("to store {rel:?}: unsafe name"));
                Ok(())
            }
            r => r,
        }
    }

    /// Copies the regular files under `dir` into `to/`, recursing when asked. Symlinks are
    /// not followed (sysfs links back up the tree).
    fn copy_tree(&mut self, dir: &Path, to: &str, recurse: bool) -> Res<usize> {
        self.copy_tree_at(dir, to, recurse, 0)
    }

    fn copy_tree_at(&mut self, dir: &Path, to: &str, recurse: bool, depth: usize) -> Res<usize> {
        let mut names = match fs::read_dir(dir) {
            Ok(rd) => rd.flatten().map(|e| e.file_name()).collect::<Vec<_>>(),
            Err(e) => {
                self.w.failed(format!("to list {}: {e}", show(dir)));
                return Ok(0);
            }
        };
        names.sort();
        let mut n = 0;
        for name in names {
            let p = dir.join(&name);
            let rel = format!("{to}/{}", name.to_string_lossy());
            match fs::symlink_metadata(&p) {
                Ok(m) if m.is_file() => n += usize::from(self.copy(&p, &rel, false)?),
                Ok(m) if m.is_dir() && recurse && depth < MAX_DEPTH => {
                    n += self.copy_tree_at(&p, &rel, recurse, depth + 1)?;
                }
                _ => {}
            }
        }
        Ok(n)
    }

    /// Runs a tool, logging the outcome; `None` when it is absent or failed to start.
    fn run(&mut self, prog: &str, args: &[&str]) -> Option<CommandOutput> {
        let cmd = format!("{prog} {}", args.join(" "));
        match self.tools.run(prog, args) {
            Ok(o) => {
                if !o.success() {
                    let err = String::from_utf8_lossy(&o.stderr);
                    self.w.failed(format!(
                        "{cmd}: exit {:?}: {}",
                        o.status,
                        err.trim().lines().last().unwrap_or("")
                    ));
                }
                Some(o)
            }
            Err(e) => {
                self.w.failed(format!("{cmd}: {e}"));
                None
            }
        }
    }

    fn say(&mut self, msg: &str) {
        let _ = writeln!(self.progress, "dom0scope: {msg}");
    }
}

/// How the console ring and debug keys are reached.
enum Console {
    Xl,
    Privcmd(Box<Privcmd>),
    None,
}

fn open_console(ctx: &mut Ctx) -> Console {
    let use_xl = match ctx.access {
        XenAccess::Xl => true,
        XenAccess::Privcmd => false,
        XenAccess::Auto => ctx.tools.available("xl"),
    };
    if use_xl {
        ctx.w
            .note("Xen console ring and debug keys through xl".into());
        return Console::Xl;
    }
    open_privcmd(ctx)
}

fn open_privcmd(ctx: &mut Ctx) -> Console {
    match Privcmd::open(&ctx.src.dev, &ctx.src.proc) {
        Ok(p) => {
            ctx.w.note(format!(
                "Xen console ring and debug keys through privcmd (XEN_SYSCTL_readconsole, \
                 XEN_SYSCTL_debug_keys; sysctl interface version {:#x})",
                p.version()
            ));
            Console::Privcmd(Box::new(p))
        }
        Err(e) => {
            ctx.w
                .failed(format!("to open privcmd for Xen's console ring: {e}"));
            Console::None
        }
    }
}

impl Console {
    fn read_ring(&mut self, ctx: &mut Ctx) -> Option<Vec<u8>> {
        match self {
            Console::Xl => ctx
                .run("xl", &["dmesg"])
                .filter(CommandOutput::success)
                .map(|o| o.stdout),
            Console::Privcmd(p) => match p.read_ring(None).map(|(ring, _)| ring) {
                Ok(b) => Some(b),
                Err(e) => {
                    ctx.w.failed(format!("XEN_SYSCTL_readconsole: {e}"));
                    None
                }
            },
            Console::None => None,
        }
    }

    fn debug_key(&mut self, ctx: &mut Ctx, key: char) -> bool {
        match self {
            Console::Xl => ctx
                .run("xl", &["debug-keys", &key.to_string()])
                .is_some_and(|o| o.success()),
            Console::Privcmd(p) => match p.debug_keys(&[key as u8]) {
                Ok(()) => true,
                Err(e) => {
                    ctx.w.failed(format!("XEN_SYSCTL_debug_keys {key}: {e}"));
                    false
                }
            },
            Console::None => false,
        }
    }

    fn how(&self) -> &'static str {
        match self {
            Console::Xl => "xl dmesg",
            Console::Privcmd(_) => "readconsole",
            Console::None => "-",
        }
    }
}

/// Xen's console ring before and after debug keys `q` and `Q`, and `xl info`.
///
/// Returns whether the ring after `q` holds dom0's rangesets.
pub(crate) fn xen(ctx: &mut Ctx) -> Res<bool> {
    let mut con = open_console(ctx);
    let mut boot_ring = con.read_ring(ctx);
    if boot_ring.is_none() && matches!(con, Console::Xl) && ctx.access == XenAccess::Auto {
        // xl is installed but cannot read the ring (e.g. its wrapper finds no matching
        // tools for the running Xen): the hypercall interface does not depend on it.
        ctx.w.note("xl dmesg failed; trying privcmd".into());
        con = open_privcmd(ctx);
        boot_ring = con.read_ring(ctx);
    }
    let how = con.how();
    if let Some(b) = boot_ring {
        ctx.w
            .note(format!("{how} > xen/dmesg-boot.txt ({} bytes)", b.len()));
        ctx.write_logged("xen/dmesg-boot.txt", &b)?;
    }
    ctx.say(
        "asking Xen to print its rangesets and domain info into its console ring \
         (debug key 'q'); the ring is only read, never cleared",
    );
    let q = con.debug_key(ctx, 'q');
    ctx.w.note(format!("debug key q sent: {q}"));
    let after_q = con.read_ring(ctx);
    if let Some(b) = &after_q {
        ctx.w
            .note(format!("{how} > xen/dmesg.txt ({} bytes)", b.len()));
        ctx.write_logged("xen/dmesg.txt", b)?;
    }
    if let Some(o) = ctx.run("xl", &["info"]).filter(CommandOutput::success) {
        ctx.w
            .note(format!("xl info > xen/info.txt ({} bytes)", o.stdout.len()));
        ctx.write_logged("xen/info.txt", &o.stdout)?;
    }
    ctx.say("asking Xen to list PCI devices and their owners (debug key 'Q')");
    let big_q = con.debug_key(ctx, 'Q');
    ctx.w.note(format!("debug key Q sent: {big_q}"));
    if let (Some(before), Some(after)) = (&after_q, con.read_ring(ctx)) {
        let (dump, how) = q_dump(before, &after);
        ctx.w
            .note(format!("xen/debugkey-Q.txt: {how} ({} bytes)", dump.len()));
        ctx.write_logged("xen/debugkey-Q.txt", dump)?;
    }
    Ok(after_q.is_some_and(|d| contains(&d, b"Rangesets belonging to domain 0")))
}

/// The part of the ring that debug key `Q` added: everything after the previous read when
/// the ring still starts with it, else (the ring wrapped) from the last PCI dump header.
fn q_dump<'a>(before: &[u8], after: &'a [u8]) -> (&'a [u8], &'static str) {
    if after.starts_with(before) {
        return (
            &after[before.len()..],
            "the bytes after xen/dmesg.txt (prefix verified)",
        );
    }
    if let Some(i) = rfind(after, b"==== PCI devices ====") {
        let line = after[..i]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |n| n + 1);
        return (
            &after[line..],
            "the ring wrapped; from the last '==== PCI devices ====' line",
        );
    }
    (
        after,
        "the ring wrapped and has no PCI dump header; the whole ring",
    )
}

/// hypfs through `xenhypfs`: the listing of every directory, the tree, and every entry.
pub(crate) fn hypfs(ctx: &mut Ctx) -> Res {
    if !ctx.tools.available("xenhypfs") {
        ctx.w
            .note("xenhypfs not installed: xen/hypfs/ not collected".into());
        return Ok(());
    }
    let mut listing = Vec::new();
    let mut dirs = vec!["/".to_string()];
    let mut leaves = Vec::new();
    while let Some(dir) = dirs.pop() {
        if leaves.len() + dirs.len() > MAX_HYPFS_ENTRIES {
            ctx.w.failed(format!(
                "hypfs: more than {MAX_HYPFS_ENTRIES} entries, stopped"
            ));
            break;
        }
        let Some(o) = ctx.run("xenhypfs", &["ls", &dir]) else {
            break;
        };
        listing.extend_from_slice(format!("# xenhypfs ls {dir} (rc={})\n", rc(&o)).as_bytes());
        listing.extend_from_slice(&o.stdout);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let mut subdirs = Vec::new();
        for line in text.lines() {
            let mut tok = line.split_whitespace();
            let (Some(kind), Some(name)) = (tok.next(), tok.last()) else {
                continue;
            };
            if !kind.starts_with('<') || name.contains('/') || name == "." || name == ".." {
                continue;
            }
            let path = if dir == "/" {
                format!("/{name}")
            } else {
                format!("{dir}/{name}")
            };
            if kind == "<dir>" {
                if path.matches('/').count() <= MAX_DEPTH {
                    subdirs.push(path);
                }
            } else {
                leaves.push(path);
            }
        }
        // Keep a depth-first, name-ordered listing: push in reverse.
        dirs.extend(subdirs.into_iter().rev());
    }
    ctx.write_logged("xen/hypfs/ls-recursive.txt", &listing)?;
    if let Some(o) = ctx
        .run("xenhypfs", &["tree"])
        .filter(CommandOutput::success)
    {
        ctx.w.note(format!(
            "xenhypfs tree > xen/hypfs/tree.txt ({} bytes)",
            o.stdout.len()
        ));
        ctx.write_logged("xen/hypfs/tree.txt", &o.stdout)?;
    }
    let mut n = 0;
    for leaf in &leaves {
        if let Some(o) = ctx
            .run("xenhypfs", &["cat", leaf])
            .filter(CommandOutput::success)
        {
            ctx.write_logged(&format!("xen/hypfs/cat{leaf}"), &o.stdout)?;
            n += 1;
        }
    }
    ctx.w.note(format!(
        "xenhypfs: {n} of {} entries read into xen/hypfs/cat/",
        leaves.len()
    ));
    Ok(())
}

fn rc(o: &CommandOutput) -> String {
    o.status.map_or_else(|| "killed".into(), |c| c.to_string())
}

/// Xen's build configuration as Debian installs it (`/boot/xen-<version>.config`).
pub(crate) fn boot_config(ctx: &mut Ctx) -> Res {
    let boot = ctx.src.boot.clone();
    let mut names: Vec<String> = fs::read_dir(&boot)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("xen") && n.ends_with(".config"))
        .collect();
    names.sort();
    if names.is_empty() {
        ctx.w.note(format!("no {}/xen*.config", show(&boot)));
    }
    for n in names {
        if ctx.copy(&boot.join(&n), &format!("xen/boot/{n}"), false)? {
            ctx.w
                .note(format!("{} > xen/boot/{n}", show(&boot.join(&n))));
        }
    }
    Ok(())
}

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

/// dom0's own view: /proc files (read as root, so real addresses), lockdown, and the kernel
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
