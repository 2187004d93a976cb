//! collect against fake dom0s rebuilt from real snapshots (tests/samples, copied from the
//! corpus of real Xen boots): the sample's files are put back where a dom0 has them
//! (/proc, /sys, /dev/kmsg), a fake `xl`/`xenhypfs` replays the sample's Xen output, and the
//! collected snapshot must reproduce the sample byte for byte.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use dom0scope_collect::{
    CollectError, CommandOutput, FORMAT, Options, SAMPLE_FORMAT, Sources, XenAccess, XenTools,
    collect, collect_with_xen, verify_snapshot,
};
use dom0scope_privcmd::sim::{SimHypfs, SimXen};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/samples")
        .join(name)
}

fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(d: &Path, pre: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(d).unwrap().flatten() {
            let rel = format!("{pre}{}", e.file_name().to_string_lossy());
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &format!("{rel}/"), out);
            } else {
                out.insert(rel, fs::read(e.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out);
    out
}

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

/// `[    1.234567] text` lines back into /dev/kmsg records.
fn dmesg_to_kmsg(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (seq, line) in String::from_utf8_lossy(text).lines().enumerate() {
        let (ts, msg) = line[1..].split_once("] ").unwrap();
        let (s, us) = ts.trim().split_once('.').unwrap();
        let usec: u64 = s.parse::<u64>().unwrap() * 1_000_000 + us.parse::<u64>().unwrap();
        out.extend_from_slice(format!("6,{seq},{usec},-;{msg}\n SUBSYSTEM=x\n").as_bytes());
    }
    out
}

/// Lays the sample out as a dom0 filesystem under a temporary root.
fn fake_dom0(s: &Path) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    for (rel, bytes) in files_under(s) {
        let (top, rest) = rel.split_once('/').unwrap_or(("", &rel));
        match top {
            "linux" if rest == "lockdown" => put(r, "sys/kernel/security/lockdown", &bytes),
            "linux" if rest == "dmesg" => put(r, "dev/kmsg", &dmesg_to_kmsg(&bytes)),
            "linux" => put(r, &format!("proc/{rest}"), &bytes),
            "acpi" => put(r, &format!("sys/firmware/acpi/tables/{rest}"), &bytes),
            "pci" => put(r, &format!("sys/devices/pci0000:00/{rest}"), &bytes),
            "hypervisor" => put(r, &format!("sys/hypervisor/{rest}"), &bytes),
            "dmi" => put(r, &format!("sys/devices/virtual/dmi/id/{rest}"), &bytes),
            "efi" if rest == "efivars-list.txt" => {
                for name in String::from_utf8(bytes).unwrap().lines() {
                    let p = r.join("sys/firmware/efi/efivars").join(name);
                    if !p.exists() {
                        put(
                            r,
                            &format!("sys/firmware/efi/efivars/{name}"),
                            b"\x07\0\0\0x",
                        );
                    }
                }
            }
            "efi" => put(r, &format!("sys/firmware/efi/{rest}"), &bytes),
            _ => {}
        }
    }
    // sysfs shapes: PCI devices and the DMI directory are reached through symlinks, and the
    // DMI directory holds links and subdirectories collect must skip.
    fs::create_dir_all(r.join("sys/bus/pci/devices")).unwrap();
    if let Ok(rd) = fs::read_dir(r.join("sys/devices/pci0000:00")) {
        for e in rd.flatten() {
            symlink(e.path(), r.join("sys/bus/pci/devices").join(e.file_name())).unwrap();
        }
    }
    fs::create_dir_all(r.join("sys/class/dmi")).unwrap();
    symlink("../../devices/virtual/dmi/id", r.join("sys/class/dmi/id")).unwrap();
    symlink(
        "../../../../class/dmi",
        r.join("sys/devices/virtual/dmi/id/subsystem"),
    )
    .unwrap();
    put(r, "sys/devices/virtual/dmi/id/power/control", b"auto\n");
    put(r, "proc/xen/capabilities", b"control_d\n");
    put(r, "proc/sys/kernel/hostname", b"xen-fixture\n");
    put(r, "boot/xen-4.99-amd64.config", b"CONFIG_X86_64=y\n");
    put(r, "boot/vmlinuz-6.1.0-56-amd64", b"not xen");
    t
}

