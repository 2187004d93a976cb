//! The manual: exit status, files and examples of every subcommand, in one table that feeds
//! both `--help` (as `after_long_help`) and the man pages (`dom0scope manpages DIR`, hidden,
//! run by `packaging/build-deb.sh`; `crates/cli/man/` holds the committed copy a test keeps
//! equal to what the binary generates).
//!
//! The pages are rendered from the same `clap::Command` the binary parses with, so an option
//! added to a subcommand shows up in its page without anyone editing roff.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Command;
use roff::{Roff, bold, roman};

/// What a subcommand's manual says beyond its options.
pub struct Extras {
    /// Exit status: (code, meaning).
    pub exit: &'static [(&'static str, &'static str)],
    /// Files read or written: (path, role).
    pub files: &'static [(&'static str, &'static str)],
    /// Examples: (command line, what it does).
    pub examples: &'static [(&'static str, &'static str)],
}

const INPUT_ERROR: (&str, &str) = (
    "2",
    "usage or input error (a missing, unreadable or damaged snapshot, a bad argument); the \
     message on standard error names the file",
);
const SNAPSHOT_FILE: (&str, &str) = (
    "SNAPSHOT",
    "read: a snapshot directory written by dom0scope collect, a .tar or .tar.gz of one, or a \
     bare Xen log (xl dmesg output, a serial capture); - reads standard input",
);
const PLAN_FILE: (&str, &str) = (
    "/etc/dom0scope/plan.json",
    "the installed self-revocation plan (dom0scope-plan/1, written by dom0scope harden -o); \
     the early-boot hooks and the dom0scope-check service read it",
);

