//! The incident register (issue 14): what happened, when it was discovered,
//! its grade, the transfers it touches, how many individuals, the notices
//! sent (clock id → when) and the measures taken.
//!
//! Incidents are records a regulator may ask for, so they are committed by
//! the audit log like the accounts (part `["incidents"]`, a small table
//! rehashed before every write): a row inserted or edited behind the log is
//! found by `audit verify` and refused at the next write. The register holds
//! no personal data: the title is a short description (at most
//! [`TITLE_MAX`] characters) and the audit entries carry only ids, the grade,
//! the transfers, clock ids and times, never the title or the measures.
//!
//! The clocks themselves (which apply, when they fall due) are decided by
//! `outbound_rules::incident` from the discovery time, grade and transfers;
//! the store keeps only when each notice was sent.

use std::collections::BTreeMap;

use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::keys::Keys;
use crate::schema::Backend;
use crate::state::{Delta, INCIDENTS};
use crate::store::Store;
use crate::{StoreError, invalid};

/// The longest title accepted, in characters.
pub const TITLE_MAX: usize = 200;
/// The longest note on measures accepted, in characters.
pub const MEASURES_MAX: usize = 2000;

/// The migration that creates this workflow's tables.
pub(crate) fn migration(_backend: Backend) -> String {
    "CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        opened_at TEXT NOT NULL,
        discovered_at TEXT NOT NULL,
        title TEXT NOT NULL,
        severity TEXT NOT NULL,
        ciio BIGINT NOT NULL,
        transfers TEXT NOT NULL,
        regimes TEXT NOT NULL,
        individuals_affected BIGINT,
        state TEXT NOT NULL,
        closed_at TEXT,
        measures TEXT,
        notices TEXT NOT NULL
    )"
    .to_string()
}

/// An incident as recorded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Incident {
    /// Its id (`inc-0001` …), given by the store.
    pub id: String,
    /// When it was opened in the register (UTC, RFC 3339).
    pub opened_at: String,
    /// When it was discovered (UTC, RFC 3339): the clocks start here.
    pub discovered_at: String,
    /// A short description, without personal data.
    pub title: String,
    /// Its grade (`general`, `relatively_major`, `major`, `particularly_major`).
    pub severity: String,
    /// Whether critical information infrastructure is involved.
    pub ciio: bool,
    /// The transfers it touches.
    pub transfers: Vec<String>,
    /// The regimes those transfers involved when it was opened (`CN`, `EU` …):
    /// the clocks are those of these regimes.
    pub regimes: Vec<String>,
    /// How many individuals are affected, if known.
    pub individuals_affected: Option<i64>,
    /// `open` or `closed`.
    pub state: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// The measures taken (no personal data).
    pub measures: Option<String>,
    /// The notices sent: clock id → when (UTC, RFC 3339).
    pub notices: BTreeMap<String, String>,
}

/// What opens an incident.
#[derive(Clone, Debug)]
pub struct NewIncident<'a> {
    /// When it was discovered (UTC, RFC 3339; not in the future).
    pub discovered_at: &'a str,
    /// A short description, without personal data.
    pub title: &'a str,
    /// Its grade.
    pub severity: &'a str,
    /// Whether critical information infrastructure is involved.
    pub ciio: bool,
    /// The transfers it touches (at least one).
    pub transfers: &'a [String],
    /// The regimes they involve.
    pub regimes: &'a [String],
    /// How many individuals are affected, if known.
    pub individuals_affected: Option<i64>,
}

/// Checks a title: not empty, at most [`TITLE_MAX`] characters, one line.
/// The message never repeats the title.
pub fn check_title(title: &str) -> Result<(), String> {
    let n = title.chars().count();
    if title.trim().is_empty() {
        return Err("the incident title is empty".into());
    }
    if n > TITLE_MAX {
        return Err(format!(
            "the incident title has {n} characters; at most {TITLE_MAX} (a short description, no personal data)"
        ));
    }
    if title.chars().any(char::is_control) {
        return Err("the incident title must be one line of text".into());
    }
    Ok(())
}

