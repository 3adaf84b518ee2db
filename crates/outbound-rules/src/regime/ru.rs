//! RU: placeholder until the regime is encoded; judges nothing.

use super::{Regime, RegimeInfo};
use crate::determination::{Determination, RuleError};
use crate::facts::Facts;

/// The RU regime.
pub struct RegimeRU;

impl Regime for RegimeRU {
    fn id(&self) -> &'static str {
        "RU"
    }
    fn applies(&self, _: &Facts) -> bool {
        false
    }
    fn evaluate(&self, _: &Facts) -> Result<Determination, RuleError> {
        Err(RuleError {
            regime: "RU",
            message: "not encoded yet".into(),
        })
    }
    fn info(&self) -> RegimeInfo {
        RegimeInfo {
            id: "RU",
            name: "RU",
            applies_when: "not encoded yet",
            mechanisms: &[],
            instruments: vec![],
            thresholds: vec![],
        }
    }
}
