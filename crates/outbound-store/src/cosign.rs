//! Witnesses' cosignatures of the log's checkpoints: the C2SP
//! `tlog-cosignature` v1 format (Ed25519) and the table the company keeps
//! them in.
//!
//! # Format (C2SP `tlog-cosignature`, `signed-note`)
//!
//! A cosignature is one more signature line on a checkpoint note:
//!
//! ```text
//! — <witness name> base64(key id ‖ timestamp ‖ Ed25519 signature)
//! ```
//!
//! - the key id is the first 4 bytes of
//!   `SHA-256(name ‖ "\n" ‖ 0x04 ‖ 32-byte public key)` (0x04 is the
//!   signature type of a timestamped Ed25519 cosignature);
//! - the timestamp is 8 bytes, big-endian, the POSIX seconds at which the
//!   witness signed (at most 2^63 − 1);
//! - the signature is Ed25519 over the message
//!   `cosignature/v1\ntime <timestamp in decimal>\n` followed by the whole
//!   checkpoint body (its three lines, each ending in `\n`).
//!
//! The witness's verifier key is `<name>+<8 hex key id>+<base64(0x04 ‖ key)>`.
//!
//! # Table
//!
//! The server keeps the cosignatures it accepted (`POST /log/cosignature`)
//! in `cosignatures`, one row per checkpoint size and witness. The rows are
//! not committed to by the audit log: each one is a signature that verifies
//! on its own against the witness's key and the log's signed head, so an
//! edited row is simply not counted; and logging them would make the log
//! grow with every cosignature, which the witnesses would then cosign again.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::StoreError;
use crate::c2sp::{self, Checkpoint, NoteError, base64_decode, base64_encode};
use crate::keys::Keys;
use crate::merkle::Hash;
use crate::schema::Backend;
use crate::signed_head::SignedTreeHead;
use crate::store::Store;

/// The signed-note signature type of a timestamped Ed25519 cosignature.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// The first line of the message a cosignature v1 signs (domain separation).
pub const COSIGNATURE_HEADER: &str = "cosignature/v1";

/// The largest timestamp a cosignature may carry (2^63 − 1).
pub const MAX_TIME: u64 = i64::MAX as u64;

/// The migration that creates this module's tables.
pub(crate) fn migration(backend: Backend) -> String {
    let blob = match backend {
        Backend::Sqlite => "BLOB",
        Backend::Postgres => "BYTEA",
    };
    format!(
        "CREATE TABLE cosignatures (
            size BIGINT NOT NULL,
            witness TEXT NOT NULL,
            key_id TEXT NOT NULL,
            origin TEXT NOT NULL,
            root {blob} NOT NULL,
            time BIGINT NOT NULL,
            line TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (size, witness, key_id)
        )"
    )
}

/// The key id of a cosigner: the first 4 bytes of
/// `SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)`.
pub fn cosigner_key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let h = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n")
        .chain_update([ALG_COSIGNATURE_V1])
        .chain_update(key.as_bytes())
        .finalize();
    [h[0], h[1], h[2], h[3]]
}

/// The message a cosignature with timestamp `time` signs over a checkpoint
/// `body` (which ends in `\n`).
pub fn signed_message(time: u64, body: &str) -> String {
    format!("{COSIGNATURE_HEADER}\ntime {time}\n{body}")
}

/// A witness (cosigner) as a verifier knows it: its name and Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigner {
    /// The key name (a schema-less URL, by convention).
    pub name: String,
    /// The key id, from the name and the key.
    pub id: [u8; 4],
    /// The public key.
    pub key: VerifyingKey,
}

