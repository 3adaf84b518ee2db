//! Rights requests on both backends: intake, forwarding to exactly the
//! recipients that received the person (across years), answers with proof,
//! consent withdrawal, bad input, and commitment by the audit log.

use outbound_store::rights::{
    Channel, IdentityMethod, NewRequest, PartAnswer, PartOutcome, RefusalReason, Request,
    RequestKind, RequestQuery,
};
use outbound_store::{BatchRecord, ConsentRecord, Keys, Store, StoreError};

use crate::store::{ok, record, subjects, tamper};

both!(
    forwarding_reaches_exactly_the_recipients_across_years,
    a_person_carried_by_none_gets_no_parts_and_closes_at_once,
    answers_are_recorded_once_and_closing_needs_them_all,
    pauses_extension_and_refusal_are_recorded,
    withdraw_consent_ends_the_persons_consents,
    identity_is_needed_before_forwarding,
    bad_input_stores_nothing,
    a_request_slipped_into_the_database_is_found,
    a_part_edited_in_the_database_is_found,
    requests_are_listed_newest_first_past_req_9999,
    requests_come_a_page_at_a_time,
);

fn to(transfer: &str, recipient: &str) -> BatchRecord {
    BatchRecord {
        recipient: recipient.into(),
        ..record(transfer)
    }
}

fn send(s: &Store, k: &Keys, rec: &BatchRecord, year: i16, ids: &[&str]) {
    s.record_batch(k, rec, year, &subjects(k, ids, false), false, ok)
        .unwrap();
}

fn regimes() -> Vec<String> {
    vec!["EU".into(), "CN".into()]
}

fn open_for(s: &Store, k: &Keys, who: &str, kinds: &[RequestKind]) -> Request {
    s.open_request(
        k,
        "ana",
        &NewRequest {
            received_at: "2026-01-31T10:00:00Z",
            channel: Channel::Staff,
            kinds,
            regimes: &regimes(),
            subject: k.subject_hash(who.as_bytes()),
            identity: IdentityMethod::AccountLogin,
            identity_at: None,
        },
    )
    .unwrap()
}

fn last_entry(s: &Store) -> (String, serde_json::Value) {
    let e = s.audit_entries().unwrap().pop().unwrap();
    (e.kind, serde_json::from_str(&e.body).unwrap())
}

fn done() -> PartAnswer<'static> {
    PartAnswer {
        outcome: PartOutcome::Done,
        reason: None,
        answered_at: None,
        evidence_sha256: Some("AB00000000000000000000000000000000000000000000000000000000000000"),
    }
}

