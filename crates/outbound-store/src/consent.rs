//! Separate consent per subject and transfer, imported and withdrawn with an
//! audit entry; subjects appear only as keyed hashes.

use std::collections::{BTreeMap, HashSet};

use sqlx::Row;

use crate::StoreError;
use crate::audit::Ready;
use crate::group::Writing;
use crate::keys::Keys;
use crate::keyset::Rec;
use crate::store::Store;

/// A consent record to import: the subject's keyed hash, the transfer, when given and when withdrawn.
#[derive(Clone, Debug)]
pub struct ConsentRecord {
    /// Keyed hash of the subject key.
    pub subject: [u8; 16],
    /// Transfer id the separate consent covers.
    pub transfer: String,
    /// When consent was given (YYYY-MM-DD or RFC 3339).
    pub granted_at: String,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<String>,
}

impl Store {
    /// Imports consent records in one transaction (later records replace earlier ones) and logs the import.
    pub fn consent_import(
        &self,
        keys: &Keys,
        records: &[ConsentRecord],
        source: &str,
    ) -> Result<u64, StoreError> {
        self.run("import consent", async {
            // Dates the index can read: a given or withdrawal date that is
            // not one would be read as never valid (the rows' reading was
            // the string's), so it is refused here, naming the record.
            for (i, r) in records.iter().enumerate() {
                for (field, v) in [("granted_at", Some(&r.granted_at)), ("withdrawn_at", r.withdrawn_at.as_ref())] {
                    if let Some(v) = v
                        && crate::consent_index::day_number(v).is_none()
                    {
                        return Err(crate::invalid(format!(
                            "consent record {}: {field} does not start with a date (YYYY-MM-DD)",
                            i + 1
                        )));
                    }
                }
            }
            let mut tx = self.begin_write().await?;
            let checked = crate::state::check(&mut tx, keys).await?;
            let mut delta = crate::state::Delta::default();
            // Each transfer's index first, from the rows as they were.
            let mut index: BTreeMap<&str, Vec<Rec>> = BTreeMap::new();
            for r in records {
                if !index.contains_key(r.transfer.as_str()) {
                    crate::consent_index::ensure(&mut tx, &checked.parts, &r.transfer, &mut delta).await?;
                }
                let value = crate::consent_index::value(&r.granted_at, r.withdrawn_at.as_deref());
                index.entry(r.transfer.as_str()).or_default().push(Rec { key: r.subject, value });
            }
            // Later records replace earlier ones, in the index as in the rows:
            // newest first, a stable sort by key, the first of each key kept.
            for recs in index.values_mut() {
                recs.reverse();
                recs.sort_by_key(|r| r.key);
                recs.dedup_by_key(|r| r.key);
            }
            // The rows written, per part, added to the digests together (on several cores).
            let mut added: BTreeMap<String, Vec<crate::merkle::Hash>> = BTreeMap::new();
            let mut buf = Vec::new();
            for r in records {
                let part = crate::state::consents_part(&r.transfer);
                let old = sqlx::query("SELECT granted_at, withdrawn_at FROM consents WHERE subject = $1 AND transfer = $2")
                    .bind(r.subject.to_vec())
                    .bind(r.transfer.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(o) = old {
                    let w: Option<String> = o.try_get(1)?;
                    delta.remove(&part, &crate::state::consent_row(&r.subject, &r.transfer, &o.try_get::<String, _>(0)?, w.as_deref()), false);
                }
                added.entry(part).or_default().push(crate::state::consent_row_hash(&r.subject, &r.transfer, &r.granted_at, r.withdrawn_at.as_deref(), &mut buf));
                sqlx::query(
                    "INSERT INTO consents (subject, transfer, granted_at, withdrawn_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (subject, transfer) DO UPDATE SET granted_at = excluded.granted_at, withdrawn_at = excluded.withdrawn_at",
                )
                .bind(r.subject.to_vec())
                .bind(r.transfer.clone())
                .bind(r.granted_at.clone())
                .bind(r.withdrawn_at.clone())
                .execute(&mut *tx)
                .await?;
            }
            let mut per: BTreeMap<&str, u64> = Default::default();
            for r in records {
                *per.entry(r.transfer.as_str()).or_default() += 1;
            }
            let body = serde_json::json!({"source": source, "records": records.len(), "per_transfer": per});
            for (part, hashes) in &added {
                delta.insert_hashes(part, hashes, false);
            }
            for (t, recs) in index {
                crate::consent_index::add(&mut tx, t, &recs, &mut delta).await?;
            }
            delta.apply(&mut tx).await?;
            let (idx, _) = crate::audit::append(&mut tx, keys, "consent_import", body).await?;
            tx.commit().await?;
            Ok(idx)
        })
    }

    /// Withdraws a subject's consent for a transfer (or all transfers when `transfer` is None) and logs it.
    pub fn consent_withdraw(
        &self,
        keys: &Keys,
        subject: [u8; 16],
        transfer: Option<&str>,
        at: &str,
    ) -> Result<u64, StoreError> {
        if crate::consent_index::day_number(at).is_none() {
            return Err(crate::invalid(
                "a withdrawal's time must start with a date (YYYY-MM-DD)".to_string(),
            ));
        }
        // Group-committed with other writers: a server answering many
        // withdrawals at once signs and syncs once per group, not per withdrawal.
        let write = withdrawal(subject, transfer.map(str::to_string), at.to_string());
        Ok(self.write_grouped(keys, "withdraw consent", write)?.0)
    }

    /// The subjects with a valid consent for `transfer` on `on` (YYYY-MM-DD): given on or before, not withdrawn by then.
    pub fn consented(&self, transfer: &str, on: &str) -> Result<HashSet<[u8; 16]>, StoreError> {
        Ok(self
            .consent_register(transfer, on)?
            .subjects
            .into_iter()
            .collect())
    }

    /// The consents of `transfer` as a gate's run reads them: the subjects
    /// with a valid consent on `on` (as [`Store::consented`]) and the digest
    /// of what was read: the transfer's index (`consent_index.rs`), or every
    /// row when its consents predate the index. The read is not trusted: recording the batch with
    /// [`Store::record_batch_consented`] confirms, inside the batch's
    /// transaction, that the rows read are the rows the audit log committed
    /// to, so the register is read once per run instead of twice.
    pub fn consent_register(
        &self,
        transfer: &str,
        on: &str,
    ) -> Result<ConsentRegister, StoreError> {
        self.run("read consent", async {
            // One transaction: on SQLite its pages read one snapshot, so an
            // import meanwhile cannot tear the read (PostgreSQL reads each
            // page as of its statement; a torn read is caught as a change).
            let mut tx = self.pool.begin().await?;
            let parts = crate::state::stored(&mut tx).await?;
            let day = crate::consent_index::day_number(on).ok_or_else(|| {
                crate::invalid(format!(
                    "the day consents are read for is not a date (YYYY-MM-DD): {on}"
                ))
            })?;
            let (subjects, part, part_name) =
                match crate::consent_index::read(&mut tx, &parts, transfer, day).await? {
                    Some((subjects, part)) => {
                        (subjects, part, crate::consent_index::index_part(transfer))
                    }
                    None => {
                        let (subjects, part) = read(&mut tx, transfer, Some(on)).await?;
                        (subjects, part, crate::state::consents_part(transfer))
                    }
                };
            tx.commit().await?;
            Ok(ConsentRegister {
                transfer: transfer.to_string(),
                subjects,
                part,
                part_name,
            })
        })
    }
}

/// The consents of one transfer as read for a gate's run, before the batch
/// is recorded: who may be counted, and the digest of what was read.
#[derive(Debug)]
pub struct ConsentRegister {
    transfer: String,
    subjects: Vec<[u8; 16]>,
    part: crate::state::Part,
    /// The part read: the transfer's index, or its rows before it has one.
    part_name: String,
}

impl ConsentRegister {
    /// The transfer the consents are of.
    pub fn transfer(&self) -> &str {
        &self.transfer
    }

