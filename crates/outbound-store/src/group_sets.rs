//! The people of a group of affiliated exporters, kept exactly per year.
//!
//! A batch may be judged for a group (its exporters' counts add up). Counting
//! the group by streaming every member's key sets costs O(people) per
//! batch; here the group keeps, per year, the union of its members' counted
//! keys (and of their sensitive subsets) as key sets of its own
//! (`["group", [members], year]`, `["group_sensitive", [members], year]`,
//! members sorted and distinct), so its counts are read from a run list.
//!
//! Why kept fresh eagerly rather than rebuilt when stale: a member's set
//! only grows, and only by the keys [`crate::counted::add`] reports as new
//! to it, so every batch (whoever it is judged for) adds those keys to each
//! kept set of a group holding its exporter in its year: a look-up of the
//! batch's new keys per group, never a pass over the ledger. A group-year is
//! built once, by one streamed merge of its members, the first time a batch
//! is judged for it; from then on it equals the union of its members at
//! every commit (`audit verify` checks exactly that). The window from
//! 1 January of the previous year is |G(y-1)| + |G(y)| - |G(y-1) ∩ G(y)|,
//! the intersection kept as a count (`["group_overlap", [members], year]`
//! and its sensitive twin) moved by the keys each batch adds, as for one
//! exporter. A group-year is kept exactly when its part is committed (an
//! empty union has no runs, so no part: it is built again, at no cost,
//! whenever it is needed).
//!
//! Committed like the exporters' sets: the part `["group", [members], year]`
//! holds the two sets' sizes and the LtHash of their run digests; the
//! overlap parts hold counts. Before a batch builds on a kept set its run
//! list is checked against the log; a build checks the digest of every run
//! it reads.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{AnyConnection, Row};

use crate::StoreError;
use crate::counted::sensitive_set as member_sensitive;
use crate::keyset::{self, Key, Rec, SetCursor, Width};
use crate::ledger::Counts;
use crate::state::{Delta, Parts, describe, subjects_part, tampered};

/// Keys written per run while a group-year is built (16 MiB of keys in memory).
const BUILD_CHUNK: usize = 1 << 20;

/// The group of `exporters`: sorted and distinct.
pub(crate) fn members(exporters: &[String]) -> Vec<String> {
    let mut g = exporters.to_vec();
    g.sort();
    g.dedup();
    g
}

/// The set (and part) of everyone counted for group `g` in `year`.
fn all_set(g: &[String], year: i64) -> String {
    serde_json::json!(["group", g, year]).to_string()
}

/// The set of those of group `g` in `year` whose sensitive PI left.
fn sensitive_set(g: &[String], year: i64) -> String {
    serde_json::json!(["group_sensitive", g, year]).to_string()
}

/// The part counting the people of group `g` in `year` also counted in `year - 1`.
fn overlap_part(g: &[String], year: i64, sensitive: bool) -> String {
    let kind = if sensitive {
        "group_overlap_sensitive"
    } else {
        "group_overlap"
    };
    serde_json::json!([kind, g, year]).to_string()
}

fn set_of(g: &[String], year: i64, sensitive: bool) -> String {
    if sensitive {
        sensitive_set(g, year)
    } else {
        all_set(g, year)
    }
}

/// The members' sets of `year` whose union a group's set is.
fn member_sets(g: &[String], year: i64, sensitive: bool) -> Vec<String> {
    g.iter()
        .map(|e| {
            if sensitive {
                member_sensitive(e, year)
            } else {
                subjects_part(e, year)
            }
        })
        .collect()
}

/// The members and year of a group set's name (`kind` its first element);
/// `None` for any other name, or a group that is not sorted, distinct and
/// of two or more.
fn parse(name: &str, kind: &str) -> Option<(Vec<String>, i64)> {
    let v: serde_json::Value = serde_json::from_str(name).ok()?;
    if v[0].as_str()? != kind {
        return None;
    }
    let g: Vec<String> = v[1]
        .as_array()?
        .iter()
        .map(|e| e.as_str().map(String::from))
        .collect::<Option<_>>()?;
    (g.len() >= 2 && g.windows(2).all(|w| w[0] < w[1])).then_some((g, v[2].as_i64()?))
}

/// The keys a batch added to one exporter's sets in one year (sorted).
#[derive(Clone, Debug, Default)]
pub(crate) struct Added {
    pub(crate) exporter: String,
    pub(crate) year: i64,
    pub(crate) all: Vec<Key>,
    pub(crate) sensitive: Vec<Key>,
}

/// The distinct keys of several sets, in order, streamed.
struct Union {
    sets: Vec<String>,
    cursors: Vec<SetCursor>,
    heads: Vec<Option<Key>>,
}

