//! `/api/v1/recipients/{id}/obligations` and `/attestations`: what each role
//! may read and attest, another recipient's id answered like none, bad input
//! refused with nothing stored; on both backends.

use axum::http::StatusCode;
use outbound_store::Role;
use serde_json::json;

use crate::common::App;

both!(
    every_role_on_the_recipient_paths,
    a_recipient_attests_its_own_and_sees_the_status,
    another_recipients_id_looks_absent,
    bad_attestations_are_refused_and_store_nothing,
);

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn body() -> serde_json::Value {
    json!({"obligation": "sc-3-5", "statement": "attested", "evidence_sha256": [SHA], "note": "retention policy v3"})
}

async fn every_role_on_the_recipient_paths(a: &App) {
    // Roles in Role::ALL order: admin, compliance, engineer, auditor, recipient, regulator, association.
    let read = [200, 200, 403, 200, 200, 200, 403];
    let write = [201, 403, 403, 403, 201, 403, 403];
    let mut wrong = Vec::new();
    for (role, want) in Role::ALL.into_iter().zip(read) {
        let (s, b) = a
            .call(
                "GET",
                "/api/v1/recipients/lumen-inc/obligations",
                Some(a.token(role)),
                None,
            )
            .await;
        if s.as_u16() != want {
            wrong.push(format!("{role} GET: {s} {b}"));
        }
        if s == StatusCode::FORBIDDEN {
            assert_eq!(b["error"]["code"], "forbidden");
        }
    }
    for (role, want) in Role::ALL.into_iter().zip(write) {
        let before = a.log_size().await;
        let (s, b) = a
            .call(
                "POST",
                "/api/v1/recipients/lumen-inc/attestations",
                Some(a.token(role)),
                Some(body()),
            )
            .await;
        if s.as_u16() != want {
            wrong.push(format!("{role} POST: {s} {b}"));
        }
        let after = a.log_size().await;
        assert_eq!(
            after,
            before + u64::from(want == 201),
            "{role}: audit entries"
        );
    }
    let (s, _) = a
        .call(
            "GET",
            "/api/v1/recipients/lumen-inc/obligations",
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

async fn a_recipient_attests_its_own_and_sees_the_status(a: &App) {
    let t = Some(a.token(Role::Recipient));
    let (s, list) = a
        .call("GET", "/api/v1/recipients/lumen-inc/obligations", t, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["as_of"], "2026-11-23");
    assert_eq!(list["schedule_months"], 12);
    let obs = list["obligations"].as_array().unwrap();
    // SCC Module One took effect 2024-01-15: never attested, overdue since 2025-01-16; listed first.
    assert_eq!(obs[0]["standing"], "overdue", "{}", obs[0]);
    assert_eq!(obs[0]["due"], "2025-01-15");
    let sc5 = obs.iter().find(|o| o["id"] == "sc-3-5").unwrap();
    assert_eq!(sc5["standing"], "never_attested");
    assert_eq!(sc5["reference"], "Standard contract Art. 3(5)");
    assert_eq!(sc5["reference_zh"], "标准合同第三条第（五）项");
    assert_eq!(sc5["transfers"], json!(["crm-to-parent"]));

    let (s, made) = a
        .call(
            "POST",
            "/api/v1/recipients/lumen-inc/attestations",
            t,
            Some(body()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    assert_eq!(made["by"], "recipient");
    assert_eq!(made["evidence_sha256"], json!([SHA]));
    assert!(made.get("note").is_none(), "the note is not echoed");
    let (s, _) = a
        .call(
            "POST",
            "/api/v1/recipients/lumen-inc/attestations",
            t,
            Some(json!({"obligation": "scc1-8.7", "statement": "not_met"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // The regulator reads the statuses, and no note.
    let (s, list) = a
        .call(
            "GET",
            "/api/v1/recipients/lumen-inc/obligations",
            Some(a.token(Role::Regulator)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!list.to_string().contains("retention policy v3"));
    let obs = list["obligations"].as_array().unwrap();
    assert_eq!(
        (obs[0]["id"].as_str(), obs[0]["standing"].as_str()),
        (Some("scc1-8.7"), Some("not_met"))
    );
    let sc5 = obs.iter().find(|o| o["id"] == "sc-3-5").unwrap();
    assert_eq!(sc5["standing"], "current");
    assert_eq!(sc5["last_statement"], "attested");
    assert_eq!(sc5["due"].as_str().unwrap().len(), 10);
    assert_eq!(obs.last().unwrap()["standing"], "current");
}

async fn another_recipients_id_looks_absent(a: &App) {
    let t = Some(a.token(Role::Recipient));
    let (s1, theirs) = a
        .call("GET", "/api/v1/recipients/metricly/obligations", t, None)
        .await;
    let (s2, none) = a
        .call("GET", "/api/v1/recipients/no-such/obligations", t, None)
        .await;
    assert_eq!((s1, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(theirs, none);
    let before = a.log_size().await;
    let (s, e) = a
        .call(
            "POST",
            "/api/v1/recipients/metricly/attestations",
            t,
            Some(body()),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(a.log_size().await, before);
    // Staff read any recipient; an unknown id is 404 for them too.
    let c = Some(a.token(Role::Compliance));
    let (s, m) = a
        .call("GET", "/api/v1/recipients/metricly/obligations", c, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        m["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == "sc-3-9")
    );
    let (s, _) = a
        .call("GET", "/api/v1/recipients/no-such/obligations", c, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn bad_attestations_are_refused_and_store_nothing(a: &App) {
    let t = Some(a.token(Role::Recipient));
    let before = a.log_size().await;
    let long = "字".repeat(501);
    for (b, says) in [
        (
            json!({"obligation": "scc2-8.1", "statement": "attested", "evidence_sha256": [SHA]}),
            "not one of this recipient",
        ),
        (
            json!({"obligation": "sc-3-5", "statement": "attested", "evidence_sha256": []}),
            "evidence_sha256",
        ),
        (
            json!({"obligation": "sc-3-5", "statement": "attested", "evidence_sha256": ["abc"]}),
            "SHA-256",
        ),
        (
            json!({"obligation": "sc-3-5", "statement": "attested", "evidence_sha256": [SHA], "note": long}),
            "at most 500",
        ),
        (
            json!({"obligation": "sc-3-5", "statement": "maybe", "evidence_sha256": [SHA]}),
            "fields and types",
        ),
        (
            json!({"statement": "attested", "evidence_sha256": [SHA]}),
            "`obligation`",
        ),
    ] {
        let (s, e) = a
            .call(
                "POST",
                "/api/v1/recipients/lumen-inc/attestations",
                t,
                Some(b),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        let m = e["error"]["message"].as_str().unwrap();
        assert!(m.contains(says), "{m}");
        assert!(
            !m.contains("字字") && !m.contains("maybe"),
            "input echoed: {m}"
        );
    }
    assert_eq!(a.log_size().await, before);
    let (_, list) = a
        .call("GET", "/api/v1/recipients/lumen-inc/obligations", t, None)
        .await;
    assert!(
        list["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["last_attested"].is_null())
    );
}
