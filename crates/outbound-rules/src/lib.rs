//! The Outbound rule engine: turns facts into determinations, regime by
//! regime, with the instrument in force on the facts' date and a citation
//! for every reason.
//!
//! Legal numbers live in `data/` (thresholds, deadlines, calendars, adequacy
//! decisions); decision logic lives in one module per regime under `regime/`.

pub mod assess;
pub mod calendar;
pub mod complaint;
pub mod conflicts;
pub mod data;
pub mod determination;
pub mod facts;
pub mod format;
pub mod ftz;
pub mod grade;
pub mod incident;
pub mod mapcheck;
pub mod rating;
pub mod recipient;
pub mod regime;
pub mod rights;
pub mod risk;
pub mod text;
pub mod trend;

pub use determination::{Determination, Evaluation, Obligation, Reason, RuleError};
pub use facts::{Counts, Cumulative, Dates, ExporterFacts, Facts, FactsError, TransferFacts};

/// Runs every regime that applies to the facts.
pub fn evaluate(facts: &Facts) -> Result<Evaluation, RuleError> {
    let mut determinations = Vec::new();
    for r in regime::all() {
        if r.applies(facts) {
            determinations.push(r.evaluate(facts)?);
        }
    }
    Ok(Evaluation {
        transfer: facts.transfer.id.clone(),
        conflicts: conflicts::conflicts(facts, &determinations),
        determinations,
    })
}
