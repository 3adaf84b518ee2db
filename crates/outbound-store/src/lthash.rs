//! LtHash16: the order-independent digest of a multiset of rows that the
//! ledger's parts are kept in (`state/`).
//!
//! Why not a sum of SHA-256 values mod 2^256 (what the ledger used up to
//! schema 14): such a sum is forgeable. Wagner's k-list algorithm (CRYPTO
//! 2002) finds rows whose hashes add up to a chosen value in about
//! 2^(2·sqrt(256)) = 2^32 work, so a store holder could swap thousands of
//! real rows for forged ones with the same count and digest. LtHash
//! (Bellare–Micciancio's paradigm with a lattice-sized group; parameters of
//! Lewi, Kim, Maykov and Weis, "Securing Update Propagation with Homomorphic
//! Hashing", ePrint 2019/227, also used for Solana's account hash) expands
//! each element to 1,024 lanes of 16 bits with an extendable-output hash and
//! adds lane-wise mod 2^16. Finding a collision is as hard as a short
//! integer solution in a lattice of dimension 1,024: beyond 200 bits of
//! security by their estimate, out of reach of the birthday-style attacks
//! that break a single 256-bit sum. Adding and removing a row stay one
//! expansion and one vector addition each, so writers still move a part by
//! exactly the rows they change.
//!
//! The expansion is BLAKE3's XOF over a domain string and the row's SHA-256
//! (the rows are already hashed that way, field by field): BLAKE3 produces
//! the 2 KiB in parallel blocks on the CPU's vector units.

use crate::merkle::Hash;

/// Lanes of 16 bits.
pub(crate) const LANES: usize = 1024;

/// Bytes of a state: the lanes, little-endian.
pub(crate) const BYTES: usize = LANES * 2;

const DOMAIN: &[u8] = b"outbound-lthash16-1024-v1\n";

/// A multiset's digest state: the lane-wise sum of its elements' expansions.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct LtHash(Box<[u16; LANES]>);

impl Default for LtHash {
    fn default() -> Self {
        LtHash(Box::new([0; LANES]))
    }
}

impl std::fmt::Debug for LtHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LtHash({})", hex::encode(self.checksum()))
    }
}

/// One element's lanes.
fn expand(element: &Hash) -> [u16; LANES] {
    let mut bytes = [0u8; BYTES];
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN);
    h.update(element);
    h.finalize_xof().fill(&mut bytes);
    let mut lanes = [0u16; LANES];
    for (l, b) in lanes.iter_mut().zip(bytes.chunks_exact(2)) {
        *l = u16::from_le_bytes([b[0], b[1]]);
    }
    lanes
}

impl LtHash {
    /// Adds an element (a row's hash).
    pub(crate) fn insert(&mut self, element: &Hash) {
        let e = expand(element);
        for (a, b) in self.0.iter_mut().zip(e.iter()) {
            *a = a.wrapping_add(*b);
        }
    }

    /// Removes an element added before (or, on its own, adds its inverse).
    pub(crate) fn remove(&mut self, element: &Hash) {
        let e = expand(element);
        for (a, b) in self.0.iter_mut().zip(e.iter()) {
            *a = a.wrapping_sub(*b);
        }
    }

    /// The state of `elements`, expanded on up to `threads` threads (the
    /// expansion is most of the cost: a gate's read of a transfer's
    /// consents expands one element per consent).
    pub(crate) fn of_all(elements: &[Hash], threads: usize) -> LtHash {
        // Below this many per thread, a thread costs more than it saves.
        const MIN_PER_THREAD: usize = 1024;
        let threads = threads.clamp(1, elements.len() / MIN_PER_THREAD + 1);
        let per = elements.len().div_ceil(threads.max(1)).max(1);
        let mut total = LtHash::default();
        std::thread::scope(|s| {
            let parts: Vec<_> = elements
                .chunks(per)
                .skip(1)
                .map(|chunk| {
                    s.spawn(move || {
                        let mut lt = LtHash::default();
                        chunk.iter().for_each(|e| lt.insert(e));
                        lt
                    })
                })
                .collect();
            elements
                .chunks(per)
                .next()
                .unwrap_or_default()
                .iter()
                .for_each(|e| total.insert(e));
            for p in parts {
                // The threads only hash and add: a panic there is a bug, passed on.
                let lt = p.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                total.add(&lt);
            }
        });
        total
    }

