//! The ledger's digests move from sums of SHA-256 (forgeable, schema ≤ 14)
//! to LtHash (schema 15). A store made by the previous version
//! (`fixtures/v14/README.md`) reads and verifies as before; its next write
//! checks every row against the sums its log committed to, moves every part
//! to LtHash and commits the result with that write's entry; an edited old
//! store is refused rather than moved, and a moved store cannot be put back
//! to sums. On SQLite and on PostgreSQL (`fixtures/v14-postgres`).

use outbound_store::{Keys, Recorded, Store, StoreError, Subject};

use crate::store::{behind, blob, hex_of, ok, record, tamper, zeros};

both!(fixture "v14" as sqlite, postgres:
    a_version_14_store_moves_to_lthash_on_its_next_write,
    an_edited_version_14_store_is_refused_and_not_moved,
    a_moved_store_cannot_be_put_back_to_sums,
    a_kept_state_edited_behind_the_log_is_refused,
    a_chunk_that_is_not_what_its_digest_says_is_refused,
);

fn hash(k: &Keys, i: u64) -> [u8; 16] {
    k.subject_hash(format!("person-{i}").as_bytes())
}

/// Rows of a query's first two text columns (the store's own tables, read behind its back).
fn rows(s: &Store, sql: &str) -> Vec<(String, String)> {
    behind(s, |pool| async move {
        use sqlx::Row;
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect()
    })
}

/// People `range`, none with sensitive PI.
fn people(k: &Keys, range: std::ops::Range<u64>) -> Vec<Subject> {
    range
        .map(|i| Subject {
            hash: hash(k, i),
            sensitive: false,
        })
        .collect()
}

/// A batch of the fixture's transfer `crm`.
fn crm() -> outbound_store::BatchRecord {
    let mut rec = record("crm");
    rec.recipient = "acme-us".into();
    rec
}

fn committed_root(s: &Store) -> String {
    let last = s.audit_entries().unwrap().pop().unwrap();
    let body: serde_json::Value = serde_json::from_str(&last.body).unwrap();
    body["ledger"].as_str().unwrap().to_string()
}

fn counts(s: &Store, from: i16, to: i16) -> (u64, u64) {
    let c = s.counts(&["acme-cn".into()], from, to).unwrap();
    (c.individuals, c.sensitive_individuals)
}

fn withdraw(s: &Store, k: &Keys, i: u64) -> Result<u64, StoreError> {
    s.consent_withdraw(k, hash(k, i), Some("crm"), "2026-03-01")
}

/// Person `i`'s withdrawn consent to crm restored behind the log's back.
fn restore_consent(s: &Store, k: &Keys, i: u64) {
    let subject = blob(s, &hash(k, i));
    tamper(
        s,
        &format!("UPDATE consents SET withdrawn_at = NULL WHERE subject = {subject}"),
    );
}

/// Each kept LtHash state's part and state (hex).
fn lthash_states(s: &Store) -> Vec<(String, String)> {
    rows(
        s,
        &format!("SELECT part, {} FROM ledger_lthash", hex_of(s, "state")),
    )
}

/// `e` is tampering whose message names `what`.
fn assert_tampered(e: &StoreError, what: &str) {
    assert!(matches!(e, StoreError::Tampered { .. }), "{e}");
    assert!(e.to_string().contains(what), "{e}");
}

/// `audit verify` names the consents of a transfer.
fn assert_consents_reported(s: &Store, k: &Keys) {
    let problems = s.audit_verify(k).unwrap().problems;
    assert!(
        problems.iter().any(|p| p.contains("consents of transfer")),
        "{problems:?}"
    );
}

