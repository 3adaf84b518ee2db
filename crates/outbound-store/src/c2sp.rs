//! The audit log in the formats existing transparency-log tools read:
//! C2SP `tlog-checkpoint` signed notes and C2SP `tlog-tiles`.
//!
//! A regulator or an association can then check the log with software
//! nobody here wrote (Go's `golang.org/x/mod/sumdb/note` and `sumdb/tlog`,
//! a C2SP witness), besides `outbound audit check`. The signed tree heads of
//! [`crate::signed_head`] stay as they are; a checkpoint is a second
//! signature, by the same Ed25519 key, over the size and root of the newest
//! of them.
//!
//! # Leaves
//!
//! The log's leaves are RFC 6962: `SHA-256(0x00 ‖ entry)`, where *the
//! entry* is the canonical bytes of [`crate::audit::Entry::canonical`],
//! `<index>\n<at>\n<kind>\n<body>` (UTF-8, no trailing newline). These are
//! the bytes an entry bundle carries, so a record hash computed from a
//! bundle (Go's `tlog.RecordHash`) is the stored leaf hash.
//!
//! # Checkpoint (C2SP `tlog-checkpoint`, `signed-note`)
//!
//! ```text
//! outbound.invalid/audit/1f2e3d4c
//! 300
//! <base64 of the 32-byte root>
//!
//! — outbound.invalid/audit/1f2e3d4c <base64(key id ‖ Ed25519 signature)>
//! ```
//!
//! The signature is Ed25519 over the body (the first three lines, each
//! ending in `\n`); the 4-byte key id is the first 4 bytes of
//! `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)`. The verifier key is
//! `<name>+<8 hex key id>+<base64(0x01 ‖ public key)>`.
//!
//! # Tiles (C2SP `tlog-tiles`, height 8)
//!
//! - `tile/<L>/<N>[.p/<W>]`: the `W` (256 when full) consecutive hashes of
//!   tree level `8L` starting at index `256N`, 32 bytes each; a hash of
//!   level `8L` at index `k` is the root of leaves `k·2^(8L)` to
//!   `(k+1)·2^(8L) − 1`.
//! - `tile/entries/<N>[.p/<W>]`: entries `256N` to `256N + W − 1`, each as a
//!   2-byte big-endian length and the entry's bytes (so an entry is at most
//!   65,535 bytes).
//! - `N` is written in groups of three digits, all but the last prefixed
//!   with `x` (`x001/x234/067` is 1,234,067).
//!
//! A tile is served for the size of the newest signed head: full when that
//! tree fills it, partial only with the width that size gives.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::StoreError;
use crate::keys::Keys;
use crate::merkle::{self, HASH_LEN, Hash};
use crate::signed_head::KeyId;
use crate::store::Store;

/// Tile height: each tile spans 8 tree levels, 256 hashes.
pub const TILE_HEIGHT: u32 = 8;

/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// The highest tile level C2SP allows (`L` is at most 63).
pub const MAX_LEVEL: u8 = 63;

/// The signed-note algorithm byte of Ed25519.
const ALG_ED25519: u8 = 0x01;

/// The default origin (which is also the key name) of a log signed by `key`:
/// `outbound.invalid/audit/<first 8 hex digits of the key's id>`.
///
/// A C2SP origin must name one log and never change; without configuration
/// the store knows no domain, and the signing key is what identifies its
/// log, so the name is derived from the key (`.invalid`, RFC 2606, says it
/// is no real host). An operator with a domain passes its own origin.
pub fn default_origin(key: &VerifyingKey) -> String {
    format!(
        "outbound.invalid/audit/{}",
        &KeyId::of(key).to_string()[..8]
    )
}

/// Whether `name` can be an origin and key name: non-empty printable ASCII
/// with no space and no `+` (signed-note key names allow neither).
pub fn valid_origin(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b'+')
}

fn check_origin(name: &str) -> Result<(), StoreError> {
    if valid_origin(name) {
        Ok(())
    } else {
        Err(StoreError::InvalidOrigin)
    }
}

