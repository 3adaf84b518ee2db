//! Regimes: one module each. Adding a regime (US DOJ rule, Russia …) means a new
//! module with its data file, and one line in [`all`].

use serde::Serialize;

use crate::determination::{Determination, RuleError};
use crate::facts::Facts;

pub mod cn;
pub mod eu;
pub mod ru;
pub mod us;

/// What `outbound rules` lists about a regime.
#[derive(Clone, Debug, Serialize)]
pub struct RegimeInfo {
    /// `CN`, `EU` …
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// When it judges a transfer.
    pub applies_when: &'static str,
    /// Route identifiers it can return.
    pub mechanisms: &'static [&'static str],
    /// Instruments with dates in force.
    pub instruments: Vec<InstrumentInfo>,
    /// Thresholds with their articles.
    pub thresholds: Vec<ThresholdInfo>,
}

/// An instrument, for listing.
#[derive(Clone, Debug, Serialize)]
pub struct InstrumentInfo {
    /// Name.
    pub name: String,
    /// Day in force (YYYY-MM-DD).
    pub in_force: String,
    /// What it decides.
    pub note: String,
}

/// A threshold or list entry, for listing.
#[derive(Clone, Debug, Serialize)]
pub struct ThresholdInfo {
    /// What it is.
    pub text: String,
    /// The figure or list, as printed.
    pub value: String,
    /// The article that sets it.
    pub citation: String,
}

/// A body of law that can judge a transfer.
pub trait Regime: Sync {
    /// Stable id, the `regime` field of a determination.
    fn id(&self) -> &'static str;
    /// Whether this regime judges the transfer (by the exporter's and recipient's countries).
    fn applies(&self, facts: &Facts) -> bool;
    /// Judges the transfer with the instruments in force on `facts.as_of`.
    fn evaluate(&self, facts: &Facts) -> Result<Determination, RuleError>;
    /// A description for `outbound rules`.
    fn info(&self) -> RegimeInfo;
}

/// Every regime the engine knows, in the contract's order (CN, EU, US, RU).
pub fn all() -> &'static [&'static dyn Regime] {
    &[&cn::China, &eu::Eu, &us::RegimeUS, &ru::RegimeRU]
}
