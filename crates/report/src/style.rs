//! The few ANSI styles the text views share. They are written unconditionally; the
//! caller's stream decides whether they reach the terminal (anstream strips them for
//! pipes, files and `NO_COLOR`).

use anstyle::{AnsiColor, Effects, Style};
use dom0scope_verdict::Severity;

pub(crate) const BOLD: Style = Style::new().effects(Effects::BOLD);
pub(crate) const DIM: Style = Style::new().effects(Effects::DIMMED);
pub(crate) const HEAD: Style = Style::new().effects(Effects::BOLD.insert(Effects::UNDERLINE));
pub(crate) const GOOD: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)))
    .effects(Effects::BOLD);

pub(crate) fn sev_style(s: Severity) -> Style {
    let c = match s {
        Severity::Critical => AnsiColor::BrightRed,
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Cyan,
        Severity::Info => AnsiColor::White,
    };
    Style::new().fg_color(Some(c.into())).effects(Effects::BOLD)
}

/// The colour of a level: the severity that keeps the host from the next one.
pub(crate) fn level_style(level: u8) -> Style {
    match level {
        0 => sev_style(Severity::Critical),
        1 => sev_style(Severity::High),
        2 => sev_style(Severity::Medium),
        _ => GOOD,
    }
}

pub(crate) fn styled(s: Style, text: &str) -> String {
    format!("{}{text}{}", s.render(), s.render_reset())
}
