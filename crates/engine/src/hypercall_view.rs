//! The one conversion from the hypercall stage's table to the verdict's view of it (the
//! verdict does not depend on the hypercall crate's types).

use dom0scope_facts::Evidence;
use dom0scope_hypercalls::{Availability, HypercallSurface};
use dom0scope_verdict::{HypercallOp, HypercallView, OpState};

/// The hypercall surface as the verdict's predicates read it. A fact whose log line has no
/// text (a config option, a derived fact) is cited by the fact itself.
pub fn hypercall_view(s: &HypercallSurface<'_>) -> HypercallView {
    HypercallView {
        ops: s
            .operations
            .iter()
            .map(|o| HypercallOp {
                id: o.op.id.clone(),
                name: o.op.name.clone(),
                state: match &o.availability {
                    Availability::Available => OpState::Available,
                    Availability::NotAvailable { why } => OpState::NotAvailable(why.join("; ")),
                    Availability::Unknown { needs } => OpState::Unknown(needs.join("; ")),
                },
                assumed: o.assumed,
                evidence: o
                    .evidence
                    .iter()
                    .map(|f| Evidence {
                        artifact: f.artifact.clone(),
                        line: f.line,
                        text: if f.text.is_empty() {
                            f.fact.clone()
                        } else {
                            f.text.clone()
                        },
                    })
                    .collect(),
            })
            .collect(),
    }
}
