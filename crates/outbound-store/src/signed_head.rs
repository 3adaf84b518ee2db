//! Signed tree heads and self-contained proof bundles for the audit log.
//!
//! A [`SignedTreeHead`] is the log operator's Ed25519 signature over the
//! tree size, its root and a timestamp. Whoever holds a signed head can later
//! demand proofs against it; because the operator cannot produce two valid
//! heads for different histories without the contradiction being provable
//! (see [`crate::merkle::verify_consistency`]), a regulator or auditor who
//! keeps the heads it was given no longer has to trust the operator's word.
//!
//! The proof bundles ([`InclusionBundle`], [`ConsistencyBundle`], wrapped in
//! [`ProofBundle`]) are the JSON documents `outbound audit prove` and
//! `outbound audit consistency` write and `outbound audit check` reads. A
//! bundle carries everything needed to check it except the operator's public
//! key, which the checker must obtain out of band (a key shipped inside the
//! bundle would prove nothing). Checking needs no store and no personal data.
//!
//! # Canonical encoding of a tree head (version 1)
//!
//! The signature is Ed25519 (RFC 8032, verified with
//! [`VerifyingKey::verify_strict`]) over exactly these 96 bytes:
//!
//! | bytes  | content                                                  |
//! |--------|----------------------------------------------------------|
//! | 0..16  | the ASCII string `outbound-sth-v1` followed by `\n` (0x0a) |
//! | 16..24 | tree size, unsigned 64-bit big-endian                    |
//! | 24..32 | timestamp, milliseconds since 1970-01-01T00:00:00Z, unsigned 64-bit big-endian |
//! | 32..64 | tree root (SHA-256, RFC 6962)                            |
//! | 64..96 | key id: SHA-256 of the 32-byte Ed25519 public key        |
//!
//! Every field has a fixed length, so the encoding is unambiguous; the
//! version string keeps a signature over a head from ever being valid for
//! another kind of message, or for a later version of this format.
//!
//! # JSON
//!
//! Hashes, key ids and signatures are lowercase hexadecimal strings (upper
//! case is accepted on input); sizes, indexes and timestamps are JSON
//! numbers. Unknown fields are rejected, so that a field a checker does not
//! understand can never be silently ignored.
//!
//! ```json
//! {"size": 8, "timestamp_ms": 1795000000000,
//!  "root": "5dc9da79…", "key_id": "1f2e…", "signature": "a1b2…"}
//! ```

#![deny(missing_docs)]

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::merkle::{self, Hash, ProofError, VerifyError};

/// Domain-separation tag at the start of every signed tree head message.
pub const STH_CONTEXT: &[u8; 16] = b"outbound-sth-v1\n";

/// Length of [`SignedTreeHead::signed_message`].
pub const STH_MESSAGE_LEN: usize = 96;

/// Version of the proof bundle format written by this crate.
pub const BUNDLE_VERSION: u32 = 1;

/// Identifies the key that signed a head: SHA-256 of the 32-byte Ed25519
/// public key.
///
/// Lets a checker holding several trusted keys (a rotated key, several
/// operators) pick the right one, and report a clear error rather than a
/// bare "bad signature" when given the wrong one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 32]);

impl KeyId {
    /// The key id of `key`.
    pub fn of(key: &VerifyingKey) -> Self {
        Self(Sha256::digest(key.as_bytes()).into())
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        hex_array::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        hex_array::deserialize(d).map(Self)
    }
}

/// Why a key could not be created or read.
///
/// Deliberately never contains key material, so that it can be printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(String),
    /// The text is not hexadecimal.
    #[error("the key is not hexadecimal")]
    NotHex,
    /// The key does not have the right number of bytes.
    #[error("an Ed25519 public key has 32 bytes, this one has {0}")]
    WrongLength(usize),
    /// The 32 bytes are not a valid Ed25519 public key.
    #[error("not a valid Ed25519 public key")]
    Invalid,
}

