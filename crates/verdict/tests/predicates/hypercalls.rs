use dom0scope_facts::Evidence;
use dom0scope_verdict::predicates::Truth;
use dom0scope_verdict::predicates::hypercalls::*;
use dom0scope_verdict::{HypercallOp, HypercallView, Inputs, OpState};

use crate::common::load;

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
    // The engine's readings carry the hypercall view; this test starts from a caller that
    // did not evaluate the hypercall surface (the first assertion is about that case).
    r.hypercalls = None;
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
