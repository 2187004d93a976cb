//! Read-only collection of a dom0scope snapshot inside a Xen dom0.
//!
//! [`collect`] copies, byte for byte, what later stages need: Xen's console ring after debug
//! key `q` (the rangesets Xen granted dom0), the `Q` PCI dump, hypfs, the ACPI tables, PCI
//! config space, dom0's own view (`/proc/iomem` …), `/sys/hypervisor`, DMI and the Secure
//! Boot variables, then writes `manifest.json` (sha256 and size of every file) last. Nothing
//! is parsed here, so an old snapshot can be re-audited by a newer tool.
//!
//! Xen is reached with hypercalls through privcmd by default: they need none of Xen's tools,
//! which are version-locked to the hypervisor, and start no process (under QEMU TCG, starting
//! `xl` and `xenhypfs` 37 times was almost all of collect's 2–7 s). `--xen-access xl` uses the
//! tools instead (`xl dmesg`, `xl debug-keys`, `xl info`, `xenhypfs`); hypfs comes out as the
//! same bytes either way (`xen/hypfs/`, see the `hypfs` step).
//!
//! Every input is injectable so the whole stage runs off-dom0 in tests: filesystem roots come
//! from [`Sources`], the Xen tools (`xl`, `xenhypfs`) run through the [`XenTools`] trait, and
//! the hypercall path (privcmd) can be replaced by any [`Xen`] ([`collect_with_xen`]).
//!
//! Side effects: only the output directory is written. Debug keys `q` and `Q` make Xen print
//! into its console ring (announced on the progress stream); the ring is never cleared.

mod hypfs;
mod kmsg;
mod manifest;
mod preflight;
mod sources;
mod steps;
mod time;
mod tools;
mod writer;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use dom0scope_privcmd::Xen;

/// The format and its check live in dom0scope-snapshot; re-exported so collect's callers
/// (the harness's `verify-snapshot`) keep their paths.
pub use dom0scope_snapshot::{FORMAT, SAMPLE_FORMAT, VerifyError, VerifyReport, verify_snapshot};
pub use kmsg::kmsg_to_dmesg;
pub use preflight::{Dom0Evidence, Preflight, preflight};
pub use sources::Sources;
pub use time::rfc3339_utc;
pub use tools::{CommandOutput, SystemTools, XenTools};

/// How collect reaches Xen: its console ring, debug keys and hypfs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XenAccess {
    /// Hypercalls when privcmd opens, else Xen's tools; should the hypercalls then fail
    /// (an XSM policy, a Xen release dom0scope does not know), the installed tools are
    /// tried for what failed.
    #[default]
    Auto,
    /// Only Xen's tools: `xl dmesg` / `xl debug-keys` / `xl info` and `xenhypfs`.
    Xl,
    /// Only hypercalls through `/dev/xen/privcmd`: `XEN_SYSCTL_readconsole`,
    /// `XEN_SYSCTL_debug_keys`, `XEN_HYPFS_OP_read`.
    Privcmd,
}

/// What to collect and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The snapshot directory; created if missing (its parent must exist).
    pub output: PathBuf,
    /// Write into an existing non-empty directory (files of the same name are replaced).
    pub allow_nonempty: bool,
    /// Configuration name recorded in the manifest (the harness passes its config name).
    pub config: Option<String>,
    /// Timestamp recorded in the manifest.
    pub created: SystemTime,
    /// How to reach Xen's console ring.
    pub xen_access: XenAccess,
}

impl Options {
    /// Options with defaults for everything but the output directory.
    pub fn new(output: impl Into<PathBuf>) -> Self {
        Self {
            output: output.into(),
            allow_nonempty: false,
            config: None,
            created: SystemTime::now(),
            xen_access: XenAccess::Auto,
        }
    }
}

/// What a finished collection produced.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The snapshot directory.
    pub dir: PathBuf,
    /// Files listed in the manifest (manifest.json itself excluded).
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Reads or commands that failed (each is listed in capture-log.txt).
    pub failures: usize,
    /// Whether xen/dmesg.txt holds Xen's `Rangesets belonging to domain 0` dump, the one
    /// artifact no other source can replace.
    pub has_rangesets: bool,
    /// Wall time of the collection.
    pub seconds: f64,
}