/// Creates a new Ed25519 signing key from the operating system's random
/// number generator (what `outbound store init` needs).
///
/// # Errors
///
/// [`KeyError::Random`] if the system generator is unavailable.
pub fn generate_signing_key() -> Result<SigningKey, KeyError> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads a public key written as 64 hexadecimal digits (surrounding
/// whitespace, such as a trailing newline in a key file, is ignored).
///
/// # Errors
///
/// [`KeyError::NotHex`], [`KeyError::WrongLength`] or [`KeyError::Invalid`].
pub fn parse_verifying_key(text: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = hex::decode(text.trim()).map_err(|_| KeyError::NotHex)?;
    let bytes: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| KeyError::WrongLength(bytes.len()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::Invalid)
}

/// Writes a public key as 64 lowercase hexadecimal digits, the form
/// [`parse_verifying_key`] reads.
pub fn format_verifying_key(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

/// Why a signed tree head does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// The head names a different key than the one it is checked with.
    #[error("signed by key {found}, but checked against key {expected}")]
    UnknownKey {
        /// Id of the key given to the checker.
        expected: KeyId,
        /// Id of the key named in the head.
        found: KeyId,
    },
    /// The signature is not valid for this head and key: the head was
    /// altered after signing, or not signed by this key.
    #[error("the signature does not match the tree head")]
    BadSignature,
}

/// A tree head signed by the log operator: "the log had `size` entries with
/// root `root` at `timestamp_ms`".
///
/// The fields are public so that a head can be built from storage; any
/// change to a signed head makes [`SignedTreeHead::verify`] fail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTreeHead {
    /// Number of entries in the log.
    pub size: u64,
    /// Milliseconds since the Unix epoch (UTC) when the head was signed.
    pub timestamp_ms: u64,
    /// RFC 6962 root of the first `size` entries.
    #[serde(with = "hex_array")]
    pub root: Hash,
    /// Which key signed the head.
    pub key_id: KeyId,
    /// Ed25519 signature over [`SignedTreeHead::signed_message`].
    #[serde(with = "hex_array")]
    pub signature: [u8; 64],
}

impl SignedTreeHead {
    /// The canonical bytes that are signed (see the module documentation).
    pub fn signed_message(
        size: u64,
        timestamp_ms: u64,
        root: &Hash,
        key_id: &KeyId,
    ) -> [u8; STH_MESSAGE_LEN] {
        let mut m = [0u8; STH_MESSAGE_LEN];
        m[0..16].copy_from_slice(STH_CONTEXT);
        m[16..24].copy_from_slice(&size.to_be_bytes());
        m[24..32].copy_from_slice(&timestamp_ms.to_be_bytes());
        m[32..64].copy_from_slice(root);
        m[64..96].copy_from_slice(&key_id.0);
        m
    }

    /// Signs the head of a tree of `size` entries with root `root`.
    ///
    /// The caller supplies the time so that this module stays pure (and
    /// testable); the store passes the current time.
    pub fn sign(key: &SigningKey, size: u64, root: Hash, timestamp_ms: u64) -> Self {
        let key_id = KeyId::of(&key.verifying_key());
        let message = Self::signed_message(size, timestamp_ms, &root, &key_id);
        let signature = key.sign(&message).to_bytes();
        Self {
            size,
            timestamp_ms,
            root,
            key_id,
            signature,
        }
    }

    /// The bytes this head's signature must cover.
    pub fn message(&self) -> [u8; STH_MESSAGE_LEN] {
        Self::signed_message(self.size, self.timestamp_ms, &self.root, &self.key_id)
    }

