//! The ledger's state, committed by the audit log.
//!
//! What decides a gate's outcome (the subjects counted, the routes, the
//! consents) and the batches recorded are summarised in `ledger_state`: per
//! part (the subjects of one exporter and year, the consents of one transfer,
//! the routes, the batches) a row count, a count of sensitive subjects and an
//! order-independent digest of its rows: an LtHash ([`crate::lthash`]) of
//! the SHA-256 of each row, kept whole in `ledger_lthash` and committed as
//! its 32-byte checksum. Writers update it by the rows they change
//! (O(changed rows)); every audit entry carries the root of the whole table
//! (`"ledger"` in its body), so the signed heads pin it. Before a write
//! builds on the store, [`check`] confirms that a signed head covers the
//! log's last entry and that the table is what that entry committed to;
//! `audit verify` recomputes every part from the rows.
//!
//! Why a homomorphic hash: it is independent of row order, and a row's
//! change is one removal and one addition, so no write re-reads a whole
//! table. Stores made before schema 15 kept a plain sum of the rows' SHA-256
//! mod 2^256 ([`Scheme::Sum`]), which is forgeable (see `lthash.rs`); the
//! first write after the upgrade checks the rows against those digests and
//! moves every part to LtHash, committed by that write's entry.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::StoreError;
use crate::keys::Keys;
use crate::lthash::LtHash;
use crate::merkle::{CompactTree, Hash, leaf_hash, node_hash};
use crate::signed_head::SignedTreeHead;

mod delta;
mod rows;
mod tree;

pub(crate) use delta::*;
pub(crate) use rows::*;
pub(crate) use tree::*;

/// One part's summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) rows: i64,
    pub(crate) sensitive: i64,
    pub(crate) digest: Hash,
}

/// Parts by key (a JSON array naming the table and, where it is split, the exporter and year or the transfer).
pub(crate) type Parts = BTreeMap<String, Part>;

/// The part that summarises the routes.
pub(crate) const ROUTES: &str = r#"["routes"]"#;
/// The part that summarises the batches.
pub(crate) const BATCHES: &str = r#"["batches"]"#;
/// The part that summarises the accounts (who may do what).
pub(crate) const ACCOUNTS: &str = r#"["accounts"]"#;
/// The part that summarises the API tokens' hashes.
pub(crate) const TOKENS: &str = r#"["tokens"]"#;
/// The part that summarises the complaints received.
pub(crate) const COMPLAINTS: &str = r#"["complaints"]"#;
/// The part that summarises the incident register.
pub(crate) const INCIDENTS: &str = r#"["incidents"]"#;

/// The parts of the small tables (accounts, tokens, workflow registers): few rows,
/// rehashed in full before every write and before a credential is trusted,
/// so that a row edited behind the log's back is refused, never honoured.
/// A module that keeps such a table adds its parts here and its rows in
/// [`small_parts`].
pub(crate) const SMALL: &[&str] = &[
    ACCOUNTS,
    TOKENS,
    INCIDENTS,
    crate::recipients::ATTESTATIONS,
    crate::reviews::REVIEWS,
    crate::rights::REQUESTS,
    crate::snapshots::SNAPSHOTS,
    crate::snapshots::MEMBERS,
    crate::snapshots::COLLECTED,
];

/// Every row of the small tables, into `d`.
pub(crate) async fn small_parts(conn: &mut AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    crate::accounts::parts(conn, d).await?;
    crate::incidents::parts(conn, d).await?;
    crate::recipients::parts(conn, d).await?;
    crate::rights::parts(conn, d).await?;
    crate::reviews::parts(conn, d).await?;
    crate::snapshots::parts(conn, d).await?;
    Ok(())
}

/// The small tables rehashed are what the log committed to (`committed`).
async fn check_small(conn: &mut AnyConnection, committed: &Parts) -> Result<(), StoreError> {
    let mut d = Delta::default();
    small_parts(conn, &mut d).await?;
    let now = d.into_parts();
    for part in SMALL {
        if now.get(*part) != committed.get(*part) {
            return Err(tampered(format!(
                "{} are not what the audit log committed to",
                describe(part)
            )));
        }
    }
    Ok(())
}