/// A time the register accepts: RFC 3339, normalised to UTC seconds.
fn utc(what: &str, s: &str) -> Result<String, StoreError> {
    let t: jiff::Timestamp = s
        .parse()
        .map_err(|_| invalid(format!("{what} is not an RFC 3339 time")))?;
    Ok(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

fn row(i: &Incident) -> serde_json::Value {
    serde_json::json!([
        i.id,
        i.opened_at,
        i.discovered_at,
        i.title,
        i.severity,
        i.ciio,
        i.transfers,
        i.regimes,
        i.individuals_affected,
        i.state,
        i.closed_at,
        i.measures,
        i.notices
    ])
}

const COLUMNS: &str = "id, opened_at, discovered_at, title, severity, ciio, transfers, \
     regimes, individuals_affected, state, closed_at, measures, notices";

fn of(r: &sqlx::any::AnyRow) -> Result<Incident, StoreError> {
    let malformed = |what: &'static str| {
        move |e: serde_json::Error| StoreError::Malformed {
            what,
            source: Some(Box::new(e)),
        }
    };
    let transfers: String = r.try_get(6)?;
    let regimes: String = r.try_get(7)?;
    let notices: String = r.try_get(12)?;
    Ok(Incident {
        id: r.try_get(0)?,
        opened_at: r.try_get(1)?,
        discovered_at: r.try_get(2)?,
        title: r.try_get(3)?,
        severity: r.try_get(4)?,
        ciio: r.try_get::<i64, _>(5)? != 0,
        transfers: serde_json::from_str(&transfers).map_err(malformed("incident transfers"))?,
        regimes: serde_json::from_str(&regimes).map_err(malformed("incident regimes"))?,
        individuals_affected: r.try_get(8)?,
        state: r.try_get(9)?,
        closed_at: r.try_get(10)?,
        measures: r.try_get(11)?,
        notices: serde_json::from_str(&notices).map_err(malformed("incident notices"))?,
    })
}

/// This workflow's rows, for the small-table parts.
pub(crate) async fn parts(conn: &mut AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM incidents");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(INCIDENTS, &row(&of(&r)?), false);
    }
    Ok(())
}

async fn incident_in(tx: &mut Transaction<'static, Any>, id: &str) -> Result<Incident, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM incidents WHERE id = $1");
    match sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?
    {
        Some(r) => of(&r),
        None => Err(StoreError::NotFound {
            what: format!("incident `{id}`"),
        }),
    }
}

/// Replaces `old` by `new` (same id) and logs `kind` with `body`.
async fn update(
    tx: &mut Transaction<'static, Any>,
    keys: &Keys,
    old: &Incident,
    new: &Incident,
    kind: &str,
    body: serde_json::Value,
) -> Result<u64, StoreError> {
    sqlx::query(
        "UPDATE incidents SET state = $1, closed_at = $2, measures = $3, notices = $4 WHERE id = $5",
    )
    .bind(new.state.clone())
    .bind(new.closed_at.clone())
    .bind(new.measures.clone())
    .bind(serde_json::json!(new.notices).to_string())
    .bind(new.id.clone())
    .execute(&mut **tx)
    .await?;
    let mut delta = Delta::default();
    delta.remove(INCIDENTS, &row(old), false);
    delta.insert(INCIDENTS, &row(new), false);
    delta.apply(tx).await?;
    let (idx, _) = crate::audit::append(tx, keys, kind, body).await?;
    Ok(idx)
}

