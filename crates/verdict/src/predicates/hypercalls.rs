//! Predicates over the hypercall surface: which operations dom0 may use on
//! this host (from the hypercall stage, `crates/hypercalls`).

use super::{Detail, Truth};
use crate::inputs::{Inputs, OpState};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{HypercallOp, HypercallView};
    use crate::predicates::testing::load;
    use dom0scope_facts::Evidence;

    fn op(id: &str, state: OpState) -> HypercallOp {
        HypercallOp {
            id: id.into(),
            name: format!("name of {id}"),
            state,
            assumed: false,
            evidence: vec![Evidence {
                artifact: "xen/hypfs/buildinfo/config".into(),
                line: 7,
                text: "CONFIG_KEXEC=y".into(),
            }],
        }
    }

    #[test]
    fn any_available_holds_else_unknown_else_fails() {
        let (s, mut r) = load("logs/qemu-xen-4.17/pvh-q35-viommu.log");
        let ids = vec!["kexec_op.load".to_owned(), "kexec_op.load_crash".to_owned()];
        assert!(matches!(
            hypercall_available(&Inputs::new(&s, &r), &ids),
            Truth::Unknown(_)
        ));
        r.hypercalls = Some(HypercallView {
            ops: vec![
                op("kexec_op.load", OpState::NotAvailable("PVH dom0".into())),
                op(
                    "kexec_op.load_crash",
                    OpState::Unknown("Xen's .config".into()),
                ),
            ],
        });
        let Truth::Unknown(n) = hypercall_available(&Inputs::new(&s, &r), &ids) else {
            panic!("one unknown, none available");
        };
        assert_eq!(n, "kexec_op.load_crash: Xen's .config");
        r.hypercalls.as_mut().unwrap().ops[1].state = OpState::Available;
        let Truth::Holds(d) = hypercall_available(&Inputs::new(&s, &r), &ids) else {
            panic!("available");
        };
        assert_eq!(
            d.vars["operations"],
            "kexec_op.load_crash (name of kexec_op.load_crash)"
        );
        assert_eq!(d.evidence.len(), 1);
        r.hypercalls.as_mut().unwrap().ops[1].state = OpState::NotAvailable("no".into());
        assert!(matches!(
            hypercall_available(&Inputs::new(&s, &r), &ids),
            Truth::Fails(_)
        ));
    }
}