fn forwarding_reaches_exactly_the_recipients_across_years(s: &Store, k: &Keys) {
    send(s, k, &to("crm", "parent-sg"), 2025, &["p1", "p2"]);
    send(s, k, &to("crm", "parent-sg"), 2026, &["p1"]);
    send(s, k, &to("analytics", "bi-de"), 2026, &["p1", "p3"]);
    send(s, k, &to("payroll", "hr-us"), 2026, &["p3"]);
    let r = open_for(s, k, "p1", &[RequestKind::Delete, RequestKind::Access]);
    assert_eq!(r.id, "req-0001");
    assert_eq!(r.kinds, [RequestKind::Access, RequestKind::Delete]);
    assert_eq!(r.regimes, ["CN", "EU"]);
    assert_eq!(r.identity_at.as_deref(), Some("2026-01-31T10:00:00Z"));
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "request_opened");
    assert_eq!(body["kinds"], serde_json::json!(["access", "delete"]));
    assert!(
        !body.to_string().contains(&hex::encode(r.subject)),
        "no keyed hash in the log"
    );

    let r = s.forward_request(k, "ana", "req-0001").unwrap();
    assert_eq!(r.state, "forwarded");
    let got: Vec<(&str, Vec<String>, Vec<i64>)> = r
        .parts
        .iter()
        .map(|p| (p.recipient.as_str(), p.transfers.clone(), p.years.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("bi-de", vec!["analytics".to_string()], vec![2026]),
            ("parent-sg", vec!["crm".to_string()], vec![2025, 2026]),
        ],
        "exactly the two recipients that received p1, never hr-us"
    );
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "request_forwarded");
    assert_eq!(body["parts"], 2);
    assert_eq!(
        body["recipients"],
        serde_json::json!(["bi-de", "parent-sg"])
    );
    assert_eq!(body["deliveries"], 3);
    assert_eq!(body["by"], "ana");
    assert!(!body.to_string().contains(&hex::encode(r.subject)));

    // Forwarding twice is refused.
    assert!(matches!(
        s.forward_request(k, "ana", "req-0001"),
        Err(StoreError::Conflict { .. })
    ));
    // A recipient's list holds the requests forwarded to it (the server
    // shows it its own part of each).
    let of = |recipient| {
        s.rights_requests_page(&RequestQuery {
            recipient: Some(recipient),
            ..RequestQuery::default()
        })
        .unwrap()
    };
    let mine = of("bi-de");
    assert_eq!(mine.len(), 1);
    assert!(mine[0].parts.iter().any(|p| p.recipient == "bi-de"));
    assert!(of("hr-us").is_empty());
    // The subject hash is never serialised.
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains(&hex::encode(r.subject)) && !json.contains("subject"));
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn a_person_carried_by_none_gets_no_parts_and_closes_at_once(s: &Store, k: &Keys) {
    send(s, k, &to("crm", "parent-sg"), 2026, &["p1"]);
    open_for(s, k, "nobody", &[RequestKind::Delete]);
    let r = s.forward_request(k, "ana", "req-0001").unwrap();
    assert!(r.parts.is_empty());
    let r = s.close_request(k, "ana", "req-0001").unwrap();
    assert_eq!(r.state, "closed");
    assert!(r.proof.is_empty());
}

