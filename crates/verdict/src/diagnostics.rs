//! A policy file's errors rendered as rustc does (annotate-snippets), in time linear in the
//! file: lines are located through an index built once, each error is rendered from only the
//! lines its span touches (annotate-snippets scans the whole source it is given), and past
//! [`MAX_RENDERED_ERRORS`] the rest are counted in one closing note.

use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level as SnippetLevel, Renderer, Snippet};

use crate::condition::SpanError;

/// Errors rendered in full. A file with more has one systematic mistake (or is not a policy);
/// the others are counted in a note, and all stay in [`PolicyError::errors`].
pub const MAX_RENDERED_ERRORS: usize = 100;

/// A policy file that could not be used. `Display` gives the rendered,
/// located diagnostics (no colour).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{rendered_plain}")]
pub struct PolicyError {
    /// The name the file was loaded under, as the diagnostics cite it.
    pub file: String,
    /// (byte span, message), in file order; every error, rendered or not.
    pub errors: Vec<(Range<usize>, String)>,
    rendered_plain: String,
    rendered_styled: String,
}

impl PolicyError {
    pub(crate) fn new(file: &str, text: &str, mut errors: Vec<SpanError>) -> PolicyError {
        errors.sort_by_key(|e| e.span.start);
        let lines = Lines::new(text);
        let render = |r: Renderer| {
            let mut parts: Vec<String> = errors
                .iter()
                .take(MAX_RENDERED_ERRORS)
                .map(|e| {
                    let span = clamp(&e.span, text);
                    let (window, line) = lines.window(&span);
                    let at = span.start - window.start..span.end - window.start;
                    let report = &[SnippetLevel::ERROR.primary_title(&e.message).element(
                        Snippet::source(&text[window])
                            .line_start(line)
                            .path(file)
                            .annotation(AnnotationKind::Primary.span(at)),
                    )];
                    r.render(report)
                })
                .collect();
            if let Some(more) = errors.len().checked_sub(MAX_RENDERED_ERRORS)
                && more > 0
            {
                let note = format!("{more} more errors in {file} not shown");
                parts.push(r.render(&[Group::with_title(SnippetLevel::NOTE.primary_title(note))]));
            }
            parts.join("\n\n")
        };
        PolicyError {
            file: file.to_owned(),
            rendered_plain: render(Renderer::plain()),
            rendered_styled: render(Renderer::styled()),
            errors: errors.into_iter().map(|e| (e.span, e.message)).collect(),
        }
    }

    /// With ANSI styles (for a terminal; anstream strips them elsewhere).
    pub fn styled(&self) -> &str {
        &self.rendered_styled
    }

    /// 1-based (line, column) of the first error.
    pub fn line_col(&self, text: &str) -> Option<(usize, usize)> {
        let at = self.errors.first()?.0.start.min(text.len());
        let before = text.get(..at)?;
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }
}

/// A span inside `text`, on char boundaries, never empty when text is not.
fn clamp(span: &Range<usize>, text: &str) -> Range<usize> {
    let mut s = span.start.min(text.len());
    let mut e = span.end.min(text.len()).max(s);
    while !text.is_char_boundary(s) {
        s -= 1;
    }
    while !text.is_char_boundary(e) {
        e += 1;
    }
    s..e
}

/// Where each line of a text starts, so that locating a byte is a binary search instead of
/// a count of the newlines before it.
pub(crate) struct Lines {
    /// Byte offset of each line's start: 0, then one past each `\n`.
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Lines {
        let newlines = text.bytes().enumerate().filter(|&(_, b)| b == b'\n');
        Lines {
            starts: std::iter::once(0)
                .chain(newlines.map(|(i, _)| i + 1))
                .collect(),
            len: text.len(),
        }
    }

