//! Banner and boot-header lines: version, command line, loader, image base, CPU, HAP.

use std::sync::LazyLock;

use regex::Regex;

use super::builder::{Builder, dec, hex};
use super::lines::XenLine;
use super::model::{Cpu, Located, XenVersion};

static CPU: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^CPU Vendor: (\S+), Family (\d+) \([^)]*\), Model (\d+) \([^)]*\), Stepping (\d+)")
        .expect("static regex")
});

pub(crate) fn line(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let body = l.body;
    if let Some(rest) = body.strip_prefix("Xen version ") {
        match version(rest, l.no) {
            Some(v) => {
                b.cite(l);
                b.log.version = Some(v);
            }
            None => b.warn(l, "unreadable Xen version banner"),
        }
        return true;
    }
    if let Some(rest) = body.strip_prefix("Command line: ") {
        let line = b.cite(l);
        b.log.cmdline = Some(Located {
            value: rest.trim_end().to_owned(),
            line,
        });
        return true;
    }
    if body == "Command line:" {
        let line = b.cite(l);
        b.log.cmdline = Some(Located {
            value: String::new(),
            line,
        });
        return true;
    }
    if let Some(rest) = body.strip_prefix("Bootloader: ") {
        let line = b.cite(l);
        b.log.bootloader = Some(Located {
            value: rest.trim().to_owned(),
            line,
        });
        return true;
    }
    if let Some(rest) = body.strip_prefix("build-id: ") {
        let line = b.cite(l);
        b.log.build_id = Some(Located {
            value: rest.trim().to_owned(),
            line,
        });
        return true;
    }
    if let Some(rest) = body.strip_prefix("Xen image load base address: ") {
        return address(b, l, rest, |b, v| b.log.image_load_base = Some(v));
    }
    if let Some(rest) = body.strip_prefix("New Xen image base address: ") {
        return address(b, l, rest, |b, v| b.log.image_base = Some(v));
    }
    if body.starts_with("CPU Vendor: ") {
        match CPU.captures(body) {
            Some(c) => {
                let line = b.cite(l);
                let (Some(family), Some(model), Some(stepping)) =
                    (dec(&c[2]), dec(&c[3]), dec(&c[4]))
                else {
                    b.warn(l, "CPU numbers out of range");
                    return true;
                };
                b.log.cpu = Some(Cpu {
                    vendor: c[1].to_owned(),
                    family,
                    model,
                    stepping,
                    line,
                });
            }
            None => b.warn(l, "unreadable CPU vendor line"),
        }
        return true;
    }
    if let Some(rest) = body.strip_prefix("HVM: Hardware Assisted Paging (HAP) ") {
        let value = match rest.trim() {
            "detected" => true,
            "not detected" => false,
            _ => {
                b.warn(l, "unreadable HAP line");
                return true;
            }
        };
        let line = b.cite(l);
        b.log.hap = Some(Located { value, line });
        return true;
    }
    false
}

fn address(
    b: &mut Builder,
    l: &XenLine<'_>,
    text: &str,
    set: impl FnOnce(&mut Builder, Located<u64>),
) -> bool {
    match hex(text) {
        Some(value) => {
            let line = b.cite(l);
            set(b, Located { value, line });
        }
        None => b.warn(l, "unreadable address"),
    }
    true
}

/// `4.17.7 (Debian 4.17.7+13-…) (pkg-xen-devel@…) (gcc …) debug=n Wed Nov  4 …`;
/// older builds lack the package group and `debug=`.
pub(crate) fn version(rest: &str, line: u32) -> Option<XenVersion> {
    let (ver, mut tail) = rest.split_once(' ').unwrap_or((rest, ""));
    let (major, after) = ver.split_once('.')?;
    let major: u32 = major.parse().ok()?;
    let minor_len = after.bytes().take_while(u8::is_ascii_digit).count();
    if minor_len == 0 {
        return None;
    }
    let minor: u32 = after[..minor_len].parse().ok()?;
    let extra = after[minor_len..].to_owned();
    let mut groups = Vec::new();
    loop {
        tail = tail.trim_start();
        let Some(inner) = tail.strip_prefix('(') else {
            break;
        };
        let mut depth = 1usize;
        let mut end = None;
        for (i, ch) in inner.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = end?;
        groups.push(inner[..end].to_owned());
        tail = &inner[end + 1..];
    }
    let at = groups.iter().position(|g| g.contains('@'));
    let (package, compiled_by, compiler) = match at {
        Some(i) => (
            groups[..i].first().cloned(),
            Some(groups[i].clone()),
            groups.get(i + 1).cloned(),
        ),
        None => (None, None, groups.first().cloned()),
    };
    let debug = tail.split_whitespace().find_map(|w| match w {
        "debug=y" => Some(true),
        "debug=n" => Some(false),
        _ => None,
    });
    Some(XenVersion {
        major,
        minor,
        extra,
        package,
        compiled_by,
        compiler,
        debug,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_banner() {
        let v = version("4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1) (pkg-xen-devel@lists.alioth.debian.org) (x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0) debug=n Wed Nov  4 16:52:28 UTC 2026", 1).unwrap();
        assert_eq!(v.full(), "4.17.7");
        assert_eq!(
            v.package.as_deref(),
            Some("Debian 4.17.7+13-g2445b30a44-0+deb12u1")
        );
        assert_eq!(
            v.compiled_by.as_deref(),
            Some("pkg-xen-devel@lists.alioth.debian.org")
        );
        assert_eq!(
            v.compiler.as_deref(),
            Some("x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0")
        );
        assert_eq!(v.debug, Some(false));
    }

    #[test]
    fn old_banner_and_prerelease() {
        let v = version("4.1.1 (Ubuntu 4.1.1-2ubuntu4.1) (zulcss@ubuntu.com) (gcc version 4.6.1 (Ubuntu/Linaro 4.6.1-9ubuntu3) ) Tue Oct 11 07:31:13 UTC 2011", 3).unwrap();
        assert_eq!((v.major, v.minor, v.extra.as_str()), (4, 1, ".1"));
        assert_eq!(v.debug, None);
        let v = version("4.20.5-pre (Debian 4.20.4+63) (a@b) (gcc) debug=y x", 1).unwrap();
        assert_eq!(v.full(), "4.20.5-pre");
        assert_eq!(v.debug, Some(true));
        let v = version("4.17-unstable (x@y) (gcc) debug=y", 1).unwrap();
        assert_eq!(v.extra, "-unstable");
        assert!(v.package.is_none());
    }

    #[test]
    fn garbage_banner_is_none() {
        assert!(version("x.y", 1).is_none());
        assert!(version("4.", 1).is_none());
        assert!(version("4.1 (unclosed", 1).is_none());
    }
}
