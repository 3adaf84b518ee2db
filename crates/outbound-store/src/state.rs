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

fn add(a: &mut Hash, b: &Hash) {
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        a[i] = s as u8;
        carry = s >> 8;
    }
}

fn sub(a: &mut Hash, b: &Hash) {
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        a[i] = d as u8;
    }
}

fn row_hash(row: &serde_json::Value) -> Hash {
    Sha256::new()
        .chain_update(b"outbound-ledger-row-v1\n")
        .chain_update(row.to_string().as_bytes())
        .finalize()
        .into()
}

/// The hash of a subject row of the old layout (see `layout.rs`). Written out field by field, length-prefixed,
/// rather than through a JSON value like the other rows: the ledger hashes
/// one or two per subject a batch adds or refreshes, on the gate's hot path.
pub(crate) fn subject_row_hash(
    exporter: &str,
    year: i64,
    subject: &[u8],
    sensitive: i64,
    first_at: &str,
    last_at: &str,
) -> Hash {
    let mut h = Sha256::new();
    h.update(b"outbound-ledger-subject-v2\n");
    for bytes in [
        exporter.as_bytes(),
        subject,
        first_at.as_bytes(),
        last_at.as_bytes(),
    ] {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    h.update(year.to_be_bytes());
    h.update(sensitive.to_be_bytes());
    h.finalize().into()
}

/// A route row as hashed.
pub(crate) fn route_row(
    transfer: &str,
    suspended: i64,
    reason: &str,
    at: &str,
) -> serde_json::Value {
    serde_json::json!([transfer, suspended, reason, at])
}

/// A consent row as hashed.
pub(crate) fn consent_row(
    subject: &[u8],
    transfer: &str,
    granted_at: &str,
    withdrawn_at: Option<&str>,
) -> serde_json::Value {
    serde_json::json!([hex::encode(subject), transfer, granted_at, withdrawn_at])
}

/// The hash of [`consent_row`] written out without a JSON value: the same
/// bytes (`["<hex>","<transfer>","<granted>",null]`, strings escaped as
/// serde_json escapes them), so the digests are unchanged, at a fraction of
/// the cost (a gate's check hashes every consent of its transfer). `buf` is
/// reused between rows.
pub(crate) fn consent_row_hash(
    subject: &[u8],
    transfer: &str,
    granted_at: &str,
    withdrawn_at: Option<&str>,
    buf: &mut Vec<u8>,
) -> Hash {
    buf.clear();
    buf.extend_from_slice(b"[\"");
    let at = buf.len();
    buf.resize(at + subject.len() * 2, 0);
    // Cannot fail: the slice is exactly twice the subject's length.
    let _ = hex::encode_to_slice(subject, &mut buf[at..]);
    buf.extend_from_slice(b"\",");
    for (i, s) in [Some(transfer), Some(granted_at), withdrawn_at]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            buf.push(b',');
        }
        match s {
            // Writing a string into a Vec cannot fail.
            Some(s) => {
                let _ = serde_json::to_writer(&mut *buf, s);
            }
            None => buf.extend_from_slice(b"null"),
        }
    }
    buf.push(b']');
    Sha256::new()
        .chain_update(b"outbound-ledger-row-v1\n")
        .chain_update(&buf[..])
        .finalize()
        .into()
}

/// The batch columns hashed, in order: all but `state`, which only says
/// whether the output was moved into place (recovery re-checks the file's
/// SHA-256 against the logged batch either way).
pub(crate) const BATCH_COLUMNS: &str = "id, transfer, exporter, recipient, at, year, sha256, bytes, records_in, records_out, kinds, \
     individuals, individuals_new, sensitive, sensitive_new, determination, audit_index, output";

fn batch_row_of(r: &sqlx::any::AnyRow) -> Result<serde_json::Value, sqlx::Error> {
    let mut v = Vec::with_capacity(18);
    for i in 0..18 {
        v.push(match i {
            0 | 5 | 7 | 8 | 9 | 11 | 12 | 13 | 14 | 16 => {
                serde_json::json!(r.try_get::<i64, _>(i)?)
            }
            17 => serde_json::json!(r.try_get::<Option<String>, _>(i)?),
            _ => serde_json::json!(r.try_get::<String, _>(i)?),
        });
    }
    Ok(serde_json::Value::Array(v))
}

/// The batch row `id` as hashed, read back after it is written.
async fn batch_row(conn: &mut AnyConnection, id: i64) -> Result<serde_json::Value, StoreError> {
    let sql = format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(batch_row_of(&r)?)
}

/// How a part's digest is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// Before schema 15: the sum of the rows' SHA-256 mod 2^256. Forgeable
    /// (see `lthash.rs`): read only to check a store's rows before they move.
    Sum,
    /// The checksum of the rows' LtHash.
    LtHash,
}

