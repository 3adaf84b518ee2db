//! Each chunk's Bloom filter of its keys: a batch of new people reads the
//! filters of the chunks its keys fall in, and the records only of chunks a
//! key may be in.

use super::*;

/// Bits of a chunk's filter per record, with [`PROBES`] probes: 32 since
/// schema 18, about one false positive in 1.3 million (4 bytes a person, so
/// a batch of new people reads each chunk's 16 KiB filter instead of its
/// 64 KiB of records). With 16 bits, one stranger in 2,170 passed a chunk's
/// filter; at 100M a 1M batch then read and hashed about 2,000 chunks
/// (120 MB) it did not need, as many bytes as the filters themselves.
const FILTER_BITS: usize = 32;
/// Bits per record of the filters written before schema 18, still read,
/// checked and kept until a merge rewrites their chunks.
const FILTER_BITS_V17: usize = 16;
/// Probes per key (the same for both sizes: 11 is the best count for 16 bits
/// a key, and at 32 bits leaves one false positive in 1.3 million).
const PROBES: u64 = 11;

/// The probe sequence of a key. Keys are keyed hashes, uniform, so their
/// own bytes serve as the filter's hashes; not the leading bytes, which the
/// chunk's place in the sorted run already fixes.
///
/// A full chunk's filter has a power of two of bits (4,096 × 32, or × 16
/// before schema 18), and for it the remainder is taken with a mask: the
/// same bit, without the division that was a tenth of a batch's look-ups at
/// 100M. Other sizes (a run's last chunk) divide as before.
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

/// The filter of a chunk's records (a Bloom filter of their keys), as a
/// chunk is written now.
pub(super) fn filter_of(records: &[u8], w: Width) -> Vec<u8> {
    filter_with(records, w, FILTER_BITS)
}

/// Whether `stored` is the filter of a chunk's `records`: written now, or
/// before schema 18 (16 bits a key). Either answers without a false "no";
/// any other length or bit is damage.
pub(super) fn filter_matches(stored: &[u8], records: &[u8], w: Width) -> bool {
    let n = records.len() / w.bytes();
    [FILTER_BITS, FILTER_BITS_V17].into_iter().any(|per_key| {
        stored.len() * 8 == filter_bits(n, per_key) && stored == filter_with(records, w, per_key)
    })
}

/// The bits of the filter of `n` records at `per_key` bits each: whole
/// 64-bit words, at least one.
fn filter_bits(n: usize, per_key: usize) -> usize {
    (n * per_key).next_multiple_of(64).max(64)
}

