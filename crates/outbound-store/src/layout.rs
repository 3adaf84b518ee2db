//! The move from one row per subject and per delivery (stores made before
//! schema 14) to key sets ([`crate::keyset`]).
//!
//! The move needs the signing key, so it is made by the first batch recorded
//! after the upgrade, inside that batch's transaction, not when the store is
//! opened: the rows are first rehashed and compared with the digests the log
//! committed to (a store edited behind the log's back is refused, not
//! converted), then moved, the digests recomputed from the runs, and an audit
//! entry `ledger_layout` commits the result before the batch builds on it.
//! Until then every read answers from the rows, so an upgraded store that
//! has not yet recorded a batch reads as before.

use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::StoreError;
use crate::keys::Keys;
use crate::keyset::{self, Key, Rec, Width};
use crate::state::{Delta, Scheme, stored, subject_row_hash, subjects_part, tampered};

/// Whether rows of the old layout remain.
pub(crate) async fn legacy(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    for sql in [
        "SELECT 1 FROM subjects LIMIT 1",
        "SELECT 1 FROM deliveries LIMIT 1",
    ] {
        if sqlx::query(sql).fetch_optional(&mut *conn).await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

const PAGE: i64 = 50_000;

/// The old layout's subject rows hashed as the log committed them, into `d`.
pub(crate) async fn subject_parts(
    conn: &mut AnyConnection,
    d: &mut Delta,
) -> Result<(), StoreError> {
    let mut after: Option<(String, i64, Vec<u8>)> = None;
    loop {
        let rows = page(conn, &after).await?;
        for r in &rows {
            let (e, y, s, sens): (String, i64, Vec<u8>, i64) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
            let row = subject_row_hash(
                &e,
                y,
                &s,
                sens,
                &r.try_get::<String, _>(4)?,
                &r.try_get::<String, _>(5)?,
            );
            d.insert_hash(&subjects_part(&e, y), &row, sens == 1);
            after = Some((e, y, s));
        }
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
    }
}

/// A page of old subject rows in key order.
async fn page(
    conn: &mut AnyConnection,
    after: &Option<(String, i64, Vec<u8>)>,
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    let cols = "SELECT exporter, year, subject, sensitive, first_at, last_at FROM subjects";
    let q = match after {
        None => sqlx::query(sqlx::AssertSqlSafe(format!("{cols} ORDER BY exporter, year, subject LIMIT $1"))).bind(PAGE),
        Some((e, y, s)) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "{cols} WHERE (exporter, year, subject) > ($1, $2, $3) ORDER BY exporter, year, subject LIMIT $4"
        )))
        .bind(e.clone())
        .bind(*y)
        .bind(s.clone())
        .bind(PAGE),
    };
    Ok(q.fetch_all(&mut *conn).await?)
}

fn key(v: &[u8]) -> Result<Key, StoreError> {
    Key::try_from(v).map_err(|_| tampered("a subject in the ledger is not 16 bytes"))
}

