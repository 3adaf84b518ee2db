//! The Merkle tree behind the tamper-evident audit log (RFC 6962 / RFC 9162).
//!
//! Every entry appended to the audit log becomes a *leaf* of an append-only
//! binary Merkle tree, exactly as in Certificate Transparency. Publishing the
//! tree's root for a given size (a signed tree head, see
//! [`crate::signed_head`]) commits the log to *all* entries up to that size:
//!
//! - an **inclusion proof** shows that one entry is at a given index of the
//!   tree a root commits to, with `O(log n)` hashes and without revealing the
//!   other entries;
//! - a **consistency proof** shows that the tree of an earlier root is a
//!   prefix of the tree of a later root, i.e. that nothing committed earlier
//!   was edited, removed, reordered or inserted afterwards.
//!
//! A regulator or auditor who keeps the signed heads it has seen can then
//! check both kinds of proof without access to the store or to any personal
//! data; this module contains everything needed for that and nothing else. It
//! is pure: no I/O, no clock, no randomness, and every function on untrusted
//! input returns an error instead of panicking.
//!
//! # Hashing (RFC 9162 §2.1.1)
//!
//! With `SHA-256` as the hash and `||` as concatenation:
//!
//! - the root of the empty tree is `SHA-256("")` ([`empty_root`]);
//! - a leaf hash is `SHA-256(0x00 || data)` ([`leaf_hash`]);
//! - an interior node is `SHA-256(0x01 || left || right)` ([`node_hash`]);
//! - for `n > 1` leaves, the root is `node_hash(MTH(D[0..k]), MTH(D[k..n]))`
//!   where `k` is the largest power of two *strictly* smaller than `n`.
//!
//! The distinct `0x00` / `0x01` prefixes are what prevent a second-preimage
//! attack that passes an interior node off as a leaf (or vice versa).
//!
//! # What the store keeps
//!
//! The store persists the *leaf hashes* in index order. Every function that
//! builds something ([`root`], [`inclusion_proof`], [`consistency_proof`])
//! takes that slice; proofs against an older tree size are obtained by
//! passing the prefix `&leaves[..old_size]`. Appending one entry in
//! `O(log n)` uses [`CompactTree`], the list of perfect-subtree roots. The
//! verification functions ([`verify_inclusion`], [`verify_consistency`])
//! need no leaves at all and follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by
//! step.

#![deny(missing_docs)]

use sha2::{Digest, Sha256};

/// Length in bytes of every hash in the tree (SHA-256).
pub const HASH_LEN: usize = 32;

/// A SHA-256 digest: a leaf hash, an interior node hash or a root.
///
/// A plain array rather than a newtype so that the store can persist and
/// load it without conversions; its meaning comes from where it is used.
pub type Hash = [u8; HASH_LEN];

/// Domain-separation prefix of a leaf hash (RFC 9162 §2.1.1).
pub const LEAF_PREFIX: u8 = 0x00;

/// Domain-separation prefix of an interior node hash (RFC 9162 §2.1.1).
pub const NODE_PREFIX: u8 = 0x01;

/// The root of the empty tree, `SHA-256("")`.
///
/// A log that has not recorded anything yet still has a well-defined root,
/// so that a signed head of size 0 is meaningful.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The leaf hash of one audit-log entry: `SHA-256(0x00 || data)`.
///
/// `data` is the entry's canonical byte encoding, chosen by the store; this
/// module only ever sees the resulting hash.
pub fn leaf_hash(data: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([LEAF_PREFIX])
        .chain_update(data)
        .finalize()
        .into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([NODE_PREFIX])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The largest power of two strictly smaller than `n`; requires `n >= 2`.
///
/// This is where RFC 6962 splits a tree of `n` leaves into a perfect left
/// subtree and a (possibly imperfect) right subtree.
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The Merkle tree hash (root) of a tree whose leaf hashes are `leaves`, in
/// index order (RFC 9162 §2.1.1, `MTH`).
///
/// Costs `n - 1` node hashes. To follow a growing log without rehashing
/// everything, keep a [`CompactTree`] instead.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// Why a proof could not be *built* from the leaves the caller has.
///
/// These are caller errors (asking about an entry or a size the log does not
/// have), distinct from [`VerifyError`], which is about proofs received from
/// someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The entry asked for is not in the tree (this includes every index of
    /// the empty tree).
    #[error("entry {index} is not in a tree of {size} entries")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The number of leaves available.
        size: u64,
    },
    /// A consistency proof from a tree larger than the current one was asked
    /// for.
    #[error("old tree size {old_size} is larger than the current size {size}")]
    OldSizeTooLarge {
        /// The older tree size asked for.
        old_size: u64,
        /// The number of leaves available.
        size: u64,
    },
}

