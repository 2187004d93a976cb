//! The engine: the pipeline composed once. facts → inventory → reach → surface, the
//! hypercall surface beside them, and the verdict over all of it, for one snapshot under one
//! policy and date. Every subcommand, bench and test that needs more than one stage starts
//! here, so the stages are wired in exactly one place and a what-if (a reach with ranges
//! given up) is judged by the same code as the real thing.

mod hypercall_view;

use dom0scope_facts::{Facts, NoFacts};
use dom0scope_hypercalls::HypercallSurface;
use dom0scope_inventory::Inventory;
use dom0scope_reach::Reach;
use dom0scope_snapshot::Snapshot;
use dom0scope_surface::Surface;
use dom0scope_verdict::{Date, Inputs, Policy, Readings, Verdict};

pub use hypercall_view::hypercall_view;

/// Every stage's output for one snapshot, judged by one policy on one date.
#[derive(Debug, Clone)]
pub struct Analysis {
    facts: Facts,
    inventory: Inventory,
    surface: Surface,
    hypercalls: HypercallSurface<'static>,
    readings: Readings,
    verdict: Verdict,
    policy: Policy,
    today: Date,
}

/// An [`Analysis`] taken apart, for renderers that keep a stage's output by value.
#[derive(Debug)]
pub struct Parts {
    /// What the snapshot says, parsed.
    pub facts: Facts,
    /// The owner-tagged map of the machine.
    pub inventory: Inventory,
    /// dom0's reach named by owner (the reach inside).
    pub surface: Surface,
    /// What dom0 may ask of Xen.
    pub hypercalls: HypercallSurface<'static>,
    /// What the rules read beyond the surface.
    pub readings: Readings,
    /// The policy's answer.
    pub verdict: Verdict,
}

impl Analysis {
    /// Runs the whole pipeline on `snapshot`. Fails only when no artifact yields a Xen log.
    pub fn of(snapshot: &Snapshot, policy: Policy, today: Date) -> Result<Analysis, NoFacts> {
        Ok(Analysis::from_facts(
            Facts::extract(snapshot)?,
            policy,
            today,
        ))
    }

    /// Runs the stages after facts.
    pub fn from_facts(facts: Facts, policy: Policy, today: Date) -> Analysis {
        let inventory = Inventory::build(&facts);
        let reach = Reach::derive(&facts);
        let hypercalls = dom0scope_hypercalls::surface(&facts);
        let mut readings = Readings::gather(&facts);
        readings.hypercalls = Some(hypercall_view(&hypercalls));
        let surface = Surface::join(reach, &inventory);
        let verdict = Verdict::evaluate_with(&Inputs::new(&surface, &readings), &policy, today);
        Analysis {
            facts,
            inventory,
            surface,
            hypercalls,
            readings,
            verdict,
            policy,
            today,
        }
    }

    /// The same host judged on another reach: a what-if such as "dom0 gave these ranges up"
    /// or "dom0 still held what it gave up earlier in this boot". Everything but the surface
    /// and the verdict is this analysis's own.
    pub fn with_reach(&self, reach: Reach) -> Analysis {
        let surface = Surface::join(reach, &self.inventory);
        let verdict = Verdict::evaluate_with(
            &Inputs::new(&surface, &self.readings),
            &self.policy,
            self.today,
        );
        Analysis {
            facts: self.facts.clone(),
            inventory: self.inventory.clone(),
            surface,
            hypercalls: self.hypercalls.clone(),
            readings: self.readings.clone(),
            verdict,
            policy: self.policy.clone(),
            today: self.today,
        }
    }

    /// What the snapshot says, parsed.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The owner-tagged map of the machine.
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// What dom0 may touch: Xen's rangesets and the model's prediction.
    pub fn reach(&self) -> &Reach {
        self.surface.reach()
    }

    /// dom0's reach named by owner.
    pub fn surface(&self) -> &Surface {
        &self.surface
    }

    /// What dom0 may ask of Xen on this host.
    pub fn hypercalls(&self) -> &HypercallSurface<'static> {
        &self.hypercalls
    }

    /// What the rules read beyond the surface (the hypercall view included).
    pub fn readings(&self) -> &Readings {
        &self.readings
    }

    /// The policy's answer.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// The policy the verdict was reached under.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The date waivers were judged against.
    pub fn today(&self) -> Date {
        self.today
    }

    /// Takes the analysis apart.
    pub fn into_parts(self) -> Parts {
        Parts {
            facts: self.facts,
            inventory: self.inventory,
            surface: self.surface,
            hypercalls: self.hypercalls,
            readings: self.readings,
            verdict: self.verdict,
        }
    }
}