    /// The subjects with a valid consent on the day asked for (in no order); taken
    /// out (the run filters by its own set), so a second call returns none.
    pub fn take_subjects(&mut self) -> Vec<[u8; 16]> {
        std::mem::take(&mut self.subjects)
    }

    /// The part read (index or rows) and its digest, for the batch's check.
    pub(crate) fn part(&self) -> (&str, &crate::state::Part) {
        (&self.part_name, &self.part)
    }
}

/// Consents per page: one query, one row through the driver.
const PAGE_ROWS: i64 = 16_384;

/// One page of a transfer's consents as one row: `COUNT`, the cursor for
/// the next page, and the page's rows concatenated. Each row is
/// `hex(subject) len(granted) len(withdrawn)|-1 granted withdrawn`: the
/// lengths make the concatenation unambiguous whatever the dates hold. A row
/// of an unexpected type is `x`, which does not parse: an error, never a
/// skipped row.
///
/// SQLite pages in rowid order (a sequential scan of the table; in subject
/// order, through the primary key's index, every row costs a random table
/// read: 3× the time at 1M consents), the cursor being the page's last
/// rowid. PostgreSQL pages in subject order, the cursor the last subject
/// parsed (it has no `max` of a `bytea`). Every row has one rowid or
/// subject, so the pages cover each row once.
fn page_sql(sqlite: bool, first: bool) -> String {
    let (rec, cursor, agg, key) = if sqlite {
        (
            "CASE WHEN typeof(subject) = 'blob' AND typeof(granted_at) = 'text' AND (withdrawn_at IS NULL OR typeof(withdrawn_at) = 'text') \
             THEN hex(subject) || ' ' || octet_length(granted_at) || ' ' || coalesce(octet_length(withdrawn_at), -1) || ' ' || granted_at || coalesce(withdrawn_at, '') ELSE 'x' END",
            "MAX(k)",
            "group_concat(rec, '')",
            "rowid",
        )
    } else {
        (
            "COALESCE(encode(subject, 'hex') || ' ' || octet_length(granted_at) || ' ' || COALESCE(octet_length(withdrawn_at), -1) || ' ' || granted_at || COALESCE(withdrawn_at, ''), 'x')",
            "NULL",
            "string_agg(rec, '' ORDER BY k)",
            "subject",
        )
    };
    let after = if first {
        String::new()
    } else {
        format!("AND {key} > $3 ")
    };
    format!(
        "SELECT COUNT(*), {cursor}, {agg} FROM (SELECT {key} AS k, {rec} AS rec \
         FROM consents WHERE transfer = $1 {after}ORDER BY {key} LIMIT $2) AS page"
    )
}

/// Where the next page starts: after a rowid (SQLite) or a subject (PostgreSQL).
enum Cursor {
    Start,
    Rowid(i64),
    Subject(Vec<u8>),
}

/// The consent rows as read are not in the form the store writes.
fn malformed() -> StoreError {
    StoreError::Malformed {
        what: "consents",
        source: None,
    }
}

/// Reads every consent of `transfer`, a page to a row: the digest of all
/// its rows (as `ledger_state` keeps it) and, when `on` is given, the
/// subjects with a valid consent on that day. The same checks as
/// a row at a time: given on or before `on` (the date part), not withdrawn
/// by then; a row whose subject is not 16 bytes is [`malformed`].
pub(crate) async fn read(
    conn: &mut sqlx::AnyConnection,
    transfer: &str,
    on: Option<&str>,
) -> Result<(Vec<[u8; 16]>, crate::state::Part), StoreError> {
    let sqlite = conn.backend_name() == "SQLite";
    let part_name = crate::state::consents_part(transfer);
    let mut delta = crate::state::Delta::default();
    let mut subjects = Vec::new();
    let mut after = Cursor::Start;
    let mut buf = Vec::new();
    // A page's rows' hashes, added to the digest together (on several cores).
    let mut hashes = Vec::new();
    loop {
        let sql = page_sql(sqlite, matches!(after, Cursor::Start));
        let q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(transfer.to_string())
            .bind(PAGE_ROWS);
        let q = match &after {
            Cursor::Start => q,
            Cursor::Rowid(r) => q.bind(*r),
            Cursor::Subject(s) => q.bind(s.clone()),
        };
        let row = q.fetch_one(&mut *conn).await?;
        let n: i64 = row.try_get(0)?;
        let next_rowid: Option<i64> = if sqlite { row.try_get(1)? } else { None };
        let text: Option<String> = row.try_get(2)?;
        let text = text.unwrap_or_default();
        let b = text.as_bytes();
        let mut pos = 0;
        let mut read = 0i64;
        let mut last = Vec::new();
        while pos < b.len() {
            let field = |pos: &mut usize| -> Result<&str, StoreError> {
                let rest = b.get(*pos..).ok_or_else(malformed)?;
                let len = rest.iter().position(|&c| c == b' ').ok_or_else(malformed)?;
                *pos += len + 1;
                std::str::from_utf8(&rest[..len]).map_err(|_| malformed())
            };
            // The store writes 16-byte subjects only: any other (a text value
            // on SQLite, a short or long bytea on PostgreSQL) is an error, never
            // a row skipped.
            let subject = hex::decode(field(&mut pos)?).map_err(|_| malformed())?;
            if subject.len() != 16 {
                return Err(malformed());
            }
            let lg: usize = field(&mut pos)?.parse().map_err(|_| malformed())?;
            let lw: i64 = field(&mut pos)?.parse().map_err(|_| malformed())?;
            let granted = text
                .get(pos..pos.checked_add(lg).ok_or_else(malformed)?)
                .ok_or_else(malformed)?;
            pos += lg;
            let withdrawn = match lw {
                -1 => None,
                w => {
                    let w = usize::try_from(w).map_err(|_| malformed())?;
                    let end = pos.checked_add(w).ok_or_else(malformed)?;
                    let s = text.get(pos..end).ok_or_else(malformed)?;
                    pos = end;
                    Some(s)
                }
            };
            hashes.push(crate::state::consent_row_hash(
                &subject, transfer, granted, withdrawn, &mut buf,
            ));
            if let Some(on) = on {
                // Dates compare as text: both are ISO 8601; compare the date part.
                let valid = granted.get(..10).is_some_and(|g| g <= on)
                    && withdrawn.and_then(|w| w.get(..10)).is_none_or(|w| w > on);
                if valid && let Ok(h) = <[u8; 16]>::try_from(subject.as_slice()) {
                    subjects.push(h);
                }
            }
            last = subject;
            read += 1;
        }
        // The database's count against the rows parsed: a page cut short is an error.
        if read != n {
            return Err(malformed());
        }
        delta.insert_hashes(&part_name, &hashes, false);
        hashes.clear();
        if n < PAGE_ROWS {
            break;
        }
        after = match next_rowid {
            Some(r) => Cursor::Rowid(r),
            None if sqlite => return Err(malformed()),
            None => Cursor::Subject(last),
        };
    }
    let part = delta.into_parts().remove(&part_name).unwrap_or_default();
    Ok((subjects, part))
}

/// A subject's consent ended for `transfer` (every transfer when `None`) at
/// `at`, as a domain write for a group ([`crate::group::Op`]): the rows, the
/// consent indexes and the ledger's digests move; answers how many ended.
pub(crate) fn withdrawal(
    subject: [u8; 16],
    transfer: Option<String>,
    at: String,
) -> impl for<'a> FnOnce(
    &'a mut sqlx::AnyConnection,
    &'a crate::state::Parts,
) -> Writing<'a, (u64, Ready)>
+ Send
+ 'static {
    move |tx, parts| {
        Box::pin(async move {
            let transfer = transfer.as_deref();
            // The rows that end, before the update, to move the digests by exactly the change.
            let ending = sqlx::query("SELECT transfer, granted_at FROM consents WHERE subject = $1 AND withdrawn_at IS NULL")
                .bind(subject.to_vec())
                .fetch_all(&mut *tx)
                .await?;
            let mut delta = crate::state::Delta::default();
            for r in ending {
                let t: String = r.try_get(0)?;
                if transfer.is_some_and(|want| want != t) {
                    continue;
                }
                let (part, granted) = (crate::state::consents_part(&t), r.try_get::<String, _>(1)?);
                delta.remove(
                    &part,
                    &crate::state::consent_row(&subject, &t, &granted, None),
                    false,
                );
                delta.insert(
                    &part,
                    &crate::state::consent_row(&subject, &t, &granted, Some(&at)),
                    false,
                );
                // The index first built from the rows as they were, then the consent ended in it.
                crate::consent_index::ensure(tx, parts, &t, &mut delta).await?;
                let value = crate::consent_index::value(&granted, Some(&at));
                crate::consent_index::add(
                    tx,
                    &t,
                    &[Rec {
                        key: subject,
                        value,
                    }],
                    &mut delta,
                )
                .await?;
            }
            let n = match transfer {
                Some(t) => sqlx::query("UPDATE consents SET withdrawn_at = $1 WHERE subject = $2 AND transfer = $3 AND withdrawn_at IS NULL")
                    .bind(at.to_string())
                    .bind(subject.to_vec())
                    .bind(t.to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                None => sqlx::query("UPDATE consents SET withdrawn_at = $1 WHERE subject = $2 AND withdrawn_at IS NULL")
                    .bind(at.to_string())
                    .bind(subject.to_vec())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
            };
            // The body names the transfer and how many consents ended, never the subject.
            let body = serde_json::json!({"transfer": transfer, "withdrawn": n});
            delta.apply(tx).await?;
            Ok((n, crate::audit::prepare("consent_withdrawn", body)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::state::{Delta, consent_row, consent_row_hash, consents_part};

    /// The row hash written out by hand is the JSON row's, byte for byte,
    /// whatever the strings hold: the committed digests do not change.
    #[test]
    fn consent_row_hash_is_the_json_rows() {
        let mut buf = Vec::new();
        for (subject, transfer, granted, withdrawn) in [
            (&[7u8; 16][..], "crm-to-parent", "2026-01-01", None),
            (
                &[0u8; 16][..],
                "t",
                "2026-01-01T10:00:00+08:00",
                Some("2026-05-02"),
            ),
            (
                &[][..],
                "quote\"back\\slash",
                "tab\tnew\nline\u{1}",
                Some("中文 é"),
            ),
            (&[255u8; 3][..], "", "", Some("")),
        ] {
            let part = consents_part(transfer);
            let (mut a, mut b) = (Delta::default(), Delta::default());
            a.insert(
                &part,
                &consent_row(subject, transfer, granted, withdrawn),
                false,
            );
            b.insert_hash(
                &part,
                &consent_row_hash(subject, transfer, granted, withdrawn, &mut buf),
                false,
            );
            assert_eq!(a.into_parts(), b.into_parts(), "{transfer:?} {granted:?}");
        }
        // And a different row gives a different hash.
        assert_ne!(
            consent_row_hash(&[1; 16], "t", "2026-01-01", None, &mut buf),
            consent_row_hash(&[1; 16], "t", "2026-01-01", Some("2026-01-02"), &mut buf)
        );
    }
}
