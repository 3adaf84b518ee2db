//! `/api/v1/incidents`: who may read and open incidents (a regulator reads
//! them: no personal data is kept), the clocks an incident starts, the routes
//! it suspends, and bad input refused with nothing stored; on both backends.

use axum::http::StatusCode;
use outbound_store::Role;
use serde_json::json;

use crate::common::App;

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(a) = tokio::task::spawn_blocking(|| crate::common::app(false)).await.unwrap() { super::$name(&a).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(a) = tokio::task::spawn_blocking(|| crate::common::app(true)).await.unwrap() { super::$name(&a).await } } )* }
    };
}

both!(
    every_role_on_the_incident_paths,
    an_incident_starts_its_clocks_and_suspends_its_routes,
    bad_incidents_are_refused_and_store_nothing,
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

async fn log_size(a: &App) -> usize {
    let (_, c) = a
        .call(
            "GET",
            "/api/v1/audit/checkpoint",
            Some(a.token(Role::Admin)),
            None,
        )
        .await;
    c["size"].as_u64().unwrap() as usize
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
    let before = log_size(a).await;
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
    assert_eq!(log_size(a).await, before, "nothing logged");
}
