//! The incident register on both backends: opened, notices recorded, closed,
//! logged without free text, and committed to by the audit log.

use outbound_store::incidents::{Incident, NewIncident, TITLE_MAX};
use outbound_store::{Keys, Role, Store, StoreError};

use crate::store::tamper;

both!(
    an_incident_opens_is_noticed_and_closes,
    bad_input_stores_nothing,
    notices_are_recorded_once_and_not_before_discovery,
    an_incident_slipped_into_the_database_is_found,
    an_incident_edited_in_the_database_is_found,
    incidents_are_listed_newest_first_past_inc_9999,
);

fn transfers(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn open(s: &Store, k: &Keys, title: &str, discovered: &str) -> Result<Incident, StoreError> {
    s.open_incident(
        k,
        "ana",
        &NewIncident {
            discovered_at: discovered,
            title,
            severity: "relatively_major",
            ciio: false,
            transfers: &transfers(&["t2", "t1", "t1"]),
            regimes: &transfers(&["CN", "EU"]),
            individuals_affected: Some(1200),
        },
    )
}

fn last_entry(s: &Store) -> (String, serde_json::Value) {
    let e = s.audit_entries().unwrap().pop().unwrap();
    (e.kind, serde_json::from_str(&e.body).unwrap())
}

fn an_incident_opens_is_noticed_and_closes(s: &Store, k: &Keys) {
    let i = open(s, k, "Misdirected export file", "2026-01-05T08:00:00+08:00").unwrap();
    assert_eq!(i.id, "inc-0001");
    assert_eq!(i.discovered_at, "2026-01-05T00:00:00Z", "normalised to UTC");
    assert_eq!(i.transfers, ["t1", "t2"], "sorted, once each");
    assert_eq!(i.regimes, ["CN", "EU"]);
    assert_eq!(i.state, "open");
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "incident_opened");
    assert_eq!(body["incident"], "inc-0001");
    assert_eq!(body["severity"], "relatively_major");
    assert_eq!(body["transfers"], serde_json::json!(["t1", "t2"]));
    assert_eq!(body["by"], "ana");
    assert!(
        !body.to_string().contains("Misdirected"),
        "no free text in the log: {body}"
    );

    let i = s
        .record_incident_notice(k, "ana", "inc-0001", "cn-cac-4h", "2026-01-05T03:59:59Z")
        .unwrap();
    assert_eq!(i.notices["cn-cac-4h"], "2026-01-05T03:59:59Z");
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "incident_notice");
    assert_eq!(body["clock"], "cn-cac-4h");

    let i = s
        .close_incident(
            k,
            "bo",
            "inc-0001",
            Some("Keys rotated; recipient deleted the file"),
        )
        .unwrap();
    assert_eq!(i.state, "closed");
    assert!(i.closed_at.is_some());
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "incident_closed");
    assert!(!body.to_string().contains("rotated"), "{body}");
    let before = s.audit_entries().unwrap().len();
    let e = s.close_incident(k, "bo", "inc-0001", None).unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    let e = s
        .record_incident_notice(
            k,
            "bo",
            "inc-0001",
            "eu-gdpr33-authority",
            "2026-01-05T04:00:00Z",
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    assert!(e.to_string().contains("closed"), "{e}");
    assert_eq!(s.audit_entries().unwrap().len(), before, "nothing logged");
    assert_eq!(
        s.incident("inc-0001").unwrap().unwrap(),
        i,
        "nothing stored"
    );

    let j = open(s, k, "Second", "2026-02-01T00:00:00Z").unwrap();
    assert_eq!(j.id, "inc-0002");
    let all = s.incidents().unwrap();
    assert_eq!(
        all.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["inc-0002", "inc-0001"]
    );
    assert_eq!(s.incident("inc-0001").unwrap().unwrap(), i);
    assert!(s.incident("inc-9999").unwrap().is_none());
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn bad_input_stores_nothing(s: &Store, k: &Keys) {
    let before = s.audit_entries().unwrap().len();
    let long = "x".repeat(TITLE_MAX + 1);
    for (title, discovered, what) in [
        (long.as_str(), "2026-01-05T00:00:00Z", "characters"),
        ("", "2026-01-05T00:00:00Z", "empty"),
        ("two\nlines", "2026-01-05T00:00:00Z", "one line"),
        ("ok", "2999-01-01T00:00:00Z", "future"),
        ("ok", "yesterday", "RFC 3339"),
    ] {
        let e = open(s, k, title, discovered).unwrap_err();
        assert!(e.to_string().contains(what), "{what}: {e}");
        assert!(
            !e.to_string().contains(&"x".repeat(20)),
            "the title is not echoed"
        );
    }
    let e = s
        .open_incident(
            k,
            "ana",
            &NewIncident {
                discovered_at: "2026-01-05T00:00:00Z",
                title: "ok",
                severity: "general",
                ciio: false,
                transfers: &[],
                regimes: &[],
                individuals_affected: None,
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("transfer"), "{e}");
    // Exactly TITLE_MAX characters (multi-byte) is accepted.
    open(s, k, &"事".repeat(TITLE_MAX), "2026-01-05T00:00:00Z").unwrap();
    assert_eq!(s.incidents().unwrap().len(), 1);
    assert_eq!(s.audit_entries().unwrap().len(), before + 1);
    let e = s
        .record_incident_notice(
            k,
            "ana",
            "inc-0404",
            "eu-gdpr33-authority",
            "2026-01-05T00:00:00Z",
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
}

fn notices_are_recorded_once_and_not_before_discovery(s: &Store, k: &Keys) {
    open(s, k, "t", "2026-01-05T00:00:00Z").unwrap();
    let e = s
        .record_incident_notice(
            k,
            "ana",
            "inc-0001",
            "eu-gdpr33-authority",
            "2026-01-04T23:59:59Z",
        )
        .unwrap_err();
    assert!(e.to_string().contains("before"), "{e}");
    let e = s
        .record_incident_notice(
            k,
            "ana",
            "inc-0001",
            "eu-gdpr33-authority",
            "2999-01-01T00:00:00Z",
        )
        .unwrap_err();
    assert!(e.to_string().contains("future"), "{e}");
    let e = s
        .record_incident_notice(k, "ana", "inc-0001", "../x", "2026-01-05T00:00:00Z")
        .unwrap_err();
    assert!(e.to_string().contains("clock id"), "{e}");
    s.record_incident_notice(
        k,
        "ana",
        "inc-0001",
        "eu-gdpr33-authority",
        "2026-01-05T00:00:00Z",
    )
    .unwrap();
    let e = s
        .record_incident_notice(
            k,
            "ana",
            "inc-0001",
            "eu-gdpr33-authority",
            "2026-01-06T00:00:00Z",
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    assert_eq!(
        s.incident("inc-0001").unwrap().unwrap().notices["eu-gdpr33-authority"],
        "2026-01-05T00:00:00Z"
    );
}

fn assert_found_and_refused(s: &Store, k: &Keys, what: &str) {
    let problems = s.audit_verify(k).unwrap().problems;
    assert!(!problems.is_empty(), "{what}: `audit verify` found nothing");
    let before = s.audit_entries().unwrap().len();
    let e = s
        .add_account(k, "cli", "late", Role::Auditor, None, None)
        .unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{what}: {e}");
    assert!(e.to_string().contains("incident register"), "{what}: {e}");
    let e = open(s, k, "late", "2026-01-05T00:00:00Z").unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{what}: {e}");
    assert_eq!(s.audit_entries().unwrap().len(), before, "{what}");
}

fn an_incident_slipped_into_the_database_is_found(s: &Store, k: &Keys) {
    open(s, k, "real", "2026-01-05T00:00:00Z").unwrap();
    tamper(
        s,
        "INSERT INTO incidents (id, opened_at, discovered_at, title, severity, ciio, transfers, \
         regimes, individuals_affected, state, closed_at, measures, notices) VALUES ('inc-0002', \
         '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z', 'forged', 'general', 0, '[\"t1\"]', '[]', \
         NULL, 'closed', NULL, NULL, '{}')",
    );
    assert_found_and_refused(s, k, "an inserted incident");
}

fn an_incident_edited_in_the_database_is_found(s: &Store, k: &Keys) {
    open(s, k, "real", "2026-01-05T00:00:00Z").unwrap();
    // A missed clock backdated to look met.
    tamper(
        s,
        "UPDATE incidents SET notices = '{\"cn-cac-4h\":\"2026-01-05T01:00:00Z\"}' WHERE id = 'inc-0001'",
    );
    assert_found_and_refused(s, k, "a notice backdated");
}

/// Numbers past four digits still list newest first (`inc-10000` after
/// `inc-9999`, which a comparison of the ids as text puts first).
fn incidents_are_listed_newest_first_past_inc_9999(s: &Store, k: &Keys) {
    for title in ["First", "Second", "Third"] {
        open(s, k, title, "2026-01-05T08:00:00Z").unwrap();
    }
    // As if 9,998 more had come between (renumbered behind the log: the
    // listing reads the rows, whatever the digests say).
    for (from, to) in [
        ("inc-0001", "inc-9999"),
        ("inc-0002", "inc-10000"),
        ("inc-0003", "inc-10001"),
    ] {
        tamper(
            s,
            &format!("UPDATE incidents SET id = '{to}' WHERE id = '{from}'"),
        );
    }
    let ids: Vec<String> = s.incidents().unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(ids, ["inc-10001", "inc-10000", "inc-9999"]);
}