/// Replays a sample's Xen output the way real `xl` and `xenhypfs` would produce it.
struct FakeXen {
    sample: PathBuf,
    ring: Vec<u8>,
    calls: Vec<String>,
    has_xl: bool,
    has_xenhypfs: bool,
}

impl FakeXen {
    fn new(sample: &Path) -> Self {
        Self {
            sample: sample.to_path_buf(),
            ring: fs::read(sample.join("xen/dmesg-boot.txt")).unwrap(),
            calls: Vec::new(),
            has_xl: true,
            has_xenhypfs: true,
        }
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        fs::read(self.sample.join(rel)).unwrap()
    }

    /// The block `xenhypfs ls PATH` printed, from the sample's recursive listing.
    fn ls_block(&self, path: &str) -> Option<Vec<u8>> {
        let all = String::from_utf8(self.read("xen/hypfs/ls-recursive.txt")).unwrap();
        let head = format!("# xenhypfs ls {path} (rc=0)\n");
        let start = all.find(&head)? + head.len();
        let end = all[start..]
            .find("# xenhypfs ls ")
            .map_or(all.len(), |i| start + i);
        Some(all.as_bytes()[start..end].to_vec())
    }
}

fn ok(stdout: Vec<u8>) -> io::Result<CommandOutput> {
    Ok(CommandOutput {
        status: Some(0),
        stdout,
        stderr: Vec::new(),
    })
}

impl XenTools for FakeXen {
    fn available(&mut self, program: &str) -> bool {
        match program {
            "xl" => self.has_xl,
            "xenhypfs" => self.has_xenhypfs,
            _ => true,
        }
    }

    fn run(&mut self, program: &str, args: &[&str]) -> io::Result<CommandOutput> {
        self.calls.push(format!("{program} {}", args.join(" ")));
        if !self.available(program) {
            return Err(io::Error::new(io::ErrorKind::NotFound, "not installed"));
        }
        match (program, args) {
            ("xl", ["dmesg"]) => ok(self.ring.clone()),
            ("xl", ["debug-keys", "q"]) => {
                self.ring = self.read("xen/dmesg.txt");
                ok(Vec::new())
            }
            ("xl", ["debug-keys", "Q"]) => {
                let mut r = self.read("xen/dmesg.txt");
                r.extend(self.read("xen/debugkey-Q.txt"));
                self.ring = r;
                ok(Vec::new())
            }
            // What the sample's Xen printed for `i` and `M`, when the sample has it.
            ("xl", ["debug-keys", k @ ("i" | "M")]) => {
                let dump = fs::read(self.sample.join(format!("xen/debugkey-{k}.txt")));
                self.ring.extend(dump.unwrap_or_default());
                ok(Vec::new())
            }
            ("xl", ["info"]) => ok(self.read("xen/info.txt")),
            ("xenhypfs", ["tree"]) => ok(self.read("xen/hypfs/tree.txt")),
            ("xenhypfs", ["ls", p]) => ok(self.ls_block(p).expect("listed directory")),
            ("xenhypfs", ["cat", p]) => ok(self.read(&format!("xen/hypfs/cat{p}"))),
            _ => panic!("unexpected command {program} {args:?}"),
        }
    }
}

fn collect_sample(name: &str) -> (tempfile::TempDir, PathBuf, FakeXen, String) {
    let s = sample(name);
    let root = fake_dom0(&s);
    let out = root.path().join("snap");
    let mut xen = FakeXen::new(&s);
    let mut opts = Options::new(&out);
    opts.config = Some(name.to_string());
    let mut progress = Vec::new();
    let summary = collect(
        &Sources::under(root.path(), 0),
        &mut xen,
        &opts,
        &mut progress,
    )
    .unwrap();
    assert!(summary.has_rangesets);
    (root, out, xen, String::from_utf8(progress).unwrap())
}

