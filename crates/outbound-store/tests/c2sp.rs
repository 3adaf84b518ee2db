//! C2SP checkpoints and tiles: the signed-note vectors published with Go's
//! `golang.org/x/mod/sumdb/note`, the RFC 6962 vectors, and trees rebuilt
//! from tiles alone (the way a tile client does) against the store's root.

use ed25519_dalek::SigningKey;
use outbound_store::c2sp::{
    BadTilePath, Checkpoint, NoteError, Tile, TileKind, base64_decode, default_origin,
    entry_bundle, hash_tile, open_note, sign_note, verifier_key,
};
use outbound_store::merkle::{Hash, leaf_hash, node_hash, root};
use outbound_store::{Keys, Store, StoreError};

use crate::merkle_vectors::{LEAF_INPUTS, ROOTS};
use crate::store::{fresh, tamper};

/// From `golang.org/x/mod/sumdb/note` (`note.go`, `example_test.go`, BSD-3-Clause).
const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_SIGNED: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

fn go_key() -> SigningKey {
    let b = base64_decode(GO_SKEY.splitn(5, '+').last().unwrap()).unwrap();
    assert_eq!(b[0], 1);
    SigningKey::from_bytes(b[1..].try_into().unwrap())
}

#[test]
fn notes_match_the_go_vectors() {
    let k = go_key();
    assert_eq!(verifier_key("PeterNeumann", &k.verifying_key()), GO_VKEY);
    assert_eq!(sign_note("PeterNeumann", &k, GO_TEXT), GO_SIGNED);
    assert_eq!(
        open_note(GO_SIGNED, GO_VKEY).unwrap(),
        ("PeterNeumann", GO_TEXT)
    );
    let altered = GO_SIGNED.replace("cryptography", "cryptographY");
    assert_eq!(open_note(&altered, GO_VKEY), Err(NoteError::BadSignature));
    // Another key's verifier finds no signature of its own.
    let other = SigningKey::from_bytes(&[7; 32]);
    let vk = verifier_key("PeterNeumann", &other.verifying_key());
    assert_eq!(open_note(GO_SIGNED, &vk), Err(NoteError::UnknownKey));
    // A verifier key whose id does not match its name and key.
    let bad = GO_VKEY.replace("c74f20a3", "c74f20a4");
    assert!(matches!(
        open_note(GO_SIGNED, &bad),
        Err(NoteError::BadVerifierKey(_))
    ));
}

#[test]
fn a_checkpoint_opens_and_a_changed_byte_does_not() {
    let k = SigningKey::from_bytes(&[3; 32]);
    let origin = default_origin(&k.verifying_key());
    assert!(origin.starts_with("outbound.invalid/audit/"));
    let cp = Checkpoint {
        origin: origin.clone(),
        size: 8,
        root: hex::decode(ROOTS[8]).unwrap().try_into().unwrap(),
    };
    let note = cp.sign(&k);
    let vk = verifier_key(&origin, &k.verifying_key());
    assert_eq!(Checkpoint::open(&note, &vk).unwrap(), cp);
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[0], origin);
    assert_eq!(lines[1], "8");
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with(&format!("\u{2014} {origin} ")));
    // One byte of the root changed, re-encoded: the signature no longer holds.
    let mut root = cp.root;
    root[0] ^= 1;
    let forged = note.replace(lines[2], &outbound_store::c2sp::base64_encode(&root));
    assert_eq!(Checkpoint::open(&forged, &vk), Err(NoteError::BadSignature));
    let bigger = note.replacen("\n8\n", "\n9\n", 1);
    assert_eq!(Checkpoint::open(&bigger, &vk), Err(NoteError::BadSignature));
    // A verifier key whose base64 holds a `+` (the name and id are split off first).
    let k = (0u8..)
        .map(|i| SigningKey::from_bytes(&[i; 32]))
        .find(|k| verifier_key("o", &k.verifying_key()).matches('+').count() > 2)
        .unwrap();
    let cp = Checkpoint {
        origin: "o".into(),
        ..cp
    };
    let vk = verifier_key("o", &k.verifying_key());
    assert_eq!(Checkpoint::open(&cp.sign(&k), &vk).unwrap(), cp);
}