    /// Adds another state: the union of the two multisets.
    pub(crate) fn add(&mut self, other: &LtHash) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a = a.wrapping_add(*b);
        }
    }

    /// Whether this is the empty multiset's state (or one equal to it).
    pub(crate) fn is_zero(&self) -> bool {
        self.0.iter().all(|l| *l == 0)
    }

    /// The 32 bytes committed for the state: all zero for the empty multiset
    /// (so a part whose rows were all removed reads as one never written),
    /// else SHA-256 of the lanes under a domain string.
    pub(crate) fn checksum(&self) -> Hash {
        use sha2::{Digest, Sha256};
        if self.is_zero() {
            return [0; 32];
        }
        Sha256::new()
            .chain_update(DOMAIN)
            .chain_update(self.to_bytes())
            .finalize()
            .into()
    }

    /// The state as stored: the lanes, little-endian.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|l| l.to_le_bytes()).collect()
    }

    /// A state read back; `None` when it is not [`BYTES`] long.
    pub(crate) fn from_bytes(b: &[u8]) -> Option<LtHash> {
        if b.len() != BYTES {
            return None;
        }
        let mut s = LtHash::default();
        for (l, c) in s.0.iter_mut().zip(b.chunks_exact(2)) {
            *l = u16::from_le_bytes([c[0], c[1]]);
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn el(i: u64) -> Hash {
        Sha256::digest(i.to_le_bytes()).into()
    }

    #[test]
    fn order_does_not_matter_and_removal_undoes_insertion() {
        let (mut a, mut b) = (LtHash::default(), LtHash::default());
        for i in 0..50 {
            a.insert(&el(i));
        }
        for i in (0..50).rev() {
            b.insert(&el(i));
        }
        assert_eq!(a, b);
        assert!(!a.is_zero());
        for i in 0..50 {
            a.remove(&el(i));
        }
        assert!(a.is_zero());
        assert_eq!(a.checksum(), [0; 32]);
    }

    #[test]
    fn different_multisets_differ() {
        let (mut a, mut b) = (LtHash::default(), LtHash::default());
        a.insert(&el(1));
        a.insert(&el(2));
        b.insert(&el(1));
        b.insert(&el(3));
        assert_ne!(a.checksum(), b.checksum());
        // A multiset, not a set: an element twice is not the element once.
        let mut c = LtHash::default();
        c.insert(&el(1));
        let once = c.checksum();
        c.insert(&el(1));
        assert_ne!(c.checksum(), once);
    }

    #[test]
    fn threads_do_not_change_the_state() {
        let els: Vec<Hash> = (0..5000).map(el).collect();
        let mut one = LtHash::default();
        els.iter().for_each(|e| one.insert(e));
        for threads in [0, 1, 2, 3, 8] {
            for n in [0, 1, 1023, 1024, 2049, 5000] {
                let mut want = LtHash::default();
                els[..n].iter().for_each(|e| want.insert(e));
                assert_eq!(LtHash::of_all(&els[..n], threads), want, "{threads} {n}");
            }
        }
        assert_eq!(LtHash::of_all(&els, 2), one);
    }

    #[test]
    fn union_is_the_sum_and_bytes_round_trip() {
        let (mut a, mut b, mut ab) = (LtHash::default(), LtHash::default(), LtHash::default());
        a.insert(&el(7));
        b.insert(&el(8));
        ab.insert(&el(8));
        ab.insert(&el(7));
        a.add(&b);
        assert_eq!(a, ab);
        assert_eq!(LtHash::from_bytes(&ab.to_bytes()), Some(ab));
        assert_eq!(LtHash::from_bytes(&[0; BYTES - 1]), None);
    }

    /// The expansion and checksum are pinned: states stored by one version
    /// must be read by the next (this value was computed once, at schema 15).
    #[test]
    fn expansion_is_stable() {
        let mut a = LtHash::default();
        a.insert(&el(1));
        a.insert(&el(2));
        a.remove(&el(3));
        assert_eq!(
            hex::encode(a.checksum()),
            "8c708a2905687c17445fec27cfd1ef1f80cd939232439622e3aba45072bd8e10"
        );
    }
}
