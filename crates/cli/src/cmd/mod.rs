//! One module per subcommand.

pub mod audit;
pub mod collect;
pub mod hypercalls;
pub mod input;
pub mod predict;
pub mod verify;
