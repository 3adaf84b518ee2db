//! Exact distinct counting of 64-bit keyed hashes.
//!
//! Why not a `HashSet<u64>`: inserting millions of random keys is a cache
//! miss per record and dominated the scan profile. Pushing to a vector and
//! periodically sorting + deduplicating + merging (an LSM-style sorted
//! vector) touches memory sequentially, is 3-5x cheaper per record, and
//! keeps memory at about 8 bytes per distinct subject plus a bounded
//! pending buffer.

/// An exact set of `u64` with cheap inserts and merges.
#[derive(Debug, Clone, Default)]
pub struct DistinctSet {
    sorted: Vec<u64>,
    pending: Vec<u64>,
}

/// Values held unsorted before the first compaction: 8 MiB, so that a
/// scan of up to a million individuals sorts its hashes once, at the end.
/// At 2^16 a scan of 474,000 records merged its growing sorted vector six
/// times, a branchy walk over random hashes that took 4 % of the scan.
const MIN_PENDING: usize = 1 << 20;

impl DistinctSet {
    /// Adds a value.
    #[inline]
    pub fn insert(&mut self, v: u64) {
        self.pending.push(v);
        if self.pending.len() >= MIN_PENDING.max(self.sorted.len() / 2) {
            self.compact();
        }
    }

    /// Whether no value was added.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty() && self.pending.is_empty()
    }

    /// Folds pending values into the sorted, deduplicated vector.
    pub fn compact(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        radix_sort(&mut self.pending);
        self.pending.dedup();
        if self.sorted.is_empty() {
            std::mem::swap(&mut self.sorted, &mut self.pending);
            self.pending.clear();
            return;
        }
        let a = std::mem::take(&mut self.sorted);
        let b = std::mem::take(&mut self.pending);
        self.sorted = merge_sorted(&a, &b);
        self.pending = b;
        self.pending.clear();
        if self.pending.capacity() > 4 * MIN_PENDING.max(self.sorted.len() / 2) {
            self.pending.shrink_to(MIN_PENDING);
        }
    }

    /// Adds all values of `other`. A small set goes to the pending buffer,
    /// so that merging many small per-batch sets into a big one stays
    /// amortised (no full pass over the big set per merge). A sorted side
    /// at least as large as a compaction's trigger is merged in one linear
    /// walk instead: sorting it again with the pending values made the
    /// last merge of two threads' sets a serial radix sort of half a
    /// million values at the end of every two-thread scan.
    pub fn merge(&mut self, mut other: DistinctSet) {
        if self.sorted.len() < other.sorted.len() {
            std::mem::swap(self, &mut other);
        }
        if other.sorted.len() >= MIN_PENDING.max(self.sorted.len() / 2) {
            self.sorted = merge_sorted(&self.sorted, &other.sorted);
        } else {
            self.pending.extend_from_slice(&other.sorted);
        }
        self.pending.extend_from_slice(&other.pending);
        if self.pending.len() >= MIN_PENDING.max(self.sorted.len() / 2) {
            self.compact();
        }
    }

    /// Number of distinct values.
    pub fn len(&mut self) -> usize {
        self.compact();
        self.sorted.len()
    }

    /// Number of distinct values in this set or `other` (neither changes
    /// but for compaction): one walk over both sorted vectors.
    pub fn union_len(&mut self, other: &mut DistinctSet) -> usize {
        self.compact();
        other.compact();
        let (a, b) = (&self.sorted, &other.sorted);
        let (mut i, mut j, mut n) = (0, 0, 0);
        while i < a.len() && j < b.len() {
            n += 1;
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                }
            }
        }
        n + (a.len() - i) + (b.len() - j)
    }
}

/// Below this many values one comparison sort is as cheap.
const RADIX_MIN: usize = 4096;

/// Sorts `v` ascending: one counting pass on the top byte puts every
/// value in its 1/256 of the range (the keyed hashes are uniform, so the
/// buckets are even), then each bucket, small enough for the L1/L2 cache,
/// is sorted by `sort_unstable`: the comparison sort's top eight levels of
/// partitioning over the whole vector are one sequential scatter. (An LSD
/// radix sort of eight byte passes was no faster: eight scatters over a
/// vector larger than the L2 cache.)
fn radix_sort(v: &mut Vec<u64>) {
    if v.len() < RADIX_MIN {
        v.sort_unstable();
        return;
    }
    let mut off = [0usize; 256];
    for &x in v.iter() {
        off[(x >> 56) as usize] += 1;
    }
    let mut sum = 0;
    for o in off.iter_mut() {
        let n = *o;
        *o = sum;
        sum += n;
    }
    let starts = off;
    let mut out = vec![0u64; v.len()];
    for &x in v.iter() {
        let d = (x >> 56) as usize;
        out[off[d]] = x;
        off[d] += 1;
    }
    for (&a, &e) in starts.iter().zip(&off) {
        out[a..e].sort_unstable();
    }
    *v = out;
}

