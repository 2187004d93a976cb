//! What every analysing subcommand shares: loading a snapshot (or the bundled
//! example), parsing its facts, and the policy.

use std::path::{Path, PathBuf};

use anyhow::Context;
use dom0scope_engine::Analysis;
use dom0scope_snapshot::Snapshot;
use dom0scope_verdict::{Date, Policy};

/// `--policy` and `--today`, as the judging subcommands (audit, harden) take them.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// A policy file (TOML) that adds rules, changes severities or waives rules
    /// until a date; may be given more than once (see docs/policy.md).
    #[arg(long = "policy", value_name = "FILE")]
    pub policy: Vec<PathBuf>,
    /// The date waivers are judged against (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<String>,
}

/// Largest policy file read (4 MiB): a hand-written policy is a few KiB, so anything this
/// large is a mistake (`--policy /dev/zero`, a log given by accident) and is refused unread.
pub const MAX_POLICY_BYTES: u64 = 4 << 20;

impl PolicyArgs {
    /// The built-in catalog plus the policy files, and the date. `Ok(None)`: a policy file has
    /// an error, already reported at its line and column (the caller exits 2).
    pub fn resolve(&self) -> anyhow::Result<Option<(Policy, Date)>> {
        let mut policy = Policy::builtin();
        for path in &self.policy {
            let text = dom0scope_boundedread::read_text(path, MAX_POLICY_BYTES)
                .context("cannot read policy file")?;
            if let Err(e) = policy.load(&path.display().to_string(), &text) {
                let styled = e.styled().to_string();
                anstream::eprintln!("{}", dom0scope_report::for_terminal(&styled));
                anstream::eprintln!(
                    "dom0scope: error: policy file {} not loaded",
                    path.display()
                );
                return Ok(None);
            }
        }
        let today = match &self.today {
            Some(t) => t.parse::<Date>()?,
            None => Date::today(),
        };
        Ok(Some((policy, today)))
    }
}

/// The example audited when no snapshot is given off a dom0 (see `bundled/README.md`):
/// a full snapshot collected by `dom0scope collect` in a real Xen 4.17 dom0.
const BUNDLED_NAME: &str = "x417-pv-q35-vtd-bios (Xen 4.17.7, PV dom0, q35 + VT-d, QEMU)";
const BUNDLED_TAR: &[u8] = include_bytes!("../../bundled/x417-pv-q35-vtd-bios.tar.gz");

/// Opens the snapshot (or the default) and analyses it under the built-in policy, today.
pub fn load(path: Option<&Path>) -> anyhow::Result<(Snapshot, Analysis)> {
    analyse(path, Policy::builtin(), Date::today())
}

/// Opens the snapshot (or the default) and runs the whole pipeline; errors name the file.
pub fn analyse(
    path: Option<&Path>,
    policy: Policy,
    today: Date,
) -> anyhow::Result<(Snapshot, Analysis)> {
    let snapshot = match path {
        Some(path) => Snapshot::open(path)?,
        None => default_snapshot()?,
    };
    // The same message a fleet's error row gives (dom0scope_fleet::analyse names the file
    // and leads with the damage found reading it).
    let analysis =
        dom0scope_fleet::analyse(&snapshot, policy, today).map_err(|e| anyhow::anyhow!(e))?;
    Ok((snapshot, analysis))
}

/// With no argument: collect on a dom0, else the bundled example (said on stderr).
fn default_snapshot() -> anyhow::Result<Snapshot> {
    if is_dom0() {
        anyhow::bail!(
            "this is a Xen dom0: run `dom0scope collect -o DIR` and then `dom0scope audit DIR`"
        );
    }
    anstream::eprintln!(
        "dom0scope: not running in a Xen dom0; using the bundled example snapshot {BUNDLED_NAME}, a QEMU guest, not this machine: what follows is about that guest. Pass a snapshot (`dom0scope collect` in your dom0) to analyse your own host."
    );
    Ok(Snapshot::from_archive_bytes(BUNDLED_NAME, BUNDLED_TAR)?)
}

/// A dom0 has `control_d` in /proc/xen/capabilities (xenfs mounted).
fn is_dom0() -> bool {
    dom0scope_boundedread::read(Path::new("/proc/xen/capabilities"), 4096)
        .is_ok_and(|c| c.windows(9).any(|w| w == b"control_d"))
}

/// A number as the command line gives it: hex with `0x`, else decimal.
pub fn number(s: &str) -> Option<u64> {
    dom0scope_ranges::parse_number(s)
}