/// The part of the subjects of one exporter and year.
pub(crate) fn subjects_part(exporter: &str, year: i64) -> String {
    serde_json::json!(["subjects", exporter, year]).to_string()
}

/// The part of the consents of one transfer.
pub(crate) fn consents_part(transfer: &str) -> String {
    serde_json::json!(["consents", transfer]).to_string()
}

/// A part key for messages: table and ids, never a subject.
pub(crate) fn describe(part: &str) -> String {
    let v: Vec<serde_json::Value> = serde_json::from_str(part).unwrap_or_default();
    let s = |i: usize| v.get(i).map(|x| x.to_string()).unwrap_or_default();
    match v.first().and_then(|t| t.as_str()) {
        Some("subjects") => format!("the subjects of exporter {} in {}", s(1), s(2)),
        Some("sensitive") => format!(
            "the subjects with sensitive PI of exporter {} in {}",
            s(1),
            s(2)
        ),
        Some("consent_days") => format!("the indexed consents of transfer {}", s(1)),
        Some("delivery_days") => {
            format!("the days transfer {} carried each person in {}", s(1), s(2))
        }
        Some("deliveries_within") => format!(
            "the claim that everyone transfer {} carried in {} is counted under exporter {}",
            s(1),
            s(2),
            s(3)
        ),
        Some("deliveries_mixed") => format!(
            "the withdrawal of that claim for transfer {} in {}",
            s(1),
            s(2)
        ),
        Some("overlap") => format!(
            "the subjects of exporter {} in {} counted the year before",
            s(1),
            s(2)
        ),
        Some("overlap_sensitive") => format!(
            "the subjects with sensitive PI of exporter {} in {} counted the year before",
            s(1),
            s(2)
        ),
        Some("group") => format!(
            "the subjects of the group of exporters {} in {}",
            s(1),
            s(2)
        ),
        Some("group_sensitive") => format!(
            "the subjects with sensitive PI of the group of exporters {} in {}",
            s(1),
            s(2)
        ),
        Some("group_overlap") => format!(
            "the subjects of the group of exporters {} in {} counted the year before",
            s(1),
            s(2)
        ),
        Some("group_overlap_sensitive") => format!(
            "the subjects with sensitive PI of the group of exporters {} in {} counted the year before",
            s(1),
            s(2)
        ),
        Some("consents") => format!("the consents of transfer {}", s(1)),
        Some("routes") => "the routes".into(),
        Some("batches") => "the batches".into(),
        Some("accounts") => "the accounts".into(),
        Some("tokens") => "the API tokens".into(),
        Some("complaints") => "the complaints".into(),
        Some("complaint_handling") => "the complaint handling records".into(),
        Some("attestations") => "the recipients' attestations".into(),
        Some("incidents") => "the incident register".into(),
        Some("deliveries") => format!("the deliveries of transfer {} in {}", s(1), s(2)),
        Some("requests") => "the rights requests".into(),
        Some("reviews") => "the reviews of recipients".into(),
        Some("snapshots") => "the compliance snapshots published".into(),
        Some("members") => "the association's members".into(),
        Some("collected") => "the members' snapshots collected".into(),
        _ => "an unknown part of the ledger".into(),
    }
}

/// The store does not verify: `problem` says what (never a subject or a key).
pub(crate) fn tampered(problem: impl Into<String>) -> StoreError {
    StoreError::Tampered {
        problem: problem.into(),
    }
}

/// A part read from `ledger_state`, its columns starting at `at`.
pub(super) fn parse_part(part: &str, r: &sqlx::any::AnyRow, at: usize) -> Result<Part, StoreError> {
    let digest = hex::decode(r.try_get::<String, _>(at + 2)?)
        .ok()
        .and_then(|d| Hash::try_from(d.as_slice()).ok())
        .ok_or_else(|| tampered(format!("the digest of {} is unreadable", describe(part))))?;
    Ok(Part {
        rows: r.try_get(at)?,
        sensitive: r.try_get(at + 1)?,
        digest,
    })
}