/// Why a collection could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// Reading ACPI tables, PCI config space and Xen's ring needs root.
    #[error(
        "must run as root (effective uid is {euid}): ACPI tables, PCI config space and Xen's console need it"
    )]
    NotRoot {
        /// The effective uid found ([`Sources::euid`]).
        euid: u32,
    },
    /// No Xen hypervisor underneath.
    #[error("not running on Xen: {detail}")]
    NotXen {
        /// What was read instead, e.g. `/sys/hypervisor/type is "kvm"`.
        detail: String,
    },
    /// Running on Xen, but in a guest, not in dom0.
    #[error("not in Xen's dom0: {detail}")]
    NotDom0 {
        /// The file and value that show a guest (`/proc/xen/capabilities` without
        /// `control_d`, or the `initdomain` start flag not 1).
        detail: String,
    },
    /// Running on Xen, but nothing says whether this is dom0.
    #[error("cannot tell whether this is Xen's dom0: {detail}")]
    UnknownDomain {
        /// Why neither piece of evidence could be read, and the fix (mounting xenfs).
        detail: String,
    },
    /// The output directory exists and holds files.
    #[error("output directory {} exists and is not empty (pass --force to write into it)", path.display())]
    OutputNotEmpty {
        /// The output directory ([`Options::output`]).
        path: PathBuf,
    },
    /// The output directory's parent does not exist (collect creates only the directory).
    #[error("{} does not exist; collect creates only the snapshot directory itself", path.display())]
    NoParent {
        /// The missing parent, not the output directory itself.
        path: PathBuf,
    },
    /// The output path exists but is not a plain directory (or is a symlink).
    #[error("output path {} exists and is not a directory (symlinks are refused)", path.display())]
    OutputNotDir {
        /// The output path ([`Options::output`]).
        path: PathBuf,
    },
    /// A snapshot-relative path that could escape the output directory.
    #[error("refusing to write {rel:?}: not a plain relative path inside the snapshot")]
    UnsafePath {
        /// The snapshot-relative name as a step built it (e.g. from a hypfs entry name).
        rel: String,
    },
    /// Writing the snapshot failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The directory or file being created or written, inside the output directory or
        /// the output directory itself.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// Checks that this is a root dom0, then collects a snapshot into `opts.output`.
///
/// `progress` receives human-readable progress and the notice that debug keys make Xen print.
pub fn collect(
    src: &Sources,
    tools: &mut dyn XenTools,
    opts: &Options,
    progress: &mut dyn Write,
) -> Result<Summary, CollectError> {
    collect_with_xen(src, tools, None, opts, progress)
}

/// [`collect`], with `xen` (when given) standing in for privcmd: wherever collect would open
/// `/dev/xen/privcmd` ([`XenAccess::Auto`] or [`XenAccess::Privcmd`]) it reads the console
/// ring, presses debug keys and reads hypfs through `xen` instead. For tests, with
/// `dom0scope_privcmd::sim::SimXen`; `None` is exactly [`collect`].
pub fn collect_with_xen(
    src: &Sources,
    tools: &mut dyn XenTools,
    xen: Option<&mut dyn Xen>,
    opts: &Options,
    progress: &mut dyn Write,
) -> Result<Summary, CollectError> {
    let started = Instant::now();
    let pre = preflight(src)?;
    let mut w = writer::SnapshotWriter::create(&opts.output, opts.allow_nonempty)?;
    w.note(format!(
        "dom0scope {} collect; {}",
        env!("CARGO_PKG_VERSION"),
        pre.describe()
    ));
    if let Some(name) = &opts.config {
        w.note(format!("config={name}"));
    }
    let mut ctx = steps::Ctx {
        src,
        tools,
        // Shortens the trait object's lifetime to the context's (`Option` cannot coerce it).
        given: xen.map(|x| -> &mut dyn Xen { x }),
        reach: steps::Reach::Nothing,
        w: &mut w,
        progress,
        access: opts.xen_access,
    };
    let t = Instant::now();
    steps::reach(&mut ctx);
    let has_rangesets = steps::xen(&mut ctx)?;
    ctx.w
        .note(format!("time: xen {:.2} s", t.elapsed().as_secs_f64()));
    type Step = fn(&mut steps::Ctx) -> Result<(), CollectError>;
    let rest: [(&str, Step); 8] = [
        ("hypfs", steps::hypfs),
        ("boot-config", steps::boot_config),
        ("acpi", steps::acpi),
        ("pci", steps::pci),
        ("hypervisor", steps::hypervisor),
        ("dmi", steps::dmi),
        ("efi", steps::efi),
        ("linux", steps::linux),
    ];
    for (name, step) in rest {
        let t = Instant::now();
        step(&mut ctx)?;
        ctx.w
            .note(format!("time: {name} {:.2} s", t.elapsed().as_secs_f64()));
    }
    // Closes privcmd (and ends the borrow of the writer).
    drop(ctx);
    if !has_rangesets {
        w.note("WARNING: xen/dmesg.txt has no 'Rangesets belonging to domain 0' dump".into());
    }
    let seconds = started.elapsed().as_secs_f64();
    w.note(format!("collected in {seconds:.2} s"));
    let host = manifest::host_identity(src);
    let summary = w.finish(&manifest::Meta {
        created: opts.created,
        config: opts.config.clone(),
        host,
    })?;
    Ok(Summary {
        dir: opts.output.clone(),
        files: summary.files,
        bytes: summary.bytes,
        failures: summary.failures,
        has_rangesets,
        seconds,
    })
}

/// A default snapshot directory name, unique per second: `dom0scope-snapshot-<UTC time>`.
pub fn default_output_name(now: SystemTime) -> String {
    let stamp: String = rfc3339_utc(now)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("dom0scope-snapshot-{stamp}")
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Display helper for paths in the capture log.
pub(crate) fn show(p: &Path) -> String {
    p.display().to_string()
}
