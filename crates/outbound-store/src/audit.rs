//! The append-only audit log: entries, their RFC 6962 Merkle tree, signed heads.
//!
//! An entry's leaf is the canonical bytes `index \n at \n kind \n body`, so
//! editing any stored field changes its leaf hash; deleting, inserting or
//! reordering entries changes every later root, which the signed heads pin.

use sqlx::{Any, Row, Transaction};

use crate::StoreError;
use crate::keys::Keys;
use crate::merkle::{CompactTree, Hash, leaf_hash};
use crate::signed_head::{ConsistencyBundle, InclusionBundle, SignedTreeHead};
use crate::store::Store;

/// One audit entry as stored.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Entry {
    /// Position in the log, from 0.
    pub index: u64,
    /// When it was appended (RFC 3339, UTC).
    pub at: String,
    /// `batch`, `route_suspended`, `route_resumed`, `consent_import`, `consent_withdrawn`, `map_change` …
    pub kind: String,
    /// JSON body: ids, counts, digests; never personal data.
    pub body: String,
    /// The leaf hash stored with it.
    #[serde(with = "hex::serde")]
    pub stored_leaf_hash: Hash,
}

impl Entry {
    /// The canonical bytes hashed into the leaf.
    pub fn canonical(&self) -> Vec<u8> {
        canonical(self.index, &self.at, &self.kind, &self.body)
    }
}

fn canonical(index: u64, at: &str, kind: &str, body: &str) -> Vec<u8> {
    format!("{index}\n{at}\n{kind}\n{body}").into_bytes()
}

/// The current time as RFC 3339 (UTC, seconds) and milliseconds.
pub fn now() -> (String, u64) {
    let t = jiff::Timestamp::now();
    (
        t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        t.as_millisecond().max(0) as u64,
    )
}

fn to_hash(v: &[u8]) -> Result<Hash, StoreError> {
    v.try_into().map_err(|_| StoreError::Malformed {
        what: "hash (not 32 bytes)",
        source: None,
    })
}

/// The stored state of the audit tree is not what `append_with` writes.
fn malformed_tree(source: crate::Source) -> StoreError {
    StoreError::Malformed {
        what: "audit tree state",
        source: Some(source),
    }
}

/// Appends an entry and signs the new head, inside the caller's transaction.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    keys: &Keys,
    kind: &str,
    body: &str,
) -> Result<(u64, SignedTreeHead), StoreError> {
    let (index, head) = append_with(tx, keys, kind, body, true).await?;
    Ok((index, head.expect("signed when asked")))
}

/// Appends an entry; signs and stores a new tree head only when `sign` is set, so a
/// bulk append signs once at its end.
async fn append_with(
    tx: &mut Transaction<'static, Any>,
    keys: &Keys,
    kind: &str,
    body: &str,
    sign: bool,
) -> Result<(u64, Option<SignedTreeHead>), StoreError> {
    let (at, ms) = now();
    let tree = match sqlx::query("SELECT value FROM meta WHERE key = 'audit_tree'")
        .fetch_optional(&mut **tx)
        .await?
    {
        Some(row) => {
            let v: serde_json::Value = serde_json::from_str(&row.try_get::<String, _>(0)?)
                .map_err(|e| malformed_tree(e.into()))?;
            let size = v["size"].as_u64().unwrap_or(0);
            let peaks = v["peaks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    hex::decode(p.as_str().unwrap_or(""))
                        .map_err(|e| malformed_tree(e.into()))
                        .and_then(|b| to_hash(&b))
                })
                .collect::<Result<Vec<_>, _>>()?;
            CompactTree::from_parts(size, peaks).map_err(|e| malformed_tree(e.into()))?
        }
        None => CompactTree::new(),
    };
    let mut tree = tree;
    let index = tree.size();
    let leaf = leaf_hash(&canonical(index, &at, kind, body));
    tree.append(leaf).map_err(StoreError::AuditFull)?;
    sqlx::query(
        "INSERT INTO audit_entries (idx, at, kind, body, leaf_hash) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(index as i64)
    .bind(at)
    .bind(kind.to_string())
    .bind(body.to_string())
    .bind(leaf.to_vec())
    .execute(&mut **tx)
    .await?;
    let head = if sign {
        let head = SignedTreeHead::sign(keys.signing(), tree.size(), tree.root(), ms);
        sqlx::query("INSERT INTO tree_heads (size, head) VALUES ($1, $2)")
            .bind(tree.size() as i64)
            .bind(serde_json::to_string(&head).expect("a signed head serialises to JSON"))
            .execute(&mut **tx)
            .await?;
        Some(head)
    } else {
        None
    };
    let state = serde_json::json!({"size": tree.size(), "peaks": tree.peaks().iter().map(hex::encode).collect::<Vec<_>>()});
    sqlx::query("INSERT INTO meta (key, value) VALUES ('audit_tree', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(state.to_string())
        .execute(&mut **tx)
        .await?;
    Ok((index, head))
}

/// What `audit verify` found.
#[derive(Debug, Default, serde::Serialize)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// Signed heads checked.
    pub heads: u64,
    /// Every problem; empty when the log is intact.
    pub problems: Vec<String>,
}