/// The parts as stored.
pub(crate) async fn stored(conn: &mut AnyConnection) -> Result<Parts, StoreError> {
    let rows =
        sqlx::query("SELECT part, rows_n, sensitive, digest FROM ledger_state ORDER BY part")
            .fetch_all(&mut *conn)
            .await?;
    let mut out = Parts::new();
    for r in rows {
        let part: String = r.try_get(0)?;
        let p = parse_part(&part, &r, 1)?;
        out.insert(part, p);
    }
    Ok(out)
}

/// The root the log commits to: SHA-256 over every part, in key order.
pub(crate) fn root(parts: &Parts) -> Hash {
    root_with(parts, Scheme::LtHash)
}

/// The root of parts whose digests are formed by `scheme`: the domain
/// string differs, so a root of one scheme is never taken for the other's.
pub(crate) fn root_with(parts: &Parts, scheme: Scheme) -> Hash {
    let domain: &[u8] = match scheme {
        Scheme::Sum => b"outbound-ledger-state-v1\n",
        Scheme::LtHash => b"outbound-ledger-state-v2\n",
    };
    let mut h = Sha256::new().chain_update(domain);
    for (part, p) in parts {
        let line = serde_json::json!([part, p.rows, p.sensitive, hex::encode(p.digest)]);
        h.update(line.to_string().as_bytes());
        h.update(b"\n");
    }
    h.finalize().into()
}

/// The scheme the digests `parts` were committed under by the root
/// `committed` (the last entry's `"ledger"`): the old sum only when that
/// root is the sum's root of exactly these parts.
pub(crate) fn scheme_of(parts: &Parts, committed: Option<&str>) -> Scheme {
    match committed {
        Some(c) if c == hex::encode(root_with(parts, Scheme::Sum)) => Scheme::Sum,
        _ => Scheme::LtHash,
    }
}

const PAGE: i64 = 10_000;

/// Every part recomputed from the rows: O(rows), for `audit verify` and the
/// migrations (the parts under either scheme: [`Delta::parts_with`]).
pub(crate) async fn recompute(conn: &mut AnyConnection) -> Result<Delta, StoreError> {
    recompute_for(conn, Scheme::Sum).await
}