#[test]
fn tile_paths_are_parsed_strictly() {
    for (path, kind, n, partial) in [
        ("0/000", TileKind::Hashes(0), 0, None),
        ("0/001.p/44", TileKind::Hashes(0), 1, Some(44)),
        ("63/x001/x234/067", TileKind::Hashes(63), 1_234_067, None),
        ("1/x001/000.p/255", TileKind::Hashes(1), 1000, Some(255)),
        ("entries/067", TileKind::Entries, 67, None),
        ("entries/x123/456.p/1", TileKind::Entries, 123_456, Some(1)),
    ] {
        let t = Tile::parse(path).unwrap();
        assert_eq!(t, Tile { kind, n, partial }, "{path}");
        assert_eq!(t.path(), format!("tile/{path}"));
    }
    for bad in [
        "",
        "0",
        "00/000",
        "01/000",
        "64/000",
        "-1/000",
        "0/0",
        "0/0000",
        "0/x000/001",
        "0/001/002",
        "0/x1/002",
        "0/001.p/0",
        "0/001.p/256",
        "0/001.p/044",
        "0/001.p/",
        "0/001.p",
        "0/.p/1",
        "data/000",
        "entries/",
        "0/000/",
        "0/x018/x446/x744/x073/x709/x551/616",
        "0/abc",
        "0/+12",
        "0/001.p/1/2",
    ] {
        assert_eq!(Tile::parse(bad), Err(BadTilePath), "{bad:?}");
    }
}

fn tile(s: &str) -> Tile {
    Tile::parse(s).unwrap()
}

#[test]
fn tiles_exist_only_as_the_tree_gives_them() {
    let cases: &[(u64, &str, Option<u64>)] = &[
        (0, "0/000.p/1", None),
        (255, "0/000.p/255", Some(255)),
        (255, "0/000", None),
        (255, "1/000.p/1", None),
        (256, "0/000", Some(256)),
        (256, "0/000.p/255", None),
        (256, "0/001.p/1", None),
        (256, "1/000.p/1", Some(1)),
        (300, "0/001.p/44", Some(44)),
        (300, "0/001.p/43", None),
        (300, "0/001", None),
        (300, "entries/001.p/44", Some(44)),
        (300, "entries/000", Some(256)),
        (300, "entries/002.p/1", None),
        (65_536, "1/000", Some(256)),
        (65_536, "2/000.p/1", Some(1)),
        (u64::MAX, "7/000.p/255", Some(255)),
        (u64::MAX, "8/000.p/1", None),
        (u64::MAX, "63/000.p/1", None),
        (u64::MAX, "entries/x018/x446/x744/x073/x709/x551/615", None),
    ];
    for &(size, path, w) in cases {
        assert_eq!(tile(path).width_in(size), w, "{path} at {size}");
    }
}

/// The hash at `level` and `index` read from tiles only, as Go's
/// `tlog.HashFromTile` does: from the tile of level `level / 8`, the root of
/// the `2^(level % 8)` hashes under it.
fn hash_from_tiles(level: u32, index: u64, tiles: &impl Fn(u8, u64) -> Vec<u8>) -> Hash {
    let l = level / 8;
    let span = 1u64 << (level % 8);
    let first = index * span;
    let data = tiles(l as u8, first / 256);
    let at = (first % 256) as usize;
    let hashes: Vec<Hash> = data[at * 32..(at + span as usize) * 32]
        .chunks(32)
        .map(|c| c.try_into().unwrap())
        .collect();
    root(&hashes)
}

