//! Accounts, API tokens, browser sessions and the public complaints channel.
//!
//! Accounts and tokens decide who may do what, so they are part of the state
//! the audit log commits to (parts `["accounts"]` and `["tokens"]`): an account
//! or token slipped into the database by whoever holds it is found by
//! `audit verify`, and the next write refuses to build on it. The store only
//! ever sees credentials as hashes: password hashes (argon2id, made by the
//! server crate) and SHA-256 digests of random tokens and session ids.
//!
//! Sessions are not committed: they expire within hours and are only valid for
//! an account that is. Complaints are committed (`["complaints"]`) because they
//! are records a regulator may ask for; their audit entries carry only the
//! tracking id and the transfer, never the text or the contact.

use std::fmt;
use std::str::FromStr;

use sqlx::{Any, Row, Transaction};

use crate::StoreError;
use crate::keys::Keys;
use crate::state::{ACCOUNTS, COMPLAINTS, Delta, TOKENS};
use crate::store::Store;

/// What an account may see and do (DESIGN.md, "The server (contract)").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including accounts.
    Admin,
    /// Answers for the transfers: suspends and resumes routes.
    Compliance,
    /// Runs the gate and the scanner.
    Engineer,
    /// Reads everything, changes nothing.
    Auditor,
    /// An overseas recipient: its own transfers, obligations and requests only.
    Recipient,
    /// Reads determinations, counts and proofs; never personal data.
    Regulator,
    /// An industry association: member snapshots and ratings.
    Association,
}

impl Role {
    /// Every role, in the contract's order.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Compliance,
        Role::Engineer,
        Role::Auditor,
        Role::Recipient,
        Role::Regulator,
        Role::Association,
    ];

    /// The role's name as the contract spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Compliance => "compliance",
            Role::Engineer => "engineer",
            Role::Auditor => "auditor",
            Role::Recipient => "recipient",
            Role::Regulator => "regulator",
            Role::Association => "association",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown role `{0}` (one of: admin, compliance, engineer, auditor, recipient, regulator, association)"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// An account.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Account {
    /// Unique name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// For a recipient account: the recipient id of the data map it speaks for.
    pub recipient: Option<String>,
    /// The argon2id hash (PHC string) for browser sign-in, if it has a password.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// When it was created (UTC, RFC 3339).
    pub created_at: String,
}

/// A complaint received through the public channel.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Complaint {
    /// The tracking id given to the complainant.
    pub tracking: String,
    /// When it was received (UTC, RFC 3339).
    pub at: String,
    /// What the complainant wrote (personal data: never logged).
    pub text: String,
    /// How to reach the complainant, if given (personal data).
    pub contact: Option<String>,
    /// The transfer it is about, if named.
    pub transfer: Option<String>,
}

fn account_row(a: &Account) -> serde_json::Value {
    serde_json::json!([
        a.name,
        a.role.as_str(),
        a.recipient,
        a.password_hash,
        a.created_at
    ])
}

fn token_row(hash: &str, account: &str, created_at: &str) -> serde_json::Value {
    serde_json::json!([hash, account, created_at])
}

fn complaint_row(c: &Complaint) -> serde_json::Value {
    serde_json::json!([c.tracking, c.at, c.text, c.contact, c.transfer])
}

const ACCOUNT_COLUMNS: &str = "name, role, recipient, password_hash, created_at";

fn account_of(r: &sqlx::any::AnyRow) -> Result<Account, StoreError> {
    let role: String = r.try_get(1)?;
    Ok(Account {
        name: r.try_get(0)?,
        role: role
            .parse()
            .map_err(|e: UnknownRole| StoreError::Malformed {
                what: "account role",
                source: Some(Box::new(e)),
            })?,
        recipient: r.try_get(2)?,
        password_hash: r.try_get(3)?,
        created_at: r.try_get(4)?,
    })
}

async fn account_in(
    tx: &mut Transaction<'static, Any>,
    name: &str,
) -> Result<Option<Account>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name = $1");
    match sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name.to_string())
        .fetch_optional(&mut **tx)
        .await?
    {
        Some(r) => Ok(Some(account_of(&r)?)),
        None => Ok(None),
    }
}

/// Account and token rows: small-table parts (see `state::SMALL`).
pub(crate) async fn parts(conn: &mut sqlx::AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(ACCOUNTS, &account_row(&account_of(&r)?), false);
    }
    for r in sqlx::query("SELECT hash, account, created_at FROM tokens")
        .fetch_all(&mut *conn)
        .await?
    {
        let (h, a, at): (String, String, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        d.insert(TOKENS, &token_row(&h, &a, &at), false);
    }
    Ok(())
}

