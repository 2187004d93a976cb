//! The predicates and conditions over real snapshots, through the engine: each module
//! follows `src/predicates/<name>.rs` (and `src/condition.rs`).

#[path = "../common/mod.rs"]
mod common;

mod condition;
mod dom0;
mod firmware;
mod host;
mod hypercalls;
mod memory;
mod ports;
