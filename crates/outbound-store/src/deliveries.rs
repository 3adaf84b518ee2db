//! Which transfers carried whom: per transfer and year, each subject (its
//! keyed hash) with the first batch of that year that carried it.
//!
//! A rights request is forwarded to exactly the recipients that received the
//! person, so the ledger must answer "which transfers, which recipients,
//! when" from the keyed hash alone. The counted subjects cannot: they are
//! per exporter, and a batch outside the thresholds counts no one. This
//! records every committed batch's subjects, whether or not they count, as a
//! key set per transfer and year ([`crate::keyset`], records of a key and
//! the batch number): a batch adds its new keys as a run (the first batch of a
//! year wins), a request's lookup reads one chunk per run. The parts
//! (`["deliveries", transfer, year]`, the LtHash of the set's run digests)
//! are committed by every audit entry and recomputed by `audit verify`;
//! they do not decide a gate's outcome, so a batch does not recount them
//! before it writes.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use crate::keyset::{self, Days, Rec, SetCursor, Width};
use crate::state::{Parts, describe, tampered};

use crate::StoreError;
use crate::schema::Backend;
use crate::state::Delta;
use crate::store::Store;

/// The migration that created the table of the old layout (see `layout.rs`).
pub(crate) fn migration(backend: Backend) -> String {
    let (blob, rowid) = match backend {
        Backend::Sqlite => ("BLOB", " WITHOUT ROWID"),
        Backend::Postgres => ("BYTEA", ""),
    };
    format!(
        "CREATE TABLE deliveries (
            subject {blob} NOT NULL,
            transfer TEXT NOT NULL,
            year BIGINT NOT NULL,
            batch BIGINT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (subject, transfer, year)
        ){rowid}"
    )
}

/// The part of the deliveries of one transfer and year.
pub(crate) fn part(transfer: &str, year: i64) -> String {
    serde_json::json!(["deliveries", transfer, year]).to_string()
}

/// The hash of a delivery row, field by field like a subject row, as the
/// digests before schema 15 summed them (kept to check an old store).
fn row_hash(
    subject: &[u8],
    transfer: &str,
    year: i64,
    batch: i64,
    at: &str,
) -> crate::merkle::Hash {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"outbound-ledger-delivery-v1\n");
    for bytes in [subject, transfer.as_bytes(), at.as_bytes()] {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    h.update(year.to_be_bytes());
    h.update(batch.to_be_bytes());
    h.finalize().into()
}

/// The part, and key set, of the days a transfer carried each person in
/// one year: the first and the last ([`Days`]), for exact rolling windows.
pub(crate) fn days_part(transfer: &str, year: i64) -> String {
    serde_json::json!(["delivery_days", transfer, year]).to_string()
}

/// The batch whose subjects [`record`] notes.
pub(crate) struct Carrier<'a> {
    pub(crate) transfer: &'a str,
    pub(crate) year: i64,
    pub(crate) batch: i64,
    /// The day of the year the batch counts on ([`Days::ANY`] when unknown).
    pub(crate) days: Days,
    /// Whether the batch starts keeping the transfer-year's days (a gate
    /// counts windows over the transfer). Once kept they are kept by every
    /// later batch: a person carried again without moving their last day
    /// would make a window count low.
    pub(crate) keep_days: bool,
}

/// The part that claims every person a transfer carried in a year is
/// counted under `exporter` that year (the deliveries are a subset of the
/// exporter's counted set). Made by the transfer's first batch of the year
/// when it counts under that exporter; while it holds, a person new to the
/// counted set cannot have been carried, so a batch of new people skips the
/// deliveries' look-up (half the reading of a batch against a large ledger).
pub(crate) fn within_part(transfer: &str, year: i64, exporter: &str) -> String {
    serde_json::json!(["deliveries_within", transfer, year, exporter]).to_string()
}

/// The part that withdraws every such claim for a transfer-year: a batch
/// that did not count, or counted under another exporter. Never removed.
pub(crate) fn mixed_part(transfer: &str, year: i64) -> String {
    serde_json::json!(["deliveries_mixed", transfer, year]).to_string()
}