impl Cosigner {
    /// The cosigner `name` with public key `key`.
    ///
    /// # Errors
    ///
    /// [`NoteError::BadVerifierKey`] for a name a note cannot carry.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Cosigner, NoteError> {
        if !c2sp::valid_origin(name) {
            return Err(NoteError::BadVerifierKey(
                "the name is printable ASCII with no space and no `+`",
            ));
        }
        Ok(Cosigner {
            name: name.to_string(),
            id: cosigner_key_id(name, &key),
            key,
        })
    }

    /// Parses a verifier key `<name>+<8 hex key id>+<base64(0x04 ‖ key)>`.
    ///
    /// # Errors
    ///
    /// [`NoteError::BadVerifierKey`] saying what is wrong (a key of another
    /// type, such as a log's 0x01 key, is refused).
    pub fn parse(vkey: &str) -> Result<Cosigner, NoteError> {
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::BadVerifierKey("three parts separated by `+`"));
        };
        let id: [u8; 4] = hex::decode(id)
            .ok()
            .filter(|_| id.len() == 8)
            .and_then(|i| i.try_into().ok())
            .ok_or(NoteError::BadVerifierKey("the key id is 8 hex digits"))?;
        let bytes = base64_decode(key).ok_or(NoteError::BadVerifierKey("the key is base64"))?;
        if bytes.first() != Some(&ALG_COSIGNATURE_V1) {
            return Err(NoteError::BadVerifierKey(
                "not a cosignature key (type 0x04)",
            ));
        }
        let key = <[u8; 32]>::try_from(&bytes[1..])
            .ok()
            .and_then(|k| VerifyingKey::from_bytes(&k).ok())
            .ok_or(NoteError::BadVerifierKey(
                "the key is a 32-byte Ed25519 key",
            ))?;
        let c = Cosigner::new(name, key)?;
        if c.id != id {
            return Err(NoteError::BadVerifierKey("the key id does not match"));
        }
        Ok(c)
    }

    /// The verifier key, `<name>+<8 hex key id>+<base64(0x04 ‖ key)>`.
    pub fn verifier_key(&self) -> String {
        let mut k = vec![ALG_COSIGNATURE_V1];
        k.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.id),
            base64_encode(&k)
        )
    }

    /// Whether `sig` is this cosigner's valid cosignature of `body`.
    pub fn verifies(&self, body: &str, sig: &Cosignature) -> bool {
        sig.name == self.name
            && sig.key_id == self.id
            && sig.time <= MAX_TIME
            && self
                .key
                .verify_strict(
                    signed_message(sig.time, body).as_bytes(),
                    &Signature::from_bytes(&sig.signature),
                )
                .is_ok()
    }
}

/// One cosignature line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// The cosigner's key name.
    pub name: String,
    /// The cosigner's key id.
    pub key_id: [u8; 4],
    /// POSIX seconds when it was made.
    pub time: u64,
    /// The Ed25519 signature over [`signed_message`].
    pub signature: [u8; 64],
}

impl Cosignature {
    /// Cosigns the checkpoint `body` as `name` with `key` at `time`.
    ///
    /// # Errors
    ///
    /// [`NoteError::Malformed`] if the body is not three or more lines ending
    /// in `\n`, or `time` is beyond 2^63 − 1.
    pub fn sign(
        name: &str,
        key: &SigningKey,
        body: &str,
        time: u64,
    ) -> Result<Cosignature, NoteError> {
        if body.split_terminator('\n').count() < 3 || !body.ends_with('\n') {
            return Err(NoteError::Malformed("a checkpoint body has three lines"));
        }
        if time > MAX_TIME {
            return Err(NoteError::Malformed("a timestamp is at most 2^63 - 1"));
        }
        let c = Cosigner::new(name, key.verifying_key())?;
        Ok(Cosignature {
            name: c.name,
            key_id: c.id,
            time,
            signature: key.sign(signed_message(time, body).as_bytes()).to_bytes(),
        })
    }

    /// The signature line, `— <name> base64(key id ‖ timestamp ‖ signature)`
    /// (no newline).
    pub fn line(&self) -> String {
        let mut b = Vec::with_capacity(76);
        b.extend_from_slice(&self.key_id);
        b.extend_from_slice(&self.time.to_be_bytes());
        b.extend_from_slice(&self.signature);
        format!("\u{2014} {} {}", self.name, base64_encode(&b))
    }

    /// Parses a signature line as a cosignature v1.
    ///
    /// # Errors
    ///
    /// [`NoteError::Malformed`] for a line that is not `— <name> <base64>`
    /// with 76 bytes (4 + 8 + 64) or whose timestamp exceeds 2^63 − 1.
    pub fn parse_line(line: &str) -> Result<Cosignature, NoteError> {
        let (name, b) = split_line(line)?;
        let b: [u8; 76] = b
            .try_into()
            .map_err(|_| NoteError::Malformed("a cosignature is 76 bytes"))?;
        let time = u64::from_be_bytes(b[4..12].try_into().expect("8 bytes"));
        if time > MAX_TIME {
            return Err(NoteError::Malformed("a timestamp is at most 2^63 - 1"));
        }
        Ok(Cosignature {
            name: name.to_string(),
            key_id: b[..4].try_into().expect("4 bytes"),
            time,
            signature: b[12..].try_into().expect("64 bytes"),
        })
    }
}

