//! `dom0scope collect`: writes a snapshot of what this Xen dom0 can see (crates/collect).
//!
//! Exit codes: 0 = complete snapshot; 1 = snapshot written, but without Xen's rangeset dump
//! (the audit then has to predict dom0's reach instead of observing it); 2 = nothing written
//! (not root, not dom0, output directory refused, I/O error).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use dom0scope_collect::{Options, Sources, SystemTools, XenAccess};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output directory for the snapshot (default: ./dom0scope-snapshot-<UTC time>).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Write into an existing, non-empty output directory.
    #[arg(long)]
    pub force: bool,
    /// Configuration name to record in manifest.json.
    #[arg(long, value_name = "NAME")]
    pub config: Option<String>,
    /// How to reach Xen (console ring, debug keys, hypfs): `privcmd` (hypercalls; needs none
    /// of Xen's tools, which must match the running Xen), `xl` (Xen's tools: xl, xenhypfs),
    /// or `auto` (privcmd when it opens, else the tools; an installed xl is also tried when
    /// the hypercalls cannot read the console ring).
    #[arg(long, value_enum, default_value_t = Access::Auto, value_name = "HOW")]
    pub xen_access: Access,
    /// Seconds each xl/xenhypfs invocation may take before it is killed (1 to 86400).
    #[arg(long, default_value_t = 120, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub tool_timeout: u64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Access {
    Auto,
    Xl,
    Privcmd,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let created = SystemTime::now();
    let output = args
        .output
        .unwrap_or_else(|| PathBuf::from(dom0scope_collect::default_output_name(created)));
    let opts = Options {
        output,
        allow_nonempty: args.force,
        config: args.config,
        created,
        xen_access: match args.xen_access {
            Access::Auto => XenAccess::Auto,
            Access::Xl => XenAccess::Xl,
            Access::Privcmd => XenAccess::Privcmd,
        },
    };
    let mut tools = SystemTools::new(Duration::from_secs(args.tool_timeout));
    let mut err = std::io::stderr();
    let s = dom0scope_collect::collect(&Sources::live(), &mut tools, &opts, &mut err)?;
    eprintln!(
        "dom0scope: wrote {} ({} files, {} bytes) in {:.2} s; {} failed reads (see capture-log.txt)",
        s.dir.display(),
        s.files,
        s.bytes,
        s.seconds,
        s.failures
    );
    if s.has_rangesets {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "dom0scope: warning: Xen's 'Rangesets belonging to domain 0' dump is missing from \
             xen/dmesg.txt; dom0's reach can only be predicted, not observed"
        );
        Ok(ExitCode::from(1))
    }
}
