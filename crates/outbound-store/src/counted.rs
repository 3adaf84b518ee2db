//! The individuals counted per exporter and year, kept exactly at any size.
//!
//! Per exporter and year two key sets ([`crate::keyset`]): everyone counted,
//! and those whose sensitive PI left. Their sizes are the counts, read from
//! the run list without touching a key. The window the thresholds read
//! ("from 1 January of the previous year") is the union of two years, kept
//! without recounting: each year also keeps how many of its people were
//! already counted the year before (`["overlap", exporter, year]`, and the
//! same for sensitive PI), moved by exactly the keys a batch adds, so
//! |A ∪ B| = |A| + |B| − |A ∩ B| is three numbers.
//!
//! What is committed: the part `["subjects", exporter, year]` (rows =
//! everyone, sensitive = the sensitive subset, digest = the LtHash of both
//! sets' run digests, so a batch moves it by a run or two, never by a hash
//! per person) and the two overlap parts (counts only: the committed sets
//! determine them). `audit verify` recomputes all three from the runs.
//!
//! A group of exporters keeps its own sets of their union per year
//! ([`crate::group_sets`]), brought up to date by every batch of a member.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::StoreError;
use crate::keyset::{self, Key, Rec, SetCursor, Width};
use crate::ledger::Counts;
use crate::state::{Delta, Part, Parts, describe, subjects_part, tampered};

/// The set of the people of an exporter and year whose sensitive PI left.
pub(crate) fn sensitive_set(exporter: &str, year: i64) -> String {
    serde_json::json!(["sensitive", exporter, year]).to_string()
}

/// The part counting the people of `year` already counted in `year - 1`.
pub(crate) fn overlap_part(exporter: &str, year: i64) -> String {
    serde_json::json!(["overlap", exporter, year]).to_string()
}

/// The same for the sensitive subsets.
pub(crate) fn overlap_sensitive_part(exporter: &str, year: i64) -> String {
    serde_json::json!(["overlap_sensitive", exporter, year]).to_string()
}

/// The hash of one counted person (exporter, year, key and whether their
/// sensitive PI left), as the digests before schema 15 summed them: kept to
/// check an old store's sets before its digests move.
pub(crate) fn subject_hash(
    exporter: &str,
    year: i64,
    key: &Key,
    sensitive: bool,
) -> crate::merkle::Hash {
    person_hash(
        b"outbound-ledger-subject-v3\n",
        exporter,
        year,
        key,
        sensitive,
    )
}

/// The hash of one person in an overlap part (`sensitive`: the sensitive
/// one), likewise only for the old digests.
fn overlap_hash(exporter: &str, year: i64, key: &Key, sensitive: bool) -> crate::merkle::Hash {
    person_hash(
        b"outbound-ledger-overlap-v1\n",
        exporter,
        year,
        key,
        sensitive,
    )
}

/// A person in a part named by `domain`: field by field, length-prefixed
/// (hot path: one per new person).
fn person_hash(
    domain: &[u8],
    exporter: &str,
    year: i64,
    key: &Key,
    flag: bool,
) -> crate::merkle::Hash {
    let mut h = Sha256::new();
    h.update(domain);
    h.update((exporter.len() as u64).to_be_bytes());
    h.update(exporter.as_bytes());
    h.update(key);
    h.update(year.to_be_bytes());
    h.update([u8::from(flag)]);
    h.finalize().into()
}

/// People a batch added to the overlap of its own year (all, sensitive), and
/// which of the batch's people were counted before it (empty when it counts no one).
#[derive(Clone, Debug, Default)]
pub(crate) struct Overlap {
    all: i64,
    sensitive: i64,
    pub(crate) counted_before: Vec<bool>,
    /// The keys new to the exporter's sets, for the kept group sets.
    added: crate::group_sets::Added,
}

/// Which of `keys` (sorted, distinct) are in `set`.
pub(crate) async fn present(
    conn: &mut AnyConnection,
    set: &str,
    keys: &[Key],
) -> Result<Vec<bool>, StoreError> {
    let mut found = vec![false; keys.len()];
    if keys.is_empty() {
        return Ok(found);
    }
    let runs = keyset::runs(conn, set).await?;
    keyset::lookup(conn, set, Width::KEY, &runs, keys, |i, _| found[i] = true).await?;
    Ok(found)
}

