//! An audit append skips the full state check only when the store is
//! byte for byte as this process left it after its last append. Whoever
//! edits the store between two appends is judged exactly as before: for
//! every tampering case, the next append of a process that kept the
//! fingerprint gives the same answer as that of a process that did not.
//! Run once per backend.

use outbound_store::{Keys, Role, Store};

use crate::store::{fresh, tamper};
use crate::tamper_tables::{cases, history};

fn append(s: &Store, k: &Keys, n: u64) -> Result<u64, String> {
    s.audit_append(k, "test", &serde_json::json!({"n": n}))
        .map(|(i, _)| i)
        .map_err(|e| e.to_string())
}

/// A history with every kind of small table holding a row, then one append
/// (which keeps the fingerprint).
fn setup(s: &Store, k: &Keys) {
    history(s, k);
    s.add_account(k, "cli", "ana", Role::Admin, None, Some("$argon2id$x"))
        .unwrap();
    s.add_token(k, "cli", "ana", &"ab".repeat(32)).unwrap();
    append(s, k, 0).unwrap();
}

/// Edits of what the fingerprint must cover beyond the tamper suite's cases.
fn more_cases(s: &Store) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("accounts: role raised", "UPDATE accounts SET role = 'compliance'".to_string()),
        ("accounts: inserted", "INSERT INTO accounts (name, role, recipient, password_hash, created_at) SELECT 'eve', role, recipient, password_hash, created_at FROM accounts WHERE name = 'ana'".into()),
        ("tokens: deleted", "DELETE FROM tokens".into()),
        ("tokens: edited", "UPDATE tokens SET created_at = '2020-01-01'".into()),
        ("ledger_state: digest edited", "UPDATE ledger_state SET digest = '00' WHERE part LIKE '%routes%'".into()),
        ("tree_heads: newest dropped", "DELETE FROM tree_heads WHERE size = (SELECT MAX(size) FROM tree_heads)".into()),
        ("audit_entries: last dropped", "DELETE FROM audit_entries WHERE idx = (SELECT MAX(idx) FROM audit_entries)".into()),
        ("meta: audit_tree emptied", "UPDATE meta SET value = '' WHERE key = 'audit_tree'".into()),
        ("harmless: the lock row", "UPDATE meta SET value = 'x' WHERE key = 'lock'".into()),
        ("harmless: a complaint", "INSERT INTO complaints (tracking, at, text, contact, transfer) VALUES ('c1', '2026-01-01', 'x', NULL, NULL)".into()),
    ];
    if s.backend == outbound_store::Backend::Sqlite {
        // A byte after a NUL: the same text up to it.
        v.push((
            "accounts: bytes after a NUL",
            "UPDATE accounts SET password_hash = password_hash || char(0) || 'x' WHERE name = 'ana'".into(),
        ));
    }
    v
}

/// The next append after `sql`, with the fingerprint kept and without.
fn both_ways(pg: bool, what: &str, sql: impl Fn(&Store) -> String) {
    let Some((a, k, _d)) = fresh(pg) else { return };
    setup(&a, &k);
    let checks = a.audit_full_checks();
    tamper(&a, &sql(&a));
    let kept = append(&a, &k, 1);

    let Some((b, k2, _d2)) = fresh(pg) else {
        return;
    };
    setup(&b, &k2);
    let reopened = Store::open(&b.location.replace("***", "")).unwrap();
    drop(b);
    tamper(&reopened, &sql(&reopened));
    let fresh_check = append(&reopened, &k2, 1);
    assert_eq!(
        kept.is_ok(),
        fresh_check.is_ok(),
        "{what}: with the fingerprint {kept:?}, with the full check {fresh_check:?}"
    );
    if let (Err(x), Err(y)) = (&kept, &fresh_check) {
        assert_eq!(x, y, "{what}");
    }
    if kept.is_err() {
        assert_eq!(
            a.audit_full_checks(),
            checks + 1,
            "{what}: the full check ran"
        );
    }
}

fn all_cases(pg: bool) {
    for case in cases() {
        both_ways(pg, case.what, case.sql);
    }
    let Some((s, _, _d)) = fresh(pg) else { return };
    for (what, sql) in more_cases(&s) {
        both_ways(pg, what, |_| sql.clone());
    }
}

/// The fingerprint is used: consecutive appends run the full check once,
/// a write by another path or process makes the next append check again.
fn skips_only_when_unchanged(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    history(&s, &k);
    let c0 = s.audit_full_checks();
    for n in 0..5 {
        append(&s, &k, n).unwrap();
    }
    assert_eq!(
        s.audit_full_checks(),
        c0 + 1,
        "one full check for five appends"
    );
    // Another process appends: the next append here checks in full, then skips again.
    let other = Store::open(&s.location.replace("***", "")).unwrap();
    append(&other, &k, 10).unwrap();
    append(&s, &k, 11).unwrap();
    append(&s, &k, 12).unwrap();
    assert_eq!(s.audit_full_checks(), c0 + 2);
    // Another signing key never reuses the fingerprint (and its heads do not verify).
    let dir = tempfile::tempdir().unwrap();
    let k2 = Keys::create(&dir.path().join("keys")).unwrap();
    assert!(append(&s, &k2, 13).is_err());
    assert_eq!(s.audit_full_checks(), c0 + 3);
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
}

#[test]
fn sqlite_tampering_is_judged_as_by_the_full_check() {
    all_cases(false)
}

#[test]
fn postgres_tampering_is_judged_as_by_the_full_check() {
    all_cases(true)
}

#[test]
fn sqlite_skips_only_when_unchanged() {
    skips_only_when_unchanged(false)
}

#[test]
fn postgres_skips_only_when_unchanged() {
    skips_only_when_unchanged(true)
}
