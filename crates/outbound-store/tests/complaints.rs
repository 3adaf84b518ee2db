//! Complaint handling on both backends: triage, answer, what the log says
//! (never the text or contact), bad input storing nothing, and a handling row
//! edited behind the log found and refused.

use outbound_store::complaints::{ComplaintState, Triage};
use outbound_store::{Keys, Store, StoreError};

use crate::store::tamper;

both!(
    a_complaint_is_triaged_then_answered_and_logged_without_its_text,
    bad_input_is_refused_and_nothing_is_stored,
    a_handling_row_edited_behind_the_log_is_found_and_refused,
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