impl Union {
    async fn open(conn: &mut AnyConnection, sets: &[String]) -> Result<Self, StoreError> {
        let mut cursors = Vec::with_capacity(sets.len());
        let mut heads = Vec::with_capacity(sets.len());
        for s in sets {
            let mut c = SetCursor::open(conn, s, Width::KEY).await?;
            heads.push(c.next(conn).await?.map(|r| r.key));
            cursors.push(c);
        }
        Ok(Union {
            sets: sets.to_vec(),
            cursors,
            heads,
        })
    }

    async fn next(&mut self, conn: &mut AnyConnection) -> Result<Option<Key>, StoreError> {
        let Some(min) = self.heads.iter().flatten().min().copied() else {
            return Ok(None);
        };
        for (h, c) in self.heads.iter_mut().zip(self.cursors.iter_mut()) {
            if *h == Some(min) {
                *h = c.next(conn).await?.map(|r| r.key);
            }
        }
        Ok(Some(min))
    }

    /// Once [`Union::next`] has returned `None`: every run read is what its
    /// stored digest says (a run edited behind the log's back is refused).
    fn verified(&self) -> Result<(), StoreError> {
        for (s, c) in self.sets.iter().zip(&self.cursors) {
            for r in c.runs_read()? {
                if r.stored != Some(r.read) {
                    return Err(tampered(format!(
                        "{} are damaged: a run is not what its digest says",
                        describe(s)
                    )));
                }
            }
        }
        Ok(())
    }
}

/// |a ∩ b|, both streamed and their runs checked against their digests.
async fn intersection_len(conn: &mut AnyConnection, a: &str, b: &str) -> Result<i64, StoreError> {
    let mut ca = Union::open(conn, &[a.to_string()]).await?;
    let mut cb = Union::open(conn, &[b.to_string()]).await?;
    let (mut x, mut z) = (ca.next(conn).await?, cb.next(conn).await?);
    let mut n = 0;
    while let (Some(p), Some(q)) = (x, z) {
        match p.cmp(&q) {
            std::cmp::Ordering::Less => x = ca.next(conn).await?,
            std::cmp::Ordering::Greater => z = cb.next(conn).await?,
            std::cmp::Ordering::Equal => {
                n += 1;
                x = ca.next(conn).await?;
                z = cb.next(conn).await?;
            }
        }
    }
    // Read both to their ends, so that every run's digest is checked.
    while ca.next(conn).await?.is_some() {}
    while cb.next(conn).await?.is_some() {}
    ca.verified()?;
    cb.verified()?;
    Ok(n)
}

/// The group sets one batch reads and writes, inside its transaction.
pub(crate) struct Batch<'a> {
    /// What the log committed before the batch.
    parts: &'a Parts,
    /// Group-years built by this batch.
    built: BTreeSet<String>,
    /// Overlap counts moved by this batch, not yet applied.
    moved: BTreeMap<String, i64>,
    /// Committed group sets whose run lists were checked.
    checked: BTreeSet<String>,
}

impl<'a> Batch<'a> {
    pub(crate) fn new(parts: &'a Parts) -> Self {
        Batch {
            parts,
            built: BTreeSet::new(),
            moved: BTreeMap::new(),
            checked: BTreeSet::new(),
        }
    }

    fn kept(&self, g: &[String], year: i64) -> bool {
        let p = all_set(g, year);
        self.parts.contains_key(&p) || self.built.contains(&p)
    }

    /// A count part as it stands in this batch.
    fn count_now(&self, part: &str) -> i64 {
        self.parts.get(part).map_or(0, |p| p.rows) + self.moved.get(part).copied().unwrap_or(0)
    }

    fn count(&mut self, delta: &mut Delta, part: &str, n: i64) {
        delta.count(part, n);
        *self.moved.entry(part.to_string()).or_default() += n;
    }

    /// A committed group-year's run lists are the ones the log committed to
    /// (sizes and run digests; O(runs + chunks), never a pass over the keys).
    async fn check(
        &mut self,
        conn: &mut AnyConnection,
        g: &[String],
        year: i64,
    ) -> Result<(), StoreError> {
        let part = all_set(g, year);
        let Some(p) = self.parts.get(&part).copied() else {
            return Ok(());
        };
        if !self.checked.insert(part.clone()) {
            return Ok(());
        }
        crate::counted::check_sets(conn, &p, &part, &sensitive_set(g, year)).await
    }