/// The inclusion proof (audit path, RFC 9162 §2.1.3.1 `PATH`) of the entry at
/// `index` in the tree whose leaf hashes are `leaves`.
///
/// The proof lists the sibling hashes from the leaf's level up to the root.
/// For a proof against an earlier tree size `s`, pass `&leaves[..s]`.
///
/// # Errors
///
/// [`ProofError::IndexOutOfRange`] if `index >= leaves.len()`.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let size = leaves.len() as u64;
    let i = match usize::try_from(index) {
        Ok(i) if i < leaves.len() => i,
        _ => return Err(ProofError::IndexOutOfRange { index, size }),
    };
    let mut proof = Vec::with_capacity(64);
    path(i, leaves, &mut proof);
    Ok(proof)
}

/// `PATH(m, D[n])` of RFC 9162 §2.1.3.1, appending bottom-up to `out`.
fn path(m: usize, leaves: &[Hash], out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &leaves[..k], out);
        out.push(root(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], out);
        out.push(root(&leaves[..k]));
    }
}

/// The consistency proof (RFC 9162 §2.1.4.1 `PROOF`) between the tree of the
/// first `old_size` leaves and the tree of all of `leaves`.
///
/// Empty when `old_size` is 0 (the empty tree is a prefix of every tree) or
/// equal to the current size (nothing to prove beyond equal roots).
///
/// # Errors
///
/// [`ProofError::OldSizeTooLarge`] if `old_size > leaves.len()`.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, ProofError> {
    let size = leaves.len() as u64;
    let m = match usize::try_from(old_size) {
        Ok(m) if m <= leaves.len() => m,
        _ => return Err(ProofError::OldSizeTooLarge { old_size, size }),
    };
    let mut proof = Vec::with_capacity(64);
    if m > 0 {
        subproof(m, leaves, true, &mut proof);
    }
    Ok(proof)
}

/// `SUBPROOF(m, D[n], b)` of RFC 9162 §2.1.4.1, appending to `out`.
fn subproof(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        // The old tree is this very subtree: its root is known to the
        // verifier unless it is only a part of the old tree.
        if !complete {
            out.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(root(&leaves[..k]));
    }
}

/// Why a proof received from someone else does not verify.
///
/// Every variant means "do not trust this claim"; they are distinguished only
/// so that a report can say what was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The claimed index is not inside the claimed tree (always the case for
    /// a tree of size 0).
    #[error("entry index {index} is not inside a tree of size {size}")]
    IndexOutOfRange {
        /// The claimed leaf index.
        index: u64,
        /// The claimed tree size.
        size: u64,
    },
    /// The "old" tree is larger than the "new" one: a log never shrinks.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeTooLarge {
        /// The claimed earlier size.
        old_size: u64,
        /// The claimed later size.
        new_size: u64,
    },
    /// The proof does not have the number of hashes that the claimed index
    /// and size(s) require.
    #[error("proof has {actual} hashes, {expected} expected for these tree sizes")]
    WrongProofLength {
        /// Number of hashes the sizes require.
        expected: usize,
        /// Number of hashes given.
        actual: usize,
    },
    /// The inclusion proof leads to a different root than the one claimed.
    #[error("inclusion proof does not lead to the claimed root")]
    RootMismatch,
    /// The consistency proof does not reproduce the old root.
    #[error("consistency proof does not reproduce the old root")]
    OldRootMismatch,
    /// The consistency proof does not reproduce the new root.
    #[error("consistency proof does not reproduce the new root")]
    NewRootMismatch,
    /// Two heads of the same size have different roots: the log has shown
    /// two different histories (a fork), which is proof of misbehaviour.
    #[error("two trees of size {size} have different roots")]
    SameSizeDifferentRoots {
        /// The common size.
        size: u64,
    },
}

/// Number of significant bits of `x` (0 for 0).
fn bit_len(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// `x >> n`, and 0 when `n` is 64 (a plain shift would overflow: panic in
/// debug builds, a wrong result in release builds).
fn shr(x: u64, n: u32) -> u64 {
    x.checked_shr(n).unwrap_or(0)
}

/// Number of hashes in the inclusion proof of `index` in a tree of `size`
/// leaves; requires `index < size`.
///
/// The path has one hash per level where the leaf's and the last leaf's
/// ancestors differ (`inner`), plus one per perfect left subtree met on the
/// right border of the tree above that (`border`).
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = bit_len(index ^ (size - 1));
    let border = shr(index, inner).count_ones();
    (inner + border) as usize
}

/// Number of hashes in the consistency proof between trees of `old_size`
/// and `new_size` leaves; requires `0 < old_size < new_size`.
fn consistency_proof_len(old_size: u64, new_size: u64) -> usize {
    let last = old_size - 1;
    let inner_all = bit_len(last ^ (new_size - 1));
    let border = shr(last, inner_all).count_ones();
    // Levels below the old tree's rightmost perfect subtree need no hash:
    // that subtree's root stands for them.
    let inner = inner_all - old_size.trailing_zeros();
    // Unless the old tree is itself perfect (its root, known to the
    // verifier, is that subtree), the proof starts with that subtree's root.
    let seed = u32::from(!old_size.is_power_of_two());
    (seed + inner + border) as usize
}

