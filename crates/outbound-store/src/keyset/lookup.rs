//! Look-ups: which of a batch's keys a set already holds, reading the
//! filters of the chunks the keys fall in and the records of only the
//! chunks a filter admits, many chunks a query.

use std::task::Poll;

use super::*;

/// A chunk column read by [`fetch_blobs`].
#[derive(Clone, Copy)]
enum Blob {
    Filter,
    Records,
}

/// Chunks a look-up reads in one query: 128 filters (1 MiB) or 32 chunks'
/// records (2 MiB).
const GROUPS: Groups = Groups {
    filters: 128,
    chunks: 32,
};

/// A chunk whose filter admitted keys: its number, and the indexes of the
/// keys it may hold.
type Admitted = (usize, Vec<usize>);

/// How many chunks a look-up's query reads: filters, or admitted chunks'
/// records.
#[derive(Clone, Copy, Debug)]
struct Groups {
    filters: usize,
    chunks: usize,
}

/// Fetches one column of `chunks` (ascending, distinct) of a run as one row:
/// each chunk's number and the column's length, and the values end to end,
/// aggregated in one pass over the rows (so in the same order, whichever it
/// is: an ordered aggregate made SQLite sort the blobs through a temporary
/// b-tree). A batch against 100M reads 24,000 filters a set and a few
/// thousand chunks its filters admit, and sqlx hands each row from SQLite's
/// worker thread to the caller on its own, a wake-up each way and the row's
/// values copied and freed across the two threads: a row a filter cost more
/// than reading it, and a query a chunk more again. Every chunk asked for
/// must be there once, and the bytes as long as the lengths say, or the set
/// is reported damaged. The chunk numbers in the SQL are integers formatted
/// here, never text from the store.
async fn fetch_blobs(
    conn: &mut AnyConnection,
    set: &str,
    run: &Run,
    column: Blob,
    chunks: &[usize],
) -> Result<Blobs, StoreError> {
    let (Some(&from), Some(&to)) = (chunks.first(), chunks.last()) else {
        return Ok(Blobs::default());
    };
    let sqlite = conn.backend_name() == "SQLite";
    let col = match column {
        Blob::Filter => "filter",
        Blob::Records => "records",
    };
    let (listed, joined) = if sqlite {
        // SQLite's group_concat appends a blob's bytes as they are (the
        // database is UTF-8, so there is nothing to convert).
        (
            format!("group_concat(chunk || ':' || LENGTH({col}), ',')"),
            format!("CAST(group_concat({col}, x'') AS BLOB)"),
        )
    } else {
        (
            format!(
                "string_agg(CAST(chunk AS TEXT) || ':' || CAST(octet_length({col}) AS TEXT), ',')"
            ),
            format!("string_agg({col}, ''::bytea)"),
        )
    };
    let which = if to - from + 1 == chunks.len() {
        format!("chunk >= {from} AND chunk <= {to}")
    } else {
        let list: Vec<String> = chunks.iter().map(|c| c.to_string()).collect();
        format!("chunk IN ({})", list.join(","))
    };
    let sql = format!(
        "SELECT {listed}, {joined} FROM keyset_chunks WHERE set_name = $1 AND run = $2 AND {which}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(set.to_string())
        .bind(run.id)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| undecodable(set, e))?;
    let missing = || corrupt(set, "a chunk is missing");
    // No row matched: both aggregates are NULL.
    let Some(listed) = row
        .try_get::<Option<String>, _>(0)
        .map_err(|e| undecodable(set, e))?
    else {
        return Err(missing());
    };
    let bytes = blob(&row, 1, set)?;
    let unreadable = || corrupt(set, "a chunk's length is unreadable");
    let mut spans = vec![None; chunks.len()];
    let mut at = 0usize;
    for pair in listed.split(',') {
        let (chunk, len) = pair.split_once(':').ok_or_else(unreadable)?;
        let chunk: usize = chunk.parse().map_err(|_| unreadable())?;
        let len: usize = len.parse().map_err(|_| unreadable())?;
        let slot = chunks
            .binary_search(&chunk)
            .ok()
            .and_then(|j| spans.get_mut(j))
            .ok_or_else(missing)?;
        if slot.is_some() {
            return Err(missing());
        }
        *slot = Some((at, at.saturating_add(len)));
        at = at.saturating_add(len);
    }
    if at != bytes.len() {
        return Err(corrupt(set, "a chunk is not as long as listed"));
    }
    let spans = spans
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(missing)?;
    Ok(Blobs { bytes, spans })
}

/// One column of some chunks: the values end to end, and where each lies.
#[derive(Default)]
struct Blobs {
    bytes: Vec<u8>,
    /// Per chunk asked for, in order, its value's range in `bytes`.
    spans: Vec<(usize, usize)>,
}

