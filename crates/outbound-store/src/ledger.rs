//! The ledger: batches that passed the gate and the exact distinct
//! individuals per exporter and year they carried.
//!
//! Individuals are counted as keyed hashes of their subject key (see
//! [`crate::Keys::subject_hash`]) in the `subjects` table, one row per
//! exporter, year and subject, so a count is an exact `COUNT(*)` and a window
//! across years an exact `COUNT(DISTINCT subject)`.

use sqlx::Row;

use crate::StoreError;
use crate::keys::Keys;
use crate::routes::suspension;
use crate::signed_head::SignedTreeHead;
use crate::store::Store;

/// Distinct individuals, all and with sensitive PI (the one type the rules read too).
pub use outbound_model::Counts;

/// One subject in a batch: its keyed hash and whether sensitive PI of it left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Subject {
    /// Keyed hash of the subject key.
    pub hash: [u8; 16],
    /// Sensitive PI of this subject is in the batch.
    pub sensitive: bool,
}

/// What the gate asks the ledger to record.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BatchRecord {
    /// Transfer id.
    pub transfer: String,
    /// Exporter ids counted together (the exporter, or its group against splitting); the first is the exporter.
    pub exporters: Vec<String>,
    /// Recipient id.
    pub recipient: String,
    /// SHA-256 of what left, hex.
    pub sha256: String,
    /// Bytes that left.
    pub bytes: u64,
    /// Records read.
    pub records_in: u64,
    /// Records written.
    pub records_out: u64,
    /// Values found per kind.
    pub kinds: std::collections::BTreeMap<String, u64>,
    /// Matches per kind the data map set aside (a field's `not_kinds`: its
    /// numbers match the kind only by chance): not in `kinds`, counting
    /// nobody. Recorded so that the log commits to what the map let pass.
    pub set_aside: std::collections::BTreeMap<String, u64>,
    /// SHA-256 of the data map the batch was judged under
    /// (`DataMap::content_sha256`, 64 lowercase hex digits).
    pub map_sha256: String,
    /// Where the output was written.
    pub output: Option<String>,
    /// Whether its individuals count towards the exporter's thresholds. False for data
    /// outside the regime (Provisions Art. 3, 4, 6): the batch is recorded, its subjects are not counted.
    pub counts_towards_thresholds: bool,
}

/// The day a batch counts on: its year chooses the counts it joins, its day
/// of the year the rolling windows it falls in ([`Store::delivered_between`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchDay {
    year: i16,
    day: Option<u16>,
}

impl BatchDay {
    /// A year alone, for callers that know no day: the batch is taken to be
    /// on any day of it, so a window touching the year counts its people
    /// (an error high, never low).
    pub fn year(year: i16) -> BatchDay {
        BatchDay { year, day: None }
    }
}

impl From<jiff::civil::Date> for BatchDay {
    fn from(d: jiff::civil::Date) -> BatchDay {
        BatchDay {
            year: d.year(),
            day: Some(d.day_of_year().clamp(1, 366) as u16),
        }
    }
}

/// The counts a batch would produce, given to the gate's decision before anything is written.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct BatchCounts {
    /// Distinct individuals in the batch.
    pub batch: Counts,
    /// Of those, not yet counted this year for the exporter.
    pub new: Counts,
    /// The exporter's (or group's) current-year count including the batch.
    pub current_year: Counts,
    /// The same from 1 January of the previous year.
    pub previous_and_current_year: Counts,
}

/// The outcome of recording a batch.
#[derive(Debug)]
pub enum Recorded {
    /// Recorded: batch id, audit index and the new signed head.
    Committed {
        /// Batch id.
        batch: u64,
        /// Audit log index.
        audit_index: u64,
        /// The head signed after appending.
        head: SignedTreeHead,
        /// The counts.
        counts: BatchCounts,
    },
    /// Refused by the decision or a suspended route; nothing was written.
    Refused {
        /// Why.
        reason: String,
        /// The counts it would have produced.
        counts: BatchCounts,
    },
    /// A dry run the decision let pass; nothing was written.
    DryRun {
        /// The counts it would have produced.
        counts: BatchCounts,
    },
}