    /// 1-based line of byte `at` (past the end: the last line).
    pub(crate) fn line(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at.min(self.len))
    }

    /// The bytes of the lines `span` touches (and the one before), through the last one's
    /// newline, and the first one's number.
    fn window(&self, span: &Range<usize>) -> (Range<usize>, usize) {
        // annotate-snippets has no empty line after a final newline: the end of the text is
        // the end of the line before.
        let snippet_line = |at: usize| match self.line(at) {
            l if l > 1 && self.starts[l - 1] == self.len => l - 1,
            l => l,
        };
        // One line more before: annotate-snippets sizes the line-number gutter by the lines of
        // the source before the span's end (ending at a line start, the line before), which
        // the text from the line before the span reproduces exactly.
        let first = (snippet_line(span.start) - 1).max(1);
        let last = snippet_line(span.end);
        let end = self.starts.get(last).copied().unwrap_or(self.len);
        (self.starts[first - 1]..end, first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rendering before the line index: the whole text given for every error.
    fn whole_text(file: &str, text: &str, span: Range<usize>, r: Renderer) -> String {
        let span = clamp(&span, text);
        r.render(&[SnippetLevel::ERROR.primary_title("m").element(
            Snippet::source(text)
                .path(file)
                .annotation(AnnotationKind::Primary.span(span)),
        )])
    }

    fn same_as_whole_text(text: &str, s: usize, e: usize) {
        let errors = vec![SpanError {
            span: s..e,
            message: "m".into(),
        }];
        let got = PolicyError::new("p.toml", text, errors);
        let plain = whole_text("p.toml", text, s..e, Renderer::plain());
        assert_eq!(got.to_string(), plain, "{text:?} {s}..{e}");
        let styled = whole_text("p.toml", text, s..e, Renderer::styled());
        assert_eq!(got.styled(), styled, "{text:?} {s}..{e}");
    }

    #[test]
    fn windowed_rendering_is_byte_for_byte_the_whole_text_rendering() {
        let texts = [
            "",
            "a",
            "a = 1\n",
            "[severity]\nX = \"high\"\n\n[[rule]]\nid = \"é_Ü\"\r\ntitle = 't'\n",
            "x\n\n\ny = [\n  1,\n  2,\n]\nz",
            "\n\n\n",
            "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12",
            "\tk = 'x'\r\n\r\n",
        ];
        for text in texts {
            for s in 0..=text.len() + 1 {
                for e in s..=text.len() + 2 {
                    same_as_whole_text(text, s, e);
                }
            }
        }
        // Around line 100 (the gutter widens), and spans of many lines (folded).
        let text: String = (1..=120).map(|i| format!("k{i:03} = 1\n")).collect();
        let line = |n: usize| (n - 1) * 10;
        for s in line(97)..line(103) {
            for e in s..line(104) {
                same_as_whole_text(&text, s, e);
            }
        }
        for (s, e) in [
            (line(2), line(101)),
            (line(5) + 3, line(12) + 4),
            (0, text.len()),
        ] {
            same_as_whole_text(&text, s, e);
        }
    }

    #[test]
    fn lines_are_located_by_index() {
        let l = Lines::new("ab\ncd\n\ne");
        let got: Vec<usize> = (0..=9).map(|at| l.line(at)).collect();
        assert_eq!(got, [1, 1, 1, 2, 2, 2, 3, 4, 4, 4]);
        assert_eq!(Lines::new("").line(0), 1);
    }

    #[test]
    fn errors_past_the_cap_are_counted_in_one_note() {
        let n = MAX_RENDERED_ERRORS + 37;
        let text: String = (0..n).map(|i| format!("K{i} = 1\n")).collect();
        let errors = (0..n)
            .map(|i| {
                let at = text.find(&format!("K{i} ")).unwrap();
                SpanError {
                    span: at..at + 2,
                    message: format!("bad {i}"),
                }
            })
            .rev()
            .collect();
        let e = PolicyError::new("p.toml", &text, errors);
        assert_eq!(e.errors.len(), n);
        let plain = e.to_string();
        assert_eq!(plain.matches("error: bad").count(), MAX_RENDERED_ERRORS);
        assert!(plain.contains(&format!("p.toml:{MAX_RENDERED_ERRORS}:1")));
        assert!(!plain.contains(&format!("bad {MAX_RENDERED_ERRORS}\n")));
        assert!(
            plain.ends_with("\n\nnote: 37 more errors in p.toml not shown"),
            "{}",
            &plain[plain.len() - 200..]
        );
        assert!(e.styled().contains("37 more errors in p.toml not shown"));
    }
}
