//! hypfs, Xen's own filesystem (build information, configuration, parameters), into
//! `xen/hypfs/`: `ls-recursive.txt` (each directory's listing after a header line),
//! `tree.txt`, and `cat/PATH` for every entry that is not a directory.
//!
//! Read with hypercalls (`XEN_HYPFS_OP_read`) or with Xen's `xenhypfs` tool, the files are
//! the same bytes: the hypercall path prints what `xenhypfs ls`, `tree` and `cat` print
//! (`crate::hypfs`). Only the header before each listing in `ls-recursive.txt` names how it
//! was read: `# xenhypfs ls DIR (rc=N)` (N the tool's exit status) or `# privcmd hypfs ls
//! DIR (rc=N)` (N Xen's return value: 0, or a negative errno). Readers take either; none of
//! dom0scope's parsers reads this file, and `cat/buildinfo/config` is the one they read.

use std::collections::BTreeMap;

use dom0scope_privcmd::Xen;

use super::{Ctx, MAX_DEPTH, Reach, Res};
use crate::{CommandOutput, XenAccess, hypfs};

/// Bounds the hypfs walk's breadth (`MAX_DEPTH` bounds its depth).
const MAX_HYPFS_ENTRIES: usize = 4096;

/// One directory's listing.
struct Listed {
    /// The header line before it in `ls-recursive.txt`.
    header: String,
    /// What `xenhypfs ls DIR` prints.
    body: Vec<u8>,
    /// The children (name, is a directory) in directory order; `None` if it failed.
    children: Option<Vec<(String, bool)>>,
}

/// What walking hypfs from `/` found.
#[derive(Default)]
struct Walk {
    listing: Vec<u8>,
    leaves: Vec<String>,
    /// Every directory listed, with its children.
    dirs: BTreeMap<String, Vec<(String, bool)>>,
}

/// Lists every directory depth-first in directory order (as `xenhypfs tree` visits them)
/// with `ls`, which logs its own failures; stops when `ls` returns `None` (the tool cannot
/// start) or after [`MAX_HYPFS_ENTRIES`].
fn walk(ctx: &mut Ctx, ls: &mut dyn FnMut(&mut Ctx, &str) -> Option<Listed>) -> Walk {
    let mut w = Walk::default();
    let mut dirs = vec!["/".to_string()];
    while let Some(dir) = dirs.pop() {
        if w.leaves.len() + dirs.len() > MAX_HYPFS_ENTRIES {
            ctx.w.failed(format!(
                "hypfs: more than {MAX_HYPFS_ENTRIES} entries, stopped"
            ));
            break;
        }
        let Some(l) = ls(ctx, &dir) else {
            break;
        };
        w.listing.extend_from_slice(l.header.as_bytes());
        w.listing.extend_from_slice(&l.body);
        let Some(children) = l.children else {
            continue;
        };
        let mut subdirs = Vec::new();
        for (name, is_dir) in &children {
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                continue;
            }
            let path = if dir == "/" {
                format!("/{name}")
            } else {
                format!("{dir}/{name}")
            };
            if *is_dir {
                if path.matches('/').count() <= MAX_DEPTH {
                    subdirs.push(path);
                }
            } else {
                w.leaves.push(path);
            }
        }
        w.dirs.insert(dir, children);
        // Keep a depth-first, name-ordered listing: push in reverse.
        dirs.extend(subdirs.into_iter().rev());
    }
    w
}

/// hypfs the way collect reaches Xen: hypercalls, or `xenhypfs` (also when the hypercalls
/// fail under `--xen-access auto` and the tool is installed).
pub(crate) fn hypfs(ctx: &mut Ctx) -> Res {
    let mut reach = std::mem::replace(&mut ctx.reach, Reach::Nothing);
    let r = match &mut reach {
        Reach::Hypercalls(x) => match x.hypfs_version() {
            Ok(v) => through_hypercalls(ctx, x.as_mut(), v),
            Err(e) if e.raw_os_error() == Some(dom0scope_privcmd::Errno::NOSYS.raw_os_error()) => {
                ctx.w.note(
                    "Xen has no hypfs (XEN_HYPFS_OP_get_version: ENOSYS; built without \
                     CONFIG_HYPFS): xen/hypfs/ not collected"
                        .into(),
                );
                Ok(())
            }
            Err(e) if ctx.access == XenAccess::Auto && ctx.tools.available("xenhypfs") => {
                ctx.w
                    .note(format!("XEN_HYPFS_OP_get_version: {e}; trying xenhypfs"));
                through_tool(ctx)
            }
            Err(e) => {
                ctx.w.failed(format!("XEN_HYPFS_OP_get_version: {e}"));
                Ok(())
            }
        },
        Reach::Tools => through_tool(ctx),
        Reach::Nothing => {
            ctx.w
                .note("neither privcmd nor xenhypfs usable: xen/hypfs/ not collected".into());
            Ok(())
        }
    };
    ctx.reach = reach;
    r
}

