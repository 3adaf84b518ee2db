//! Merging a set's runs: when a merge is due (a binary counter over run
//! sizes), and the streamed merge of two adjacent runs into one in their
//! place. A batch merges only past [`MAX_RUNS`]; `crate::merges` does the rest
//! in transactions of their own.

use super::*;

/// A set is allowed this many runs before the newest two are merged whatever their sizes.
pub(super) const MAX_RUNS: usize = 24;

/// (run, records) of each run of a set, oldest first.
pub(super) async fn run_sizes(
    conn: &mut AnyConnection,
    set: &str,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows = sqlx::query("SELECT run, records FROM keyset_runs WHERE set_name = $1 ORDER BY run")
        .bind(set.to_string())
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Whether runs of these sizes (oldest first) are due a merge: a binary
/// counter over run sizes ([`next_merge`]), so a key is rewritten about
/// log2(set / batch) times.
fn merge_due(sizes: &[i64]) -> bool {
    next_merge(sizes).is_some()
}

/// Every set with a merge due ([`merge_due`]), by name.
pub(crate) async fn sets_due(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT set_name, records FROM keyset_runs ORDER BY set_name, run")
        .fetch_all(&mut *conn)
        .await?;
    let mut due = Vec::new();
    let mut sizes = Vec::new();
    let mut current: Option<String> = None;
    for r in rows {
        let (name, records): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
        if current.as_deref() != Some(name.as_str()) {
            if let Some(c) = current.take()
                && merge_due(&sizes)
            {
                due.push(c);
            }
            sizes.clear();
            current = Some(name);
        }
        sizes.push(records);
    }
    if let Some(c) = current
        && merge_due(&sizes)
    {
        due.push(c);
    }
    Ok(due)
}

/// The next pair of adjacent runs (positions, older first) to merge: the
/// binary counter replayed from the oldest run, as if each run had been
/// merged when it was written (runs pushed in order; a run no larger than the
/// one after it merges with it), so runs left unmerged by several batches
/// merge in pairs of like size, never one growing run at a time; past
/// `MAX_RUNS` runs, the newest two.
pub(crate) fn next_merge(sizes: &[i64]) -> Option<(usize, usize)> {
    let mut stack: Vec<(usize, i64)> = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        if let Some(&(j, m)) = stack.last()
            && m <= n
        {
            return Some((j, i));
        }
        stack.push((i, n));
    }
    (sizes.len() > MAX_RUNS).then(|| (sizes.len() - 2, sizes.len() - 1))
}

/// Merges runs while a merge is due ([`next_merge`]); the changes say which
/// runs went and came, for the part's digest.
pub(crate) async fn compact(
    conn: &mut AnyConnection,
    set: &str,
    w: Width,
    changes: &mut Vec<RunChange>,
) -> Result<(), StoreError> {
    loop {
        let sizes = run_sizes(conn, set).await?;
        let records: Vec<i64> = sizes.iter().map(|s| s.1).collect();
        let Some((a, b)) = next_merge(&records) else {
            return Ok(());
        };
        merge_whole(conn, set, w, sizes[a].0, sizes[b].0, changes).await?;
    }
}

/// Replaces runs `a` and `b` of a set (adjacent, `a` the older) by one run
/// holding both, streamed, in `b`'s place in the order of runs (where the
/// newest record of a recurring key wins, the order is the meaning); both
/// must be what their digests say. All in `conn`'s transaction (a batch's
/// backstop, or runs numbered one apart); `crate::merges` merges in steps instead.
pub(crate) async fn merge_whole(
    conn: &mut AnyConnection,
    set: &str,
    w: Width,
    a: i64,
    b: i64,
    changes: &mut Vec<RunChange>,
) -> Result<(), StoreError> {
    let all = runs(conn, set).await?;
    let pick = |id| {
        all.iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or_else(|| corrupt(set, "a run is missing"))
    };
    // In place: a number between the two runs' (none is listed there).
    let place = (b - a >= 2).then(|| a + (b - a) / 2);
    let out = match place {
        Some(id) => RunWriter::at(conn, set, w, id).await?,
        None => RunWriter::new(conn, set, w).await?,
    };
    let mut m = Merging::start(conn, set, w, pick(a)?, pick(b)?, out).await?;
    m.step(conn, set, None).await?;
    let (removed, out) = m.finish(set)?;
    changes.extend(removed);
    let written = out.id;
    changes.extend(out.finish(conn, set).await?);
    unlist(conn, set, &[a, b]).await?;
    for id in [a, b] {
        clear_unlisted(conn, set, id, 0..i64::MAX).await?;
    }
    if place.is_some() {
        return Ok(());
    }
    // Runs numbered one apart (a store made before `RUN_GAP`): the merged
    // run was written after every run and takes `b`'s number. The run's
    // number is its place; its digest does not name it.
    for table in ["keyset_chunks", "keyset_runs"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET run = $1 WHERE set_name = $2 AND run = $3"
        )))
        .bind(b)
        .bind(set.to_string())
        .bind(written)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Two adjacent runs being merged into a third, resumable: the cursors and
