//! `verify-snapshot DIR…`: checks snapshot directories against their manifest.json.
//!
//! The harness uses it until `dom0scope verify` reads snapshots; exit 0 only if every
//! directory verifies.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        eprintln!("usage: verify-snapshot DIR...");
        return ExitCode::from(2);
    }
    let mut ok = true;
    for d in &dirs {
        match dom0scope_collect::verify_snapshot(Path::new(d)) {
            Ok(r) if r.ok() => println!(
                "{d}: ok ({} files, {} bytes, {})",
                r.files, r.bytes, r.format
            ),
            Ok(r) => {
                ok = false;
                println!("{d}: {} problems", r.problems.len());
                for p in &r.problems {
                    println!("  {p}");
                }
            }
            Err(e) => {
                ok = false;
                println!("{d}: {e}");
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