/// [`recompute`], the old sums of key set members only when `scheme` is
/// [`Scheme::Sum`] (the other parts carry both, at no extra cost).
pub(crate) async fn recompute_for(
    conn: &mut AnyConnection,
    scheme: Scheme,
) -> Result<Delta, StoreError> {
    let mut d = Delta::for_scheme(scheme);
    // Subjects: a store not yet moved to key sets has rows, one moved has runs.
    crate::layout::subject_parts(conn, &mut d).await?;
    crate::counted::recompute(conn, &mut d).await?;
    // Consents, likewise.
    let mut after: Option<(Vec<u8>, String)> = None;
    loop {
        let q = match &after {
            None => sqlx::query("SELECT subject, transfer, granted_at, withdrawn_at FROM consents ORDER BY subject, transfer LIMIT $1").bind(PAGE),
            Some((s, t)) => sqlx::query("SELECT subject, transfer, granted_at, withdrawn_at FROM consents WHERE (subject, transfer) > ($1, $2) ORDER BY subject, transfer LIMIT $3")
                .bind(s.clone()).bind(t.clone()).bind(PAGE),
        };
        let rows = q.fetch_all(&mut *conn).await?;
        for r in &rows {
            let (s, t): (Vec<u8>, String) = (r.try_get(0)?, r.try_get(1)?);
            let w: Option<String> = r.try_get(3)?;
            d.insert(
                &consents_part(&t),
                &consent_row(&s, &t, &r.try_get::<String, _>(2)?, w.as_deref()),
                false,
            );
            after = Some((s, t));
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    crate::deliveries::legacy_parts(conn, &mut d).await?;
    crate::deliveries::recompute(conn, &mut d).await?;
    crate::deliveries::recompute_claims(conn, &mut d).await?;
    crate::consent_index::recompute(conn, &mut d).await?;
    route_parts(conn, &mut d).await?;
    small_parts(conn, &mut d).await?;
    crate::accounts::complaint_parts(conn, &mut d).await?;
    crate::complaints::parts(conn, &mut d).await?;
    let sql = format!("SELECT {BATCH_COLUMNS} FROM batches");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(BATCHES, &batch_row_of(&r)?, false);
    }
    Ok(d)
}

async fn route_parts(conn: &mut AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    for r in sqlx::query("SELECT transfer, suspended, reason, at FROM routes")
        .fetch_all(&mut *conn)
        .await?
    {
        let row = route_row(
            &r.try_get::<String, _>(0)?,
            r.try_get(1)?,
            &r.try_get::<String, _>(2)?,
            &r.try_get::<String, _>(3)?,
        );
        d.insert(ROUTES, &row, false);
    }
    Ok(())
}

/// Replaces the parts `old` selects by those `new` describes (the move to key sets).
pub(crate) async fn replace_parts(
    conn: &mut AnyConnection,
    old: impl Fn(&str) -> bool,
    new: Delta,
) -> Result<(), StoreError> {
    for part in stored(conn).await?.keys().filter(|k| old(k)) {
        for sql in [
            "DELETE FROM ledger_state WHERE part = $1",
            "DELETE FROM ledger_lthash WHERE part = $1",
        ] {
            sqlx::query(sql)
                .bind(part.clone())
                .execute(&mut *conn)
                .await?;
        }
    }
    for (part, (p, lt)) in new.into_states() {
        write_part(conn, &part, &p, &lt).await?;
    }
    Ok(())
}

/// Rebuilds `ledger_state` from the rows: when a store is migrated to the
/// version that keeps it, or its digests move to LtHash (the next audit
/// entry commits the result).
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let d = recompute(conn).await?;
    for sql in ["DELETE FROM ledger_state", "DELETE FROM ledger_lthash"] {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    for (part, (p, lt)) in d.into_states() {
        write_part(conn, &part, &p, &lt).await?;
    }
    Ok(())
}

/// Moves a store whose log committed the old sums (`committed`, checked
/// against the last entry already) to LtHash: the rows are rehashed and
/// must be what those sums committed to (a store edited behind the log's
/// back is refused, not converted), then every part is rewritten and every
/// key set chunk given its digest. Runs in the first write's transaction
/// after the upgrade, O(rows) once. Returns how many parts and chunks it wrote.
async fn move_to_lthash(
    conn: &mut AnyConnection,
    committed: &Parts,
) -> Result<(usize, usize), StoreError> {
    let mut d = recompute(conn).await?;
    let unhashed = std::mem::take(&mut d.unhashed);
    let sums = d.parts_with(Scheme::Sum);
    for k in committed.keys().chain(sums.keys()) {
        if committed.get(k) != sums.get(k) {
            return Err(tampered(format!(
                "{} are not what the audit log committed to",
                describe(k)
            )));
        }
    }
    for sql in ["DELETE FROM ledger_state", "DELETE FROM ledger_lthash"] {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    let states = d.into_states();
    for (part, (p, lt)) in &states {
        write_part(conn, part, p, lt).await?;
    }
    for (set, at, digest) in &unhashed {
        crate::keyset::set_digest(conn, set, *at, digest).await?;
    }
    Ok((states.len(), unhashed.len()))
}

/// What [`check`] found: the log's size and the parts the next entry builds on.
pub(crate) struct Checked {
    pub(crate) size: u64,
    pub(crate) parts: Parts,
}

/// Before a write: a signed head covers the whole log, the last entry is the
/// one it covers, and `ledger_state` is what that entry committed to. Costs
/// one signature check and a few indexed reads, never a pass over the log.
/// A store whose log still commits the old sums moves to LtHash first
/// (O(rows), once), committed by its own `ledger_digests` entry before the
/// write builds on it.
pub(crate) async fn check(
    tx: &mut Transaction<'static, Any>,
    keys: &Keys,
) -> Result<Checked, StoreError> {
    let (checked, sums) = check_state(tx, keys).await?;
    if !sums {
        return Ok(checked);
    }
    let (parts, chunks) = move_to_lthash(tx, &checked.parts).await?;
    let body = serde_json::json!({ "scheme": "lthash16-1024", "parts": parts, "chunks": chunks });
    crate::audit::append(tx, keys, "ledger_digests", body).await?;
    match check_state(tx, keys).await? {
        (checked, false) => Ok(checked),
        (_, true) => Err(tampered("the ledger's digests did not move to LtHash")),
    }
}

/// [`check`] without the move; `true` when the log commits the old sums
/// (the parts then are those sums, checked against the last entry only).
async fn check_state(conn: &mut AnyConnection, keys: &Keys) -> Result<(Checked, bool), StoreError> {
    let stored_tree = load_tree(conn).await?;
    let max: Option<i64> = sqlx::query("SELECT MAX(idx) FROM audit_entries")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let entries = max.map_or(0, |m| m as u64 + 1);
    let size = stored_tree.as_ref().map_or(0, |t| t.tree.size());
    if entries != size {
        return Err(tampered(format!(
            "the log has {entries} entries but its tree state {size}"
        )));
    }
    let newest = sqlx::query("SELECT head FROM tree_heads ORDER BY size DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let parts = stored(conn).await?;
    let Some(st) = stored_tree.filter(|_| size > 0) else {
        if newest.is_some() {
            return Err(tampered("a signed head exists but the log is empty"));
        }
        if !parts.is_empty() {
            return Err(tampered(
                "the ledger holds data that no audit entry records",
            ));
        }
        check_small(conn, &parts).await?;
        return Ok((Checked { size: 0, parts }, false));
    };
    let newest = newest.ok_or_else(|| tampered("no signed head covers the log"))?;
    let head: SignedTreeHead = serde_json::from_str(&newest.try_get::<String, _>(0)?)
        .map_err(|_| tampered("the newest signed head is unreadable"))?;
    head.verify(&keys.verifying())
        .map_err(|e| tampered(format!("the newest signed head does not verify: {e}")))?;
    if head.size != size || head.root != st.tree.root() {
        return Err(tampered(format!(
            "the newest signed head covers {} entries, not the log's {size}",
            head.size
        )));
    }
    let last = sqlx::query("SELECT at, kind, body, leaf_hash FROM audit_entries WHERE idx = $1")
        .bind((size - 1) as i64)
        .fetch_one(&mut *conn)
        .await?;
    let body: String = last.try_get(2)?;
    let leaf = leaf_hash(&crate::audit::canonical(
        size - 1,
        &last.try_get::<String, _>(0)?,
        &last.try_get::<String, _>(1)?,
        &body,
    ));
    let path = st
        .last_path
        .ok_or_else(|| tampered("the stored audit tree state has no path to its last entry"))?;
    let top = path
        .iter()
        .fold(leaf, |right, left| node_hash(left, &right));
    if last.try_get::<Vec<u8>, _>(3)? != leaf.to_vec() || st.tree.peaks().last() != Some(&top) {
        return Err(tampered(
            "the last audit entry is not the one the signed head covers",
        ));
    }
    let body: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let mut parts = parts;
    match body.get("ledger").map(|c| c.as_str()) {
        Some(c) if c == Some(hex::encode(root(&parts)).as_str()) => {}
        // A store whose log committed the old sums moves to LtHash first
        // (every part, the small ones included, is checked by the move).
        Some(c) if scheme_of(&parts, c) == Scheme::Sum => {
            return Ok((Checked { size, parts }, true));
        }
        Some(_) => {
            return Err(tampered(
                "the ledger's digests are not what the last audit entry committed to",
            ));
        }
        // An entry written before the ledger was committed (a store from
        // schema 2) commits nothing: the digests are made from the rows,
        // and the next entry commits them.
        None => {
            rebuild(conn).await?;
            parts = stored(conn).await?;
        }
    }
    check_small(conn, &parts).await?;
    Ok((Checked { size, parts }, false))
}

/// Before a batch: the subject counts of the exporter-years it is judged on,
/// the routes, the consents of its transfer and the number of batches match
/// the committed parts. Subjects cost a count per exporter-year, the routes
/// are rehashed. The transfer's consents: when the gate read them for its
/// run (`consents_read`, the digest of the rows it filtered by), that digest
/// must be the committed one, so what the run used is what the log commits
/// to and the register is not read again; otherwise (or when it differs)
/// they are read and rehashed here. A read that differs from rows that do
/// match the log was overtaken by an import or withdrawal (or by an edit
/// behind the log's back, undone since): nothing is recorded, the gate is
/// to run again.
pub(crate) async fn check_batch(
    conn: &mut AnyConnection,
    parts: &Parts,
    exporters: &[String],
    years: &[i64],
    transfer: &str,
    consents_read: Option<(&str, &Part)>,
) -> Result<(), StoreError> {
    let committed = |k: &str| parts.get(k).copied().unwrap_or_default();
    for e in exporters {
        for &y in years {
            crate::counted::check(conn, parts, e, y).await?;
        }
    }
    let mut d = Delta::default();
    route_parts(conn, &mut d).await?;
    if d.into_parts().get(ROUTES).copied().unwrap_or_default() != committed(ROUTES) {
        return Err(tampered(format!(
            "{} do not match the log",
            describe(ROUTES)
        )));
    }
    let part = consents_part(transfer);
    let index = crate::consent_index::index_part(transfer);
    if consents_read.is_none_or(|(name, p)| *p != committed(name)) {
        // What is there now: the index, its runs against its part; and the
        // rows, re-read whole, when they are what is read or no run read
        // anything (a gate's run under consent reads the index alone).
        let indexed = committed(&index).rows > 0 || committed(&part).rows == 0;
        if indexed {
            let p = committed(&index);
            crate::counted::check_runs(
                conn,
                &p,
                &index,
                &[(&index, p.rows, crate::keyset::Width::KEY_NEWEST)],
            )
            .await?;
        }
        if (!indexed || consents_read.is_none())
            && crate::consent::read(conn, transfer, None).await?.1 != committed(&part)
        {
            return Err(tampered(format!(
                "{} do not match the log",
                describe(&part)
            )));
        }
        if consents_read.is_some() {
            return Err(StoreError::Conflict {
                problem: format!(
                    "{} changed while the batch was read (a consent import or withdrawal since); nothing was recorded or counted: run the gate again",
                    describe(&part)
                ),
            });
        }
    }
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM batches")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    if n != committed(BATCHES).rows {
        return Err(tampered("the batches do not match the log"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Why the digests moved: under the old sum, a part's digest is linear in
    /// its rows' hashes, so rows whose hashes add up to the same total are
    /// interchangeable (found at scale by Wagner's k-list algorithm); under
    /// LtHash the same swap changes the digest.
    #[test]
    fn rows_with_the_same_sum_are_told_apart() {
        let h = |b: u8| -> Hash { Sha256::digest([b]).into() };
        let (a, b, c) = (h(1), h(2), h(3));
        // d = a + b - c, so {a, b} and {c, d} have the same sum.
        let mut d = a;
        add(&mut d, &b);
        sub(&mut d, &c);
        let part = |rows: [&Hash; 2], scheme| {
            let mut delta = Delta::default();
            for r in rows {
                delta.insert_hash("p", r, false);
            }
            delta.parts_with(scheme)["p"]
        };
        assert_eq!(
            part([&a, &b], Scheme::Sum),
            part([&c, &d], Scheme::Sum),
            "the old sum cannot tell them apart"
        );
        assert_ne!(
            part([&a, &b], Scheme::LtHash),
            part([&c, &d], Scheme::LtHash)
        );
        // Order and removal as before.
        assert_eq!(
            part([&b, &a], Scheme::LtHash),
            part([&a, &b], Scheme::LtHash)
        );
    }
}
