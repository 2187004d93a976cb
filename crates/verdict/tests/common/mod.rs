//! What the predicate tests evaluate over: the engine's surface and readings for a
//! snapshot under `testdata/`.

use std::path::Path;

use dom0scope_engine::Analysis;
use dom0scope_snapshot::Snapshot;
use dom0scope_surface::Surface;
use dom0scope_verdict::{Date, Policy, Readings};

/// The audit's inputs for `testdata/<rel>`. The readings include the hypercall view.
pub fn load(rel: &str) -> (Surface, Readings) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel);
    let snap = Snapshot::open(&path).expect("snapshot");
    let today = Date::new(2026, 1, 1).expect("date");
    let parts = Analysis::of(&snap, Policy::builtin(), today)
        .expect("facts")
        .into_parts();
    (parts.surface, parts.readings)
}