/// Converts a store of the old layout, if it is one (see the module's doc).
/// Returns whether it did; the caller then re-reads the log's state.
pub(crate) async fn convert(
    tx: &mut Transaction<'static, Any>,
    keys: &Keys,
) -> Result<bool, StoreError> {
    if !legacy(tx).await? {
        return Ok(false);
    }
    // The rows are what the log committed to.
    let committed = stored(tx).await?;
    let mut old = Delta::default();
    subject_parts(tx, &mut old).await?;
    crate::deliveries::legacy_parts(tx, &mut old).await?;
    // The old rows' sums, for the deliveries' check after the move.
    let old_sums = old.parts_with(Scheme::Sum);
    let old = old.into_parts();
    let moved = |k: &str| k.starts_with(r#"["subjects","#) || k.starts_with(r#"["deliveries","#);
    for k in old.keys().chain(committed.keys().filter(|k| moved(k))) {
        if old.get(k) != committed.get(k) {
            return Err(tampered(format!(
                "{} are not what the audit log committed to",
                crate::state::describe(k)
            )));
        }
    }
    // Subjects, one exporter-year at a time.
    let (mut subjects, mut deliveries) = (0u64, 0u64);
    let mut group: Option<(String, i64)> = None;
    let (mut all, mut sens): (Vec<Rec>, Vec<Rec>) = (Vec::new(), Vec::new());
    let mut after: Option<(String, i64, Vec<u8>)> = None;
    loop {
        let rows = page(tx, &after).await?;
        let last = (rows.len() as i64) < PAGE;
        for r in &rows {
            let (e, y, s, sensitive): (String, i64, Vec<u8>, i64) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
            if group.as_ref().is_some_and(|(ge, gy)| (ge, *gy) != (&e, y)) {
                let (ge, gy) = group.take().expect("checked");
                flush_subjects(tx, &ge, gy, &mut all, &mut sens).await?;
            }
            group = Some((e.clone(), y));
            let rec = Rec {
                key: key(&s)?,
                value: 0,
            };
            all.push(rec);
            if sensitive == 1 {
                sens.push(rec);
            }
            subjects += 1;
            after = Some((e, y, s));
        }
        if last {
            break;
        }
    }
    if let Some((ge, gy)) = group.take() {
        flush_subjects(tx, &ge, gy, &mut all, &mut sens).await?;
    }
    // Deliveries, one transfer-year at a time.
    let rows = sqlx::query(
        "SELECT transfer, year, subject, batch FROM deliveries ORDER BY transfer, year, subject",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut group: Option<(String, i64)> = None;
    let mut recs: Vec<Rec> = Vec::new();
    for r in &rows {
        let (t, y, s, b): (String, i64, Vec<u8>, i64) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
        if group.as_ref().is_some_and(|(gt, gy)| (gt, *gy) != (&t, y)) {
            let (gt, gy) = group.take().expect("checked");
            keyset::add(
                tx,
                &crate::deliveries::part(&gt, gy),
                Width::KEY_U32,
                &std::mem::take(&mut recs),
            )
            .await?;
        }
        group = Some((t, y));
        let value =
            u32::try_from(b).map_err(|_| tampered("a delivery names a batch that cannot exist"))?;
        recs.push(Rec {
            key: key(&s)?,
            value,
        });
        deliveries += 1;
    }
    if let Some((gt, gy)) = group {
        keyset::add(tx, &crate::deliveries::part(&gt, gy), Width::KEY_U32, &recs).await?;
    }
    sqlx::query("DELETE FROM subjects")
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM deliveries")
        .execute(&mut **tx)
        .await?;
    // The digests, recomputed from the runs (the subjects' are defined anew;
    // the deliveries' hold the same rows, so their old sums must come out unchanged).
    let mut d = Delta::default();
    crate::counted::recompute(tx, &mut d).await?;
    crate::deliveries::recompute(tx, &mut d).await?;
    for (k, p) in &d.parts_with(Scheme::Sum) {
        if k.starts_with(r#"["deliveries","#) && old_sums.get(k) != Some(p) {
            return Err(tampered(format!(
                "{} changed in the move",
                crate::state::describe(k)
            )));
        }
    }
    crate::state::replace_parts(tx, |k| moved(k), d).await?;
    let body = serde_json::json!({ "layout": 2, "subjects": subjects, "deliveries": deliveries });
    crate::audit::append(tx, keys, "ledger_layout", body).await?;
    Ok(true)
}

async fn flush_subjects(
    conn: &mut AnyConnection,
    e: &str,
    y: i64,
    all: &mut Vec<Rec>,
    sens: &mut Vec<Rec>,
) -> Result<(), StoreError> {
    keyset::add(conn, &subjects_part(e, y), Width::KEY, &std::mem::take(all)).await?;
    keyset::add(
        conn,
        &crate::counted::sensitive_set(e, y),
        Width::KEY,
        &std::mem::take(sens),
    )
    .await?;
    Ok(())
}
