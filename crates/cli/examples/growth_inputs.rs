//! Writes the generated growth inputs to disk for `scripts/measure-growth.sh`, which runs the
//! release binary on them under `/usr/bin/time -v` (divan cannot see peak RSS).
//!
//! ```text
//! growth_inputs log SCALE FILE
//! growth_inputs log-q-dumps SCALE FILE
//! growth_inputs ssdts COUNT BYTES DIR        # DIR/SSDT1 … SSDTn
//! growth_inputs policy-rules COUNT FILE
//! growth_inputs policy-errors COUNT FILE
//! ```

#[path = "../benches/support/growth_inputs.rs"]
mod inputs;

use std::path::Path;

fn num(s: Option<&String>) -> usize {
    s.and_then(|s| s.parse().ok())
        .expect("a number argument (see the module doc)")
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = |i: usize| Path::new(args.get(i).expect("an output path (see the module doc)"));
    match args.first().map(String::as_str) {
        Some("log") => std::fs::write(out(2), inputs::xen_log(num(args.get(1)))),
        Some("log-q-dumps") => std::fs::write(out(2), inputs::xen_log_q_dumps(num(args.get(1)))),
        Some("ssdts") => {
            let (count, bytes) = (num(args.get(1)), num(args.get(2)));
            std::fs::create_dir_all(out(3))?;
            for i in 0..count {
                let t = inputs::ssdt(bytes, u32::try_from(i).unwrap_or(0));
                std::fs::write(out(3).join(format!("SSDT{}", i + 1)), t)?;
            }
            Ok(())
        }
        Some("policy-rules") => std::fs::write(out(2), inputs::policy_rules(num(args.get(1)))),
        Some("policy-errors") => std::fs::write(out(2), inputs::policy_errors(num(args.get(1)))),
        _ => {
            eprintln!("usage: see the doc comment of crates/cli/examples/growth_inputs.rs");
            std::process::exit(2)
        }
    }
}