fn reproduces(name: &str) {
    let (_root, out, xen, progress) = collect_sample(name);
    let want = files_under(&sample(name));
    let got = files_under(&out);
    for (rel, bytes) in &want {
        if rel == "manifest.json" || rel == "capture-log.txt" {
            continue;
        }
        let g = got
            .get(rel)
            .unwrap_or_else(|| panic!("{rel} not collected"));
        assert!(g == bytes, "{rel} differs from the sample");
    }
    assert_eq!(got["xen/boot/xen-4.99-amd64.config"], b"CONFIG_X86_64=y\n");
    assert_eq!(got["linux/xen-capabilities"], b"control_d\n");
    assert_eq!(got["linux/hostname"], b"xen-fixture\n");
    let extra: Vec<&String> = got
        .keys()
        .filter(|k| !want.contains_key(*k))
        .filter(|k| {
            !k.starts_with("xen/boot/")
                && !["linux/xen-capabilities", "linux/hostname"].contains(&k.as_str())
        })
        // More boot entries and Secure Boot variables than the sample's script kept.
        .filter(|k| !k.starts_with("efi/efivars/"))
        // The sample predates debug keys `i` and `M`: nothing replayed for them.
        .filter(|k| {
            !(["xen/debugkey-i.txt", "xen/debugkey-M.txt"].contains(&k.as_str())
                && got[*k].is_empty())
        })
        .collect();
    assert!(extra.is_empty(), "unexpected files {extra:?}");

    // Never clears the ring, and says that it presses debug keys.
    assert!(
        xen.calls.iter().all(|c| !c.contains("-c")),
        "{:?}",
        xen.calls
    );
    assert!(progress.contains("debug key 'q'"), "{progress}");

    let report = verify_snapshot(&out).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.format, FORMAT);
    assert_eq!(report.config.as_deref(), Some(name));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["host"]["sys_vendor"], "QEMU");
    assert!(manifest["tool"].as_str().unwrap().starts_with("dom0scope "));
    let files = manifest["files"].as_object().unwrap();
    assert!(files.contains_key("capture-log.txt") && !files.contains_key("manifest.json"));
    let keys: Vec<&String> = files.keys().collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "files not sorted");
}

#[test]
fn reproduces_uefi_pv_sample() {
    reproduces("x417-pv-q35-uefi");
}

#[test]
fn reproduces_pvh_sample() {
    reproduces("x420-pvh-q35-vtd-bios");
}