/// the writer keep their place between calls, each call on whatever
/// connection (and transaction) the caller gives it.
pub(crate) struct Merging {
    w: Width,
    ca: RunCursor,
    cb: RunCursor,
    ha: Option<Rec>,
    hb: Option<Rec>,
    out: RunWriter,
}

impl Merging {
    /// Starts merging runs `a` and `b` (`a` the older) into `out`.
    pub(crate) async fn start(
        conn: &mut AnyConnection,
        set: &str,
        w: Width,
        a: Run,
        b: Run,
        out: RunWriter,
    ) -> Result<Self, StoreError> {
        let (mut ca, mut cb) = (RunCursor::new(a, set), RunCursor::new(b, set));
        let (ha, hb) = (ca.next(conn, set, w).await?, cb.next(conn, set, w).await?);
        Ok(Merging {
            w,
            ca,
            cb,
            ha,
            hb,
            out,
        })
    }

    /// Chunks written so far.
    pub(crate) fn written(&self) -> i64 {
        self.out.chunks()
    }

    /// Merges until the writer has written `until` chunks (all of it with
    /// `None`); true once both runs are read to their ends.
    pub(crate) async fn step(
        &mut self,
        conn: &mut AnyConnection,
        set: &str,
        until: Option<i64>,
    ) -> Result<bool, StoreError> {
        let w = self.w;
        loop {
            if until.is_some_and(|u| self.out.chunks() >= u) {
                return Ok(self.ha.is_none() && self.hb.is_none());
            }
            match (self.ha, self.hb) {
                (None, None) => return Ok(true),
                (Some(x), Some(y)) if x.key == y.key => {
                    if !w.recurs() {
                        return Err(corrupt(set, "a key is in two runs"));
                    }
                    let value = w.combine(x.value, y.value);
                    self.out.push(conn, set, Rec { key: x.key, value }).await?;
                    self.ha = self.ca.next(conn, set, w).await?;
                    self.hb = self.cb.next(conn, set, w).await?;
                }
                (Some(x), y) if y.is_none_or(|y| x.key < y.key) => {
                    self.out.push(conn, set, x).await?;
                    self.ha = self.ca.next(conn, set, w).await?;
                }
                (_, Some(y)) => {
                    self.out.push(conn, set, y).await?;
                    self.hb = self.cb.next(conn, set, w).await?;
                }
                (Some(_), None) => unreachable!("matched above"),
            }
        }
    }

    /// Once [`Merging::step`] returned true: the two runs read (their
    /// digests, as read and equal to the stored ones, and sizes) and the
    /// writer, to seal or finish.
    pub(crate) fn finish(self, set: &str) -> Result<([RunChange; 2], RunWriter), StoreError> {
        let removed = |c: &RunCursor| -> Result<RunChange, StoreError> {
            Ok(RunChange {
                digest: c.verified(set)?,
                records: c.run.records,
                added: false,
            })
        };
        Ok(([removed(&self.ca)?, removed(&self.cb)?], self.out))
    }
}

/// The numbers of a set's listed runs, in order.
pub(crate) async fn merge_run_ids(
    conn: &mut AnyConnection,
    set: &str,
) -> Result<Vec<i64>, StoreError> {
    Ok(run_sizes(conn, set)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect())
}

/// Unlists runs `ids` of a set (their chunks stay until cleared).
pub(crate) async fn unlist(
    conn: &mut AnyConnection,
    set: &str,
    ids: &[i64],
) -> Result<(), StoreError> {
    for &id in ids {
        sqlx::query("DELETE FROM keyset_runs WHERE set_name = $1 AND run = $2")
            .bind(set.to_string())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
