//! Predicates over the hypercall surface: which operations dom0 may use on
//! this host (from the hypercall stage, `crates/hypercalls`).

use super::{Detail, Truth};
use crate::inputs::{Inputs, OpState};

/// What `hypercall_available` needs when the caller gave no hypercall view.
pub const NEEDS_HYPERCALLS: &str = "the hypercall surface (crates/hypercalls)";

/// `hypercall_available = ["kexec_op.load", …]`: dom0 may use any of these
/// operations. Unknown when none is available and any is unknown. Vars:
/// `operations` (the available ones, with their names).
pub fn hypercall_available(i: &Inputs<'_>, ids: &[String]) -> Truth {
    let Some(view) = &i.readings.hypercalls else {
        return Truth::Unknown(NEEDS_HYPERCALLS.into());
    };
    let mut available = Vec::new();
    let mut unknown = Vec::new();
    let mut not = Vec::new();
    let mut d = Detail::default();
    for id in ids {
        let Some(op) = view.ops.iter().find(|o| &o.id == id) else {
            unknown.push(format!("{id} (not in the hypercall table)"));
            continue;
        };
        match &op.state {
            OpState::Available => {
                let mark = if op.assumed {
                    " [assumed from the distribution's default build]"
                } else {
                    ""
                };
                available.push(format!("{} ({}){mark}", op.id, op.name));
                d = d.evidence(op.evidence.iter().cloned());
            }
            OpState::Unknown(needs) => unknown.push(format!("{id}: {needs}")),
            OpState::NotAvailable(why) => not.push(format!("{id}: {why}")),
        }
    }
    if !available.is_empty() {
        let list = available.join(", ");
        d.summary.push(format!("dom0 may use {list}."));
        return Truth::Holds(d.var("operations", list));
    }
    if !unknown.is_empty() {
        return Truth::Unknown(unknown.join("; "));
    }
    Truth::Fails(not.join("; "))
}
