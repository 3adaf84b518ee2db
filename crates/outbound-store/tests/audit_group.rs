//! The audit log under many writers (group commit) and at a size where
//! `audit verify` reads it in several pages; both backends.

use std::collections::HashSet;

use outbound_store::{Keys, Store, StoreError};

use crate::store::{fresh, tamper};

/// Runs `call(t, n)` for n in 0..`each` on each of `threads` threads at
/// once; every answer, thread by thread.
fn on_threads<T: Send>(
    threads: usize,
    each: usize,
    call: impl Fn(usize, usize) -> T + Sync,
) -> Vec<T> {
    let call = &call;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || (0..each).map(|n| call(t, n)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// `threads` threads on `stores` (one per simulated process, round robin)
/// each append `per_thread` entries; returns (thread, n, index, head size) per append.
fn append_from_threads(
    stores: &[&Store],
    k: &Keys,
    threads: usize,
    per_thread: usize,
) -> Vec<(usize, usize, u64, u64)> {
    on_threads(threads, per_thread, |t, n| {
        let store = stores[t % stores.len()];
        let (index, head) = store
            .audit_append(k, "test", &serde_json::json!({"t": t, "n": n}))
            .unwrap();
        head.verify(&k.verifying()).unwrap();
        assert!(head.size > index, "the head returned covers the entry");
        (t, n, index, head.size)
    })
}

/// Every caller got a distinct index whose entry holds its body, the log has
/// exactly the entries appended, it verifies, and the newest head covers it all.
fn check_exact(s: &Store, k: &Keys, got: &[(usize, usize, u64, u64)], expected: usize) {
    assert_eq!(got.len(), expected);
    let entries = s.audit_entries().unwrap();
    assert_eq!(entries.len(), expected);
    let indexes: HashSet<u64> = got.iter().map(|g| g.2).collect();
    assert_eq!(indexes.len(), expected, "no index given twice");
    for &(t, n, index, _) in got {
        let body: serde_json::Value = serde_json::from_str(&entries[index as usize].body).unwrap();
        assert_eq!(
            (body["t"].as_u64(), body["n"].as_u64()),
            (Some(t as u64), Some(n as u64)),
            "entry {index} holds its caller's body"
        );
    }
    let report = s.audit_verify(k).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.heads <= expected as u64);
    assert_eq!(
        s.audit_latest_head().unwrap().unwrap().size,
        expected as u64,
        "a signed head covers every entry"
    );
}

fn group_commit_is_exact(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    let got = append_from_threads(&[&s], &k, 8, 40);
    check_exact(&s, &k, &got, 8 * 40);
}

/// Two stores on one database (two processes): each groups its own callers,
/// the lock row serialises the groups, nothing is lost or given twice.
fn two_stores_stay_exact(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    let location = if pg {
        s.location.replace("***", "")
    } else {
        s.location.clone()
    };
    let other = Store::open(&location).unwrap();
    let got = append_from_threads(&[&s, &other], &k, 6, 30);
    check_exact(&s, &k, &got, 6 * 30);
}

/// A group whose transaction fails (here its signed head cannot be written)
/// leaves nothing of itself, and every caller in it gets an error.
fn failed_group_writes_nothing(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    s.audit_append(&k, "test", &serde_json::json!({"before": true}))
        .unwrap();
    if pg {
        tamper(
            &s,
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql",
        );
        tamper(
            &s,
            "CREATE TRIGGER refuse BEFORE INSERT ON tree_heads FOR EACH ROW EXECUTE FUNCTION refuse()",
        );
    } else {
        tamper(
            &s,
            "CREATE TRIGGER refuse BEFORE INSERT ON tree_heads BEGIN SELECT RAISE(ABORT, 'refused'); END",
        );
    }
    let failed = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (s, k) = (&s, &k);
                sc.spawn(move || {
                    (0..10)
                        .map(|n| s.audit_append(k, "test", &serde_json::json!({"t": t, "n": n})))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(failed.len(), 80);
    for r in &failed {
        assert!(
            matches!(
                r,
                Err(StoreError::Db { .. } | StoreError::GroupFailed { .. })
            ),
            "{r:?}"
        );
    }
    tamper(
        &s,
        if pg {
            "DROP TRIGGER refuse ON tree_heads"
        } else {
            "DROP TRIGGER refuse"
        },
    );
    assert_eq!(
        s.audit_entries().unwrap().len(),
        1,
        "no entry of a failed group"
    );
    let report = s.audit_verify(&k).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let (index, _) = s
        .audit_append(&k, "test", &serde_json::json!({"after": true}))
        .unwrap();
    assert_eq!(index, 1);
}

/// Writers that queue entries and wait later: each entry is durable at its
/// ticket's index; a ticket dropped before any group took it writes nothing.
fn tickets_are_exact(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    let withdrawn = s
        .audit_submit(&k, "test", &serde_json::json!({"withdrawn": true}))
        .unwrap();
    drop(withdrawn);
    let got: Vec<(usize, usize, u64, u64)> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let (s, k) = (&s, &k);
                sc.spawn(move || {
                    let tickets: Vec<_> = (0..50)
                        .map(|n| {
                            s.audit_submit(k, "test", &serde_json::json!({"t": t, "n": n}))
                                .unwrap()
                        })
                        .collect();
                    tickets
                        .into_iter()
                        .enumerate()
                        .map(|(n, ticket)| {
                            let (index, head) = ticket.wait().unwrap();
                            head.verify(&k.verifying()).unwrap();
                            assert!(head.size > index);
                            (t, n, index, head.size)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    check_exact(&s, &k, &got, 200);
    assert!(
        s.audit_entries()
            .unwrap()
            .iter()
            .all(|e| !e.body.contains("withdrawn")),
        "a dropped ticket's entry is withdrawn"
    );
}

/// An entry the store would not write is refused alone; the others commit.
fn bad_entry_fails_alone(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    std::thread::scope(|sc| {
        let bad = sc.spawn(|| s.audit_append(&k, "no_such_kind", &serde_json::json!({})));
        let good = sc.spawn(|| {
            (0..20)
                .map(|n| {
                    s.audit_append(&k, "test", &serde_json::json!({"n": n}))
                        .unwrap()
                        .0
                })
                .collect::<Vec<_>>()
        });
        assert!(matches!(
            bad.join().unwrap(),
            Err(StoreError::Invalid { .. })
        ));
        assert_eq!(good.join().unwrap(), (0..20).collect::<Vec<u64>>());
    });
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
}

/// A log of several pages (verify reads 8,192 entries at a time): intact, it
/// verifies; an entry edited in the second page, or one deleted at a page
/// boundary, is found.
fn verify_across_pages(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    for chunk in 0..4 {
        let entries: Vec<(&str, serde_json::Value)> = (0..5000)
            .map(|i| ("test", serde_json::json!({"i": chunk * 5000 + i})))
            .collect();
        s.audit_append_many(&k, &entries).unwrap();
    }
    let r = s.audit_verify(&k).unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!((r.entries, r.heads), (20_000, 4));
    // Proofs read the log the same way, a page at a time: an entry in a
    // middle page and the last, with their bytes as stored.
    let entries = s.audit_entries().unwrap();
    for i in [0, 4095, 4096, 10_000, 19_999] {
        let b = s.audit_prove(i).unwrap();
        b.check(&k.verifying()).unwrap();
        assert_eq!((b.index, b.tree_size), (i, 20_000));
        assert_eq!(
            b.entry.as_deref(),
            Some(&entries[i as usize].canonical()[..])
        );
    }
    assert!(matches!(
        s.audit_prove(20_000),
        Err(StoreError::NoEntry {
            index: 20_000,
            size: 20_000
        })
    ));
    let first = s.audit_heads().unwrap()[0].clone();
    s.audit_consistency(first)
        .unwrap()
        .check(&k.verifying())
        .unwrap();
    let kept = s.audit_heads().unwrap()[1].clone();
    assert!(
        s.audit_verify_since(&k, Some(&kept))
            .unwrap()
            .problems
            .is_empty()
    );

    tamper(
        &s,
        "UPDATE audit_entries SET body = REPLACE(body, '\"i\":10000', '\"i\":10001') WHERE idx = 10000",
    );
    let r = s.audit_verify(&k).unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("entry 10000") && p.contains("edited")),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems.iter().any(|p| p.contains("rewritten")),
        "{:?}",
        r.problems
    );

    // Separators and digits in an edited field are data, not structure.
    tamper(
        &s,
        &format!(
            "UPDATE audit_entries SET at = '1 2 3 4 ' || {}(10) || at WHERE idx = 3",
            if pg { "chr" } else { "char" }
        ),
    );
    let r = s.audit_verify(&k).unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("entry 3 ") && p.contains("edited")),
        "{:?}",
        r.problems
    );

    tamper(&s, "DELETE FROM audit_entries WHERE idx = 8192");
    let r = s.audit_verify(&k).unwrap();
    assert_eq!(r.entries, 19_999);
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("position 8192 has index 8193")),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems.iter().any(|p| p.contains("deleted")),
        "{:?}",
        r.problems
    );
}

/// A stored value of the wrong form stops verify with an error: never a
/// skipped entry, never a report that looks clean.
fn malformed_entry_is_an_error(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    let entries: Vec<(&str, serde_json::Value)> = (0..5000)
        .map(|i| ("test", serde_json::json!({ "i": i })))
        .collect();
    s.audit_append_many(&k, &entries).unwrap();
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
    // A leaf hash of one byte, in the second page.
    tamper(
        &s,
        &format!(
            "UPDATE audit_entries SET leaf_hash = {} WHERE idx = 4500",
            if pg { "'\\x00'::bytea" } else { "X'00'" }
        ),
    );
    match s.audit_verify(&k) {
        Err(StoreError::Malformed { what, .. }) => assert_eq!(what, "hash (not 32 bytes)"),
        other => panic!("{other:?}"),
    }
    if !pg {
        // SQLite keeps a blob in a TEXT column, and text in an integer one:
        // the entry is not in the form written.
        for sql in [
            "UPDATE audit_entries SET leaf_hash = randomblob(32), body = X'7b7d' WHERE idx = 4500",
            "UPDATE audit_entries SET body = '{}', idx = 'x' WHERE idx = 4500",
        ] {
            tamper(&s, sql);
            match s.audit_verify(&k) {
                Err(StoreError::Malformed { what, .. }) => assert_eq!(what, "audit entries"),
                other => panic!("{sql}: {other:?}"),
            }
        }
    }
}

/// Callers signing with two keys at once: a group holds one key's
/// entries, so each caller gets its own answer (another key cannot vouch
/// for this log, so the stranger's appends are refused) and none is left
/// waiting; the owner's entries are exact.
fn two_keys_at_once(pg: bool) {
    let Some((s, k, d)) = fresh(pg) else { return };
    let stranger = Keys::create(&d.path().join("stranger-keys")).unwrap();
    s.audit_append(&k, "test", &serde_json::json!({"t": 99, "n": 0}))
        .unwrap();
    let (mine, theirs) = std::thread::scope(|sc| {
        let mine: Vec<_> = (0..6)
            .map(|t| {
                let (s, k) = (&s, &k);
                sc.spawn(move || {
                    (0..25)
                        .map(|n| {
                            let (index, head) = s
                                .audit_append(k, "test", &serde_json::json!({"t": t, "n": n}))
                                .unwrap();
                            (t, n, index, head.size)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let theirs: Vec<_> = (0..3)
            .map(|t| {
                let (s, stranger) = (&s, &stranger);
                sc.spawn(move || {
                    (0..10)
                        .filter(|n| {
                            s.audit_append(stranger, "test", &serde_json::json!({"x": t, "n": n}))
                                .is_err()
                        })
                        .count()
                })
            })
            .collect();
        (
            mine.into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect::<Vec<_>>(),
            theirs.into_iter().map(|h| h.join().unwrap()).sum::<usize>(),
        )
    });
    assert_eq!(theirs, 30, "every stranger's append refused");
    let mut got = mine;
    got.push((99, 0, 0, 1));
    check_exact(&s, &k, &got, 6 * 25 + 1);
}

/// Consent withdrawals from many threads, with plain entries between them:
/// domain writes are group-committed too. Each caller gets its own answer,
/// the register holds exactly what was withdrawn, the log has one entry a
/// write and verifies (each group's ledger state is what its last entry
/// committed), and a signed head covers it all.
fn withdrawals_are_grouped_and_exact(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    const THREADS: usize = 6;
    const EACH: usize = 20;
    let subject = |t: usize, n: usize| k.subject_hash(format!("p{t}-{n}").as_bytes());
    let records: Vec<_> = (0..THREADS)
        .flat_map(|t| (0..EACH).map(move |n| (t, n)))
        .flat_map(|(t, n)| {
            ["t", "u"].map(|transfer| outbound_store::ConsentRecord {
                subject: subject(t, n),
                transfer: transfer.into(),
                granted_at: "2026-01-01".into(),
                withdrawn_at: None,
            })
        })
        .collect();
    s.consent_import(&k, &records, "consents.csv").unwrap();
    // One more thread appends plain entries meanwhile.
    let answers: Vec<(usize, usize, u64)> = on_threads(THREADS + 1, EACH, |t, n| {
        if t == THREADS {
            s.audit_append(&k, "test", &serde_json::json!({ "n": n }))
                .unwrap();
            return None;
        }
        // Even: transfer `t` only (one consent ends); odd: both.
        let only = (n % 2 == 0).then_some("t");
        let ended = s
            .consent_withdraw(&k, subject(t, n), only, "2026-02-01")
            .unwrap();
        Some((t, n, ended))
    })
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(answers.len(), THREADS * EACH);
    for (t, n, ended) in answers {
        assert_eq!(
            ended,
            if n % 2 == 0 { 1 } else { 2 },
            "writer {t}, subject {n}"
        );
    }
    assert!(s.consented("t", "2026-03-01").unwrap().is_empty());
    let still: std::collections::HashSet<_> = (0..THREADS)
        .flat_map(|t| (0..EACH).step_by(2).map(move |n| (t, n)))
        .map(|(t, n)| subject(t, n))
        .collect();
    assert_eq!(s.consented("u", "2026-03-01").unwrap(), still);
    let entries = s.audit_entries().unwrap();
    let kinds = |kind: &str| entries.iter().filter(|e| e.kind == kind).count();
    assert_eq!(
        (
            kinds("consent_import"),
            kinds("consent_withdrawn"),
            kinds("test")
        ),
        (1, THREADS * EACH, EACH)
    );
    let report = s.audit_verify(&k).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(
        s.audit_latest_head().unwrap().unwrap().size,
        entries.len() as u64
    );
}

/// Rights requests and complaints from the public channel, many at once,
/// are group-committed: each request takes its own next number (none given
/// twice, none skipped), each caller gets back exactly what it sent, and the
/// log has one entry a write and verifies.
fn public_intake_is_grouped_and_exact(pg: bool) {
    use outbound_store::rights::{Channel, IdentityMethod, NewRequest, RequestKind};
    let Some((s, k, _d)) = fresh(pg) else { return };
    const THREADS: usize = 6;
    const EACH: usize = 15;
    let regimes = vec!["CN".to_string()];
    let got: Vec<(usize, usize, String)> = on_threads(THREADS, EACH, |t, n| {
        let id = if t % 2 == 0 {
            let subject = k.subject_hash(format!("p{t}-{n}").as_bytes());
            let new = NewRequest {
                received_at: "2026-01-31T10:00:00Z",
                channel: Channel::PublicForm,
                kinds: &[RequestKind::Access],
                regimes: &regimes,
                subject,
                identity: IdentityMethod::NoneYet,
                identity_at: None,
            };
            let r = s.open_request(&k, "public", &new).unwrap();
            assert_eq!(r.subject, subject);
            r.id
        } else {
            let tracking = format!("trk-{t}-{n}");
            let c = s
                .add_complaint(&k, &tracking, "synthetic complaint text", None, Some("crm"))
                .unwrap();
            assert_eq!(c.tracking, tracking);
            c.tracking
        };
        (t, n, id)
    });
    let opened = THREADS.div_ceil(2) * EACH;
    let mut ids: Vec<String> = got
        .iter()
        .filter(|g| g.0 % 2 == 0)
        .map(|g| g.2.clone())
        .collect();
    ids.sort();
    let want: Vec<String> = (1..=opened).map(|i| format!("req-{i:04}")).collect();
    assert_eq!(ids, want, "every request its own next number");
    for (t, n, id) in got.iter().filter(|g| g.0 % 2 == 0) {
        let stored = s.rights_request(id).unwrap().unwrap();
        assert_eq!(
            stored.subject,
            k.subject_hash(format!("p{t}-{n}").as_bytes())
        );
    }
    let mut trackings: Vec<String> = s
        .complaints()
        .unwrap()
        .into_iter()
        .map(|c| c.tracking)
        .collect();
    trackings.sort();
    let mut sent: Vec<String> = got
        .iter()
        .filter(|g| g.0 % 2 == 1)
        .map(|g| g.2.clone())
        .collect();
    sent.sort();
    assert_eq!(trackings, sent);
    let entries = s.audit_entries().unwrap();
    assert_eq!(entries.len(), THREADS * EACH);
    let report = s.audit_verify(&k).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { super::$name(false) } )* }
        mod postgres { $( #[test] fn $name() { super::$name(true) } )* }
    };
}

both!(
    group_commit_is_exact,
    two_stores_stay_exact,
    failed_group_writes_nothing,
    bad_entry_fails_alone,
    verify_across_pages,
    tickets_are_exact,
    two_keys_at_once,
    withdrawals_are_grouped_and_exact,
    public_intake_is_grouped_and_exact,
    malformed_entry_is_an_error,
);