/// The extras of the top-level page and of each subcommand, by name.
pub fn extras(name: &str) -> Option<Extras> {
    Some(match name {
        "dom0scope" => Extras {
            exit: &[
                (
                    "0",
                    "the subcommand's check passed (see each subcommand's page)",
                ),
                (
                    "1",
                    "the check failed: findings at or above --fail-on, a difference, a range \
                     still granted",
                ),
                INPUT_ERROR,
                (
                    "3",
                    "audit: INCOMPLETE (a rule at or above --fail-on could not be evaluated); \
                     verify: differs only where assumptions decided",
                ),
            ],
            files: &[
                PLAN_FILE,
                (
                    "/etc/dom0scope/initramfs.conf",
                    "settings of the initramfs-tools hook and the dracut module (DOM0SCOPE_BIN, \
                     PLAN, ON_FAILURE)",
                ),
                (
                    "/etc/dom0scope/policy.toml",
                    "site policy (TOML) the dom0scope-check service passes to audit with --policy",
                ),
                (
                    "/etc/default/dom0scope",
                    "settings of the dom0scope-check service (KEEP, FAIL_ON, PLAN, POLICY)",
                ),
                (
                    "/var/lib/dom0scope/",
                    "snapshots and results of the dom0scope-check service, the last KEEP runs",
                ),
                (
                    "/usr/share/dom0scope/schemas/",
                    "JSON schemas of the --format json documents",
                ),
            ],
            examples: &[
                (
                    "dom0scope audit",
                    "on a workstation: audit the bundled example snapshot",
                ),
                (
                    "dom0scope collect -o /tmp/snap && dom0scope audit /tmp/snap",
                    "in a Xen dom0, as root: snapshot this host, then judge it",
                ),
                (
                    "dom0scope harden /tmp/snap -o /etc/dom0scope/plan.json",
                    "write the plan the early-boot hook enforces (opt in, then update-initramfs -u)",
                ),
                (
                    "systemctl enable --now dom0scope-check.timer",
                    "after every boot: collect, verify --plan and audit, in the journal",
                ),
            ],
        },
        "audit" => Extras {
            exit: &[
                (
                    "0",
                    "PASS: every rule at or above --fail-on was evaluated or waived, none failed",
                ),
                ("1", "FAIL: an unwaived finding at or above --fail-on"),
                INPUT_ERROR,
                (
                    "3",
                    "INCOMPLETE: nothing failed, but a rule at or above --fail-on could not be \
                     evaluated (the snapshot lacks its input)",
                ),
            ],
            files: &[
                SNAPSHOT_FILE,
                ("--policy FILE", "read: a policy file (TOML), up to 4 MiB"),
                (
                    "-o FILE",
                    "written: the report (the format follows .json or .sarif unless --format)",
                ),
                (
                    "/proc/xen/capabilities",
                    "read without SNAPSHOT: on a dom0 audit asks for a snapshot, elsewhere it \
                     audits the bundled example",
                ),
            ],
            examples: &[
                (
                    "dom0scope audit /var/lib/dom0scope/latest/snapshot --details",
                    "the answer, then all the evidence",
                ),
                (
                    "xl dmesg | dom0scope audit -",
                    "a bare Xen log from standard input",
                ),
                (
                    "dom0scope audit snap.tar.gz --fail-on medium -o report.sarif",
                    "SARIF for CI, failing on medium findings",
                ),
            ],
        },
        "collect" => Extras {
            exit: &[
                ("0", "a complete snapshot was written"),
                (
                    "1",
                    "a snapshot was written without Xen's rangeset dump (dom0's reach can only be \
                     predicted)",
                ),
                (
                    "2",
                    "nothing written: not root, not a dom0, output directory refused, I/O error",
                ),
            ],
            files: &[
                (
                    "/dev/xen/privcmd, /dev/xen/hypercall",
                    "Xen's console ring, debug keys q Q i M and hypfs, by hypercall",
                ),
                (
                    "/proc/iomem, /proc/ioports, /proc/cmdline, /proc/cpuinfo, /sys/bus/pci/devices/",
                    "read: dom0's own view",
                ),
                (
                    "/sys/firmware/acpi/tables/, /sys/class/dmi/id/, /sys/firmware/efi/efivars/",
                    "read: ACPI tables, host identity, Secure Boot variables",
                ),
                (
                    "-o DIR",
                    "written: the snapshot, with manifest.json and capture-log.txt (default \
                     ./dom0scope-snapshot-<UTC time>)",
                ),
            ],
            examples: &[
                (
                    "dom0scope collect -o /var/lib/dom0scope/snap",
                    "as root, in dom0",
                ),
                (
                    "dom0scope collect --xen-access xl -o snap",
                    "through xl and xenhypfs instead of hypercalls",
                ),
            ],
        },
        "map" => Extras {
            exit: &[("0", "the map was written"), INPUT_ERROR],
            files: &[SNAPSHOT_FILE],
            examples: &[(
                "dom0scope map snap --all",
                "every range, unclaimed holes included",
            )],
        },
        "explain" => Extras {
            exit: &[("0", "every reading was explained"), INPUT_ERROR],
            files: &[SNAPSHOT_FILE],
            examples: &[
                ("dom0scope explain snap 0xfed90000", "an address"),
                (
                    "dom0scope explain snap port:cf9",
                    "an I/O port (hex, as Xen writes ports)",
                ),
                (
                    "dom0scope explain snap mfn:8f --format json",
                    "a machine frame, as JSON",
                ),
            ],
        },
        "predict" => Extras {
            exit: &[("0", "the prediction was written"), INPUT_ERROR],
            files: &[SNAPSHOT_FILE],
            examples: &[(
                "dom0scope predict snap --xen 4.20 --dom0 pvh",
                "what-if: another Xen release and dom0 mode",
            )],
        },
        "verify" => Extras {
            exit: &[
                (
                    "0",
                    "the model and Xen agree exactly (with --plan: exactly the planned ranges are gone)",
                ),
                (
                    "1",
                    "they differ where nothing was assumed: a model bug, a surprise on this host, \
                     or with --plan a planned range Xen still grants (STILL GRANTED)",
                ),
                (
                    "2",
                    "usage or input error, a Xen release the model refuses, or a plan for another \
                     host, Xen or dom0 mode",
                ),
                (
                    "3",
                    "they differ only where assumptions decided (collect a snapshot to settle them)",
                ),
            ],
            files: &[SNAPSHOT_FILE, PLAN_FILE],
            examples: &[
                (
                    "dom0scope verify snap",
                    "the model against Xen's own rangesets",
                ),
                (
                    "dom0scope verify after --plan /etc/dom0scope/plan.json",
                    "after a boot that enforced the plan: did dom0 give up exactly that?",
                ),
            ],
        },
        "hypercalls" => Extras {
            exit: &[("0", "the surface was written"), INPUT_ERROR],
            files: &[SNAPSHOT_FILE],
            examples: &[(
                "dom0scope hypercalls snap --format json",
                "as a dom0scope-hypercalls/1 document",
            )],
        },
        "harden" => Extras {
            exit: &[("0", "the plan was written"), INPUT_ERROR],
            files: &[
                SNAPSHOT_FILE,
                (
                    "-o PLAN.json",
                    "written: the plan enforce and verify --plan read",
                ),
            ],
            examples: &[
                ("dom0scope harden snap", "read the plan first"),
                (
                    "dom0scope harden snap -o /etc/dom0scope/plan.json",
                    "install it for the early-boot hooks (then update-initramfs -u)",
                ),
            ],
        },
        "enforce" => Extras {
            exit: &[
                (
                    "0",
                    "every planned range is absent from Xen's rangesets (with --dry-run: the plan \
                     is valid for this host)",
                ),
                ("1", "a domctl failed or a range is still present"),
                (
                    "2",
                    "refused before any change: bad plan, another host or Xen, not root, not \
                     dom0, a planned range dom0 uses now",
                ),
            ],
            files: &[
                PLAN_FILE,
                (
                    "/dev/xen/privcmd",
                    "Xen's permission domctls, then its rangesets",
                ),
                ("/proc/iomem, /proc/ioports", "read: what dom0 uses now"),
                (
                    "/sys/class/dmi/id/",
                    "read: this host's identity, checked against the plan",
                ),
                (
                    "/dev/kmsg",
                    "written: one kernel-log record per line of enforce's log",
                ),
            ],
            examples: &[
                (
                    "dom0scope enforce --dry-run /etc/dom0scope/plan.json",
                    "check the plan fits",
                ),
                (
                    "dom0scope enforce /etc/dom0scope/plan.json",
                    "give the ranges up (irreversible until Xen reboots; the hooks run this)",
                ),
            ],
        },
        "probe" => Extras {
            exit: &[
                ("0", "probed (and, with --expect, every range as expected)"),
                (
                    "1",
                    "a range contradicts --expect, or probing stopped early",
                ),
                (
                    "2",
                    "refused before probing: not root, not dom0, bad plan or arguments",
                ),
            ],
            files: &[PLAN_FILE, ("/dev/xen/privcmd", "the mapping attempts")],
            examples: &[(
                "dom0scope probe /etc/dom0scope/plan.json --expect refused",
                "after enforce: can the planned frames still be mapped?",
            )],
        },
        "diff" => Extras {
            exit: &[
                ("0", "B is not worse than A"),
                (
                    "1",
                    "B is worse: a lower level, or a finding at or above --fail-on opened or rose",
                ),
                INPUT_ERROR,
            ],
            files: &[(
                "A, B",
                "read: two snapshots, as SNAPSHOT in dom0scope-audit(1)",
            )],
            examples: &[("dom0scope diff before after", "what enforce closed")],
        },
        "completions" => Extras {
            exit: &[("0", "the script was written"), ("2", "an unknown shell")],
            files: &[
                (
                    "/usr/share/bash-completion/completions/dom0scope",
                    "installed bash completion",
                ),
                (
                    "/usr/share/zsh/vendor-completions/_dom0scope",
                    "installed zsh completion",
                ),
                (
                    "/usr/share/fish/vendor_completions.d/dom0scope.fish",
                    "installed fish completion",
                ),
            ],
            examples: &[(
                "dom0scope completions bash > ~/.local/share/bash-completion/completions/dom0scope",
                "for a build from source",
            )],
        },
        _ => return None,
    })
}

