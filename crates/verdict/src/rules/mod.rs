//! The built-in rules. (A later slice moves the catalog to data; the rule logic
//! stays a small set of predicates over the surface.)

mod dma;
mod ecam;
mod efi_runtime;
mod legacy_ports;
mod low_memory;
mod root_complex;
mod s3;

use dom0scope_surface::Surface;

use crate::Finding;

/// A rule's result on one surface.
pub(crate) enum Outcome {
    Fires(Box<Finding>),
    Passes,
    /// What input is missing.
    NeedsInput(String),
}

pub(crate) struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub eval: fn(&Surface) -> Outcome,
}

pub(crate) const ALL: &[Rule] = &[
    low_memory::RULE,
    efi_runtime::RULE,
    dma::RULE,
    root_complex::RULE,
    s3::RULE,
    legacy_ports::RULE,
    ecam::RULE,
];