/// Counts `people` (sorted, distinct keys, each with whether its sensitive PI
/// left) for `exporter` in `year`: adds the new ones, upgrades those newly
/// sensitive, moves the digests in `delta`. Returns the new counts.
pub(crate) async fn add(
    conn: &mut AnyConnection,
    exporter: &str,
    year: i64,
    people: &[(Key, bool)],
    delta: &mut Delta,
) -> Result<(Counts, Overlap), StoreError> {
    let mut ov = Overlap::default();
    if people.is_empty() {
        return Ok((Counts::default(), ov));
    }
    let (all_set, sens_set, part) = (
        subjects_part(exporter, year),
        sensitive_set(exporter, year),
        subjects_part(exporter, year),
    );
    let keys: Vec<Key> = people.iter().map(|p| p.0).collect();
    let sens_keys: Vec<Key> = people.iter().filter(|p| p.1).map(|p| p.0).collect();
    let seen = present(conn, &all_set, &keys).await?;
    let sens_seen = present(conn, &sens_set, &sens_keys).await?;
    let mut new_all = Vec::new();
    let mut new_sens = Vec::new();
    let mut j = 0;
    for (i, (k, sensitive)) in people.iter().enumerate() {
        if !seen[i] {
            new_all.push(*k);
        }
        if *sensitive {
            // New, or counted before without sensitive PI.
            if !sens_seen[j] {
                new_sens.push(*k);
            }
            j += 1;
        }
    }
    // The overlaps with the neighbouring years move by the keys new here.
    for (other, owner) in [(year - 1, year), (year + 1, year + 1)] {
        for (new, sensitive) in [(&new_all, false), (&new_sens, true)] {
            let (set, part) = if sensitive {
                (
                    sensitive_set(exporter, other),
                    overlap_sensitive_part(exporter, owner),
                )
            } else {
                (
                    subjects_part(exporter, other),
                    overlap_part(exporter, owner),
                )
            };
            let hits = present(conn, &set, new).await?;
            let n = hits.iter().filter(|h| **h).count() as i64;
            delta.count(&part, n);
            if owner == year {
                if sensitive {
                    ov.sensitive += n
                } else {
                    ov.all += n
                }
            }
        }
    }
    let recs = |ks: &[Key]| {
        ks.iter()
            .map(|k| Rec { key: *k, value: 0 })
            .collect::<Vec<_>>()
    };
    // The part's digest moves by the runs written and merged away.
    for (set, new, sensitive) in [(&all_set, &new_all, false), (&sens_set, &new_sens, true)] {
        for c in keyset::add(conn, set, Width::KEY, &recs(new)).await? {
            delta.run(&part, &c, sensitive);
        }
    }
    ov.counted_before = seen;
    let counts = Counts {
        individuals: new_all.len() as u64,
        sensitive_individuals: new_sens.len() as u64,
    };
    ov.added = crate::group_sets::Added {
        exporter: exporter.to_string(),
        year,
        all: new_all,
        sensitive: new_sens,
    };
    Ok((counts, ov))
}

/// The counts of one exporter and year from its sets' run lists.
async fn year_counts(
    conn: &mut AnyConnection,
    exporter: &str,
    year: i64,
) -> Result<Counts, StoreError> {
    Ok(Counts {
        individuals: keyset::len(conn, &subjects_part(exporter, year))
            .await?
            .max(0) as u64,
        sensitive_individuals: keyset::len(conn, &sensitive_set(exporter, year))
            .await?
            .max(0) as u64,
    })
}

/// Distinct people of `exporters` in years `from..=to`, streaming the sets (for
/// wide windows and groups without kept sets, see [`crate::group_sets`]; one
/// exporter's one or two years never come here).
async fn union(
    conn: &mut AnyConnection,
    exporters: &[String],
    from: i64,
    to: i64,
) -> Result<Counts, StoreError> {
    let mut all = Vec::new();
    let mut sens = Vec::new();
    for e in exporters {
        for y in from..=to {
            all.push(subjects_part(e, y));
            sens.push(sensitive_set(e, y));
        }
    }
    let w = vec![Width::KEY; all.len()];
    Ok(Counts {
        individuals: keyset::union_len(conn, &all, &w).await?,
        sensitive_individuals: keyset::union_len(conn, &sens, &w).await?,
    })
}