/// The root of a tree of `size` leaves from tiles only: the hashes of its
/// perfect subtrees, largest first, folded from the right.
fn root_from_tiles(size: u64, tiles: &impl Fn(u8, u64) -> Vec<u8>) -> Hash {
    let mut subtrees = Vec::new();
    let mut start = 0;
    for level in (0..64).rev() {
        if size & (1 << level) != 0 {
            subtrees.push(hash_from_tiles(level, start >> level, tiles));
            start += 1 << level;
        }
    }
    let last = subtrees.pop().unwrap();
    subtrees.iter().rev().fold(last, |r, l| node_hash(l, &r))
}

/// The tile (`level`, `n`) a tree of `leaves` serves, full or partial.
fn tile_of(leaves: &[Hash], level: u8, n: u64) -> Vec<u8> {
    let size = leaves.len() as u64;
    let full = Tile {
        kind: TileKind::Hashes(level),
        n,
        partial: None,
    };
    let w = full.width_in(size).or_else(|| {
        let avail = (size >> (8 * level as u32)) - n * 256;
        let t = Tile {
            partial: Some(avail as u8),
            ..full
        };
        t.width_in(size)
    });
    let w = w.expect("a tile of the tree");
    let per = 1usize << (8 * level as u32);
    let start = n as usize * 256 * per;
    let tile = hash_tile(level, &leaves[start..start + w as usize * per]);
    assert_eq!(tile.len(), w as usize * 32);
    tile
}

#[test]
fn the_rfc6962_vectors_come_back_from_tiles() {
    let leaves: Vec<Hash> = LEAF_INPUTS
        .iter()
        .map(|i| leaf_hash(&hex::decode(i).unwrap()))
        .collect();
    for size in 1..=8 {
        let prefix = &leaves[..size];
        let r = root_from_tiles(size as u64, &|l, n| tile_of(prefix, l, n));
        assert_eq!(hex::encode(r), ROOTS[size], "size {size}");
    }
}

#[test]
fn trees_rebuilt_from_tiles_have_the_trees_roots() {
    let leaves: Vec<Hash> = (0u32..65_536 + 700)
        .map(|i| leaf_hash(&i.to_be_bytes()))
        .collect();
    for size in [
        1,
        255,
        256,
        257,
        511,
        512,
        513,
        65_535,
        65_536,
        65_536 + 257,
        65_536 + 700,
    ] {
        let prefix = &leaves[..size];
        assert_eq!(
            root_from_tiles(size as u64, &|l, n| tile_of(prefix, l, n)),
            root(prefix),
            "size {size}"
        );
    }
    // A level-1 hash is the root of its 256 leaves.
    let t = tile_of(&leaves[..512], 1, 0);
    assert_eq!(t.len(), 64);
    assert_eq!(&t[32..], &root(&leaves[256..512]));
}

/// The entries of a bundle: 2-byte big-endian length, then the bytes.
fn unbundle(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let n = u16::from_be_bytes([b[0], b[1]]) as usize;
        out.push(b[2..2 + n].to_vec());
        b = &b[2 + n..];
    }
    out
}

#[test]
fn entry_bundles_are_length_prefixed() {
    let b = entry_bundle([&b"ab"[..], b"", &[7u8; 300]]).unwrap();
    assert_eq!(&b[..6], &[0, 2, b'a', b'b', 0, 0]);
    assert_eq!(&b[6..8], &[1, 44]);
    assert_eq!(unbundle(&b), vec![b"ab".to_vec(), vec![], vec![7u8; 300]]);
    assert_eq!(entry_bundle([&vec![0u8; 65_536][..]]), None);
    assert!(entry_bundle([&vec![0u8; 65_535][..]]).is_some());
}

fn append(s: &Store, k: &Keys, n: usize, tag: &str) {
    let entries: Vec<(&str, serde_json::Value)> = (0..n)
        .map(|i| ("test", serde_json::json!({ "tag": tag, "n": i })))
        .collect();
    s.audit_append_many(k, &entries).unwrap();
}