/// A recorded batch, as listed for audits and recovery checks.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BatchSummary {
    /// Batch id.
    pub id: u64,
    /// Transfer id.
    pub transfer: String,
    /// When it was recorded.
    pub at: String,
    /// SHA-256 of what left.
    pub sha256: String,
    /// Records written.
    pub records_out: u64,
    /// Distinct individuals in the batch.
    pub individuals: u64,
    /// Where the output was written.
    pub output: Option<String>,
    /// `committed` (output not yet confirmed in place) or `done`.
    pub state: String,
}

/// A [`BatchSummary`] read from its row: the first eight columns, in
/// [`Store::batches`]'s order.
fn summary(r: &sqlx::any::AnyRow) -> Result<BatchSummary, StoreError> {
    Ok(BatchSummary {
        id: r.try_get::<i64, _>(0)? as u64,
        transfer: r.try_get(1)?,
        at: r.try_get(2)?,
        sha256: r.try_get(3)?,
        records_out: r.try_get::<i64, _>(4)? as u64,
        individuals: r.try_get::<i64, _>(5)? as u64,
        output: r.try_get(6)?,
        state: r.try_get(7)?,
    })
}

/// Which batches [`Store::batch_page`] reads.
#[derive(Clone, Debug)]
pub struct BatchQuery<'a> {
    /// These transfers' batches only (none with an empty list): one
    /// transfer's page, or a recipient's transfers'.
    pub transfers: Option<&'a [&'a str]>,
    /// Batches with a greater id only (the last id of the page before).
    pub after: Option<u64>,
    /// Batches with a smaller id only.
    pub before: Option<u64>,
    /// Newest (greatest id) first rather than oldest.
    pub newest_first: bool,
    /// At most this many.
    pub limit: u64,
}

impl Default for BatchQuery<'_> {
    fn default() -> Self {
        BatchQuery {
            transfers: None,
            after: None,
            before: None,
            newest_first: false,
            limit: crate::PAGE_DEFAULT,
        }
    }
}

/// A batch with the map it was judged under, as its audit entry records it.
#[derive(Clone, Debug)]
pub struct JudgedBatch {
    /// The batch, from the ledger.
    pub batch: BatchSummary,
    /// The map's content SHA-256 from the batch's audit entry (`batch`
    /// v2); `None` for a v1 entry or a batch whose entry is missing.
    pub map_sha256: Option<String>,
}

/// Whether a batch was judged under the map one holds, as its audit entry
/// records it. The one reading for the server's list and page and for
/// `outbound audit verify --map`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapJudged {
    /// The entry records the digest of the map one holds.
    Current,
    /// The entry records another map's digest: the declarations changed since.
    Other,
    /// The entry records no map (`batch` v1, or no entry).
    NotRecorded,
}

impl MapJudged {
    /// `recorded` (a batch's [`JudgedBatch::map_sha256`]) against
    /// `current`, the content SHA-256 of the map one holds.
    pub fn of(recorded: Option<&str>, current: &str) -> MapJudged {
        match recorded {
            Some(d) if d == current => MapJudged::Current,
            Some(_) => MapJudged::Other,
            None => MapJudged::NotRecorded,
        }
    }

    /// `current`, `other` or `not_recorded`, as the API and pages name it.
    pub fn as_str(self) -> &'static str {
        match self {
            MapJudged::Current => "current",
            MapJudged::Other => "other",
            MapJudged::NotRecorded => "not_recorded",
        }
    }
}

/// Counts for exporters in years `from..=to` from the rows of the old layout
/// (a store upgraded but not yet moved to key sets; see `layout.rs`).
async fn legacy_counts(
    conn: &mut sqlx::AnyConnection,
    exporters: &[String],
    from_year: i64,
    to_year: i64,
) -> Result<Counts, StoreError> {
    let list = (0..exporters.len())
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT COUNT(DISTINCT subject), COUNT(DISTINCT CASE WHEN sensitive = 1 THEN subject END) FROM subjects WHERE year >= $1 AND year <= $2 AND exporter IN ({list})"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from_year)
        .bind(to_year);
    for e in exporters {
        q = q.bind(e.clone());
    }
    let row = q.fetch_one(&mut *conn).await?;
    Ok(Counts {
        individuals: row.try_get::<i64, _>(0)? as u64,
        sensitive_individuals: row.try_get::<i64, _>(1)? as u64,
    })
}

