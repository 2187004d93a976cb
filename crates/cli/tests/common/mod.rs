//! Helpers every CLI test file shares: where the real test data is, and the
//! binary with colour off.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A path under the repository's `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// The `dom0scope` binary with `NO_COLOR` set.
pub fn dom0scope() -> Command {
    let mut c = Command::cargo_bin("dom0scope").expect("binary");
    c.env("NO_COLOR", "1");
    c
}
