//! Reviews of recipients and their findings on both backends: recorded with
//! who made them, ids, kind and severities (never the texts) in the audit log;
//! a finding closed once, as fixed or accepted, with who and when; bad input
//! refused with nothing stored; a row slipped in or edited behind the log
//! found by `audit verify` and refused at the next write.

use outbound_store::reviews::{FindingState, NewFinding, NewReview, ReviewKind, Severity, check};
use outbound_store::{Keys, Role, Store, StoreError};

use crate::store::tamper;

both!(
    a_review_is_logged_with_ids_and_severities_but_not_its_texts,
    a_finding_is_closed_once_with_who_and_when,
    bad_input_is_refused_and_nothing_is_stored,
    a_review_slipped_into_the_table_is_found,
    a_finding_closed_in_the_table_is_found,
    a_finding_slipped_into_the_table_is_found,
);

fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

fn new(recipient: &str) -> NewReview {
    NewReview {
        recipient: recipient.into(),
        date: "2026-03-02".into(),
        kind: ReviewKind::OnSite,
        summary: "Visited the Frankfurt data centre; access logs kept 90 days.".into(),
        findings: vec![
            NewFinding {
                severity: Severity::High,
                text: "Backups are not encrypted at rest".into(),
            },
            NewFinding {
                severity: Severity::Low,
                text: "Retention schedule not published internally".into(),
            },
        ],
    }
}

fn last_entry(s: &Store) -> (String, String, serde_json::Value) {
    let e = s.audit_entries().unwrap().pop().unwrap();
    let body = serde_json::from_str(&e.body).unwrap();
    (e.kind, e.body, body)
}

