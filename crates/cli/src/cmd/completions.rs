//! `dom0scope completions SHELL`: the completion script clap_complete generates from the
//! same command definition the binary parses with. `packaging/build-deb.sh` runs it at package
//! build time, so the installed scripts always match the packaged binary.

use std::process::ExitCode;

use clap_complete::Shell;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells the package installs completions for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    /// Bash (bash-completion).
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

/// Writes the script for `args.shell` to stdout. clap_complete offers hidden subcommands too,
/// so the script is generated from a copy of `cmd` holding only the visible ones.
pub fn run(args: Args, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    let mut cmd = clap::Command::new("dom0scope")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommands(cmd.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "dom0scope", &mut out);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &out)?;
    Ok(ExitCode::SUCCESS)
}