/// A signature line's name and decoded bytes.
fn split_line(line: &str) -> Result<(&str, Vec<u8>), NoteError> {
    let rest = line.strip_prefix("\u{2014} ").ok_or(NoteError::Malformed(
        "a signature line does not start with an em dash",
    ))?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or(NoteError::Malformed("a signature line has no signature"))?;
    let b = base64_decode(b64).ok_or(NoteError::Malformed("a signature is not base64"))?;
    if !c2sp::valid_origin(name) || b.len() < 4 {
        return Err(NoteError::Malformed("a signature line is malformed"));
    }
    Ok((name, b))
}

/// A signed note's body (ending in `\n`) and its signature lines.
///
/// # Errors
///
/// [`NoteError::Malformed`] without a blank line before the signatures, or
/// with signatures that do not end a line.
pub fn split_note(note: &str) -> Result<(&str, Vec<&str>), NoteError> {
    let split = note
        .rfind("\n\n")
        .ok_or(NoteError::Malformed("no blank line"))?;
    let (body, sigs) = (&note[..split + 1], &note[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::Malformed("the signatures do not end a line"));
    }
    Ok((body, sigs.lines().collect()))
}

/// `note` with `lines` appended as further signature lines (each without
/// its newline).
pub fn with_lines(note: &str, lines: &[String]) -> String {
    let mut out = note.to_string();
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The witnesses a company trusts and how many of them must cosign a
/// checkpoint before it counts as published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WitnessPolicy {
    /// The witnesses.
    pub witnesses: Vec<Cosigner>,
    /// Cosignatures of distinct witnesses a witnessed checkpoint needs.
    pub quorum: usize,
}

impl WitnessPolicy {
    /// A policy from verifier keys and a quorum.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] for a key that does not parse (naming which,
    /// by position), a witness named twice, or a quorum larger than the list.
    pub fn parse(keys: &[String], quorum: usize) -> Result<WitnessPolicy, StoreError> {
        let mut witnesses: Vec<Cosigner> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let c = Cosigner::parse(k)
                .map_err(|e| crate::invalid(format!("witness key {}: {e}", i + 1)))?;
            if witnesses.iter().any(|w| w.name == c.name && w.id == c.id) {
                return Err(crate::invalid(format!(
                    "witness `{}` is named twice",
                    c.name
                )));
            }
            witnesses.push(c);
        }
        if quorum > witnesses.len() {
            return Err(crate::invalid(format!(
                "a quorum of {quorum} needs at least {quorum} witnesses; {} configured",
                witnesses.len()
            )));
        }
        Ok(WitnessPolicy { witnesses, quorum })
    }

    fn find(&self, sig: &Cosignature) -> Option<&Cosigner> {
        self.witnesses
            .iter()
            .find(|w| w.name == sig.name && w.id == sig.key_id)
    }

    /// The cosignatures among `sigs` that count towards the quorum for the
    /// checkpoint `body`: by a witness of this policy, valid against its key,
    /// at most one per witness (the first valid one), in the order given.
    pub fn verified(&self, body: &str, sigs: &[Cosignature]) -> Vec<Cosignature> {
        let mut seen: Vec<&Cosigner> = Vec::new();
        let mut out = Vec::new();
        for sig in sigs {
            let Some(w) = self.find(sig) else { continue };
            if seen.contains(&w) || !w.verifies(body, sig) {
                continue;
            }
            seen.push(w);
            out.push(sig.clone());
        }
        out
    }
}

/// A cosignature the store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCosignature {
    /// The checkpoint's size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The log's origin.
    pub origin: String,
    /// The witness's key name.
    pub witness: String,
    /// The witness's key id, in hex.
    pub key_id: String,
    /// POSIX seconds when the witness signed.
    pub time: u64,
    /// The signature line.
    pub line: String,
}

/// The log's checkpoint at `size`, if the store holds a signed head of that
/// size made by `keys` (its root then is the log's own).
async fn signed_root(
    conn: &mut sqlx::AnyConnection,
    keys: &Keys,
    size: u64,
) -> Result<Option<Hash>, StoreError> {
    let Some(row) = sqlx::query("SELECT head FROM tree_heads WHERE size = $1")
        .bind(size as i64)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let head: SignedTreeHead =
        serde_json::from_str(&row.try_get::<String, _>(0)?).map_err(|e| StoreError::Malformed {
            what: "tree head",
            source: Some(e.into()),
        })?;
    if head.size != size || head.verify(&keys.verifying()).is_err() {
        return Err(crate::state::tampered("a signed head does not verify"));
    }
    Ok(Some(head.root))
}

