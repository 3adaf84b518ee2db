//! The consent register as a gate's run reads it: once, a page to a row,
//! and confirmed against the audit log when the batch is recorded. What a
//! run filtered by must be what the log commits to: a row forged before the
//! read (kept or removed again) and a register changed since the read both
//! refuse the batch, with nothing written. Run once per backend.

use outbound_store::{ConsentRecord, Keys, Recorded, Store, StoreError};

use crate::store::{ok, record, subjects, tamper};

fn blob(s: &Store, b: &[u8]) -> String {
    match s.backend {
        outbound_store::Backend::Sqlite => format!("X'{}'", hex::encode(b)),
        outbound_store::Backend::Postgres => format!("decode('{}', 'hex')", hex::encode(b)),
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { if let Some((s, k, _d)) = crate::store::fresh(false) { super::$name(&s, &k) } } )* }
        mod postgres { $( #[test] fn $name() { if let Some((s, k, _d)) = crate::store::fresh(true) { super::$name(&s, &k) } } )* }
    };
}

both!(
    register_pages_and_validity_match_a_model,
    register_read_once_records_and_counts,
    forged_row_kept_is_refused,
    forged_row_removed_again_is_refused,
    import_since_the_read_is_a_conflict,
    register_of_another_transfer_is_refused,
    malformed_row_is_an_error_not_a_skip,
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

fn forged_row_kept_is_refused(s: &Store, k: &Keys) {
    imported(s, k);
    let entries = s.audit_entries().unwrap().len();
    tamper(s, &forged(s, k));
    let mut reg = s.consent_register("t", "2026-05-01").unwrap();
    assert!(
        reg.take_subjects().contains(&k.subject_hash(b"forged")),
        "the read itself is not trusted"
    );
    let reg = s.consent_register("t", "2026-05-01").unwrap();
    let e = batch(s, k, &["forged"], &reg, false).unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{e}");
    assert!(
        e.to_string().contains("the consents of transfer \"t\""),
        "{e}"
    );
    assert_nothing_written(s, entries, "forged row kept");
    // And without a register (the check reads the rows itself), the same.
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
}

/// A row forged for the read and removed before the batch is recorded: the
/// rows now match the log, but not what the run filtered by.
fn forged_row_removed_again_is_refused(s: &Store, k: &Keys) {
    imported(s, k);
    let entries = s.audit_entries().unwrap().len();
    tamper(s, &forged(s, k));
    let reg = s.consent_register("t", "2026-05-01").unwrap();
    tamper(
        s,
        &format!(
            "DELETE FROM consents WHERE subject = {}",
            blob(s, &k.subject_hash(b"forged"))
        ),
    );
    let e = batch(s, k, &["forged"], &reg, false).unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    assert!(e.to_string().contains("run the gate again"), "{e}");
    assert_nothing_written(s, entries, "forged row removed again");
    // An edited row (a withdrawal undone), read and kept: the store does not verify.
    tamper(
        s,
        "UPDATE consents SET withdrawn_at = NULL WHERE withdrawn_at = '2026-03-01'",
    );
    let mut reg = s.consent_register("t", "2026-05-01").unwrap();
    assert_eq!(reg.take_subjects().len(), 12, "the read sees the edit");
    let e = batch(s, k, &["p2"], &reg, false).unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{e}");
    assert_nothing_written(s, entries, "edited row");
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

/// A row of the wrong type is an error of the read, never a row skipped.
fn malformed_row_is_an_error_not_a_skip(s: &Store, k: &Keys) {
    imported(s, k);
    if s.backend == outbound_store::Backend::Sqlite {
        tamper(
            s,
            "INSERT INTO consents (subject, transfer, granted_at, withdrawn_at) VALUES ('text', 't', '2026-01-01', NULL)",
        );
    } else {
        // PostgreSQL's columns are typed: a NULL date, once the constraint is dropped.
        tamper(
            s,
            "ALTER TABLE consents ALTER COLUMN granted_at DROP NOT NULL",
        );
        tamper(
            s,
            &format!(
                "INSERT INTO consents (subject, transfer, granted_at, withdrawn_at) VALUES ({}, 't', NULL, NULL)",
                blob(s, &[1; 16])
            ),
        );
    }
    let e = s.consent_register("t", "2026-05-01").unwrap_err();
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
    assert!(matches!(e, StoreError::Malformed { .. }), "{e}");
}
