//! The fleet for people (one table row per host, then a one-line summary) and for programs
//! (JSON Lines: each host's audit document or error, then the summary).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::json;

use crate::{Fleet, Host, SCHEMA, Skipped};

/// Widest a host name or Xen version column grows before its values are cut.
const MAX_NAME: usize = 32;
const MAX_XEN: usize = 16;
/// The top-finding column never gets narrower than this; past it the table overflows.
const MIN_TOP: usize = 10;

/// Cuts `s` to `max` characters, marking the cut with `…`.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// One row's cells: host, Xen, dom0 mode, level, critical, high, top finding (or the error).
fn cells<T>(h: &Host<T>) -> [String; 7] {
    match &h.outcome {
        Ok(a) => {
            let r = &a.row;
            let mut name = h.name();
            if r.degraded {
                name.push('*');
            }
            [
                name,
                r.identity.xen_version.clone().unwrap_or_else(|| "?".into()),
                r.dom0_mode.clone().unwrap_or_else(|| "?".into()),
                r.level_label.clone(),
                r.critical.to_string(),
                r.high.to_string(),
                match &r.top {
                    Some(t) => format!("{} {}", t.id, t.title),
                    None => "no findings".into(),
                },
            ]
        }
        Err(f) => [
            h.name(),
            "-".into(),
            "-".into(),
            "ERROR".into(),
            "-".into(),
            "-".into(),
            first_line(&f.error),
        ],
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_owned()
}

/// The table, fitted to `width` columns (the top finding is cut to what is left), then the
/// errors in full and the summary line (which counts the skipped paths; the caller names
/// them on stderr).
pub fn render_text<T>(fleet: &Fleet<T>, skipped: &[Skipped], width: usize) -> String {
    let head = [
        "HOST",
        "XEN",
        "DOM0",
        "LEVEL",
        "CRIT",
        "HIGH",
        "TOP FINDING",
    ];
    let rows: Vec<[String; 7]> = fleet.hosts.iter().map(cells).collect();
    let caps = [MAX_NAME, MAX_XEN, 4, 7, 5, 5, usize::MAX];
    let mut widths = [0usize; 7];
    for (i, w) in widths.iter_mut().enumerate().take(6) {
        *w = rows
            .iter()
            .map(|r| r[i].chars().count())
            .chain([head[i].len()])
            .max()
            .unwrap_or(0)
            .min(caps[i]);
    }
    // On a narrow terminal the host and Xen columns give way before the top finding.
    for (col, min) in [(0, 12), (1, 6)] {
        let used: usize = widths[..6].iter().sum::<usize>() + 2 * 6;
        let over = (used + MIN_TOP).saturating_sub(width);
        widths[col] -= over.min(widths[col].saturating_sub(min));
    }
    let used: usize = widths[..6].iter().sum::<usize>() + 2 * 6;
    widths[6] = width.saturating_sub(used).max(MIN_TOP);
    let mut o = String::new();
    let line = |o: &mut String, r: &[String; 7]| {
        let mut l = String::new();
        for i in 0..6 {
            let c = cut(&r[i], widths[i]);
            // Numbers right-aligned, text left.
            if i >= 4 {
                let _ = write!(l, "{c:>w$}  ", w = widths[i]);
            } else {
                let _ = write!(l, "{}  ", pad(&c, widths[i]));
            }
        }
        l.push_str(&cut(&r[6], widths[6]));
        o.push_str(l.trim_end());
        o.push('\n');
    };
    line(&mut o, &head.map(String::from));
    for r in &rows {
        line(&mut o, r);
    }
    if fleet
        .hosts
        .iter()
        .any(|h| h.outcome.as_ref().is_ok_and(|a| a.row.degraded))
    {
        o.push_str("* read with damage: that host's audit is degraded (see its audit)\n");
    }
    for h in &fleet.hosts {
        if let Err(f) = &h.outcome {
            o.push_str(&fold(
                &format!("error {}: {}", h.path.display(), f.error),
                width,
            ));
        }
    }
    o.push_str(&fold(&summary_line(fleet, skipped.len()), width));
    o
}

/// Folds `text` at spaces into lines of at most `width` columns, continuation lines
/// indented by two; a word longer than a line stays whole.
fn fold(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let len = line.chars().count();
        if len > 2 && len + 1 + word.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = "  ".into();
        } else if !line.is_empty() && !line.ends_with("  ") {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// Index of the worst host: an error first, then the lowest level, then the most critical
/// and high findings; the first such in input order.
fn worst<T>(fleet: &Fleet<T>) -> Option<usize> {
    let key = |h: &Host<T>| match &h.outcome {
        Err(_) => (1, 0, 0, 0),
        Ok(a) => (0, 3 - a.row.level, a.row.critical, a.row.high),
    };
    let mut best: Option<usize> = None;
    for (i, h) in fleet.hosts.iter().enumerate() {
        if best.is_none_or(|b| key(h) > key(&fleet.hosts[b])) {
            best = Some(i);
        }
    }
    best
}

/// `13 hosts: DOM0:0 ×1, DOM0:1 ×11, 1 input error; worst: … ; exit 2`.
fn summary_line<T>(fleet: &Fleet<T>, skipped: usize) -> String {
    let s = Summary::of(fleet);
    let mut parts: Vec<String> = s
        .levels
        .iter()
        .map(|(label, n)| format!("{label} ×{n}"))
        .collect();
    if s.errors > 0 {
        parts.push(format!(
            "{} input error{}",
            s.errors,
            if s.errors == 1 { "" } else { "s" }
        ));
    }
    let mut line = format!(
        "{} host{}: {}",
        s.hosts,
        if s.hosts == 1 { "" } else { "s" },
        parts.join(", ")
    );
    if skipped > 0 {
        let _ = write!(line, " ({skipped} paths skipped)");
    }
    if let Some(i) = worst(fleet) {
        let h = &fleet.hosts[i];
        let what = match &h.outcome {
            Ok(a) => format!(
                "{}, {} critical, {} high, {}",
                a.row.level_label,
                a.row.critical,
                a.row.high,
                a.row.result.label()
            ),
            Err(_) => "input error".into(),
        };
        let _ = write!(line, "; worst: {} ({what})", h.name());
    }
    let _ = write!(line, "; exit {}", fleet.exit_code());
    line
}

/// What the fleet came to, as the summary line and the JSON summary say it.
#[derive(Debug, Serialize)]
struct Summary {
    hosts: usize,
    audited: usize,
    errors: usize,
    /// Hosts per level label (`DOM0:1!`).
    levels: BTreeMap<String, usize>,
    /// Hosts per result at `--fail-on` (`pass`, `fail`, `incomplete`).
    results: BTreeMap<String, usize>,
}

impl Summary {
    fn of<T>(fleet: &Fleet<T>) -> Summary {
        let mut levels = BTreeMap::new();
        let mut results = BTreeMap::new();
        let mut errors = 0;
        for h in &fleet.hosts {
            match &h.outcome {
                Ok(a) => {
                    *levels.entry(a.row.level_label.clone()).or_insert(0) += 1;
                    *results
                        .entry(a.row.result.label().to_ascii_lowercase())
                        .or_insert(0) += 1;
                }
                Err(_) => errors += 1,
            }
        }
        Summary {
            hosts: fleet.hosts.len(),
            audited: fleet.hosts.len() - errors,
            errors,
            levels,
            results,
        }
    }
}

/// The JSON Lines summary: counts, the worst host, the exit status and what was skipped.
pub fn summary_json<T>(fleet: &Fleet<T>, skipped: &[Skipped]) -> serde_json::Value {
    let s = Summary::of(fleet);
    let worst = worst(fleet).map(|i| {
        let h = &fleet.hosts[i];
        json!({
            "path": h.path.display().to_string(),
            "name": h.name(),
            "exit_code": h.exit_code(),
        })
    });
    json!({
        "schema": SCHEMA,
        "kind": "summary",
        "hosts": s.hosts,
        "audited": s.audited,
        "errors": s.errors,
        "levels": s.levels,
        "results": s.results,
        "worst": worst,
        "exit_code": fleet.exit_code(),
        "skipped": skipped
            .iter()
            .map(|k| json!({"path": k.path.display().to_string(), "reason": k.reason}))
            .collect::<Vec<_>>(),
    })
}

/// JSON Lines: each host in input order (its audit document as `render` made it, one line,
/// or an error line), then the summary.
pub fn render_jsonl(fleet: &Fleet<String>, skipped: &[Skipped]) -> String {
    let mut o = String::new();
    for h in &fleet.hosts {
        match &h.outcome {
            Ok(a) => o.push_str(a.rendered.trim_end()),
            Err(f) => {
                let mut line = json!({
                    "schema": SCHEMA,
                    "kind": "error",
                    "path": h.path.display().to_string(),
                    "error": f.error,
                    "exit_code": 2,
                });
                if let Some(id) = &f.identity {
                    line["identity"] = serde_json::to_value(id).unwrap_or_default();
                }
                o.push_str(&line.to_string());
            }
        }
        o.push('\n');
    }
    o.push_str(&summary_json(fleet, skipped).to_string());
    o.push('\n');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_and_cut_keep_to_the_width() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        let f = fold("one two three four five six", 10);
        assert!(f.lines().all(|l| l.chars().count() <= 10), "{f}");
        assert_eq!(
            f.replace("\n  ", " ").trim_end(),
            "one two three four five six"
        );
    }
}
