//! Separate consent per subject and transfer, imported and withdrawn with an
//! audit entry; subjects appear only as keyed hashes.

use std::collections::{BTreeMap, HashSet};

use sqlx::Row;

use crate::StoreError;
use crate::keys::Keys;
use crate::store::{Store, lock};

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
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
            let mut delta = crate::state::Delta::default();
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
                delta.insert(&part, &crate::state::consent_row(&r.subject, &r.transfer, &r.granted_at, r.withdrawn_at.as_deref()), false);
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
        self.run("withdraw consent", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
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
                delta.remove(&part, &crate::state::consent_row(&subject, &t, &granted, None), false);
                delta.insert(&part, &crate::state::consent_row(&subject, &t, &granted, Some(at)), false);
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
            delta.apply(&mut tx).await?;
            crate::audit::append(&mut tx, keys, "consent_withdrawn", body).await?;
            tx.commit().await?;
            Ok(n)
        })
    }

    /// The subjects with a valid consent for `transfer` on `on` (YYYY-MM-DD): given on or before, not withdrawn by then.
    pub fn consented(&self, transfer: &str, on: &str) -> Result<HashSet<[u8; 16]>, StoreError> {
        let rows = self.run_sql(
            "read consent",
            sqlx::query(
                "SELECT subject, granted_at, withdrawn_at FROM consents WHERE transfer = $1",
            )
            .bind(transfer.to_string())
            .fetch_all(&self.pool),
        )?;
        let mut out = HashSet::new();
        for r in rows {
            let granted: String = r.try_get(1)?;
            let withdrawn: Option<String> = r.try_get(2)?;
            // Dates compare as text: both are ISO 8601; compare the date part.
            let valid = granted.get(..10).is_some_and(|g| g <= on)
                && withdrawn
                    .as_deref()
                    .and_then(|w| w.get(..10))
                    .is_none_or(|w| w > on);
            if valid {
                let v: Vec<u8> = r.try_get(0)?;
                if let Ok(h) = <[u8; 16]>::try_from(v.as_slice()) {
                    out.insert(h);
                }
            }
        }
        Ok(out)
    }
}