    /// Checks that `key` signed exactly this head.
    ///
    /// Uses Ed25519 strict verification, which also rejects weak public keys
    /// and non-canonical signatures, so that no second valid signature can be
    /// derived from a published one.
    ///
    /// # Errors
    ///
    /// [`HeadError::UnknownKey`] if the head names another key,
    /// [`HeadError::BadSignature`] otherwise.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), HeadError> {
        let expected = KeyId::of(key);
        if self.key_id != expected {
            return Err(HeadError::UnknownKey {
                expected,
                found: self.key_id,
            });
        }
        let signature = Signature::from_bytes(&self.signature);
        key.verify_strict(&self.message(), &signature)
            .map_err(|_| HeadError::BadSignature)
    }

    /// The signing time, for display; `None` if it is beyond the range of
    /// dates [`jiff::Timestamp`] can represent.
    pub fn time(&self) -> Option<jiff::Timestamp> {
        let ms = i64::try_from(self.timestamp_ms).ok()?;
        jiff::Timestamp::from_millisecond(ms).ok()
    }
}

/// Which signed head of a bundle an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadRole {
    /// The head of an inclusion bundle.
    Head,
    /// The earlier head of a consistency bundle.
    Old,
    /// The later head of a consistency bundle.
    New,
}

impl std::fmt::Display for HeadRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HeadRole::Head => "signed head",
            HeadRole::Old => "old signed head",
            HeadRole::New => "new signed head",
        })
    }
}

/// Why a proof bundle was rejected, or could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The document is not a valid bundle (syntax, missing or unknown field,
    /// malformed hexadecimal, wrong hash length …).
    #[error("not a valid proof bundle: {0}")]
    Malformed(String),
    /// The bundle was written in a format version this code does not know.
    #[error("unsupported proof bundle version {0} (this version reads {BUNDLE_VERSION})")]
    UnsupportedVersion(u32),
    /// A signed head does not verify.
    #[error("{role}: {source}")]
    Head {
        /// Which head.
        role: HeadRole,
        /// What is wrong with it.
        source: HeadError,
    },
    /// A field of the bundle contradicts its signed head.
    #[error("the bundle's {field} differs from the one in its signed head")]
    HeadMismatch {
        /// `"tree_size"` or `"root"`.
        field: &'static str,
    },
    /// The entry included in the bundle does not hash to its leaf hash.
    #[error("the entry does not hash to the bundle's leaf hash")]
    EntryMismatch,
    /// The inclusion proof does not verify.
    #[error("inclusion proof: {0}")]
    Inclusion(VerifyError),
    /// The consistency proof does not verify.
    #[error("consistency proof: {0}")]
    Consistency(VerifyError),
    /// Building: the leaves asked for are not in the tree.
    #[error("cannot build the proof: {0}")]
    Build(ProofError),
    /// Building: the leaves given do not have the signed head's root (the
    /// store's leaves and its signed heads disagree).
    #[error("the stored entries do not match the {0}")]
    LeavesDisagree(HeadRole),
}

/// A self-contained claim "this entry is at `index` of the log whose signed
/// head is `head`", checkable with the operator's public key alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionBundle {
    /// Format version, [`BUNDLE_VERSION`].
    pub version: u32,
    /// The entry's canonical bytes, when the holder may see them; if present
    /// it must hash to `leaf_hash`. Omitted, the bundle proves inclusion of
    /// a hash whose preimage is disclosed separately (or not at all).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_hex")]
    pub entry: Option<Vec<u8>>,
    /// RFC 6962 leaf hash of the entry.
    #[serde(with = "hex_array")]
    pub leaf_hash: Hash,
    /// Zero-based position of the entry in the log.
    pub index: u64,
    /// Tree size the proof is for; must equal `head.size`.
    pub tree_size: u64,
    /// Audit path, bottom-up.
    #[serde(with = "hex_vec")]
    pub path: Vec<Hash>,
    /// Root the proof leads to; must equal `head.root`.
    #[serde(with = "hex_array")]
    pub root: Hash,
    /// The signed head that commits to `root` and `tree_size`.
    pub head: SignedTreeHead,
}

