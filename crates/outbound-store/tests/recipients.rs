//! Recipients' attestations on both backends: recorded with who made them and
//! the evidence hashes (never the note) in the audit log, the latest per
//! obligation, bad input refused with nothing stored, and a row slipped into
//! the table found by `audit verify` and refused at the next write.

use outbound_store::recipients::{NewAttestation, Statement};
use outbound_store::{Keys, Role, Store, StoreError};

use crate::store::tamper;

both!(
    an_attestation_is_logged_with_its_evidence_but_not_its_note,
    the_latest_attestation_per_obligation_wins,
    bad_input_is_refused_and_nothing_is_stored,
    an_attestation_slipped_into_the_table_is_found,
    an_attestation_edited_in_the_table_is_found,
);

fn new(recipient: &str, obligation: &str, statement: Statement) -> NewAttestation {
    NewAttestation {
        recipient: recipient.into(),
        obligation: obligation.into(),
        statement,
        evidence_sha256: vec!["ab".repeat(32), "CD".repeat(32)],
        note: Some("王伟 at the DPO desk checked the backups".into()),
    }
}

fn an_attestation_is_logged_with_its_evidence_but_not_its_note(s: &Store, k: &Keys) {
    let a = s
        .attest(
            k,
            "metricly-dpo",
            &new("metricly", "sc-3-5", Statement::Attested),
        )
        .unwrap();
    assert_eq!(a.id, 1);
    assert_eq!(a.by, "metricly-dpo");
    assert_eq!(
        a.evidence_sha256,
        ["ab".repeat(32), "cd".repeat(32)],
        "hex kept lowercase"
    );
    let e = s.audit_entries().unwrap().pop().unwrap();
    assert_eq!(e.kind, "attestation");
    let body: serde_json::Value = serde_json::from_str(&e.body).unwrap();
    assert_eq!(body["recipient"], "metricly");
    assert_eq!(body["obligation"], "sc-3-5");
    assert_eq!(body["statement"], "attested");
    assert_eq!(body["by"], "metricly-dpo");
    assert_eq!(body["evidence_sha256"][1], "cd".repeat(32));
    assert!(
        !e.body.contains("王伟") && !e.body.contains("backups"),
        "no free text in the log: {}",
        e.body
    );
    assert_eq!(s.attestations(Some("metricly")).unwrap(), [a]);
    assert!(s.attestations(Some("lumen-inc")).unwrap().is_empty());
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn the_latest_attestation_per_obligation_wins(s: &Store, k: &Keys) {
    s.attest(k, "a", &new("metricly", "sc-3-5", Statement::Attested))
        .unwrap();
    s.attest(k, "a", &new("metricly", "sc-3-6", Statement::Attested))
        .unwrap();
    s.attest(k, "a", &new("lumen-inc", "sc-3-5", Statement::Attested))
        .unwrap();
    let mut late = new("metricly", "sc-3-5", Statement::NotMet);
    late.note = None;
    late.evidence_sha256.clear();
    s.attest(k, "b", &late).unwrap();
    let l = s.latest_attestations(Some("metricly")).unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(
        (l[0].obligation.as_str(), l[0].statement, l[0].id),
        ("sc-3-5", Statement::NotMet, 4)
    );
    assert_eq!((l[1].obligation.as_str(), l[1].id), ("sc-3-6", 2));
    assert!(l[0].evidence_sha256.is_empty() && l[0].note.is_none());
    assert_eq!(s.latest_attestations(None).unwrap().len(), 3);
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn bad_input_is_refused_and_nothing_is_stored(s: &Store, k: &Keys) {
    let before = s.audit_entries().unwrap().len();
    let mut cases = Vec::new();
    let mut a = new("metricly", "sc-3-5", Statement::Attested);
    a.evidence_sha256 = vec!["not-a-hash".into()];
    cases.push((a, "SHA-256"));
    let mut a = new("metricly", "sc-3-5", Statement::Attested);
    a.note = Some("x".repeat(501));
    cases.push((a, "501 characters"));
    let mut a = new("metricly", "sc-3-5", Statement::Attested);
    a.note = Some("字".repeat(500));
    let ok = a.clone();
    let mut a = new("", "sc-3-5", Statement::Attested);
    a.note = None;
    cases.push((a, "recipient"));
    let mut a = new("metricly", "sc\n3", Statement::Attested);
    a.note = None;
    cases.push((a, "obligation"));
    let mut a = new("metricly", "sc-3-5", Statement::Attested);
    a.evidence_sha256 = vec!["ab".repeat(32); 101];
    cases.push((a, "at most 100"));
    for (a, says) in cases {
        let e = s.attest(k, "cli", &a).unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
        assert!(e.to_string().contains(says), "{e}");
        assert!(!e.to_string().contains("xxxx"), "no input echoed: {e}");
    }
    assert!(s.attestations(None).unwrap().is_empty());
    assert_eq!(s.audit_entries().unwrap().len(), before);
    // Exactly 500 characters (1,500 bytes) is accepted.
    s.attest(k, "cli", &ok).unwrap();
    assert_eq!("not_met".parse::<Statement>().unwrap(), Statement::NotMet);
    assert!("met".parse::<Statement>().is_err());
}

fn assert_found_and_refused(s: &Store, k: &Keys, what: &str) {
    let r = s.audit_verify(k).unwrap();
    assert!(
        !r.problems.is_empty(),
        "{what}: `audit verify` found nothing"
    );
    let before = s.audit_entries().unwrap().len();
    let e = s
        .attest(k, "cli", &new("metricly", "sc-3-7", Statement::Attested))
        .unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{what}: {e}");
    assert!(e.to_string().contains("attestations"), "{what}: {e}");
    let e = s
        .add_account(k, "cli", "late", Role::Auditor, None, None)
        .unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{what}: {e}");
    assert_eq!(s.audit_entries().unwrap().len(), before, "{what}");
}

fn an_attestation_slipped_into_the_table_is_found(s: &Store, k: &Keys) {
    s.attest(k, "cli", &new("metricly", "sc-3-5", Statement::NotMet))
        .unwrap();
    tamper(
        s,
        "INSERT INTO attestations (id, recipient, obligation, attested_at, by_account, evidence, statement, note) \
         VALUES (2, 'metricly', 'sc-3-6', '2026-11-30T00:00:00Z', 'mallory', '[]', 'attested', NULL)",
    );
    assert_found_and_refused(s, k, "an inserted attestation");
}

fn an_attestation_edited_in_the_table_is_found(s: &Store, k: &Keys) {
    s.attest(k, "cli", &new("metricly", "sc-3-5", Statement::NotMet))
        .unwrap();
    tamper(
        s,
        "UPDATE attestations SET statement = 'attested' WHERE id = 1",
    );
    assert_found_and_refused(s, k, "a not-met attestation turned into attested");
}
