//! Where a subcommand's answer goes, the same for every subcommand: standard output, or
//! `-o FILE` instead, in the format `--format` names or, when it names none, the one FILE's
//! extension names (`.json`, `.sarif`, `.html`/`.htm`; anything else is text). (`collect -o` names the
//! snapshot directory it writes: its output is a snapshot.)
//!
//! A report that was not written is an error (exit 2), on standard output as in a file: a
//! full disk, a closed pipe or a closed standard output must not look like a passing run.
//! Text is escaped for the terminal here, once, whatever renderer made it
//! ([`dom0scope_report::for_terminal`]), and [`text_width`] says how wide it may be.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use dom0scope_report::{DEFAULT_WIDTH, MIN_WIDTH, for_terminal};

/// Output format of the subcommands that print text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `--format` and `-o`, as the analysing subcommands take them.
#[derive(Debug, clap::Args)]
pub struct Output {
    /// Output format [default: text; with -o, JSON when FILE ends in .json].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

impl Output {
    /// The format asked for, or the one `-o`'s extension implies.
    pub fn format(&self) -> Format {
        self.format
            .unwrap_or(match extension(self.output.as_deref()) {
                Some(Ext::Json) => Format::Json,
                _ => Format::Text,
            })
    }

    /// Writes `rendered` (in [`Output::format`]) where `-o` says.
    /// The width text is fitted to: the terminal's, or 100 columns for a file.
    pub fn width(&self) -> usize {
        text_width(self.output.as_deref())
    }

    pub fn write(&self, rendered: &str) -> anyhow::Result<()> {
        let kind = match self.format() {
            Format::Text => Kind::Text,
            Format::Json => Kind::Data,
        };
        emit(rendered, kind, self.output.as_deref())
    }
}

/// Columns text for people is wrapped at: 100 in a file (`-o`: the same report whoever
/// writes it), else `COLUMNS` when set to a number, else the terminal's width when standard
/// output is one, else 100; never under [`MIN_WIDTH`].
pub fn text_width(output: Option<&Path>) -> usize {
    if output.is_some() {
        return DEFAULT_WIDTH;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0);
    columns
        .or_else(|| {
            terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0))
        })
        .unwrap_or(DEFAULT_WIDTH)
        .max(MIN_WIDTH)
}

/// A format that `-o FILE`'s extension names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ext {
    Json,
    Sarif,
    /// `.html` or `.htm`.
    Html,
}

/// The format `-o`'s file name implies, if any.
pub fn extension(output: Option<&Path>) -> Option<Ext> {
    let ext = output?.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "json" => Some(Ext::Json),
        "sarif" => Some(Ext::Sarif),
        "html" | "htm" => Some(Ext::Html),
        _ => None,
    }
}

/// `--format` when given, else the JSON or HTML format `-o FILE`'s extension names, else text:
/// the one rule of the subcommands that write text, JSON or HTML (`diff`, `harden`), each
/// passing its own `[text, json, html]` values.
pub fn text_json_html<F: Copy>(
    given: Option<F>,
    output: Option<&Path>,
    [text, json, html]: [F; 3],
) -> F {
    given.unwrap_or(match extension(output) {
        Some(Ext::Json) => json,
        Some(Ext::Html) => html,
        Some(Ext::Sarif) | None => text,
    })
}

/// What is being written: text for people (escaped, coloured on a terminal) or a
/// document (JSON, SARIF, HTML: written byte for byte; their encoders escape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Data,
}

/// Writes to FILE (text without colour) or to standard output; any failure is an error.
pub fn emit(rendered: &str, kind: Kind, output: Option<&Path>) -> anyhow::Result<()> {
    let text = match kind {
        Kind::Text => for_terminal(rendered),
        Kind::Data => rendered.into(),
    };
    match output {
        Some(path) => {
            let mut f = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            anstream::StripStream::new(&mut f)
                .write_all(text.as_bytes())
                // A full disk may only show when the data reaches it (delayed allocation);
                // only a regular file can be synced (`-o /dev/stdout` may be a pipe).
                .and_then(|()| match f.metadata()?.is_file() {
                    true => f.sync_data(),
                    false => Ok(()),
                })
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            if stdout_was_closed() {
                anyhow::bail!(
                    "standard output is closed: nothing would be written (use -o FILE, or > /dev/null to discard)"
                );
            }
            let mut out = anstream::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("cannot write to standard output")?;
        }
    }
    Ok(())
}

/// Rust's runtime replaces a closed standard output with `/dev/null` opened read-write
/// before `main`, so writes to it "succeed". A shell's `> /dev/null` opens it write-only,
/// so read-write `/dev/null` on fd 1 is the runtime's substitute: stdout was closed.
fn stdout_was_closed() -> bool {
    let on_null = std::fs::read_link("/proc/self/fd/1").is_ok_and(|p| p == Path::new("/dev/null"));
    on_null
        && std::fs::read_to_string("/proc/self/fdinfo/1").is_ok_and(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
                // O_ACCMODE == 3, O_RDWR == 2.
                .is_some_and(|flags| flags & 3 == 2)
        })
}
