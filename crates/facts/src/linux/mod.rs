//! dom0's own view from `linux/…` artifacts.

pub mod cpuinfo;