fn marker(what: &str) -> crate::merkle::Hash {
    use sha2::{Digest, Sha256};
    Sha256::new()
        .chain_update(b"outbound-ledger-deliveries-claim-v1\n")
        .chain_update(what.as_bytes())
        .finalize()
        .into()
}

/// The claims on a transfer-year in the committed parts: (owners, withdrawn).
fn claims(parts: &Parts, transfer: &str, year: i64) -> (Vec<String>, bool) {
    let prefix = serde_json::json!(["deliveries_within", transfer, year]).to_string();
    let prefix = &prefix[..prefix.len() - 1];
    let owners = parts
        .range(prefix.to_string()..)
        .take_while(|(k, _)| k.starts_with(prefix))
        .filter(|(k, p)| k.as_bytes().get(prefix.len()) == Some(&b',') && p.rows > 0)
        .filter_map(|(k, _)| {
            serde_json::from_str::<serde_json::Value>(k).ok()?[3]
                .as_str()
                .map(String::from)
        })
        .collect();
    (
        owners,
        parts
            .get(&mixed_part(transfer, year))
            .is_some_and(|p| p.rows > 0),
    )
}

/// Records that the batch `c` carried `subjects` (sorted, distinct): adds the
/// keys the transfer did not carry yet that year and exactly those to `delta`.
/// `counted`: the exporter the batch counted under and which of `subjects`
/// were counted before it (`None` when the batch counts no one).
pub(crate) async fn record(
    conn: &mut AnyConnection,
    parts: &Parts,
    delta: &mut Delta,
    c: &Carrier<'_>,
    subjects: &[[u8; 16]],
    counted: Option<(&str, &[bool])>,
) -> Result<(), StoreError> {
    let set = part(c.transfer, c.year);
    let batch = u32::try_from(c.batch).map_err(|_| {
        crate::invalid("the ledger holds 4,294,967,295 batches, its limit".to_string())
    })?;
    let (owners, withdrawn) = claims(parts, c.transfer, c.year);
    let empty = keyset::len(conn, &set).await? == 0;
    // Which keys need a look-up: all, or (under a claim that holds for this
    // batch's exporter) only those already counted before it.
    let only_counted: Option<&[bool]> = match counted {
        Some((exporter, before)) if before.len() == subjects.len() => {
            if empty && owners.is_empty() && !withdrawn {
                delta.insert_hash(
                    &within_part(c.transfer, c.year, exporter),
                    &marker(exporter),
                    false,
                );
                Some(before)
            } else if !withdrawn && owners.len() == 1 && owners[0] == exporter {
                Some(before)
            } else {
                None
            }
        }
        _ => None,
    };
    if only_counted.is_none() && !owners.is_empty() && !withdrawn {
        delta.insert_hash(&mixed_part(c.transfer, c.year), &marker("mixed"), false);
    }
    // A transfer-year that starts keeping days after it carried people
    // (before schema 16, or before a gate counted windows over it) gets
    // them first: everyone already in it on any day of the year, so a
    // window counts them whenever it touches the year (high, never low).
    let days_set = days_part(c.transfer, c.year);
    let days_kept = keyset::len(conn, &days_set).await? > 0;
    if c.keep_days && !days_kept && !empty {
        let mut before = Vec::new();
        let mut cur = SetCursor::open(conn, &set, Width::KEY_U32).await?;
        while let Some(r) = cur.next(conn).await? {
            before.push(Rec {
                key: r.key,
                value: Days::ANY.value(),
            });
        }
        for change in keyset::add(conn, &days_set, Width::KEY_DAYS, &before).await? {
            delta.run(&days_set, &change, false);
        }
    }
    let runs = keyset::runs(conn, &set).await?;
    let mut seen = vec![false; subjects.len()];
    match only_counted {
        Some(before) => {
            let idx: Vec<usize> = (0..subjects.len()).filter(|i| before[*i]).collect();
            let keys: Vec<[u8; 16]> = idx.iter().map(|i| subjects[*i]).collect();
            keyset::lookup(conn, &set, Width::KEY_U32, &runs, &keys, |i, _| {
                seen[idx[i]] = true
            })
            .await?;
        }
        None => {
            keyset::lookup(conn, &set, Width::KEY_U32, &runs, subjects, |i, _| {
                seen[i] = true
            })
            .await?;
        }
    }
    let new: Vec<Rec> = subjects
        .iter()
        .zip(&seen)
        .filter(|(_, s)| !**s)
        .map(|(k, _)| Rec {
            key: *k,
            value: batch,
        })
        .collect();
    for change in keyset::add(conn, &set, Width::KEY_U32, &new).await? {
        delta.run(&set, &change, false);
    }
    // Everyone carried, with the batch's day: the set keeps each person's
    // first and last day of the year (a run a batch, combined as runs merge).
    if c.keep_days || days_kept {
        let day = c.days.value();
        let seen: Vec<Rec> = subjects
            .iter()
            .map(|k| Rec {
                key: *k,
                value: day,
            })
            .collect();
        for change in keyset::add(conn, &days_set, Width::KEY_DAYS, &seen).await? {
            delta.run(&days_set, &change, false);
        }
    }
    Ok(())
}

