//! Tampering with a stored log is detected: editing, deleting, reordering
//! or inserting any entry changes the root, and breaks consistency with
//! every signed head issued after the entry was logged.

use ed25519_dalek::SigningKey;
use outbound_store::merkle::{
    CompactTree, Hash, VerifyError, consistency_proof, leaf_hash, root, verify_consistency,
};
use outbound_store::signed_head::{BundleError, ConsistencyBundle, HeadRole, SignedTreeHead};

const N: usize = 37;
/// Sizes at which the operator signed a head.
const HEAD_SIZES: [u64; 6] = [1, 5, 8, 16, 30, N as u64];

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn entries() -> Vec<Vec<u8>> {
    (0..N)
        .map(|i| format!("{{\"batch\":{i},\"sha256\":\"…\"}}").into_bytes())
        .collect()
}

fn leaves_of(entries: &[Vec<u8>]) -> Vec<Hash> {
    entries.iter().map(|e| leaf_hash(e)).collect()
}

fn heads(leaves: &[Hash]) -> Vec<SignedTreeHead> {
    HEAD_SIZES
        .iter()
        .map(|&s| SignedTreeHead::sign(&key(), s, root(&leaves[..s as usize]), 1_000 * s))
        .collect()
}

/// What `outbound audit verify` does: one pass over the stored leaves with a
/// compact tree, comparing the root at every signed size. Returns the sizes
/// of the heads that do not match.
fn audit(leaves: &[Hash], heads: &[SignedTreeHead]) -> Vec<u64> {
    let mut bad = Vec::new();
    let mut tree = CompactTree::new();
    let mut next = 0;
    for head in heads {
        while tree.size() < head.size && next < leaves.len() {
            tree.append(leaves[next]).unwrap();
            next += 1;
        }
        if tree.size() != head.size || tree.root() != head.root {
            bad.push(head.size);
        }
    }
    bad
}

#[derive(Debug, Clone, Copy)]
enum Tamper {
    Edit,
    Delete,
    SwapWithNext,
    InsertBefore,
}

fn tamper(entries: &[Vec<u8>], how: Tamper, j: usize) -> Vec<Vec<u8>> {
    let mut e = entries.to_vec();
    match how {
        Tamper::Edit => e[j].push(b' '),
        Tamper::Delete => {
            e.remove(j);
        }
        Tamper::SwapWithNext => e.swap(j, j + 1),
        Tamper::InsertBefore => e.insert(j, b"{\"forged\":true}".to_vec()),
    }
    e
}

#[test]
fn honest_log_passes_audit() {
    let leaves = leaves_of(&entries());
    assert!(audit(&leaves, &heads(&leaves)).is_empty());
}

#[test]
fn every_tampering_is_detected_by_the_heads_after_it() {
    let entries = entries();
    let leaves = leaves_of(&entries);
    let heads = heads(&leaves);
    let new_head = heads.last().unwrap();
    for how in [
        Tamper::Edit,
        Tamper::Delete,
        Tamper::SwapWithNext,
        Tamper::InsertBefore,
    ] {
        let positions = match how {
            Tamper::SwapWithNext => 0..N - 1,
            _ => 0..N,
        };
        for j in positions {
            let forged = leaves_of(&tamper(&entries, how, j));
            let n2 = forged.len() as u64;

            // The root of the whole log changes.
            assert_ne!(root(&forged), new_head.root, "{how:?} at {j}");

            // Exactly the heads signed after entry j was logged no longer
            // match: the earlier ones still do, which pinpoints the change.
            let flagged = audit(&forged, &heads);
            let want: Vec<u64> = HEAD_SIZES
                .iter()
                .copied()
                .filter(|&s| s > j as u64)
                .collect();
            assert_eq!(flagged, want, "{how:?} at {j}");

            // An operator who re-signs the forged log cannot prove it
            // consistent with any earlier head that covered entry j.
            let forged_head = SignedTreeHead::sign(&key(), n2, root(&forged), 99_000);
            for old in heads.iter().filter(|h| h.size > j as u64 && h.size <= n2) {
                let proof = consistency_proof(&forged, old.size).unwrap();
                // (When the old size is a power of two, the old root seeds
                // the computation and the mismatch shows on the new root; at
                // equal sizes it is a fork.)
                let result = verify_consistency(old.size, n2, &old.root, &forged_head.root, &proof);
                assert!(
                    matches!(
                        result,
                        Err(VerifyError::OldRootMismatch
                            | VerifyError::NewRootMismatch
                            | VerifyError::SameSizeDifferentRoots { .. })
                    ),
                    "{how:?} at {j}, old head {}: {result:?}",
                    old.size
                );
                assert_eq!(
                    ConsistencyBundle::build(&forged, old.clone(), forged_head.clone()),
                    Err(BundleError::LeavesDisagree(HeadRole::Old))
                );
            }
            // And not with a head of the same size either: that is a fork.
            if n2 == new_head.size {
                assert_eq!(
                    verify_consistency(n2, n2, &new_head.root, &forged_head.root, &[]),
                    Err(VerifyError::SameSizeDifferentRoots { size: n2 })
                );
            }
        }
    }
}

#[test]
fn truncation_is_detected() {
    let leaves = leaves_of(&entries());
    let heads = heads(&leaves);
    for keep in 0..N {
        let flagged = audit(&leaves[..keep], &heads);
        let want: Vec<u64> = HEAD_SIZES
            .iter()
            .copied()
            .filter(|&s| s > keep as u64)
            .collect();
        assert_eq!(flagged, want, "kept {keep}");
    }
}
