//! Changes to the parts within a transaction, under either digest scheme,
//! and how they are written to `ledger_state` and `ledger_lthash`.

use super::*;

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
    pub(super) unhashed: Vec<(String, (i64, i64), Hash)>,
    /// The old sums of key set members are not wanted (`audit verify` of a
    /// moved store): a SHA-256 per person saved.
    no_sums: bool,
}

impl Delta {
    /// A delta for recomputing parts: the old sums of key set members only
    /// when `scheme` is [`Scheme::Sum`].
    pub(super) fn for_scheme(scheme: Scheme) -> Delta {
        Delta {
            no_sums: scheme == Scheme::LtHash,
            ..Delta::default()
        }
    }

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
            // The part and its kept state in one read (a statement is a round
            // trip to the database, or to sqlx's SQLite worker thread).
            let row = sqlx::query(
                "SELECT s.rows_n, s.sensitive, s.digest, l.part, l.state FROM ledger_state s \
                 LEFT JOIN ledger_lthash l ON l.part = s.part WHERE s.part = $1",
            )
            .bind(part.clone())
            .fetch_optional(&mut *conn)
            .await?;
            let (mut p, mut lt) = match row {
                Some(r) => {
                    let p = parse_part(&part, &r, 0)?;
                    let kept = match r.try_get::<Option<String>, _>(3)? {
                        Some(_) => Some(r.try_get::<Option<Vec<u8>>, _>(4)?),
                        None => None,
                    };
                    let lt = checked_state(&part, &p, kept)?;
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

/// The LtHash state kept for `part` as read (`None`: no row, the empty
/// state; `Some(None)`: a row without a state), which must hash to its digest `p`.
fn checked_state(
    part: &str,
    p: &Part,
    kept: Option<Option<Vec<u8>>>,
) -> Result<LtHash, StoreError> {
    let lt = match kept {
        Some(state) => state.as_deref().and_then(LtHash::from_bytes),
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

pub(super) async fn write_part(
    conn: &mut AnyConnection,
    part: &str,
    p: &Part,
    lt: &LtHash,
) -> Result<(), StoreError> {
    const STATE: &str = "INSERT INTO ledger_state (part, rows_n, sensitive, digest) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (part) DO UPDATE SET rows_n = excluded.rows_n, sensitive = excluded.sensitive, digest = excluded.digest";
    let lthash = |state: &str| {
        format!(
            "INSERT INTO ledger_lthash (part, state) VALUES ($1, {state}) \
             ON CONFLICT (part) DO UPDATE SET state = excluded.state"
        )
    };
    // SQLite runs both in one statement, one round trip to sqlx's worker
    // thread: it numbers `$n` across the two, so the part is bound once.
    let sqlite = conn.backend_name() == "SQLite";
    let first = if sqlite {
        format!("{STATE}; {}", lthash("$5"))
    } else {
        STATE.to_string()
    };
    let q = sqlx::query(sqlx::AssertSqlSafe(first))
        .bind(part.to_string())
        .bind(p.rows)
        .bind(p.sensitive)
        .bind(hex::encode(p.digest));
    if sqlite {
        q.bind(lt.to_bytes()).execute(&mut *conn).await?;
        return Ok(());
    }
    q.execute(&mut *conn).await?;
    sqlx::query(sqlx::AssertSqlSafe(lthash("$2")))
        .bind(part.to_string())
        .bind(lt.to_bytes())
        .execute(&mut *conn)
        .await?;
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
    pub(super) fn into_states(self) -> BTreeMap<String, (Part, LtHash)> {
        let parts = self.parts_with(Scheme::LtHash);
        parts
            .into_iter()
            .zip(self.parts)
            .map(|((k, p), (_, c))| (k, (p, c.lt)))
            .collect()
    }
}
