//! What the rule data finds in a map beyond what the loader checks: free trade
//! zones without a list (errors), and declarations the negative lists
//! contradict or datasets without a grade (warnings).

use jiff::civil::Date;
use outbound_model::{DataMap, Diagnostic};

/// Errors and warnings for a map.
#[derive(Debug, Default)]
pub struct MapCheck {
    /// Problems that make the map invalid, like the loader's diagnostics.
    pub errors: Vec<Diagnostic>,
    /// Findings to show that do not make the map invalid.
    pub warnings: Vec<Diagnostic>,
}

/// Checks a map against the negative lists in force on `as_of` and for grades.
pub fn check(map: &DataMap, as_of: Date) -> MapCheck {
    let ftz = crate::ftz::check_map(map, as_of);
    let mut warnings = ftz.warnings;
    warnings.extend(crate::grade::check_map(map));
    MapCheck {
        errors: ftz.errors,
        warnings,
    }
}