/// Complaint rows for `audit verify`'s recomputation. Not a small table: the
/// public channel lets anyone add rows, so they are not rehashed before every
/// write (which would let a flood of complaints slow every request); a full
/// `audit verify` finds any edit.
pub(crate) async fn complaint_parts(
    conn: &mut sqlx::AnyConnection,
    d: &mut Delta,
) -> Result<(), StoreError> {
    for r in sqlx::query("SELECT tracking, at, text, contact, transfer FROM complaints")
        .fetch_all(&mut *conn)
        .await?
    {
        let c = Complaint {
            tracking: r.try_get(0)?,
            at: r.try_get(1)?,
            text: r.try_get(2)?,
            contact: r.try_get(3)?,
            transfer: r.try_get(4)?,
        };
        d.insert(COMPLAINTS, &complaint_row(&c), false);
    }
    Ok(())
}

/// A credential's account, trusted only if the store verifies.
async fn verified(
    tx: &mut Transaction<'static, Any>,
    keys: &Keys,
    row: Option<sqlx::any::AnyRow>,
) -> Result<Option<sqlx::any::AnyRow>, StoreError> {
    if row.is_some() {
        // `check` rehashes the small tables, accounts and tokens among them.
        crate::state::check(tx, keys).await?;
    }
    Ok(row)
}

