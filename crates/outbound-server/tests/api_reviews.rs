//! `/api/v1/recipients/{id}/reviews`, `/api/v1/findings/{id}` and
//! `/api/v1/recipients/{id}/risk`: who may read and record, another
//! recipient's id answered like none, a finding closed once, the score always
//! with its inputs, bad input refused with nothing stored; on both backends.

use axum::http::StatusCode;
use outbound_store::Role;
use serde_json::json;

use crate::common::App;

both!(
    every_role_on_the_review_paths,
    another_recipients_reviews_and_score_look_absent,
    a_finding_is_closed_once,
    the_score_comes_with_every_input,
    bad_reviews_are_refused_and_store_nothing,
);

fn review() -> serde_json::Value {
    json!({
        "date": "2026-11-02", "kind": "on_site",
        "summary": "Visited the data centre; access logs kept 90 days",
        "findings": [
            {"severity": "high", "text": "Backups are not encrypted at rest"},
            {"severity": "low", "text": "Retention schedule not published"}
        ]
    })
}

async fn every_role_on_the_review_paths(a: &App) {
    // Roles in Role::ALL order: admin, compliance, engineer, auditor, recipient, regulator, association.
    let read = [200, 200, 403, 200, 200, 200, 403];
    let write = [201, 201, 403, 403, 403, 403, 403];
    let mut wrong = Vec::new();
    for (role, want) in Role::ALL.into_iter().zip(read) {
        for path in [
            "/api/v1/recipients/lumen-inc/reviews",
            "/api/v1/recipients/lumen-inc/risk",
        ] {
            let (s, b) = a.call("GET", path, Some(a.token(role)), None).await;
            if s.as_u16() != want {
                wrong.push(format!("{role} GET {path}: {s} {b}"));
            }
        }
    }
    for (role, want) in Role::ALL.into_iter().zip(write) {
        let before = a.log_size().await;
        let (s, b) = a
            .call(
                "POST",
                "/api/v1/recipients/lumen-inc/reviews",
                Some(a.token(role)),
                Some(review()),
            )
            .await;
        if s.as_u16() != want {
            wrong.push(format!("{role} POST review: {s} {b}"));
        }
        assert_eq!(
            a.log_size().await,
            before + u64::from(want == 201),
            "{role}"
        );
    }
    // Two reviews of two findings each: findings 1-4. Each role tries to close one.
    let close = [200, 200, 403, 403, 403, 403, 403];
    let mut next = 1;
    for (role, want) in Role::ALL.into_iter().zip(close) {
        let (s, b) = a
            .call(
                "POST",
                &format!("/api/v1/findings/{next}"),
                Some(a.token(role)),
                Some(json!({"state": "fixed"})),
            )
            .await;
        if s.as_u16() != want {
            wrong.push(format!("{role} POST finding: {s} {b}"));
        }
        if s == StatusCode::OK {
            assert_eq!(b["closed_by"], role.as_str());
            next += 1;
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let (_, list) = a
        .call(
            "GET",
            "/api/v1/recipients/lumen-inc/reviews",
            Some(a.token(Role::Recipient)),
            None,
        )
        .await;
    assert_eq!(list["reviews"].as_array().unwrap().len(), 2);
    assert_eq!(list["reviews"][0]["id"], 2, "newest first");
    assert_eq!(list["last"], "2026-11-02");
    assert_eq!(list["due"], "2027-11-02");
    assert_eq!(list["standing"], "current");
    assert_eq!(list["schedule_months"], 12);
}

async fn another_recipients_reviews_and_score_look_absent(a: &App) {
    let r = Some(a.token(Role::Recipient));
    for path in [
        "/api/v1/recipients/metricly/reviews",
        "/api/v1/recipients/metricly/risk",
        "/api/v1/recipients/nobody/reviews",
        "/api/v1/recipients/nobody/risk",
    ] {
        let (s, b) = a.call("GET", path, r, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(b["error"]["message"], "no such recipient", "{path}");
    }
    // Staff see metricly; never reviewed, its first review is due a year
    // after its contract took effect (2026-10-28).
    let (s, b) = a
        .call(
            "GET",
            "/api/v1/recipients/metricly/reviews",
            Some(a.token(Role::Auditor)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["standing"], "never_reviewed");
    assert_eq!(b["due"], "2027-10-28");
    let (s, _) = a
        .call(
            "POST",
            "/api/v1/recipients/nobody/reviews",
            Some(a.token(Role::Compliance)),
            Some(review()),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn a_finding_is_closed_once(a: &App) {
    let c = Some(a.token(Role::Compliance));
    let (s, r) = a
        .call(
            "POST",
            "/api/v1/recipients/lumen-inc/reviews",
            c,
            Some(review()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["findings"][0]["state"], "open");
    let id = r["findings"][0]["id"].as_i64().unwrap();
    let (s, f) = a
        .call(
            "POST",
            &format!("/api/v1/findings/{id}"),
            c,
            Some(json!({"state": "accepted"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!(
        (f["state"].as_str(), f["closed_by"].as_str()),
        (Some("accepted"), Some("compliance"))
    );
    let before = a.log_size().await;
    for (path, body, want) in [
        (
            format!("/api/v1/findings/{id}"),
            json!({"state": "fixed"}),
            StatusCode::CONFLICT,
        ),
        (
            "/api/v1/findings/99".into(),
            json!({"state": "fixed"}),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/api/v1/findings/{}", id + 1),
            json!({"state": "open"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/v1/findings/{}", id + 1),
            json!({"state": "closed"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/findings/x".into(),
            json!({"state": "fixed"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (s, b) = a.call("POST", &path, c, Some(body)).await;
        assert_eq!(s, want, "{path}: {b}");
    }
    assert_eq!(a.log_size().await, before, "nothing logged");
}

async fn the_score_comes_with_every_input(a: &App) {
    let c = Some(a.token(Role::Compliance));
    a.call(
        "POST",
        "/api/v1/recipients/lumen-inc/reviews",
        c,
        Some(review()),
    )
    .await;
    let (s, r) = a
        .call(
            "GET",
            "/api/v1/recipients/lumen-inc/risk",
            Some(a.token(Role::Regulator)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let lines = r["breakdown"].as_array().unwrap();
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l["criterion"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "destination",
            "sensitivity",
            "volume",
            "findings",
            "attestations",
            "onward"
        ]
    );
    for l in lines {
        for k in ["value", "from", "source", "name_en", "name_zh"] {
            assert!(!l[k].as_str().unwrap().is_empty(), "{k} of {l}");
        }
    }
    let sum: i64 = lines.iter().map(|l| l["points"].as_i64().unwrap()).sum();
    assert_eq!(r["total"].as_i64().unwrap(), sum);
    // lumen-inc is in the US: access score 4, 3 points.
    assert_eq!(lines[0]["value"], "US (access score 4)");
    assert_eq!(lines[0]["points"], 3);
    // One open high finding (3) and one open low (1).
    assert_eq!(lines[3]["value"], "1 open high, 1 open low");
    assert_eq!(lines[3]["points"], 4);
    assert_eq!(r["as_of"], "2026-11-23");
    assert!(["low", "medium", "high", "very_high"].contains(&r["band"].as_str().unwrap()));
}

async fn bad_reviews_are_refused_and_store_nothing(a: &App) {
    let c = Some(a.token(Role::Compliance));
    let before = a.log_size().await;
    let tomorrow = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .unwrap()
        .to_string();
    let mut cases = Vec::new();
    let mut r = review();
    r["kind"] = json!("onsite");
    cases.push(r);
    let mut r = review();
    r["date"] = json!(tomorrow);
    cases.push(r);
    let mut r = review();
    r["date"] = json!("2 Nov 2026");
    cases.push(r);
    let mut r = review();
    r["summary"] = json!("x".repeat(2001));
    cases.push(r);
    let mut r = review();
    r["findings"][0]["severity"] = json!("critical");
    cases.push(r);
    let mut r = review();
    r["findings"][1]["text"] = json!("x".repeat(301));
    cases.push(r);
    let mut r = review();
    r["extra"] = json!(1);
    cases.push(r);
    for body in cases {
        let (s, b) = a
            .call(
                "POST",
                "/api/v1/recipients/lumen-inc/reviews",
                c,
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert!(!b.to_string().contains("xxxx"), "no input echoed: {b}");
    }
    assert_eq!(a.log_size().await, before);
    let (_, list) = a
        .call("GET", "/api/v1/recipients/lumen-inc/reviews", c, None)
        .await;
    assert!(list["reviews"].as_array().unwrap().is_empty());
    // Never reviewed: due a year after its earliest contract (SCC, 2024-01-15).
    assert_eq!(list["standing"], "overdue");
    assert_eq!(list["due"], "2025-01-15");
}