fn a_version_14_store_moves_to_lthash_on_its_next_write(s: &Store, k: &Keys) {
    assert_eq!(s.schema_version().unwrap(), 21);
    // Schema 17: on SQLite a chunk's digest comes before its blobs, so
    // reading a set's index does not walk the records' overflow pages
    // (PostgreSQL keeps blobs out of line: its order stays); the rows came along.
    let columns_sql = match s.backend {
        outbound_store::Backend::Sqlite => {
            "SELECT name FROM pragma_table_info('keyset_chunks') ORDER BY cid"
        }
        outbound_store::Backend::Postgres => {
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_name = 'keyset_chunks' AND table_schema = current_schema() \
             ORDER BY ordinal_position"
        }
    };
    let (mut columns, chunks): (Vec<String>, i64) = crate::store::behind(s, |pool| async move {
        (
            sqlx::query_scalar(columns_sql)
                .fetch_all(&pool)
                .await
                .unwrap(),
            sqlx::query_scalar("SELECT COUNT(*) FROM keyset_chunks")
                .fetch_one(&pool)
                .await
                .unwrap(),
        )
    });
    let mut want = [
        "set_name",
        "run",
        "chunk",
        "first_key",
        "digest",
        "filter",
        "records",
    ];
    if s.backend == outbound_store::Backend::Postgres {
        columns.sort();
        want.sort();
    }
    assert_eq!(columns, want);
    assert!(chunks > 0);
    // Before its next write: the same answers, verified against the sums.
    let (all25, all26) = (counts(s, 2025, 2025), counts(s, 2026, 2026));
    assert_eq!(
        all25,
        (3000, (0..3000).filter(|i| i % 7 == 0).count() as u64)
    );
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    let entries = v.entries;
    let old_root = committed_root(s);
    assert!(lthash_states(s).is_empty());
    let sums = rows(s, "SELECT part, digest FROM ledger_state ORDER BY part");

    // The next write (a withdrawal) moves the digests, committed by their
    // own entry before the write's.
    withdraw(s, k, 200).unwrap();
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert_eq!(v.entries, entries + 2);
    let log = s.audit_entries().unwrap();
    let moved_entry = &log[entries as usize];
    assert_eq!(moved_entry.kind, "ledger_digests");
    let body: serde_json::Value = serde_json::from_str(&moved_entry.body).unwrap();
    assert_eq!(body["scheme"], "lthash16-1024");
    assert_eq!(body["parts"].as_u64(), Some(sums.len() as u64));
    // Every chunk of the fixture got its digest; none is left without.
    assert!(body["chunks"].as_u64().unwrap() > 0);
    let unhashed = format!(
        "SELECT set_name, {} FROM keyset_chunks WHERE digest IS NULL",
        hex_of(s, "first_key")
    );
    assert!(rows(s, &unhashed).is_empty());
    assert!(crate::entry_kinds::problems("ledger_digests", &body).is_empty());
    assert_eq!(log[entries as usize + 1].kind, "consent_withdrawn");
    let new_root = committed_root(s);
    assert_ne!(new_root, old_root);
    let all = rows(s, "SELECT part, digest FROM ledger_state ORDER BY part");
    // The withdrawal also built crm's consent index (schema 16), a part of its own.
    let index = r#"["consent_days","crm"]"#;
    assert!(all.iter().any(|(p, _)| p == index), "{all:?}");
    let moved: Vec<_> = all.iter().filter(|(p, _)| p != index).collect();
    assert_eq!(moved.len(), sums.len());
    for ((p1, d1), (p2, d2)) in sums.iter().zip(&moved) {
        assert_eq!(p1, p2);
        assert_ne!(d1, d2, "{p1} kept its old digest");
    }
    assert_eq!(lthash_states(s).len(), all.len());

    // The store counts on from where it stood, its consents and routes hold.
    let (batch, rec) = (people(k, 5500..7000), crm());
    let r = s.record_batch(k, &rec, 2026, &batch, false, ok).unwrap();
    let Recorded::Committed { counts: c, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(c.new.individuals, 1000);
    assert_eq!(c.current_year.individuals, all26.0 + 1000);
    assert_eq!(counts(s, 2025, 2025), all25);
    let r = s
        .record_batch(k, &record("hr"), 2026, &batch, false, ok)
        .unwrap();
    assert!(matches!(r, Recorded::Refused { .. }), "{r:?}");
    assert!(s.audit_verify(k).unwrap().problems.is_empty());

    // A consent restored behind the log's back is found, by the transfer's
    // next batch and by `audit verify`.
    restore_consent(s, k, 50);
    let e = s
        .record_batch(k, &rec, 2026, &batch[..10], false, ok)
        .unwrap_err();
    assert_tampered(&e, "consents");
    assert_consents_reported(s, k);
}

fn an_edited_version_14_store_is_refused_and_not_moved(s: &Store, k: &Keys) {
    restore_consent(s, k, 50);
    let sums = rows(s, "SELECT part, digest FROM ledger_state ORDER BY part");
    let e = withdraw(s, k, 200).unwrap_err();
    assert_tampered(&e, "consents");
    // Nothing moved: the old digests stand, no state was kept.
    assert_eq!(
        rows(s, "SELECT part, digest FROM ledger_state ORDER BY part"),
        sums
    );
    assert!(lthash_states(s).is_empty());
    assert_consents_reported(s, k);
}

fn a_moved_store_cannot_be_put_back_to_sums(s: &Store, k: &Keys) {
    let sums = rows(s, "SELECT part, digest FROM ledger_state ORDER BY part");
    withdraw(s, k, 200).unwrap();
    // The old sums written back (the withdrawal's row moved by hand too
    // would be needed for a forgery; even this much is refused).
    for (part, digest) in &sums {
        tamper(
            s,
            &format!(
                "UPDATE ledger_state SET digest = '{digest}' WHERE part = '{}'",
                part.replace('\'', "''")
            ),
        );
    }
    tamper(s, "DELETE FROM ledger_lthash");
    let e = withdraw(s, k, 300).unwrap_err();
    assert_tampered(&e, "audit entry committed");
    assert!(!s.audit_verify(k).unwrap().problems.is_empty());
}

fn a_kept_state_edited_behind_the_log_is_refused(s: &Store, k: &Keys) {
    withdraw(s, k, 200).unwrap();
    // Any state whose checksum is not the committed digest: here the consents' zeroed.
    tamper(
        s,
        &format!(
            r#"UPDATE ledger_lthash SET state = {} WHERE part = '["consents","crm"]'"#,
            zeros(s, 2048)
        ),
    );
    let e = withdraw(s, k, 300).unwrap_err();
    assert_tampered(&e, "digest state");
}

/// A chunk whose records are not what its digest says is refused when it is
/// read (here the deliveries, which no pre-batch check reads: the merge due
/// after the next batch reads it), and named by `audit verify`.
fn a_chunk_that_is_not_what_its_digest_says_is_refused(s: &Store, k: &Keys) {
    withdraw(s, k, 200).unwrap();
    // The newest deliveries run of crm in 2026 (1,000 people) will merge with the next.
    tamper(
        s,
        &format!(
            r#"UPDATE keyset_chunks SET digest = {} WHERE set_name = '["deliveries","crm",2026]' AND run = (SELECT run FROM keyset_runs WHERE set_name = '["deliveries","crm",2026]' AND records = 1000)"#,
            blob(s, &[0; 32])
        ),
    );
    let problems = s.audit_verify(k).unwrap().problems;
    assert!(
        problems
            .iter()
            .any(|p| p.contains("deliveries of transfer")),
        "{problems:?}"
    );
    // The batch reads nothing of that run (its people are new to the
    // exporter, so not looked up in the transfer's deliveries) and merges
    // nothing; the merge due after it reads the run (before any lock: its
    // chunks are checked as they are read), and is refused.
    s.record_batch(k, &crm(), 2026, &people(k, 6000..7000), false, ok)
        .unwrap();
    let entries = s.audit_entries().unwrap().len();
    let e = s.merge_runs(k).unwrap_err();
    assert!(
        e.to_string()
            .contains("deliveries of transfer \"crm\" in 2026 are damaged"),
        "{e}"
    );
    assert!(
        matches!(e, outbound_store::StoreError::Tampered { .. }),
        "{e:?}"
    );
    // Parts merged before it may commit; the deliveries' part is not merged.
    let after = s.audit_entries().unwrap();
    assert!(
        after[entries..]
            .iter()
            .all(|e| e.kind == "ledger_merged" && !e.body.contains("deliveries")),
        "{:?}",
        &after[entries..]
    );
}
