//! Xen's own state: its console ring around debug keys `q`, `Q`, `i` and `M`, and its build
//! configuration; how collect reaches Xen ([`reach`]) is decided here too. Kept apart
//! because only these talk to Xen itself (hypfs is in `hypfs`).

use std::fs;

use dom0scope_privcmd::{Privcmd, Xen};

use super::{Ctx, Reach, Res};
use crate::{CommandOutput, Sources, XenAccess, contains, rfind, show};

/// Opens the real privcmd device as the seam, with the capture-log line saying what it
/// found: the running Xen and the sysctl interface version its release has (or why not).
fn open_real(src: &Sources) -> std::io::Result<(Box<dyn Xen>, String)> {
    let mut p = Privcmd::open(&src.dev, &src.proc)?;
    let sysctl = match p.sysctl_version() {
        Ok(v) => format!("sysctl interface version {v:#x}"),
        Err(e) => format!("no sysctl: {e}"),
    };
    let note = format!(
        "Xen {} reached through privcmd (XENVER_version; {sysctl}): console ring and debug \
         keys by XEN_SYSCTL_readconsole and XEN_SYSCTL_debug_keys, hypfs by XEN_HYPFS_OP_read",
        p.xen_version()
    );
    Ok((Box::new(p), note))
}

/// The hypercall path: the seam collect was given, else privcmd opened now.
fn open_hypercalls<'x>(ctx: &mut Ctx<'x>) -> std::io::Result<Box<dyn Xen + 'x>> {
    if let Some(x) = ctx.given.take() {
        ctx.w
            .note("Xen reached through the Xen seam collect was given (privcmd not opened)".into());
        return Ok(Box::new(x));
    }
    let (x, note) = open_real(ctx.src)?;
    ctx.w.note(note);
    Ok(x)
}

/// Decides, once, how collect reaches Xen: `--xen-access xl` uses Xen's tools (`xl`,
/// `xenhypfs`); `privcmd` only hypercalls; `auto` hypercalls when privcmd opens (they need no
/// tools matching the running Xen, and start no process), else the tools.
pub(crate) fn reach(ctx: &mut Ctx) {
    ctx.reach = match ctx.access {
        XenAccess::Xl => {
            ctx.w
                .note("Xen reached through its tools, xl and xenhypfs (--xen-access xl)".into());
            Reach::Tools
        }
        XenAccess::Privcmd => match open_hypercalls(ctx) {
            Ok(x) => Reach::Hypercalls(x),
            Err(e) => {
                ctx.w.failed(format!(
                    "to open privcmd for Xen's console ring, debug keys and hypfs: {e}"
                ));
                Reach::Nothing
            }
        },
        XenAccess::Auto => match open_hypercalls(ctx) {
            Ok(x) => Reach::Hypercalls(x),
            Err(e) if ctx.tools.available("xl") || ctx.tools.available("xenhypfs") => {
                ctx.w.note(format!(
                    "privcmd not usable ({e}): Xen reached through its tools, xl and xenhypfs"
                ));
                Reach::Tools
            }
            Err(e) => {
                ctx.w.failed(format!(
                    "to open privcmd for Xen's console ring, debug keys and hypfs: {e} \
                     (and neither xl nor xenhypfs is installed)"
                ));
                Reach::Nothing
            }
        },
    };
}

/// How the console ring and debug keys are reached.
enum Console<'c> {
    Xl,
    /// Hypercalls through the [`Xen`] seam (`XEN_SYSCTL_readconsole`, `XEN_SYSCTL_debug_keys`).
    Privcmd(&'c mut dyn Xen),
    None,
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

    /// How a read is named in the capture log.
    fn how(&self) -> &'static str {
        match self {
            Console::Xl => "xl dmesg",
            Console::Privcmd(_) => "readconsole",
            Console::None => "-",
        }
    }

    /// The path, for the capture log.
    fn via(&self) -> &'static str {
        match self {
            Console::Xl => "xl",
            Console::Privcmd(_) => "hypercalls (XEN_SYSCTL_readconsole, XEN_SYSCTL_debug_keys)",
            Console::None => "nothing (neither privcmd nor xl usable)",
        }
    }
}

/// Xen's console ring before and after debug key `q`, the dumps of `Q`, `i` and `M` that
/// follow it, and `xl info` when xl is the way to the ring.
///
/// Returns whether the ring after `q` holds dom0's rangesets.
pub(crate) fn xen(ctx: &mut Ctx) -> Res<bool> {
    let mut reach = std::mem::replace(&mut ctx.reach, Reach::Nothing);
    let r = xen_through(ctx, &mut reach);
    ctx.reach = reach;
    r
}

