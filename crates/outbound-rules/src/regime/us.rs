//! US: placeholder until the regime is encoded; judges nothing.

use super::{Regime, RegimeInfo};
use crate::determination::{Determination, RuleError};
use crate::facts::Facts;

/// The US regime.
pub struct RegimeUS;

impl Regime for RegimeUS {
    fn id(&self) -> &'static str {
        "US"
    }
    fn applies(&self, _: &Facts) -> bool {
        false
    }
    fn evaluate(&self, _: &Facts) -> Result<Determination, RuleError> {
        Err(RuleError {
            regime: "US",
            message: "not encoded yet".into(),
        })
    }
    fn info(&self) -> RegimeInfo {
        RegimeInfo {
            id: "US",
            name: "US",
            applies_when: "not encoded yet",
            mechanisms: &[],
            instruments: vec![],
            thresholds: vec![],
        }
    }
}
