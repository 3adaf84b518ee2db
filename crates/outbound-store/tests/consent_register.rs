//! The consent register as a gate's run reads it: once, from the transfer's
//! index (`consent_index.rs`; the rows for consents made before it), and
//! confirmed against the audit log when the batch is recorded. What a run
//! filtered by must be what the log commits to: an index edited behind the
//! log and a register changed since the read both refuse the batch, with
//! nothing written; a row forged into the register is not read as consent.
//! Run once per backend.

use outbound_store::{ConsentRecord, Keys, Recorded, Store, StoreError};

use crate::store::{blob, ok, record, subjects, tamper};

both!(
    register_pages_and_validity_match_a_model,
    register_read_once_records_and_counts,
    forged_row_does_not_consent_and_is_found,
    a_withdrawal_undone_behind_the_log_is_refused,
    the_index_follows_imports_and_withdrawals,
    import_since_the_read_is_a_conflict,
    register_of_another_transfer_is_refused,
);

/// A person's consent for `t`: granted, withdrawn, by the person's number.
fn consent(k: &Keys, i: u64, transfer: &str) -> ConsentRecord {
    let (granted, withdrawn) = match i % 5 {
        0 => ("2026-01-10".to_string(), None),
        1 => ("2026-06-01".to_string(), None), // not yet on 2026-05-01
        2 => ("2026-01-10".to_string(), Some("2026-03-01".to_string())), // withdrawn by then
        3 => (
            "2026-05-01T23:59:59+08:00".to_string(),
            Some("2026-05-02".to_string()),
        ), // valid that day
        _ => ("2026-01-10".to_string(), Some("2026-05-01".to_string())), // withdrawn that day
    };
    ConsentRecord {
        subject: k.subject_hash(format!("p{i}").as_bytes()),
        transfer: transfer.into(),
        granted_at: granted,
        withdrawn_at: withdrawn,
    }
}

/// Past several pages (16,384 rows each), with another transfer's rows in
/// between: the subjects are exactly those a row-by-row reading would keep.
fn register_pages_and_validity_match_a_model(s: &Store, k: &Keys) {
    let n = 40_000;
    let recs: Vec<ConsentRecord> = (0..n)
        .map(|i| consent(k, i, "t"))
        .chain((0..n / 4).map(|i| consent(k, i * 3, "u")))
        .collect();
    s.consent_import(k, &recs, "model").unwrap();
    let mut want: Vec<[u8; 16]> = recs
        .iter()
        .filter(|r| {
            r.transfer == "t" && {
                let on = "2026-05-01";
                r.granted_at[..10] <= *on && r.withdrawn_at.as_deref().is_none_or(|w| &w[..10] > on)
            }
        })
        .map(|r| r.subject)
        .collect();
    want.sort_unstable();
    assert_eq!(want.len() as u64, 2 * n / 5);
    let mut reg = s.consent_register("t", "2026-05-01").unwrap();
    let mut got = reg.take_subjects();
    got.sort_unstable();
    assert_eq!(got, want);
    let set = s.consented("t", "2026-05-01").unwrap();
    assert_eq!(set.len(), want.len());
    // The read's digest is the committed one: the batch records.
    let reg = s.consent_register("t", "2026-05-01").unwrap();
    let r = batch(s, k, &["p0"], &reg, false).unwrap();
    assert!(matches!(r, Recorded::Committed { .. }), "{r:?}");
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

/// Records `names` for transfer `t` in 2026 under the consents read in `reg`.
fn batch(
    s: &Store,
    k: &Keys,
    names: &[&str],
    reg: &outbound_store::ConsentRegister,
    dry_run: bool,
) -> Result<Recorded, StoreError> {
    s.record_batch_consented(
        k,
        &record("t"),
        outbound_store::BatchDay::year(2026),
        &subjects(k, names, false),
        (Some(reg), &[]),
        dry_run,
        |c, _| ok(c),
    )
}

fn imported(s: &Store, k: &Keys) {
    let recs: Vec<ConsentRecord> = (0..20).map(|i| consent(k, i, "t")).collect();
    s.consent_import(k, &recs, "small").unwrap();
}

fn register_read_once_records_and_counts(s: &Store, k: &Keys) {
    imported(s, k);
    let reg = s.consent_register("t", "2026-05-01").unwrap();
    let r = batch(s, k, &["p0", "p5"], &reg, false).unwrap();
    let Recorded::Committed { counts, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(counts.new.individuals, 2);
    // The same register again: still the committed rows (a batch changes no consent).
    let r = batch(s, k, &["p10"], &reg, true).unwrap();
    assert!(matches!(r, Recorded::DryRun { .. }), "{r:?}");
}

/// Nothing was written: the log and the batches are as before.
fn assert_nothing_written(s: &Store, entries: usize, what: &str) {
    assert_eq!(s.audit_entries().unwrap().len(), entries, "{what}");
    assert_eq!(s.batch_count().unwrap(), 0, "{what}");
}

fn forged(s: &Store, k: &Keys) -> String {
    format!(
        "INSERT INTO consents (subject, transfer, granted_at, withdrawn_at) VALUES ({}, 't', '2026-01-01', NULL)",
        blob(s, &k.subject_hash(b"forged"))
    )
}

/// A row forged into the register behind the log: a gate's run reads the
/// transfer's index, which the log commits to, so the forged subject does
/// not consent; a batch that checks the rows themselves (no run read them)
/// is refused, and `audit verify` names them.
fn forged_row_does_not_consent_and_is_found(s: &Store, k: &Keys) {
    imported(s, k);
    let entries = s.audit_entries().unwrap().len();
    tamper(s, &forged(s, k));
    let mut reg = s.consent_register("t", "2026-05-01").unwrap();
    let read = reg.take_subjects();
    assert!(!read.contains(&k.subject_hash(b"forged")));
    assert_eq!(read.len(), 8, "the twenty imported, as they were");
    let e = s
        .record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &["forged"], false),
            false,
            ok,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{e}");
    assert!(
        e.to_string().contains("the consents of transfer \"t\""),
        "{e}"
    );
    assert_nothing_written(s, entries, "forged row kept");
    let problems = s.audit_verify(k).unwrap().problems;
    assert!(
        problems.iter().any(|p| p.contains("consents of transfer")),
        "{problems:?}"
    );
}

/// The index's newest run (a withdrawal) removed behind the log, which
/// would give the person their consent back: the read is refused, and so
/// is a batch; `audit verify` names the index.
fn a_withdrawal_undone_behind_the_log_is_refused(s: &Store, k: &Keys) {
    imported(s, k);
    s.consent_withdraw(k, k.subject_hash(b"p0"), Some("t"), "2026-04-01")
        .unwrap();
    let mut reg = s.consent_register("t", "2026-05-01").unwrap();
    assert!(!reg.take_subjects().contains(&k.subject_hash(b"p0")));
    let entries = s.audit_entries().unwrap().len();
    let set = r#"["consent_days","t"]"#;
    for table in ["keyset_chunks", "keyset_runs"] {
        tamper(
            s,
            &format!(
                "DELETE FROM {table} WHERE set_name = '{set}' AND run = (SELECT MAX(run) FROM keyset_runs WHERE set_name = '{set}')"
            ),
        );
    }
    let e = s.consent_register("t", "2026-05-01").unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("the indexed consents of transfer \"t\""),
        "{e}"
    );
    let e = s
        .record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &["p0"], false),
            false,
            ok,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{e}");
    assert_nothing_written(s, entries, "withdrawal undone");
    let problems = s.audit_verify(k).unwrap().problems;
    assert!(
        problems.iter().any(|p| p.contains("indexed consents")),
        "{problems:?}"
    );
}