/// Inside a batch, right after [`add`]: brings the kept sets of every group
/// holding the exporter up to date with the keys it added (whoever the batch
/// is judged for), then the current year's counts and those from 1 January
/// of the previous year, for the exporter or its group (a group's from its
/// kept sets, see [`crate::group_sets`]).
pub(crate) async fn window(
    conn: &mut AnyConnection,
    parts: &Parts,
    exporters: &[String],
    year: i64,
    ov: &Overlap,
    delta: &mut Delta,
) -> Result<(Counts, Counts), StoreError> {
    let mut groups = crate::group_sets::Batch::new(parts);
    groups.maintain(conn, &ov.added, delta).await?;
    let members = crate::group_sets::members(exporters);
    if members.len() > 1 {
        return groups.window(conn, &members, year, delta).await;
    }
    if let [e] = members.as_slice() {
        let cur = year_counts(conn, e, year).await?;
        let prev = year_counts(conn, e, year - 1).await?;
        let rows = |p: String| parts.get(&p).map_or(0, |p| p.rows);
        let both = Counts {
            individuals: (cur.individuals + prev.individuals)
                .saturating_sub((rows(overlap_part(e, year)) + ov.all) as u64),
            sensitive_individuals: (cur.sensitive_individuals + prev.sensitive_individuals)
                .saturating_sub((rows(overlap_sensitive_part(e, year)) + ov.sensitive) as u64),
        };
        return Ok((cur, both));
    }
    Err(StoreError::NoExporter)
}

/// Committed counts, for reads outside a batch: one exporter's one or two
/// years from the committed parts (no key is read), anything else streamed.
pub(crate) async fn counts(
    conn: &mut AnyConnection,
    exporters: &[String],
    from: i64,
    to: i64,
) -> Result<Counts, StoreError> {
    let members = crate::group_sets::members(exporters);
    if let [e] = members.as_slice()
        && to - from <= 1
        && from <= to
    {
        let mut total = Counts::default();
        for y in from..=to {
            let (rows, sens) = part_counts(conn, &subjects_part(e, y)).await?;
            total.individuals += rows.max(0) as u64;
            total.sensitive_individuals += sens.max(0) as u64;
        }
        if to > from {
            let (o, _) = part_counts(conn, &overlap_part(e, to)).await?;
            let (os, _) = part_counts(conn, &overlap_sensitive_part(e, to)).await?;
            total.individuals = total.individuals.saturating_sub(o.max(0) as u64);
            total.sensitive_individuals =
                total.sensitive_individuals.saturating_sub(os.max(0) as u64);
        }
        return Ok(total);
    }
    if members.len() > 1
        && let Some(c) = crate::group_sets::counts(conn, &members, from, to).await?
    {
        return Ok(c);
    }
    union(conn, exporters, from, to).await
}

async fn part_counts(conn: &mut AnyConnection, part: &str) -> Result<(i64, i64), StoreError> {
    let r = sqlx::query("SELECT rows_n, sensitive FROM ledger_state WHERE part = $1")
        .bind(part.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match r {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => (0, 0),
    })
}

/// Before a batch: the sets of `exporter` in `year` hold what the log committed
/// (their sizes from the run lists and the bytes of their chunks; O(runs + chunks),
/// never a pass over the keys, which `audit verify` makes).
pub(crate) async fn check(
    conn: &mut AnyConnection,
    parts: &Parts,
    exporter: &str,
    year: i64,
) -> Result<(), StoreError> {
    let part = subjects_part(exporter, year);
    let p = parts.get(&part).copied().unwrap_or_default();
    check_sets(conn, &p, &part, &sensitive_set(exporter, year)).await
}

/// A pair of sets (everyone, the sensitive subset) whose part `part` is
/// committed as `p`: their sizes and chunk bytes match it, and so does the
/// LtHash of their runs' digests (made of the chunk digests in the index,
/// which every later read of a chunk checks its records against).
pub(crate) async fn check_sets(
    conn: &mut AnyConnection,
    p: &Part,
    part: &str,
    sens: &str,
) -> Result<(), StoreError> {
    check_runs(
        conn,
        p,
        part,
        &[(part, p.rows, Width::KEY), (sens, p.sensitive, Width::KEY)],
    )
    .await
}

