//! Xen's own state: its console ring around debug keys `q` and `Q` (through `xl` or privcmd),
//! hypfs, and its build configuration. Kept apart because only these talk to Xen itself and
//! choose how to reach it.

use std::fs;

use dom0scope_privcmd::{Privcmd, Xen};

use super::{Ctx, MAX_DEPTH, Res};
use crate::{CommandOutput, Sources, XenAccess, contains, rfind, show};

/// Bounds the hypfs walk's breadth (`MAX_DEPTH` bounds its depth).
const MAX_HYPFS_ENTRIES: usize = 4096;

/// How the console ring and debug keys are reached.
enum Console<'x> {
    Xl,
    /// Hypercalls through the [`Xen`] seam (`XEN_SYSCTL_readconsole`, `XEN_SYSCTL_debug_keys`):
    /// privcmd opened here, or the seam collect was given.
    Privcmd(Box<dyn Xen + 'x>),
    None,
}

/// Opens the real privcmd device as the seam, with the capture-log line saying so.
fn open_real(src: &Sources) -> std::io::Result<(Box<dyn Xen>, String)> {
    let p = Privcmd::open(&src.dev, &src.proc)?;
    let note = format!(
        "Xen console ring and debug keys through privcmd (XEN_SYSCTL_readconsole, \
         XEN_SYSCTL_debug_keys; sysctl interface version {:#x})",
        p.version()
    );
    Ok((Box::new(p), note))
}

fn open_console<'x>(ctx: &mut Ctx<'x>) -> Console<'x> {
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

fn open_privcmd<'x>(ctx: &mut Ctx<'x>) -> Console<'x> {
    if let Some(x) = ctx.xen.take() {
        ctx.w.note(
            "Xen console ring and debug keys through the Xen seam collect was given \
             (privcmd not opened)"
                .into(),
        );
        return Console::Privcmd(Box::new(x));
    }
    match open_real(ctx.src) {
        Ok((x, note)) => {
            ctx.w.note(note);
            Console::Privcmd(x)
        }
        Err(e) => {
            ctx.w
                .failed(format!("to open privcmd for Xen's console ring: {e}"));
            Console::None
        }
    }
}

impl Console<'_> {
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
