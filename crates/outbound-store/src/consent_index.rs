//! The consent register's index: per transfer, a key set of every subject's
//! consent as two day numbers (given, withdrawn), so a gate's run reads 20
//! bytes a consent from a few dozen chunk rows instead of every row of the
//! register (a million consents took 1.5 s through SQL, which builds a
//! string a row, and a 2 KiB LtHash expansion a row).
//!
//! The register's rows stay what they were (the strings given, for people
//! and `audit verify`); the index is kept beside them in the same
//! transactions: an import writes a run of the records it imported, a
//! withdrawal a run of the consents it ended, and the newest run's record
//! of a subject holds ([`Width::KEY_NEWEST`]). Its part
//! (`["consent_days", transfer]`) commits to its runs like any key set; a
//! run reads it only after checking its runs against that part, every chunk
//! against its digest, and `audit verify` checks it equals the register
//! row for row. A transfer whose consents were imported before the index
//! (schema 16) is read from the rows until its next import, withdrawal or
//! batch builds the index.

use sqlx::{AnyConnection, Row};

use crate::StoreError;
use crate::keyset::{self, Key, Rec, SetCursor, Width};
use crate::state::{Delta, Part, Parts, consents_part, describe, tampered};

/// The part, and key set, of a transfer's consent index.
pub(crate) fn index_part(transfer: &str) -> String {
    serde_json::json!(["consent_days", transfer]).to_string()
}

/// Day numbers run from 1970-01-01; this one means "never" (not withdrawn,
/// or a date the register holds that is not one: never valid).
const NEVER: u16 = u16::MAX;

/// The day number of a date's first ten characters (YYYY-MM-DD), if they are one.
pub(crate) fn day_number(s: &str) -> Option<u16> {
    let d: jiff::civil::Date = s.get(..10)?.parse().ok()?;
    let days = d
        .duration_since(jiff::civil::date(1970, 1, 1))
        .as_secs()
        .div_euclid(86_400);
    Some(days.clamp(0, i64::from(NEVER - 1)) as u16)
}

/// A consent as its index keeps it: the day given in the high 16 bits, the
/// day withdrawn (or [`NEVER`]) in the low. A given date that is not a date
/// is never valid; a withdrawal date that is not one ends the consent from
/// the start (stricter than the rows' reading, which the import now refuses).
pub(crate) fn value(granted: &str, withdrawn: Option<&str>) -> u32 {
    let g = day_number(granted).unwrap_or(NEVER);
    let w = match withdrawn {
        None => NEVER,
        Some(w) => day_number(w).unwrap_or(0),
    };
    (u32::from(g) << 16) | u32::from(w)
}

/// Whether a consent kept as `v` is valid on day `on`: given on or before
/// it, not withdrawn by then (as the rows are read).
pub(crate) fn valid(v: u32, on: u16) -> bool {
    let (g, w) = ((v >> 16) as u16, v as u16);
    g <= on && on < w
}

/// Before a change to `transfer`'s consents (or a batch under them): a
/// transfer whose register has rows the log committed but no index yet
/// gets one, built from every row, into `delta`.
pub(crate) async fn ensure(
    conn: &mut AnyConnection,
    parts: &Parts,
    transfer: &str,
    delta: &mut Delta,
) -> Result<(), StoreError> {
    let index = index_part(transfer);
    let rows = parts.get(&consents_part(transfer)).map_or(0, |p| p.rows);
    if rows == 0 || keyset::len(conn, &index).await? > 0 {
        return Ok(());
    }
    // The rows are read whole and must be the ones the log committed to:
    // the index is built from nothing else.
    let table = consents_part(transfer);
    let mismatch = || tampered(format!("{} do not match the log", describe(&table)));
    let mut recs = Vec::new();
    let mut read = Delta::default();
    let mut buf = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = rows_after(conn, transfer, after.as_deref()).await?;
        let mut hashes = Vec::with_capacity(page.len());
        for (s, g, w) in &page {
            hashes.push(crate::state::consent_row_hash(
                s,
                transfer,
                g,
                w.as_deref(),
                &mut buf,
            ));
            let key: Key = s.as_slice().try_into().map_err(|_| mismatch())?;
            recs.push(Rec {
                key,
                value: value(g, w.as_deref()),
            });
        }
        read.insert_hashes(&table, &hashes, false);
        match page.last() {
            Some((s, _, _)) if page.len() as i64 == PAGE => after = Some(s.clone()),
            _ => break,
        }
    }
    if read.into_parts().remove(&table).unwrap_or_default()
        != parts.get(&table).copied().unwrap_or_default()
    {
        return Err(mismatch());
    }
    add(conn, transfer, &recs, delta).await
}

/// Writes `recs` (sorted by key, distinct) as the newest run of `transfer`'s index.
pub(crate) async fn add(
    conn: &mut AnyConnection,
    transfer: &str,
    recs: &[Rec],
    delta: &mut Delta,
) -> Result<(), StoreError> {
    let index = index_part(transfer);
    for change in keyset::add(conn, &index, Width::KEY_NEWEST, recs).await? {
        delta.run(&index, &change, false);
    }
    Ok(())
}