/// The signed-note key id of `key` under `name`: the first 4 bytes of
/// `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)`.
pub fn note_key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let h = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n")
        .chain_update([ALG_ED25519])
        .chain_update(key.as_bytes())
        .finalize();
    [h[0], h[1], h[2], h[3]]
}

/// The note verifier key, `<name>+<8 hex key id>+<base64(0x01 ‖ key)>`,
/// which a checker (Go's `note.NewVerifier`, a witness) is configured with.
pub fn verifier_key(name: &str, key: &VerifyingKey) -> String {
    let mut k = vec![ALG_ED25519];
    k.extend_from_slice(key.as_bytes());
    format!(
        "{name}+{}+{}",
        hex::encode(note_key_id(name, key)),
        base64_encode(&k)
    )
}

/// What a checkpoint says: the log `origin` had `size` entries with root `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin (also the signing key's name).
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// RFC 6962 root of those entries.
    pub root: Hash,
}

impl Checkpoint {
    /// The note body: origin, size and base64 root, one per line.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            base64_encode(&self.root)
        )
    }

    /// The signed note: the body, a blank line and one signature line by
    /// `key` named as the origin.
    pub fn sign(&self, key: &SigningKey) -> String {
        sign_note(&self.origin, key, &self.body())
    }

    /// Opens a signed checkpoint with a verifier key: the signature line of
    /// that key must verify (other signatures, such as a witness's, are
    /// ignored), and the origin must be the key's name.
    ///
    /// # Errors
    ///
    /// [`NoteError`] saying what is wrong.
    pub fn open(note: &str, verifier: &str) -> Result<Checkpoint, NoteError> {
        let (name, body) = open_note(note, verifier)?;
        let lines: Vec<&str> = body.split_terminator('\n').collect();
        let [origin, size, root, ..] = lines[..] else {
            return Err(NoteError::Malformed("a checkpoint has three lines"));
        };
        if origin != name {
            return Err(NoteError::Malformed("the origin is not the key's name"));
        }
        let size = size
            .parse::<u64>()
            .ok()
            .filter(|s| s.to_string() == size)
            .ok_or(NoteError::Malformed("the size is not a decimal number"))?;
        let root = base64_decode(root)
            .and_then(|r| Hash::try_from(r.as_slice()).ok())
            .ok_or(NoteError::Malformed("the root is not 32 bytes in base64"))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

/// Why a signed checkpoint was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The verifier key is not `<name>+<hex id>+<base64 Ed25519 key>`.
    #[error("not a note verifier key: {0}")]
    BadVerifierKey(&'static str),
    /// The note is not a checkpoint in signed-note form.
    #[error("not a signed checkpoint: {0}")]
    Malformed(&'static str),
    /// No signature line is by the verifier key.
    #[error("no signature by the verifier key")]
    UnknownKey,
    /// The key's signature does not match the body.
    #[error("the signature does not verify")]
    BadSignature,
}

/// A signed note: `body` (which ends in `\n`), a blank line and the
/// signature line `— <name> <base64(key id ‖ Ed25519 signature)>`.
pub fn sign_note(name: &str, key: &SigningKey, body: &str) -> String {
    let mut sig = note_key_id(name, &key.verifying_key()).to_vec();
    sig.extend_from_slice(&key.sign(body.as_bytes()).to_bytes());
    format!("{body}\n\u{2014} {name} {}\n", base64_encode(&sig))
}

/// Opens a signed note with a verifier key: returns the key's name and the
/// note's body once the key's signature line verifies (lines by other
/// keys, such as a witness's cosignature, are skipped).
///
/// # Errors
///
/// [`NoteError`] saying what is wrong.
pub fn open_note<'a>(note: &'a str, verifier: &'a str) -> Result<(&'a str, &'a str), NoteError> {
    let (name, id, key) = parse_verifier_key(verifier)?;
    let split = note
        .rfind("\n\n")
        .ok_or(NoteError::Malformed("no blank line"))?;
    let (body, sigs) = (&note[..split + 1], &note[split + 2..]);
    if !sigs.ends_with('\n') {
        return Err(NoteError::Malformed("the signatures do not end a line"));
    }
    let mut verified = false;
    for line in sigs.lines() {
        let rest = line.strip_prefix("\u{2014} ").ok_or(NoteError::Malformed(
            "a signature line does not start with an em dash",
        ))?;
        let (n, b64) = rest
            .split_once(' ')
            .ok_or(NoteError::Malformed("a signature line has no signature"))?;
        let sig = base64_decode(b64).ok_or(NoteError::Malformed("a signature is not base64"))?;
        if n != name || sig.len() < 4 || sig[..4] != id {
            continue;
        }
        let sig: [u8; 64] = sig[4..].try_into().map_err(|_| NoteError::BadSignature)?;
        key.verify_strict(body.as_bytes(), &Signature::from_bytes(&sig))
            .map_err(|_| NoteError::BadSignature)?;
        verified = true;
    }
    if verified {
        Ok((name, body))
    } else {
        Err(NoteError::UnknownKey)
    }
}

fn parse_verifier_key(text: &str) -> Result<(&str, [u8; 4], VerifyingKey), NoteError> {
    // The base64 key may itself contain `+`; the name and the id cannot.
    let mut parts = text.trim().splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::BadVerifierKey("three parts separated by `+`"));
    };
    let id: [u8; 4] = hex::decode(id)
        .ok()
        .and_then(|i| i.try_into().ok())
        .ok_or(NoteError::BadVerifierKey("the key id is 8 hex digits"))?;
    let key = base64_decode(key)
        .filter(|k| k.len() == 33 && k[0] == ALG_ED25519)
        .and_then(|k| VerifyingKey::from_bytes(k[1..].try_into().ok()?).ok())
        .ok_or(NoteError::BadVerifierKey(
            "the key is an Ed25519 key in base64",
        ))?;
    if !valid_origin(name) || note_key_id(name, &key) != id {
        return Err(NoteError::BadVerifierKey("the key id does not match"));
    }
    Ok((name, id, key))
}

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    /// Hashes of tree level `8 × level`.
    Hashes(u8),
    /// An entry bundle.
    Entries,
}