fn xen_through(ctx: &mut Ctx, reach: &mut Reach) -> Res<bool> {
    let mut con = match reach {
        Reach::Hypercalls(x) => Console::Privcmd(x.as_mut()),
        Reach::Tools if ctx.access == XenAccess::Xl || ctx.tools.available("xl") => Console::Xl,
        Reach::Tools => {
            ctx.w
                .failed("to read Xen's console ring: xl is not installed".into());
            Console::None
        }
        Reach::Nothing => Console::None,
    };
    let mut boot_ring = con.read_ring(ctx);
    if boot_ring.is_none()
        && matches!(con, Console::Privcmd(_))
        && ctx.access == XenAccess::Auto
        && ctx.tools.available("xl")
    {
        // The hypercalls failed (an XSM policy, a Xen release dom0scope does not know): xl
        // may still work if it matches this Xen.
        ctx.w.note("readconsole failed; trying xl".into());
        con = Console::Xl;
        boot_ring = con.read_ring(ctx);
    }
    let how = con.how();
    ctx.w.note(format!(
        "Xen console ring and debug keys through {}",
        con.via()
    ));
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
    if matches!(con, Console::Xl) {
        if let Some(o) = ctx.run("xl", &["info"]).filter(CommandOutput::success) {
            ctx.w
                .note(format!("xl info > xen/info.txt ({} bytes)", o.stdout.len()));
            ctx.write_logged("xen/info.txt", &o.stdout)?;
        }
    } else {
        // Nothing reads it; its Xen fields are in hypfs (buildinfo) and the boot ring.
        ctx.w
            .note("xl info not run (Xen not reached through xl): no xen/info.txt".into());
    }
    // Each key's output is the part of the ring its press added; `q` is already stored whole
    // in xen/dmesg.txt, read before any of these keys could push it out of the ring.
    let mut before = after_q.clone();
    for k in RUN_TIME_KEYS {
        ctx.say(k.says);
        let sent = con.debug_key(ctx, k.key);
        ctx.w.note(format!("debug key {} sent: {sent}", k.key));
        let Some(after) = con.read_ring(ctx) else {
            continue;
        };
        if let Some(before) = &before {
            let (dump, how) = key_dump(before, &after, k.header);
            let (dump, cut) = bounded(dump);
            ctx.w
                .note(format!("{}: {how}{cut} ({} bytes)", k.artifact, dump.len()));
            ctx.write_logged(k.artifact, dump)?;
        }
        before = Some(after);
    }
    Ok(after_q.is_some_and(|d| contains(&d, b"Rangesets belonging to domain 0")))
}

/// A debug key pressed after `q`, and where its output goes.
struct RunTimeKey {
    key: char,
    artifact: &'static str,
    /// The dump's first line, as Xen prints it.
    header: &'static [u8],
    says: &'static str,
}

/// `Q` ties each PCI device to its owner and its MSI IRQs (`drivers/passthrough/pci.c`
/// `_dump_pci_devices()`, `pdev_dump_msi()`); `i` binds each IRQ to a domain's pirq
/// (`arch/x86/irq.c` `dump_irqs()`); `M` lists the MSI/MSI-X entries (`arch/x86/msi.c`
/// `dump_msi()`). Together they explain IRQs Xen granted dom0 at run time, when it mapped
/// its devices' MSI vectors.
const RUN_TIME_KEYS: [RunTimeKey; 3] = [
    RunTimeKey {
        key: 'Q',
        artifact: "xen/debugkey-Q.txt",
        header: b"==== PCI devices ====",
        says: "asking Xen to list PCI devices and their owners (debug key 'Q')",
    },
    RunTimeKey {
        key: 'i',
        artifact: "xen/debugkey-i.txt",
        header: b"IRQ information:",
        says: "asking Xen to list its IRQ bindings (debug key 'i')",
    },
    RunTimeKey {
        key: 'M',
        artifact: "xen/debugkey-M.txt",
        header: b"MSI information:",
        says: "asking Xen to list its MSI state (debug key 'M')",
    },
];

/// Most a debug key's artifact keeps (Xen's ring is at most a few MiB; `i` on a host with
/// thousands of IRQs prints well under 1 MiB).
const MAX_KEY_DUMP: usize = 4 << 20;

/// `dump` cut to [`MAX_KEY_DUMP`] at a line end, and what the capture log says about it.
fn bounded(dump: &[u8]) -> (&[u8], &'static str) {
    if dump.len() <= MAX_KEY_DUMP {
        return (dump, "");
    }
    let end = dump[..MAX_KEY_DUMP]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(MAX_KEY_DUMP, |n| n + 1);
    (&dump[..end], "; cut at 4 MiB")
}

/// The part of the ring a debug key added: everything after the previous read when the ring
/// still starts with it, else (the ring wrapped) from the last line holding `header`.
fn key_dump<'a>(before: &[u8], after: &'a [u8], header: &[u8]) -> (&'a [u8], String) {
    if after.starts_with(before) {
        return (
            &after[before.len()..],
            "the bytes after the previous read (prefix verified)".into(),
        );
    }
    let shown = String::from_utf8_lossy(header);
    if let Some(i) = rfind(after, header) {
        let line = after[..i]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |n| n + 1);
        return (
            &after[line..],
            format!("the ring wrapped; from the last '{shown}' line"),
        );
    }
    (
        after,
        format!("the ring wrapped and has no '{shown}' line; the whole ring"),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_dump_is_what_the_press_added_or_from_its_header_when_the_ring_wrapped() {
        let (d, how) = key_dump(b"a\n", b"a\nIRQ information:\n x\n", b"IRQ information:");
        assert_eq!(
            (d, how.contains("prefix verified")),
            (&b"IRQ information:\n x\n"[..], true)
        );
        let (d, how) = key_dump(
            b"a\n",
            b"old\n(XEN) IRQ information:\n x\n",
            b"IRQ information:",
        );
        assert_eq!(d, b"(XEN) IRQ information:\n x\n");
        assert!(how.contains("wrapped; from the last 'IRQ information:' line"));
        let (d, how) = key_dump(b"a\n", b" x\n", b"IRQ information:");
        assert_eq!((d, how.contains("whole ring")), (&b" x\n"[..], true));
    }

    #[test]
    fn a_key_dump_is_cut_at_a_line_end() {
        let mut big = b"line\n".repeat(MAX_KEY_DUMP / 5 + 10);
        big.push(b'x');
        let (d, cut) = bounded(&big);
        assert!(d.len() <= MAX_KEY_DUMP && d.ends_with(b"\n") && !cut.is_empty());
        assert_eq!(bounded(b"short\n"), (&b"short\n"[..], ""));
    }
}
