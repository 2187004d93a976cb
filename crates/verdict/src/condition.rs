//! A rule's condition: a table of predicates that must all hold, optionally
//! with an `any` list of such tables of which one must hold. Three-valued
//! (Kleene) logic: a predicate that does not hold makes the whole conjunction
//! false even when another one cannot be decided; otherwise an undecidable
//! predicate makes the rule "not evaluated", with what it needs.

use std::ops::RangeInclusive;

use std::ops::Range;

use dom0scope_facts::xenlog::Dom0Mode;
use serde::Deserialize;
use toml::Spanned;

use crate::inputs::Inputs;
use crate::predicates::dom0::LockdownLevel;
use crate::predicates::firmware::{BitTest, Registers};
use crate::predicates::host::{CpuVendor, DmaMode, PciClass};
use crate::predicates::memory::OwnerKind;
use crate::predicates::ports::{PortOwnerKind, PortSpec};
use crate::predicates::{Detail, Predicate, Truth};

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PortSpecDef {
    ports: Spanned<String>,
    name: String,
}

/// The TOML form; field names are the documented predicate names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConditionDef {
    always: Option<Spanned<bool>>,
    reaches_owner: Option<Spanned<OwnerKind>>,
    reaches_frames: Option<Spanned<Vec<Spanned<String>>>>,
    trampoline_reachable: Option<Spanned<bool>>,
    ecam_unmediated: Option<Spanned<bool>>,
    ports_reachable: Option<Spanned<Vec<PortSpecDef>>>,
    ports_reachable_owner: Option<Spanned<PortOwnerKind>>,
    dma_reaches_xen_heap: Option<Spanned<bool>>,
    dma_mode_in: Option<Spanned<Vec<DmaMode>>>,
    pci_writable: Option<Spanned<PciClass>>,
    dom0_mode: Option<Spanned<String>>,
    xen_version_below: Option<Spanned<String>>,
    cmdline_has: Option<Spanned<OneOrMany>>,
    cmdline_lacks: Option<Spanned<OneOrMany>>,
    efi_boot: Option<Spanned<bool>>,
    efi_runtime_services: Option<Spanned<bool>>,
    cpu_vendor: Option<Spanned<CpuVendor>>,
    model_differs: Option<Spanned<bool>>,
    dom0_lockdown_below: Option<Spanned<LockdownLevel>>,
    privcmd_unrestricted: Option<Spanned<bool>>,
    uefi_secure_boot: Option<Spanned<bool>>,
    register_bits: Option<Spanned<Vec<BitTest>>>,
    hypercall_available: Option<Spanned<OneOrMany>>,
    unavailable: Option<Spanned<String>>,
    any: Option<Spanned<Vec<ConditionDef>>>,
}

/// A compiled term: the predicate, its name, and whether it is negated
/// (`pred = false`).
#[derive(Debug, Clone)]
pub(crate) struct Term {
    pub pred: Predicate,
    pub negated: bool,
    pub name: &'static str,
}

/// A compiled condition.
#[derive(Debug, Clone, Default)]
pub(crate) struct Condition {
    pub terms: Vec<Term>,
    pub any: Vec<Condition>,
}

/// A semantic error at a span of the policy text.
#[derive(Debug, Clone)]
pub(crate) struct SpanError {
    pub span: Range<usize>,
    pub message: String,
}

fn err(span: Range<usize>, message: impl Into<String>) -> SpanError {
    SpanError {
        span,
        message: message.into(),
    }
}

/// `0xa0-0xbf` or `0xa0`: inclusive frame or port numbers.
pub(crate) fn parse_range(s: &str) -> Option<(u64, u64)> {
    dom0scope_ranges::parse_number_range(s).map(RangeInclusive::into_inner)
}