impl Store {
    /// Records a batch exactly once: counts its subjects, lets `decide` judge the
    /// counts it would produce, and either commits the batch, the subjects and the
    /// audit entry in one transaction, or writes nothing.
    ///
    /// `decide` returns the determination (JSON) the batch passes under, or the
    /// reason it is refused.
    pub fn record_batch(
        &self,
        keys: &Keys,
        rec: &BatchRecord,
        year: i16,
        subjects: &[Subject],
        dry_run: bool,
        decide: impl FnOnce(&BatchCounts) -> Result<serde_json::Value, String>,
    ) -> Result<Recorded, StoreError> {
        self.record_batch_consented(
            keys,
            rec,
            BatchDay::year(year),
            subjects,
            (None, &[]),
            dry_run,
            |c, _| decide(c),
        )
    }

    /// [`Store::record_batch`] for a run that filtered its records by the
    /// transfer's consents as `consents` read them
    /// ([`Store::consent_register`]): the batch is recorded only if those
    /// rows are the ones the audit log commits to (checked by their digest in
    /// the batch's transaction, instead of reading the register a second
    /// time). A register changed since the read refuses the batch (a
    /// conflict: run again; tampering: the store does not verify).
    ///
    /// `windows` are counted inside the same transaction, this batch's
    /// people included when its day falls in them, and given to `decide`
    /// in order: the rolling 12-month volumes a decision compares with a
    /// threshold (the US rule's, per counterparty) cannot then be raced by
    /// another gate.
    #[allow(clippy::too_many_arguments)]
    pub fn record_batch_consented(
        &self,
        keys: &Keys,
        rec: &BatchRecord,
        on: BatchDay,
        subjects: &[Subject],
        (consents, windows): (
            Option<&crate::ConsentRegister>,
            &[crate::deliveries::DeliveryWindow],
        ),
        dry_run: bool,
        decide: impl FnOnce(&BatchCounts, &[u64]) -> Result<serde_json::Value, String>,
    ) -> Result<Recorded, StoreError> {
        if let Some(c) = consents
            && c.transfer() != rec.transfer
        {
            return Err(crate::invalid(format!(
                "the consents read are of transfer {}, the batch is of transfer {}",
                c.transfer(),
                rec.transfer
            )));
        }
        let consents_read = consents.map(|c| {
            let (name, part) = c.part();
            (name.to_string(), *part)
        });
        // One entry per subject, sorted (the key sets look up sorted keys):
        // sensitive if any of its records was.
        let mut uniq: Vec<([u8; 16], bool)> =
            subjects.iter().map(|s| (s.hash, s.sensitive)).collect();
        uniq.sort_unstable();
        uniq.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            kept.1 |= same && next.1;
            same
        });
        let exporter = rec
            .exporters
            .first()
            .cloned()
            .ok_or(StoreError::NoExporter)?;
        let (at, _) = crate::audit::now();
        self.run("record a batch", async {
            let mut tx = self.begin_write().await?;
            let y = i64::from(on.year);
            // Nothing builds on a store whose state is not what its log committed to.
            let mut checked = crate::state::check(&mut tx, keys).await?;
            // A store of the old layout moves to key sets first, committed by its own entry.
            if crate::layout::convert(&mut tx, keys).await? {
                checked = crate::state::check(&mut tx, keys).await?;
            }
            crate::state::check_batch(&mut tx, &checked.parts, &rec.exporters, &[y - 1, y], &rec.transfer, consents_read.as_ref().map(|(n, p)| (n.as_str(), p))).await?;
            let mut delta = crate::state::Delta::default();
            // Consents imported before the index get it with this batch (the rows were just checked).
            crate::consent_index::ensure(&mut tx, &checked.parts, &rec.transfer, &mut delta).await?;
            let suspended = suspension(&mut tx, &rec.transfer).await?;
            let mut counts = BatchCounts {
                batch: Counts { individuals: uniq.len() as u64, sensitive_individuals: uniq.iter().filter(|s| s.1).count() as u64 },
                ..Default::default()
            };
            if let Some(reason) = suspended {
                tx.rollback().await?;
                return Ok(Recorded::Refused { reason: format!("the route {} is suspended: {reason}", rec.transfer), counts });
            }
            // Who is new this year, who is newly sensitive, and the digests they move.
            let to_count: &[([u8; 16], bool)] = if rec.counts_towards_thresholds { &uniq } else { &[] };
            let (new, ov) = crate::counted::add(&mut tx, &exporter, y, to_count, &mut delta).await?;
            counts.new = new;
            let (cur, both) = crate::counted::window(&mut tx, &checked.parts, &rec.exporters, y, &ov, &mut delta).await?;
            counts.current_year = cur;
            counts.previous_and_current_year = both;
            // The windows the decision asks for, this batch's people included.
            let carried: Vec<[u8; 16]> = uniq.iter().map(|(h, _)| *h).collect();
            let days = on.day.map_or(crate::keyset::Days::ANY, crate::keyset::Days::on);
            let flight = crate::deliveries::InFlight { transfer: &rec.transfer, year: y, days, keys: &carried };
            let mut in_windows = Vec::with_capacity(windows.len());
            for w in windows {
                in_windows.push(crate::deliveries::window_count(&mut tx, &checked.parts, w, Some(&flight)).await?);
            }
            let determination = match decide(&counts, &in_windows) {
                Ok(d) => d,
                Err(reason) => {
                    tx.rollback().await?;
                    return Ok(Recorded::Refused { reason, counts });
                }
            };
            if dry_run {
                tx.rollback().await?;
                return Ok(Recorded::DryRun { counts });
            }
            let id: i64 = sqlx::query("SELECT COUNT(*) FROM batches").fetch_one(&mut *tx).await?.try_get(0)?;
            let body = serde_json::json!({
                "batch": id, "transfer": rec.transfer, "exporter": exporter, "recipient": rec.recipient,
                "sha256": rec.sha256, "bytes": rec.bytes, "records_in": rec.records_in, "records_out": rec.records_out,
                "kinds": rec.kinds, "set_aside": rec.set_aside, "map_sha256": rec.map_sha256,
                "individuals": counts.batch, "new": counts.new, "current_year": counts.current_year,
                "determination": determination,
            });
            // The batch row first, so that the entry commits the state with it.
            let audit_index = checked.size;
            sqlx::query(
                "INSERT INTO batches (id, transfer, exporter, recipient, at, year, sha256, bytes, records_in, records_out, kinds, \
                 individuals, individuals_new, sensitive, sensitive_new, determination, audit_index, output, state) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'committed')",
            )
            .bind(id)
            .bind(rec.transfer.clone())
            .bind(exporter.clone())
            .bind(rec.recipient.clone())
            .bind(at.clone())
            .bind(y)
            .bind(rec.sha256.clone())
            .bind(rec.bytes as i64)
            .bind(rec.records_in as i64)
            .bind(rec.records_out as i64)
            .bind(serde_json::to_string(&rec.kinds).unwrap_or_default())
            .bind(counts.batch.individuals as i64)
            .bind(counts.new.individuals as i64)
            .bind(counts.batch.sensitive_individuals as i64)
            .bind(counts.new.sensitive_individuals as i64)
            .bind(determination.to_string())
            .bind(audit_index as i64)
            .bind(rec.output.clone())
            .execute(&mut *tx)
            .await?;
            delta.insert_batch(&mut tx, id).await?;
            // Who this batch carried, whether or not they count: rights requests are forwarded by it.
            // Days are kept for a transfer someone counts windows over (and, once kept, always).
            let keep_days = windows.iter().any(|w| w.transfers.contains(&rec.transfer));
            let carrier = crate::deliveries::Carrier { transfer: &rec.transfer, year: y, batch: id, days, keep_days };
            let counted = rec.counts_towards_thresholds.then_some((exporter.as_str(), ov.counted_before.as_slice()));
            crate::deliveries::record(&mut tx, &checked.parts, &mut delta, &carrier, &carried, counted).await?;
            delta.apply(&mut tx).await?;
            let (index, head) = crate::audit::append(&mut tx, keys, "batch", body).await?;
            debug_assert_eq!(index, audit_index);
            tx.commit().await?;
            Ok(Recorded::Committed { batch: id as u64, audit_index, head, counts })
        })
    }

    /// Distinct individuals exported by the exporters in the 12 months ending on `to` (inclusive),
    /// for rules that count over any 12 months (e.g. the US DOJ rule, 28 CFR 202).
    ///
    /// The ledger counts people per calendar year, so the window is answered
    /// with the whole years it touches: an upper bound, never an undercount.
    pub fn counts_rolling_12_months(
        &self,
        exporters: &[String],
        to: jiff::civil::Date,
    ) -> Result<Counts, StoreError> {
        let from = to
            .checked_sub(jiff::Span::new().years(1))
            .map_err(StoreError::DateRange)?;
        self.counts(exporters, from.year(), to.year())
    }

    /// Exact counts for exporters over the years `from_year..=to_year`: one
    /// exporter's one or two years are read from the kept counts (no key is
    /// read), a group's likewise once a batch judged for it has built its
    /// kept sets; anything else is streamed from the key sets.
    pub fn counts(
        &self,
        exporters: &[String],
        from_year: i16,
        to_year: i16,
    ) -> Result<Counts, StoreError> {
        self.run("count individuals", async {
            let mut tx = self.pool.begin().await?;
            let (from, to) = (i64::from(from_year), i64::from(to_year));
            let c = if crate::layout::legacy(&mut tx).await? {
                legacy_counts(&mut tx, exporters, from, to).await?
            } else {
                crate::counted::counts(&mut tx, exporters, from, to).await?
            };
            tx.rollback().await?;
            Ok(c)
        })
    }

    /// Recorded batches of an exporter in a year: (date, individuals new) in time order, for trends.
    pub fn batch_history(
        &self,
        exporter: &str,
        year: i16,
    ) -> Result<Vec<(String, u64, u64)>, StoreError> {
        let rows = self.run_sql(
            "list batches",
            sqlx::query("SELECT at, individuals_new, sensitive_new FROM batches WHERE exporter = $1 AND year = $2 ORDER BY id")
                .bind(exporter.to_string())
                .bind(i64::from(year))
                .fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>(0)?,
                    r.try_get::<i64, _>(1)? as u64,
                    r.try_get::<i64, _>(2)? as u64,
                ))
            })
            .collect()
    }

    /// Number of recorded batches.
    pub fn batch_count(&self) -> Result<u64, StoreError> {
        let row = self.run_sql(
            "count batches",
            sqlx::query("SELECT COUNT(*) FROM batches").fetch_one(&self.pool),
        )?;
        Ok(row.try_get::<i64, _>(0)? as u64)
    }

    /// Batches committed whose output was not yet confirmed in place: (id, output path, sha256).
    pub fn pending_outputs(&self) -> Result<Vec<(u64, String, String)>, StoreError> {
        let rows = self.run_sql(
            "list pending outputs",
            sqlx::query("SELECT id, output, sha256 FROM batches WHERE state = 'committed' AND output IS NOT NULL ORDER BY id").fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)? as u64, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Marks a batch's output as in place.
    pub fn mark_output_done(&self, batch: u64) -> Result<(), StoreError> {
        self.run_sql(
            "mark an output in place",
            sqlx::query("UPDATE batches SET state = 'done' WHERE id = $1")
                .bind(batch as i64)
                .execute(&self.pool),
        )?;
        Ok(())
    }

    /// Batches, in order, each with the digest of the data map it was
    /// judged under as its audit entry records it (`batch` v2's
    /// `map_sha256`; `None` for a v1 entry): read from the log, which
    /// commits to it, rather than from the ledger's row. One transfer's, or
    /// every batch's with `None`. Read a [`crate::PAGE_MAX`] at a time
    /// and only the digests kept, so memory follows the batches, not their
    /// entries.
    pub fn batch_map_digests(
        &self,
        transfer: Option<&str>,
    ) -> Result<Vec<(u64, Option<String>)>, StoreError> {
        let mut out = Vec::new();
        let one = transfer.map(|t| [t]);
        let mut q = BatchQuery {
            transfers: one.as_ref().map(|t| &t[..]),
            limit: crate::PAGE_MAX,
            ..BatchQuery::default()
        };
        loop {
            let page = self.batch_page(&q)?;
            out.extend(page.iter().map(|j| (j.batch.id, j.map_sha256.clone())));
            match page.last() {
                Some(last) if page.len() as u64 == crate::PAGE_MAX => q.after = Some(last.batch.id),
                _ => return Ok(out),
            }
        }
    }

    /// One page of batches, each with the digest of the map its audit
    /// entry records (a batch whose entry is missing or v1 has none): what
    /// the server lists, so that a gate's millionth batch costs a list no
    /// more than its first. Batches by id, after `after` and before
    /// `before`, only the named transfers' with `transfers`; through the
    /// index on (transfer, id), so a transfer's page reads its rows and no
    /// others.
    pub fn batch_page(&self, q: &BatchQuery<'_>) -> Result<Vec<JudgedBatch>, StoreError> {
        let order = if q.newest_first { "DESC" } else { "ASC" };
        let transfers = q.transfers.unwrap_or_default();
        if q.transfers.is_some() && transfers.is_empty() {
            return Ok(Vec::new());
        }
        // Placeholders in the order they are bound: the ids, the transfers, the limit.
        let of_transfers = match transfers.len() {
            0 => String::new(),
            n => format!("AND b.transfer IN ({})", crate::placeholders(3, n)),
        };
        let limit = transfers.len() + 3;
        let sql = format!(
            "SELECT b.id, b.transfer, b.at, b.sha256, b.records_out, b.individuals, b.output, b.state, \
                    e.idx, e.at, e.kind, e.body, e.leaf_hash \
             FROM batches b LEFT JOIN audit_entries e ON e.idx = b.audit_index \
             WHERE b.id > $1 AND b.id < $2 {of_transfers} ORDER BY b.id {order} LIMIT ${limit}"
        );
        let id = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(q.after.map_or(-1, id))
            .bind(q.before.map_or(i64::MAX, id));
        for t in transfers {
            query = query.bind(*t);
        }
        query = query.bind(id(q.limit.min(crate::PAGE_MAX)));
        let rows = self.run_sql("read a page of batches", query.fetch_all(&self.pool))?;
        rows.iter()
            .map(|r| {
                let batch = summary(r)?;
                let map_sha256 = match r.try_get::<Option<i64>, _>(8)? {
                    None => None,
                    Some(idx) => crate::audit::Entry {
                        index: idx as u64,
                        at: r.try_get(9)?,
                        kind: r.try_get(10)?,
                        body: r.try_get(11)?,
                        stored_leaf_hash: crate::audit::to_hash(&r.try_get::<Vec<u8>, _>(12)?)?,
                    }
                    .map_sha256(),
                };
                Ok(JudgedBatch { batch, map_sha256 })
            })
            .collect()
    }

    /// How many batches one transfer recorded.
    pub fn transfer_batch_count(&self, transfer: &str) -> Result<u64, StoreError> {
        let row = self.run_sql(
            "count a transfer's batches",
            sqlx::query("SELECT COUNT(*) FROM batches WHERE transfer = $1")
                .bind(transfer)
                .fetch_one(&self.pool),
        )?;
        Ok(row.try_get::<i64, _>(0)? as u64)
    }

    /// Every recorded batch, in order.
    pub fn batches(&self) -> Result<Vec<BatchSummary>, StoreError> {
        let rows = self.run_sql(
            "list batches",
            sqlx::query("SELECT id, transfer, at, sha256, records_out, individuals, output, state FROM batches ORDER BY id").fetch_all(&self.pool),
        )?;
        rows.iter().map(summary).collect()
    }
}
