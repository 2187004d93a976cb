//! The dom0 build block (Xen `dom0_build.c`, `pv/dom0_build.c`, `hvm/dom0_build.c`)
//! and `dom0_ioports_disable=` lines.

use std::sync::LazyLock;

use regex::Regex;

use super::builder::{Builder, dec, hex};
use super::lines::XenLine;
use super::model::{Dom0Build, Dom0Mode, PortRange};

static KERNEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Dom0 kernel: .*paddr 0x([0-9a-fA-F]+) -> 0x([0-9a-fA-F]+)").expect("static regex")
});
static ALLOC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^Dom0 alloc\.:\s+([0-9a-fA-F]+)->([0-9a-fA-F]+)(?: \((\d+) pages to be allocated\))?",
    )
    .expect("static regex")
});
static VCPUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^Dom0 has maximum (\d+) VCPUs").expect("static regex"));
static DISABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Disabling dom0 access to ioport range ([0-9a-fA-F]+)-([0-9a-fA-F]+)")
        .expect("static regex")
});

pub(crate) fn line(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let body = l.body.trim();
    let mode = match body {
        "*** Building a PV Dom0 ***" | "*** LOADING DOMAIN 0 ***" => Some(Dom0Mode::Pv),
        "*** Building a PVH Dom0 ***" => Some(Dom0Mode::Pvh),
        _ => None,
    };
    if let Some(mode) = mode {
        let line = b.cite(l);
        b.log.dom0 = Some(Dom0Build {
            mode,
            line,
            kernel_paddr: None,
            alloc: None,
            pages: None,
            max_vcpus: None,
        });
        return true;
    }
    if body.starts_with("Dom0 kernel: ") {
        if let Some(c) = KERNEL.captures(body)
            && let (Some(s), Some(e)) = (hex(&c[1]), hex(&c[2]))
        {
            b.cite(l);
            if let Some(d) = b.log.dom0.as_mut() {
                d.kernel_paddr = Some((s, e));
            }
            return true;
        }
        b.warn(l, "unreadable dom0 kernel line");
        return true;
    }
    if body.starts_with("Dom0 alloc.:") {
        match ALLOC.captures(body) {
            Some(c) => {
                if let (Some(s), Some(e)) = (hex(&c[1]), hex(&c[2])) {
                    b.cite(l);
                    let pages = c.get(3).and_then(|m| dec(m.as_str()));
                    if let Some(d) = b.log.dom0.as_mut() {
                        d.alloc = Some((s, e));
                        d.pages = pages;
                    }
                } else {
                    b.warn(l, "dom0 allocation out of range");
                }
            }
            None => b.warn(l, "unreadable dom0 allocation line"),
        }
        return true;
    }
    if let Some(c) = VCPUS.captures(body) {
        b.cite(l);
        let n = dec(&c[1]);
        if let Some(d) = b.log.dom0.as_mut() {
            d.max_vcpus = n;
        }
        return true;
    }
    if body.starts_with("Disabling dom0 access to ioport range") {
        let parsed = DISABLE.captures(body).and_then(|c| {
            let s = u16::try_from(hex(&c[1])?).ok()?;
            let e = u16::try_from(hex(&c[2])?).ok()?;
            (s <= e).then_some((s, e))
        });
        match parsed {
            Some((start, end)) => {
                let line = b.cite(l);
                b.log.ioport_disables.push(PortRange { start, end, line });
            }
            None => b.warn(l, "unreadable ioport-disable line"),
        }
        return true;
    }
    false
}
