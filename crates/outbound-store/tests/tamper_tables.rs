//! Whoever holds the store is the adversary: an edit, a deletion or an
//! insertion in any table of the store is found by `audit verify`, and the
//! store refuses to build on it. Run once per backend, like the store suite.

use outbound_store::audit::Entry;
use outbound_store::merkle::leaf_hash;
use outbound_store::{Backend, ConsentRecord, Keys, Recorded, Store};

use crate::store::{blob, fresh, ok, record, subjects, tamper};

fn problems(s: &Store, k: &Keys) -> Vec<String> {
    s.audit_verify(k).unwrap().problems
}

fn assert_detected(s: &Store, k: &Keys, what: &str) {
    let p = problems(s, k);
    assert!(!p.is_empty(), "{what}: `audit verify` found nothing");
}

/// The next batch is refused with a message that sends the operator to `audit verify`;
/// nothing is written.
fn assert_refused(s: &Store, k: &Keys, transfer: &str, what: &str) {
    let before = s.audit_entries().unwrap().len();
    let batches = s.batch_count().unwrap();
    let r = s.record_batch(
        k,
        &record(transfer),
        2026,
        // Two new people and everyone of `history`: every run's keys are
        // looked up, so a chunk is read wherever a key of it may be (a batch
        // merges no runs; the look-ups are what reads a chunk).
        &subjects(k, &["late-1", "late-2", "a", "b", "c", "d"], false),
        false,
        ok,
    );
    let Err(e) = r else {
        panic!("{what}: the store recorded a batch on tampered state: {r:?}")
    };
    let msg = e.to_string();
    assert!(
        msg.contains("does not verify") && msg.contains("outbound audit verify"),
        "{what}: {msg}"
    );
    assert_eq!(s.audit_entries().unwrap().len(), before, "{what}");
    assert_eq!(s.batch_count().unwrap(), batches, "{what}");
}

/// Rewrites entry `i` with a matching leaf hash, as anyone without the signing key can.
fn rewrite_entry(s: &Store, i: usize, edit: impl Fn(&str) -> String) {
    let e = s.audit_entries().unwrap()[i].clone();
    let body = edit(&e.body);
    let leaf = leaf_hash(
        &Entry {
            body: body.clone(),
            ..e
        }
        .canonical(),
    );
    tamper(
        s,
        &format!(
            "UPDATE audit_entries SET body = '{}', leaf_hash = {} WHERE idx = {i}",
            body.replace('\'', "''"),
            blob(s, &leaf)
        ),
    );
}

fn two_route_changes(s: &Store, k: &Keys) {
    s.set_route(k, "cli", "x", true, "breach").unwrap();
    s.set_route(k, "cli", "x", false, "fixed").unwrap();
    assert!(problems(s, k).is_empty());
}

both!(
    rewritten_log_without_heads_is_detected,
    unsigned_appended_entry_is_detected,
    edited_last_entry_with_its_head_dropped_is_detected,
    truncated_tail_is_detected,
    kept_head_exposes_truncation_and_rewrite,
    deleted_subjects_are_detected_and_refused,
    reopened_route_is_detected_and_refused,
    harmless_edits,
);

fn rewritten_log_without_heads_is_detected(s: &Store, k: &Keys) {
    two_route_changes(s, k);
    rewrite_entry(s, 0, |b| b.replace("breach", "routine"));
    tamper(s, "DELETE FROM tree_heads");
    assert_detected(s, k, "entry 0 rewritten, heads deleted");
    assert_refused(s, k, "t", "entry 0 rewritten, heads deleted");
}

fn unsigned_appended_entry_is_detected(s: &Store, k: &Keys) {
    two_route_changes(s, k);
    let e = Entry {
        index: 2,
        at: "2026-01-01T00:00:00Z".into(),
        kind: "route_suspended".into(),
        body: r#"{"transfer":"x","reason":"forged"}"#.into(),
        stored_leaf_hash: [0; 32],
    };
    tamper(
        s,
        &format!(
            "INSERT INTO audit_entries (idx, at, kind, body, leaf_hash) VALUES (2, '{}', '{}', '{}', {})",
            e.at,
            e.kind,
            e.body,
            blob(s, &leaf_hash(&e.canonical()))
        ),
    );
    assert_detected(s, k, "unsigned entry appended");
    assert_refused(s, k, "t", "unsigned entry appended");
}