impl ConditionDef {
    /// Checks and compiles; `registers` are those the policy defines.
    pub(crate) fn compile(self, registers: &Registers) -> Result<Condition, Vec<SpanError>> {
        let mut errors = Vec::new();
        let mut c = Condition::default();
        let mut add = |name: &'static str, _span: Range<usize>, pred: Predicate, negated: bool| {
            c.terms.push(Term {
                pred,
                negated,
                name,
            });
        };
        macro_rules! flag {
            ($field:ident, $pred:expr) => {
                if let Some(v) = self.$field {
                    add(stringify!($field), v.span(), $pred, !*v.get_ref());
                }
            };
        }
        // Reach first: a finding's evidence lists the rangeset lines before
        // the host facts that qualify them.
        flag!(always, Predicate::Always);
        flag!(trampoline_reachable, Predicate::TrampolineReachable);
        flag!(ecam_unmediated, Predicate::EcamUnmediated);
        if let Some(v) = self.reaches_owner {
            add(
                "reaches_owner",
                v.span(),
                Predicate::ReachesOwner(*v.get_ref()),
                false,
            );
        }
        if let Some(v) = self.reaches_frames {
            let span = v.span();
            let mut r = Vec::new();
            for s in v.into_inner() {
                match parse_range(s.get_ref()) {
                    Some(x) => r.push(x),
                    None => errors.push(err(
                        s.span(),
                        "not a frame or frame range (e.g. \"0xa0-0xbf\")",
                    )),
                }
            }
            add("reaches_frames", span, Predicate::ReachesFrames(r), false);
        }
        if let Some(v) = self.ports_reachable {
            let span = v.span();
            let mut specs = Vec::new();
            for p in v.into_inner() {
                match parse_range(p.ports.get_ref()).filter(|(_, b)| *b <= 0xffff) {
                    Some((a, b)) => specs.push(PortSpec {
                        first: a as u16,
                        last: b as u16,
                        name: p.name,
                    }),
                    None => errors.push(err(
                        p.ports.span(),
                        "not a port or port range (e.g. \"0x4d0-0x4d1\")",
                    )),
                }
            }
            add(
                "ports_reachable",
                span,
                Predicate::PortsReachable(specs),
                false,
            );
        }
        if let Some(v) = self.ports_reachable_owner {
            add(
                "ports_reachable_owner",
                v.span(),
                Predicate::PortsReachableOwner(*v.get_ref()),
                false,
            );
        }
        flag!(dma_reaches_xen_heap, Predicate::DmaReachesXenHeap);
        flag!(efi_runtime_services, Predicate::EfiRuntimeServices);
        flag!(model_differs, Predicate::ModelDiffers);
        flag!(privcmd_unrestricted, Predicate::PrivcmdUnrestricted);
        if let Some(v) = self.efi_boot {
            add(
                "efi_boot",
                v.span(),
                Predicate::EfiBoot(*v.get_ref()),
                false,
            );
        }
        if let Some(v) = self.uefi_secure_boot {
            add(
                "uefi_secure_boot",
                v.span(),
                Predicate::UefiSecureBoot(*v.get_ref()),
                false,
            );
        }
        if let Some(v) = self.dma_mode_in {
            add(
                "dma_mode_in",
                v.span(),
                Predicate::DmaModeIn(v.get_ref().clone()),
                false,
            );
        }
        if let Some(v) = self.pci_writable {
            add(
                "pci_writable",
                v.span(),
                Predicate::PciWritable(*v.get_ref()),
                false,
            );
        }
        if let Some(v) = self.dom0_mode {
            match v.get_ref().as_str() {
                "pv" => add(
                    "dom0_mode",
                    v.span(),
                    Predicate::Dom0Mode(Dom0Mode::Pv),
                    false,
                ),
                "pvh" => add(
                    "dom0_mode",
                    v.span(),
                    Predicate::Dom0Mode(Dom0Mode::Pvh),
                    false,
                ),
                _ => errors.push(err(v.span(), "expected \"pv\" or \"pvh\"")),
            }
        }
        if let Some(v) = self.xen_version_below {
            match dom0scope_reach::model::Release::parse(v.get_ref()) {
                Some(r) => add(
                    "xen_version_below",
                    v.span(),
                    Predicate::XenVersionBelow((r.major, r.minor, r.patch)),
                    false,
                ),
                None => errors.push(err(
                    v.span(),
                    "not a Xen version (e.g. \"4.19\" or \"4.17.6\")",
                )),
            }
        }
        if let Some(v) = self.cmdline_has {
            add(
                "cmdline_has",
                v.span(),
                Predicate::CmdlineHas(v.into_inner().into_vec()),
                false,
            );
        }
        if let Some(v) = self.cmdline_lacks {
            add(
                "cmdline_lacks",
                v.span(),
                Predicate::CmdlineLacks(v.into_inner().into_vec()),
                false,
            );
        }
        if let Some(v) = self.cpu_vendor {
            add(
                "cpu_vendor",
                v.span(),
                Predicate::CpuVendor(*v.get_ref()),
                false,
            );
        }
        if let Some(v) = self.dom0_lockdown_below {
            add(
                "dom0_lockdown_below",
                v.span(),
                Predicate::Dom0LockdownBelow(*v.get_ref()),
                false,
            );
        }
        if let Some(v) = self.register_bits {
            for t in v.get_ref() {
                match registers.get(&t.register) {
                    None => errors.push(err(
                        v.span(),
                        format!("no register named {} is defined", t.register),
                    )),
                    Some(r) if !r.fields.contains_key(&t.field) => errors.push(err(
                        v.span(),
                        format!("register {} has no field {}", t.register, t.field),
                    )),
                    Some(_) if t.equals > 1 => {
                        errors.push(err(v.span(), "`equals` is a bit value: 0 or 1"))
                    }
                    Some(_) => {}
                }
            }
            add(
                "register_bits",
                v.span(),
                Predicate::RegisterBits(v.get_ref().clone()),
                false,
            );
        }
        if let Some(v) = self.hypercall_available {
            add(
                "hypercall_available",
                v.span(),
                Predicate::HypercallAvailable(v.into_inner().into_vec()),
                false,
            );
        }
        if let Some(v) = self.unavailable {
            add(
                "unavailable",
                v.span(),
                Predicate::Unavailable(v.get_ref().clone()),
                false,
            );
        }
        if let Some(any) = self.any {
            let span = any.span();
            if any.get_ref().is_empty() {
                errors.push(err(span.clone(), "`any` needs at least one condition"));
            }
            for sub in any.into_inner() {
                match sub.compile(registers) {
                    Ok(s) if s.terms.is_empty() && s.any.is_empty() => {
                        errors.push(err(span.clone(), "an empty condition in `any`"))
                    }
                    Ok(s) => c.any.push(s),
                    Err(e) => errors.extend(e),
                }
            }
        }
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors)
        }
    }
}

