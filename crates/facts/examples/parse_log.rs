//! Prints the facts parsed from a Xen log as JSON: `cargo run --example parse_log FILE`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse_log FILE");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    match dom0scope_facts::xenlog::parse(&path, &bytes) {
        Ok(log) => println!("{}", serde_json::to_string_pretty(&log).unwrap_or_default()),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
