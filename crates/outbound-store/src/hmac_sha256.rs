//! HMAC-SHA-256 under one fixed key, computed on blocks built on the stack.
//!
//! The one keyed hash behind the two the gate computes for every record: the
//! store's subject hash ([`crate::Keys::subject_hash`]) and the gate's
//! pseudonyms (`outbound-gate`'s transforms). Both hash short values (ids,
//! phone numbers, e-mail addresses) under a key fixed for the store's life, so
//! what HMAC spends on the key is spent once here, and what the generic
//! `hmac` crate spends around the two compressions is not spent at all.

use sha2::Digest;
use sha2::block_api::compress256;
use zeroize::Zeroize;

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// HMAC-SHA-256 (RFC 2104) under one key, made once and used for many short
/// messages.
///
/// Why not `hmac::Hmac<Sha256>` cloned per message: keyed once, the generic
/// HMAC still copies its two hash states and its buffer on every clone, and
/// buffers the message on the way in; for a short value that was as much
/// time again as the hashing (a third of the gate's token). Here the key's
/// inner and outer pad blocks are compressed once, in [`HmacSha256::new`]; a
/// message then costs exactly HMAC's compressions (one inner block per 64
/// bytes of message and padding, one outer block: two in all for up to 55
/// bytes) on blocks built on the stack.
///
/// The output is standard HMAC-SHA-256, byte for byte: subject hashes and
/// pseudonyms already issued stay what they were (tested against the `hmac`
/// crate for every message length from 0 to 200 bytes, keys shorter than,
/// of, and longer than a block, and messages in parts).
///
/// The two states are key-equivalent (they compute the HMAC without the
/// key): zeroised on drop, and `Debug` shows neither.
#[derive(Clone)]
pub struct HmacSha256 {
    /// The SHA-256 state after the key's inner pad block (`K ^ 0x36…`).
    inner: [u32; 8],
    /// The SHA-256 state after the key's outer pad block (`K ^ 0x5c…`).
    outer: [u32; 8],
}

impl std::fmt::Debug for HmacSha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSha256 { .. }")
    }
}

impl Drop for HmacSha256 {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

impl HmacSha256 {
    /// HMAC-SHA-256 under `key`, of any length (RFC 2104: a key longer than
    /// a block is hashed first). The key's copies made here are zeroised.
    pub fn new(key: &[u8]) -> Self {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            let mut digest = sha2::Sha256::digest(key);
            block[..32].copy_from_slice(&digest);
            digest.zeroize();
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| {
            let mut state = SHA256_IV;
            let mut padded = block.map(|k| k ^ byte);
            compress256(&mut state, &[padded]);
            padded.zeroize();
            state
        };
        let keyed = HmacSha256 {
            inner: pad(0x36),
            outer: pad(0x5c),
        };
        block.zeroize();
        keyed
    }

    /// The HMAC of `message`.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        self.mac_parts(&[message])
    }

    /// The HMAC of `parts` one after the other, without joining them first
    /// (the gate's pseudonym is a fixed prefix then the value).
    pub fn mac_parts(&self, parts: &[&[u8]]) -> [u8; 32] {
        let len = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
        if len <= 55 {
            // The common case, on its own path: the message, the 0x80 byte
            // and the 8-byte length in one block.
            let mut block = [0u8; 64];
            let mut at = 0;
            for p in parts {
                block[at..at + p.len()].copy_from_slice(p);
                at += p.len();
            }
            block[len] = 0x80;
            block[56..].copy_from_slice(&((64 + len as u64) * 8).to_be_bytes());
            let mut state = self.inner;
            compress256(&mut state, &[block]);
            return self.outer_hash(&state);
        }
        let mut state = self.inner;
        let mut block = [0u8; 64];
        let mut fill = 0usize;
        // The inner hash's message length counts the pad block before it.
        let mut total = 64u64;
        for part in parts {
            let mut rest = *part;
            total = total.wrapping_add(rest.len() as u64);
            if fill > 0 {
                let take = rest.len().min(64 - fill);
                block[fill..fill + take].copy_from_slice(&rest[..take]);
                fill += take;
                rest = &rest[take..];
                if fill < 64 {
                    continue;
                }
                compress256(&mut state, &[block]);
            }
            // Whole blocks straight from the message; the rest waits.
            let (blocks, tail) = rest.as_chunks::<64>();
            if !blocks.is_empty() {
                compress256(&mut state, blocks);
            }
            block[..tail.len()].copy_from_slice(tail);
            fill = tail.len();
        }
        // SHA-256's padding: 0x80, zeros, the length in bits in the last 8
        // bytes, on a second block when fewer than 9 bytes are left.
        block[fill] = 0x80;
        block[fill + 1..].fill(0);
        if fill > 55 {
            compress256(&mut state, &[block]);
            block = [0u8; 64];
        }
        block[56..].copy_from_slice(&total.wrapping_mul(8).to_be_bytes());
        compress256(&mut state, &[block]);
        self.outer_hash(&state)
    }