impl InclusionBundle {
    /// Builds the bundle for entry `index` against `head`, from the stored
    /// leaf hashes (at least `head.size` of them; later ones are ignored).
    ///
    /// Refuses to build a bundle that would not check: the leaves must
    /// reproduce the head's root.
    ///
    /// # Errors
    ///
    /// [`BundleError::Build`] if `index` or `head.size` exceed the leaves,
    /// [`BundleError::LeavesDisagree`] if the leaves do not match the head.
    pub fn build(leaves: &[Hash], index: u64, head: SignedTreeHead) -> Result<Self, BundleError> {
        let tree = prefix(leaves, head.size)?;
        if merkle::root(tree) != head.root {
            return Err(BundleError::LeavesDisagree(HeadRole::Head));
        }
        let path = merkle::inclusion_proof(tree, index).map_err(BundleError::Build)?;
        let leaf_hash = tree[index as usize]; // In range: inclusion_proof checked it.
        Ok(Self {
            version: BUNDLE_VERSION,
            entry: None,
            leaf_hash,
            index,
            tree_size: head.size,
            path,
            root: head.root,
            head,
        })
    }

    /// Attaches the entry's bytes, so that the holder can check what was
    /// logged and not only that some hash was.
    pub fn with_entry(mut self, entry: Vec<u8>) -> Self {
        self.entry = Some(entry);
        self
    }

    /// Checks the bundle: version, the head's signature with `key`, that the
    /// proof's size and root are the head's, the entry's hash if present, and
    /// the inclusion proof.
    ///
    /// # Errors
    ///
    /// The first [`BundleError`] found, in that order.
    pub fn check(&self, key: &VerifyingKey) -> Result<(), BundleError> {
        check_version(self.version)?;
        self.head.verify(key).map_err(|source| BundleError::Head {
            role: HeadRole::Head,
            source,
        })?;
        if self.tree_size != self.head.size {
            return Err(BundleError::HeadMismatch { field: "tree_size" });
        }
        if self.root != self.head.root {
            return Err(BundleError::HeadMismatch { field: "root" });
        }
        if let Some(entry) = &self.entry
            && merkle::leaf_hash(entry) != self.leaf_hash
        {
            return Err(BundleError::EntryMismatch);
        }
        merkle::verify_inclusion(
            &self.leaf_hash,
            self.index,
            self.head.size,
            &self.path,
            &self.head.root,
        )
        .map_err(BundleError::Inclusion)
    }
}

/// A self-contained claim "the log of `new_head` extends the log of
/// `old_head` without changing it", checkable with the operator's public key
/// alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyBundle {
    /// Format version, [`BUNDLE_VERSION`].
    pub version: u32,
    /// The earlier head (typically one the checker kept from before).
    pub old_head: SignedTreeHead,
    /// The later head.
    pub new_head: SignedTreeHead,
    /// Consistency proof from `old_head.size` to `new_head.size`.
    #[serde(with = "hex_vec")]
    pub path: Vec<Hash>,
}

impl ConsistencyBundle {
    /// Builds the bundle from the stored leaf hashes (at least
    /// `new_head.size` of them).
    ///
    /// # Errors
    ///
    /// [`BundleError::Build`] if a head is larger than the leaves or the old
    /// head is larger than the new one, [`BundleError::LeavesDisagree`] if
    /// the leaves do not reproduce a head's root — which, for the old head, is
    /// exactly the tampering this log exists to reveal.
    pub fn build(
        leaves: &[Hash],
        old_head: SignedTreeHead,
        new_head: SignedTreeHead,
    ) -> Result<Self, BundleError> {
        let tree = prefix(leaves, new_head.size)?;
        if merkle::root(tree) != new_head.root {
            return Err(BundleError::LeavesDisagree(HeadRole::New));
        }
        let path = merkle::consistency_proof(tree, old_head.size).map_err(BundleError::Build)?;
        // In range: consistency_proof checked old_head.size <= tree.len().
        if merkle::root(&tree[..old_head.size as usize]) != old_head.root {
            return Err(BundleError::LeavesDisagree(HeadRole::Old));
        }
        Ok(Self {
            version: BUNDLE_VERSION,
            old_head,
            new_head,
            path,
        })
    }

