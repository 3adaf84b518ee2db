//! Store secrets: the key for hashing subject identifiers and the audit log's
//! Ed25519 signing key.
//!
//! Kept in files readable only by their owner (0600, in a 0700 directory), or
//! given by the environment (`OUTBOUND_HASH_KEY`, `OUTBOUND_SIGNING_KEY`, hex).
//! Never printed: `Debug` shows only the public key id.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::StoreError;
use crate::hmac_sha256::HmacSha256;

/// The secrets of one store.
pub struct Keys {
    /// HMAC-SHA-256 already keyed with the hash key (inner and outer pads
    /// compressed): [`Keys::subject_hash`] costs two SHA-256 compressions
    /// per short identifier, on stack blocks, with the same output as keying
    /// anew. The key itself is zeroised once this is made; this state is
    /// key-equivalent, lives as long as the keys and is zeroised with them.
    hash_mac: HmacSha256,
    signing: SigningKey,
}

/// The keyed HMAC state for `key`.
fn keyed(key: &[u8; 32]) -> HmacSha256 {
    HmacSha256::new(key)
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keys {{ signing key id: {} }}",
            crate::signed_head::KeyId::of(&self.signing.verifying_key())
        )
    }
}

const HASH_FILE: &str = "hash.key";
const SIGNING_FILE: &str = "signing.key";

/// A key problem, with the failure behind it when it shows no key material.
fn key_error(problem: String, source: Option<crate::Source>) -> StoreError {
    StoreError::Keys { problem, source }
}

fn random32() -> Result<[u8; 32], StoreError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| {
        key_error(
            "no randomness from the operating system".into(),
            Some(e.into()),
        )
    })?;
    Ok(b)
}

/// Parses a 32-byte hex key. Errors name `what` (a file or variable), never the
/// text: hex's own error would quote a character of the key.
fn parse_hex32(what: &str, text: &str) -> Result<[u8; 32], StoreError> {
    let v = hex::decode(text.trim())
        .map_err(|_| key_error(format!("{what} is not hexadecimal"), None))?;
    v.try_into()
        .map_err(|_| key_error(format!("{what} must be 32 bytes (64 hex digits)"), None))
}

/// Writes a new file readable only by its owner; refuses to overwrite.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| key_error(format!("cannot create {}", path.display()), Some(e.into())))?;
    f.write_all(hex::encode(bytes).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| key_error(format!("cannot write {}", path.display()), Some(e.into())))
}

impl Keys {
    /// Creates new keys in `dir` (created 0700). Fails if keys already exist there.
    pub fn create(dir: &Path) -> Result<Keys, StoreError> {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir)
            .map_err(|e| key_error(format!("cannot create {}", dir.display()), Some(e.into())))?;
        let hash_key = Zeroizing::new(random32()?);
        let seed = Zeroizing::new(random32()?);
        write_secret(&dir.join(HASH_FILE), hash_key.as_ref())?;
        write_secret(&dir.join(SIGNING_FILE), seed.as_ref())?;
        Ok(Keys {
            hash_mac: keyed(&hash_key),
            signing: SigningKey::from_bytes(&seed),
        })
    }

    /// Loads keys from the environment if set, else from `dir`.
    pub fn load(dir: &Path) -> Result<Keys, StoreError> {
        let read = |env: &str, file: &str| -> Result<Zeroizing<[u8; 32]>, StoreError> {
            if let Ok(v) = std::env::var(env) {
                return Ok(Zeroizing::new(parse_hex32(env, &v)?));
            }
            let path = dir.join(file);
            #[cfg(unix)]
            if let Ok(meta) = std::fs::metadata(&path) {
                use std::os::unix::fs::PermissionsExt;
                if meta.permissions().mode() & 0o077 != 0 {
                    return Err(key_error(
                        format!(
                            "{} is readable by others; run `chmod 600 {}`",
                            path.display(),
                            path.display()
                        ),
                        None,
                    ));
                }
            }
            let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| {
                key_error(
                    format!(
                        "cannot read {} (run `outbound store init`, or set {env})",
                        path.display()
                    ),
                    Some(e.into()),
                )
            })?);
            Ok(Zeroizing::new(parse_hex32(
                &path.display().to_string(),
                &text,
            )?))
        };
        let hash_key = read("OUTBOUND_HASH_KEY", HASH_FILE)?;
        let seed = read("OUTBOUND_SIGNING_KEY", SIGNING_FILE)?;
        Ok(Keys {
            hash_mac: keyed(&hash_key),
            signing: SigningKey::from_bytes(&seed),
        })
    }

    /// The keyed hash of a subject identifier: HMAC-SHA256, first 16 bytes.
    ///
    /// 128 bits keep collisions negligible at any realistic volume while halving
    /// the index size; the key keeps identifiers from being confirmed by hashing guesses.
    pub fn subject_hash(&self, normalized_id: &[u8]) -> [u8; 16] {
        let out = self.hash_mac.mac(normalized_id);
        let mut h = [0u8; 16];
        h.copy_from_slice(&out[..16]);
        h
    }

    /// The audit log's signing key.
    pub fn signing(&self) -> &SigningKey {
        &self.signing
    }

    /// The public key that verifies the log's heads.
    pub fn verifying(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }
}

/// Where the keys of a SQLite store live by default: beside the database file.
pub fn default_dir_for(db_path: &Path) -> PathBuf {
    let mut p = db_path.as_os_str().to_owned();
    p.push(".keys");
    PathBuf::from(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{KeyInit, Mac};

    /// The generic HMAC-SHA-256 the stored hashes were first made with.
    type HashMac = hmac::Hmac<sha2::Sha256>;

    /// Keys with a fixed hash key, as `OUTBOUND_HASH_KEY` would give them.
    fn fixed() -> Keys {
        let hash_key = Zeroizing::new([0x42u8; 32]);
        Keys {
            hash_mac: keyed(&hash_key),
            signing: SigningKey::from_bytes(&[7u8; 32]),
        }
    }

    #[test]
    fn subject_hashes_stay_what_they_were_when_issued() {
        let k = fixed();
        // Issued by the version that keyed a new HMAC per call: a ledger's
        // counted subjects and its consent records must keep meeting.
        assert_eq!(
            hex::encode(k.subject_hash(b"C0000001")),
            "dc01b12861e05fef0d3c9c565053e4e9"
        );
        for id in [&b""[..], b"13812345678", &[b'x'; 200]] {
            let mut fresh = <HashMac as KeyInit>::new_from_slice(&[0x42u8; 32]).unwrap();
            fresh.update(id);
            assert_eq!(
                k.subject_hash(id)[..],
                fresh.finalize().into_bytes()[..16],
                "{} bytes",
                id.len()
            );
        }
        let other = Keys {
            hash_mac: keyed(&[0x43; 32]),
            signing: SigningKey::from_bytes(&[7u8; 32]),
        };
        assert_ne!(other.subject_hash(b"C0000001"), k.subject_hash(b"C0000001"));
    }
}
