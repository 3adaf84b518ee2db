//! Distinct individuals exported: one type for the facts, the ledger and the gate.

use serde::{Deserialize, Serialize};

/// Distinct individuals, all and sensitive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Individuals whose PI was exported.
    pub individuals: u64,
    /// Individuals whose sensitive PI was exported.
    pub sensitive_individuals: u64,
}

impl Counts {
    /// The two added, stopping at `u64::MAX`: an overflowing sum stays above
    /// every threshold instead of wrapping below it (counts only ever err high).
    pub fn saturating_add(self, other: Counts) -> Counts {
        Counts {
            individuals: self.individuals.saturating_add(other.individuals),
            sensitive_individuals: self
                .sensitive_individuals
                .saturating_add(other.sensitive_individuals),
        }
    }

    /// The larger of the two, measure by measure.
    pub fn max(self, other: Counts) -> Counts {
        Counts {
            individuals: self.individuals.max(other.individuals),
            sensitive_individuals: self.sensitive_individuals.max(other.sensitive_individuals),
        }
    }
}