fn edited_last_entry_with_its_head_dropped_is_detected(s: &Store, k: &Keys) {
    two_route_changes(s, k);
    rewrite_entry(s, 1, |b| b.replace("fixed", "never"));
    tamper(s, "DELETE FROM tree_heads WHERE size = 2");
    assert_detected(s, k, "last entry edited, its head dropped");
    assert_refused(s, k, "t", "last entry edited, its head dropped");
}

fn truncated_tail_is_detected(s: &Store, k: &Keys) {
    two_route_changes(s, k);
    tamper(s, "DELETE FROM audit_entries WHERE idx = 1");
    tamper(s, "DELETE FROM tree_heads WHERE size = 2");
    assert_detected(s, k, "tail truncated");
    assert_refused(s, k, "t", "tail truncated");
}

/// A verifier who kept an earlier head proves the log only grew.
fn kept_head_exposes_truncation_and_rewrite(s: &Store, k: &Keys) {
    two_route_changes(s, k);
    s.set_route(k, "cli", "y", true, "audit").unwrap();
    let kept = s.audit_heads().unwrap()[2].clone();
    assert!(s.audit_consistency(kept.clone()).is_ok());
    // Truncated to 2 entries and made to look whole: the store's own
    // checks cannot see it (the head of size 2 covers the log), the kept head does.
    tamper(s, "DELETE FROM audit_entries WHERE idx = 2");
    tamper(s, "DELETE FROM tree_heads WHERE size = 3");
    assert!(
        s.audit_consistency(kept.clone()).is_err(),
        "truncation below a kept head"
    );
    let r = s.audit_verify_since(k, Some(&kept)).unwrap();
    assert!(
        r.problems.iter().any(|p| p.contains("kept head")),
        "{:?}",
        r.problems
    );
}