impl Condition {
    /// Every template variable some predicate of the condition may set.
    pub(crate) fn vars(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .terms
            .iter()
            .flat_map(|t| t.pred.vars().iter().copied())
            .collect();
        v.extend(self.any.iter().flat_map(|c| c.vars()));
        v
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.any.is_empty()
    }

    /// Kleene conjunction of the terms and the `any` group.
    pub(crate) fn eval(&self, i: &Inputs<'_>, registers: &Registers) -> Truth {
        let mut acc = Detail::default();
        let mut unknown: Vec<String> = Vec::new();
        for t in &self.terms {
            let mut r = t.pred.eval(i, registers);
            if t.negated {
                r = r.negate(t.name);
            }
            match r {
                Truth::Holds(d) => acc.merge(d),
                f @ Truth::Fails(_) => return f,
                Truth::Unknown(n) => push_unique(&mut unknown, n),
            }
        }
        if !self.any.is_empty() {
            let mut held = false;
            let mut sub_unknown = Vec::new();
            let mut fails = Vec::new();
            for c in &self.any {
                match c.eval(i, registers) {
                    Truth::Holds(d) => {
                        held = true;
                        acc.merge(d);
                    }
                    Truth::Fails(f) => fails.push(f),
                    Truth::Unknown(n) => sub_unknown.push(n),
                }
            }
            if !held {
                if sub_unknown.is_empty() {
                    return Truth::Fails(fails.join("; "));
                }
                for n in sub_unknown {
                    push_unique(&mut unknown, n);
                }
            }
        }
        if unknown.is_empty() {
            Truth::Holds(acc)
        } else {
            Truth::Unknown(unknown.join("; "))
        }
    }
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::Readings;

    #[test]
    fn bad_values_are_located() {
        let text = "reaches_frames = [\"0xa0-0xbf\", \"zz\"]\ndom0_mode = \"hvm\"";
        let d: ConditionDef = toml::from_str(text).unwrap();
        let e = d.compile(&Registers::new()).unwrap_err();
        assert_eq!(e.len(), 2);
        assert_eq!(&text[e[0].span.clone()], "\"zz\"");
        assert_eq!(&text[e[1].span.clone()], "\"hvm\"");
        assert!(toml::from_str::<ConditionDef>("reaches_ownr = \"facs\"").is_err());
        assert!(toml::from_str::<ConditionDef>("reaches_owner = \"nowhere\"").is_err());
    }

    #[test]
    fn ranges_parse() {
        assert_eq!(parse_range("0xa0-0xbf"), Some((0xa0, 0xbf)));
        assert_eq!(parse_range("146"), Some((146, 146)));
        assert_eq!(parse_range("0xbf-0xa0"), None);
        let _ = Readings::default();
    }
}
