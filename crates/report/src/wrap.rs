//! Fitting text to a width: prose is filled ([`wrap`]), any other line wider than the
//! width is folded at a space with a hanging indent ([`fold`]), and one-line-per-item
//! views cut their last column ([`truncate`]). Widths count characters and skip the SGR
//! sequences the renderers emit, so colour does not shorten lines.

/// The width text is wrapped at when nothing says otherwise (no terminal, `-o FILE`).
pub const DEFAULT_WIDTH: usize = 100;

/// The narrowest width honoured: below it every line would fold several times.
pub const MIN_WIDTH: usize = 40;

/// Fills `text` (whitespace collapsed) into lines of at most `width` columns, `indent`
/// spaces before each; a word longer than a line stands alone on its own.
pub(crate) fn wrap(text: &str, indent: usize, width: usize) -> String {
    hang(text, indent, indent, width)
}

/// [`wrap`] with `first` spaces before the first line and `rest` before the others, so
/// that a list's continuation lines stand out from its start.
pub(crate) fn hang(text: &str, first: usize, rest: usize, width: usize) -> String {
    let mut out = String::new();
    let mut indent = first;
    let mut col = 0;
    for word in text.split_whitespace() {
        let len = visible_width(word);
        if col > indent && col + 1 + len > width {
            out.push('\n');
            col = 0;
            indent = rest;
        }
        if col == 0 {
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
    }
    out
}

/// Writes `Label (N): a, b, c` filled to the width, continuation lines deeper than the
/// first; nothing when the list is empty. Rules named, not explained: a screen holds them.
pub(crate) fn collapsed(o: &mut String, label: &str, items: &[String], width: usize) {
    if items.is_empty() {
        return;
    }
    let line = format!("{label} ({}): {}", items.len(), items.join(", "));
    o.push_str(&hang(&line, 2, 4, width));
    o.push('\n');
}

/// Folds every line of `text` wider than `width` at its last space that fits, continuing
/// two columns deeper than the line's own indent; a run with no space is cut at the width.
/// Lines that fit are untouched, so tables and quoted log lines stay as they are when
/// the terminal is wide enough.
pub(crate) fn fold(text: &str, width: usize) -> String {
    let width = width.max(MIN_WIDTH);
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        fold_line(&mut out, line, width);
    }
    out
}

fn fold_line(out: &mut String, line: &str, width: usize) {
    if visible_width(line) <= width {
        out.push_str(line);
        return;
    }
    let indent = line.len() - line.trim_start_matches(' ').len();
    let hang = (indent + 2).min(width / 2);
    let mut rest = line;
    let mut first = true;
    loop {
        let room = if first { width } else { width - hang };
        let skip = if first { indent } else { 0 };
        let Some((cut, resume)) = break_at(rest, room, skip) else {
            out.push_str(rest);
            return;
        };
        out.push_str(&rest[..cut]);
        rest = &rest[resume..];
        if rest.is_empty() {
            return;
        }
        out.push('\n');
        out.push_str(&" ".repeat(hang));
        first = false;
    }
}

/// Where to end a line of `room` columns of `s`: the byte offset to cut at and the one the
/// next line resumes at (after the spaces at the break); None when `s` fits. Spaces in the
/// first `skip` columns (the indent) are not break points.
fn break_at(s: &str, room: usize, skip: usize) -> Option<(usize, usize)> {
    let mut col = 0;
    let mut last_space = None;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\x1b' {
            let len = sgr_len(&s[i..]);
            while chars.peek().is_some_and(|(j, _)| *j < i + len) {
                chars.next();
            }
            continue;
        }
        // A closing bracket stays with what it closes, not alone on the next line.
        if c == ' '
            && col >= skip
            && col > 0
            && col <= room
            && !s[i + 1..].starts_with(['}', ')', ']'])
        {
            last_space = Some(i);
        }
        if c != ' ' && col + 1 > room {
            return Some(match last_space {
                Some(p) => {
                    let resume = p + s[p..].len() - s[p..].trim_start_matches(' ').len();
                    (s[..p].trim_end_matches(' ').len(), resume)
                }
                None => (i, i),
            });
        }
        col += 1;
    }
    None
}