    /// The outer hash of the inner hash's final `state`: the pad block,
    /// then the inner digest in one block.
    fn outer_hash(&self, state: &[u32; 8]) -> [u8; 32] {
        let mut block = [0u8; 64];
        for (i, w) in state.iter().enumerate() {
            block[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
        }
        block[32] = 0x80;
        block[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
        let mut outer = self.outer;
        compress256(&mut outer, &[block]);
        let mut out = [0u8; 32];
        for (i, w) in outer.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{KeyInit, Mac};

    /// The `hmac` crate's HMAC-SHA-256 of `parts` joined.
    fn generic(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn rfc_4231_vectors() {
        // Test cases 2 and 6 (a short key; a key longer than a block).
        assert_eq!(
            hex::encode(HmacSha256::new(b"Jefe").mac(b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(
                HmacSha256::new(&[0xaa; 131])
                    .mac(b"Test Using Larger Than Block-Size Key - Hash Key First")
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn every_length_is_the_generic_hmac() {
        // Keys empty, short, of the store's length, one short of a block, of
        // a block, one over (hashed first), much longer; messages of every
        // length across the one- and two-block limits (55/56, 119/120).
        let keys: Vec<Vec<u8>> = [0usize, 1, 16, 32, 63, 64, 65, 100, 200]
            .iter()
            .map(|&n| (0..n).map(|i| (i * 7 + 3) as u8).collect())
            .collect();
        let message: Vec<u8> = (0..200u32).map(|i| (i * 31 + 11) as u8).collect();
        for key in &keys {
            let h = HmacSha256::new(key);
            for n in 0..=200 {
                let m = &message[..n];
                let want = generic(key, &[m]);
                assert_eq!(h.mac(m), want, "key {} message {n}", key.len());
                assert_eq!(h.clone().mac(m), want, "a clone, key {}", key.len());
            }
        }
    }

    #[test]
    fn parts_hash_as_if_joined() {
        let h = HmacSha256::new(b"k1");
        let message: Vec<u8> = (0..200u32).map(|i| (i * 13 + 5) as u8).collect();
        for n in [0usize, 1, 30, 55, 56, 63, 64, 65, 120, 128, 200] {
            let m = &message[..n];
            for cut in [0, n / 3, n / 2, n.saturating_sub(1), n] {
                let (a, b) = m.split_at(cut);
                let want = generic(b"k1", &[m]);
                assert_eq!(h.mac_parts(&[a, b]), want, "{n} cut at {cut}");
                let (b1, b2) = b.split_at(b.len() / 2);
                assert_eq!(h.mac_parts(&[a, b"", b1, b2]), want, "{n} in four");
            }
        }
        assert_eq!(h.mac_parts(&[]), generic(b"k1", &[]));
    }

    #[test]
    fn keys_give_different_macs_and_debug_shows_no_state() {
        let a = HmacSha256::new(&[0x42; 32]);
        assert_ne!(
            a.mac(b"C0000001"),
            HmacSha256::new(&[0x43; 32]).mac(b"C0000001")
        );
        assert_eq!(format!("{a:?}"), "HmacSha256 { .. }");
    }
}
