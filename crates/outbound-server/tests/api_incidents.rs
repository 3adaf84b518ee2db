//! `/api/v1/incidents`: who may read and open incidents (a regulator reads
//! them: no personal data is kept), the clocks an incident starts, the routes
//! it suspends, and bad input refused with nothing stored; on both backends.

use axum::http::StatusCode;
use outbound_store::Role;
use serde_json::json;

use crate::common::App;

both!(
    every_role_on_the_incident_paths,
    an_incident_starts_its_clocks_and_suspends_its_routes,
    bad_incidents_are_refused_and_store_nothing,
    only_admin_and_compliance_handle_an_incident,
    notices_route_suspension_and_closing,
    drafts_of_the_notices_in_markdown_and_html,
);

fn body() -> serde_json::Value {
    json!({
        "title": "Analytics export sent to the wrong bucket",
        "severity": "relatively_major",
        "discovered_at": "2026-11-23T08:00:00Z",
        "transfers": ["analytics-eu"],
        "individuals_affected": 1200,
    })
}

async fn every_role_on_the_incident_paths(a: &App) {
    // Roles in Role::ALL order: admin, compliance, engineer, auditor, recipient, regulator, association.
    let read = [200, 200, 403, 200, 403, 200, 403];
    let write = [201, 201, 403, 403, 403, 403, 403];
    let mut wrong = Vec::new();
    for ((role, r), w) in Role::ALL.into_iter().zip(read).zip(write) {
        let tok = Some(a.token(role));
        let (s, b) = a.call("POST", "/api/v1/incidents", tok, Some(body())).await;
        if s.as_u16() != w {
            wrong.push(format!("{role} POST: {s} {b}"));
        }
        let (s, b) = a.call("GET", "/api/v1/incidents", tok, None).await;
        if s.as_u16() != r {
            wrong.push(format!("{role} GET: {s} {b}"));
        }
        let (s, b) = a.call("GET", "/api/v1/incidents/inc-0001", tok, None).await;
        if s.as_u16() != r {
            wrong.push(format!("{role} GET one: {s} {b}"));
        }
        if s == StatusCode::FORBIDDEN {
            assert_eq!(b["error"]["code"], "forbidden", "{role}");
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let (s, _) = a.call("GET", "/api/v1/incidents", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = a
        .call(
            "GET",
            "/api/v1/incidents/inc-9999",
            Some(a.token(Role::Regulator)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
}

async fn an_incident_starts_its_clocks_and_suspends_its_routes(a: &App) {
    let mut req = body();
    req["transfers"] = json!(["analytics-eu", "ride-tracks"]);
    req["suspend_routes"] = json!(true);
    let (s, i) = a
        .call(
            "POST",
            "/api/v1/incidents",
            Some(a.token(Role::Compliance)),
            Some(req),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{i}");
    assert_eq!(i["id"], "inc-0001");
    assert_eq!(i["regimes"], json!(["CN", "EU"]));
    assert_eq!(i["ciio"], true, "ride-tracks' exporter is a CIIO");
    let due = |id: &str| {
        i["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| (c["due"].clone(), c["state"].clone()))
    };
    assert_eq!(
        due("cn-cac-1h-ciio").unwrap().0,
        json!("2026-11-23T09:00:00Z")
    );
    assert!(due("cn-cac-4h").is_none(), "1 hour, not 4, with a CIIO");
    assert_eq!(
        due("eu-gdpr33-authority").unwrap().0,
        json!("2026-11-26T08:00:00Z")
    );
    assert_eq!(due("cn-pipl57-authority").unwrap().0, json!("immediately"));
    assert_eq!(due("cn-pipl57-authority").unwrap().1, json!("running"));

    for t in ["analytics-eu", "ride-tracks"] {
        let (s, v) = a
            .call(
                "GET",
                &format!("/api/v1/transfers/{t}"),
                Some(a.token(Role::Admin)),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["suspended"], true, "{t}");
    }

    // The regulator sees the incident and its clocks.
    let (s, l) = a
        .call(
            "GET",
            "/api/v1/incidents",
            Some(a.token(Role::Regulator)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(l["incidents"][0]["id"], "inc-0001");
    assert!(!l["incidents"][0]["clocks"].as_array().unwrap().is_empty());
}

async fn bad_incidents_are_refused_and_store_nothing(a: &App) {
    let before = a.log_size().await;
    let admin = Some(a.token(Role::Admin));
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!({"transfers": ["nope"]}), "unknown transfer `nope`"),
        (json!({"transfers": []}), "at least one transfer"),
        (
            json!({"discovered_at": "2999-01-01T00:00:00Z"}),
            "in the future",
        ),
        (json!({"discovered_at": "yesterday"}), "RFC 3339"),
        (json!({"title": "x".repeat(201)}), "at most 200"),
        (json!({"severity": "severe"}), "unknown severity"),
    ];
    for (patch, msg) in cases {
        let mut b = body();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (s, r) = a.call("POST", "/api/v1/incidents", admin, Some(b)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}: {r}");
        let m = r["error"]["message"].as_str().unwrap();
        assert!(m.contains(msg), "{msg}: {m}");
        assert!(!m.contains("xxxxxxxxxx"), "the title is not echoed");
    }
    // A 10 MB title: refused before it reaches the store.
    let mut b = body();
    b["title"] = json!("x".repeat(10 * 1024 * 1024));
    let (s, _) = a.call("POST", "/api/v1/incidents", admin, Some(b)).await;
    assert!(
        s == StatusCode::PAYLOAD_TOO_LARGE || s == StatusCode::BAD_REQUEST,
        "{s}"
    );
    let (_, l) = a.call("GET", "/api/v1/incidents", admin, None).await;
    assert_eq!(l["incidents"], json!([]));
    assert_eq!(a.log_size().await, before, "nothing logged");
}

async fn open_two(a: &App) {
    let mut req = body();
    req["transfers"] = json!(["analytics-eu", "ride-tracks"]);
    let (s, i) = a
        .call(
            "POST",
            "/api/v1/incidents",
            Some(a.token(Role::Compliance)),
            Some(req),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{i}");
}

/// Every audit entry's kind and body.
fn entries(a: &App) -> Vec<(String, String)> {
    tokio::task::block_in_place(|| {
        let (s, _) = a.open_store();
        s.audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| (e.kind, e.body))
            .collect()
    })
}

async fn only_admin_and_compliance_handle_an_incident(a: &App) {
    open_two(a).await;
    let before = a.log_size().await;
    let mut wrong = Vec::new();
    for role in Role::ALL {
        let tok = Some(a.token(role));
        let allowed = matches!(role, Role::Admin | Role::Compliance);
        let (s, b) = a
            .call(
                "GET",
                "/api/v1/incidents/inc-0001/drafts/authority",
                tok,
                None,
            )
            .await;
        if (s == StatusCode::OK) != allowed {
            wrong.push(format!("{role} draft: {s} {b}"));
        }
        if allowed {
            continue;
        }
        for (path, body) in [
            (
                "notices",
                json!({"clock": "cn-pipl57-authority", "sent_at": "2026-11-23T08:30:00Z"}),
            ),
            ("close", json!({})),
            ("suspend-routes", json!({"reason": "incident"})),
        ] {
            let (s, b) = a
                .call(
                    "POST",
                    &format!("/api/v1/incidents/inc-0001/{path}"),
                    tok,
                    Some(body),
                )
                .await;
            if s != StatusCode::FORBIDDEN {
                wrong.push(format!("{role} {path}: {s} {b}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(a.log_size().await, before, "nothing logged");
}

async fn notices_route_suspension_and_closing(a: &App) {
    open_two(a).await;
    let tok = Some(a.token(Role::Compliance));
    let post = |path: &'static str, body: serde_json::Value| async move {
        a.call(
            "POST",
            &format!("/api/v1/incidents/inc-0001/{path}"),
            tok,
            Some(body),
        )
        .await
    };

    // One route already suspended by hand: only the other is suspended now.
    let (s, b) = a
        .call(
            "POST",
            "/api/v1/transfers/ride-tracks/suspend",
            Some(a.token(Role::Admin)),
            Some(json!({"reason": "maintenance"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, r) = post("suspend-routes", json!({"reason": "contain the leak"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["suspended"][0]["transfer"], "analytics-eu", "{r}");
    assert_eq!(r["suspended"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["already_suspended"], json!(["ride-tracks"]));
    let idx = r["suspended"][0]["audit_entry"].as_u64().unwrap() as usize;
    let (kind, body) = entries(a)[idx].clone();
    assert!(kind.contains("route"), "{kind}");
    assert!(
        body.contains("incident inc-0001: contain the leak"),
        "{body}"
    );
    let (_, v) = a
        .call(
            "GET",
            "/api/v1/transfers/analytics-eu",
            Some(a.token(Role::Admin)),
            None,
        )
        .await;
    assert_eq!(v["suspended"], true);
    // Again: nothing left to suspend, nothing logged.
    let before = a.log_size().await;
    let (s, r) = post("suspend-routes", json!({"reason": "again"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["suspended"], json!([]));
    assert_eq!(a.log_size().await, before);
    let (s, _) = post("suspend-routes", json!({"reason": ""})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // A notice at the CIIO hour exactly: met.
    let (s, i) = post(
        "notices",
        json!({"clock": "cn-cac-1h-ciio", "sent_at": "2026-11-23T09:00:00Z"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{i}");
    let c = i["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "cn-cac-1h-ciio")
        .unwrap();
    assert_eq!(c["state"], "met", "{c}");
    assert_eq!(c["met_at"], "2026-11-23T09:00:00Z");

    // Refusals store nothing.
    let before = a.log_size().await;
    for (body, status, msg) in [
        (
            json!({"clock": "cn-cac-4h", "sent_at": "2026-11-23T09:00:00Z"}),
            StatusCode::BAD_REQUEST,
            "no clock `cn-cac-4h`",
        ),
        (
            json!({"clock": "eu-gdpr33-authority", "sent_at": "2999-01-01T00:00:00Z"}),
            StatusCode::BAD_REQUEST,
            "in the future",
        ),
        (
            json!({"clock": "eu-gdpr33-authority", "sent_at": "soon"}),
            StatusCode::BAD_REQUEST,
            "RFC 3339",
        ),
        (
            json!({"clock": "eu-gdpr33-authority", "sent_at": "2026-11-23T07:59:59Z"}),
            StatusCode::BAD_REQUEST,
            "before the incident was discovered",
        ),
        (
            json!({"clock": "cn-cac-1h-ciio", "sent_at": "2026-11-23T09:30:00Z"}),
            StatusCode::BAD_REQUEST,
            "already recorded",
        ),
    ] {
        let (s, r) = post("notices", body).await;
        assert_eq!(s, status, "{msg}: {r}");
        let m = r["error"]["message"].as_str().unwrap();
        assert!(m.contains(msg), "{msg}: {m}");
    }
    let (s, _) = a
        .call(
            "POST",
            "/api/v1/incidents/inc-0404/notices",
            tok,
            Some(json!({"clock": "cn-cac-1h-ciio"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = a
        .call(
            "POST",
            "/api/v1/incidents/inc-0404/close",
            tok,
            Some(json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(a.log_size().await, before, "nothing logged");

    // Closed: no more notices, closing or suspending (409), nothing stored.
    let (s, i) = post(
        "close",
        json!({"measures": "Bucket made private; copies deleted"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{i}");
    assert_eq!(i["state"], "closed");
    let before = a.log_size().await;
    for (path, body) in [
        ("close", json!({})),
        (
            "notices",
            json!({"clock": "eu-gdpr33-authority", "sent_at": "2026-11-23T10:00:00Z"}),
        ),
        ("suspend-routes", json!({"reason": "late"})),
    ] {
        let (s, r) = post(path, body).await;
        assert_eq!(s, StatusCode::CONFLICT, "{path}: {r}");
        assert_eq!(r["error"]["code"], "conflict");
    }
    assert_eq!(a.log_size().await, before, "nothing logged");

    // No title or measures text in any audit entry.
    for (kind, body) in entries(a) {
        assert!(
            !body.contains("wrong bucket") && !body.contains("copies deleted"),
            "{kind}: {body}"
        );
    }
}

async fn drafts_of_the_notices_in_markdown_and_html(a: &App) {
    open_two(a).await;
    let auth = format!("Bearer {}", a.token(Role::Compliance));
    let get = |path: String| {
        let auth = auth.clone();
        async move {
            a.send("GET", &path, &[("authorization", &auth)], None)
                .await
        }
    };
    let r = get("/api/v1/incidents/inc-0001/drafts/authority".into()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown"),
        "{:?}",
        r.headers
    );
    assert!(
        r.body.starts_with("# 个人信息安全事件报告（草稿）"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("《国家网络安全事件报告管理办法》第四条"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("2026-11-23 17:00（北京时间）"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Metricly Analytics B.V."),
        "from the map: {}",
        r.body
    );

    let r = get("/api/v1/incidents/inc-0001/drafts/individuals?lang=en&format=html".into()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        r.headers
    );
    assert!(r.body.contains("<html lang=\"en\">"), "{}", r.body);
    assert!(r.body.contains("GDPR Art. 34(1)"), "{}", r.body);
    let r = get("/api/v1/incidents/inc-0001/drafts/authority?lang=en".into()).await;
    assert!(r.body.contains("**2026-11-23 09:00 UTC**"), "{}", r.body);

    for (path, status) in [
        (
            "/api/v1/incidents/inc-0001/drafts/press",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/incidents/inc-0404/drafts/authority",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/incidents/inc-0001/drafts/authority?lang=fr",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/incidents/inc-0001/drafts/authority?format=pdf",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = get(path.into()).await;
        assert_eq!(r.status, status, "{path}: {}", r.body);
    }
}