/// The claims and withdrawals as stored, each kept only if it is sound: a
/// claim not withdrawn must hold (every person the transfer carried that
/// year is in the exporter's counted set), checked by one merge of the two
/// sets. A claim that does not hold is left out, so `audit verify` names it.
pub(crate) async fn recompute_claims(
    conn: &mut AnyConnection,
    d: &mut Delta,
) -> Result<(), StoreError> {
    // An unreadable `ledger_state` is reported by `audit verify` itself.
    let stored = match crate::state::stored(conn).await {
        Err(StoreError::Tampered { .. }) => return Ok(()),
        other => other?,
    };
    for (k, p) in &stored {
        let v: serde_json::Value = serde_json::from_str(k).unwrap_or_default();
        match (v[0].as_str(), v[1].as_str(), v[2].as_i64(), v[3].as_str()) {
            (Some("deliveries_mixed"), Some(_), Some(_), None) if p.rows == 1 => {
                d.insert_hash(k, &marker("mixed"), false);
            }
            (Some("deliveries_within"), Some(t), Some(y), Some(e)) if p.rows == 1 => {
                let withdrawn = stored.get(&mixed_part(t, y)).is_some_and(|m| m.rows > 0);
                // A damaged set is named by its own part; a claim on it cannot hold.
                let holds = withdrawn
                    || match subset(conn, &part(t, y), &crate::state::subjects_part(e, y)).await {
                        Err(StoreError::Tampered { .. }) => false,
                        other => other?,
                    };
                if holds {
                    d.insert_hash(k, &marker(e), false);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether every key of the deliveries set `small` is in the counted set `big`.
async fn subset(conn: &mut AnyConnection, small: &str, big: &str) -> Result<bool, StoreError> {
    let mut a = SetCursor::open(conn, small, Width::KEY_U32).await?;
    let mut b = SetCursor::open(conn, big, Width::KEY).await?;
    let mut y = b.next(conn).await?;
    while let Some(x) = a.next(conn).await? {
        while y.is_some_and(|r| r.key < x.key) {
            y = b.next(conn).await?;
        }
        if y.is_none_or(|r| r.key != x.key) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Every delivery in the key sets, into `d` (for `audit verify`): each record
/// hashed with its batch's time, as the row it replaced was.
pub(crate) async fn recompute(conn: &mut AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    let mut at: HashMap<i64, String> = HashMap::new();
    for r in sqlx::query("SELECT id, at FROM batches")
        .fetch_all(&mut *conn)
        .await?
    {
        at.insert(r.try_get(0)?, r.try_get(1)?);
    }
    for name in keyset::set_names(conn).await? {
        let done = if let Some((t, y)) = parse(&name) {
            recompute_set(conn, &name, &t, y, &at, d).await
        } else if parse_days(&name).is_some() {
            recompute_days(conn, &name, d).await
        } else {
            continue;
        };
        match done {
            Err(StoreError::Tampered { .. }) => d.damage(&name),
            other => other?,
        }
    }
    Ok(())
}

/// One transfer-year's days, into `d`: read whole (each run against its
/// digest), every record's days a span of the year.
async fn recompute_days(
    conn: &mut AnyConnection,
    name: &str,
    d: &mut Delta,
) -> Result<(), StoreError> {
    let mut c = SetCursor::open(conn, name, Width::KEY_DAYS).await?;
    while let Some(r) = c.next(conn).await? {
        if !Days::from_value(r.value).valid() {
            return Err(tampered(format!(
                "{} hold a day outside the year",
                describe(name)
            )));
        }
    }
    d.runs_read(name, name, &c.runs_read()?, false);
    Ok(())
}

/// The transfer and year of a days set's name.
fn parse_days(name: &str) -> Option<(String, i64)> {
    let v: serde_json::Value = serde_json::from_str(name).ok()?;
    (v[0].as_str()? == "delivery_days").then_some((v[1].as_str()?.to_string(), v[2].as_i64()?))
}

/// One transfer-year's deliveries, into `d`.
async fn recompute_set(
    conn: &mut AnyConnection,
    name: &str,
    t: &str,
    y: i64,
    at: &HashMap<i64, String>,
    d: &mut Delta,
) -> Result<(), StoreError> {
    let mut c = SetCursor::open(conn, name, Width::KEY_U32).await?;
    while let Some(r) = c.next(conn).await? {
        let b = i64::from(r.value);
        let when = at.get(&b).ok_or_else(|| {
            tampered(format!(
                "{} name a batch that was not recorded",
                describe(name)
            ))
        })?;
        d.legacy_row(name, || row_hash(&r.key, t, y, b, when));
    }
    d.runs_read(name, name, &c.runs_read()?, false);
    Ok(())
}

/// The transfer and year of a deliveries set's name.
fn parse(name: &str) -> Option<(String, i64)> {
    let v: serde_json::Value = serde_json::from_str(name).ok()?;
    (v[0].as_str()? == "deliveries").then_some((v[1].as_str()?.to_string(), v[2].as_i64()?))
}

/// Every (transfer, year, first batch) that carried `subject`, exactly.
pub(crate) async fn carried(
    conn: &mut AnyConnection,
    subject: &[u8; 16],
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let mut out = Vec::new();
    if crate::layout::legacy(conn).await? {
        for r in sqlx::query("SELECT transfer, year, batch FROM deliveries WHERE subject = $1")
            .bind(subject.to_vec())
            .fetch_all(&mut *conn)
            .await?
        {
            out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
        }
        return Ok(out);
    }
    for name in keyset::set_names(conn).await? {
        let Some((t, y)) = parse(&name) else { continue };
        let runs = keyset::runs(conn, &name).await?;
        let mut found = None;
        keyset::lookup(
            conn,
            &name,
            Width::KEY_U32,
            &runs,
            std::slice::from_ref(subject),
            |_, r| found = Some(r.value),
        )
        .await?;
        if let Some(b) = found {
            out.push((t, y, i64::from(b)));
        }
    }
    Ok(out)
}

/// Every delivery row of the old layout, into `d`, a page at a time.
pub(crate) async fn legacy_parts(
    conn: &mut AnyConnection,
    d: &mut Delta,
) -> Result<(), StoreError> {
    const PAGE: i64 = 10_000;
    let mut after: Option<(Vec<u8>, String, i64)> = None;
    loop {
        let cols = "SELECT subject, transfer, year, batch, at FROM deliveries";
        let q = match &after {
            None => sqlx::query(sqlx::AssertSqlSafe(format!(
                "{cols} ORDER BY subject, transfer, year LIMIT $1"
            )))
            .bind(PAGE),
            Some((s, t, y)) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "{cols} WHERE (subject, transfer, year) > ($1, $2, $3) ORDER BY subject, transfer, year LIMIT $4"
            )))
            .bind(s.clone())
            .bind(t.clone())
            .bind(*y)
            .bind(PAGE),
        };
        let rows = q.fetch_all(&mut *conn).await?;
        for r in &rows {
            let (s, t, y, b, at): (Vec<u8>, String, i64, i64, String) = (
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            );
            d.insert_hash(&part(&t, y), &row_hash(&s, &t, y, b, &at), false);
            after = Some((s, t, y));
        }
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
    }
}

/// One transfer that carried a person in one year.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    /// The transfer.
    pub transfer: String,
    /// Its recipient, as recorded with the batch.
    pub recipient: String,
    /// The calendar year.
    pub year: i64,
    /// The first batch of that year that carried the person.
    pub first_batch: u64,
    /// When that batch was recorded (UTC, RFC 3339).
    pub first_at: String,
    /// The transfer's last batch of that year (it may or may not have carried the person again).
    pub last_batch_of_year: u64,
}

impl Store {
    /// Every transfer that carried the person whose keyed hash is `subject`,
    /// per year, oldest first: exact, from the committed batches only.
    pub fn deliveries_of(&self, subject: &[u8; 16]) -> Result<Vec<Delivery>, StoreError> {
        self.run("look up deliveries", async {
            let mut c = self.pool.acquire().await?;
            let mut out = Vec::new();
            for (transfer, year, batch) in carried(&mut c, subject).await? {
                let r = sqlx::query(
                    "SELECT b.recipient, b.at, (SELECT MAX(id) FROM batches l WHERE l.transfer = b.transfer AND l.year = $2) \
                     FROM batches b WHERE b.id = $1",
                )
                .bind(batch)
                .bind(year)
                .fetch_optional(&mut *c)
                .await?
                .ok_or_else(|| tampered("a delivery names a batch that was not recorded"))?;
                out.push(Delivery {
                    transfer,
                    recipient: r.try_get(0)?,
                    year,
                    first_batch: batch as u64,
                    first_at: r.try_get(1)?,
                    last_batch_of_year: r.try_get::<i64, _>(2)? as u64,
                });
            }
            out.sort_by(|a, b| (a.year, &a.first_at, &a.transfer).cmp(&(b.year, &b.first_at, &b.transfer)));
            Ok(out)
        })
    }
}

impl Store {
    /// Distinct individuals `transfer` carried in `year`, exactly: the row
    /// count of its committed part, read without counting rows.
    pub fn deliveries_count(&self, transfer: &str, year: i64) -> Result<u64, StoreError> {
        let row = self.run_sql(
            "count deliveries",
            sqlx::query("SELECT rows_n FROM ledger_state WHERE part = $1")
                .bind(part(transfer, year))
                .fetch_optional(&self.pool),
        )?;
        Ok(match row {
            Some(r) => r.try_get::<i64, _>(0).map_err(|source| StoreError::Db {
                op: "count deliveries",
                source,
            })? as u64,
            None => 0,
        })
    }
}

/// The people of one transfer-year carried on a day of a window: the
/// deliveries set (everyone carried that year) read beside the days set.
struct Window {
    carried: SetCursor,
    days: SetCursor,
    day: Option<Rec>,
    name: String,
    /// The window's first and last day of this year.
    lo: u16,
    hi: u16,
}

impl Window {
    async fn open(
        conn: &mut AnyConnection,
        transfer: &str,
        year: i64,
        (lo, hi): (u16, u16),
    ) -> Result<Self, StoreError> {
        let name = days_part(transfer, year);
        let carried = SetCursor::open(conn, &part(transfer, year), Width::KEY_U32).await?;
        let mut days = SetCursor::open(conn, &name, Width::KEY_DAYS).await?;
        let day = days.next(conn).await?;
        Ok(Window {
            carried,
            days,
            day,
            name,
            lo,
            hi,
        })
    }

    /// The next person carried within the window, in key order. A person
    /// without days (carried before the store kept them, schema 16) counts
    /// whenever the year touches the window: an error high, never low.
    async fn next(&mut self, conn: &mut AnyConnection) -> Result<Option<keyset::Key>, StoreError> {
        while let Some(r) = self.carried.next(conn).await? {
            while self.day.is_some_and(|d| d.key < r.key) {
                self.day = self.days.next(conn).await?;
            }
            let inside = match self.day {
                Some(d) if d.key == r.key => {
                    let s = Days::from_value(d.value);
                    if !s.valid() {
                        return Err(tampered(format!(
                            "{} hold a day outside the year",
                            describe(&self.name)
                        )));
                    }
                    s.first <= self.hi && s.last >= self.lo
                }
                _ => true,
            };
            if inside {
                return Ok(Some(r.key));
            }
        }
        Ok(None)
    }
}

/// A rolling window of deliveries to count: people any of `transfers`
/// carried on a day from `from` to `to` inclusive (see
/// [`Store::delivered_between`]); a gate asks for its counterparty's windows
/// inside its batch, the batch included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryWindow {
    /// The transfers counted together (one counterparty's).
    pub transfers: Vec<String>,
    /// The window's first day.
    pub from: jiff::civil::Date,
    /// The window's last day.
    pub to: jiff::civil::Date,
    /// Count no further than this: the answer is then "at least this many".
    /// A decision that compares the count with thresholds needs no more than
    /// one past the largest, and stopping there keeps a batch's time from
    /// growing with the people the ledger holds (the count streams every
    /// person carried in the window's years).
    pub up_to: Option<u64>,
}

impl DeliveryWindow {
    /// The window of `transfers` from `from` to `to`, counted exactly.
    pub fn new(transfers: &[&str], from: jiff::civil::Date, to: jiff::civil::Date) -> Self {
        DeliveryWindow {
            transfers: transfers.iter().map(|t| t.to_string()).collect(),
            from,
            to,
            up_to: None,
        }
    }

    /// The same window, counted no further than `cap` (at least 1).
    pub fn up_to(self, cap: u64) -> Self {
        DeliveryWindow {
            up_to: Some(cap.max(1)),
            ..self
        }
    }

    /// Whether this window is of `transfers` (in that order) from `from` to
    /// `to`, whatever its limit.
    pub fn same_span(
        &self,
        transfers: &[&str],
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> bool {
        self.from == from
            && self.to == to
            && self
                .transfers
                .iter()
                .map(String::as_str)
                .eq(transfers.iter().copied())
    }
}

/// A batch not yet recorded, counted into windows: its transfer, the day it
/// counts on, and its people (sorted, distinct).
pub(crate) struct InFlight<'a> {
    pub(crate) transfer: &'a str,
    pub(crate) year: i64,
    pub(crate) days: Days,
    pub(crate) keys: &'a [keyset::Key],
}

/// The day of the year of a date, 1–366.
fn day_of_year(d: jiff::civil::Date) -> u16 {
    d.day_of_year().clamp(1, 366) as u16
}

/// People in window `w` from the key sets (each checked first against its
/// committed part in `parts`), and those of `batch` when it falls in the
/// window: one merge of every transfer-year's sets, O(people read), which
/// stops at `w.up_to` when the window has a limit.
pub(crate) async fn window_count(
    conn: &mut AnyConnection,
    parts: &Parts,
    w: &DeliveryWindow,
    batch: Option<&InFlight<'_>>,
) -> Result<u64, StoreError> {
    if w.transfers.is_empty() || w.from > w.to {
        return Ok(0);
    }
    let (fy, ty) = (i64::from(w.from.year()), i64::from(w.to.year()));
    let bounds = |y: i64| {
        let lo = if y == fy { day_of_year(w.from) } else { 1 };
        let hi = if y == ty { day_of_year(w.to) } else { 366 };
        (lo, hi)
    };
    let mut windows = Vec::new();
    for t in &w.transfers {
        for y in fy..=ty {
            for (name, width) in [
                (part(t, y), Width::KEY_U32),
                (days_part(t, y), Width::KEY_DAYS),
            ] {
                let p = parts.get(&name).copied().unwrap_or_default();
                crate::counted::check_runs(conn, &p, &name, &[(&name, p.rows, width)]).await?;
            }
            windows.push(Window::open(conn, t, y, bounds(y)).await?);
        }
    }
    // The batch's people, when its day (or any day of its year) is inside.
    let mut extra: &[keyset::Key] = &[];
    if let Some(b) = batch
        && w.transfers.iter().any(|t| t == b.transfer)
        && (fy..=ty).contains(&b.year)
    {
        let (lo, hi) = bounds(b.year);
        if b.days.first <= hi && b.days.last >= lo {
            extra = b.keys;
        }
    }
    let mut extra = extra.iter().copied().peekable();
    let mut heads = Vec::with_capacity(windows.len());
    for win in &mut windows {
        heads.push(win.next(conn).await?);
    }
    let cap = w.up_to.unwrap_or(u64::MAX);
    let mut n = 0u64;
    loop {
        let min = heads.iter().flatten().chain(extra.peek()).min().copied();
        let Some(min) = min else { return Ok(n) };
        n += 1;
        if n >= cap {
            return Ok(n);
        }
        if extra.peek() == Some(&min) {
            extra.next();
        }
        for (h, win) in heads.iter_mut().zip(windows.iter_mut()) {
            if *h == Some(min) {
                *h = win.next(conn).await?;
            }
        }
    }
}

impl Store {
    /// Distinct individuals that any of `transfers` carried on a day from
    /// `from` to `to` inclusive: the rolling window of the US bulk
    /// thresholds (28 CFR §202.205, "in the preceding 12 months").
    ///
    /// Each transfer-year keeps the first and last day it carried each
    /// person, so a year the window covers from 1 January (or up to
    /// 31 December) is answered exactly by the first (or last) day; a
    /// 12-month window always touches two years that way. Two cases err
    /// high, never low: a window inside one year that neither starts on
    /// 1 January nor ends on 31 December (a person carried before and
    /// after it counts), and people carried before the store kept days
    /// (schema 16) or by a batch that gave only its year. The sets read are
    /// first checked against the parts the log committed; every chunk read
    /// is checked against its digest.
    pub fn delivered_between(
        &self,
        transfers: &[&str],
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<u64, StoreError> {
        self.delivered_up_to(&DeliveryWindow::new(transfers, from, to))
    }

    /// [`Store::delivered_between`] for a window, counted no further than
    /// its [`DeliveryWindow::up_to`] when it has one (a store of a layout
    /// before key sets counts every row: exact).
    pub fn delivered_up_to(&self, w: &DeliveryWindow) -> Result<u64, StoreError> {
        if w.transfers.is_empty() || w.from > w.to {
            return Ok(0);
        }
        let n = self.run("count deliveries in a window", async {
            // One transaction: on SQLite one snapshot for every set read.
            let mut tx = self.pool.begin().await?;
            let parts = crate::state::stored(&mut tx).await?;
            // A store not yet moved to key sets (schema 14) or to LtHash
            // (15) has no days and no run digests to check: whole years, as
            // before, until its next write moves it.
            let last: Option<String> =
                sqlx::query("SELECT body FROM audit_entries ORDER BY idx DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
            let root = last
                .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
                .and_then(|b| b.get("ledger")?.as_str().map(String::from));
            if crate::layout::legacy(&mut tx).await?
                || crate::state::scheme_of(&parts, root.as_deref()) == crate::state::Scheme::Sum
            {
                tx.rollback().await?;
                return Ok(None);
            }
            let n = window_count(&mut tx, &parts, w, None).await?;
            tx.rollback().await?;
            Ok(Some(n))
        })?;
        match n {
            Some(n) => Ok(n),
            None => {
                let transfers: Vec<&str> = w.transfers.iter().map(String::as_str).collect();
                let (fy, ty) = (i64::from(w.from.year()), i64::from(w.to.year()));
                self.delivered_distinct(&transfers, fy, ty)
            }
        }
    }
}

impl Store {
    /// Distinct individuals that any of `transfers` carried in the calendar
    /// years `from_year` to `to_year` inclusive, from the committed rows.
    ///
    /// A row records only the first delivery of a year, so a window that starts
    /// or ends inside a year is answered with whole years: the count errs high,
    /// never low (the safe side for a threshold).
    pub fn delivered_distinct(
        &self,
        transfers: &[&str],
        from_year: i64,
        to_year: i64,
    ) -> Result<u64, StoreError> {
        if transfers.is_empty() {
            return Ok(0);
        }
        self.run("count deliveries to a counterparty", async {
            let mut c = self.pool.acquire().await?;
            if crate::layout::legacy(&mut c).await? {
                let list = (0..transfers.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
                let sql = format!(
                    "SELECT COUNT(DISTINCT subject) FROM deliveries WHERE year >= $1 AND year <= $2 AND transfer IN ({list})"
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from_year).bind(to_year);
                for t in transfers {
                    q = q.bind(t.to_string());
                }
                let n: i64 = q.fetch_one(&mut *c).await?.try_get(0)?;
                return Ok(n.max(0) as u64);
            }
            let mut sets = Vec::new();
            for t in transfers {
                for y in from_year..=to_year {
                    sets.push(part(t, y));
                }
            }
            let w = vec![Width::KEY_U32; sets.len()];
            keyset::union_len(&mut c, &sets, &w).await
        })
    }
}
