//! Debug key `'q'` dumps: `Rangesets belonging to domain N:` followed by one line
//! per rangeset (Xen `common/rangeset.c` `rangeset_domain_printk()`). These are
//! Xen's own record of what each domain may touch.

use std::sync::LazyLock;

use dom0scope_ranges::{FrameSet, IrqSet, PortSet, Radix};
use regex::Regex;

use super::builder::{Block, Builder};
use super::lines::XenLine;
use super::model::{DomainRangesets, Located};

static ENTRY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^ {4}(\S[^{]*?)\s*(\{.*)$").expect("static regex"));

pub(crate) fn header(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let body = l.body.trim();
    if body.starts_with("'q' pressed -> dumping domain info") {
        b.cite(l);
        b.dumps += 1;
        b.dump_open = true;
        b.dump_domains.clear();
        return true;
    }
    let Some(rest) = body.strip_prefix("Rangesets belonging to domain ") else {
        return false;
    };
    let Some(domain) = rest.strip_suffix(':').and_then(|d| d.parse::<u32>().ok()) else {
        b.warn(l, "unreadable rangeset header");
        return true;
    };
    // Without a "'q' pressed" line (an excerpt), a repeated domain starts a new dump.
    if !b.dump_open || b.dump_domains.contains(&domain) {
        b.dumps += 1;
        b.dump_domains.clear();
    }
    b.dump_open = true;
    b.dump_domains.insert(domain);
    let header_line = b.cite(l);
    b.log.rangesets.push(DomainRangesets {
        domain,
        dump: b.dumps - 1,
        header_line,
        interrupts: None,
        iomem: None,
        ioports: None,
        other: Vec::new(),
    });
    b.block = Block::Rangesets(b.log.rangesets.len() - 1);
    true
}

/// One rangeset line inside a domain's block; false ends the block.
pub(crate) fn entry(b: &mut Builder, idx: usize, l: &XenLine<'_>) -> bool {
    if l.body.trim() == "None" {
        b.cite(l);
        return true;
    }
    let Some(c) = ENTRY.captures(l.body) else {
        return false;
    };
    let name = c[1].to_owned();
    let text = c[2].trim_end().to_owned();
    let line = b.cite(l);
    let result = match name.as_str() {
        "Interrupts" => IrqSet::parse_xen(&text, Radix::Decimal).map(|s| {
            b.log.rangesets[idx].interrupts = Some(Located { value: s, line });
        }),
        "I/O Memory" => FrameSet::parse_xen(&text, Radix::Hex).map(|s| {
            b.log.rangesets[idx].iomem = Some(Located { value: s, line });
        }),
        "I/O Ports" => PortSet::parse_xen(&text, Radix::Hex).map(|s| {
            b.log.rangesets[idx].ioports = Some(Located { value: s, line });
        }),
        _ => {
            b.log.rangesets[idx]
                .other
                .push((name.clone(), text.clone()));
            Ok(())
        }
    };
    if let Err(e) = result {
        b.warn(l, format!("unreadable {name} rangeset ({e})"));
    }
    true
}