impl Blobs {
    /// The values in the order the chunks were asked for.
    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans.iter().map(|&(a, e)| &self.bytes[a..e])
    }
}

/// Looks up `keys` (sorted, distinct) in every run of `set`, calling `hit(i, rec)`
/// for each key `keys[i]` found. Reads only the chunks the keys fall in.
///
/// Reading and probing overlap: each query is sent before the previous
/// query's filters are probed (or its chunks checked and searched), so the
/// database reads the next group while this thread works on the last. At
/// 100M SQLite's worker thread and the caller each had about half of a
/// look-up's time, one waiting while the other worked.
pub(crate) async fn lookup(
    conn: &mut AnyConnection,
    set: &str,
    w: Width,
    runs: &[Run],
    keys: &[Key],
    hit: impl FnMut(usize, Rec),
) -> Result<(), StoreError> {
    lookup_grouped(conn, set, w, runs, keys, hit, GROUPS).await
}

/// [`lookup`], `groups` chunks a query.
async fn lookup_grouped(
    conn: &mut AnyConnection,
    set: &str,
    w: Width,
    runs: &[Run],
    keys: &[Key],
    mut hit: impl FnMut(usize, Rec),
    groups: Groups,
) -> Result<(), StoreError> {
    for run in runs {
        let wanted = wanted_chunks(&run.firsts, keys);
        // The filters of the wanted chunks, many a query; then the records
        // of only those chunks a key may be in.
        let mut maybe: Vec<Admitted> = Vec::new();
        let mut probe = |first: usize, filters: &Blobs| {
            for (j, f) in filters.iter().enumerate() {
                let (c, from) = wanted[first + j];
                let to = wanted.get(first + j + 1).map_or(keys.len(), |x| x.1);
                let ks: Vec<usize> = (from..to).filter(|i| may_hold(f, &keys[*i])).collect();
                if !ks.is_empty() {
                    maybe.push((c, ks));
                }
            }
        };
        let mut last: Option<(usize, Blobs)> = None;
        for (g, group) in wanted.chunks(groups.filters).enumerate() {
            let chunks: Vec<usize> = group.iter().map(|x| x.0).collect();
            let fetch = fetch_blobs(conn, set, run, Blob::Filter, &chunks);
            let (filters, ()) = overlapped(fetch, || {
                if let Some((first, filters)) = last.take() {
                    probe(first, &filters);
                }
            })
            .await;
            last = Some((g * groups.filters, filters?));
        }
        if let Some((first, filters)) = last.take() {
            probe(first, &filters);
        }
        let mut search = |group: &[Admitted], records: &Blobs| {
            for ((c, ks), bytes) in group.iter().zip(records.iter()) {
                check_read(set, w, run, *c, bytes)?;
                search_chunk(bytes, w, keys, ks, &mut hit);
            }
            Ok::<(), StoreError>(())
        };
        let mut last: Option<(&[Admitted], Blobs)> = None;
        for group in maybe.chunks(groups.chunks) {
            let chunks: Vec<usize> = group.iter().map(|x| x.0).collect();
            let fetch = fetch_blobs(conn, set, run, Blob::Records, &chunks);
            let (records, searched) = overlapped(fetch, || match last.take() {
                Some((group, records)) => search(group, &records),
                None => Ok(()),
            })
            .await;
            searched?;
            last = Some((group, records?));
        }
        if let Some((group, records)) = last.take() {
            search(group, &records)?;
        }
    }
    Ok(())
}

/// Runs `work` while `fetch` waits on the database, and returns both
/// results. `fetch` is polled once first, which hands its query to the
/// driver (SQLite's worker thread, PostgreSQL's socket), and is always
/// awaited to its end, so a failed `work` never leaves a query half read.
async fn overlapped<T, R>(fetch: impl Future<Output = T>, work: impl FnOnce() -> R) -> (T, R) {
    let mut fetch = std::pin::pin!(fetch);
    let first = std::future::poll_fn(|cx| Poll::Ready(fetch.as_mut().poll(cx))).await;
    let worked = work();
    match first {
        Poll::Ready(t) => (t, worked),
        Poll::Pending => (fetch.await, worked),
    }
}

/// Calls `hit` for each of `keys[ks]` (ascending) found in one chunk's
/// records (sorted by key).
fn search_chunk(
    bytes: &[u8],
    w: Width,
    keys: &[Key],
    ks: &[usize],
    hit: &mut impl FnMut(usize, Rec),
) {
    let wb = w.bytes();
    let n = bytes.len() / wb;
    let mut lo = 0;
    for &i in ks {
        let k = &keys[i];
        // Keys ascend, so each search starts where the last ended.
        let (mut a, mut b) = (lo, n);
        while a < b {
            let m = (a + b) / 2;
            if bytes[m * wb..m * wb + 16] < k[..] {
                a = m + 1
            } else {
                b = m
            }
        }
        lo = a;
        if a < n && bytes[a * wb..a * wb + 16] == k[..] {
            hit(i, Rec::read(&bytes[a * wb..], w));
        }
    }
}