fn filter_with(records: &[u8], w: Width, per_key: usize) -> Vec<u8> {
    let n = records.len() / w.bytes();
    let bits = filter_bits(n, per_key) as u64;
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
    /// twice), at both sizes, and strangers pass at about the design's rate:
    /// once in 2,170 at 16 bits a key, once in 1.3 million at 32.
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
            for (per_key, most) in [(FILTER_BITS_V17, 140), (FILTER_BITS, 2)] {
                let f = filter_with(&records, w, per_key);
                assert_eq!(f.len() * 8, filter_bits(n, per_key));
                assert!(
                    keys.iter().all(|k| may_hold(&f, k)),
                    "a member missed (width {w:?}, {n} keys, {per_key} bits a key)"
                );
                if n == CHUNK {
                    let strangers = 200_000u64;
                    let admitted = (1_000_000..1_000_000 + strangers)
                        .filter(|i| may_hold(&f, &key(*i)))
                        .count();
                    assert!(
                        admitted <= most,
                        "{admitted} of {strangers} strangers admitted at {per_key} bits a key"
                    );
                }
            }
        }
    }

    /// A chunk's filter is accepted as written now (32 bits a key) or before
    /// schema 18 (16 bits), for full and partial chunks; a filter of another
    /// size, of other records, or with one bit flipped is not.
    #[test]
    fn filters_match_at_either_size_and_nothing_else() {
        let w = Width::KEY_U32;
        for n in [1usize, 2, 3, 4, 5, 17, 100, CHUNK - 1, CHUNK] {
            let mut keys: Vec<Key> = (0..n as u64).map(key).collect();
            keys.sort();
            let mut records = Vec::new();
            for k in &keys {
                Rec { key: *k, value: 1 }.write(w, &mut records);
            }
            assert_eq!(
                filter_of(&records, w),
                filter_with(&records, w, FILTER_BITS)
            );
            for per_key in [FILTER_BITS, FILTER_BITS_V17] {
                let f = filter_with(&records, w, per_key);
                assert!(filter_matches(&f, &records, w), "{n} keys, {per_key} bits");
                for bit in [0, f.len() * 4 + 3, f.len() * 8 - 1] {
                    let mut g = f.clone();
                    g[bit / 8] ^= 1 << (bit % 8);
                    assert!(
                        !filter_matches(&g, &records, w),
                        "{n} keys, {per_key} bits, bit {bit}"
                    );
                }
            }
            for per_key in [8, 24, 64] {
                let f = filter_with(&records, w, per_key);
                let sizes = [FILTER_BITS, FILTER_BITS_V17].map(|p| filter_bits(n, p));
                if !sizes.contains(&(f.len() * 8)) {
                    assert!(!filter_matches(&f, &records, w), "{n} keys, {per_key} bits");
                }
            }
            assert!(!filter_matches(&[], &records, w));
            let other = filter_with(&records[w.bytes()..], w, FILTER_BITS);
            if n > 1 && other.len() == filter_of(&records, w).len() {
                assert!(
                    !filter_matches(&other, &records, w),
                    "{n} keys: another chunk's filter"
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

    /// A store written before schema 18 (every filter at 16 bits a key, no
    /// run keeping its index) opens at 18 and counts its people once: the
    /// old filters still find them, the old runs' indexes are read from
    /// their chunks. New chunks get 32-bit filters and new runs their index,
    /// a merge checks the old filters and rewrites them at 32, and verify
    /// finds nothing wrong. Both backends.
    #[test]
    fn a_store_of_sixteen_bit_filters_migrates() {
        use sqlx::Row;
        let dir = tempfile::tempdir().unwrap();
        let keys = crate::Keys::create(&dir.path().join("keys")).unwrap();
        let mut locations = vec![dir.path().join("m.db").display().to_string()];
        locations.extend(crate::testing::fresh_postgres_database());
        let width = |set: &str| {
            if set.starts_with("[\"deliveries\"") {
                Width::KEY_U32
            } else {
                assert!(
                    set.starts_with("[\"subjects\"") || set.starts_with("[\"sensitive\""),
                    "{set}"
                );
                Width::KEY
            }
        };
        // (chunks at 16 bits a key, chunks at 32) over every set.
        let sizes = |s: &crate::Store| {
            s.run("test", async {
                let mut conn = s.pool.acquire().await?;
                let rows = sqlx::query("SELECT set_name, filter, records FROM keyset_chunks")
                    .fetch_all(&mut *conn)
                    .await?;
                let mut n = (0, 0);
                for r in rows {
                    let set: String = r.try_get(0)?;
                    let (f, recs): (Vec<u8>, Vec<u8>) = (r.try_get(1)?, r.try_get(2)?);
                    let keys = recs.len() / width(&set).bytes();
                    if f.len() * 8 == filter_bits(keys, FILTER_BITS) {
                        n.1 += 1;
                    } else {
                        assert_eq!(f.len() * 8, filter_bits(keys, FILTER_BITS_V17), "{set}");
                        n.0 += 1;
                    }
                }
                Ok(n)
            })
            .unwrap()
        };
        for location in locations {
            let s = crate::Store::open(&location).unwrap();
            let rec = crate::testing::bench_record(10_000);
            crate::testing::bench_batch(
                &s,
                &keys,
                &rec,
                &crate::testing::bench_people(&keys, 0, 10_000),
            );
            // As a binary of schema 17 left it.
            s.run("test", async {
                let mut conn = s.pool.acquire().await?;
                let rows = sqlx::query("SELECT set_name, run, chunk, records FROM keyset_chunks")
                    .fetch_all(&mut *conn)
                    .await?;
                for r in rows {
                    let set: String = r.try_get(0)?;
                    let records: Vec<u8> = r.try_get(3)?;
                    sqlx::query("UPDATE keyset_chunks SET filter = $1 WHERE set_name = $2 AND run = $3 AND chunk = $4")
                        .bind(filter_with(&records, width(&set), FILTER_BITS_V17))
                        .bind(set)
                        .bind(r.try_get::<i64, _>(1)?)
                        .bind(r.try_get::<i64, _>(2)?)
                        .execute(&mut *conn)
                        .await?;
                }
                for sql in [
                    "ALTER TABLE keyset_runs DROP COLUMN chunk_index",
                    "UPDATE meta SET value = '17' WHERE key = 'schema_version'",
                ] {
                    sqlx::query(sql).execute(&mut *conn).await?;
                }
                Ok(())
            })
            .unwrap();
            let old = sizes(&s);
            assert!(old.0 >= 6 && old.1 == 0, "{location}: {old:?}");
            // (runs without their index, runs with)
            let indexed = |s: &crate::Store| {
                s.run("test", async {
                    let mut conn = s.pool.acquire().await?;
                    let r = sqlx::query(
                        "SELECT CAST(SUM(CASE WHEN chunk_index IS NULL THEN 1 ELSE 0 END) AS BIGINT), \
                         CAST(SUM(CASE WHEN chunk_index IS NULL THEN 0 ELSE 1 END) AS BIGINT) FROM keyset_runs",
                    )
                    .fetch_one(&mut *conn)
                    .await?;
                    Ok((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?))
                })
                .unwrap()
            };
            drop(s);
            let s = crate::Store::open(&location).unwrap();
            assert_eq!(s.schema_version().unwrap(), 21);
            // Half of them again, and 10,000 new: a key the old filters
            // missed would count twice.
            let people = crate::testing::bench_people(&keys, 5_000, 15_000);
            let (_, counts) = crate::testing::bench_batch(&s, &keys, &rec, &people);
            assert_eq!(counts.new.individuals, 10_000, "{location}");
            let mixed = sizes(&s);
            assert!(mixed.0 == old.0 && mixed.1 >= 6, "{location}: {mixed:?}");
            let runs = indexed(&s);
            assert!(runs.0 >= 3 && runs.1 >= 3, "{location}: {runs:?}");
            // An old run's index is its chunks' rows, read once by a whole
            // read: a digest edited there is still named by verify.
            let report = s.audit_verify(&keys).unwrap();
            assert!(
                report.problems.is_empty(),
                "{location}: {:?}",
                report.problems
            );
            let edit_old_digest = |s: &crate::Store, to: Option<Vec<u8>>| {
                s.run("test", async {
                    let mut conn = s.pool.acquire().await?;
                    let r = sqlx::query(
                        "SELECT c.set_name, c.run, c.digest FROM keyset_chunks c JOIN keyset_runs r \
                         ON r.set_name = c.set_name AND r.run = c.run \
                         WHERE r.chunk_index IS NULL AND c.chunk = 0 ORDER BY c.set_name, c.run LIMIT 1",
                    )
                    .fetch_one(&mut *conn)
                    .await?;
                    let (set, run, was): (String, i64, Vec<u8>) =
                        (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                    sqlx::query("UPDATE keyset_chunks SET digest = $1 WHERE set_name = $2 AND run = $3 AND chunk = 0")
                        .bind(to.unwrap_or_else(|| vec![0u8; 32]))
                        .bind(set)
                        .bind(run)
                        .execute(&mut *conn)
                        .await?;
                    Ok(was)
                })
                .unwrap()
            };
            let was = edit_old_digest(&s, None);
            let report = s.audit_verify(&keys).unwrap();
            assert!(
                !report.problems.is_empty(),
                "{location}: an edited digest went unseen"
            );
            edit_old_digest(&s, Some(was));
            s.merge_runs(&keys).unwrap();
            let merged = sizes(&s);
            assert!(merged.0 == 0 && merged.1 > 0, "{location}: {merged:?}");
            assert_eq!(indexed(&s).0, 0, "{location}");
            let report = s.audit_verify(&keys).unwrap();
            assert!(
                report.problems.is_empty(),
                "{location}: {:?}",
                report.problems
            );
            let people = crate::testing::bench_people(&keys, 0, 20_001);
            let (_, counts) = crate::testing::bench_batch(&s, &keys, &rec, &people);
            assert_eq!(counts.new.individuals, 1, "{location}");
        }
    }
}
