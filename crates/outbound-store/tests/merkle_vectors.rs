//! Published RFC 6962 test vectors, checked against `outbound_store::merkle`.
//!
//! Source: the transparency-dev project, repository `transparency-dev/merkle`
//! (Apache-2.0), Go test data re-typed here as Rust:
//!
//! - `testonly/constants.go`: the eight leaf inputs, the hashes of every
//!   perfect subtree of the 8-leaf tree (`NodeHashes`), the roots of the trees
//!   of sizes 0 to 8 (`RootHashes`) and their compact ranges (`CompactTrees`);
//! - `proof/verify_test.go`: inclusion and consistency proofs with their
//!   expected hashes (`inclusionProofs`, `consistencyProofs`; leaf numbers in
//!   `inclusionProofs` are 1-based there and 0-based here), the corruption
//!   probes each of them must fail (`corruptInclusionProof`,
//!   `corruptConsistencyProof`) and the edge-case tables of
//!   `TestVerifyInclusion` and `TestVerifyConsistency`;
//! - `proof/proof_test.go`: which tree nodes make up each inclusion and
//!   consistency proof (`TestInclusion`, `TestConsistency`), for every case
//!   that fits in the 8-leaf tree;
//! - `rfc6962/rfc6962_test.go`: the hasher vectors (`TestRFC6962Hasher`).

use outbound_store::merkle::{
    self, CompactTree, Hash, ProofError, VerifyError, consistency_proof, empty_root,
    inclusion_proof, leaf_hash, node_hash, root, verify_consistency, verify_inclusion,
};

