//! Complaint handling on both backends: triage, answer, what the log says
//! (never the text or contact), bad input storing nothing, and a handling row
//! edited behind the log found and refused.

use outbound_store::complaints::{ComplaintQuery, ComplaintState, Triage};
use outbound_store::{Keys, Store, StoreError};

use crate::store::tamper;

both!(
    a_complaint_is_triaged_then_answered_and_logged_without_its_text,
    bad_input_is_refused_and_nothing_is_stored,
    a_handling_row_edited_behind_the_log_is_found_and_refused,
    complaints_come_a_page_at_a_time,
);

const TEXT: &str = "王伟's order history went to a reseller";
const CONTACT: &str = "wang@example.invalid";
const ANSWER: &str = "Dear 王伟, we stopped the transfer";

fn last_entry(s: &Store) -> (String, serde_json::Value) {
    let e = s.audit_entries().unwrap().pop().unwrap();
    (e.kind, serde_json::from_str(&e.body).unwrap())
}

fn triage(category: &str) -> Triage {
    Triage {
        category: category.into(),
        transfer: Some("crm-to-parent".into()),
        recipient: Some("acme-us".into()),
        due: Some("2026-12-30".into()),
        rule: Some("gbt35273-8.7".into()),
    }
}

fn received(s: &Store, k: &Keys) {
    s.add_complaint(k, "C-1", TEXT, Some(CONTACT), Some("crm-to-parent"))
        .unwrap();
}

fn no_personal_data(body: &serde_json::Value) {
    let logged = body.to_string();
    for pd in ["王伟", "example.invalid", "reseller", "stopped"] {
        assert!(!logged.contains(pd), "{pd} in {logged}");
    }
}