/// Rows read per query when building or checking an index.
const PAGE: i64 = 10_000;

/// A page of `transfer`'s register rows in subject order, after `after`.
async fn rows_after(
    conn: &mut AnyConnection,
    transfer: &str,
    after: Option<&[u8]>,
) -> Result<Vec<(Vec<u8>, String, Option<String>)>, StoreError> {
    let cols = "SELECT subject, granted_at, withdrawn_at FROM consents WHERE transfer = $1";
    let q = match after {
        None => sqlx::query(sqlx::AssertSqlSafe(format!(
            "{cols} ORDER BY subject LIMIT $2"
        )))
        .bind(transfer.to_string())
        .bind(PAGE),
        Some(a) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "{cols} AND subject > $2 ORDER BY subject LIMIT $3"
        )))
        .bind(transfer.to_string())
        .bind(a.to_vec())
        .bind(PAGE),
    };
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The subjects with a valid consent for `transfer` on `on` from the index,
/// and the index's part as committed, once its runs are checked against it;
/// `None` when the transfer has register rows but no index yet (read the rows).
pub(crate) async fn read(
    conn: &mut AnyConnection,
    parts: &Parts,
    transfer: &str,
    on: u16,
) -> Result<Option<(Vec<Key>, Part)>, StoreError> {
    let index = index_part(transfer);
    let p = parts.get(&index).copied().unwrap_or_default();
    let rows = parts.get(&consents_part(transfer)).map_or(0, |p| p.rows);
    if p.rows == 0 && rows > 0 {
        return Ok(None);
    }
    crate::counted::check_runs(conn, &p, &index, &[(&index, p.rows, Width::KEY_NEWEST)]).await?;
    let mut subjects = Vec::new();
    let mut c = SetCursor::open(conn, &index, Width::KEY_NEWEST).await?;
    while let Some(r) = c.next(conn).await? {
        if valid(r.value, on) {
            subjects.push(r.key);
        }
    }
    Ok(Some((subjects, p)))
}

/// Every index, into `d` (for `audit verify`): its runs read whole, and
/// equal to its transfer's register, row for row. An index that is not is
/// reported as damaged, whatever its runs' digests.
pub(crate) async fn recompute(conn: &mut AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    for name in keyset::set_names(conn).await? {
        let Some(transfer) = parse(&name) else {
            continue;
        };
        match recompute_one(conn, &name, &transfer, d).await {
            Err(StoreError::Tampered { .. }) => d.damage(&name),
            other => other?,
        }
    }
    Ok(())
}

async fn recompute_one(
    conn: &mut AnyConnection,
    name: &str,
    transfer: &str,
    d: &mut Delta,
) -> Result<(), StoreError> {
    let differs = || tampered(format!("{} do not match the register", describe(name)));
    let mut c = SetCursor::open(conn, name, Width::KEY_NEWEST).await?;
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = rows_after(conn, transfer, after.as_deref()).await?;
        for (s, g, w) in &page {
            match c.next(conn).await? {
                Some(r) if r.key[..] == s[..] && r.value == value(g, w.as_deref()) => {}
                _ => return Err(differs()),
            }
        }
        match page.last() {
            Some((s, _, _)) if page.len() as i64 == PAGE => after = Some(s.clone()),
            _ => break,
        }
    }
    if c.next(conn).await?.is_some() {
        return Err(differs());
    }
    d.runs_read(name, name, &c.runs_read()?, false);
    Ok(())
}

/// The transfer of an index's name.
pub(crate) fn parse(name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(name).ok()?;
    (v[0].as_str()? == "consent_days" && v.as_array()?.len() == 2)
        .then(|| v[1].as_str().map(String::from))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index reads a consent as the rows are read, for dates: given on
    /// or before the day, not withdrawn by then (the date part only).
    #[test]
    fn values_are_valid_exactly_when_the_rows_say() {
        let days = [
            "1970-01-01",
            "2025-12-31",
            "2026-01-01",
            "2026-03-01",
            "2099-12-31",
        ];
        for g in days {
            for w in days.iter().map(Some).chain([None]) {
                for on in days {
                    let rows = g <= on && w.is_none_or(|w| *w > on);
                    let v = value(&format!("{g}T10:00:00+08:00"), w.copied());
                    assert_eq!(valid(v, day_number(on).unwrap()), rows, "{g} {w:?} {on}");
                }
            }
        }
        // Not a date: never valid; a withdrawal that is not a date ends it.
        assert!(!valid(
            value("soon", None),
            day_number("2099-12-31").unwrap()
        ));
        assert!(!valid(
            value("2026-01-01", Some("x")),
            day_number("2026-06-01").unwrap()
        ));
        assert_eq!(day_number("2026-02-30"), None);
        assert_eq!(day_number("1969-12-31"), Some(0));
    }
}