/// One part's change: rows, sensitive rows, and the rows' hashes added and
/// removed, under both schemes (the sum is two 32-byte additions a row, kept
/// so that an old store's rows can be checked against its old digests).
#[derive(Default)]
struct Change {
    rows: i64,
    sensitive: i64,
    plus: Hash,
    minus: Hash,
    lt: LtHash,
}

/// Changes to the parts within one transaction.
#[derive(Default)]
pub(crate) struct Delta {
    parts: BTreeMap<String, Change>,
    /// Key set chunks read without a stored digest (set, (run, chunk),
    /// digest read): a store made before schema 15, until its digests move.
    unhashed: Vec<(String, (i64, i64), Hash)>,
    /// The old sums of key set members are not wanted (`audit verify` of a
    /// moved store): a SHA-256 per person saved.
    no_sums: bool,
}

impl Delta {
    /// A row added to `part`.
    pub(crate) fn insert(&mut self, part: &str, row: &serde_json::Value, sensitive: bool) {
        self.insert_hash(part, &row_hash(row), sensitive);
    }

    /// A row removed from `part` (or its old value, when it changes).
    pub(crate) fn remove(&mut self, part: &str, row: &serde_json::Value, sensitive: bool) {
        self.remove_hash(part, &row_hash(row), sensitive);
    }

    /// A row, given by its hash, added to `part`.
    pub(crate) fn insert_hash(&mut self, part: &str, row: &Hash, sensitive: bool) {
        let e = self.part(part);
        e.rows += 1;
        e.sensitive += i64::from(sensitive);
        add(&mut e.plus, row);
        e.lt.insert(row);
    }

    /// Rows, given by their hashes, added to `part`: as [`Delta::insert_hash`]
    /// for each, the expansions on the machine's cores.
    pub(crate) fn insert_hashes(&mut self, part: &str, rows: &[Hash], sensitive: bool) {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let lt = LtHash::of_all(rows, threads);
        let e = self.part(part);
        e.rows += rows.len() as i64;
        e.sensitive += if sensitive { rows.len() as i64 } else { 0 };
        for r in rows {
            add(&mut e.plus, r);
        }
        e.lt.add(&lt);
    }

    /// A row, given by its hash, removed from `part`.
    pub(crate) fn remove_hash(&mut self, part: &str, row: &Hash, sensitive: bool) {
        let e = self.part(part);
        e.rows -= 1;
        e.sensitive -= i64::from(sensitive);
        add(&mut e.minus, row);
        e.lt.remove(row);
    }

    /// A key set's run written to `part` or removed from it (`sensitive`:
    /// it counts in the part's sensitive column): the part's rows move by its
    /// records, its digest by the run's digest.
    pub(crate) fn run(&mut self, part: &str, c: &crate::keyset::RunChange, sensitive: bool) {
        let e = self.part(part);
        let n = if c.added { c.records } else { -c.records };
        if sensitive {
            e.sensitive += n;
        } else {
            e.rows += n;
        }
        if c.added {
            e.lt.insert(&c.digest);
        } else {
            e.lt.remove(&c.digest);
        }
    }

    /// Every run of a set read to its end (`audit verify`, the move to
    /// LtHash): added as by [`Delta::run`]; a run whose stored digest is not
    /// the one read damages `part`; one stored without a digest is noted.
    pub(crate) fn runs_read(
        &mut self,
        part: &str,
        set: &str,
        runs: &[crate::keyset::RunRead],
        sensitive: bool,
    ) {
        for r in runs {
            match r.stored {
                Some(d) if d != r.read => self.damage(part),
                Some(_) => {}
                None => self.unhashed.extend(
                    r.unhashed
                        .iter()
                        .map(|(c, h)| (set.to_string(), (r.id, *c), *h)),
                ),
            }
            let c = crate::keyset::RunChange {
                digest: r.read,
                records: r.records,
                added: true,
            };
            self.run(part, &c, sensitive);
        }
    }

    /// Chunks read without a stored digest (set, (run, chunk), digest read).
    pub(crate) fn unhashed(&self) -> &[(String, (i64, i64), Hash)] {
        &self.unhashed
    }

    /// A row of a part as the old sum counted it, for the sum alone: key set
    /// members, whose part's LtHash commits to their runs instead and whose
    /// counts come with the runs (see [`Delta::run`]).
    /// Skipped (the hash not even computed) when the old sums are not wanted.
    pub(crate) fn legacy_row(&mut self, part: &str, row: impl FnOnce() -> Hash) {
        if !self.no_sums {
            let h = row();
            add(&mut self.part(part).plus, &h);
        }
    }