/// Sets whose runs part `part` commits to as `p`: each set's size (its
/// runs' records) is the count given with it, its chunks hold that many
/// records' bytes, and the LtHash of all their runs' digests is `p`'s.
/// O(runs + chunks): no key is read.
pub(crate) async fn check_runs(
    conn: &mut AnyConnection,
    p: &Part,
    part: &str,
    sets: &[(&str, i64, Width)],
) -> Result<(), StoreError> {
    let mismatch = || tampered(format!("{} do not match the log", describe(part)));
    let mut lt = crate::lthash::LtHash::default();
    for &(set, committed, w) in sets {
        let n = keyset::len(conn, set).await?;
        if n != committed || keyset::stored_bytes(conn, set).await? != n * w.bytes() as i64 {
            return Err(mismatch());
        }
        for (digest, _) in keyset::run_digests(conn, set).await? {
            lt.insert(&digest.ok_or_else(mismatch)?);
        }
    }
    if lt.checksum() != p.digest {
        return Err(mismatch());
    }
    Ok(())
}

/// Every counted person and overlap, from the runs, into `d` (for `audit verify`).
pub(crate) async fn recompute(conn: &mut AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    let mut years: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut groups = Vec::new();
    for name in keyset::set_names(conn).await? {
        if crate::group_sets::is_group_set(&name) {
            groups.push(name);
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&name)
            .map_err(|_| tampered("a key set has an unreadable name"))?;
        match (v[0].as_str(), v[1].as_str(), v[2].as_i64()) {
            (Some("subjects"), Some(e), Some(y)) => years.entry(e.to_string()).or_default().push(y),
            (Some("sensitive" | "deliveries" | "delivery_days"), Some(_), Some(_)) => {}
            (Some("consent_days"), Some(_), None) => {}
            _ => return Err(tampered("a key set has an unknown name")),
        }
    }
    for (e, ys) in &years {
        for &y in ys {
            match recompute_year(conn, e, y, ys.contains(&(y - 1)), d).await {
                Err(StoreError::Tampered { .. }) => d.damage(&subjects_part(e, y)),
                other => other?,
            }
        }
    }
    crate::group_sets::recompute(conn, &groups, d).await
}

/// One exporter-year's people and overlap, into `d`.
async fn recompute_year(
    conn: &mut AnyConnection,
    e: &str,
    y: i64,
    has_prev: bool,
    d: &mut Delta,
) -> Result<(), StoreError> {
    let part = subjects_part(e, y);
    let mut all = SetCursor::open(conn, &part, Width::KEY).await?;
    let mut sens = SetCursor::open(conn, &sensitive_set(e, y), Width::KEY).await?;
    let mut s = sens.next(conn).await?;
    while let Some(r) = all.next(conn).await? {
        if s.is_some_and(|x| x.key < r.key) {
            return Err(tampered(format!(
                "{} list a sensitive person who is not counted",
                describe(&part)
            )));
        }
        let flagged = s.is_some_and(|x| x.key == r.key);
        if flagged {
            s = sens.next(conn).await?;
        }
        d.legacy_row(&part, || subject_hash(e, y, &r.key, flagged));
    }
    if s.is_some() {
        return Err(tampered(format!(
            "{} list a sensitive person who is not counted",
            describe(&part)
        )));
    }
    d.runs_read(&part, &part, &all.runs_read()?, false);
    d.runs_read(&part, &sensitive_set(e, y), &sens.runs_read()?, true);
    if !has_prev {
        return Ok(());
    }
    for sensitive in [false, true] {
        let (a, b, p) = if sensitive {
            (
                sensitive_set(e, y),
                sensitive_set(e, y - 1),
                overlap_sensitive_part(e, y),
            )
        } else {
            (
                subjects_part(e, y),
                subjects_part(e, y - 1),
                overlap_part(e, y),
            )
        };
        let mut ca = SetCursor::open(conn, &a, Width::KEY).await?;
        let mut cb = SetCursor::open(conn, &b, Width::KEY).await?;
        let (mut x, mut z) = (ca.next(conn).await?, cb.next(conn).await?);
        while let (Some(p1), Some(p2)) = (x, z) {
            match p1.key.cmp(&p2.key) {
                std::cmp::Ordering::Less => x = ca.next(conn).await?,
                std::cmp::Ordering::Greater => z = cb.next(conn).await?,
                std::cmp::Ordering::Equal => {
                    d.legacy_row(&p, || overlap_hash(e, y, &p1.key, sensitive));
                    d.count(&p, 1);
                    x = ca.next(conn).await?;
                    z = cb.next(conn).await?;
                }
            }
        }
    }
    Ok(())
}
