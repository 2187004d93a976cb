//! The reach stage: what dom0 may touch. Two sources: **observed** — Xen's own
//! rangesets, from the last debug-key `'q'` dump of domain 0 — and
//! **predicted** — a model of Xen's dom0 permission code, keyed by version,
//! dom0 mode, command line, CPU and platform. `verify` compares them: a
//! difference is a bug in the model or a surprise on the host. IRQs Xen granted after boot,
//! for devices' MSI/MSI-X ([`runtime`]), are observations tied to Xen's own dumps, shown apart
//! from the prediction.

mod access;
pub mod model;
mod observed;
pub mod runtime;
pub mod verify;

pub use access::Access;
pub use model::{ModelInput, Overrides, Prediction};
pub use observed::{Observed, Reach};
