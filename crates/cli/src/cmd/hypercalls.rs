//! `dom0scope hypercalls`: owned by the hypercall-surface crate (crates/hypercalls).

use std::path::PathBuf;
use std::process::ExitCode;

use super::input::Format;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot directory, .tar/.tar.gz, or bare Xen log (default: the bundled example).
    pub snapshot: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the hypercall surface is not implemented yet")
}