/// The chunks `keys` (sorted) could be in, each the last chunk whose first
/// key is at most the key: (chunk, index of its first key in `keys`), in
/// order. A walk over both sorted lists: a key stays in the chunk of the key
/// before it unless the next chunk starts at or before it, and only then is
/// the rest of the index searched. A binary search of the whole index a key
/// (1M keys, 24,000 chunks a run at 100M) was a sixth of a batch's time.
fn wanted_chunks(firsts: &[Key], keys: &[Key]) -> Vec<(usize, usize)> {
    let mut wanted: Vec<(usize, usize)> = Vec::new();
    // Chunks whose first key is <= the current key (the key's chunk is p - 1).
    let mut p = 0;
    for (i, k) in keys.iter().enumerate() {
        if firsts.get(p).is_some_and(|f| f <= k) {
            p += 1 + firsts[p + 1..].partition_point(|f| f <= k);
        }
        if p == 0 {
            continue;
        }
        if wanted.last().is_none_or(|(c, _)| *c != p - 1) {
            wanted.push((p - 1, i));
        }
    }
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Look-ups across many queries (a few chunks a query, so every group
    /// boundary of the overlapped reads is crossed) find exactly the members
    /// asked for, with their values, in a run of 50 chunks and a small one,
    /// among strangers, on both backends; a damaged chunk in a middle group
    /// fails the look-up, whatever the group sizes.
    #[test]
    fn lookups_in_groups_find_exactly_the_members() {
        use sha2::{Digest, Sha256};
        let key = |i: u64| -> Key {
            let h: [u8; 32] = Sha256::digest(i.to_le_bytes()).into();
            h[..16].try_into().expect("16 bytes")
        };
        let big: Vec<u64> = (0..50 * CHUNK as u64).collect();
        let small: Vec<u64> = (300_000..303_000).collect();
        let sorted = |ids: &[u64]| {
            let mut recs: Vec<Rec> = ids
                .iter()
                .map(|&i| Rec {
                    key: key(i),
                    value: i as u32,
                })
                .collect();
            recs.sort_by_key(|r| r.key);
            recs
        };
        // Members from every chunk of both runs, and strangers.
        let mut asked: Vec<(Key, Option<u32>)> = big
            .iter()
            .step_by(37)
            .chain(small.iter().take(100))
            .map(|&i| (key(i), Some(i as u32)))
            .chain((1_000_000..1_030_000).map(|i| (key(i), None)))
            .collect();
        asked.sort();
        let keys: Vec<Key> = asked.iter().map(|a| a.0).collect();
        let dir = tempfile::tempdir().unwrap();
        let mut locations = vec![dir.path().join("g.db").display().to_string()];
        locations.extend(crate::testing::fresh_postgres_database());
        let all = [
            Groups {
                filters: 1,
                chunks: 1,
            },
            Groups {
                filters: 3,
                chunks: 2,
            },
            GROUPS,
            Groups {
                filters: 1_000,
                chunks: 1_000,
            },
        ];
        for location in locations {
            let s = crate::Store::open(&location).unwrap();
            s.run("test", async {
                let mut conn = s.pool.acquire().await?;
                add(&mut conn, "g", Width::KEY_U32, &sorted(&big)).await?;
                add(&mut conn, "g", Width::KEY_U32, &sorted(&small)).await?;
                let runs = runs(&mut conn, "g").await?;
                assert_eq!(runs.iter().map(|r| r.firsts.len()).collect::<Vec<_>>(), [50, 1]);
                for groups in all {
                    let mut found = vec![None; keys.len()];
                    lookup_grouped(&mut conn, "g", Width::KEY_U32, &runs, &keys, |i, r| {
                        assert!(found[i].is_none(), "{location}: key {i} found twice");
                        found[i] = Some(r.value);
                    }, groups)
                    .await?;
                    let want: Vec<Option<u32>> = asked.iter().map(|a| a.1).collect();
                    assert_eq!(found, want, "{location}: {groups:?}");
                }
                // Chunk 30 of the big run, a middle group for every size.
                sqlx::query("UPDATE keyset_chunks SET records = $1 WHERE set_name = 'g' AND run = $2 AND chunk = 30")
                    .bind(vec![0u8; CHUNK * 20])
                    .bind(runs[0].id)
                    .execute(&mut *conn)
                    .await?;
                for groups in all {
                    let damaged = lookup_grouped(&mut conn, "g", Width::KEY_U32, &runs, &keys, |_, _| {}, groups).await;
                    assert!(damaged.is_err(), "{location}: {groups:?}");
                }
                Ok(())
            })
            .unwrap();
        }
    }

    /// Filters and records read together as one aggregated row are the
    /// rows' bytes, in the order asked for whatever order they were written
    /// in, ranges and lists, on both backends: NUL bytes, bytes that are not
    /// UTF-8, an empty filter. A chunk missing from a range or list is
    /// refused.
    #[test]
    fn chunks_read_together_are_each_rows_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut locations = vec![dir.path().join("f.db").display().to_string()];
        locations.extend(crate::testing::fresh_postgres_database());
        let filters: Vec<Vec<u8>> = vec![
            vec![0, 0, 0],
            vec![0xC3, 0x28, 0xFF, 0x00, 0xE2, 0x82],
            vec![],
            (0..=255u8).cycle().take(8192).collect(),
            b"a,b".to_vec(),
        ];
        for location in locations {
            let s = crate::Store::open(&location).unwrap();
            s.run("test", async {
                let mut conn = s.pool.acquire().await?;
                // Written last chunk first.
                for (c, f) in filters.iter().enumerate().rev() {
                    sqlx::query(
                        "INSERT INTO keyset_chunks (set_name, run, chunk, first_key, filter, records) \
                         VALUES ('t', 1, $1, $2, $3, $4)",
                    )
                    .bind(c as i64)
                    .bind(vec![c as u8; 16])
                    .bind(f.clone())
                    .bind(vec![c as u8; 16])
                    .execute(&mut *conn)
                    .await?;
                }
                let run = Run {
                    id: 1,
                    records: filters.len() as i64,
                    firsts: (0..filters.len()).map(|c| [c as u8; 16]).collect(),
                    chunk_digests: vec![None; filters.len()],
                    kept: false,
                };
                let lists: [&[usize]; 6] = [&[0, 1, 2, 3, 4], &[1, 2, 3], &[2], &[4], &[0, 3], &[1, 2, 4]];
                for chunks in lists {
                    for column in [Blob::Filter, Blob::Records] {
                        let got = fetch_blobs(&mut conn, "t", &run, column, chunks).await?;
                        let got: Vec<&[u8]> = got.iter().collect();
                        let want: Vec<&[u8]> = match column {
                            Blob::Filter => chunks.iter().map(|&c| &filters[c][..]).collect(),
                            Blob::Records => chunks.iter().map(|&c| &run.firsts[c][..]).collect(),
                        };
                        assert_eq!(got, want, "{location}: chunks {chunks:?}");
                    }
                }
                sqlx::query("DELETE FROM keyset_chunks WHERE chunk = 2")
                    .execute(&mut *conn)
                    .await?;
                for chunks in [&[1usize, 2, 3][..], &[2], &[0, 2, 4]] {
                    let gap = fetch_blobs(&mut conn, "t", &run, Blob::Filter, chunks).await;
                    assert!(
                        gap.is_err_and(|e| e.to_string().contains("a chunk is missing")),
                        "{location}: {chunks:?}"
                    );
                }
                Ok(())
            })
            .unwrap();
        }
    }

    /// The walk finds, for every key, the chunk a binary search of the
    /// whole index finds: keys before the first chunk (none), on a chunk's
    /// first key, between chunks, past the last, sparse and dense, and
    /// with empty lists.
    #[test]
    fn wanted_chunks_are_what_a_search_per_key_finds() {
        let mut x = 5u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let key = |v: u64| -> Key {
            let mut k = [0u8; 16];
            k[..8].copy_from_slice(&v.to_be_bytes());
            k
        };
        let reference = |firsts: &[Key], keys: &[Key]| {
            let mut wanted: Vec<(usize, usize)> = Vec::new();
            for (i, k) in keys.iter().enumerate() {
                let p = firsts.partition_point(|f| f <= k);
                if p > 0 && wanted.last().is_none_or(|(c, _)| *c != p - 1) {
                    wanted.push((p - 1, i));
                }
            }
            wanted
        };
        for (nf, nk, range) in [
            (0, 10, 1_000),
            (10, 0, 1_000),
            (1, 5, 10),
            (50, 10_000, 1_000_000),
            (10_000, 50, 1_000_000),
            (300, 300, 600),
        ] {
            let mut firsts: Vec<u64> = (0..nf).map(|_| next() % range).collect();
            let mut keys: Vec<u64> = (0..nk).map(|_| next() % range).collect();
            // Some keys on a chunk's first key exactly.
            keys.extend(firsts.iter().step_by(3).copied());
            firsts.sort();
            firsts.dedup();
            keys.sort();
            keys.dedup();
            let firsts: Vec<Key> = firsts.into_iter().map(key).collect();
            let keys: Vec<Key> = keys.into_iter().map(key).collect();
            assert_eq!(
                wanted_chunks(&firsts, &keys),
                reference(&firsts, &keys),
                "{nf} chunks, {nk} keys"
            );
        }
    }
}
