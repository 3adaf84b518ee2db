//! Accounts, tokens, sessions and complaints, on both backends: what the
//! server's sign-in and roles rest on, and that they are committed to by the
//! audit log like the ledger.

use outbound_store::{Keys, Role, Store, StoreError};

use crate::store::{fresh, tamper};

both!(
    accounts_are_unique_and_logged_with_who_made_them,
    tokens_resolve_to_their_account_only,
    an_account_slipped_into_the_database_is_found,
    a_token_slipped_into_the_database_is_found,
    a_role_changed_in_the_database_is_found,
    sessions_open_and_end,
    complaints_are_kept_but_not_logged_in_clear,
    route_changes_name_who_made_them,
);

fn last_entry(s: &Store) -> (String, serde_json::Value) {
    let e = s.audit_entries().unwrap().pop().unwrap();
    (e.kind, serde_json::from_str(&e.body).unwrap())
}

fn accounts_are_unique_and_logged_with_who_made_them(s: &Store, k: &Keys) {
    s.add_account(k, "cli", "ana", Role::Compliance, None, Some("$argon2id$x"))
        .unwrap();
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "account_added");
    assert_eq!(body["account"], "ana");
    assert_eq!(body["role"], "compliance");
    assert_eq!(body["by"], "cli");
    assert_eq!(body["password"], true);
    assert!(!body.to_string().contains("argon2id"), "no hash in the log");

    let e = s
        .add_account(k, "cli", "ana", Role::Admin, None, None)
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    assert_eq!(s.account("ana").unwrap().unwrap().role, Role::Compliance);

    s.add_account(k, "ana", "acme-us", Role::Recipient, Some("acme-us"), None)
        .unwrap();
    let all = s.accounts().unwrap();
    assert_eq!(
        all.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["acme-us", "ana"]
    );
    assert_eq!(all[0].recipient.as_deref(), Some("acme-us"));
    assert!(s.audit_verify(k).unwrap().problems.is_empty());

    s.set_password(k, "ana", "ana", "$argon2id$y").unwrap();
    assert_eq!(
        s.account("ana").unwrap().unwrap().password_hash.as_deref(),
        Some("$argon2id$y")
    );
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
    let e = s.set_password(k, "cli", "nobody", "h").unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
}

fn tokens_resolve_to_their_account_only(s: &Store, k: &Keys) {
    let e = s
        .add_token(k, "cli", "ghost", &"ab".repeat(32))
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    s.add_account(k, "cli", "eng", Role::Engineer, None, None)
        .unwrap();
    s.add_account(k, "cli", "reg", Role::Regulator, None, None)
        .unwrap();
    s.add_token(k, "cli", "eng", &"ab".repeat(32)).unwrap();
    s.add_token(k, "cli", "reg", &"cd".repeat(32)).unwrap();
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "token_created");
    assert_eq!(body["token"], "cdcdcdcd");
    assert!(
        !body.to_string().contains(&"cd".repeat(32)),
        "the log keeps a prefix only"
    );
    assert_eq!(
        s.account_by_token(k, &"ab".repeat(32))
            .unwrap()
            .unwrap()
            .name,
        "eng"
    );
    assert_eq!(
        s.account_by_token(k, &"cd".repeat(32))
            .unwrap()
            .unwrap()
            .role,
        Role::Regulator
    );
    assert!(s.account_by_token(k, &"ef".repeat(32)).unwrap().is_none());
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn assert_found_and_refused(s: &Store, k: &Keys, what: &str) {
    assert!(
        !s.audit_verify(k).unwrap().problems.is_empty(),
        "{what}: `audit verify` found nothing"
    );
    let before = s.audit_entries().unwrap().len();
    let e = s
        .add_account(k, "cli", "late", Role::Auditor, None, None)
        .unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{what}: {e}");
    assert_eq!(s.audit_entries().unwrap().len(), before, "{what}");
}

fn an_account_slipped_into_the_database_is_found(s: &Store, k: &Keys) {
    s.add_account(k, "cli", "ana", Role::Compliance, None, None)
        .unwrap();
    tamper(
        s,
        "INSERT INTO accounts (name, role, recipient, password_hash, created_at) \
         VALUES ('mallory', 'admin', NULL, NULL, '2026-11-30T00:00:00Z')",
    );
    assert_found_and_refused(s, k, "an inserted admin account");
}