fn store_serves_checkpoints_and_tiles(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    let origin = default_origin(&k.verifying());
    let vk = verifier_key(&origin, &k.verifying());
    // The empty log has a checkpoint too, and no tiles.
    let (cp, note) = s.audit_checkpoint(&k, &origin).unwrap();
    assert_eq!((cp.size, cp.root), (0, root(&[])));
    assert_eq!(Checkpoint::open(&note, &vk).unwrap(), cp);
    assert_eq!(s.audit_tile(&tile("0/000.p/1")).unwrap(), None);

    append(&s, &k, 300, "a");
    let (cp, note) = s.audit_checkpoint(&k, &origin).unwrap();
    assert_eq!(Checkpoint::open(&note, &vk).unwrap(), cp);
    let entries = s.audit_entries().unwrap();
    // The leaves are RFC 6962 hashes of the canonical entry bytes.
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(&e.canonical())).collect();
    assert_eq!(cp.size, 300);
    assert_eq!(cp.root, root(&leaves));
    assert_eq!(cp.root, s.audit_latest_head().unwrap().unwrap().root);

    let get = |p: &str| s.audit_tile(&tile(p)).unwrap();
    let r = root_from_tiles(300, &|l, n| {
        let t = Tile {
            kind: TileKind::Hashes(l),
            n,
            partial: None,
        };
        let w = (300u64 >> (8 * l as u32)) - 256 * n;
        let t = if w >= 256 {
            t
        } else {
            Tile {
                partial: Some(w as u8),
                ..t
            }
        };
        s.audit_tile(&t).unwrap().unwrap()
    });
    assert_eq!(r, cp.root);
    assert_eq!(get("0/000").unwrap(), tile_of(&leaves, 0, 0));
    assert_eq!(get("0/001.p/44").unwrap(), tile_of(&leaves, 0, 1));
    assert_eq!(get("1/000.p/1").unwrap(), root(&leaves[..256]).to_vec());
    for missing in [
        "0/001",
        "0/001.p/43",
        "0/001.p/45",
        "1/000",
        "0/002.p/1",
        "entries/001",
    ] {
        assert_eq!(get(missing), None, "{missing}");
    }
    // Entry bundles hold the canonical bytes: their record hashes are the leaves.
    let bundled: Vec<Vec<u8>> = [
        get("entries/000").unwrap(),
        get("entries/001.p/44").unwrap(),
    ]
    .iter()
    .flat_map(|b| unbundle(b))
    .collect();
    assert_eq!(bundled.len(), 300);
    for (i, e) in bundled.iter().enumerate() {
        assert_eq!(leaf_hash(e), leaves[i], "entry {i}");
        assert_eq!(e, &entries[i].canonical());
    }

    // More entries: the old partial tile goes, the new one comes.
    append(&s, &k, 220, "b");
    assert_eq!(get("0/001.p/44"), None);
    assert!(get("0/001").is_some());
    assert!(get("0/002.p/8").is_some());
    assert!(get("1/000.p/2").is_some());
    assert!(matches!(
        s.audit_checkpoint(&k, "has space"),
        Err(StoreError::InvalidOrigin)
    ));
    assert!(matches!(
        s.audit_checkpoint(&k, "a+b"),
        Err(StoreError::InvalidOrigin)
    ));

    // A store that does not verify signs no checkpoint.
    tamper(
        &s,
        "UPDATE audit_entries SET body = body || ' ' WHERE idx = 519",
    );
    let e = s.audit_checkpoint(&k, &origin).unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{e}");
}

#[test]
fn store_serves_checkpoints_and_tiles_sqlite() {
    store_serves_checkpoints_and_tiles(false);
}

#[test]
fn store_serves_checkpoints_and_tiles_postgres() {
    store_serves_checkpoints_and_tiles(true);
}