fn a_complaint_is_triaged_then_answered_and_logged_without_its_text(s: &Store, k: &Keys) {
    received(s, k);
    let (c, h) = s.complaint("C-1").unwrap().unwrap();
    assert_eq!(c.contact.as_deref(), Some(CONTACT));
    assert!(h.is_none(), "received, not triaged");

    let h = s
        .triage_complaint(k, "ana", "C-1", &triage("processing"))
        .unwrap();
    assert_eq!(h.state(), ComplaintState::Triaged);
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "complaint_triaged");
    assert_eq!(body["tracking"], "C-1");
    assert_eq!(body["category"], "processing");
    assert_eq!(body["transfer"], "crm-to-parent");
    assert_eq!(body["recipient"], "acme-us");
    assert_eq!(body["due"], "2026-12-30");
    assert_eq!(body["rule"], "gbt35273-8.7");
    assert_eq!(body["by"], "ana");
    assert_eq!(body["again"], false);
    no_personal_data(&body);

    // Triage again (re-categorised) before the answer.
    let mut t = triage("rights_request");
    t.due = Some("2026-12-28".into());
    s.triage_complaint(k, "bo", "C-1", &t).unwrap();
    let (_, body) = last_entry(s);
    assert_eq!(body["again"], true);
    assert_eq!(body["by"], "bo");
    let h = s.complaint_handling("C-1").unwrap().unwrap();
    assert_eq!(h.category, "rights_request");
    assert_eq!(h.due.as_deref(), Some("2026-12-28"));
    assert_eq!(s.complaint_handlings().unwrap().len(), 1);

    let h = s
        .answer_complaint(k, "ana", "C-1", ANSWER, "partly_upheld")
        .unwrap();
    assert_eq!(h.state(), ComplaintState::Answered);
    assert_eq!(h.answer.as_deref(), Some(ANSWER));
    assert_eq!(h.answered_by.as_deref(), Some("ana"));
    assert_eq!(h.category, "rights_request", "triage kept");
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "complaint_answered");
    assert_eq!(body["outcome"], "partly_upheld");
    assert_eq!(body["by"], "ana");
    no_personal_data(&body);

    // Closed: neither a new triage nor a second answer.
    let n = s.audit_entries().unwrap().len();
    let e = s
        .triage_complaint(k, "ana", "C-1", &triage("other"))
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    let e = s
        .answer_complaint(k, "ana", "C-1", "again", "upheld")
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    assert_eq!(s.audit_entries().unwrap().len(), n);
    assert_eq!(
        s.complaint_handling("C-1")
            .unwrap()
            .unwrap()
            .outcome
            .as_deref(),
        Some("partly_upheld")
    );
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn bad_input_is_refused_and_nothing_is_stored(s: &Store, k: &Keys) {
    received(s, k);
    let n = s.audit_entries().unwrap().len();
    let huge = "x".repeat(10 * 1024 * 1024);

    // Unknown tracking id.
    let e = s
        .triage_complaint(k, "ana", "C-nope", &triage("other"))
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    let e = s
        .answer_complaint(k, "ana", "C-nope", "fine", "rejected")
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    // An answer on an untriaged complaint.
    let e = s
        .answer_complaint(k, "ana", "C-1", "fine", "rejected")
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    assert!(e.to_string().contains("triage it first"), "{e}");
    // A 10 MB field, an unknown outcome, a malformed due date, an empty answer.
    let e = s
        .answer_complaint(k, "ana", "C-1", &huge, "rejected")
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    assert!(
        e.to_string().len() < 200,
        "the error does not repeat the field"
    );
    let mut t = triage("other");
    t.category = huge.clone();
    let e = s.triage_complaint(k, "ana", "C-1", &t).unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    let mut t = triage("other");
    t.transfer = Some(huge.clone());
    let e = s.triage_complaint(k, "ana", "C-1", &t).unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    let mut t = triage("other");
    t.due = Some("30 days".into());
    let e = s.triage_complaint(k, "ana", "C-1", &t).unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    let e = s
        .answer_complaint(k, "ana", "C-1", "fine", "dismissed")
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    let e = s
        .answer_complaint(k, "ana", "C-1", "  ", "upheld")
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");

    assert_eq!(s.audit_entries().unwrap().len(), n, "nothing logged");
    assert!(
        s.complaint_handlings().unwrap().is_empty(),
        "nothing stored"
    );
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn a_handling_row_edited_behind_the_log_is_found_and_refused(s: &Store, k: &Keys) {
    received(s, k);
    s.add_complaint(k, "C-2", "another", None, None).unwrap();
    s.triage_complaint(k, "ana", "C-1", &triage("security"))
        .unwrap();
    s.answer_complaint(k, "ana", "C-1", ANSWER, "upheld")
        .unwrap();
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
    // The outcome rewritten behind the log's back.
    tamper(
        s,
        "UPDATE complaint_handling SET outcome = 'rejected' WHERE tracking = 'C-1'",
    );
    let report = s.audit_verify(k).unwrap();
    assert!(!report.problems.is_empty(), "audit verify finds it");
    let n = s.audit_entries().unwrap().len();
    let e = s
        .triage_complaint(k, "ana", "C-2", &triage("other"))
        .unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{e}");
    assert!(e.to_string().contains("complaint handling"), "{e}");
    assert_eq!(s.audit_entries().unwrap().len(), n, "nothing written");
    assert!(s.complaint_handling("C-2").unwrap().is_none());
}

/// A page: newest first (ties by tracking id), open or answered ones, after
/// a complaint, at most `limit`, each with its handling; and the counts.
fn complaints_come_a_page_at_a_time(s: &Store, k: &Keys) {
    for t in ["C-a", "C-b", "C-c", "C-d", "C-e"] {
        s.add_complaint(k, t, TEXT, None, None).unwrap();
    }
    s.triage_complaint(k, "ana", "C-b", &triage("processing"))
        .unwrap();
    s.triage_complaint(k, "ana", "C-d", &triage("processing"))
        .unwrap();
    s.answer_complaint(k, "ana", "C-d", ANSWER, "partly_upheld")
        .unwrap();
    // Received in this order, C-b and C-c in the same second (set behind
    // the log: the listing reads the rows, whatever the digests say).
    for (t, at) in [
        ("C-a", "2026-01-01T00:00:01Z"),
        ("C-b", "2026-01-01T00:00:02Z"),
        ("C-c", "2026-01-01T00:00:02Z"),
        ("C-d", "2026-01-01T00:00:03Z"),
        ("C-e", "2026-01-01T00:00:04Z"),
    ] {
        tamper(
            s,
            &format!("UPDATE complaints SET at = '{at}' WHERE tracking = '{t}'"),
        );
    }
    let page = |q: ComplaintQuery<'_>| -> Vec<(String, Option<String>)> {
        s.complaints_page(&q)
            .unwrap()
            .into_iter()
            .map(|(c, h)| (c.tracking, h.map(|h| h.state().as_str().to_string())))
            .collect()
    };
    let ids = |v: Vec<(String, Option<String>)>| v.into_iter().map(|e| e.0).collect::<Vec<_>>();
    assert_eq!(
        page(ComplaintQuery::default()),
        [
            ("C-e".to_string(), None),
            ("C-d".into(), Some("answered".to_string())),
            ("C-b".into(), Some("triaged".into())),
            ("C-c".into(), None),
            ("C-a".into(), None),
        ]
    );
    let open = ComplaintQuery {
        open: Some(true),
        ..ComplaintQuery::default()
    };
    assert_eq!(ids(page(open.clone())), ["C-e", "C-b", "C-c", "C-a"]);
    assert_eq!(
        ids(page(ComplaintQuery {
            open: Some(false),
            ..ComplaintQuery::default()
        })),
        ["C-d"]
    );
    assert_eq!(
        ids(page(ComplaintQuery {
            before: Some("C-b"),
            ..ComplaintQuery::default()
        })),
        ["C-c", "C-a"]
    );
    assert_eq!(
        ids(page(ComplaintQuery {
            before: Some("C-d"),
            limit: 2,
            ..open
        })),
        ["C-b", "C-c"]
    );
    let counts: Vec<(String, u64)> = s.complaint_counts().unwrap().into_iter().collect();
    assert_eq!(
        counts,
        [
            ("partly_upheld".to_string(), 1),
            ("received".into(), 3),
            ("triaged".into(), 1)
        ]
    );
}