fn answers_are_recorded_once_and_closing_needs_them_all(s: &Store, k: &Keys) {
    send(s, k, &to("crm", "parent-sg"), 2025, &["p1"]);
    send(s, k, &to("analytics", "bi-de"), 2026, &["p1"]);
    open_for(s, k, "p1", &[RequestKind::Delete]);
    // Closing before forwarding is refused.
    assert!(matches!(
        s.close_request(k, "ana", "req-0001"),
        Err(StoreError::Conflict { .. })
    ));
    s.forward_request(k, "ana", "req-0001").unwrap();
    let p = s
        .answer_request_part(k, "sg-portal", "req-0001", "parent-sg", &done())
        .unwrap();
    let first = p.answer_index.unwrap();
    assert_eq!(
        s.audit_entries().unwrap().len() as u64,
        first + 1,
        "the index is the answer's entry"
    );
    assert_eq!(
        p.evidence_sha256.as_deref(),
        Some("ab00000000000000000000000000000000000000000000000000000000000000")
    );
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "request_part_answered");
    assert_eq!(body["recipient"], "parent-sg");
    assert_eq!(body["outcome"], "done");
    // Twice: refused, nothing stored.
    let n = s.audit_entries().unwrap().len();
    assert!(matches!(
        s.answer_request_part(k, "sg-portal", "req-0001", "parent-sg", &done()),
        Err(StoreError::Conflict { .. })
    ));
    // A recipient with no part.
    assert!(matches!(
        s.answer_request_part(k, "x", "req-0001", "hr-us", &done()),
        Err(StoreError::NotFound { .. })
    ));
    // A refusal without a reason.
    let no_reason = PartAnswer {
        outcome: PartOutcome::Refused,
        ..done()
    };
    assert!(matches!(
        s.answer_request_part(k, "x", "req-0001", "bi-de", &no_reason),
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(s.audit_entries().unwrap().len(), n);
    // One part still open: closing is refused, naming the recipient.
    match s.close_request(k, "ana", "req-0001") {
        Err(StoreError::Conflict { problem }) => assert!(problem.contains("bi-de"), "{problem}"),
        other => panic!("{other:?}"),
    }
    let refused = PartAnswer {
        outcome: PartOutcome::Refused,
        reason: Some(RefusalReason::LegalRetention),
        answered_at: None,
        evidence_sha256: None,
    };
    let p = s
        .answer_request_part(k, "de-portal", "req-0001", "bi-de", &refused)
        .unwrap();
    let second = p.answer_index.unwrap();
    let r = s.close_request(k, "ana", "req-0001").unwrap();
    assert_eq!(r.state, "closed");
    assert_eq!(r.proof, [first, second]);
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "request_closed");
    assert_eq!(body["proof"], serde_json::json!([first, second]));
    // The proof points at the answers.
    let entries = s.audit_entries().unwrap();
    for i in [first, second] {
        assert_eq!(entries[i as usize].kind, "request_part_answered");
    }
    // Nothing changes a closed request.
    assert!(s.close_request(k, "ana", "req-0001").is_err());
    assert!(s.pause_request(k, "ana", "req-0001", "x", None).is_err());
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn pauses_extension_and_refusal_are_recorded(s: &Store, k: &Keys) {
    open_for(s, k, "p1", &[RequestKind::Access]);
    let r = s
        .pause_request(
            k,
            "ana",
            "req-0001",
            "awaiting identity verification",
            Some("2026-02-02T00:00:00Z"),
        )
        .unwrap();
    assert!(r.paused());
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "request_paused");
    assert!(
        !body.to_string().contains("awaiting"),
        "reasons are not logged"
    );
    assert!(matches!(
        s.pause_request(k, "ana", "req-0001", "again", None),
        Err(StoreError::Conflict { .. })
    ));
    // Resuming before the pause began is refused.
    assert!(matches!(
        s.resume_request(k, "ana", "req-0001", Some("2026-02-01T00:00:00Z")),
        Err(StoreError::Invalid { .. })
    ));
    let r = s
        .resume_request(k, "ana", "req-0001", Some("2026-02-07T00:00:00Z"))
        .unwrap();
    assert!(!r.paused());
    assert_eq!(r.pauses[0].to.as_deref(), Some("2026-02-07T00:00:00Z"));
    assert!(matches!(
        s.resume_request(k, "ana", "req-0001", None),
        Err(StoreError::Conflict { .. })
    ));
    let r = s
        .extend_request(
            k,
            "ana",
            "req-0001",
            "complex request",
            Some("2026-02-20T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(r.extension.as_ref().unwrap().at, "2026-02-20T00:00:00Z");
    assert!(matches!(
        s.extend_request(k, "ana", "req-0001", "again", None),
        Err(StoreError::Conflict { .. })
    ));
    let r = s
        .refuse_request(k, "ana", "req-0001", RefusalReason::Excessive)
        .unwrap();
    assert_eq!(r.state, "refused");
    assert_eq!(r.refusal, Some(RefusalReason::Excessive));
    let (kind, body) = last_entry(s);
    assert_eq!(kind, "request_refused");
    assert_eq!(body["reason"], "excessive");
    assert!(s.forward_request(k, "ana", "req-0001").is_err());
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn withdraw_consent_ends_the_persons_consents(s: &Store, k: &Keys) {
    let p1 = k.subject_hash(b"p1");
    let p2 = k.subject_hash(b"p2");
    let grant = |subject, transfer: &str| ConsentRecord {
        subject,
        transfer: transfer.into(),
        granted_at: "2025-01-01".into(),
        withdrawn_at: None,
    };
    s.consent_import(
        k,
        &[grant(p1, "crm"), grant(p1, "analytics"), grant(p2, "crm")],
        "test",
    )
    .unwrap();
    let today = jiff::Zoned::now().date().to_string();
    assert!(s.consented("crm", "2025-06-01").unwrap().contains(&p1));
    // Identity not yet checked: nothing withdrawn.
    let r = s
        .open_request(
            k,
            "public",
            &NewRequest {
                received_at: "2026-01-31T10:00:00Z",
                channel: Channel::PublicForm,
                kinds: &[RequestKind::WithdrawConsent],
                regimes: &regimes(),
                subject: p1,
                identity: IdentityMethod::NoneYet,
                identity_at: None,
            },
        )
        .unwrap();
    assert!(r.consents_withdrawn.is_none());
    assert!(s.consented("crm", &today).unwrap().contains(&p1));
    // Verified: the same call ends both of p1's consents, and only p1's.
    let r = s
        .verify_request_identity(k, "ana", "req-0001", IdentityMethod::VideoCall, None)
        .unwrap();
    assert_eq!(r.consents_withdrawn.as_ref().unwrap().count, 2);
    let tomorrow = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(1))
        .unwrap()
        .to_string();
    assert!(!s.consented("crm", &tomorrow).unwrap().contains(&p1));
    assert!(!s.consented("analytics", &tomorrow).unwrap().contains(&p1));
    assert!(s.consented("crm", &tomorrow).unwrap().contains(&p2));
    let kinds: Vec<String> = s
        .audit_entries()
        .unwrap()
        .into_iter()
        .rev()
        .take(3)
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "request_consent_withdrawn",
            "consent_withdrawn",
            "request_identity"
        ]
    );
    assert!(matches!(
        s.withdraw_request_consents(k, "ana", "req-0001"),
        Err(StoreError::Conflict { .. })
    ));
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn identity_is_needed_before_forwarding(s: &Store, k: &Keys) {
    s.open_request(
        k,
        "api",
        &NewRequest {
            received_at: "2026-01-31T10:00:00Z",
            channel: Channel::Api,
            kinds: &[RequestKind::Delete],
            regimes: &regimes(),
            subject: k.subject_hash(b"p1"),
            identity: IdentityMethod::NoneYet,
            identity_at: None,
        },
    )
    .unwrap();
    assert!(matches!(
        s.forward_request(k, "ana", "req-0001"),
        Err(StoreError::Invalid { .. })
    ));
    // Checked before receipt: refused.
    assert!(matches!(
        s.verify_request_identity(
            k,
            "ana",
            "req-0001",
            IdentityMethod::IdDocumentSighted,
            Some("2026-01-30T00:00:00Z")
        ),
        Err(StoreError::Invalid { .. })
    ));
    s.verify_request_identity(
        k,
        "ana",
        "req-0001",
        IdentityMethod::IdDocumentSighted,
        None,
    )
    .unwrap();
    assert!(matches!(
        s.verify_request_identity(k, "ana", "req-0001", IdentityMethod::VideoCall, None),
        Err(StoreError::Conflict { .. })
    ));
    s.forward_request(k, "ana", "req-0001").unwrap();
}

fn bad_input_stores_nothing(s: &Store, k: &Keys) {
    let base = NewRequest {
        received_at: "2026-01-31T10:00:00Z",
        channel: Channel::Staff,
        kinds: &[RequestKind::Delete],
        regimes: &[],
        subject: k.subject_hash(b"p1"),
        identity: IdentityMethod::AccountLogin,
        identity_at: None,
    };
    let rg = regimes();
    let future = NewRequest {
        received_at: "2999-01-01T00:00:00Z",
        regimes: &rg,
        ..base.clone()
    };
    match s.open_request(k, "ana", &future) {
        Err(StoreError::Invalid { problem }) => assert!(problem.contains("future"), "{problem}"),
        other => panic!("{other:?}"),
    }
    assert!(s.open_request(k, "ana", &base).is_err(), "no regime");
    let not_a_time = NewRequest {
        received_at: "yesterday",
        regimes: &rg,
        ..base.clone()
    };
    assert!(s.open_request(k, "ana", &not_a_time).is_err());
    let no_kind = NewRequest {
        kinds: &[],
        regimes: &rg,
        ..base.clone()
    };
    assert!(s.open_request(k, "ana", &no_kind).is_err());
    let huge = "x".repeat(10 * 1024 * 1024);
    assert!(matches!(
        s.open_request(
            k,
            &huge,
            &NewRequest {
                regimes: &rg,
                ..base.clone()
            }
        ),
        Err(StoreError::Invalid { .. })
    ));
    assert!(s.rights_requests().unwrap().is_empty());
    assert!(s.audit_entries().unwrap().is_empty());

    let ok = NewRequest {
        regimes: &rg,
        ..base.clone()
    };
    s.open_request(k, "ana", &ok).unwrap();
    let n = s.audit_entries().unwrap().len();
    let before = s.rights_request("req-0001").unwrap();
    match s.pause_request(k, "ana", "req-0001", &huge, None) {
        Err(StoreError::Invalid { problem }) => {
            assert!(problem.len() < 200, "the message does not repeat the field")
        }
        other => panic!("{other:?}"),
    }
    assert!(s.extend_request(k, "ana", "req-0001", &huge, None).is_err());
    assert!(matches!(
        s.pause_request(k, "ana", "req-0009", "x", None),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.forward_request(k, "ana", &huge),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.pause_request(k, "ana", "req-0001", "x", Some("2999-01-01T00:00:00Z")),
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        s.extend_request(k, "ana", "req-0001", "x", Some("2026-01-01T00:00:00Z")),
        Err(StoreError::Invalid { .. })
    ));
    s.forward_request(k, "ana", "req-0001").unwrap();
    let bad_hash = PartAnswer {
        evidence_sha256: Some("not-a-hash"),
        ..done()
    };
    assert!(
        s.answer_request_part(k, "x", "req-0001", "any", &bad_hash)
            .is_err()
    );
    assert_eq!(
        s.audit_entries().unwrap().len(),
        n + 1,
        "only the forward was logged"
    );
    assert_eq!(
        s.rights_request("req-0001").unwrap().unwrap().pauses,
        before.unwrap().pauses
    );
    assert!("shred".parse::<RequestKind>().is_err());
    assert_eq!(
        "withdraw_consent".parse::<RequestKind>().unwrap(),
        RequestKind::WithdrawConsent
    );
}

fn assert_found_and_refused(s: &Store, k: &Keys, what: &str) {
    let report = s.audit_verify(k).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("rights requests")),
        "{what}: {:?}",
        report.problems
    );
    match s.pause_request(k, "ana", "req-0001", "x", None) {
        Err(StoreError::Tampered { problem }) => {
            assert!(problem.contains("rights requests"), "{problem}")
        }
        other => panic!("{what}: the next write must be refused, got {other:?}"),
    }
}

