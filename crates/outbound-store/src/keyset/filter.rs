//! Each chunk's Bloom filter of its keys: a batch of new people reads the
//! filters of the chunks its keys fall in, and the records only of chunks a
//! key may be in.

use super::*;

/// Bits of a chunk's filter per record: 16, with [`PROBES`] probes, about
/// one false positive in 2,000 (2 bytes a person, so a batch of new people
/// reads each chunk's 8 KiB filter instead of its 64 KiB of records).
const FILTER_BITS: usize = 16;
/// Probes per key.
const PROBES: u64 = 11;

/// The probe sequence of a key. Keys are keyed hashes, uniform, so their
/// own bytes serve as the filter's hashes; not the leading bytes, which the
/// chunk's place in the sorted run already fixes.
///
/// A full chunk's filter has a power of two of bits (4,096 × 16), and for
/// it the remainder is taken with a mask: the same bit, without the
/// division that was a tenth of a batch's look-ups at 100M. Other sizes
/// (a run's last chunk) divide as before.
fn probes(key: &[u8], bits: u64) -> impl Iterator<Item = u64> {
    let h1 = u64::from_le_bytes(key[8..16].try_into().expect("16-byte key"));
    let h2 = u64::from_le_bytes(key[4..12].try_into().expect("16-byte key")) | 1;
    let mask = bits.is_power_of_two().then(|| bits - 1);
    (0..PROBES).map(move |i| {
        let h = h1.wrapping_add(i.wrapping_mul(h2));
        match mask {
            Some(m) => h & m,
            None => h % bits,
        }
    })
}

/// The filter of a chunk's records (a Bloom filter of their keys).
pub(super) fn filter_of(records: &[u8], w: Width) -> Vec<u8> {
    let n = records.len() / w.bytes();
    let bits = (n * FILTER_BITS).next_multiple_of(64).max(64) as u64;
    let mut f = vec![0u8; (bits / 8) as usize];
    for rec in records.chunks_exact(w.bytes()) {
        for b in probes(&rec[..16], bits) {
            f[(b / 8) as usize] |= 1 << (b % 8);
        }
    }
    f
}

/// Whether `key` may be in the chunk whose filter is `f` (never a false "no"
/// for a filter made by [`filter_of`]; an empty filter says "maybe").
pub(super) fn may_hold(f: &[u8], key: &Key) -> bool {
    let bits = f.len() as u64 * 8;
    bits == 0 || probes(key, bits).all(|b| f[(b / 8) as usize] & (1 << (b % 8)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn key(i: u64) -> Key {
        let h: [u8; 32] = Sha256::digest(i.to_le_bytes()).into();
        h[..16].try_into().expect("16 bytes")
    }

    /// Every key of a chunk passes its filter (a miss would count a person
    /// twice), and strangers pass about once in 2,000 (the design's rate).
    #[test]
    fn filters_never_miss_and_rarely_admit_strangers() {
        for (w, n) in [
            (Width::KEY, CHUNK),
            (Width::KEY_U32, CHUNK),
            (Width::KEY, 7),
            (Width::KEY, 1),
        ] {
            let mut keys: Vec<Key> = (0..n as u64).map(key).collect();
            keys.sort();
            let mut records = Vec::new();
            for k in &keys {
                Rec { key: *k, value: 9 }.write(w, &mut records);
            }
            let f = filter_of(&records, w);
            assert!(
                keys.iter().all(|k| may_hold(&f, k)),
                "a member missed (width {w:?}, {n} keys)"
            );
            if n == CHUNK {
                let strangers = 200_000u64;
                let admitted = (1_000_000..1_000_000 + strangers)
                    .filter(|i| may_hold(&f, &key(*i)))
                    .count();
                assert!(
                    admitted < 400,
                    "{admitted} of {strangers} strangers admitted"
                );
            }
        }
    }

    /// The probes are the same bits with the mask as with the division, for
    /// the power-of-two sizes the mask serves (a filter written before the
    /// mask must answer as it did), and the other sizes still divide.
    #[test]
    fn masked_probes_are_the_divided_ones() {
        for bits in [64u64, 128, 65_536, 1 << 20, 192, 65_472, 1_000_000] {
            for i in 0..2_000u64 {
                let k = key(i);
                let h1 = u64::from_le_bytes(k[8..16].try_into().unwrap());
                let h2 = u64::from_le_bytes(k[4..12].try_into().unwrap()) | 1;
                let divided: Vec<u64> = (0..PROBES)
                    .map(|j| h1.wrapping_add(j.wrapping_mul(h2)) % bits)
                    .collect();
                assert_eq!(probes(&k, bits).collect::<Vec<_>>(), divided, "{bits} bits");
            }
        }
    }

    /// A filter says "maybe" when it has no bits (never a false "no").
    #[test]
    fn an_empty_filter_admits_everything() {
        assert!(may_hold(&[], &key(1)));
    }
}