/// A tile's coordinates, as in its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Hashes of which level, or entries.
    pub kind: TileKind,
    /// The tile's number within its level.
    pub n: u64,
    /// `None` for a full tile, else the width of a partial one (1 to 255).
    pub partial: Option<u8>,
}

/// A tile path that is not in canonical C2SP form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a tile path")]
pub struct BadTilePath;

/// A decimal number with no sign and no leading zero.
fn canonical_decimal(s: &str) -> Option<u64> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

/// Three digits.
fn group(s: &str) -> Option<u64> {
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `N` in path form: groups of three digits, all but the last prefixed with `x`.
pub fn encode_index(n: u64) -> String {
    let mut out = format!("{:03}", n % 1000);
    let mut rest = n / 1000;
    while rest > 0 {
        out = format!("x{:03}/{out}", rest % 1000);
        rest /= 1000;
    }
    out
}

impl Tile {
    /// Parses the part of a tile path after `tile/`, accepting only the
    /// canonical form (the one [`Tile::path`] writes): no leading zeros,
    /// no leading `x000` group, `L` at most 63, `W` from 1 to 255.
    ///
    /// # Errors
    ///
    /// [`BadTilePath`] for anything else.
    pub fn parse(path: &str) -> Result<Tile, BadTilePath> {
        let mut parts: Vec<&str> = path.split('/').collect();
        if parts.len() < 2 {
            return Err(BadTilePath);
        }
        let kind = match parts[0] {
            "entries" => TileKind::Entries,
            l => TileKind::Hashes(
                canonical_decimal(l)
                    .filter(|&l| l <= u64::from(MAX_LEVEL))
                    .ok_or(BadTilePath)? as u8,
            ),
        };
        let mut partial = None;
        if parts.len() >= 3
            && let Some(last_n) = parts[parts.len() - 2].strip_suffix(".p")
        {
            let w = canonical_decimal(parts[parts.len() - 1])
                .filter(|w| (1..TILE_WIDTH).contains(w))
                .ok_or(BadTilePath)?;
            partial = Some(w as u8);
            parts.pop();
            let i = parts.len() - 1;
            parts[i] = last_n;
        }
        let groups = &parts[1..];
        let mut n: u64 = 0;
        for (i, g) in groups.iter().enumerate() {
            let digits = if i + 1 == groups.len() {
                *g
            } else {
                g.strip_prefix('x').ok_or(BadTilePath)?
            };
            let v = group(digits).ok_or(BadTilePath)?;
            if i == 0 && v == 0 && groups.len() > 1 {
                return Err(BadTilePath);
            }
            n = n
                .checked_mul(1000)
                .and_then(|n| n.checked_add(v))
                .ok_or(BadTilePath)?;
        }
        Ok(Tile { kind, n, partial })
    }

    /// The tile's path, `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let kind = match self.kind {
            TileKind::Hashes(l) => l.to_string(),
            TileKind::Entries => "entries".into(),
        };
        let w = self.partial.map(|w| format!(".p/{w}")).unwrap_or_default();
        format!("tile/{kind}/{}{w}", encode_index(self.n))
    }

    /// The number of hashes or entries this tile has in a tree of `size`
    /// entries, if the tree gives it exactly this tile: a full tile needs
    /// the tree to fill it, a partial one must have the width the tree gives.
    pub fn width_in(&self, size: u64) -> Option<u64> {
        let shift = match self.kind {
            TileKind::Hashes(l) => u32::from(l) * TILE_HEIGHT,
            TileKind::Entries => 0,
        };
        // Complete nodes of the tile's level.
        let nodes = size.checked_shr(shift).unwrap_or(0);
        let start = self.n.checked_mul(TILE_WIDTH)?;
        let available = nodes.checked_sub(start)?.min(TILE_WIDTH);
        let wanted = self.partial.map_or(TILE_WIDTH, u64::from);
        (available == wanted).then_some(wanted)
    }

    /// The range of leaves (entries) the tile covers, given its width.
    fn leaves(&self, width: u64) -> (u64, u64) {
        let shift = match self.kind {
            TileKind::Hashes(l) => u32::from(l) * TILE_HEIGHT,
            TileKind::Entries => 0,
        };
        let start = self.n * TILE_WIDTH;
        (start << shift, (start + width) << shift)
    }
}