    /// Brings every kept set of a group holding `added.exporter` in
    /// `added.year` up to date with the keys the batch added there.
    pub(crate) async fn maintain(
        &mut self,
        conn: &mut AnyConnection,
        added: &Added,
        delta: &mut Delta,
    ) -> Result<(), StoreError> {
        if added.all.is_empty() && added.sensitive.is_empty() {
            return Ok(());
        }
        let y = added.year;
        let prefix = r#"["group",["#;
        let groups: Vec<Vec<String>> = self
            .parts
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter_map(|(k, _)| parse(k, "group"))
            .filter(|(g, year)| *year == y && g.contains(&added.exporter))
            .map(|(g, _)| g)
            .collect();
        for g in groups {
            self.check(conn, &g, y).await?;
            let part = all_set(&g, y);
            for (keys, sensitive) in [(&added.all, false), (&added.sensitive, true)] {
                let set = set_of(&g, y, sensitive);
                let seen = crate::counted::present(conn, &set, keys).await?;
                let new: Vec<Key> = keys
                    .iter()
                    .zip(&seen)
                    .filter(|(_, s)| !**s)
                    .map(|(k, _)| *k)
                    .collect();
                for (other, owner) in [(y - 1, y), (y + 1, y + 1)] {
                    if new.is_empty() || !self.kept(&g, other) {
                        continue;
                    }
                    self.check(conn, &g, other).await?;
                    let hits =
                        crate::counted::present(conn, &set_of(&g, other, sensitive), &new).await?;
                    let n = hits.iter().filter(|h| **h).count() as i64;
                    self.count(delta, &overlap_part(&g, owner, sensitive), n);
                }
                let recs: Vec<Rec> = new.iter().map(|k| Rec { key: *k, value: 0 }).collect();
                for c in keyset::add(conn, &set, Width::KEY, &recs).await? {
                    delta.run(&part, &c, sensitive);
                }
            }
        }
        Ok(())
    }

    /// Builds group `g`'s sets of `year` from its members, by one streamed
    /// merge, and the overlaps with the neighbouring years kept.
    async fn build(
        &mut self,
        conn: &mut AnyConnection,
        g: &[String],
        year: i64,
        delta: &mut Delta,
    ) -> Result<(), StoreError> {
        let part = all_set(g, year);
        for sensitive in [false, true] {
            let set = set_of(g, year, sensitive);
            // A set the log does not know of is not built upon.
            if keyset::len(conn, &set).await? != 0 {
                return Err(tampered(format!(
                    "{} hold keys the audit log does not record",
                    describe(&set)
                )));
            }
            let mut u = Union::open(conn, &member_sets(g, year, sensitive)).await?;
            let mut buf = Vec::with_capacity(BUILD_CHUNK.min(1 << 16));
            loop {
                let k = u.next(conn).await?;
                if let Some(k) = k {
                    buf.push(Rec { key: k, value: 0 });
                }
                if buf.len() == BUILD_CHUNK || (k.is_none() && !buf.is_empty()) {
                    for c in keyset::add(conn, &set, Width::KEY, &buf).await? {
                        delta.run(&part, &c, sensitive);
                    }
                    buf.clear();
                }
                if k.is_none() {
                    break;
                }
            }
            u.verified()?;
        }
        if keyset::len(conn, &part).await? == 0 {
            return Ok(());
        }
        self.built.insert(part);
        for (lo, hi) in [(year - 1, year), (year, year + 1)] {
            if !(self.kept(g, lo) && self.kept(g, hi)) {
                continue;
            }
            self.check(conn, g, lo).await?;
            self.check(conn, g, hi).await?;
            for sensitive in [false, true] {
                let n =
                    intersection_len(conn, &set_of(g, hi, sensitive), &set_of(g, lo, sensitive))
                        .await?;
                let op = overlap_part(g, hi, sensitive);
                let now = self.count_now(&op);
                self.count(delta, &op, n - now);
            }
        }
        Ok(())
    }

    /// The counts of group `g` (two or more members) in `year` and from
    /// 1 January of `year - 1`, from its kept sets (built first if not kept).
    pub(crate) async fn window(
        &mut self,
        conn: &mut AnyConnection,
        g: &[String],
        year: i64,
        delta: &mut Delta,
    ) -> Result<(Counts, Counts), StoreError> {
        let mut sizes = [(0i64, 0i64); 2];
        for (i, y) in [year - 1, year].into_iter().enumerate() {
            if self.kept(g, y) {
                self.check(conn, g, y).await?;
            } else {
                self.build(conn, g, y, delta).await?;
            }
            sizes[i] = (
                keyset::len(conn, &all_set(g, y)).await?,
                keyset::len(conn, &sensitive_set(g, y)).await?,
            );
        }
        let ov = (
            self.count_now(&overlap_part(g, year, false)),
            self.count_now(&overlap_part(g, year, true)),
        );
        let c = |n: i64| n.max(0) as u64;
        Ok((
            Counts {
                individuals: c(sizes[1].0),
                sensitive_individuals: c(sizes[1].1),
            },
            Counts {
                individuals: c(sizes[0].0 + sizes[1].0 - ov.0),
                sensitive_individuals: c(sizes[0].1 + sizes[1].1 - ov.1),
            },
        ))
    }
}