fn merge_sorted(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        if x < y {
            out.push(x);
            i += 1;
        } else if y < x {
            out.push(y);
            j += 1;
        } else {
            out.push(x);
            i += 1;
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_counts() {
        let mut a = DistinctSet::default();
        let mut b = DistinctSet::default();
        let mut x = 1u64;
        for i in 0..300_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            a.insert(x % 100_000);
            if i % 3 == 0 {
                b.insert(x % 150_000);
            }
        }
        let mut reference: std::collections::HashSet<u64> = std::collections::HashSet::new();
        let mut y = 1u64;
        for i in 0..300_000u64 {
            y = y
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            reference.insert(y % 100_000);
            if i % 3 == 0 {
                reference.insert(y % 150_000);
            }
        }
        a.merge(b);
        assert_eq!(a.len(), reference.len());
        assert!(DistinctSet::default().is_empty());
    }

    /// A xorshift generator of uniform synthetic values from `seed`.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// The radix sort against `sort_unstable` on uniform hashes, on
    /// values sharing bytes (passes skipped), on duplicates, and at the
    /// lengths around the switch to the comparison sort.
    #[test]
    fn radix_sort_agrees_with_sort_unstable() {
        let mut next = xorshift(3);
        for n in [0, 1, RADIX_MIN - 1, RADIX_MIN, RADIX_MIN + 1, 50_000] {
            for mask in [u64::MAX, 0xFF00_0000_00FF_FF00, 0x3F, 0] {
                let v: Vec<u64> = (0..n).map(|_| next() & mask).collect();
                let mut a = v.clone();
                let mut b = v;
                radix_sort(&mut a);
                b.sort_unstable();
                assert_eq!(a, b, "n {n} mask {mask:x}");
            }
        }
    }

    /// Merges of sets whose sorted sides are large enough to be walked
    /// rather than sorted again (as two threads' sets are at the end of a
    /// scan), either way round, with values pending on both sides and
    /// overlapping ones, count what a `HashSet` counts.
    #[test]
    fn large_sorted_sets_merge_exactly() {
        let mut next = xorshift(11);
        for (na, nb) in [
            (300_000, 200_000),
            (70_000, 300_000),
            (MIN_PENDING, MIN_PENDING),
        ] {
            let (mut a, mut b) = (DistinctSet::default(), DistinctSet::default());
            let mut reference = std::collections::HashSet::new();
            for _ in 0..na {
                let v = next() % 400_000;
                a.insert(v);
                reference.insert(v);
            }
            for _ in 0..nb {
                let v = next() % 400_000;
                b.insert(v);
                reference.insert(v);
            }
            a.compact();
            b.compact();
            // Pending values on both sides too.
            for v in [1u64, 2, 3, 400_001] {
                a.insert(v);
                b.insert(v + 1);
                reference.insert(v);
                reference.insert(v + 1);
            }
            let mut ab = a.clone();
            ab.merge(b.clone());
            b.merge(a);
            assert_eq!(ab.len(), reference.len(), "{na} + {nb}");
            assert_eq!(b.len(), reference.len(), "{nb} + {na}");
            assert!(ab.sorted.windows(2).all(|w| w[0] < w[1]));
        }
    }

    /// Inserts past the pending threshold compact on their own, again
    /// and again as the sorted side grows, and count exactly.
    #[test]
    fn inserts_past_the_threshold_compact_exactly() {
        let mut next = xorshift(5);
        let range = 3 * MIN_PENDING as u64;
        let mut set = DistinctSet::default();
        let mut seen = vec![false; range as usize];
        for _ in 0..4 * MIN_PENDING {
            let v = next() % range;
            set.insert(v);
            seen[v as usize] = true;
        }
        assert!(!set.sorted.is_empty(), "compacted while inserting");
        assert_eq!(set.len(), seen.iter().filter(|&&s| s).count());
        assert!(set.sorted.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn union_counts_each_value_once() {
        let mut a = DistinctSet::default();
        let mut b = DistinctSet::default();
        let mut reference = std::collections::HashSet::new();
        let mut x = 7u64;
        for i in 0..200_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = x % 120_000;
            if i % 3 == 0 {
                b.insert(v)
            } else {
                a.insert(v)
            }
            reference.insert(v);
        }
        assert_eq!(a.union_len(&mut b), reference.len());
        assert_eq!(b.union_len(&mut a), reference.len());
        let mut empty = DistinctSet::default();
        let n = a.len();
        assert_eq!(a.union_len(&mut empty), n);
        assert_eq!(empty.union_len(&mut a), n);
    }
}
