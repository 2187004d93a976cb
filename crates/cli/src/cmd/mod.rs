//! One module per subcommand.

pub mod audit;
pub mod collect;
pub mod completions;
pub mod diff;
pub mod enforce;
pub mod explain;
pub mod fleet;
pub mod harden;
pub mod header;
pub mod hypercalls;
pub mod input;
pub mod manual;
pub mod map;
pub mod output;
pub mod predict;
pub mod probe;
pub mod verify;
pub mod xen_patch;
