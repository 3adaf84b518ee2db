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
    /// One of [`crate::entry_kinds::KINDS`]: `batch`, `route_suspended`, `consent_import` …
    pub kind: String,
    /// JSON body: ids, counts, digests; never personal data. Its `v` is the
    /// kind's version (absent: version 0, written before versions existed);
    /// its schema is in docs/AUDIT-ENTRIES.md.
    pub body: String,
    /// The leaf hash stored with it.
    #[serde(with = "hex::serde")]
    pub stored_leaf_hash: Hash,
}

impl Entry {
    /// The version of its kind's body: its `v`, or 0 when it has none (an
    /// entry written before versions existed) or its body is not JSON.
    pub fn version(&self) -> u64 {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|b| b.get("v").and_then(serde_json::Value::as_u64))
            .unwrap_or(0)
    }

    /// The canonical bytes hashed into the leaf.
    pub fn canonical(&self) -> Vec<u8> {
        canonical(self.index, &self.at, &self.kind, &self.body)
    }
}

pub(crate) fn canonical(index: u64, at: &str, kind: &str, body: &str) -> Vec<u8> {
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

/// Appends an entry and signs the new head, inside the caller's transaction,
/// which has run [`crate::state::check`] and written its rows.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    keys: &Keys,
    kind: &str,
    body: serde_json::Value,
) -> Result<(u64, SignedTreeHead), StoreError> {
    let (index, head) = append_with(tx, keys, kind, body, true).await?;
    Ok((index, head.expect("signed when asked")))
}

