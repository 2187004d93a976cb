//! The fleet audit at scale: 10,000 varied snapshots (set `DOM0SCOPE_FLEET_HOSTS` for another
//! count) built from the real snapshots in `testdata/snapshots/`, each copy with its own DMI
//! identity, hostname, dom0 command line and, for every other copy, dom0's I/O memory
//! rangeset without its first range (as after `enforce`), re-hashed into its manifest so it
//! reads as undamaged, written as a `.tar.gz`. They are generated once, outside the timed part,
//! into a cache under the target directory (about 35 KiB each) and reused while their count
//! and generator version match.
//!
//! `fleet_10k` times the whole fleet audit (every host through the pipeline, in parallel,
//! then the table); the `stage_*` benches split one host's audit into its stages, to say
//! where the time goes. Run with `cargo bench -p dom0scope-fleet --bench fleet`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dom0scope_engine::Analysis;
use dom0scope_facts::Facts;
use dom0scope_fleet::{Row, Settings};
use dom0scope_report::Audit;
use dom0scope_snapshot::{MANIFEST_PATH, Manifest, ManifestEntry, Snapshot};
use dom0scope_verdict::{Date, Policy, Severity};

fn main() {
    divan::main();
}

/// Bumped whenever the generator changes, so a stale cache is rebuilt.
const GENERATOR: u32 = 1;

fn hosts() -> usize {
    std::env::var("DOM0SCOPE_FLEET_HOSTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/snapshots")
}

/// Every file of a snapshot directory, by relative path.
fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(d: &Path, pre: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let rel = format!("{pre}{}", e.file_name().to_string_lossy());
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &format!("{rel}/"), out);
            } else {
                out.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out);
    out
}

/// Every regular file of a `.tar.gz`, by relative path.
fn read_tgz(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let f = std::fs::File::open(path).unwrap();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut out = BTreeMap::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if !e.header().entry_type().is_file() {
            continue;
        }
        let p = e.path().unwrap().to_string_lossy().into_owned();
        let p = p.trim_start_matches("./").to_owned();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        out.insert(p, bytes);
    }
    out
}

/// The real snapshots the fleet is made of: every directory and `.tar.gz` in testdata.
fn bases() -> Vec<BTreeMap<String, Vec<u8>>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| {
            if p.join(MANIFEST_PATH).is_file() {
                Some(read_dir(p))
            } else if p.to_string_lossy().ends_with(".tar.gz") {
                Some(read_tgz(p))
            } else {
                None
            }
        })
        .collect()
}

const VENDORS: &[(&str, &str)] = &[
    ("Dell Inc.", "PowerEdge R650"),
    ("HPE", "ProLiant DL380 Gen10 Plus"),
    ("Lenovo", "ThinkSystem SR650 V2"),
    ("Supermicro", "SYS-1029U-TRT"),
    ("QEMU", "Standard PC (Q35 + ICH9, 2009)"),
];

/// Copy `i` of `base`: its own identity, command line and (odd copies) I/O memory rangeset.
fn vary(base: &BTreeMap<String, Vec<u8>>, i: usize) -> BTreeMap<String, Vec<u8>> {
    let mut files = base.clone();
    let (vendor, product) = VENDORS[i % VENDORS.len()];
    files.insert("dmi/sys_vendor".into(), format!("{vendor}\n").into_bytes());
    files.insert(
        "dmi/product_name".into(),
        format!("{product}\n").into_bytes(),
    );
    files.insert(
        "dmi/product_serial".into(),
        format!("SN{i:08}\n").into_bytes(),
    );
    files.insert(
        "linux/hostname".into(),
        format!("xen-{:03}-{i:05}\n", i % 997).into_bytes(),
    );
    if let Some(c) = files.get_mut("linux/cmdline") {
        let line = String::from_utf8_lossy(c).trim_end().to_owned();
        *c = format!("{line} fleet.host={i}\n").into_bytes();
    }
    if i % 2 == 1
        && let Some(log) = files.get_mut("xen/dmesg.txt")
    {
        let text = String::from_utf8_lossy(log).into_owned();
        // dom0's I/O memory set in the last 'q' dump, without its first range.
        if let Some(at) = text.rfind("I/O Memory { ") {
            let start = at + "I/O Memory { ".len();
            if let Some(comma) = text[start..].find(", ") {
                let end = start + comma + 2;
                *log = format!("{}{}", &text[..start], &text[end..]).into_bytes();
            }
        }
    }
    let mut manifest: Manifest = files
        .get(MANIFEST_PATH)
        .and_then(|m| serde_json::from_slice(m).ok())
        .unwrap_or_default();
    manifest.host.insert("sys_vendor".into(), vendor.into());
    manifest.host.insert("product_name".into(), product.into());
    manifest.created = Some(format!(
        "2026-{:02}-{:02}T{:02}:00:00Z",
        1 + i % 12,
        1 + i % 28,
        i % 24
    ));
    manifest.files = files
        .iter()
        .filter(|(k, _)| k.as_str() != MANIFEST_PATH)
        .map(|(k, v)| (k.clone(), ManifestEntry::of(v)))
        .collect();
    files.insert(MANIFEST_PATH.into(), manifest.to_json().into_bytes());
    files
}