/// `text` (plain, no styles) cut to `max` columns, ending in `…` when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.truncate(s.trim_end().len());
    s.push('…');
    s
}

/// Columns `line` takes on a terminal: its characters, less the SGR sequences.
pub(crate) fn visible_width(line: &str) -> usize {
    let mut n = 0;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' {
            rest = &rest[sgr_len(rest)..];
        } else {
            n += 1;
            rest = &rest[c.len_utf8()..];
        }
    }
    n
}

/// Length in bytes of the escape sequence `s` starts with: up to and including its final
/// letter for `ESC [ … m` and the like, or just the ESC.
fn sgr_len(s: &str) -> usize {
    let b = s.as_bytes();
    if b.get(1) != Some(&b'[') {
        return 1;
    }
    b[2..]
        .iter()
        .position(|c| c.is_ascii_alphabetic())
        .map_or(1, |p| p + 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widest(s: &str) -> usize {
        s.lines().map(visible_width).max().unwrap_or(0)
    }

    #[test]
    fn a_line_that_fits_is_untouched() {
        let s = "  short line   with  double spaces";
        assert_eq!(fold(s, 40), s);
    }

    #[test]
    fn a_long_line_folds_at_a_space_with_a_hanging_indent() {
        let s = format!("    evidence: {}", "word ".repeat(30).trim_end());
        let f = fold(&s, 40);
        assert!(widest(&f) <= 40, "{f}");
        assert!(f.lines().count() > 3);
        for l in f.lines().skip(1) {
            assert!(l.starts_with("      word"), "{l:?}");
        }
        // Nothing is lost or added but the breaks.
        let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(words(&f), words(&s));
    }

    #[test]
    fn a_closing_bracket_is_not_left_alone() {
        let s = "abcdefgh abcdefgh abcdefgh abcdefgh abc }";
        assert_eq!(fold(s, 40), "abcdefgh abcdefgh abcdefgh abcdefgh\n  abc }");
    }

    #[test]
    fn characters_count_not_bytes() {
        let s = format!("{} — é…", "mot ".repeat(12));
        let f = fold(&s, 40);
        assert!(widest(&f) <= 40, "{f}");
        assert_eq!(
            fold(&"—".repeat(45), 40).lines().next().unwrap(),
            "—".repeat(40)
        );
    }

    #[test]
    fn a_run_without_spaces_is_cut_at_the_width() {
        let s = "x".repeat(95);
        let f = fold(&s, 40);
        assert_eq!(f.lines().map(str::len).collect::<Vec<_>>(), [40, 40, 19]);
    }

    #[test]
    fn styles_take_no_columns() {
        let s = format!("\x1b[1m{}\x1b[0m", "ab ".repeat(13).trim_end());
        assert_eq!(visible_width(&s), 38);
        assert_eq!(fold(&s, 40), s);
        let f = fold(&format!("{s} {s}"), 40);
        assert_eq!(f.lines().count(), 2, "{f:?}");
        assert!(widest(&f) <= 40);
    }

    #[test]
    fn a_width_below_the_minimum_is_raised() {
        let s = "a b c d e f g h i j k l m n o p q r s t";
        assert_eq!(fold(s, 3), s);
        let f = fold(&format!("{s} {s}"), 3);
        assert!(f.lines().count() > 1 && widest(&f) <= MIN_WIDTH, "{f}");
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abc def", 5), "abc…");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }

    #[test]
    fn wrap_fills_to_the_width() {
        let w = wrap(&"lorem ipsum ".repeat(20), 2, 50);
        assert!(widest(&w) <= 50);
        assert!(
            w.lines()
                .all(|l| l.starts_with("  ") && !l.starts_with("   "))
        );
    }
}