fn a_review_is_logged_with_ids_and_severities_but_not_its_texts(s: &Store, k: &Keys) {
    let r = s.record_review(k, "ana", &new("metricly")).unwrap();
    assert_eq!(
        (r.id, r.by.as_str(), r.kind),
        (1, "ana", ReviewKind::OnSite)
    );
    assert_eq!(r.date, "2026-03-02");
    assert_eq!(r.findings.len(), 2);
    assert_eq!(
        r.findings
            .iter()
            .map(|f| (f.id, f.review, f.severity, f.state))
            .collect::<Vec<_>>(),
        [
            (1, 1, Severity::High, FindingState::Open),
            (2, 1, Severity::Low, FindingState::Open)
        ]
    );
    let (kind, text, body) = last_entry(s);
    assert_eq!(kind, "review_recorded");
    assert_eq!(body["review"], 1);
    assert_eq!(body["recipient"], "metricly");
    assert_eq!(body["kind"], "on_site");
    assert_eq!(body["date"], "2026-03-02");
    assert_eq!(body["by"], "ana");
    assert_eq!(body["findings"][0]["finding"], 1);
    assert_eq!(body["findings"][0]["severity"], "high");
    assert_eq!(body["findings"][1]["severity"], "low");
    for secret in ["Frankfurt", "Backups", "Retention"] {
        assert!(!text.contains(secret), "no text in the log: {text}");
    }
    // A second review numbers its findings after the first's, across recipients.
    let mut other = new("lumen-inc");
    other.kind = ReviewKind::Desk;
    other.findings.truncate(1);
    let r2 = s.record_review(k, "ana", &other).unwrap();
    assert_eq!((r2.id, r2.findings[0].id), (2, 3));
    assert_eq!(
        s.reviews(Some("metricly")).unwrap(),
        std::slice::from_ref(&r)
    );
    assert_eq!(s.reviews(None).unwrap().len(), 2);
    assert_eq!(s.findings(Some("lumen-inc")).unwrap().len(), 1);
    assert_eq!(s.finding(3).unwrap().unwrap().recipient, "lumen-inc");
    assert!(s.finding(9).unwrap().is_none());
    // A review without findings is a review.
    let mut clean = new("metricly");
    clean.kind = ReviewKind::AuditReport;
    clean.findings.clear();
    let r3 = s.record_review(k, "ana", &clean).unwrap();
    assert!(r3.findings.is_empty());
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn a_finding_is_closed_once_with_who_and_when(s: &Store, k: &Keys) {
    s.record_review(k, "ana", &new("metricly")).unwrap();
    let f = s
        .set_finding_state(k, "bo", 1, FindingState::Fixed)
        .unwrap();
    assert_eq!(f.state, FindingState::Fixed);
    assert_eq!(f.closed_by.as_deref(), Some("bo"));
    assert!(f.closed_at.as_deref().is_some_and(|t| t.ends_with('Z')));
    let (kind, text, body) = last_entry(s);
    assert_eq!(kind, "finding_changed");
    assert_eq!(body["finding"], 1);
    assert_eq!(body["review"], 1);
    assert_eq!(body["severity"], "high");
    assert_eq!(body["from"], "open");
    assert_eq!(body["state"], "fixed");
    assert_eq!(body["by"], "bo");
    assert!(!text.contains("Backups"), "{text}");
    let accepted = s
        .set_finding_state(k, "ana", 2, FindingState::Accepted)
        .unwrap();
    assert_eq!(accepted.state, FindingState::Accepted);

    let before = s.audit_entries().unwrap().len();
    let e = s
        .set_finding_state(k, "ana", 1, FindingState::Accepted)
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    assert!(e.to_string().contains("already fixed"), "{e}");
    let e = s
        .set_finding_state(k, "ana", 7, FindingState::Fixed)
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    let e = s
        .set_finding_state(k, "ana", 1, FindingState::Open)
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    assert_eq!(s.audit_entries().unwrap().len(), before);
    assert_eq!(s.finding(1).unwrap().unwrap(), f);
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn bad_input_is_refused_and_nothing_is_stored(s: &Store, k: &Keys) {
    let before = s.audit_entries().unwrap().len();
    let tomorrow = today().tomorrow().unwrap().to_string();
    let mut cases: Vec<(NewReview, &str)> = Vec::new();
    let mut r = new("metricly");
    r.date = tomorrow.clone();
    cases.push((r, "after today"));
    let mut r = new("metricly");
    r.date = "2026-3-2".into();
    cases.push((r, "YYYY-MM-DD"));
    let mut r = new("metricly");
    r.date = "2026-02-30".into();
    cases.push((r, "YYYY-MM-DD"));
    let mut r = new("metricly");
    r.summary = "x".repeat(2001);
    cases.push((r, "2001 characters"));
    let mut r = new("metricly");
    r.summary = "  ".into();
    cases.push((r, "summary is empty"));
    let mut r = new("metricly");
    r.findings[1].text = "x".repeat(301);
    cases.push((r, "finding 2 has 301 characters"));
    let mut r = new("metricly");
    r.findings[0].text = " ".into();
    cases.push((r, "finding 1 has no text"));
    let mut r = new("metricly");
    r.findings = vec![r.findings[0].clone(); 51];
    cases.push((r, "at most 50"));
    let mut r = new("");
    r.findings.clear();
    cases.push((r, "recipient"));
    for (r, says) in cases {
        let e = s.record_review(k, "ana", &r).unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{says}: {e}");
        assert!(e.to_string().contains(says), "{says}: {e}");
        assert!(!e.to_string().contains("xxxx"), "no input echoed: {e}");
    }
    let e = s.record_review(k, "a\nb", &new("metricly")).unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    assert!(s.reviews(None).unwrap().is_empty());
    assert!(s.findings(None).unwrap().is_empty());
    assert_eq!(s.audit_entries().unwrap().len(), before);

    // The boundaries are accepted: today, 2,000 and 300 characters (in
    // Chinese: characters, not bytes), 50 findings.
    let mut r = new("metricly");
    r.date = today().to_string();
    r.summary = "审".repeat(2000);
    r.findings = vec![
        NewFinding {
            severity: Severity::Medium,
            text: "项".repeat(300),
        };
        50
    ];
    assert!(check(&r, "ana", today()).is_ok());
    let stored = s.record_review(k, "ana", &r).unwrap();
    assert_eq!(stored.findings.len(), 50);
    assert_eq!(stored.date, today().to_string());
    assert!("on_site".parse::<ReviewKind>().is_ok());
    let e = "onsite".parse::<ReviewKind>().unwrap_err();
    assert!(e.to_string().contains("desk, on_site, audit_report"), "{e}");
    assert!("critical".parse::<Severity>().is_err());
    assert_eq!(
        "accepted".parse::<FindingState>().unwrap(),
        FindingState::Accepted
    );
}

fn assert_found_and_refused(s: &Store, k: &Keys, what: &str) {
    let r = s.audit_verify(k).unwrap();
    assert!(
        !r.problems.is_empty(),
        "{what}: `audit verify` found nothing"
    );
    let before = s.audit_entries().unwrap().len();
    let e = s.record_review(k, "ana", &new("metricly")).unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{what}: {e}");
    assert!(
        e.to_string().contains("reviews of recipients"),
        "{what}: {e}"
    );
    let e = s
        .add_account(k, "cli", "late", Role::Auditor, None, None)
        .unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{what}: {e}");
    assert_eq!(s.audit_entries().unwrap().len(), before, "{what}");
}

fn a_review_slipped_into_the_table_is_found(s: &Store, k: &Keys) {
    s.record_review(k, "ana", &new("metricly")).unwrap();
    tamper(
        s,
        "INSERT INTO reviews (id, recipient, reviewed_on, recorded_at, by_account, kind, summary) \
         VALUES (2, 'metricly', '2026-03-03', '2026-03-03T00:00:00Z', 'mallory', 'audit_report', 'all fine')",
    );
    assert_found_and_refused(s, k, "an inserted review");
}

fn a_finding_closed_in_the_table_is_found(s: &Store, k: &Keys) {
    s.record_review(k, "ana", &new("metricly")).unwrap();
    tamper(
        s,
        "UPDATE findings SET state = 'accepted', closed_by = 'ana', closed_at = '2026-03-03T00:00:00Z' WHERE id = 1",
    );
    assert_found_and_refused(s, k, "a high finding closed behind the log");
}

fn a_finding_slipped_into_the_table_is_found(s: &Store, k: &Keys) {
    s.record_review(k, "ana", &new("metricly")).unwrap();
    tamper(
        s,
        "INSERT INTO findings (id, review, recipient, severity, text, state, closed_by, closed_at) \
         VALUES (3, 1, 'metricly', 'low', 'x', 'fixed', 'ana', '2026-03-03T00:00:00Z')",
    );
    assert_found_and_refused(s, k, "an inserted finding");
}