/// Imports, re-imports (a later record replaces an earlier one) and
/// withdrawals (one transfer, every transfer) over three transfers: on every
/// day tried the register's subjects are exactly the model's, read from the
/// index through its merges, and `audit verify` finds the index equal to the rows.
fn the_index_follows_imports_and_withdrawals(s: &Store, k: &Keys) {
    use std::collections::BTreeMap;
    // (subject, transfer) -> (granted, withdrawn)
    let mut model: BTreeMap<(u64, &str), (String, Option<String>)> = BTreeMap::new();
    let days = [
        "2026-01-05",
        "2026-02-10",
        "2026-03-15",
        "2026-04-20",
        "2026-05-25",
    ];
    let mut rng = crate::keysets::Rng(0x9e37_79b9);
    let mut next = |n: u64| rng.below(n);
    for round in 0..6 {
        let mut recs = Vec::new();
        for _ in 0..3_000 {
            let (i, t) = (next(5_000), ["a", "b", "c"][next(3) as usize]);
            let granted = days[next(5) as usize].to_string();
            let withdrawn = (next(4) == 0).then(|| days[next(5) as usize].to_string());
            recs.push(ConsentRecord {
                subject: k.subject_hash(format!("p{i}").as_bytes()),
                transfer: t.into(),
                granted_at: granted.clone(),
                withdrawn_at: withdrawn.clone(),
            });
            model.insert((i, t), (granted, withdrawn));
        }
        s.consent_import(k, &recs, &format!("round {round}"))
            .unwrap();
        for _ in 0..20 {
            let i = next(5_000);
            let at = days[next(5) as usize];
            let only = (next(2) == 0).then(|| ["a", "b", "c"][next(3) as usize]);
            s.consent_withdraw(k, k.subject_hash(format!("p{i}").as_bytes()), only, at)
                .unwrap();
            for ((j, t), (_, w)) in model.iter_mut() {
                if *j == i && only.is_none_or(|o| o == *t) && w.is_none() {
                    *w = Some(at.to_string());
                }
            }
        }
        // Merges in their own transactions every other round; between them
        // a batch's backstop merges inside (runs pile up: a run a withdrawal).
        if round % 2 == 1 {
            s.merge_runs(k).unwrap();
        }
    }
    for t in ["a", "b", "c"] {
        for on in [
            "2026-01-04",
            "2026-01-05",
            "2026-03-14",
            "2026-03-15",
            "2026-06-01",
        ] {
            let mut want: Vec<[u8; 16]> = model
                .iter()
                .filter(|((_, x), (g, w))| {
                    *x == t && g.as_str() <= on && w.as_deref().is_none_or(|w| w > on)
                })
                .map(|((i, _), _)| k.subject_hash(format!("p{i}").as_bytes()))
                .collect();
            want.sort_unstable();
            let mut got = s.consent_register(t, on).unwrap().take_subjects();
            got.sort_unstable();
            assert_eq!(got, want, "{t} {on}");
        }
    }
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

fn import_since_the_read_is_a_conflict(s: &Store, k: &Keys) {
    imported(s, k);
    let reg = s.consent_register("t", "2026-05-01").unwrap();
    s.consent_withdraw(k, k.subject_hash(b"p0"), Some("t"), "2026-04-01")
        .unwrap();
    let entries = s.audit_entries().unwrap().len();
    let e = batch(s, k, &["p0"], &reg, false).unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    assert_nothing_written(s, entries, "withdrawn since the read");
    // Read again: p0 no longer consents, and the batch records.
    let mut reg = s.consent_register("t", "2026-05-01").unwrap();
    assert!(!reg.take_subjects().contains(&k.subject_hash(b"p0")));
    let r = batch(s, k, &["p5"], &reg, false).unwrap();
    assert!(matches!(r, Recorded::Committed { .. }), "{r:?}");
}

fn register_of_another_transfer_is_refused(s: &Store, k: &Keys) {
    imported(s, k);
    let reg = s.consent_register("u", "2026-05-01").unwrap();
    let e = batch(s, k, &["p0"], &reg, false).unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
}

both!(fixture "v14" as sqlite_v14, postgres_v14:
    malformed_row_is_an_error_not_a_skip,
    consents_made_before_the_index_read_the_same_after_it,
);

/// A row of the wrong type (on SQLite a text subject; on PostgreSQL, whose
/// column is typed, the same literal is a 4-byte subject) is an error of
/// the read, never a row skipped:
/// the rows are read for a transfer whose consents predate the index (the
/// schema 14 fixture's `crm`), and by the first write that builds it.
fn malformed_row_is_an_error_not_a_skip(s: &Store, k: &Keys) {
    let before = s
        .consent_register("crm", "2025-03-01")
        .unwrap()
        .take_subjects()
        .len();
    assert_eq!(before, 500);
    tamper(
        s,
        "INSERT INTO consents (subject, transfer, granted_at, withdrawn_at) VALUES ('text', 'crm', '2026-01-01', NULL)",
    );
    let e = s.consent_register("crm", "2026-05-01").unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Malformed {
                what: "consents",
                ..
            }
        ),
        "{e}"
    );
    // The next write (here a batch) reads every row too: an error, nothing written.
    let entries = s.audit_entries().unwrap().len();
    let mut rec = record("crm");
    rec.recipient = "acme-us".into();
    let r = s.record_batch(k, &rec, 2026, &subjects(k, &["p0"], false), false, ok);
    assert!(r.is_err(), "{r:?}");
    assert_eq!(s.audit_entries().unwrap().len(), entries);
}

