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

/// Copies a directory tree (a snapshot, a fake `/sys`) so a test can edit the copy.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}