/// The extras as plain text, for `--help`.
fn help_text(x: &Extras) -> String {
    let mut s = String::from("Exit status:\n");
    for (code, what) in x.exit {
        s.push_str(&format!("  {code}  {what}\n"));
    }
    s.push_str("\nFiles:\n");
    for (path, what) in x.files {
        s.push_str(&format!("  {path}\n      {what}\n"));
    }
    s.push_str("\nExamples:\n");
    for (cmd, what) in x.examples {
        s.push_str(&format!("  {cmd}\n      {what}\n"));
    }
    s.pop();
    s
}

/// The command with every subcommand's extras as its `after_long_help`.
pub fn with_extras(mut cmd: Command) -> Command {
    if let Some(x) = extras(cmd.get_name()) {
        cmd = cmd.after_long_help(help_text(&x));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in names {
        if let Some(x) = extras(&name) {
            cmd = cmd.mut_subcommand(&name, |c| c.after_long_help(help_text(&x)));
        }
    }
    cmd
}

/// Writes `dom0scope.1` and `dom0scope-<subcommand>.1` for every visible subcommand into
/// `dir`; returns the files written, in order.
pub fn write_pages(cmd: Command, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let subs: Vec<Command> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .cloned()
        .collect();
    let see_also: Vec<String> = subs
        .iter()
        .map(|c| format!("dom0scope-{}(1)", c.get_name()))
        .collect();
    let source = format!("dom0scope {}", cmd.get_version().unwrap_or_default());
    let mut written = Vec::new();
    let top = page(&cmd, "dom0scope", &source, &see_also)?;
    written.push(write(dir, "dom0scope.1", &top)?);
    for sub in &subs {
        let name = format!("dom0scope-{}", sub.get_name());
        let text = page(sub, sub.get_name(), &source, &["dom0scope(1)".to_owned()])?;
        written.push(write(dir, &format!("{name}.1"), &text)?);
    }
    Ok(written)
}

fn write(dir: &Path, name: &str, text: &[u8]) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// One page: clap_mangen's sections (without its EXTRA: the extras get their own), then
/// EXIT STATUS, FILES, EXAMPLES and SEE ALSO. No date in the title, so the pages only change
/// when the interface does.
fn page(cmd: &Command, key: &str, source: &str, see_also: &[String]) -> anyhow::Result<Vec<u8>> {
    let x = extras(key).with_context(|| format!("no manual extras for `{key}`"))?;
    let man = clap_mangen::Man::new(cmd.clone())
        .source(source)
        .manual("dom0scope manual");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.get_subcommands().any(|c| !c.is_hide_set()) {
        man.render_subcommands_section(&mut out)?;
    }
    let mut r = Roff::new();
    r.control("SH", ["EXIT STATUS"]);
    for (code, what) in x.exit {
        r.control("TP", []).text([bold(*code)]).text([roman(*what)]);
    }
    r.control("SH", ["FILES"]);
    for (path, what) in x.files {
        r.control("TP", []).text([bold(*path)]).text([roman(*what)]);
    }
    r.control("SH", ["EXAMPLES"]);
    for (line, what) in x.examples {
        r.control("TP", []).text([bold(*line)]).text([roman(*what)]);
    }
    r.control("SH", ["SEE ALSO"]);
    r.text([roman(see_also.join(", "))]);
    r.to_writer(&mut out)?;
    if cmd.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// `dom0scope manpages DIR` (hidden): writes the pages, one path per line on stdout.
pub fn run(cmd: Command, dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for p in write_pages(cmd, dir)? {
        println!("{}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}
