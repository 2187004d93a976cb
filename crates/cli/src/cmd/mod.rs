//! One module per subcommand.

pub mod audit;
pub mod collect;
pub mod diff;
pub mod enforce;
pub mod explain;
pub mod harden;
pub mod hypercalls;
pub mod input;
pub mod map;
pub mod output;
pub mod predict;
pub mod probe;
pub mod verify;
pub mod xen_patch;