fn write_tgz(path: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let f = std::fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    let mut t = tar::Builder::new(gz);
    for (name, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, name, bytes.as_slice()).unwrap();
    }
    t.into_inner().unwrap().finish().unwrap();
}

/// The fleet's paths, generated on first use (in parallel) or reused from the cache.
fn fleet() -> &'static [PathBuf] {
    static FLEET: OnceLock<Vec<PathBuf>> = OnceLock::new();
    FLEET.get_or_init(|| {
        let n = hosts();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/fleet-bench")
            .join(format!("v{GENERATOR}-{n}"));
        let paths: Vec<PathBuf> = (0..n)
            .map(|i| dir.join(format!("host-{i:05}.tar.gz")))
            .collect();
        if paths.iter().all(|p| p.is_file()) {
            return paths;
        }
        std::fs::create_dir_all(&dir).unwrap();
        let bases = bases();
        let t = std::time::Instant::now();
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::thread::scope(|s| {
            for w in 0..workers {
                let (bases, paths) = (&bases, &paths);
                s.spawn(move || {
                    for i in (w..n).step_by(workers) {
                        write_tgz(&paths[i], &vary(&bases[i % bases.len()], i));
                    }
                });
            }
        });
        eprintln!(
            "generated {n} snapshots from {} real ones in {:.1} s into {}",
            bases.len(),
            t.elapsed().as_secs_f64(),
            dir.display()
        );
        paths
    })
}

fn settings() -> Settings {
    Settings {
        policy: Policy::builtin(),
        today: Date::new(2026, 12, 1).unwrap(),
        fail_on: Severity::High,
        workers: 0,
    }
}

/// The whole fleet: every host audited in parallel, then the table.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn fleet_10k(b: divan::Bencher) {
    let paths = fleet();
    let settings = settings();
    b.bench(|| {
        let fleet = dom0scope_fleet::audit(paths, &settings, |_| ());
        assert_eq!(fleet.hosts.len(), paths.len());
        assert!(fleet.hosts.iter().all(|h| h.outcome.is_ok()));
        dom0scope_fleet::render_text(&fleet, &[], 100)
    });
}

/// One host's stages, on a copy from the fleet: where the time goes.
mod stage {
    use super::*;

    fn one() -> &'static Path {
        &fleet()[1]
    }

    /// Reading the `.tar.gz` and checking its manifest.
    #[divan::bench]
    fn open() -> Snapshot {
        Snapshot::open(one()).unwrap()
    }

    /// Parsing the artifacts (Xen log, ACPI, PCI, dom0's views).
    #[divan::bench]
    fn facts(b: divan::Bencher) {
        let s = Snapshot::open(one()).unwrap();
        b.bench(|| Facts::extract(&s).unwrap());
    }

    /// Inventory, reach, surface, hypercalls and the verdict.
    #[divan::bench]
    fn judge(b: divan::Bencher) {
        let s = Snapshot::open(one()).unwrap();
        let f = Facts::extract(&s).unwrap();
        let today = Date::new(2026, 12, 1).unwrap();
        b.bench(|| Analysis::from_facts(f.clone(), Policy::builtin(), today));
    }

    /// The report's audit and the fleet row.
    #[divan::bench]
    fn report(b: divan::Bencher) {
        let s = Snapshot::open(one()).unwrap();
        let a = Analysis::of(&s, Policy::builtin(), Date::new(2026, 12, 1).unwrap()).unwrap();
        b.bench(|| {
            let p = a.clone().into_parts();
            let audit = Audit::new(
                dom0scope_fleet::snapshot_info(&s),
                &p.facts,
                &p.inventory,
                p.surface,
                p.verdict,
                Severity::High,
            );
            Row::of(&audit)
        });
    }

    /// The JSON document a JSON Lines fleet writes per host.
    #[divan::bench]
    fn json(b: divan::Bencher) {
        let s = Snapshot::open(one()).unwrap();
        let p = Analysis::of(&s, Policy::builtin(), Date::new(2026, 12, 1).unwrap())
            .unwrap()
            .into_parts();
        let audit = Audit::new(
            dom0scope_fleet::snapshot_info(&s),
            &p.facts,
            &p.inventory,
            p.surface,
            p.verdict,
            Severity::High,
        );
        b.bench(|| serde_json::to_string(&audit).unwrap());
    }
}