/// The bytes of a hash tile of `level` from the leaf hashes it covers (in
/// order, starting at its first leaf): the root of each run of `2^(8·level)`.
pub fn hash_tile(level: u8, leaves: &[Hash]) -> Vec<u8> {
    let per = 1usize << (u32::from(level) * TILE_HEIGHT);
    let mut out = Vec::with_capacity(leaves.len().div_ceil(per) * HASH_LEN);
    for run in leaves.chunks(per) {
        out.extend_from_slice(&merkle::root(run));
    }
    out
}

/// The bytes of an entry bundle: each entry as a 2-byte big-endian length
/// and its bytes; `None` if an entry is longer than 65,535 bytes.
pub fn entry_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&u16::try_from(e.len()).ok()?.to_be_bytes());
        out.extend_from_slice(e);
    }
    Some(out)
}

impl Store {
    /// The checkpoint of the newest signed head, signed as a C2SP note with
    /// the audit log's key: the checkpoint and the note's text.
    ///
    /// # Errors
    ///
    /// [`StoreError::Tampered`] if the store does not verify (the newest head,
    /// the tree state and the last entry disagree), [`StoreError::InvalidOrigin`]
    /// for an origin that cannot be a key name.
    pub fn audit_checkpoint(
        &self,
        keys: &Keys,
        origin: &str,
    ) -> Result<(Checkpoint, String), StoreError> {
        check_origin(origin)?;
        let (size, root) = self.run("sign a checkpoint", async {
            let mut tx = self.pool.begin().await?;
            if self.backend == crate::Backend::Postgres {
                // One snapshot for the reads below, however many writers run.
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    .execute(&mut *tx)
                    .await?;
            }
            let checked = crate::state::check(&mut tx, keys).await?;
            // `check` confirmed that the newest head covers this tree.
            let root = crate::state::load_tree(&mut tx)
                .await?
                .map_or_else(merkle::empty_root, |t| t.tree.root());
            tx.commit().await?;
            Ok((checked.size, root))
        })?;
        let cp = Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        };
        let note = cp.sign(keys.signing());
        Ok((cp, note))
    }

    /// The size of the tree the newest signed head covers (0 without one):
    /// the size tiles are served for.
    pub fn audit_signed_size(&self) -> Result<u64, StoreError> {
        let row = self.run_sql(
            "read the audit log's size",
            sqlx::query("SELECT MAX(size) FROM tree_heads").fetch_one(&self.pool),
        )?;
        Ok(row.try_get::<Option<i64>, _>(0)?.map_or(0, |s| s as u64))
    }

    /// The bytes of `tile` for the tree of the newest signed head, or `None`
    /// if that tree does not give exactly this tile (not full yet, or a
    /// partial width other than its own).
    ///
    /// Reads the stored leaf hashes (or entries) the tile covers: cheap for
    /// levels 0 and 1, a pass over `2^16` leaves per hash for level 2.
    ///
    /// # Errors
    ///
    /// A database error, or [`StoreError::Malformed`] for a stored leaf hash
    /// that is not 32 bytes or an entry longer than an entry bundle allows.
    pub fn audit_tile(&self, tile: &Tile) -> Result<Option<Vec<u8>>, StoreError> {
        let size = self.audit_signed_size()?;
        let Some(width) = tile.width_in(size) else {
            return Ok(None);
        };
        let (start, end) = tile.leaves(width);
        match tile.kind {
            TileKind::Hashes(level) => {
                let rows = self.run_sql(
                    "read the audit log",
                    sqlx::query("SELECT leaf_hash FROM audit_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                        .bind(start as i64)
                        .bind(end as i64)
                        .fetch_all(&self.pool),
                )?;
                let leaves = rows
                    .iter()
                    .map(|r| {
                        Hash::try_from(r.try_get::<Vec<u8>, _>(0)?.as_slice()).map_err(|_| {
                            StoreError::Malformed {
                                what: "leaf hash (not 32 bytes)",
                                source: None,
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if leaves.len() as u64 != end - start {
                    return Err(missing());
                }
                Ok(Some(hash_tile(level, &leaves)))
            }
            TileKind::Entries => {
                let rows = self.run_sql(
                    "read the audit log",
                    sqlx::query("SELECT idx, at, kind, body FROM audit_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                        .bind(start as i64)
                        .bind(end as i64)
                        .fetch_all(&self.pool),
                )?;
                let entries = rows
                    .iter()
                    .map(|r| {
                        Ok(crate::audit::canonical(
                            r.try_get::<i64, _>(0)? as u64,
                            &r.try_get::<String, _>(1)?,
                            &r.try_get::<String, _>(2)?,
                            &r.try_get::<String, _>(3)?,
                        ))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                if entries.len() as u64 != end - start {
                    return Err(missing());
                }
                entry_bundle(entries.iter().map(Vec::as_slice))
                    .map(Some)
                    .ok_or(StoreError::Malformed {
                        what: "audit entry (longer than the 65,535 bytes of an entry bundle)",
                        source: None,
                    })
            }
        }
    }
}

fn missing() -> StoreError {
    crate::state::tampered("entries the newest signed head covers are missing")
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4), as signed notes use.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard padded base64; `None` unless the text is canonical
/// (the form [`base64_encode`] writes).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let chunks: Vec<&[u8]> = text.as_bytes().chunks(4).collect();
    for (i, c) in chunks.iter().enumerate() {
        let pad = c.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks.len()) {
            return None;
        }
        let mut v = 0u32;
        for &b in &c[..4 - pad] {
            let d = B64.iter().position(|&x| x == b)? as u32;
            v = v << 6 | d;
        }
        v <<= 6 * pad as u32;
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    (base64_encode(&out) == text).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), coded);
            assert_eq!(base64_decode(coded).unwrap(), plain.as_bytes());
        }
        for bad in ["Zg=", "Zh==", "Z===", "Zg==Zg==", "Zm9v!A==", "===="] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn index_paths_are_groups_of_three() {
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(67), "067");
        assert_eq!(encode_index(1000), "x001/000");
        assert_eq!(encode_index(1_234_067), "x001/x234/067");
        assert_eq!(encode_index(u64::MAX), "x018/x446/x744/x073/x709/x551/615");
    }
}