fn h(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

/// `LeafInputs()` of `testonly/constants.go`.
pub(crate) const LEAF_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// `NodeHashes()` of `testonly/constants.go`: level, then index in level.
const NODE_HASHES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

/// `RootHashes()` of `testonly/constants.go`, indexed by tree size.
pub(crate) const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// `sha256SomeHash` of `proof/verify_test.go`.
const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

/// (0-based leaf index, tree size, proof): `inclusionProofs` of
/// `proof/verify_test.go` without its degenerate first two entries.
const INCLUSION_PROOFS: [(u64, u64, &[&str]); 4] = [
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, proof): `consistencyProofs` of
/// `proof/verify_test.go`.
const CONSISTENCY_PROOFS: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

/// A named inclusion probe: index, size, root, leaf hash, proof.
type InclusionProbe = (&'static str, u64, u64, Hash, Hash, Vec<Hash>);
/// A named consistency probe: old size, new size, old root, new root, proof.
type ConsistencyProbe = (&'static str, u64, u64, Hash, Hash, Vec<Hash>);

fn leaves() -> Vec<Hash> {
    LEAF_INPUTS
        .iter()
        .map(|s| leaf_hash(&hex::decode(s).unwrap()))
        .collect()
}

fn roots() -> Vec<Hash> {
    ROOTS.iter().map(|s| h(s)).collect()
}

/// `compact.NewNodeID(level, index)` of the 8-leaf tree, as its hash.
fn id(level: usize, index: usize) -> Hash {
    h(NODE_HASHES[level][index])
}

fn hashes(list: &[&str]) -> Vec<Hash> {
    list.iter().map(|s| h(s)).collect()
}

#[test]
fn hasher_vectors() {
    // TestRFC6962Hasher. (Its "RFC6962 Node" case hashes two 4-byte
    // strings; `node_hash` only takes 32-byte hashes, and the node hashes
    // below cover it.)
    assert_eq!(empty_root(), h(ROOTS[0]));
    assert_eq!(
        leaf_hash(b""),
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    );
    assert_eq!(
        leaf_hash(b"L123456"),
        h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    );
    assert_eq!(merkle::LEAF_PREFIX, 0);
    assert_eq!(merkle::NODE_PREFIX, 1);
}

#[test]
fn leaf_and_node_hashes() {
    let leaves = leaves();
    for (level, nodes) in NODE_HASHES.iter().enumerate() {
        let width = 1 << level;
        for (i, want) in nodes.iter().enumerate() {
            assert_eq!(
                root(&leaves[i * width..(i + 1) * width]),
                h(want),
                "level {level} index {i}"
            );
            if level > 0 {
                assert_eq!(
                    node_hash(&id(level - 1, 2 * i), &id(level - 1, 2 * i + 1)),
                    h(want)
                );
            }
        }
    }
}

#[test]
fn roots_for_every_size() {
    let leaves = leaves();
    let roots = roots();
    let mut compact = CompactTree::new();
    for size in 0..=8 {
        assert_eq!(root(&leaves[..size]), roots[size], "size {size}");
        assert_eq!(compact.root(), roots[size], "compact size {size}");
        if size < 8 {
            compact.append(leaves[size]).unwrap();
        }
    }
}

#[test]
fn compact_ranges() {
    // CompactTrees() of testonly/constants.go.
    let want: [Vec<Hash>; 9] = [
        vec![],
        vec![id(0, 0)],
        vec![id(1, 0)],
        vec![id(1, 0), id(0, 2)],
        vec![id(2, 0)],
        vec![id(2, 0), id(0, 4)],
        vec![id(2, 0), id(1, 2)],
        vec![id(2, 0), id(1, 2), id(0, 6)],
        vec![id(3, 0)],
    ];
    let leaves = leaves();
    for (size, peaks) in want.iter().enumerate() {
        let tree = CompactTree::from_leaves(&leaves[..size]);
        assert_eq!(tree.peaks(), peaks.as_slice(), "size {size}");
        let rebuilt = CompactTree::from_parts(size as u64, peaks.clone()).unwrap();
        assert_eq!(rebuilt.root(), roots()[size]);
    }
}

/// The probes of `corruptInclusionProof` that our typed API can express
/// (a zero-length "garbage" hash cannot be a `Hash`; the JSON tests cover
/// it), each of which must be rejected.
fn corrupt_inclusion(index: u64, size: u64, proof: &[Hash], root: Hash, leaf: Hash) {
    let some = h(SOME_HASH);
    let mut probes: Vec<InclusionProbe> = vec![
        (
            "index - 1",
            index.wrapping_sub(1),
            size,
            root,
            leaf,
            proof.to_vec(),
        ),
        ("index + 1", index + 1, size, root, leaf, proof.to_vec()),
        ("index ^ 2", index ^ 2, size, root, leaf, proof.to_vec()),
        ("size * 2", index, size * 2, root, leaf, proof.to_vec()),
        ("size / 2", index, size / 2, root, leaf, proof.to_vec()),
        (
            "wrong leaf",
            index,
            size,
            root,
            leaf_hash(b"WrongLeaf"),
            proof.to_vec(),
        ),
        (
            "empty root",
            index,
            size,
            empty_root(),
            leaf,
            proof.to_vec(),
        ),
        ("random root", index, size, some, leaf, proof.to_vec()),
        (
            "trailing root",
            index,
            size,
            root,
            leaf,
            [proof, &[root]].concat(),
        ),
        (
            "preceding root",
            index,
            size,
            root,
            leaf,
            [&[root], proof].concat(),
        ),
    ];
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 8;
        probes.push(("modified proof bit 3", index, size, root, leaf, p));
    }
    if !proof.is_empty() {
        probes.push((
            "removed component",
            index,
            size,
            root,
            leaf,
            proof[..proof.len() - 1].to_vec(),
        ));
    }
    if proof.len() > 1 {
        let p = [&[proof[0], some], &proof[1..]].concat();
        probes.push(("inserted component", index, size, root, leaf, p));
    }
    for (desc, index, size, root, leaf, proof) in probes {
        assert!(
            verify_inclusion(&leaf, index, size, &proof, &root).is_err(),
            "{desc} verified"
        );
    }
}

#[test]
fn inclusion_proofs() {
    let leaves = leaves();
    let roots = roots();
    for (index, size, want) in INCLUSION_PROOFS {
        let want = hashes(want);
        let tree = &leaves[..size as usize];
        assert_eq!(
            inclusion_proof(tree, index).unwrap(),
            want,
            "{index} in {size}"
        );
        let root = roots[size as usize];
        let leaf = leaves[index as usize];
        assert_eq!(
            merkle::root_from_inclusion_proof(&leaf, index, size, &want),
            Ok(root)
        );
        verify_inclusion(&leaf, index, size, &want, &root).unwrap();
        corrupt_inclusion(index, size, &want, root, leaf);
    }
}

#[test]
fn inclusion_edge_cases() {
    // TestVerifyInclusionSingleEntry: root and leaf hash of a 1-entry tree
    // are the same and the proof is empty.
    let one = leaf_hash(b"data");
    verify_inclusion(&one, 0, 1, &[], &one).unwrap();
    assert_eq!(
        verify_inclusion(&one, 0, 1, &[], &empty_root()),
        Err(VerifyError::RootMismatch)
    );
    // TestVerifyInclusion: impossible index/size pairs never verify.
    let some = h(SOME_HASH);
    for (index, size) in [(0, 0), (0, 1), (1, 0), (2, 1)] {
        for (leaf, root) in [(some, empty_root()), (empty_root(), some), (some, some)] {
            if index == 0 && size == 1 && leaf == root {
                continue; // A valid 1-entry tree.
            }
            assert!(verify_inclusion(&leaf, index, size, &[], &root).is_err());
        }
    }
    // The inclusion proof of the only leaf is empty; for an empty tree
    // there is none.
    assert_eq!(inclusion_proof(&leaves()[..1], 0), Ok(vec![]));
    assert_eq!(
        inclusion_proof(&[], 0),
        Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(
        inclusion_proof(&leaves()[..7], 8),
        Err(ProofError::IndexOutOfRange { index: 8, size: 7 })
    );
}

/// The probes of `corruptConsistencyProof` expressible with typed hashes.
fn corrupt_consistency(old: u64, new: u64, r1: Hash, r2: Hash, proof: &[Hash]) {
    let wrong = leaf_hash(b"WrongRoot");
    let mut probes: Vec<ConsistencyProbe> = vec![
        ("size1 - 1", old - 1, new, r1, r2, proof.to_vec()),
        ("size1 + 1", old + 1, new, r1, r2, proof.to_vec()),
        ("size1 ^ 2", old ^ 2, new, r1, r2, proof.to_vec()),
        ("size2 * 2", old, new * 2, r1, r2, proof.to_vec()),
        ("size2 / 2", old, new / 2, r1, r2, proof.to_vec()),
        ("wrong root1", old, new, wrong, r2, proof.to_vec()),
        ("wrong root2", old, new, r1, wrong, proof.to_vec()),
        ("swapped roots", old, new, r2, r1, proof.to_vec()),
        ("empty proof", old, new, r1, r2, vec![]),
        ("trailing root1", old, new, r1, r2, [proof, &[r1]].concat()),
        ("trailing root2", old, new, r1, r2, [proof, &[r2]].concat()),
        ("preceding root1", old, new, r1, r2, [&[r1], proof].concat()),
        ("preceding root2", old, new, r1, r2, [&[r2], proof].concat()),
        (
            "preceding proof[0]",
            old,
            new,
            r1,
            r2,
            [&[proof[0]], proof].concat(),
        ),
        (
            "truncated proof",
            old,
            new,
            r1,
            r2,
            proof[..proof.len() - 1].to_vec(),
        ),
    ];
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 16;
        probes.push(("modified proof bit 4", old, new, r1, r2, p));
    }
    for (desc, old, new, r1, r2, proof) in probes {
        assert!(
            verify_consistency(old, new, &r1, &r2, &proof).is_err(),
            "{desc} verified ({old} -> {new})"
        );
    }
}

#[test]
fn consistency_proofs() {
    let leaves = leaves();
    let roots = roots();
    for (old, new, want) in CONSISTENCY_PROOFS {
        let want = hashes(want);
        let tree = &leaves[..new as usize];
        assert_eq!(
            consistency_proof(tree, old).unwrap(),
            want,
            "{old} -> {new}"
        );
        let (r1, r2) = (roots[old as usize], roots[new as usize]);
        verify_consistency(old, new, &r1, &r2, &want).unwrap();
        if !want.is_empty() {
            corrupt_consistency(old, new, r1, r2, &want);
        }
    }
}

#[test]
fn consistency_edge_cases() {
    // TestVerifyConsistency, with one deliberate difference: the old root
    // of an empty tree must be SHA-256("") here, where the Go code does not
    // look at it.
    let e = empty_root();
    let (r1, r2) = (leaf_hash(b"don't care 1"), leaf_hash(b"don't care 2"));
    let cases: [(u64, u64, Hash, Hash, Vec<Hash>, bool); 13] = [
        (0, 0, r1, r2, vec![], false),
        (1, 1, r1, r2, vec![], false),
        (0, 0, e, e, vec![], true),
        (0, 1, e, r2, vec![], true),
        (1, 1, r2, r2, vec![], true),
        (1, 0, r1, r2, vec![], false),
        (2, 1, r1, r2, vec![], false),
        (1, 2, r1, r2, vec![], false),
        (0, 0, e, r2, vec![], false),
        (1, 1, e, r2, vec![], false),
        (0, 0, e, e, vec![e], false),
        (0, 1, e, e, vec![e], false),
        (1, 1, e, e, vec![e], false),
    ];
    for (old, new, r1, r2, proof, ok) in cases {
        assert_eq!(
            verify_consistency(old, new, &r1, &r2, &proof).is_ok(),
            ok,
            "{old} -> {new}"
        );
    }
    assert_eq!(
        verify_consistency(1, 1, &r1, &r2, &[]),
        Err(VerifyError::SameSizeDifferentRoots { size: 1 })
    );
    assert_eq!(
        verify_consistency(0, 1, &r1, &r2, &[]),
        Err(VerifyError::OldRootMismatch)
    );
    assert_eq!(
        consistency_proof(&leaves()[..8], 9),
        Err(ProofError::OldSizeTooLarge {
            old_size: 9,
            size: 8
        })
    );
    assert_eq!(consistency_proof(&leaves()[..8], 0), Ok(vec![]));
}

#[test]
fn inclusion_proof_nodes() {
    // TestInclusion of proof/proof_test.go, the cases within the 8-leaf
    // tree. Node (level, index) there is `id(level, index)` here; "rehash"
    // cases, where the tree's right border is incomplete, combine two nodes.
    let leaves = leaves();
    let l7 = node_hash(&id(1, 2), &id(0, 6)); // l = hash(i, j) in the size-7 tree.
    let cases: Vec<(u64, u64, Vec<Hash>)> = vec![
        (1, 0, vec![]),
        (2, 0, vec![id(0, 1)]),
        (2, 1, vec![id(0, 0)]),
        (3, 1, vec![id(0, 0), id(0, 2)]),
        (7, 0, vec![id(0, 1), id(1, 1), l7]),
        (7, 1, vec![id(0, 0), id(1, 1), l7]),
        (7, 2, vec![id(0, 3), id(1, 0), l7]),
        (7, 3, vec![id(0, 2), id(1, 0), l7]),
        (7, 4, vec![id(0, 5), id(0, 6), id(2, 0)]),
        (7, 5, vec![id(0, 4), id(0, 6), id(2, 0)]),
        (7, 6, vec![id(1, 2), id(2, 0)]),
        (4, 2, vec![id(0, 3), id(1, 0)]),
        (5, 3, vec![id(0, 2), id(1, 0), id(0, 4)]),
        (6, 3, vec![id(0, 2), id(1, 0), id(1, 2)]),
        (6, 4, vec![id(0, 5), id(2, 0)]),
    ];
    for (size, index, want) in cases {
        let tree = &leaves[..size as usize];
        assert_eq!(
            inclusion_proof(tree, index).unwrap(),
            want,
            "{index} in {size}"
        );
        verify_inclusion(
            &leaves[index as usize],
            index,
            size,
            &want,
            &roots()[size as usize],
        )
        .unwrap();
    }
    // Error cases of the same table.
    for (size, index) in [(0u64, 0u64), (0, 1), (1, 2), (0, 3), (7, 8)] {
        assert!(inclusion_proof(&leaves[..size as usize], index).is_err());
    }
}

#[test]
fn consistency_proof_nodes() {
    // TestConsistency of proof/proof_test.go, the cases within the 8-leaf
    // tree.
    let leaves = leaves();
    let l7 = node_hash(&id(1, 2), &id(0, 6));
    let cases: Vec<(u64, u64, Vec<Hash>)> = vec![
        (1, 2, vec![id(0, 1)]),
        (1, 4, vec![id(0, 1), id(1, 1)]),
        (1, 6, vec![id(0, 1), id(1, 1), id(1, 2)]),
        (2, 3, vec![id(0, 2)]),
        (2, 8, vec![id(1, 1), id(2, 1)]),
        (3, 7, vec![id(0, 2), id(0, 3), id(1, 0), l7]),
        (4, 7, vec![l7]),
        (5, 7, vec![id(0, 4), id(0, 5), id(0, 6), id(2, 0)]),
        (6, 7, vec![id(1, 2), id(0, 6), id(2, 0)]),
        (7, 8, vec![id(0, 6), id(0, 7), id(1, 2), id(2, 0)]),
        (2, 4, vec![id(1, 1)]),
        (3, 5, vec![id(0, 2), id(0, 3), id(1, 0), id(0, 4)]),
        (3, 6, vec![id(0, 2), id(0, 3), id(1, 0), id(1, 2)]),
        (4, 6, vec![id(1, 2)]),
        (1, 7, vec![id(0, 1), id(1, 1), l7]),
    ];
    let roots = roots();
    for (old, new, want) in cases {
        let tree = &leaves[..new as usize];
        assert_eq!(
            consistency_proof(tree, old).unwrap(),
            want,
            "{old} -> {new}"
        );
        verify_consistency(old, new, &roots[old as usize], &roots[new as usize], &want).unwrap();
    }
    for size in 1..=8u64 {
        assert_eq!(
            consistency_proof(&leaves[..size as usize], size),
            Ok(vec![])
        );
    }
    // Error cases of the same table.
    assert!(consistency_proof(&leaves[..0], 5).is_err());
    assert!(consistency_proof(&leaves[..8], 9).is_err());
}