fn a_token_slipped_into_the_database_is_found(s: &Store, k: &Keys) {
    s.add_account(k, "cli", "ana", Role::Admin, None, None)
        .unwrap();
    s.add_token(k, "cli", "ana", &"ab".repeat(32)).unwrap();
    tamper(
        s,
        &format!(
            "INSERT INTO tokens (hash, account, created_at) VALUES ('{}', 'ana', '2026-11-30T00:00:00Z')",
            "ee".repeat(32)
        ),
    );
    assert_found_and_refused(s, k, "an inserted token");
    // And the forged token does not sign anyone in: the lookup refuses.
    let e = s.account_by_token(k, &"ee".repeat(32)).unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{e}");
}

fn a_role_changed_in_the_database_is_found(s: &Store, k: &Keys) {
    s.add_account(k, "cli", "acme-us", Role::Recipient, Some("acme-us"), None)
        .unwrap();
    tamper(
        s,
        "UPDATE accounts SET role = 'admin' WHERE name = 'acme-us'",
    );
    assert_found_and_refused(s, k, "a recipient promoted to admin");
}

fn sessions_open_and_end(s: &Store, k: &Keys) {
    s.add_account(k, "cli", "ana", Role::Auditor, None, None)
        .unwrap();
    s.add_session("s1", "ana", "csrf1", "2026-11-30T12:00:00Z")
        .unwrap();
    s.add_session("s2", "ana", "csrf2", "2026-11-29T12:00:00Z")
        .unwrap();
    let (a, csrf, exp) = s.session(k, "s1").unwrap().unwrap();
    assert_eq!(
        (a.name.as_str(), csrf.as_str(), exp.as_str()),
        ("ana", "csrf1", "2026-11-30T12:00:00Z")
    );
    assert!(s.session(k, "nope").unwrap().is_none());
    // Signing out of s1 at 11:00 also clears s2, expired the day before.
    s.end_session("s1", "2026-11-30T11:00:00Z").unwrap();
    assert!(s.session(k, "s1").unwrap().is_none());
    assert!(s.session(k, "s2").unwrap().is_none());
    // A session for an account that does not exist is refused by the database.
    assert!(
        s.add_session("s3", "ghost", "c", "2099-01-01T00:00:00Z")
            .is_err()
    );
}

fn complaints_are_kept_but_not_logged_in_clear(s: &Store, k: &Keys) {
    let c = s
        .add_complaint(
            k,
            "T-1",
            "my data went to 王伟's reseller",
            Some("wang@example.invalid"),
            Some("crm-to-parent"),
        )
        .unwrap();
    assert_eq!(c.tracking, "T-1");
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "complaint_received");
    assert_eq!(body["tracking"], "T-1");
    assert_eq!(body["transfer"], "crm-to-parent");
    let logged = body.to_string();
    assert!(
        !logged.contains("王伟") && !logged.contains("example.invalid"),
        "{logged}"
    );
    let all = s.complaints().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].contact.as_deref(), Some("wang@example.invalid"));
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
    // A complaint deleted to hide it is found by a full verification (not
    // before every write: anyone can add complaints, see `complaint_parts`).
    tamper(s, "DELETE FROM complaints");
    assert!(
        !s.audit_verify(k).unwrap().problems.is_empty(),
        "a deleted complaint"
    );
}

fn route_changes_name_who_made_them(s: &Store, k: &Keys) {
    s.set_route(k, "ana", "t", true, "recipient in breach")
        .unwrap();
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "route_suspended");
    assert_eq!(body["by"], "ana");
}

#[test]
fn roles_parse_as_the_contract_spells_them() {
    for r in Role::ALL {
        assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
    }
    let e = "root".parse::<Role>().unwrap_err().to_string();
    assert!(e.contains("root") && e.contains("regulator"), "{e}");
}

/// A server calls the store from tokio's blocking pool and may drop it inside
/// a task: neither may panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_is_usable_from_a_server_runtime() {
    let (s, k, _d) = tokio::task::spawn_blocking(|| fresh(false).unwrap())
        .await
        .unwrap();
    let s = std::sync::Arc::new(s);
    let k = std::sync::Arc::new(k);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (s, k) = (s.clone(), k.clone());
        tasks.push(tokio::task::spawn_blocking(move || {
            s.add_account(&k, "cli", &format!("u{i}"), Role::Auditor, None, None)
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let check = s.clone();
    let (n, problems) = tokio::task::spawn_blocking(move || {
        (
            check.accounts().unwrap().len(),
            check.audit_verify(&k).unwrap().problems,
        )
    })
    .await
    .unwrap();
    assert_eq!(n, 8);
    assert!(problems.is_empty(), "{problems:?}");
    drop(s); // inside the runtime: must not panic
}