/// Appends an entry that commits the ledger's state (`"ledger"`: the root of
/// `ledger_state` after the caller's writes); signs and stores a new tree head
/// only when `sign` is set, so a bulk append signs once at its end.
async fn append_with(
    tx: &mut Transaction<'static, Any>,
    keys: &Keys,
    kind: &str,
    body: serde_json::Value,
    sign: bool,
) -> Result<(u64, Option<SignedTreeHead>), StoreError> {
    // Only a registered kind, with an object body that leaves `v` and
    // `ledger` to the store: refused before anything is written.
    let version = crate::entry_kinds::version_for(kind).ok_or_else(|| {
        crate::invalid(format!(
            "unknown audit entry kind `{}`: every kind needs a line and a schema in entry_kinds.rs",
            kind.chars().take(40).collect::<String>()
        ))
    })?;
    let mut body = match body {
        serde_json::Value::Object(m) => m,
        _ => {
            return Err(crate::invalid(format!(
                "the body of an audit entry of kind `{kind}` must be a JSON object"
            )));
        }
    };
    if body.contains_key("v") || body.contains_key("ledger") {
        return Err(crate::invalid(format!(
            "the body of an audit entry of kind `{kind}` sets `v` or `ledger`, which the store adds"
        )));
    }
    let (at, ms) = now();
    let mut tree = crate::state::load_tree(tx)
        .await?
        .map_or_else(CompactTree::new, |t| t.tree);
    let ledger = hex::encode(crate::state::root(&crate::state::stored(tx).await?));
    body.insert("ledger".into(), ledger.into());
    if version > 0 {
        body.insert("v".into(), version.into());
    }
    let body = serde_json::Value::Object(body).to_string();
    let index = tree.size();
    let leaf = leaf_hash(&canonical(index, &at, kind, &body));
    let path = crate::state::append_leaf(&mut tree, leaf)?;
    sqlx::query(
        "INSERT INTO audit_entries (idx, at, kind, body, leaf_hash) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(index as i64)
    .bind(at)
    .bind(kind.to_string())
    .bind(body)
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
    crate::state::save_tree(tx, &tree, &path).await?;
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
            crate::state::check(&mut tx, keys).await?;
            let r = append(&mut tx, keys, kind, body.clone()).await?;
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
            crate::state::check(&mut tx, keys).await?;
            let mut last = 0;
            for (i, (kind, body)) in entries.iter().enumerate() {
                last = append_with(&mut tx, keys, kind, body.clone(), i + 1 == entries.len())
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

    /// The number of entries in the audit log (one indexed read).
    pub fn audit_size(&self) -> Result<u64, StoreError> {
        let row = self.run_sql(
            "read the audit log's size",
            sqlx::query("SELECT MAX(idx) FROM audit_entries").fetch_one(&self.pool),
        )?;
        Ok(row
            .try_get::<Option<i64>, _>(0)?
            .map_or(0, |m| m as u64 + 1))
    }

    /// The newest signed head, if the log has one.
    pub fn audit_latest_head(&self) -> Result<Option<SignedTreeHead>, StoreError> {
        let row = self.run_sql(
            "read the audit log",
            sqlx::query("SELECT head FROM tree_heads ORDER BY size DESC LIMIT 1")
                .fetch_optional(&self.pool),
        )?;
        row.map(|r| {
            serde_json::from_str(&r.try_get::<String, _>(0)?).map_err(|e| StoreError::Malformed {
                what: "tree head",
                source: Some(e.into()),
            })
        })
        .transpose()
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
        self.audit_verify_progress(keys, &|_, _| {})
    }

    /// As [`Store::audit_verify`], calling `progress(checked, total)` as the
    /// entries are checked, so that a long verification can show how far it is.
    pub fn audit_verify_progress(
        &self,
        keys: &Keys,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<VerifyReport, StoreError> {
        self.verify_with(keys, None, progress)
    }

    /// Recomputes the tree from the entries and checks every signed head; the
    /// newest must cover the whole log, the stored tree state must be the
    /// recomputed one, the ledger's rows must reproduce the digests the last
    /// entry committed to, and, given a head kept from earlier, the log must
    /// extend it (not truncated, not rewritten).
    pub fn audit_verify_since(
        &self,
        keys: &Keys,
        kept: Option<&SignedTreeHead>,
    ) -> Result<VerifyReport, StoreError> {
        self.verify_with(keys, kept, &|_, _| {})
    }

    fn verify_with(
        &self,
        keys: &Keys,
        kept: Option<&SignedTreeHead>,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<VerifyReport, StoreError> {
        let entries = self.audit_entries()?;
        let total = entries.len() as u64;
        progress(0, total);
        let rows = self.run_sql(
            "read the audit log",
            sqlx::query("SELECT size, head FROM tree_heads ORDER BY size").fetch_all(&self.pool),
        )?;
        let mut report = VerifyReport {
            entries: entries.len() as u64,
            heads: rows.len() as u64,
            problems: Vec::new(),
        };
        let mut heads = Vec::new();
        for r in &rows {
            let size: i64 = r.try_get(0)?;
            match serde_json::from_str::<SignedTreeHead>(&r.try_get::<String, _>(1)?) {
                Ok(h) if h.size as i64 == size => heads.push(h),
                Ok(h) => report.problems.push(format!(
                    "the signed head of size {} is stored as size {size}: the heads were edited",
                    h.size
                )),
                Err(_) => report.problems.push(format!(
                    "the signed head stored as size {size} is unreadable: the heads were edited"
                )),
            }
        }
        let mut tree = CompactTree::new();
        let mut roots = std::collections::HashMap::new();
        roots.insert(0, tree.root());
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
            if (i + 1) % 1024 == 0 {
                progress(i as u64 + 1, total);
            }
        }
        progress(total, total);
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
        // Every append signs a head: entries beyond the newest head were not written by the store.
        let newest = heads.iter().map(|h| h.size).max().unwrap_or(0);
        if newest < entries.len() as u64 {
            report.problems.push(format!(
                "no signed head covers the whole log: the newest covers {newest} of {} entries; entries were appended, or edited and their heads deleted",
                entries.len()
            ));
        }
        if let Some(kept) = kept {
            if let Err(e) = kept.verify(&key) {
                report
                    .problems
                    .push(format!("the kept head of size {}: {e}", kept.size));
            } else if roots.get(&kept.size) != Some(&kept.root) {
                report.problems.push(format!(
                    "the log does not extend the kept head of size {}: it was truncated or rewritten",
                    kept.size
                ));
            }
        }
        let last = entries.last().map(|e| e.body.clone());
        let (stored_tree, stored, recomputed) = self.run("verify the ledger", async {
            let mut c = self.pool.acquire().await?;
            let t = crate::state::load_tree(&mut c).await;
            let s = crate::state::stored(&mut c).await;
            let r = crate::state::recompute(&mut c).await?;
            Ok((t, s, r))
        })?;
        match stored_tree {
            Ok(t) if t.as_ref().map_or(0, |t| t.tree.size()) == tree.size()
                && t.as_ref().map_or(tree.peaks().is_empty(), |t| t.tree.peaks() == tree.peaks()) => {}
            _ => report.problems.push("the stored audit tree state is not the tree of the entries: the next entry would build on a forged tree".into()),
        }
        match stored {
            Err(e) => report.problems.push(e.to_string()),
            Ok(stored) => {
                for part in stored
                    .keys()
                    .chain(recomputed.keys())
                    .collect::<std::collections::BTreeSet<_>>()
                {
                    if stored.get(part) != recomputed.get(part) {
                        report.problems.push(format!(
                            "{} do not match their digest: rows were edited, deleted or inserted",
                            crate::state::describe(part)
                        ));
                    }
                }
                let root = hex::encode(crate::state::root(&stored));
                match last
                    .as_deref()
                    .map(serde_json::from_str::<serde_json::Value>)
                {
                    None if !stored.is_empty() => report
                        .problems
                        .push("the ledger holds data that no audit entry records".into()),
                    Some(Ok(body)) => match body.get("ledger") {
                        Some(c) if c.as_str() != Some(root.as_str()) => report.problems.push(
                            "the ledger's digests are not what the last audit entry committed to"
                                .into(),
                        ),
                        _ => {}
                    },
                    Some(Err(_)) => report
                        .problems
                        .push("the last audit entry is not JSON".into()),
                    None => {}
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_reports_progress_up_to_the_whole_log() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::create(&dir.path().join("keys")).unwrap();
        let store = Store::open(&dir.path().join("s.db").display().to_string()).unwrap();
        let entries: Vec<(&str, serde_json::Value)> = (0..2500)
            .map(|i| ("test", serde_json::json!({ "n": i })))
            .collect();
        store.audit_append_many(&keys, &entries).unwrap();
        let seen = std::sync::Mutex::new(Vec::new());
        let report = store
            .audit_verify_progress(&keys, &|done, total| {
                seen.lock().unwrap().push((done, total))
            })
            .unwrap();
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.first(), Some(&(0, 2500)));
        assert!(seen.contains(&(1024, 2500)), "{seen:?}");
        assert_eq!(seen.last(), Some(&(2500, 2500)));
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
        let plain = store.audit_verify(&keys).unwrap();
        assert_eq!((report.entries, report.heads), (plain.entries, plain.heads));
        assert_eq!(report.problems, plain.problems);
        assert_eq!(report.entries, 2500);
    }
}