impl Store {
    /// Creates an account; `by` names who did it (an account, or `cli:` and
    /// the operating-system user for the command line) and is logged with
    /// it. Refuses a name already taken.
    pub fn add_account(
        &self,
        keys: &Keys,
        by: &str,
        name: &str,
        role: Role,
        recipient: Option<&str>,
        password_hash: Option<&str>,
    ) -> Result<u64, StoreError> {
        let (at, _) = crate::audit::now();
        self.run("add an account", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            if account_in(&mut tx, name).await?.is_some() {
                return Err(StoreError::Conflict {
                    problem: format!("an account named `{name}` already exists"),
                });
            }
            let a = Account {
                name: name.to_string(),
                role,
                recipient: recipient.map(str::to_string),
                password_hash: password_hash.map(str::to_string),
                created_at: at,
            };
            let sql =
                format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(a.name.clone())
                .bind(role.as_str())
                .bind(a.recipient.clone())
                .bind(a.password_hash.clone())
                .bind(a.created_at.clone())
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.insert(ACCOUNTS, &account_row(&a), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "account": name, "role": role.as_str(), "recipient": recipient,
                "password": password_hash.is_some(), "by": by,
            });
            let (idx, _) = crate::audit::append(&mut tx, keys, "account_added", body).await?;
            tx.commit().await?;
            Ok(idx)
        })
    }

    /// Sets or replaces an account's password hash; logged (without the hash).
    pub fn set_password(
        &self,
        keys: &Keys,
        by: &str,
        name: &str,
        password_hash: &str,
    ) -> Result<u64, StoreError> {
        self.run("set a password", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let Some(old) = account_in(&mut tx, name).await? else {
                return Err(StoreError::NotFound {
                    what: format!("account `{name}`"),
                });
            };
            let new = Account {
                password_hash: Some(password_hash.to_string()),
                ..old.clone()
            };
            sqlx::query("UPDATE accounts SET password_hash = $1 WHERE name = $2")
                .bind(password_hash.to_string())
                .bind(name.to_string())
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.remove(ACCOUNTS, &account_row(&old), false);
            delta.insert(ACCOUNTS, &account_row(&new), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({"account": name, "by": by});
            let (idx, _) = crate::audit::append(&mut tx, keys, "password_set", body).await?;
            tx.commit().await?;
            Ok(idx)
        })
    }

    /// The account named `name`.
    pub fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name = $1");
        let row = self.run_sql(
            "read an account",
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(name.to_string())
                .fetch_optional(&self.pool),
        )?;
        row.as_ref().map(account_of).transpose()
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY name");
        let rows = self.run_sql(
            "list accounts",
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool),
        )?;
        rows.iter().map(account_of).collect()
    }

    /// Records an API token for `account` by its SHA-256 (hex); the token
    /// itself never reaches the store. Logged with the first 8 hex digits of
    /// the hash, enough to tell tokens apart and useless to forge one.
    pub fn add_token(
        &self,
        keys: &Keys,
        by: &str,
        account: &str,
        token_sha256: &str,
    ) -> Result<u64, StoreError> {
        let (at, _) = crate::audit::now();
        self.run("add a token", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            if account_in(&mut tx, account).await?.is_none() {
                return Err(StoreError::NotFound {
                    what: format!("account `{account}`"),
                });
            }
            sqlx::query("INSERT INTO tokens (hash, account, created_at) VALUES ($1, $2, $3)")
                .bind(token_sha256.to_string())
                .bind(account.to_string())
                .bind(at.clone())
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.insert(TOKENS, &token_row(token_sha256, account, &at), false);
            delta.apply(&mut tx).await?;
            let id: String = token_sha256.chars().take(8).collect();
            let body = serde_json::json!({"account": account, "token": id, "by": by});
            let (idx, _) = crate::audit::append(&mut tx, keys, "token_created", body).await?;
            tx.commit().await?;
            Ok(idx)
        })
    }

    /// The account a token (given by its SHA-256, hex) belongs to, if the
    /// store verifies (a forged token or role is refused with
    /// [`StoreError::Tampered`], never honoured).
    pub fn account_by_token(
        &self,
        keys: &Keys,
        token_sha256: &str,
    ) -> Result<Option<Account>, StoreError> {
        let sql = "SELECT a.name, a.role, a.recipient, a.password_hash, a.created_at \
             FROM tokens t JOIN accounts a ON a.name = t.account WHERE t.hash = $1";
        self.run("look up a token", async {
            let mut tx = self.pool.begin().await?;
            let row = sqlx::query(sql)
                .bind(token_sha256.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            let row = verified(&mut tx, keys, row).await?;
            tx.rollback().await?;
            row.as_ref().map(account_of).transpose()
        })
    }

    /// Opens a browser session: its id's SHA-256 (hex), the account, the
    /// session's CSRF token and when it expires (UTC, RFC 3339).
    pub fn add_session(
        &self,
        id_sha256: &str,
        account: &str,
        csrf: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        self.run_sql(
            "open a session",
            sqlx::query(
                "INSERT INTO sessions (hash, account, csrf, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id_sha256.to_string())
            .bind(account.to_string())
            .bind(csrf.to_string())
            .bind(expires_at.to_string())
            .execute(&self.pool),
        )?;
        Ok(())
    }

    /// The account, CSRF token and expiry of a session, if it exists, its
    /// account does, and the store verifies.
    pub fn session(
        &self,
        keys: &Keys,
        id_sha256: &str,
    ) -> Result<Option<(Account, String, String)>, StoreError> {
        let sql = "SELECT a.name, a.role, a.recipient, a.password_hash, a.created_at, s.csrf, s.expires_at \
             FROM sessions s JOIN accounts a ON a.name = s.account WHERE s.hash = $1";
        self.run("read a session", async {
            let mut tx = self.pool.begin().await?;
            let row = sqlx::query(sql)
                .bind(id_sha256.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            let row = verified(&mut tx, keys, row).await?;
            tx.rollback().await?;
            match row {
                Some(r) => Ok(Some((account_of(&r)?, r.try_get(5)?, r.try_get(6)?))),
                None => Ok(None),
            }
        })
    }

    /// Ends a session (sign-out), and every session that has expired by `now`.
    pub fn end_session(&self, id_sha256: &str, now: &str) -> Result<(), StoreError> {
        self.run("end a session", async {
            let mut tx = self.pool.begin().await?;
            sqlx::query("DELETE FROM sessions WHERE hash = $1 OR expires_at < $2")
                .bind(id_sha256.to_string())
                .bind(now.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records a complaint from the public channel under a tracking id chosen
    /// by the caller (random); the audit entry names only the tracking id and
    /// the transfer.
    pub fn add_complaint(
        &self,
        keys: &Keys,
        tracking: &str,
        text: &str,
        contact: Option<&str>,
        transfer: Option<&str>,
    ) -> Result<Complaint, StoreError> {
        let (at, _) = crate::audit::now();
        let c = Complaint {
            tracking: tracking.to_string(),
            at,
            text: text.to_string(),
            contact: contact.map(str::to_string),
            transfer: transfer.map(str::to_string),
        };
        // Group-committed: the public channel's complaints, many at once,
        // share a signed head and a sync.
        let written = self.write_grouped(keys, "record a complaint", move |tx, _| {
            Box::pin(async move {
            sqlx::query(
                "INSERT INTO complaints (tracking, at, text, contact, transfer) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(c.tracking.clone())
            .bind(c.at.clone())
            .bind(c.text.clone())
            .bind(c.contact.clone())
            .bind(c.transfer.clone())
            .execute(&mut *tx)
            .await?;
            let mut delta = Delta::default();
            delta.insert(COMPLAINTS, &complaint_row(&c), false);
            delta.apply(tx).await?;
            let body = serde_json::json!({"tracking": c.tracking, "transfer": c.transfer});
            Ok((c, crate::audit::prepare("complaint_received", body)?))
            })
        })?;
        Ok(written.0)
    }

    /// Every complaint, newest first.
    pub fn complaints(&self) -> Result<Vec<Complaint>, StoreError> {
        let rows = self.run_sql(
            "list complaints",
            sqlx::query(
                "SELECT tracking, at, text, contact, transfer FROM complaints ORDER BY at DESC, tracking",
            )
            .fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| {
                Ok(Complaint {
                    tracking: r.try_get(0)?,
                    at: r.try_get(1)?,
                    text: r.try_get(2)?,
                    contact: r.try_get(3)?,
                    transfer: r.try_get(4)?,
                })
            })
            .collect()
    }
}
