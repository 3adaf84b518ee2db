//! Property tests: for random trees of up to 300 entries, every inclusion
//! proof (every index) and every consistency proof (every old size)
//! verifies, and flipping one bit of any proof element, root, leaf, index or
//! tree size makes verification fail — with one documented exception for
//! tree sizes, checked exactly (see `inclusion_shape`).

use outbound_store::merkle::{
    CompactTree, Hash, consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency,
    verify_inclusion,
};
use proptest::prelude::*;

/// `n` distinct leaf hashes; `seed` makes each tree different.
fn tree(n: usize, seed: u64) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat()))
        .collect()
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut h = *h;
    h[bit / 8 % 32] ^= 1 << (bit % 8);
    h
}

/// The *shape* of the inclusion path of `index` in a tree of `size`
/// leaves: for each proof element, whether it is hashed in on the left.
/// `None` if `index >= size`.
///
/// Derived independently of the RFC's loop: below the level where `index`
/// and the last leaf `size - 1` meet (`inner` levels), the sibling is on the
/// left exactly when the index bit is 1; above it, the path runs along the
/// right border and every sibling is a perfect subtree on the left, one per
/// one-bit left in the index.
///
/// RFC 9162 verification computes the root from the leaf, the proof and this
/// shape only, so two (index, size) pairs with the same shape are
/// indistinguishable to it: e.g. index 0 in trees of 5 and 7 leaves. That is
/// why a tree size must come from a signed head together with its root.
fn inclusion_shape(index: u64, size: u64) -> Option<Vec<bool>> {
    if index >= size {
        return None;
    }
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let mut shape: Vec<bool> = (0..inner).map(|k| (index >> k) & 1 == 1).collect();
    let above = index.checked_shr(inner).unwrap_or(0);
    shape.extend(std::iter::repeat_n(true, above.count_ones() as usize));
    Some(shape)
}

/// The shape of a consistency check from `old` to `new` leaves (for
/// `0 < old < new`; `None` otherwise): whether the old tree is perfect (its
/// root then seeds the computation), and the inclusion shape of the old
/// tree's rightmost perfect subtree in the new tree.
fn consistency_shape(old: u64, new: u64) -> Option<(bool, Vec<bool>)> {
    if old == 0 || old >= new {
        return None;
    }
    let t = (old - 1).trailing_ones();
    let shift = |x: u64| x.checked_shr(t).unwrap_or(0);
    Some((
        old.is_power_of_two(),
        inclusion_shape(shift(old - 1), shift(new - 1) + 1)?,
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn inclusion_proofs_verify_and_detect_flips(
        n in 1usize..=300,
        seed in any::<u64>(),
        bit in 0usize..256,
        sbit in 0u32..64,
    ) {
        let leaves = tree(n, seed);
        let size = n as u64;
        let r = root(&leaves);
        for i in 0..n {
            let index = i as u64;
            let leaf = leaves[i];
            let proof = inclusion_proof(&leaves, index).unwrap();
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &r).is_ok());
            let b = (bit + 7 * i) % 256;

            for k in 0..proof.len() {
                let mut bad = proof.clone();
                bad[k] = flip(&bad[k], b);
                prop_assert!(verify_inclusion(&leaf, index, size, &bad, &r).is_err());
            }
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&r, b)).is_err());
            prop_assert!(verify_inclusion(&flip(&leaf, b), index, size, &proof, &r).is_err());

            for ib in [(sbit + i as u32) % 10, (sbit + 3 * i as u32) % 64] {
                let bad_index = index ^ (1 << ib);
                prop_assert!(
                    verify_inclusion(&leaf, bad_index, size, &proof, &r).is_err(),
                    "index {} accepted as {}", index, bad_index
                );
                // A different size verifies exactly when the path has the
                // same shape (see `inclusion_shape`).
                let bad_size = size ^ (1 << ib);
                let ok = verify_inclusion(&leaf, index, bad_size, &proof, &r).is_ok();
                prop_assert_eq!(
                    ok,
                    inclusion_shape(index, bad_size) == inclusion_shape(index, size),
                    "index {} size {} vs {}", index, size, bad_size
                );
            }
        }
    }

    #[test]
    fn consistency_proofs_verify_and_detect_flips(
        n in 1usize..=300,
        seed in any::<u64>(),
        bit in 0usize..256,
        sbit in 0u32..64,
    ) {
        let leaves = tree(n, seed);
        let new = n as u64;
        let new_root = root(&leaves);
        for m in 0..=n {
            let old = m as u64;
            let old_root = root(&leaves[..m]);
            let proof = consistency_proof(&leaves, old).unwrap();
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &proof).is_ok());
            let b = (bit + 7 * m) % 256;

            for k in 0..proof.len() {
                let mut bad = proof.clone();
                bad[k] = flip(&bad[k], b);
                prop_assert!(verify_consistency(old, new, &old_root, &new_root, &bad).is_err());
            }
            prop_assert!(
                verify_consistency(old, new, &flip(&old_root, b), &new_root, &proof).is_err()
            );
            // From the empty tree the (empty) proof says nothing about the
            // new root: that is checked by the new head's signature.
            if old > 0 {
                prop_assert!(
                    verify_consistency(old, new, &old_root, &flip(&new_root, b), &proof).is_err()
                );
            }

            for sb in [(sbit + m as u32) % 10, (sbit + 3 * m as u32) % 64] {
                for (o, nw) in [(old ^ (1 << sb), new), (old, new ^ (1 << sb))] {
                    let ok = verify_consistency(o, nw, &old_root, &new_root, &proof).is_ok();
                    let same_shape = match consistency_shape(old, new) {
                        Some(shape) => consistency_shape(o, nw) == Some(shape),
                        // The empty tree is a prefix of every tree, so
                        // any new size passes while the old size stays 0.
                        None if old == 0 => o == 0 && nw > 0,
                        // old == new: any other sizes must fail.
                        None => false,
                    };
                    prop_assert_eq!(ok, same_shape, "{} -> {} accepted as {} -> {}", old, new, o, nw);
                }
            }
        }
    }

    #[test]
    fn compact_tree_tracks_root(n in 0usize..=300, seed in any::<u64>()) {
        let leaves = tree(n, seed);
        let compact = CompactTree::from_leaves(&leaves);
        prop_assert_eq!(compact.size(), n as u64);
        prop_assert_eq!(compact.root(), root(&leaves));
        let rebuilt = CompactTree::from_parts(compact.size(), compact.peaks().to_vec()).unwrap();
        prop_assert_eq!(rebuilt, compact);
    }

    /// Arbitrary (mostly nonsensical) input never panics, and never
    /// verifies against a random root.
    #[test]
    fn arbitrary_input_is_rejected_without_panic(
        index in prop_oneof![any::<u64>(), 0u64..64, (u64::MAX - 64)..=u64::MAX],
        size in prop_oneof![any::<u64>(), 0u64..64, (u64::MAX - 64)..=u64::MAX],
        proof in prop::collection::vec(any::<[u8; 32]>(), 0..70),
        leaf in any::<[u8; 32]>(),
        r1 in any::<[u8; 32]>(),
        r2 in any::<[u8; 32]>(),
    ) {
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &r1).is_err());
        prop_assert!(verify_consistency(index, size, &r1, &r2, &proof).is_err());
        let leaves = tree((size % 40) as usize, index);
        let _ = inclusion_proof(&leaves, index);
        let _ = consistency_proof(&leaves, index);
        let _ = CompactTree::from_parts(size, proof);
    }
}