    /// Checks the bundle: version, both heads' signatures with `key`, and the
    /// consistency proof between them.
    ///
    /// # Errors
    ///
    /// The first [`BundleError`] found, in that order.
    pub fn check(&self, key: &VerifyingKey) -> Result<(), BundleError> {
        check_version(self.version)?;
        for (role, head) in [
            (HeadRole::Old, &self.old_head),
            (HeadRole::New, &self.new_head),
        ] {
            head.verify(key)
                .map_err(|source| BundleError::Head { role, source })?;
        }
        merkle::verify_consistency(
            self.old_head.size,
            self.new_head.size,
            &self.old_head.root,
            &self.new_head.root,
            &self.path,
        )
        .map_err(BundleError::Consistency)
    }
}

/// Either kind of bundle, as read from a file by `outbound audit check`; the
/// JSON has a `"type"` field, `"inclusion"` or `"consistency"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProofBundle {
    /// An [`InclusionBundle`].
    Inclusion(InclusionBundle),
    /// A [`ConsistencyBundle`].
    Consistency(ConsistencyBundle),
}

impl ProofBundle {
    /// Parses a bundle from JSON.
    ///
    /// # Errors
    ///
    /// [`BundleError::Malformed`] with the parser's message.
    pub fn from_json(text: &str) -> Result<Self, BundleError> {
        serde_json::from_str(text).map_err(|e| BundleError::Malformed(e.to_string()))
    }

    /// The bundle as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail: no maps with non-string keys,
        // no non-finite floats.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks the bundle with the operator's public key.
    ///
    /// # Errors
    ///
    /// See [`InclusionBundle::check`] and [`ConsistencyBundle::check`].
    pub fn check(&self, key: &VerifyingKey) -> Result<(), BundleError> {
        match self {
            ProofBundle::Inclusion(b) => b.check(key),
            ProofBundle::Consistency(b) => b.check(key),
        }
    }
}

fn check_version(version: u32) -> Result<(), BundleError> {
    if version == BUNDLE_VERSION {
        Ok(())
    } else {
        Err(BundleError::UnsupportedVersion(version))
    }
}

/// The first `size` leaves, or an error if there are fewer.
fn prefix(leaves: &[Hash], size: u64) -> Result<&[Hash], BundleError> {
    usize::try_from(size)
        .ok()
        .and_then(|n| leaves.get(..n))
        .ok_or(BundleError::Build(ProofError::OldSizeTooLarge {
            old_size: size,
            size: leaves.len() as u64,
        }))
}

fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], String> {
    let bytes = hex::decode(text).map_err(|e| format!("invalid hexadecimal: {e}"))?;
    bytes.as_slice().try_into().map_err(|_| {
        format!(
            "expected {N} bytes ({} hex digits), got {} bytes",
            2 * N,
            bytes.len()
        )
    })
}

/// Serde: a fixed-length byte array as a hexadecimal string.
mod hex_array {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<const N: usize, S: Serializer>(
        bytes: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub(crate) fn deserialize<'de, const N: usize, D: Deserializer<'de>>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(d)?;
        super::decode_array(&text).map_err(D::Error::custom)
    }
}

/// Serde: a list of hashes as a list of hexadecimal strings.
mod hex_vec {
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

    use crate::merkle::Hash;

    pub(crate) fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for h in hashes {
            seq.serialize_element(&hex::encode(h))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                super::decode_array(t).map_err(|e| D::Error::custom(format!("[{i}]: {e}")))
            })
            .collect()
    }
}

/// Serde: optional bytes as an optional hexadecimal string.
mod opt_hex {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_str(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| {
                hex::decode(t).map_err(|e| D::Error::custom(format!("invalid hexadecimal: {e}")))
            })
            .transpose()
    }
}