/// Recomputes the root that an inclusion proof leads to (RFC 9162 §2.1.3.2).
///
/// Useful when the root is to be looked up rather than compared; otherwise
/// use [`verify_inclusion`].
///
/// # Errors
///
/// [`VerifyError::IndexOutOfRange`] if `index >= size`,
/// [`VerifyError::WrongProofLength`] if the proof is too short or too long.
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, VerifyError> {
    // Step 1.
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    let wrong_length = VerifyError::WrongProofLength {
        expected,
        actual: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_length);
    }
    // Steps 2 and 3.
    let mut f = index;
    let mut s = size - 1;
    let mut r = *leaf_hash;
    // Step 4.
    for p in proof {
        // 4a. (Cannot happen after the length check; kept as in the RFC.)
        if s == 0 {
            return Err(wrong_length);
        }
        // 4b.
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        // 4c.
        f >>= 1;
        s >>= 1;
    }
    // Step 5, first half (the root comparison is the caller's).
    if s != 0 {
        return Err(wrong_length);
    }
    Ok(r)
}

/// Verifies that `leaf_hash` is the entry at `index` of the tree of `size`
/// leaves whose root is `root` (RFC 9162 §2.1.3.2).
///
/// Only as strong as the binding of `size` to `root`: the algorithm checks
/// the *shape* of the path, and some different sizes share a shape for the
/// same index (index 0 in trees of 5 and of 7 leaves both have three
/// right-hand siblings). Take `size` and `root` together from a verified
/// signed tree head, never from the party presenting the proof.
///
/// # Errors
///
/// Any [`VerifyError`] that applies: index out of range, wrong proof length,
/// or [`VerifyError::RootMismatch`].
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    let computed = root_from_inclusion_proof(leaf_hash, index, size, proof)?;
    if computed != *root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a
/// prefix of the tree of `new_size` leaves with root `new_root`
/// (RFC 9162 §2.1.4.2).
///
/// Cases outside the RFC's `0 < old_size < new_size`:
/// - `old_size == new_size`: the proof must be empty and the roots equal
///   (different roots are a fork, [`VerifyError::SameSizeDifferentRoots`]);
/// - `old_size == 0`: the proof must be empty and `old_root` must be
///   [`empty_root`] (so is `new_root` if `new_size` is 0 too).
///
/// # Errors
///
/// Any [`VerifyError`] that applies.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    if old_size > new_size {
        return Err(VerifyError::OldSizeTooLarge { old_size, new_size });
    }
    let wrong_length = |expected| VerifyError::WrongProofLength {
        expected,
        actual: proof.len(),
    };
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(wrong_length(0));
        }
        if old_size == 0 && *old_root != empty_root() {
            return Err(VerifyError::OldRootMismatch);
        }
        if old_size == new_size && old_root != new_root {
            return Err(if new_size == 0 {
                VerifyError::NewRootMismatch
            } else {
                VerifyError::SameSizeDifferentRoots { size: new_size }
            });
        }
        return Ok(());
    }

    // From here on 0 < old_size < new_size.
    // Step 1, sharpened: the proof must have exactly the required length.
    let expected = consistency_proof_len(old_size, new_size);
    if proof.len() != expected {
        return Err(wrong_length(expected));
    }
    // Step 2: a perfect old tree's root is the first element of the path.
    let (seed, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (first, rest),
            None => return Err(wrong_length(expected)),
        }
    };
    // Step 3.
    let mut f = old_size - 1;
    let mut s = new_size - 1;
    // Step 4.
    if f & 1 == 1 {
        while f & 1 == 1 {
            f >>= 1;
            s >>= 1;
        }
    }
    // Step 5.
    let mut fr = *seed;
    let mut sr = *seed;
    // Step 6.
    for c in rest {
        // 6a. (Cannot happen after the length check; kept as in the RFC.)
        if s == 0 {
            return Err(wrong_length(expected));
        }
        // 6b.
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        // 6c.
        f >>= 1;
        s >>= 1;
    }
    // Step 7.
    if s != 0 {
        return Err(wrong_length(expected));
    }
    if fr != *old_root {
        return Err(VerifyError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(VerifyError::NewRootMismatch);
    }
    Ok(())
}