    /// `n` rows counted in `part` with nothing hashed: a number the committed
    /// sets determine (the overlaps of two years), recounted by `audit verify`.
    pub(crate) fn count(&mut self, part: &str, n: i64) {
        // A part is made by its first row, as by `insert_hash`.
        if n != 0 {
            self.part(part).rows += n;
        }
    }

    /// `part` could not be read back (a damaged run): it will match no digest,
    /// so `audit verify` names it rather than stopping at the first damage.
    pub(crate) fn damage(&mut self, part: &str) {
        self.part(part).rows = i64::MIN / 2;
    }

    /// The running change of `part` (allocates its name once, not per row).
    fn part(&mut self, part: &str) -> &mut Change {
        if !self.parts.contains_key(part) {
            self.parts.insert(part.to_string(), Change::default());
        }
        self.parts.get_mut(part).expect("inserted above")
    }

    /// The batch row `id`, just written.
    pub(crate) async fn insert_batch(
        &mut self,
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<(), StoreError> {
        let row = batch_row(conn, id).await?;
        self.insert(BATCHES, &row, false);
        Ok(())
    }

    /// Writes the changes to `ledger_state`. A part's kept LtHash state must
    /// be the one its committed checksum names: nothing builds on a state
    /// edited behind the log's back.
    pub(crate) async fn apply(self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        for (part, c) in self.parts {
            let row =
                sqlx::query("SELECT rows_n, sensitive, digest FROM ledger_state WHERE part = $1")
                    .bind(part.clone())
                    .fetch_optional(&mut *conn)
                    .await?;
            let (mut p, mut lt) = match row {
                Some(r) => {
                    let p = parse_part(&part, &r, 0)?;
                    let lt = kept_state(conn, &part, &p).await?;
                    (p, lt)
                }
                None => (Part::default(), LtHash::default()),
            };
            p.rows += c.rows;
            p.sensitive += c.sensitive;
            lt.add(&c.lt);
            p.digest = lt.checksum();
            write_part(conn, &part, &p, &lt).await?;
        }
        Ok(())
    }
}

/// Parts whose kept LtHash state is not the one their digest names (for
/// `audit verify`; a writer refuses to build on such a state, see
/// [`Delta::apply`]). Only for a store whose digests are LtHash checksums.
pub(crate) async fn state_problems(
    conn: &mut AnyConnection,
    parts: &Parts,
) -> Result<Vec<String>, StoreError> {
    let mut kept = BTreeMap::new();
    for r in sqlx::query("SELECT part, state FROM ledger_lthash")
        .fetch_all(&mut *conn)
        .await?
    {
        let state = r.try_get::<Vec<u8>, _>(1).ok();
        kept.insert(r.try_get::<String, _>(0)?, state);
    }
    let mut out = Vec::new();
    for k in parts
        .keys()
        .chain(kept.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let digest = parts.get(k).map_or([0; 32], |p| p.digest);
        let state = match kept.get(k) {
            Some(b) => b.as_deref().and_then(LtHash::from_bytes),
            None => Some(LtHash::default()),
        };
        if state.is_none_or(|s| s.checksum() != digest) {
            out.push(format!(
                "the digest state of {} is not the one the log committed to",
                describe(k)
            ));
        }
    }
    Ok(out)
}

/// The LtHash state kept for `part`, which must hash to its digest `p`.
async fn kept_state(conn: &mut AnyConnection, part: &str, p: &Part) -> Result<LtHash, StoreError> {
    let state = sqlx::query("SELECT state FROM ledger_lthash WHERE part = $1")
        .bind(part.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let lt = match state {
        Some(r) => LtHash::from_bytes(&r.try_get::<Vec<u8>, _>(0)?),
        None => Some(LtHash::default()),
    };
    match lt {
        Some(lt) if lt.checksum() == p.digest => Ok(lt),
        _ => Err(tampered(format!(
            "the digest state of {} is not the one the log committed to",
            describe(part)
        ))),
    }
}

async fn write_part(
    conn: &mut AnyConnection,
    part: &str,
    p: &Part,
    lt: &LtHash,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ledger_state (part, rows_n, sensitive, digest) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (part) DO UPDATE SET rows_n = excluded.rows_n, sensitive = excluded.sensitive, digest = excluded.digest",
    )
    .bind(part.to_string())
    .bind(p.rows)
    .bind(p.sensitive)
    .bind(hex::encode(p.digest))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO ledger_lthash (part, state) VALUES ($1, $2) \
         ON CONFLICT (part) DO UPDATE SET state = excluded.state",
    )
    .bind(part.to_string())
    .bind(lt.to_bytes())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The store does not verify: `problem` says what (never a subject or a key).
pub(crate) fn tampered(problem: impl Into<String>) -> StoreError {
    StoreError::Tampered {
        problem: problem.into(),
    }
}

/// A part read from `ledger_state`, its columns starting at `at`.
fn parse_part(part: &str, r: &sqlx::any::AnyRow, at: usize) -> Result<Part, StoreError> {
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
    let mut d = Delta {
        no_sums: scheme == Scheme::LtHash,
        ..Delta::default()
    };
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

impl Delta {
    /// The parts a delta from nothing describes.
    pub(crate) fn into_parts(self) -> Parts {
        self.parts_with(Scheme::LtHash)
    }

    /// The parts a delta from nothing describes, with digests formed by
    /// `scheme`, the delta kept.
    pub(crate) fn parts_with(&self, scheme: Scheme) -> Parts {
        self.parts
            .iter()
            .map(|(k, c)| {
                let digest = match scheme {
                    Scheme::Sum => {
                        let mut d = c.plus;
                        sub(&mut d, &c.minus);
                        d
                    }
                    Scheme::LtHash => c.lt.checksum(),
                };
                let p = Part {
                    rows: c.rows,
                    sensitive: c.sensitive,
                    digest,
                };
                (k.clone(), p)
            })
            .collect()
    }

    /// The parts with their LtHash states, for writing.
    fn into_states(self) -> BTreeMap<String, (Part, LtHash)> {
        let parts = self.parts_with(Scheme::LtHash);
        parts
            .into_iter()
            .zip(self.parts)
            .map(|((k, p), (_, c))| (k, (p, c.lt)))
            .collect()
    }
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

/// The audit tree as stored in `meta`, with the path from the last leaf to the last peak.
pub(crate) struct StoredTree {
    pub(crate) tree: CompactTree,
    pub(crate) last_path: Option<Vec<Hash>>,
}

fn hashes(v: &serde_json::Value) -> Option<Vec<Hash>> {
    v.as_array()?
        .iter()
        .map(|p| {
            hex::decode(p.as_str()?)
                .ok()
                .and_then(|b| Hash::try_from(b.as_slice()).ok())
        })
        .collect()
}

/// Reads the stored tree; `None` when the log never had an entry. Unreadable state is tampering.
pub(crate) async fn load_tree(conn: &mut AnyConnection) -> Result<Option<StoredTree>, StoreError> {
    let Some(row) = sqlx::query("SELECT value FROM meta WHERE key = 'audit_tree'")
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let bad = || tampered("the stored audit tree state is unreadable");
    let v: serde_json::Value =
        serde_json::from_str(&row.try_get::<String, _>(0)?).map_err(|_| bad())?;
    let size = v["size"].as_u64().ok_or_else(bad)?;
    let peaks = hashes(&v["peaks"]).ok_or_else(bad)?;
    let tree = CompactTree::from_parts(size, peaks).map_err(|_| bad())?;
    let last_path = match v.get("last_path") {
        None => None,
        Some(p) => Some(hashes(p).ok_or_else(bad)?),
    };
    Ok(Some(StoredTree { tree, last_path }))
}

/// Appends a leaf and returns the path from it to the new last peak.
pub(crate) fn append_leaf(tree: &mut CompactTree, leaf: Hash) -> Result<Vec<Hash>, StoreError> {
    let merged = tree.size().trailing_ones() as usize;
    let peaks = tree.peaks();
    let path = peaks[peaks.len().saturating_sub(merged)..]
        .iter()
        .rev()
        .copied()
        .collect();
    tree.append(leaf).map_err(StoreError::AuditFull)?;
    Ok(path)
}

/// Writes the tree state to `meta`.
pub(crate) async fn save_tree(
    conn: &mut AnyConnection,
    tree: &CompactTree,
    last_path: &[Hash],
) -> Result<(), StoreError> {
    let state = serde_json::json!({
        "size": tree.size(),
        "peaks": tree.peaks().iter().map(hex::encode).collect::<Vec<_>>(),
        "last_path": last_path.iter().map(hex::encode).collect::<Vec<_>>(),
    });
    sqlx::query("INSERT INTO meta (key, value) VALUES ('audit_tree', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(state.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Rebuilds the tree state from the entries: once, at the migration that
/// adds `last_path` (O(entries)).
pub(crate) async fn rebuild_tree(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT leaf_hash FROM audit_entries ORDER BY idx")
        .fetch_all(&mut *conn)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut tree = CompactTree::new();
    let mut path = Vec::new();
    for r in rows {
        let leaf = Hash::try_from(r.try_get::<Vec<u8>, _>(0)?.as_slice())
            .map_err(|_| tampered("a stored leaf hash is not 32 bytes"))?;
        path = append_leaf(&mut tree, leaf)?;
    }
    save_tree(conn, &tree, &path).await
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
    consents_read: Option<&Part>,
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
    if consents_read != Some(&committed(&part)) {
        let (_, now) = crate::consent::read(conn, transfer, None).await?;
        if now != committed(&part) {
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