impl Store {
    /// Records the cosignatures on a cosigned checkpoint `note` of this log
    /// (`origin`): the log's own signature must verify and the checkpoint be
    /// one of its signed heads; every other signature line must be a valid
    /// cosignature by a witness of `policy`. Returns how many were new (a
    /// cosignature already kept is not stored twice). All or nothing.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] for a note the log did not sign, a checkpoint
    /// it never signed (no head of that size and root), a note with no
    /// cosignature, an unknown witness or a cosignature that does not verify.
    pub fn cosign_record(
        &self,
        keys: &Keys,
        origin: &str,
        note: &str,
        policy: &WitnessPolicy,
    ) -> Result<usize, StoreError> {
        let log_key = c2sp::verifier_key(origin, &keys.verifying());
        let cp = Checkpoint::open(note, &log_key)
            .map_err(|e| crate::invalid(format!("not a checkpoint signed by this log: {e}")))?;
        let (body, lines) = split_note(note).map_err(|e| crate::invalid(e.to_string()))?;
        let log_id = c2sp::note_key_id(origin, &keys.verifying());
        let mut sigs = Vec::new();
        for line in lines {
            let (name, bytes) = split_line(line).map_err(|e| crate::invalid(e.to_string()))?;
            if name == origin && bytes[..4] == log_id {
                continue;
            }
            let sig = Cosignature::parse_line(line)
                .map_err(|e| crate::invalid(format!("witness `{name}`: {e}")))?;
            let w = policy
                .find(&sig)
                .ok_or_else(|| crate::invalid(format!("unknown witness `{name}`")))?;
            if !w.verifies(body, &sig) {
                return Err(crate::invalid(format!(
                    "the cosignature of witness `{name}` does not verify"
                )));
            }
            sigs.push(sig);
        }
        if sigs.is_empty() {
            return Err(crate::invalid("the note carries no cosignature"));
        }
        let (at, _) = crate::audit::now();
        self.run("record cosignatures", async {
            let mut tx = self.pool.begin().await?;
            if signed_root(&mut tx, keys, cp.size).await? != Some(cp.root) {
                return Err(crate::invalid(format!(
                    "the log never signed a checkpoint of size {} with this root",
                    cp.size
                )));
            }
            let mut new = 0;
            for s in &sigs {
                let r = sqlx::query(
                    "INSERT INTO cosignatures (size, witness, key_id, origin, root, time, line, received_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (size, witness, key_id) DO NOTHING",
                )
                .bind(cp.size as i64)
                .bind(&s.name)
                .bind(hex::encode(s.key_id))
                .bind(origin)
                .bind(cp.root.to_vec())
                .bind(s.time as i64)
                .bind(s.line())
                .bind(&at)
                .execute(&mut *tx)
                .await?;
                new += r.rows_affected() as usize;
            }
            tx.commit().await?;
            Ok(new)
        })
    }

    /// Every cosignature kept, newest checkpoint first.
    pub fn cosignatures(&self) -> Result<Vec<StoredCosignature>, StoreError> {
        let rows = self.run_sql(
            "read cosignatures",
            sqlx::query(
                "SELECT size, root, origin, witness, key_id, time, line FROM cosignatures
                 ORDER BY size DESC, witness, key_id",
            )
            .fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| {
                Ok(StoredCosignature {
                    size: r.try_get::<i64, _>(0)? as u64,
                    root: Hash::try_from(r.try_get::<Vec<u8>, _>(1)?.as_slice()).map_err(|_| {
                        StoreError::Malformed {
                            what: "cosignature root (not 32 bytes)",
                            source: None,
                        }
                    })?,
                    origin: r.try_get(2)?,
                    witness: r.try_get(3)?,
                    key_id: r.try_get(4)?,
                    time: r.try_get::<i64, _>(5)? as u64,
                    line: r.try_get(6)?,
                })
            })
            .collect()
    }