/// Why a [`CompactTree`] could not be built or extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CompactTreeError {
    /// The number of subtree roots does not match the size: a tree of `size`
    /// leaves has one perfect subtree per bit set in `size`.
    #[error("a tree of {size} leaves has {expected} perfect subtrees, {actual} given")]
    WrongPeakCount {
        /// The claimed size.
        size: u64,
        /// `size.count_ones()`.
        expected: usize,
        /// Number of subtree roots given.
        actual: usize,
    },
    /// The tree already has `u64::MAX` leaves.
    #[error("the tree is full")]
    Full,
}

/// The state needed to append to the log and compute its root in
/// `O(log n)`: the roots of the perfect subtrees that make up the tree
/// (Trillian/transparency-dev call this a *compact range* `[0, size)`).
///
/// A tree of `size` leaves is the concatenation of perfect subtrees of
/// `2^k` leaves, one for each bit `k` set in `size`, largest (leftmost)
/// first; RFC 6962's root is those subtree roots folded from the right. The
/// store can keep one `CompactTree` in memory (or rebuild it with
/// [`CompactTree::from_leaves`] when it opens), append each new leaf hash and
/// sign [`CompactTree::root`] — and when verifying the whole log, walk the
/// leaves once with [`CompactTree::append`] and compare the root at every
/// signed size, instead of recomputing each root from scratch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactTree {
    size: u64,
    peaks: Vec<Hash>,
}

impl CompactTree {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the state from a stored size and its perfect-subtree roots
    /// (largest subtree first, as returned by [`CompactTree::peaks`]).
    ///
    /// # Errors
    ///
    /// [`CompactTreeError::WrongPeakCount`] unless
    /// `peaks.len() == size.count_ones()`.
    pub fn from_parts(size: u64, peaks: Vec<Hash>) -> Result<Self, CompactTreeError> {
        let expected = size.count_ones() as usize;
        if peaks.len() != expected {
            return Err(CompactTreeError::WrongPeakCount {
                size,
                expected,
                actual: peaks.len(),
            });
        }
        Ok(Self { size, peaks })
    }

    /// Builds the state for the tree of `leaves` (`n - popcount(n)` hashes).
    pub fn from_leaves(leaves: &[Hash]) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            // Cannot overflow: a slice has fewer than u64::MAX elements.
            let _ = tree.append(*leaf);
        }
        tree
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Roots of the perfect subtrees, largest (leftmost) first.
    pub fn peaks(&self) -> &[Hash] {
        &self.peaks
    }

    /// Appends one leaf hash and returns its index; at most `log2(n)` node
    /// hashes.
    ///
    /// # Errors
    ///
    /// [`CompactTreeError::Full`] if the tree already has `u64::MAX` leaves.
    pub fn append(&mut self, leaf_hash: Hash) -> Result<u64, CompactTreeError> {
        let index = self.size;
        let new_size = index.checked_add(1).ok_or(CompactTreeError::Full)?;
        // Each trailing one bit of the old size is a perfect subtree of the
        // same height as the one being carried: merge them, like binary
        // addition.
        let mut carry = leaf_hash;
        let mut bits = index;
        while bits & 1 == 1 {
            let Some(left) = self.peaks.pop() else {
                // Unreachable by the invariant peaks.len() == popcount(size).
                break;
            };
            carry = node_hash(&left, &carry);
            bits >>= 1;
        }
        self.peaks.push(carry);
        self.size = new_size;
        Ok(index)
    }

    /// The RFC 6962 root of the tree ([`empty_root`] when empty).
    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        match peaks.next() {
            None => empty_root(),
            Some(last) => peaks.fold(*last, |right, left| node_hash(left, &right)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_largest_power_of_two_below() {
        for n in 2..1000usize {
            let k = split(n);
            assert!(k.is_power_of_two() && k < n && 2 * k >= n, "n={n} k={k}");
        }
    }

    #[test]
    fn proof_lengths_match_generated_proofs() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for n in 1..=leaves.len() {
            let tree = &leaves[..n];
            for i in 0..n {
                let proof = inclusion_proof(tree, i as u64).unwrap();
                assert_eq!(proof.len(), inclusion_proof_len(i as u64, n as u64));
            }
            for m in 1..n {
                let proof = consistency_proof(tree, m as u64).unwrap();
                assert_eq!(proof.len(), consistency_proof_len(m as u64, n as u64));
            }
        }
    }

    #[test]
    fn compact_tree_matches_root() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = CompactTree::new();
        assert_eq!(tree.root(), root(&[]));
        for (i, leaf) in leaves.iter().enumerate() {
            assert_eq!(tree.append(*leaf), Ok(i as u64));
            assert_eq!(tree.root(), root(&leaves[..=i]));
            assert_eq!(tree.peaks().len(), tree.size().count_ones() as usize);
        }
    }

    #[test]
    fn full_tree_does_not_panic() {
        let mut tree = CompactTree::from_parts(u64::MAX, vec![[0; 32]; 64]).unwrap();
        assert_eq!(tree.append([1; 32]), Err(CompactTreeError::Full));
    }
}
