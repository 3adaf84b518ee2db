//! Signed tree heads and proof bundles: signatures bind every field, the
//! JSON forms round-trip, and malformed or forged documents are rejected
//! with a precise error, never a panic.

use ed25519_dalek::SigningKey;
use outbound_store::merkle::{self, Hash, VerifyError, leaf_hash, root};
use outbound_store::signed_head::{
    BUNDLE_VERSION, BundleError, ConsistencyBundle, HeadError, HeadRole, InclusionBundle, KeyError,
    KeyId, ProofBundle, STH_CONTEXT, SignedTreeHead, format_verifying_key, generate_signing_key,
    parse_verifying_key,
};

fn key() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

fn other_key() -> SigningKey {
    SigningKey::from_bytes(&[2; 32])
}

fn entries(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("entry {i}").into_bytes()).collect()
}

fn leaves(n: usize) -> Vec<Hash> {
    entries(n).iter().map(|e| leaf_hash(e)).collect()
}

fn head(leaves: &[Hash], size: u64, ts: u64) -> SignedTreeHead {
    SignedTreeHead::sign(&key(), size, root(&leaves[..size as usize]), ts)
}

const TS: u64 = 1_795_000_000_000;

/// A named change to a signed head.
type HeadMutation = (&'static str, Box<dyn Fn(&mut SignedTreeHead)>);
/// A named change to an inclusion bundle and the error it must cause.
type BundleCase = (&'static str, Box<dyn Fn(&mut InclusionBundle)>, BundleError);

#[test]
fn canonical_message_layout() {
    let h = head(&leaves(3), 3, TS);
    let m = h.message();
    assert_eq!(STH_CONTEXT, b"outbound-sth-v1\n");
    assert_eq!(&m[..16], STH_CONTEXT);
    assert_eq!(m[16..24], 3u64.to_be_bytes());
    assert_eq!(m[24..32], TS.to_be_bytes());
    assert_eq!(m[32..64], h.root);
    assert_eq!(m[64..96], KeyId::of(&key().verifying_key()).0);
    assert_eq!(
        h.time().unwrap().to_string(),
        jiff::Timestamp::from_millisecond(TS as i64)
            .unwrap()
            .to_string()
    );
}

#[test]
fn signature_binds_every_field() {
    let vk = key().verifying_key();
    let h = head(&leaves(5), 5, TS);
    assert_eq!(h.verify(&vk), Ok(()));

    // Another key: named in the head, so the error says which.
    assert_eq!(
        h.verify(&other_key().verifying_key()),
        Err(HeadError::UnknownKey {
            expected: KeyId::of(&other_key().verifying_key()),
            found: h.key_id,
        })
    );
    // Another key pretending to be ours.
    let mut forged = SignedTreeHead::sign(&other_key(), h.size, h.root, h.timestamp_ms);
    forged.key_id = h.key_id;
    assert_eq!(forged.verify(&vk), Err(HeadError::BadSignature));

    let mutations: Vec<HeadMutation> = vec![
        ("size + 1", Box::new(|h| h.size += 1)),
        ("size - 1", Box::new(|h| h.size -= 1)),
        ("size ^ 2", Box::new(|h| h.size ^= 2)),
        ("timestamp + 1", Box::new(|h| h.timestamp_ms += 1)),
        (
            "timestamp - 1 day",
            Box::new(|h| h.timestamp_ms -= 86_400_000),
        ),
        ("root bit", Box::new(|h| h.root[31] ^= 1)),
        (
            "root of another size",
            Box::new(|h| h.root = root(&leaves(4))),
        ),
        ("signature bit", Box::new(|h| h.signature[10] ^= 0x40)),
        ("signature s", Box::new(|h| h.signature[63] ^= 0x01)),
        ("all-zero signature", Box::new(|h| h.signature = [0; 64])),
    ];
    for (desc, mutate) in mutations {
        let mut bad = h.clone();
        mutate(&mut bad);
        assert_eq!(bad.verify(&vk), Err(HeadError::BadSignature), "{desc}");
    }
    let mut bad = h.clone();
    bad.key_id.0[0] ^= 1;
    assert!(matches!(bad.verify(&vk), Err(HeadError::UnknownKey { .. })));
}

#[test]
fn head_json_round_trip_and_malformed_input() {
    let h = head(&leaves(5), 5, TS);
    let json = serde_json::to_string(&h).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["size"], 5);
    assert_eq!(value["timestamp_ms"], TS);
    assert_eq!(value["root"], hex::encode(h.root));
    assert_eq!(value["signature"].as_str().unwrap().len(), 128);
    let back: SignedTreeHead = serde_json::from_str(&json).unwrap();
    assert_eq!(back, h);
    back.verify(&key().verifying_key()).unwrap();

    // Upper-case hex is accepted.
    let upper = json.replace(&hex::encode(h.root), &hex::encode_upper(h.root));
    assert_eq!(serde_json::from_str::<SignedTreeHead>(&upper).unwrap(), h);

    let set = |field: &str, v: serde_json::Value| {
        let mut x = value.clone();
        x[field] = v;
        x.to_string()
    };
    let bad = [
        set("root", "abcd".into()),
        set("root", format!("{}00", hex::encode(h.root)).into()),
        set("root", "zz".repeat(32).into()),
        set("root", "".into()),
        set("root", 5.into()),
        set("signature", hex::encode([0u8; 63]).into()),
        set("key_id", "".into()),
        set("size", (-1).into()),
        set("size", "5".into()),
        set("timestamp_ms", 1.5.into()),
        set("extra", true.into()),
        json.replace("\"size\":5,", ""),
        "{".to_string(),
        "null".to_string(),
        String::new(),
    ];
    for text in bad {
        assert!(
            serde_json::from_str::<SignedTreeHead>(&text).is_err(),
            "accepted {text}"
        );
    }
}

#[test]
fn inclusion_bundle() {
    let vk = key().verifying_key();
    let all = leaves(13);
    let entries = entries(13);
    let h = head(&all, 11, TS);
    for index in 0..11 {
        let b = InclusionBundle::build(&all, index, h.clone())
            .unwrap()
            .with_entry(entries[index as usize].clone());
        assert_eq!(b.version, BUNDLE_VERSION);
        assert_eq!(b.check(&vk), Ok(()));
        let doc = ProofBundle::Inclusion(b.clone());
        let json = doc.to_json();
        assert!(json.contains("\"type\": \"inclusion\""));
        let back = ProofBundle::from_json(&json).unwrap();
        assert_eq!(back, doc);
        assert_eq!(back.check(&vk), Ok(()));
    }

    let good = InclusionBundle::build(&all, 6, h.clone()).unwrap();
    assert_eq!(good.entry, None);
    assert!(
        !ProofBundle::Inclusion(good.clone())
            .to_json()
            .contains("entry")
    );
    let cases: Vec<BundleCase> = vec![
        (
            "wrong entry",
            Box::new(|b| b.entry = Some(b"entry 7".to_vec())),
            BundleError::EntryMismatch,
        ),
        (
            "version",
            Box::new(|b| b.version = 2),
            BundleError::UnsupportedVersion(2),
        ),
        (
            "tree size",
            Box::new(|b| b.tree_size = 13),
            BundleError::HeadMismatch { field: "tree_size" },
        ),
        (
            "root",
            Box::new(|b| b.root = root(&leaves(13))),
            BundleError::HeadMismatch { field: "root" },
        ),
        (
            "head size and tree size",
            Box::new(|b| {
                b.tree_size = 12;
                b.head.size = 12;
            }),
            BundleError::Head {
                role: HeadRole::Head,
                source: HeadError::BadSignature,
            },
        ),
        (
            "index",
            Box::new(|b| b.index = 7),
            BundleError::Inclusion(VerifyError::RootMismatch),
        ),
        (
            "index out of range",
            Box::new(|b| b.index = 11),
            BundleError::Inclusion(VerifyError::IndexOutOfRange {
                index: 11,
                size: 11,
            }),
        ),
        (
            "leaf hash",
            Box::new(|b| b.leaf_hash[0] ^= 1),
            BundleError::Inclusion(VerifyError::RootMismatch),
        ),
        (
            "path bit",
            Box::new(|b| b.path[2][5] ^= 4),
            BundleError::Inclusion(VerifyError::RootMismatch),
        ),
        (
            "path truncated",
            Box::new(|b| {
                b.path.pop();
            }),
            BundleError::Inclusion(VerifyError::WrongProofLength {
                expected: 4,
                actual: 3,
            }),
        ),
    ];
    for (desc, mutate, want) in cases {
        let mut b = good.clone();
        mutate(&mut b);
        assert_eq!(b.check(&vk), Err(want), "{desc}");
    }
    assert_eq!(
        good.check(&other_key().verifying_key()),
        Err(BundleError::Head {
            role: HeadRole::Head,
            source: HeadError::UnknownKey {
                expected: KeyId::of(&other_key().verifying_key()),
                found: h.key_id,
            },
        })
    );

    // Building refuses what would not check.
    assert!(matches!(
        InclusionBundle::build(&all[..10], 0, h.clone()),
        Err(BundleError::Build(_))
    ));
    assert!(matches!(
        InclusionBundle::build(&all, 11, h.clone()),
        Err(BundleError::Build(_))
    ));
    let mut other = all.clone();
    other[3] = leaf_hash(b"edited");
    assert_eq!(
        InclusionBundle::build(&other, 0, h),
        Err(BundleError::LeavesDisagree(HeadRole::Head))
    );
}

/// RFC 9162 inclusion verification cannot tell index 0 of a 5-leaf tree
/// from index 0 of a 7-leaf tree (same path shape), so the raw function
/// accepts the wrong size; a bundle cannot, because the size is signed
/// together with the root.
#[test]
fn tree_size_is_bound_by_the_signed_head() {
    let vk = key().verifying_key();
    let all = leaves(7);
    let h5 = head(&all, 5, TS);
    let b = InclusionBundle::build(&all, 0, h5).unwrap();
    assert_eq!(
        merkle::verify_inclusion(&b.leaf_hash, 0, 7, &b.path, &b.root),
        Ok(())
    );
    let mut claim7 = b.clone();
    claim7.tree_size = 7;
    assert_eq!(
        claim7.check(&vk),
        Err(BundleError::HeadMismatch { field: "tree_size" })
    );
    claim7.head.size = 7;
    assert!(matches!(
        claim7.check(&vk),
        Err(BundleError::Head {
            source: HeadError::BadSignature,
            ..
        })
    ));
}

#[test]
fn consistency_bundle() {
    let vk = key().verifying_key();
    let all = leaves(20);
    for (old, new) in [(0, 20), (1, 20), (7, 13), (8, 16), (13, 13), (19, 20)] {
        let b =
            ConsistencyBundle::build(&all, head(&all, old, TS), head(&all, new, TS + 1)).unwrap();
        assert_eq!(b.check(&vk), Ok(()), "{old} -> {new}");
        let doc = ProofBundle::Consistency(b);
        let back = ProofBundle::from_json(&doc.to_json()).unwrap();
        assert_eq!(back, doc);
        assert_eq!(back.check(&vk), Ok(()));
    }

    let good = ConsistencyBundle::build(&all, head(&all, 7, TS), head(&all, 13, TS + 1)).unwrap();
    let mut b = good.clone();
    std::mem::swap(&mut b.old_head, &mut b.new_head);
    assert_eq!(
        b.check(&vk),
        Err(BundleError::Consistency(VerifyError::OldSizeTooLarge {
            old_size: 13,
            new_size: 7
        }))
    );
    let mut b = good.clone();
    b.path[1][0] ^= 0x80;
    assert!(matches!(b.check(&vk), Err(BundleError::Consistency(_))));
    let mut b = good.clone();
    b.new_head.timestamp_ms += 1;
    assert_eq!(
        b.check(&vk),
        Err(BundleError::Head {
            role: HeadRole::New,
            source: HeadError::BadSignature
        })
    );
    let mut b = good.clone();
    b.old_head.root[0] ^= 1;
    assert_eq!(
        b.check(&vk),
        Err(BundleError::Head {
            role: HeadRole::Old,
            source: HeadError::BadSignature
        })
    );
    let mut b = good.clone();
    b.version = 0;
    assert_eq!(b.check(&vk), Err(BundleError::UnsupportedVersion(0)));

    // A fork: two validly signed heads of the same size, different roots.
    let mut forked = all.clone();
    forked[12] = leaf_hash(b"rewritten");
    let fork = ConsistencyBundle {
        version: BUNDLE_VERSION,
        old_head: head(&all, 13, TS),
        new_head: head(&forked, 13, TS + 5),
        path: vec![],
    };
    assert_eq!(
        fork.check(&vk),
        Err(BundleError::Consistency(
            VerifyError::SameSizeDifferentRoots { size: 13 }
        ))
    );
}

#[test]
fn malformed_bundles_are_errors() {
    let all = leaves(9);
    let h = head(&all, 9, TS);
    let good = ProofBundle::Inclusion(InclusionBundle::build(&all, 4, h).unwrap()).to_json();
    let value: serde_json::Value = serde_json::from_str(&good).unwrap();
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = value.clone();
        f(&mut v);
        v.to_string()
    };
    let bad = [
        with(&|v| v["type"] = "exclusion".into()),
        with(&|v| {
            v.as_object_mut().unwrap().remove("type");
        }),
        with(&|v| v["path"][0] = "".into()),
        with(&|v| v["path"][1] = "00".into()),
        with(&|v| v["path"] = "deadbeef".into()),
        with(&|v| v["leaf_hash"] = "xyz".into()),
        with(&|v| v["entry"] = "abc".into()),
        with(&|v| v["index"] = (-3).into()),
        with(&|v| v["head"]["signature"] = "00".into()),
        with(&|v| v["head"]["bogus"] = 1.into()),
        with(&|v| v["bogus"] = 1.into()),
        with(&|v| {
            v.as_object_mut().unwrap().remove("root");
        }),
        "[]".into(),
        "{\"type\":\"consistency\"}".into(),
        "\u{0}".into(),
    ];
    for text in bad {
        assert!(
            matches!(
                ProofBundle::from_json(&text),
                Err(BundleError::Malformed(_))
            ),
            "accepted {text}"
        );
    }
    // A huge but well-formed path is an error, not a panic.
    let long = with(&|v| v["path"] = vec![hex::encode([0u8; 32]); 500].into());
    let b = ProofBundle::from_json(&long).unwrap();
    assert!(matches!(
        b.check(&key().verifying_key()),
        Err(BundleError::Inclusion(VerifyError::WrongProofLength { .. }))
    ));
}

#[test]
fn keys() {
    let a = generate_signing_key().unwrap();
    let b = generate_signing_key().unwrap();
    assert_ne!(a.to_bytes(), b.to_bytes());
    let vk = a.verifying_key();
    let text = format!("{}\n", format_verifying_key(&vk));
    assert_eq!(parse_verifying_key(&text), Ok(vk));
    assert_eq!(parse_verifying_key("xyz"), Err(KeyError::NotHex));
    assert_eq!(parse_verifying_key("abcd"), Err(KeyError::WrongLength(2)));
    assert_eq!(parse_verifying_key(""), Err(KeyError::WrongLength(0)));
    let head = SignedTreeHead::sign(&a, 0, merkle::empty_root(), TS);
    assert_eq!(head.verify(&vk), Ok(()));
    assert_eq!(KeyId::of(&vk).to_string().len(), 64);
}