fn a_request_slipped_into_the_database_is_found(s: &Store, k: &Keys) {
    open_for(s, k, "p1", &[RequestKind::Delete]);
    tamper(
        s,
        "INSERT INTO rights_requests (id, opened_at, received_at, channel, kinds, regimes, subject, \
         identity_method, identity_at, state, pauses, extension, consents_withdrawn, closed_at, refusal, proof) \
         VALUES ('req-0002', '2026-01-31T10:00:00Z', '2026-01-31T10:00:00Z', 'staff', '[\"delete\"]', '[\"EU\"]', \
         '00000000000000000000000000000000', 'none_yet', NULL, 'closed', '[]', NULL, NULL, NULL, NULL, '[]')",
    );
    assert_found_and_refused(s, k, "an inserted request");
}

fn a_part_edited_in_the_database_is_found(s: &Store, k: &Keys) {
    send(s, k, &to("crm", "parent-sg"), 2026, &["p1"]);
    open_for(s, k, "p1", &[RequestKind::Delete]);
    s.forward_request(k, "ana", "req-0001").unwrap();
    // An unanswered part marked done behind the log.
    tamper(
        s,
        "UPDATE rights_parts SET outcome = 'done' WHERE request = 'req-0001'",
    );
    assert_found_and_refused(s, k, "a part marked done");
}