#[test]
fn logs_failed_reads_and_goes_on() {
    let s = sample("x420-pvh-q35-vtd-bios");
    let root = fake_dom0(&s);
    let irq = root.path().join("sys/devices/pci0000:00/0000:00:1f.3/irq");
    fs::remove_file(&irq).unwrap();
    fs::create_dir(&irq).unwrap(); // reading a directory fails
    let out = root.path().join("snap");
    let s2 = collect(
        &Sources::under(root.path(), 0),
        &mut FakeXen::new(&s),
        &Options::new(&out),
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(s2.failures, 1);
    let log = fs::read_to_string(out.join("capture-log.txt")).unwrap();
    assert!(
        log.contains("FAILED to read") && log.contains("0000:00:1f.3/irq"),
        "{log}"
    );
    assert!(verify_snapshot(&out).unwrap().ok());
}

#[test]
fn refuses_non_root_and_writes_nothing() {
    let s = sample("x420-pvh-q35-vtd-bios");
    let root = fake_dom0(&s);
    let out = root.path().join("snap");
    let e = collect(
        &Sources::under(root.path(), 1000),
        &mut FakeXen::new(&s),
        &Options::new(&out),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(e, CollectError::NotRoot { .. }), "{e}");
    assert!(!out.exists());
}

#[test]
fn creates_only_the_snapshot_directory() {
    let s = sample("x420-pvh-q35-vtd-bios");
    let root = fake_dom0(&s);
    let out = root.path().join("missing/snap");
    let e = collect(
        &Sources::under(root.path(), 0),
        &mut FakeXen::new(&s),
        &Options::new(&out),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(e, CollectError::NoParent { .. }), "{e}");
    assert!(!root.path().join("missing").exists());
}

#[test]
fn refuses_a_non_empty_output_unless_forced() {
    let s = sample("x420-pvh-q35-vtd-bios");
    let root = fake_dom0(&s);
    let out = root.path().join("snap");
    put(&out, "mine.txt", b"keep");
    let mut opts = Options::new(&out);
    let src = Sources::under(root.path(), 0);
    let e = collect(&src, &mut FakeXen::new(&s), &opts, &mut Vec::new()).unwrap_err();
    assert!(matches!(e, CollectError::OutputNotEmpty { .. }), "{e}");
    opts.allow_nonempty = true;
    collect(&src, &mut FakeXen::new(&s), &opts, &mut Vec::new()).unwrap();
    assert_eq!(fs::read(out.join("mine.txt")).unwrap(), b"keep");
    // The unknown file is reported, not silently accepted.
    let report = verify_snapshot(&out).unwrap();
    assert_eq!(
        report.problems,
        vec!["mine.txt: not in the manifest".to_string()]
    );
}

#[test]
fn without_privcmd_or_xl_says_what_is_missing() {
    let s = sample("x420-pvh-q35-vtd-bios");
    let root = fake_dom0(&s);
    let out = root.path().join("snap");
    let mut xen = FakeXen::new(&s);
    xen.has_xl = false;
    let mut opts = Options::new(&out);
    opts.xen_access = XenAccess::Auto;
    let summary = collect(
        &Sources::under(root.path(), 0),
        &mut xen,
        &opts,
        &mut Vec::new(),
    )
    .unwrap();
    // No privcmd device in the fake root and no xl: the Xen ring is missing, the rest
    // (hypfs through xenhypfs too) is there.
    assert!(!summary.has_rangesets);
    let log = fs::read_to_string(out.join("capture-log.txt")).unwrap();
    assert!(
        log.contains("privcmd not usable (") && log.contains("/xen/privcmd: No such file"),
        "{log}"
    );
    assert!(
        log.contains("FAILED to read Xen's console ring: xl is not installed"),
        "{log}"
    );
    assert!(out.join("xen/hypfs/tree.txt").exists());
    // Neither privcmd nor any tool.
    let root2 = fake_dom0(&s);
    let out2 = root2.path().join("snap");
    let mut none = FakeXen::new(&s);
    none.has_xl = false;
    none.has_xenhypfs = false;
    collect(
        &Sources::under(root2.path(), 0),
        &mut none,
        &Options::new(&out2),
        &mut Vec::new(),
    )
    .unwrap();
    let log = fs::read_to_string(out2.join("capture-log.txt")).unwrap();
    assert!(
        log.contains("FAILED to open privcmd for Xen's console ring, debug keys and hypfs: ")
            && log.contains("(and neither xl nor xenhypfs is installed)")
            && log.contains("neither privcmd nor xenhypfs usable: xen/hypfs/ not collected"),
        "{log}"
    );
    assert!(none.calls.is_empty(), "{:?}", none.calls);
    assert!(out.join("acpi/DSDT").exists() && !out.join("xen/dmesg.txt").exists());
    assert!(verify_snapshot(&out).unwrap().ok());
}

#[test]
fn without_privcmd_a_failing_xl_is_logged() {
    struct BrokenXl(FakeXen);
    impl XenTools for BrokenXl {
        fn available(&mut self, program: &str) -> bool {
            self.0.available(program)
        }
        fn run(&mut self, program: &str, args: &[&str]) -> io::Result<CommandOutput> {
            if program == "xl" {
                return Ok(CommandOutput {
                    status: Some(1),
                    stdout: Vec::new(),
                    stderr: b"xen-utils-wrapper: no tools for this Xen\n".to_vec(),
                });
            }
            self.0.run(program, args)
        }
    }
    let s = sample("x420-pvh-q35-vtd-bios");
    let root = fake_dom0(&s);
    let out = root.path().join("snap");
    let mut xen = BrokenXl(FakeXen::new(&s));
    collect(
        &Sources::under(root.path(), 0),
        &mut xen,
        &Options::new(&out),
        &mut Vec::new(),
    )
    .unwrap();
    let log = fs::read_to_string(out.join("capture-log.txt")).unwrap();
    assert!(
        log.contains("privcmd not usable (")
            && log.contains("Xen reached through its tools, xl and xenhypfs")
            && log.contains("FAILED xl dmesg: exit Some(1): xen-utils-wrapper"),
        "{log}"
    );
}

/// `auto` with working hypercalls whose console read is refused (an XSM policy, an unknown
/// release) falls back to an installed xl for the ring, and keeps hypfs on hypercalls.
#[test]
fn auto_falls_back_to_xl_when_readconsole_fails() {
    let s = sample("x420-pvh-q35-vtd-bios");
    let root = fake_dom0(&s);
    let out = root.path().join("snap");
    let (mut sim, _) = sim_with_boot_ring(&s);
    sim.console_denied = true;
    sim.hypfs = Some(SimHypfs::from_snapshot(&s.join("xen/hypfs")).unwrap());
    let mut tools = FakeXen::new(&s);
    let summary = collect_with_xen(
        &Sources::under(root.path(), 0),
        &mut tools,
        Some(&mut sim),
        &Options::new(&out),
        &mut Vec::new(),
    )
    .unwrap();
    assert!(summary.has_rangesets);
    let log = fs::read_to_string(out.join("capture-log.txt")).unwrap();
    assert!(
        log.contains("FAILED XEN_SYSCTL_readconsole: ")
            && log.contains("readconsole failed; trying xl")
            && log.contains("Xen console ring and debug keys through xl\n")
            && log.contains("xl info > xen/info.txt"),
        "{log}"
    );
    assert_eq!(
        fs::read(out.join("xen/dmesg.txt")).unwrap(),
        fs::read(s.join("xen/dmesg.txt")).unwrap()
    );
    assert!(
        tools.calls.iter().all(|c| c.starts_with("xl ")),
        "{:?}",
        tools.calls
    );
    assert!(out.join("xen/hypfs/cat/buildinfo/config").exists());
}

/// A simulated Xen holding the sample's boot ring, where dom0 holds two I/O memory and two
/// I/O port ranges; and the `q` dump it prints for them.
fn sim_with_boot_ring(s: &Path) -> (SimXen, &'static str) {
    let mut sim = SimXen::default();
    sim.iomem.insert(0..=0x8e);
    sim.iomem.insert(0x91..=0xfedff);
    sim.ioports.insert(0..=0x1f);
    sim.ioports.insert(0xa2..=0x3f7);
    sim.console = fs::read(s.join("xen/dmesg-boot.txt")).unwrap();
    let dump = "(XEN) 'q' pressed -> dumping domain info (now = 0)\n\
                (XEN) Rangesets belonging to domain 0:\n\
                (XEN)     I/O Memory { 0-8e, 91-fedff }\n\
                (XEN)     I/O Ports  { 0-1f, a2-3f7 }\n";
    (sim, dump)
}

/// The privcmd path runs through the `Xen` seam: chosen explicitly (xl installed but not
/// used) or as the fallback when xl is absent, collect reads the whole ring, presses `q` and
/// `Q`, and stores the simulator's `q` dump after the untouched boot ring.
#[test]
fn privcmd_path_reads_the_ring_through_the_seam_and_never_clears_it() {
    let s = sample("x420-pvh-q35-vtd-bios");
    for (access, has_xl) in [
        (XenAccess::Privcmd, true),
        (XenAccess::Auto, false),
        (XenAccess::Auto, true),
    ] {
        let root = fake_dom0(&s);
        let out = root.path().join("snap");
        let (mut sim, dump) = sim_with_boot_ring(&s);
        let boot = sim.console.clone();
        let mut tools = FakeXen::new(&s);
        tools.has_xl = has_xl;
        let mut opts = Options::new(&out);
        opts.xen_access = access;
        let mut progress = Vec::new();
        let summary = collect_with_xen(
            &Sources::under(root.path(), 0),
            &mut tools,
            Some(&mut sim),
            &opts,
            &mut progress,
        )
        .unwrap();
        assert!(summary.has_rangesets, "{access:?}");

        assert_eq!(fs::read(out.join("xen/dmesg-boot.txt")).unwrap(), boot);
        let mut want = boot.clone();
        want.extend_from_slice(dump.as_bytes());
        assert!(
            fs::read(out.join("xen/dmesg.txt")).unwrap() == want,
            "{access:?}: xen/dmesg.txt is not the boot ring followed by the q dump"
        );
        // The simulator prints nothing for `Q`, `i` and `M`.
        for k in ["Q", "i", "M"] {
            assert_eq!(
                fs::read(out.join(format!("xen/debugkey-{k}.txt"))).unwrap(),
                b""
            );
        }

        // Whole-ring reads only (the seam has no clearing read), and the ring still holds
        // everything it held.
        let calls: Vec<String> = sim.calls.iter().map(ToString::to_string).collect();
        assert_eq!(
            calls,
            [
                "read_ring()",
                "debug_keys(\"q\")",
                "read_ring()",
                "debug_keys(\"Q\")",
                "read_ring()",
                "debug_keys(\"i\")",
                "read_ring()",
                "debug_keys(\"M\")",
                "read_ring()",
                "hypfs_version()"
            ],
            "{access:?}"
        );
        assert_eq!(sim.console, want);
        // No tool is started: not xl (nor `xl info`), not xenhypfs.
        assert!(tools.calls.is_empty(), "{:?}", tools.calls);
        assert!(!out.join("xen/info.txt").exists());
        assert!(
            String::from_utf8(progress)
                .unwrap()
                .contains("debug key 'q'")
        );

        let log = fs::read_to_string(out.join("capture-log.txt")).unwrap();
        assert!(
            log.contains("through the Xen seam collect was given")
                && log.contains(&format!(
                    "readconsole > xen/dmesg.txt ({} bytes)",
                    want.len()
                ))
                && log.contains("debug key q sent: true")
                && log.contains("Xen has no hypfs (XEN_HYPFS_OP_get_version: ENOSYS")
                && !log.contains("open privcmd"),
            "{log}"
        );
        assert!(verify_snapshot(&out).unwrap().ok());
    }
}

/// A refused `XEN_SYSCTL_readconsole` is logged and costs only the ring files.
#[test]
fn a_refused_console_read_is_logged_through_the_seam() {
    let s = sample("x420-pvh-q35-vtd-bios");
    let root = fake_dom0(&s);
    let out = root.path().join("snap");
    let (mut sim, _) = sim_with_boot_ring(&s);
    sim.console_denied = true;
    let mut opts = Options::new(&out);
    opts.xen_access = XenAccess::Privcmd;
    let summary = collect_with_xen(
        &Sources::under(root.path(), 0),
        &mut FakeXen::new(&s),
        Some(&mut sim),
        &opts,
        &mut Vec::new(),
    )
    .unwrap();
    assert!(!summary.has_rangesets);
    assert!(!out.join("xen/dmesg-boot.txt").exists() && !out.join("xen/dmesg.txt").exists());
    let log = fs::read_to_string(out.join("capture-log.txt")).unwrap();
    // The boot ring, the ring after `q`, `Q`, `i` and `M`.
    assert_eq!(
        log.matches("FAILED XEN_SYSCTL_readconsole: ").count(),
        5,
        "{log}"
    );
    assert_eq!(sim.q_presses(), 1);
    assert!(out.join("acpi/DSDT").exists() && verify_snapshot(&out).unwrap().ok());
}

#[test]
fn verifies_the_corpus_samples_and_detects_damage() {
    for name in ["x417-pv-q35-uefi", "x420-pvh-q35-vtd-bios"] {
        let r = verify_snapshot(&sample(name)).unwrap();
        assert!(r.ok(), "{name}: {:?}", r.problems);
        assert_eq!(r.format, SAMPLE_FORMAT);
    }
    let (_root, out, _, _) = collect_sample("x420-pvh-q35-vtd-bios");
    let mut dsdt = fs::read(out.join("acpi/DSDT")).unwrap();
    dsdt[40] ^= 1;
    fs::write(out.join("acpi/DSDT"), dsdt).unwrap();
    fs::remove_file(out.join("linux/version")).unwrap();
    let r = verify_snapshot(&out).unwrap();
    assert_eq!(
        r.problems,
        vec![
            "acpi/DSDT: sha256 differs".to_string(),
            "linux/version: missing".to_string()
        ]
    );
}

/// The hypfs files of a snapshot.
fn hypfs_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(&dir.join("xen/hypfs"))
}

