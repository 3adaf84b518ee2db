//! Plausibility bounds on counts, from `data/limits.toml`.
//!
//! A count no population can reach is a typo or tampering; refusing it at load
//! keeps every later sum far from overflow, so no threshold check can wrap round
//! to "not reached". The model holds the bound (not the rules crate) because
//! the loader, the lowest reader of counts, enforces it.

use std::sync::LazyLock;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Limits {
    max_individuals: u64,
}

static LIMITS: LazyLock<Limits> = LazyLock::new(|| {
    toml::from_str(include_str!("../data/limits.toml")).expect("limits.toml is valid (tested)")
});

/// The largest count of distinct individuals a map or a facts document may state.
pub fn max_individuals() -> u64 {
    LIMITS.max_individuals
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bound_is_above_the_worlds_population_and_far_below_overflow() {
        let m = super::max_individuals();
        assert!(m >= 8_200_000_000);
        // A map with a million counts at the bound still sums without overflow.
        assert!(m.checked_mul(1_000_000).is_some());
    }
}
