//! Route suspensions: a suspended transfer is refused by the ledger until resumed.
//! Every change is logged in the audit log.

use sqlx::{Any, Row, Transaction};

use crate::StoreError;
use crate::keys::Keys;
use crate::store::Store;

/// A route's state.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RouteState {
    /// Transfer id.
    pub transfer: String,
    /// Suspended or not.
    pub suspended: bool,
    /// Why it was suspended or resumed.
    pub reason: String,
    /// When.
    pub at: String,
}

/// Why `transfer` is suspended, inside the caller's transaction; `None` when it is not.
pub(crate) async fn suspension(
    tx: &mut Transaction<'static, Any>,
    transfer: &str,
) -> Result<Option<String>, StoreError> {
    let route = sqlx::query("SELECT suspended, reason FROM routes WHERE transfer = $1")
        .bind(transfer.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    match route {
        Some(row) if row.try_get::<i64, _>(0)? == 1 => Ok(Some(row.try_get(1)?)),
        _ => Ok(None),
    }
}

impl Store {
    /// Suspends or resumes a route and logs it with `by`, who did it (an
    /// account name, or `cli:` and the operating-system user for the
    /// command line).
    pub fn set_route(
        &self,
        keys: &Keys,
        by: &str,
        transfer: &str,
        suspended: bool,
        reason: &str,
    ) -> Result<u64, StoreError> {
        let (at, _) = crate::audit::now();
        self.run("set a route", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let mut delta = crate::state::Delta::default();
            let old = sqlx::query("SELECT suspended, reason, at FROM routes WHERE transfer = $1")
                .bind(transfer.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(r) = old {
                let row = crate::state::route_row(transfer, r.try_get(0)?, &r.try_get::<String, _>(1)?, &r.try_get::<String, _>(2)?);
                delta.remove(crate::state::ROUTES, &row, false);
            }
            let row = crate::state::route_row(transfer, i64::from(suspended), reason, &at);
            delta.insert(crate::state::ROUTES, &row, false);
            sqlx::query(
                "INSERT INTO routes (transfer, suspended, reason, at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (transfer) DO UPDATE SET suspended = excluded.suspended, reason = excluded.reason, at = excluded.at",
            )
            .bind(transfer.to_string())
            .bind(i64::from(suspended))
            .bind(reason.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let kind = if suspended { "route_suspended" } else { "route_resumed" };
            let body = serde_json::json!({"transfer": transfer, "reason": reason, "by": by});
            delta.apply(&mut tx).await?;
            let (idx, _) = crate::audit::append(&mut tx, keys, kind, body).await?;
            tx.commit().await?;
            Ok(idx)
        })
    }

    /// Every route with a recorded state.
    pub fn routes(&self) -> Result<Vec<RouteState>, StoreError> {
        let rows = self.run_sql(
            "list routes",
            sqlx::query("SELECT transfer, suspended, reason, at FROM routes ORDER BY transfer")
                .fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| {
                Ok(RouteState {
                    transfer: r.try_get(0)?,
                    suspended: r.try_get::<i64, _>(1)? == 1,
                    reason: r.try_get(2)?,
                    at: r.try_get(3)?,
                })
            })
            .collect()
    }
}