/// hypfs through `XEN_HYPFS_OP_read`: one read per directory and per entry, printed as
/// `xenhypfs` prints them; the tree from the directories already read.
fn through_hypercalls(ctx: &mut Ctx, x: &mut dyn Xen, version: u32) -> Res {
    ctx.w.note(format!(
        "hypfs through hypercalls (__HYPERVISOR_hypfs_op, XEN_HYPFS_OP_read; Xen offers \
         hypfs interface version {version}, dom0scope uses version 1)"
    ));
    let mut ls = |ctx: &mut Ctx, dir: &str| -> Option<Listed> {
        let (rc, body, children) = match x.hypfs_read(dir) {
            Ok(e) => match hypfs::dirlist(&e) {
                Ok(list) => {
                    let body: String = list.iter().map(hypfs::ls_line).collect();
                    let kids = list.into_iter().map(|d| (d.name, d.entry.is_dir()));
                    ("0".to_string(), body.into_bytes(), Some(kids.collect()))
                }
                Err(why) => {
                    ctx.w.failed(format!("hypfs ls {dir}: {why}"));
                    ("0".to_string(), Vec::new(), None)
                }
            },
            Err(e) => {
                ctx.w
                    .failed(format!("hypfs ls {dir}: XEN_HYPFS_OP_read: {e}"));
                let rc = e.raw_os_error().map_or("-".into(), |n| format!("-{n}"));
                (rc, Vec::new(), None)
            }
        };
        Some(Listed {
            header: format!("# privcmd hypfs ls {dir} (rc={rc})\n"),
            body,
            children,
        })
    };
    let w = walk(ctx, &mut ls);
    ctx.write_logged("xen/hypfs/ls-recursive.txt", &w.listing)?;
    match hypfs::tree(&w.dirs) {
        Some(t) => {
            ctx.w.note(format!(
                "hypfs tree > xen/hypfs/tree.txt ({} bytes, as xenhypfs tree prints it)",
                t.len()
            ));
            ctx.write_logged("xen/hypfs/tree.txt", &t)?;
        }
        None => ctx
            .w
            .note("hypfs: a directory was not listed: no xen/hypfs/tree.txt".into()),
    }
    let mut n = 0;
    for leaf in &w.leaves {
        match x.hypfs_read(leaf).and_then(|e| hypfs::cat(&e)) {
            Ok(text) => {
                ctx.write_logged(&format!("xen/hypfs/cat{leaf}"), &text)?;
                n += 1;
            }
            Err(e) => ctx.w.failed(format!("hypfs cat {leaf}: {e}")),
        }
    }
    ctx.w.note(format!(
        "hypfs: {n} of {} entries read into xen/hypfs/cat/ (XEN_HYPFS_OP_read, printed as \
         xenhypfs cat prints them)",
        w.leaves.len()
    ));
    Ok(())
}

/// hypfs through `xenhypfs`: `ls` per directory, `tree`, `cat` per entry.
fn through_tool(ctx: &mut Ctx) -> Res {
    if !ctx.tools.available("xenhypfs") {
        ctx.w
            .note("xenhypfs not installed: xen/hypfs/ not collected".into());
        return Ok(());
    }
    let mut ls = |ctx: &mut Ctx, dir: &str| -> Option<Listed> {
        let o = ctx.run("xenhypfs", &["ls", dir])?;
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let mut children = Vec::new();
        for line in text.lines() {
            let mut tok = line.split_whitespace();
            let (Some(kind), Some(name)) = (tok.next(), tok.last()) else {
                continue;
            };
            if kind.starts_with('<') {
                children.push((name.to_string(), kind == "<dir>"));
            }
        }
        Some(Listed {
            header: format!("# xenhypfs ls {dir} (rc={})\n", rc(&o)),
            body: o.stdout,
            children: Some(children),
        })
    };
    let w = walk(ctx, &mut ls);
    ctx.write_logged("xen/hypfs/ls-recursive.txt", &w.listing)?;
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
    for leaf in &w.leaves {
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
        w.leaves.len()
    ));
    Ok(())
}

fn rc(o: &CommandOutput) -> String {
    o.status.map_or_else(|| "killed".into(), |c| c.to_string())
}