impl Store {
    /// Opens an incident; `by` names who did it. The audit entry
    /// (`incident_opened`) carries the id, grade, CIIO flag and transfers,
    /// never the title. Refuses a bad title, a discovery time that is not a
    /// time or lies in the future, and an empty list of transfers; nothing
    /// is stored then. Whether the transfers exist in the data map is for the
    /// caller to check (the store does not hold the map).
    pub fn open_incident(
        &self,
        keys: &Keys,
        by: &str,
        new: &NewIncident<'_>,
    ) -> Result<Incident, StoreError> {
        check_title(new.title).map_err(invalid)?;
        let discovered_at = utc("the discovery time", new.discovered_at)?;
        let (at, _) = crate::audit::now();
        if discovered_at > at {
            return Err(invalid(format!(
                "the discovery time {discovered_at} is in the future (now {at})"
            )));
        }
        if new.transfers.is_empty() {
            return Err(invalid("an incident names at least one transfer"));
        }
        if new.individuals_affected.is_some_and(|n| n < 0) {
            return Err(invalid("the number of individuals affected is negative"));
        }
        let mut transfers = new.transfers.to_vec();
        transfers.sort();
        transfers.dedup();
        let mut regimes = new.regimes.to_vec();
        regimes.sort();
        regimes.dedup();
        self.run("open an incident", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM incidents")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            let i = Incident {
                id: format!("inc-{:04}", n + 1),
                opened_at: at,
                discovered_at,
                title: new.title.to_string(),
                severity: new.severity.to_string(),
                ciio: new.ciio,
                transfers,
                regimes,
                individuals_affected: new.individuals_affected,
                state: "open".into(),
                closed_at: None,
                measures: None,
                notices: BTreeMap::new(),
            };
            let sql =
                format!("INSERT INTO incidents ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(i.id.clone())
                .bind(i.opened_at.clone())
                .bind(i.discovered_at.clone())
                .bind(i.title.clone())
                .bind(i.severity.clone())
                .bind(i64::from(i.ciio))
                .bind(serde_json::json!(i.transfers).to_string())
                .bind(serde_json::json!(i.regimes).to_string())
                .bind(i.individuals_affected)
                .bind(i.state.clone())
                .bind(i.closed_at.clone())
                .bind(i.measures.clone())
                .bind(serde_json::json!(i.notices).to_string())
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.insert(INCIDENTS, &row(&i), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "incident": i.id, "severity": i.severity, "ciio": i.ciio,
                "transfers": i.transfers, "regimes": i.regimes, "discovered_at": i.discovered_at, "by": by,
            });
            crate::audit::append(&mut tx, keys, "incident_opened", body).await?;
            tx.commit().await?;
            Ok(i)
        })
    }

    /// Records that the notice of clock `clock` was sent at `met_at` (UTC,
    /// RFC 3339; not in the future, not before the discovery). Refuses a
    /// clock already recorded, and a closed incident (`Conflict`). Whether
    /// `clock` is one of the incident's clocks is for the caller to check
    /// (the clocks are rule data).
    pub fn record_incident_notice(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        clock: &str,
        met_at: &str,
    ) -> Result<Incident, StoreError> {
        let met_at = utc("the time the notice was sent", met_at)?;
        let (now, _) = crate::audit::now();
        if met_at > now {
            return Err(invalid(format!(
                "the time the notice was sent, {met_at}, is in the future (now {now})"
            )));
        }
        if clock.is_empty()
            || clock.len() > 64
            || !clock
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid("a clock id is letters, digits, `-` and `_`"));
        }
        self.run("record an incident notice", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let old = incident_in(&mut tx, id).await?;
            if old.state == "closed" {
                return Err(StoreError::Conflict {
                    problem: format!("incident `{id}` is closed: no notice is recorded on it"),
                });
            }
            if let Some(at) = old.notices.get(clock) {
                return Err(invalid(format!(
                    "the notice of clock `{clock}` for incident `{id}` was already recorded at {at}"
                )));
            }
            if met_at < old.discovered_at {
                return Err(invalid(format!(
                    "the notice time {met_at} is before the incident was discovered ({})",
                    old.discovered_at
                )));
            }
            let mut new = old.clone();
            new.notices.insert(clock.to_string(), met_at.clone());
            let body =
                serde_json::json!({"incident": id, "clock": clock, "met_at": met_at, "by": by});
            update(&mut tx, keys, &old, &new, "incident_notice", body).await?;
            tx.commit().await?;
            Ok(new)
        })
    }

    /// Closes an incident, with a note of the measures taken (no personal
    /// data; not logged). Refuses one already closed (`Conflict`).
    pub fn close_incident(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        measures: Option<&str>,
    ) -> Result<Incident, StoreError> {
        if measures.is_some_and(|m| m.chars().count() > MEASURES_MAX) {
            return Err(invalid(format!(
                "the note on measures is longer than {MEASURES_MAX} characters"
            )));
        }
        let (at, _) = crate::audit::now();
        self.run("close an incident", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let old = incident_in(&mut tx, id).await?;
            if old.state == "closed" {
                return Err(StoreError::Conflict {
                    problem: format!("incident `{id}` is already closed"),
                });
            }
            let new = Incident {
                state: "closed".into(),
                closed_at: Some(at),
                measures: measures.map(str::to_string).or(old.measures.clone()),
                ..old.clone()
            };
            let body = serde_json::json!({"incident": id, "by": by});
            update(&mut tx, keys, &old, &new, "incident_closed", body).await?;
            tx.commit().await?;
            Ok(new)
        })
    }

    /// The incident `id`.
    pub fn incident(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM incidents WHERE id = $1");
        let r = self.run_sql(
            "read an incident",
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.to_string())
                .fetch_optional(&self.pool),
        )?;
        r.as_ref().map(of).transpose()
    }

    /// Every incident, newest first.
    pub fn incidents(&self) -> Result<Vec<Incident>, StoreError> {
        let sql = format!(
            // Newest first by number: `inc-10000` is newer than `inc-9999`.
            "SELECT {COLUMNS} FROM incidents ORDER BY LENGTH(id) DESC, id DESC"
        );
        let rows = self.run_sql(
            "list incidents",
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool),
        )?;
        rows.iter().map(of).collect()
    }
}