/// The tester's case: the subjects of a batch of 30 deleted before a batch
/// that crosses the threshold.
fn deleted_subjects_are_detected_and_refused(s: &Store, k: &Keys) {
    let ids: Vec<String> = (0..30).map(|i| format!("p{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    s.record_batch(k, &record("t"), 2026, &subjects(k, &ids, false), false, ok)
        .unwrap();
    tamper(
        s,
        r#"DELETE FROM keyset_runs WHERE set_name LIKE '["subjects"%'"#,
    );
    assert_detected(s, k, "subjects deleted");
    let r = s.record_batch(
        k,
        &record("t"),
        2026,
        &subjects(k, &["q1", "q2"], false),
        false,
        |c| {
            if c.current_year.individuals > 31 {
                Err("crosses the threshold".into())
            } else {
                ok(c)
            }
        },
    );
    let Err(e) = r else {
        panic!("the refused batch passed: {r:?}")
    };
    assert!(e.to_string().contains("does not verify"), "{e}");
    assert_eq!(s.batch_count().unwrap(), 1, "nothing written");
}

fn reopened_route_is_detected_and_refused(s: &Store, k: &Keys) {
    s.set_route(k, "cli", "t", true, "regulator's order")
        .unwrap();
    tamper(s, "UPDATE routes SET suspended = 0");
    assert_detected(s, k, "route reopened");
    assert_refused(s, k, "t", "route reopened");
}

/// A history that writes every table.
pub(crate) fn history(s: &Store, k: &Keys) {
    let h = |id: &str| k.subject_hash(id.as_bytes());
    s.record_batch(
        k,
        &record("t"),
        2026,
        &subjects(k, &["a", "b", "c"], true),
        false,
        ok,
    )
    .unwrap();
    s.set_route(k, "cli", "x", true, "breach").unwrap();
    let consent = |id: &str, withdrawn: Option<&str>| ConsentRecord {
        subject: h(id),
        transfer: "t".into(),
        granted_at: "2026-01-10".into(),
        withdrawn_at: withdrawn.map(String::from),
    };
    s.consent_import(
        k,
        &[consent("a", None), consent("b", Some("2026-03-01"))],
        "c.csv",
    )
    .unwrap();
    let mut r = record("t");
    r.output = Some("/tmp/out.csv".into());
    let done = s
        .record_batch(k, &r, 2026, &subjects(k, &["c", "d"], false), false, ok)
        .unwrap();
    let Recorded::Committed { batch, .. } = done else {
        panic!("{done:?}")
    };
    s.mark_output_done(batch).unwrap();
    let p = problems(s, k);
    assert!(p.is_empty(), "{p:?}");
}

/// What an adversary does to one table, and whether the gate must refuse afterwards.
pub(crate) struct Case {
    pub(crate) what: &'static str,
    pub(crate) sql: fn(&Store) -> String,
    refused: bool,
}

pub(crate) fn cases() -> Vec<Case> {
    fn c(what: &'static str, sql: fn(&Store) -> String, refused: bool) -> Case {
        Case { what, sql, refused }
    }
    vec![
        // audit_entries
        // (An older entry's edit is found by `audit verify`; the gate checks the last one only.)
        c(
            "audit_entries: edit",
            |_| {
                "UPDATE audit_entries SET body = REPLACE(body, 'breach', 'routine') WHERE idx = 1"
                    .into()
            },
            false,
        ),
        c(
            "audit_entries: edit the last",
            |_| {
                "UPDATE audit_entries SET body = REPLACE(body, '\"records_in\":3', '\"records_in\":2') WHERE idx = 3".into()
            },
            true,
        ),
        c(
            "audit_entries: delete",
            |_| "DELETE FROM audit_entries WHERE idx = 1".into(),
            false,
        ),
        c(
            "audit_entries: insert",
            |s| {
                format!(
                    "INSERT INTO audit_entries (idx, at, kind, body, leaf_hash) VALUES (99, 'x', 'batch', '{{}}', {})",
                    blob(s, &[0; 32])
                )
            },
            true,
        ),
        // tree_heads
        c(
            "tree_heads: edit",
            |_| {
                "UPDATE tree_heads SET head = REPLACE(head, '\"size\":2', '\"size\":3') WHERE size = 2".into()
            },
            false,
        ),
        c(
            "tree_heads: delete",
            |_| "DELETE FROM tree_heads".into(),
            true,
        ),
        c(
            "tree_heads: insert",
            |_| {
                "INSERT INTO tree_heads (size, head) SELECT 99, head FROM tree_heads WHERE size = 1"
                    .into()
            },
            true,
        ),
        // keyset_runs and keyset_chunks: the counted people and deliveries
        c(
            "keyset_runs: edit a run's count",
            |_| {
                r#"UPDATE keyset_runs SET records = records - 1 WHERE set_name LIKE '["subjects"%'"#
                    .into()
            },
            true,
        ),
        c(
            "keyset_runs: delete the sensitive subset",
            |_| r#"DELETE FROM keyset_runs WHERE set_name LIKE '["sensitive"%'"#.into(),
            true,
        ),
        c(
            "keyset_runs: insert a run",
            |_| {
                r#"INSERT INTO keyset_runs (set_name, run, records, chunks) SELECT set_name, run + 100, records, chunks FROM keyset_runs WHERE set_name LIKE '["subjects"%'"#.into()
            },
            true,
        ),
        c(
            "keyset_chunks: edit (a chunk cut to its first key)",
            |_| {
                r#"UPDATE keyset_chunks SET records = first_key WHERE set_name LIKE '["subjects"%'"#
                    .into()
            },
            true,
        ),
        c(
            "keyset_chunks: delete the deliveries",
            |_| r#"DELETE FROM keyset_chunks WHERE set_name LIKE '["deliveries"%'"#.into(),
            false,
        ),
        // A chunk past a run's end changes no count, and a batch reads the
        // run's kept index, not its rows: `audit verify` finds it.
        c(
            "keyset_chunks: insert a chunk",
            |s| {
                format!(
                    r#"INSERT INTO keyset_chunks (set_name, run, chunk, first_key, filter, records) SELECT set_name, run, chunks, {0}, {0}, {0} FROM keyset_runs WHERE set_name LIKE '["subjects"%'"#,
                    blob(s, &[0xff; 16])
                )
            },
            false,
        ),
        // The kept index (schema 18): a digest in it edited changes the
        // run's digest, which the part commits to.
        c(
            "keyset_runs: a kept index's digest edited",
            |s| {
                format!(
                    r#"UPDATE keyset_runs SET chunk_index = substr(chunk_index, 1, 16) || {} || substr(chunk_index, 49) WHERE set_name LIKE '["subjects"%'"#,
                    blob(s, &[7; 32])
                )
            },
            true,
        ),
        // A key replaced by another in place keeps every count, but not the
        // chunk's digest: the batch's look-up of the chunk (its filter, made
        // from the records as written, still admits the key replaced) refuses it.
        c(
            "keyset_chunks: a person replaced in place",
            |s| {
                format!(
                    r#"UPDATE keyset_chunks SET first_key = {0}, records = {0} || substr(records, 17) WHERE set_name LIKE '["subjects"%'"#,
                    blob(s, &[0; 16])
                )
            },
            true,
        ),
        // A filter emptied hides every key from look-ups (each person would
        // be counted again, never fewer): found by `audit verify`, and by the
        // first full read of the chunk.
        c(
            "keyset_chunks: a filter emptied",
            |s| {
                format!(
                    r#"UPDATE keyset_chunks SET filter = {} WHERE set_name LIKE '["subjects"%'"#,
                    blob(s, &[0; 64])
                )
            },
            false,
        ),
        c(
            "keyset_chunks: two keys swapped (a run out of order)",
            |_| {
                r#"UPDATE keyset_chunks SET first_key = substr(records, 17, 16), records = substr(records, 17, 16) || substr(records, 1, 16) || substr(records, 33) WHERE set_name LIKE '["subjects"%'"#.into()
            },
            false,
        ),
        // A chunk's digest in its row: a batch reads the digests a run's kept
        // index holds (schema 18; checked against the part's digest before
        // it counts, and every chunk read against them), so the row's copy
        // decides nothing a batch does; every whole read, `audit verify`
        // among them, requires the rows to match the kept index.
        c(
            "keyset_chunks: a chunk's digest edited",
            |s| {
                format!(
                    r#"UPDATE keyset_chunks SET digest = {} WHERE set_name LIKE '["subjects"%'"#,
                    blob(s, &[7; 32])
                )
            },
            false,
        ),
        c(
            "keyset_chunks: a chunk's digest removed",
            |_| {
                r#"UPDATE keyset_chunks SET digest = NULL WHERE set_name LIKE '["subjects"%'"#
                    .into()
            },
            false,
        ),
        // ledger_lthash: the digests' states; a writer checks the state
        // against the committed digest before it builds on it.
        c(
            "ledger_lthash: a state zeroed",
            |s| format!("UPDATE ledger_lthash SET state = {}", blob(s, &[0; 2048])),
            true,
        ),
        c(
            "ledger_lthash: a state deleted",
            |_| "DELETE FROM ledger_lthash".into(),
            true,
        ),
        // batches
        c(
            "batches: edit",
            |_| "UPDATE batches SET records_out = 0 WHERE id = 0".into(),
            false,
        ),
        c(
            "batches: delete",
            |_| "DELETE FROM batches WHERE id = 1".into(),
            true,
        ),
        c(
            "batches: insert",
            |_| {
                "INSERT INTO batches SELECT 99, transfer, exporter, recipient, at, year, sha256, bytes, records_in, records_out, kinds, individuals, individuals_new, sensitive, sensitive_new, determination, audit_index, output, state FROM batches WHERE id = 0".into()
            },
            true,
        ),
        // routes
        c(
            "routes: edit",
            |_| "UPDATE routes SET reason = 'routine'".into(),
            true,
        ),
        c("routes: delete", |_| "DELETE FROM routes".into(), true),
        c(
            "routes: insert",
            |_| {
                "INSERT INTO routes (transfer, suspended, reason, at) VALUES ('t', 0, 'open', 'x')"
                    .into()
            },
            true,
        ),
        // consents
        c(
            "consents: edit",
            |_| "UPDATE consents SET withdrawn_at = NULL".into(),
            true,
        ),
        c(
            "consents: delete",
            |_| "DELETE FROM consents WHERE withdrawn_at IS NOT NULL".into(),
            true,
        ),
        c(
            "consents: insert",
            |s| {
                format!(
                    "INSERT INTO consents (subject, transfer, granted_at, withdrawn_at) VALUES ({}, 't', '2026-01-01', NULL)",
                    blob(s, &[9; 16])
                )
            },
            true,
        ),
        // ledger_state: the incremental digests the log commits to
        c(
            "ledger_state: edit",
            |_| "UPDATE ledger_state SET rows_n = rows_n + 1".into(),
            true,
        ),
        c(
            "ledger_state: delete",
            |_| "DELETE FROM ledger_state WHERE part LIKE '%routes%'".into(),
            true,
        ),
        c(
            "ledger_state: insert",
            |_| {
                "INSERT INTO ledger_state (part, rows_n, sensitive, digest) VALUES ('[\"routes\",\"forged\"]', 1, 0, '00')".into()
            },
            true,
        ),
        // meta: the compact tree the next append builds on
        c(
            "meta: edit audit_tree",
            |_| {
                "UPDATE meta SET value = REPLACE(value, '\"size\":4', '\"size\":3') WHERE key = 'audit_tree'".into()
            },
            true,
        ),
        c(
            "meta: delete audit_tree",
            |_| "DELETE FROM meta WHERE key = 'audit_tree'".into(),
            true,
        ),
    ]
}

/// Each case on a fresh store of each backend.
mod each {
    use super::*;

    fn run(pg: bool) {
        for case in cases() {
            let Some((s, k, _d)) = fresh(pg) else { return };
            history(&s, &k);
            tamper(&s, &(case.sql)(&s));
            assert_detected(&s, &k, case.what);
            if case.refused {
                assert_refused(&s, &k, "t", case.what);
            }
        }
    }

    #[test]
    fn sqlite() {
        run(false)
    }

    #[test]
    fn postgres() {
        run(true)
    }
}

/// What the log does not need to commit, and why: `meta`'s other rows and a
/// batch's `state` decide nothing a gate judges.
fn harmless_edits(s: &Store, k: &Keys) {
    history(s, k);
    // `lock` is a row writers update to serialise; its value is never read,
    // and `Store::open` puts it back when it is deleted.
    tamper(s, "UPDATE meta SET value = 'x' WHERE key = 'lock'");
    // Unknown keys are never read.
    tamper(s, "INSERT INTO meta (key, value) VALUES ('forged', '1')");
    // A batch's state only says whether its output was moved into place:
    // recovery compares the file's SHA-256 with the logged batch either way.
    tamper(s, "UPDATE batches SET state = 'committed'");
    let p = problems(s, k);
    assert!(p.is_empty(), "{p:?}");
    tamper(s, "DELETE FROM meta WHERE key = 'lock'");
    let again = Store::open(&s.location.replace("***", "")).unwrap();
    assert!(problems(&again, k).is_empty());
    assert!(matches!(
        again
            .record_batch(
                k,
                &record("t"),
                2026,
                &subjects(k, &["e"], false),
                false,
                ok
            )
            .unwrap(),
        Recorded::Committed { .. }
    ));
    // `schema_version` set higher makes every open fail, closed.
    tamper(
        s,
        "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
    );
    assert!(Store::open(&s.location.replace("***", "")).is_err());
}

/// A store from schema 2 (no ledger digests, no path to the last leaf) is
/// migrated with its data; its first new entry commits the current state,
/// after which an edit is found.
#[test]
fn a_version_2_store_migrates_and_its_next_entry_commits_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v2.db");
    let k = Keys::create(&dir.path().join("keys")).unwrap();
    let e = Entry {
        index: 0,
        at: "2026-01-01T00:00:00Z".into(),
        kind: "route_suspended".into(),
        body: r#"{"transfer":"x","reason":"breach"}"#.into(),
        stored_leaf_hash: [0; 32],
    };
    let leaf = leaf_hash(&e.canonical());
    let head = outbound_store::signed_head::SignedTreeHead::sign(
        k.signing(),
        1,
        outbound_store::merkle::root(&[leaf]),
        1,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&format!("sqlite://{}?mode=rwc", db.display())).await.unwrap();
        let run = |sql: String| {
            let pool = pool.clone();
            async move { sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap(); }
        };
        run("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)".into()).await;
        for m in outbound_store::schema::migrations(Backend::Sqlite).into_iter().take(2) {
            for stmt in m.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                run(stmt.to_string()).await;
            }
        }
        run("INSERT INTO meta (key, value) VALUES ('lock', '0'), ('schema_version', '2')".into()).await;
        run(format!("INSERT INTO meta (key, value) VALUES ('audit_tree', '{{\"size\":1,\"peaks\":[\"{}\"]}}')", hex::encode(leaf))).await;
        run(format!("INSERT INTO audit_entries (idx, at, kind, body, leaf_hash) VALUES (0, '{}', '{}', '{}', X'{}')", e.at, e.kind, e.body, hex::encode(leaf))).await;
        run(format!("INSERT INTO tree_heads (size, head) VALUES (1, '{}')", serde_json::to_string(&head).unwrap())).await;
        run("INSERT INTO routes (transfer, suspended, reason, at) VALUES ('x', 1, 'breach', '2026-01-01T00:00:00Z')".into()).await;
        for i in 0..3u8 {
            run(format!("INSERT INTO subjects (exporter, year, subject, sensitive, first_at, last_at) VALUES ('acme-cn', 2026, X'{}', 0, 'x', 'x')", hex::encode([i; 16]))).await;
        }
        pool.close().await;
    });
    let s = Store::open(db.to_str().unwrap()).unwrap();
    assert_eq!(s.schema_version().unwrap(), 21);
    assert!(problems(&s, &k).is_empty(), "{:?}", problems(&s, &k));
    let r = s
        .record_batch(
            &k,
            &record("t"),
            2026,
            &subjects(&k, &["a"], false),
            false,
            ok,
        )
        .unwrap();
    let Recorded::Committed { counts, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        counts.current_year.individuals, 4,
        "the migrated subjects count"
    );
    // The rows moved to key sets first, in an entry of their own that the batch builds on.
    let entries = s.audit_entries().unwrap();
    assert_eq!(entries[1].kind, "ledger_layout");
    let body: serde_json::Value = serde_json::from_str(&entries[1].body).unwrap();
    assert_eq!(body["subjects"], 3);
    assert!(crate::entry_kinds::problems("ledger_layout", &body).is_empty());
    assert_eq!(entries[2].kind, "batch");
    assert!(entries[2].body.contains("\"ledger\""));
    assert!(problems(&s, &k).is_empty());
    // Counted once: the moved people are not new again, in this year or the next.
    let again = subjects(&k, &["a"], false);
    let r = s
        .record_batch(&k, &record("t"), 2026, &again, false, ok)
        .unwrap();
    let Recorded::Committed { counts, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        (counts.new.individuals, counts.current_year.individuals),
        (0, 4)
    );
    tamper(&s, "UPDATE routes SET suspended = 0");
    assert_detected(&s, &k, "route reopened after the migration");
    assert_refused(&s, &k, "x", "route reopened after the migration");
}