impl Store {
    /// Appends one audit entry in its own transaction.
    pub fn audit_append(
        &self,
        keys: &Keys,
        kind: &str,
        body: &serde_json::Value,
    ) -> Result<(u64, SignedTreeHead), StoreError> {
        self.run("append to the audit log", async {
            let mut tx = self.pool.begin().await?;
            crate::store::lock(&mut tx).await?;
            let r = append(&mut tx, keys, kind, &body.to_string()).await?;
            tx.commit().await?;
            Ok(r)
        })
    }

    /// Appends several entries in one transaction (one write to disk) and signs the head once, at the end.
    pub fn audit_append_many(
        &self,
        keys: &Keys,
        entries: &[(&str, serde_json::Value)],
    ) -> Result<u64, StoreError> {
        self.run("append to the audit log", async {
            let mut tx = self.pool.begin().await?;
            crate::store::lock(&mut tx).await?;
            let mut last = 0;
            for (i, (kind, body)) in entries.iter().enumerate() {
                last = append_with(
                    &mut tx,
                    keys,
                    kind,
                    &body.to_string(),
                    i + 1 == entries.len(),
                )
                .await?
                .0;
            }
            tx.commit().await?;
            Ok(last)
        })
    }

    /// Every entry, in index order.
    pub fn audit_entries(&self) -> Result<Vec<Entry>, StoreError> {
        let rows = self.run_sql(
            "read the audit log",
            sqlx::query("SELECT idx, at, kind, body, leaf_hash FROM audit_entries ORDER BY idx")
                .fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| {
                Ok(Entry {
                    index: r.try_get::<i64, _>(0)? as u64,
                    at: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    body: r.try_get(3)?,
                    stored_leaf_hash: to_hash(&r.try_get::<Vec<u8>, _>(4)?)?,
                })
            })
            .collect()
    }

    /// Every signed head, by size.
    pub fn audit_heads(&self) -> Result<Vec<SignedTreeHead>, StoreError> {
        let rows = self.run_sql(
            "read the audit log",
            sqlx::query("SELECT head FROM tree_heads ORDER BY size").fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| {
                serde_json::from_str(&r.try_get::<String, _>(0)?).map_err(|e| {
                    StoreError::Malformed {
                        what: "tree head",
                        source: Some(e.into()),
                    }
                })
            })
            .collect()
    }

    /// Recomputes the tree from the entries and checks every signed head.
    pub fn audit_verify(&self, keys: &Keys) -> Result<VerifyReport, StoreError> {
        let entries = self.audit_entries()?;
        let heads = self.audit_heads()?;
        let mut report = VerifyReport {
            entries: entries.len() as u64,
            heads: heads.len() as u64,
            problems: Vec::new(),
        };
        let mut tree = CompactTree::new();
        let mut roots = std::collections::HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if e.index != i as u64 {
                report.problems.push(format!("entry at position {i} has index {}: entries were deleted, inserted or reordered", e.index));
            }
            let leaf = leaf_hash(&canonical(i as u64, &e.at, &e.kind, &e.body));
            if leaf != e.stored_leaf_hash {
                report.problems.push(format!(
                    "entry {i} does not match its stored leaf hash: it was edited"
                ));
            }
            let _ = tree.append(leaf);
            roots.insert(tree.size(), tree.root());
        }
        let key = keys.verifying();
        for h in &heads {
            if let Err(e) = h.verify(&key) {
                report
                    .problems
                    .push(format!("signed head of size {}: {e}", h.size));
            }
            match roots.get(&h.size) {
                Some(root) if *root == h.root => {}
                Some(_) => report.problems.push(format!("the entries do not reproduce the signed root of size {}: the log was rewritten", h.size)),
                None => report.problems.push(format!("signed head of size {} but only {} entries: entries were deleted", h.size, entries.len())),
            }
        }
        Ok(report)
    }

    fn leaves(&self) -> Result<(Vec<Entry>, Vec<Hash>), StoreError> {
        let entries = self.audit_entries()?;
        let leaves = entries
            .iter()
            .enumerate()
            .map(|(i, e)| leaf_hash(&canonical(i as u64, &e.at, &e.kind, &e.body)))
            .collect();
        Ok((entries, leaves))
    }

    /// An inclusion proof for entry `index` against the latest signed head, with the entry's bytes.
    pub fn audit_prove(&self, index: u64) -> Result<InclusionBundle, StoreError> {
        let (entries, leaves) = self.leaves()?;
        let head = self.audit_heads()?.pop().ok_or(StoreError::EmptyLog)?;
        let entry = entries.get(index as usize).ok_or(StoreError::NoEntry {
            index,
            size: entries.len() as u64,
        })?;
        InclusionBundle::build(&leaves, index, head)
            .map(|b| b.with_entry(entry.canonical()))
            .map_err(StoreError::Proof)
    }

    /// A consistency proof from an earlier signed head to the latest one.
    pub fn audit_consistency(&self, old: SignedTreeHead) -> Result<ConsistencyBundle, StoreError> {
        let (_, leaves) = self.leaves()?;
        let head = self.audit_heads()?.pop().ok_or(StoreError::EmptyLog)?;
        ConsistencyBundle::build(&leaves, old, head).map_err(StoreError::Proof)
    }
}