/// A committed part's counts, `None` when the part is not committed.
async fn committed(conn: &mut AnyConnection, part: &str) -> Result<Option<(i64, i64)>, StoreError> {
    let r = sqlx::query("SELECT rows_n, sensitive FROM ledger_state WHERE part = $1")
        .bind(part.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match r {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
        None => None,
    })
}

/// Committed counts of group `g` over one or two years, for reads outside a
/// batch, from the kept sets' parts (no key read): `None` when a year is
/// not kept and its members are not all empty (the caller streams).
pub(crate) async fn counts(
    conn: &mut AnyConnection,
    g: &[String],
    from: i64,
    to: i64,
) -> Result<Option<Counts>, StoreError> {
    if from > to || to - from > 1 {
        return Ok(None);
    }
    let mut total = (0i64, 0i64);
    for y in from..=to {
        match committed(conn, &all_set(g, y)).await? {
            Some((a, s)) => {
                total.0 += a;
                total.1 += s;
            }
            None => {
                for set in member_sets(g, y, false) {
                    if keyset::len(conn, &set).await? != 0 {
                        return Ok(None);
                    }
                }
            }
        }
    }
    if to > from {
        for (sensitive, t) in [(false, &mut total.0), (true, &mut total.1)] {
            *t -= committed(conn, &overlap_part(g, to, sensitive))
                .await?
                .map_or(0, |c| c.0);
        }
    }
    Ok(Some(Counts {
        individuals: total.0.max(0) as u64,
        sensitive_individuals: total.1.max(0) as u64,
    }))
}

/// Whether `name` is a group set's (either kind).
pub(crate) fn is_group_set(name: &str) -> bool {
    parse(name, "group").is_some() || parse(name, "group_sensitive").is_some()
}

/// Every group set and overlap, from the runs, into `d` (for `audit
/// verify`): each group-year must equal the union of its members', by one
/// streamed merge; one that does not (or a sensitive set without its
/// group-year) damages its part.
pub(crate) async fn recompute(
    conn: &mut AnyConnection,
    names: &[String],
    d: &mut Delta,
) -> Result<(), StoreError> {
    let mut years: BTreeMap<Vec<String>, BTreeSet<i64>> = BTreeMap::new();
    let mut sens: BTreeSet<(Vec<String>, i64)> = BTreeSet::new();
    for n in names {
        if let Some((g, y)) = parse(n, "group") {
            years.entry(g).or_default().insert(y);
        } else if let Some(gy) = parse(n, "group_sensitive") {
            sens.insert(gy);
        } else {
            return Err(tampered("a key set has an unknown name"));
        }
    }
    for (g, y) in &sens {
        if !years.get(g).is_some_and(|ys| ys.contains(y)) {
            d.damage(&all_set(g, *y));
        }
    }
    for (g, ys) in &years {
        for &y in ys {
            match recompute_year(conn, g, y, ys.contains(&(y - 1)), d).await {
                Err(StoreError::Tampered { .. }) => d.damage(&all_set(g, y)),
                other => other?,
            }
        }
    }
    Ok(())
}

async fn recompute_year(
    conn: &mut AnyConnection,
    g: &[String],
    y: i64,
    has_prev: bool,
    d: &mut Delta,
) -> Result<(), StoreError> {
    let part = all_set(g, y);
    for sensitive in [false, true] {
        let set = set_of(g, y, sensitive);
        let mut kept = SetCursor::open(conn, &set, Width::KEY).await?;
        let mut union = Union::open(conn, &member_sets(g, y, sensitive)).await?;
        loop {
            let (a, b) = (kept.next(conn).await?, union.next(conn).await?);
            if a.map(|r| r.key) != b {
                return Err(tampered(format!(
                    "{} are not the union of its members'",
                    describe(&set)
                )));
            }
            if a.is_none() {
                break;
            }
        }
        union.verified()?;
        d.runs_read(&part, &set, &kept.runs_read()?, sensitive);
    }
    if has_prev {
        for sensitive in [false, true] {
            let n = intersection_len(conn, &set_of(g, y, sensitive), &set_of(g, y - 1, sensitive))
                .await?;
            d.count(&overlap_part(g, y, sensitive), n);
        }
    }
    Ok(())
}
