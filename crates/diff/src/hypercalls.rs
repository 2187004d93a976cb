//! Operations whose availability to dom0 differs: the same built-in table evaluated on both
//! hosts, matched by operation id. Only a change of state counts (available, not available,
//! unknown); a different reason for the same state is not a change of what dom0 may do.

use dom0scope_hypercalls::{Availability, HypercallSurface, Summary};
use serde::Serialize;

/// One operation available on one side and not (or not shown) on the other.
#[derive(Debug, Clone, Serialize)]
pub struct HypercallChange {
    /// The operation's stable id (`platform_op.efi_runtime_call.get_time`).
    pub id: String,
    /// Its short name (`EFI GetTime`).
    pub name: String,
    /// Its availability in A, with the reasons.
    pub a: Availability,
    /// Its availability in B.
    pub b: Availability,
}

/// The hypercall surfaces compared.
#[derive(Debug, Clone, Serialize)]
pub struct Hypercalls {
    /// A's counts by availability.
    pub summary_a: Summary,
    /// B's counts.
    pub summary_b: Summary,
    /// Operations whose availability changed, in the table's order.
    pub changes: Vec<HypercallChange>,
}

fn state(a: &Availability) -> std::mem::Discriminant<Availability> {
    std::mem::discriminant(a)
}

impl Hypercalls {
    /// Compares A's surface with B's.
    pub(crate) fn between(a: &HypercallSurface<'_>, b: &HypercallSurface<'_>) -> Hypercalls {
        let changes = b
            .operations
            .iter()
            .filter_map(|ob| {
                let oa = a.operations.iter().find(|o| o.op.id == ob.op.id)?;
                (state(&oa.availability) != state(&ob.availability)).then(|| HypercallChange {
                    id: ob.op.id.clone(),
                    name: ob.op.name.clone(),
                    a: oa.availability.clone(),
                    b: ob.availability.clone(),
                })
            })
            .collect();
        Hypercalls {
            summary_a: a.summary,
            summary_b: b.summary,
            changes,
        }
    }
}