/// The fixture's consents (made before the index) read from the rows, then
/// from the index its next batch builds: the same subjects on every day.
fn consents_made_before_the_index_read_the_same_after_it(s: &Store, k: &Keys) {
    let days = [
        "2025-01-01",
        "2025-01-02",
        "2025-05-31",
        "2025-06-01",
        "2026-05-01",
    ];
    let read = |s: &Store| -> Vec<Vec<[u8; 16]>> {
        days.iter()
            .map(|on| {
                let mut v = s.consent_register("crm", on).unwrap().take_subjects();
                v.sort_unstable();
                v
            })
            .collect()
    };
    let rows = read(s);
    assert_eq!(
        rows.iter().map(Vec::len).collect::<Vec<_>>(),
        [0, 500, 500, 400, 400]
    );
    let mut rec = record("crm");
    rec.recipient = "acme-us".into();
    let reg = s.consent_register("crm", "2026-05-01").unwrap();
    let r = s
        .record_batch_consented(
            k,
            &rec,
            outbound_store::BatchDay::year(2026),
            &subjects(k, &["p-new"], false),
            (Some(&reg), &[]),
            false,
            |c, _| ok(c),
        )
        .unwrap();
    assert!(matches!(r, Recorded::Committed { .. }), "{r:?}");
    // The index now exists and is what is read: a row edited behind the log
    // changes nothing the register returns.
    tamper(
        s,
        "UPDATE consents SET withdrawn_at = NULL WHERE transfer = 'crm'",
    );
    assert_eq!(read(s), rows);
    let v = s.audit_verify(k).unwrap();
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("consents of transfer")),
        "{:?}",
        v.problems
    );
}
