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
        merge(conn, set, w, sizes[a].0, sizes[b].0, changes).await?;
    }
}

/// Replaces runs `a` and `b` of a set (adjacent, `a` the older) by one run
/// holding both, streamed, in `b`'s place in the order of runs (where the
/// newest record of a recurring key wins, the order is the meaning); both
/// must be what their digests say.
async fn merge(
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
    let (mut ca, mut cb) = (RunCursor::new(pick(a)?, set), RunCursor::new(pick(b)?, set));
    let mut out = RunWriter::new(conn, set, w).await?;
    let (mut ha, mut hb) = (ca.next(conn, set, w).await?, cb.next(conn, set, w).await?);
    loop {
        match (ha, hb) {
            (None, None) => break,
            (Some(x), Some(y)) if x.key == y.key => {
                if !w.recurs() {
                    return Err(corrupt(set, "a key is in two runs"));
                }
                let value = w.combine(x.value, y.value);
                out.push(conn, set, Rec { key: x.key, value }).await?;
                ha = ca.next(conn, set, w).await?;
                hb = cb.next(conn, set, w).await?;
            }
            (Some(x), y) if y.is_none_or(|y| x.key < y.key) => {
                out.push(conn, set, x).await?;
                ha = ca.next(conn, set, w).await?;
            }
            (_, Some(y)) => {
                out.push(conn, set, y).await?;
                hb = cb.next(conn, set, w).await?;
            }
            (Some(_), None) => unreachable!("matched above"),
        }
    }
    for c in [&ca, &cb] {
        changes.push(RunChange {
            digest: c.verified(set)?,
            records: c.run.records,
            added: false,
        });
    }
    let written = out.id;
    changes.extend(out.finish(conn, set).await?);
    for id in [a, b] {
        sqlx::query("DELETE FROM keyset_chunks WHERE set_name = $1 AND run = $2")
            .bind(set.to_string())
            .bind(id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM keyset_runs WHERE set_name = $1 AND run = $2")
            .bind(set.to_string())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    // The run's number is its place; its digest does not name it.
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