    /// The newest checkpoint of this log (`origin`) that at least
    /// `policy.quorum` of the policy's witnesses have cosigned, as a note
    /// with the log's signature followed by those witnesses' cosignatures;
    /// `None` if there is none yet. With a quorum of 0 this is the newest
    /// checkpoint, with whatever cosignatures it has.
    ///
    /// Each kept cosignature is verified again, against the witness's key
    /// and the log's signed head of that size: a row edited in the database
    /// is not counted.
    ///
    /// # Errors
    ///
    /// As [`Store::audit_checkpoint`].
    pub fn witnessed_checkpoint(
        &self,
        keys: &Keys,
        origin: &str,
        policy: &WitnessPolicy,
    ) -> Result<Option<(Checkpoint, String, usize)>, StoreError> {
        let (newest, _) = self.audit_checkpoint(keys, origin)?;
        let kept: Vec<StoredCosignature> = self
            .cosignatures()?
            .into_iter()
            .filter(|c| c.origin == origin && c.size <= newest.size)
            .collect();
        let mut sizes: Vec<u64> = kept.iter().map(|c| c.size).collect();
        sizes.push(newest.size);
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes.dedup();
        for size in sizes {
            let root = if size == newest.size {
                Some(newest.root)
            } else {
                self.run("read a signed head", async {
                    let mut conn = self.pool.acquire().await?;
                    signed_root(&mut conn, keys, size).await
                })?
            };
            let Some(root) = root else { continue };
            let cp = Checkpoint {
                origin: origin.to_string(),
                size,
                root,
            };
            let body = cp.body();
            let sigs: Vec<Cosignature> = kept
                .iter()
                .filter(|c| c.size == size && c.root == root)
                .filter_map(|c| Cosignature::parse_line(&c.line).ok())
                .collect();
            let counted = policy.verified(&body, &sigs);
            let lines: Vec<String> = counted.iter().map(Cosignature::line).collect();
            if counted.len() >= policy.quorum {
                let n = counted.len();
                let note = with_lines(&cp.sign(keys.signing()), &lines);
                return Ok(Some((cp, note, n)));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in C2SP `tlog-cosignature`: the witness's line carries key
    /// id `8d66cf3f` and the timestamp 1679315147 of the spec's signed
    /// message example.
    #[test]
    fn the_specs_example_line_parses() {
        let line = "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
        let c = Cosignature::parse_line(line).unwrap();
        assert_eq!(c.name, "witness.example.com/w1");
        assert_eq!(hex::encode(c.key_id), "8d66cf3f");
        assert_eq!(c.time, 1_679_315_147);
        assert_eq!(c.line(), line);
    }

    /// A native cosignature v1 verifier key from transparency-dev/formats'
    /// tests (`remora.n621.de`): its key id is the one 0x04 gives.
    #[test]
    fn a_published_cosigner_key_parses_and_round_trips() {
        let k = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";
        let c = Cosigner::parse(k).unwrap();
        assert_eq!(c.name, "remora.n621.de");
        assert_eq!(c.verifier_key(), k);
        // A log's note key (type 0x01) is not a cosigner key.
        assert!(
            Cosigner::parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").is_err()
        );
        // Another id for the same key is refused.
        assert!(
            Cosigner::parse("remora.n621.de+da77ade8+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
                .is_err()
        );
    }

    #[test]
    fn the_timestamp_of_a_published_cosignature_is_read_big_endian() {
        // transparency-dev/formats' `TestCosignatureTimestamp` vector.
        let b64 = "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==";
        let c = Cosignature::parse_line(&format!("\u{2014} w {b64}")).unwrap();
        assert_eq!(c.time, 1_727_964_367);
        assert_eq!(hex::encode(c.key_id), "646846b9");
    }

    #[test]
    fn sign_and_verify_byte_for_byte() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let body = "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(
            signed_message(1_679_315_147, body),
            "cosignature/v1\ntime 1679315147\nexample.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
        let sig = Cosignature::sign("w.example/1", &key, body, 1_679_315_147).unwrap();
        let line = sig.line();
        let raw = base64_decode(line.rsplit(' ').next().unwrap()).unwrap();
        assert_eq!(raw.len(), 76);
        let id = Sha256::new()
            .chain_update(b"w.example/1\n\x04")
            .chain_update(key.verifying_key().as_bytes())
            .finalize();
        assert_eq!(raw[..4], id[..4]);
        assert_eq!(raw[4..12], 1_679_315_147u64.to_be_bytes());
        let w = Cosigner::new("w.example/1", key.verifying_key()).unwrap();
        assert!(w.verifies(body, &Cosignature::parse_line(&line).unwrap()));
        // Another body, time or name does not verify.
        assert!(!w.verifies(&body.replace('5', "6"), &sig));
        let later = Cosignature {
            time: sig.time + 1,
            ..sig.clone()
        };
        assert!(!w.verifies(body, &later));
        let renamed = Cosignature {
            name: "w.example/2".into(),
            ..sig.clone()
        };
        assert!(!w.verifies(body, &renamed));
        // The boundary of the timestamp: 2^63 - 1 signs, 2^63 does not.
        assert!(Cosignature::sign("w", &key, body, MAX_TIME).is_ok());
        assert!(Cosignature::sign("w", &key, body, MAX_TIME + 1).is_err());
        assert!(Cosignature::sign("w", &key, "a\nb\n", 1).is_err());
    }
}
