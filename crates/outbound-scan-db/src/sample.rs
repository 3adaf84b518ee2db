//! Reproducible randomness for samples: a seed per table (the run's seed
//! mixed with the table's name, so tables are sampled independently but
//! the same way every run) and SplitMix64, a generator whose output is
//! fixed by its definition rather than by a library version.

/// The seed for one table.
pub(crate) fn table_seed(seed: u64, table: &str) -> u64 {
    // FNV-1a of the name, then one SplitMix64 step.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in table.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    SplitMix(seed ^ h).next()
}

/// SplitMix64 (Steele, Lea and Flood 2014).
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (`lo <= hi`).
    pub(crate) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        // Within lo..=hi, so within i64.
        self.between_wide(lo.into(), hi.into()) as i64
    }

    /// Uniform in `lo..=hi`, for `lo <= hi` at most 2^64 apart (the range
    /// of a signed or of an unsigned 64-bit key).
    pub(crate) fn between_wide(&mut self, lo: i128, hi: i128) -> i128 {
        let span = (hi - lo + 1) as u128;
        let off = (u128::from(self.next()) * span) >> 64;
        // off < span <= 2^64, so lo + off <= hi.
        lo + off as i128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_by_definition() {
        // The reference sequence for seed 0 (from the published algorithm).
        let mut r = SplitMix(0);
        assert_eq!(r.next(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(r.next(), 0x6e78_9e6a_a1b9_65f4);
        assert_ne!(table_seed(1, "a"), table_seed(1, "b"));
        assert_ne!(table_seed(1, "a"), table_seed(2, "a"));
        assert_eq!(table_seed(7, "orders"), table_seed(7, "orders"));
    }

    #[test]
    fn between_stays_in_range() {
        let mut r = SplitMix(3);
        for (lo, hi) in [(1, 1), (-5, 5), (i64::MIN, i64::MAX), (10, 11)] {
            for _ in 0..1000 {
                let v = r.between(lo, hi);
                assert!((lo..=hi).contains(&v), "{v} not in {lo}..={hi}");
            }
        }
        let mut seen = [false; 11];
        for _ in 0..1000 {
            seen[usize::try_from(r.between(-5, 5) + 5).unwrap()] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
