use dom0scope_verdict::catalog::Outcome;
use dom0scope_verdict::{Inputs, Policy};

use crate::common::load;

/// How a site rule with this condition comes out. The compiled condition is private to the
/// crate, so it is judged through a one-rule policy file and `Rule::evaluate`, whose outcome
/// is the condition's truth: it fires when the condition holds, passes when it fails, and
/// needs input when it cannot be decided.
fn outcome(condition: &str, i: &Inputs<'_>) -> Outcome {
    let mut p = Policy::builtin();
    p.load(
        "t.toml",
        &format!(
            "[[rule]]\nid = \"T\"\ntitle = \"t\"\nseverity = \"low\"\nimpact = \"integrity\"\n\
             rationale = \"r\"\n[rule.condition]\n{condition}\n"
        ),
    )
    .unwrap();
    p.rules.last().unwrap().evaluate(i, &p)
}

#[test]
fn false_dominates_unknown_and_negation_flips() {
    let (s, r) = load("logs/xen-dmesg/intel-thinkpad-t480s-coreboot_xen-4.17.5_qubes_legacy.txt");
    let i = Inputs::new(&s, &r);
    // No 'q' dump (unknown) and not EFI-booted (false): false.
    assert!(matches!(
        outcome(
            "reaches_owner = \"efi_runtime\"\nefi_runtime_services = true",
            &i
        ),
        Outcome::Passes
    ));
    assert!(matches!(
        outcome("trampoline_reachable = true", &i),
        Outcome::NeedsInput(_)
    ));
    assert!(matches!(outcome("efi_boot = false", &i), Outcome::Fires(_)));
    let any = "any = [{ efi_boot = true }, { dma_reaches_xen_heap = true }]";
    assert!(matches!(outcome(any, &i), Outcome::Fires(_)));
}