/// Numbers past four digits still list newest first (`req-10000` after
/// `req-9999`, which a comparison of the ids as text puts first).
fn requests_are_listed_newest_first_past_req_9999(s: &Store, k: &Keys) {
    for who in ["p1", "p2", "p3"] {
        open_for(s, k, who, &[RequestKind::Know]);
    }
    // As if 9,998 more had come between (renumbered behind the log: the
    // listing reads the rows, whatever the digests say).
    for (from, to) in [
        ("req-0001", "req-9999"),
        ("req-0002", "req-10000"),
        ("req-0003", "req-10001"),
    ] {
        tamper(
            s,
            &format!("UPDATE rights_requests SET id = '{to}' WHERE id = '{from}'"),
        );
    }
    let ids: Vec<String> = s
        .rights_requests()
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["req-10001", "req-10000", "req-9999"]);
}

/// A page: open or finished ones, one recipient's, older than an id, at
/// most `limit`, each with its parts; and the counts.
fn requests_come_a_page_at_a_time(s: &Store, k: &Keys) {
    send(s, k, &to("crm", "parent-sg"), 2026, &["p1", "p3"]);
    send(s, k, &to("analytics", "bi-de"), 2026, &["p3"]);
    for who in ["p1", "nobody", "p3", "p4", "nobody-2"] {
        open_for(s, k, who, &[RequestKind::Know]);
    }
    // 1: forwarded to parent-sg; 2 and 5: closed (nobody carried them);
    // 3: forwarded to both; 4: open.
    for id in ["req-0001", "req-0002", "req-0003", "req-0005"] {
        s.forward_request(k, "ana", id).unwrap();
    }
    for id in ["req-0002", "req-0005"] {
        s.close_request(k, "ana", id).unwrap();
    }
    let page = |q: RequestQuery<'_>| -> Vec<(String, Vec<String>)> {
        s.rights_requests_page(&q)
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.parts.into_iter().map(|p| p.recipient).collect()))
            .collect()
    };
    let ids = |v: Vec<(String, Vec<String>)>| v.into_iter().map(|e| e.0).collect::<Vec<_>>();
    let all = page(RequestQuery::default());
    assert_eq!(
        all,
        [
            ("req-0005".to_string(), vec![]),
            ("req-0004".into(), vec![]),
            (
                "req-0003".into(),
                vec!["bi-de".to_string(), "parent-sg".into()]
            ),
            ("req-0002".into(), vec![]),
            ("req-0001".into(), vec!["parent-sg".into()]),
        ]
    );
    let open = RequestQuery {
        open: Some(true),
        ..RequestQuery::default()
    };
    assert_eq!(
        ids(page(open.clone())),
        ["req-0004", "req-0003", "req-0001"]
    );
    let finished = RequestQuery {
        open: Some(false),
        ..RequestQuery::default()
    };
    assert_eq!(ids(page(finished.clone())), ["req-0005", "req-0002"]);
    assert_eq!(
        ids(page(RequestQuery {
            limit: 1,
            ..finished.clone()
        })),
        ["req-0005"]
    );
    assert_eq!(
        ids(page(RequestQuery {
            before: Some("req-0005"),
            ..finished
        })),
        ["req-0002"]
    );
    assert_eq!(
        ids(page(RequestQuery {
            recipient: Some("parent-sg"),
            ..RequestQuery::default()
        })),
        ["req-0003", "req-0001"]
    );
    assert_eq!(
        ids(page(RequestQuery {
            recipient: Some("bi-de"),
            before: Some("req-0003"),
            ..open
        })),
        Vec::<String>::new()
    );
    assert_eq!(s.rights_request_counts(None).unwrap(), (3, 2));
    assert_eq!(s.rights_request_counts(Some("parent-sg")).unwrap(), (2, 0));
    assert_eq!(s.rights_request_counts(Some("hr-us")).unwrap(), (0, 0));
    // Past four digits, older is by number.
    tamper(
        s,
        "UPDATE rights_requests SET id = 'req-10000' WHERE id = 'req-0004'",
    );
    assert_eq!(
        ids(page(RequestQuery {
            before: Some("req-10000"),
            ..RequestQuery::default()
        })),
        ["req-0005", "req-0003", "req-0002", "req-0001"]
    );
}