/// hypfs read with hypercalls comes out as the very bytes `xenhypfs` printed on the real Xen
/// boots of the corpus (4.17 and 4.20, PV and PVH, BIOS and UEFI), but for the header before
/// each listing, which names the way it was read. The simulator holds each snapshot's hypfs
/// as that Xen stores it (strings with their NUL, numbers in binary, the configuration
/// gzip-compressed), so this checks the walk, the dirlist decoding and xenhypfs's formats.
#[test]
fn hypfs_through_hypercalls_is_byte_identical_to_xenhypfs() {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/snapshots");
    let mut dirs: Vec<PathBuf> = [
        "x417-pv-q35-vtd-bios",
        "x417-pv-q35-uefi",
        "x420-pv-pc-bios",
        "x420-pvh-q35-vtd-bios",
        "h417-pv-q35-vtd-bios",
    ]
    .iter()
    .map(|n| testdata.join(n))
    .collect();
    dirs.extend(["x417-pv-q35-uefi", "x420-pvh-q35-vtd-bios"].map(sample));
    let host = sample("x420-pvh-q35-vtd-bios");
    for snap in dirs {
        let want = hypfs_files(&snap);
        assert!(want.len() > 20, "{}", snap.display());
        let root = fake_dom0(&host);
        let out = root.path().join("snap");
        let (mut sim, _) = sim_with_boot_ring(&host);
        sim.hypfs = Some(SimHypfs::from_snapshot(&snap.join("xen/hypfs")).unwrap());
        let mut tools = FakeXen::new(&host);
        collect_with_xen(
            &Sources::under(root.path(), 0),
            &mut tools,
            Some(&mut sim),
            &Options::new(&out),
            &mut Vec::new(),
        )
        .unwrap();
        assert!(tools.calls.is_empty(), "{:?}", tools.calls);
        let got = hypfs_files(&out);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{}",
            snap.display()
        );
        for (rel, bytes) in &want {
            let g = &got[rel];
            if rel == "ls-recursive.txt" {
                let g = String::from_utf8(g.clone()).unwrap();
                assert!(g.starts_with("# privcmd hypfs ls / (rc=0)\n"), "{g}");
                let g = g.replace("# privcmd hypfs ls ", "# xenhypfs ls ");
                assert_eq!(g.as_bytes(), bytes, "{}: {rel}", snap.display());
            } else {
                assert!(g == bytes, "{}: {rel} differs", snap.display());
            }
        }
        // One read per directory and per entry, nothing else.
        let reads = sim
            .calls
            .iter()
            .filter(|c| c.to_string().starts_with("hypfs_read("))
            .count();
        let dirs = String::from_utf8(want["ls-recursive.txt"].clone())
            .unwrap()
            .matches("# xenhypfs ls ")
            .count();
        assert_eq!(reads, dirs + want.len() - 2, "{}", snap.display());
        let log = fs::read_to_string(out.join("capture-log.txt")).unwrap();
        assert!(
            log.contains("hypfs through hypercalls (__HYPERVISOR_hypfs_op")
                && log.contains(&format!(
                    "hypfs: {n} of {n} entries read into xen/hypfs/cat/",
                    n = want.len() - 2
                )),
            "{log}"
        );
    }
}
