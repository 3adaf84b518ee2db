//! Compliance snapshots and ratings: who may publish, read and rate; a
//! snapshot holds no personal data; an association collects members'
//! snapshots over HTTP from real servers, checks signature and inclusion,
//! and rates only what verified, every line naming evidence that exists.

use axum::http::StatusCode;
use outbound_store::snapshots::log_origin;
use outbound_store::{Keys, Role, c2sp};
use serde_json::json;

use crate::common::App;

both!(
    every_role_on_the_snapshot_and_rating_paths,
    a_snapshot_holds_no_personal_data,
    a_second_snapshot_is_refused_and_a_correction_names_the_first,
    an_association_collects_checks_and_rates,
    the_ratings_pages_by_role_and_language,
    a_witnessed_member_is_rated_only_with_its_quorum,
);

fn keys(a: &App) -> Keys {
    Keys::load(&a._dir.path().join("keys")).unwrap()
}

async fn every_role_on_the_snapshot_and_rating_paths(a: &App) {
    // Role::ALL order: admin, compliance, engineer, auditor, recipient, regulator, association.
    let publish = [201, 201, 403, 403, 403, 403, 403];
    let read = [200, 200, 403, 200, 403, 200, 200];
    let ratings = [200, 403, 403, 200, 403, 200, 200];
    let members = [201, 403, 403, 403, 403, 403, 201];
    let periods = [
        "2026-Q4", "2026-Q3", "2026-Q2", "2026-Q2", "2026-Q2", "2026-Q2", "2026-Q2",
    ];
    let verifier = c2sp::verifier_key(&log_origin(&keys(a)), &keys(a).verifying());
    let mut wrong = Vec::new();
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let t = Some(a.token(role));
        let before = a.log_size().await;
        let (s, b) = a
            .call(
                "POST",
                "/api/v1/snapshots",
                t,
                Some(json!({"period": periods[i]})),
            )
            .await;
        if s.as_u16() != publish[i] {
            wrong.push(format!("{role} POST snapshot: {s} {b}"));
        }
        if s != StatusCode::CREATED {
            assert_eq!(a.log_size().await, before, "{role}: a refusal logs nothing");
        }
        for path in ["/api/v1/snapshots", "/api/v1/snapshots/2026-Q4"] {
            let (s, b) = a.call("GET", path, t, None).await;
            if s.as_u16() != read[i] {
                wrong.push(format!("{role} GET {path}: {s} {b}"));
            }
        }
        for path in [
            "/api/v1/ratings?period=2026-Q4",
            "/api/v1/ratings/compare",
            "/api/v1/association/members",
        ] {
            let (s, b) = a.call("GET", path, t, None).await;
            if s.as_u16() != ratings[i] {
                wrong.push(format!("{role} GET {path}: {s} {b}"));
            }
        }
        let m =
            json!({"name": format!("m-{role}"), "url": "http://127.0.0.1:1", "verifier": verifier});
        let (s, b) = a
            .call("POST", "/api/v1/association/members", t, Some(m))
            .await;
        if s.as_u16() != members[i] {
            wrong.push(format!("{role} POST member: {s} {b}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let t = Some(a.token(Role::Admin));
    let (s, _) = a.call("GET", "/api/v1/snapshots/2025-Q1", t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for bad in ["/api/v1/ratings", "/api/v1/ratings?period=2026-Q9"] {
        let (s, b) = a.call("GET", bad, t, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
    for period in ["2026-Q5", "2027-Q1"] {
        let before = a.log_size().await;
        let (s, b) = a
            .call(
                "POST",
                "/api/v1/snapshots",
                t,
                Some(json!({"period": period})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{period}: {b}");
        assert_eq!(a.log_size().await, before);
    }
}

async fn a_snapshot_holds_no_personal_data(a: &App) {
    let admin = Some(a.token(Role::Admin));
    let secrets = [
        "王伟 says my data was sold",
        "wang.wei@example.invalid",
        "Laptop with the export stolen from Ms Li's car",
    ];
    let (s, c) = a
        .call(
            "POST",
            "/api/v1/complaints",
            None,
            Some(json!({"text": secrets[0], "contact": secrets[1]})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, i) = a
        .call(
            "POST",
            "/api/v1/incidents",
            admin,
            Some(json!({
                "title": secrets[2], "severity": "relatively_major",
                "discovered_at": "2026-11-20T08:00:00Z", "transfers": ["analytics-eu"],
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{i}");
    let (s, p) = a
        .call(
            "POST",
            "/api/v1/snapshots",
            admin,
            Some(json!({"period": "2026-Q4"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let note = p["note"].as_str().unwrap();
    for secret in secrets {
        assert!(!note.contains(secret), "{secret} in the snapshot");
    }
    for name in ["admin", "compliance", "auditor", "\"test\""] {
        assert!(!note.contains(name), "account {name} in the snapshot");
    }
    let body: serde_json::Value =
        serde_json::from_str(&note[..note.rfind("\n\n").unwrap()]).unwrap();
    assert_eq!(body["totals"]["incidents"], 1);
    assert_eq!(body["totals"]["complaints_open"], 1);
    assert!(body["totals"]["routes_required"].as_u64().unwrap() > 0);
    // Only the allowed keys reach the snapshot's incidents and transfers.
    for i in body["incidents"].as_array().unwrap() {
        let keys: Vec<&String> = i.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["clocks", "closed", "id", "severity"]);
    }
    for t in body["transfers"].as_array().unwrap() {
        let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "exporter",
                "id",
                "recipient_country",
                "regimes",
                "rules_error",
                "suspended"
            ]
        );
    }
    // The log entry names the period and the hash, nothing else of it.
    let entries = App::entries(a).await;
    let e = &entries[p["log_index"].as_u64().unwrap() as usize];
    assert_eq!(e.kind, "snapshot");
    let eb: serde_json::Value = serde_json::from_str(&e.body).unwrap();
    assert_eq!(eb["sha256"], p["sha256"]);
    assert_eq!(eb["period"], "2026-Q4");
}

async fn a_second_snapshot_is_refused_and_a_correction_names_the_first(a: &App) {
    let t = Some(a.token(Role::Compliance));
    let (_, first) = a
        .call(
            "POST",
            "/api/v1/snapshots",
            t,
            Some(json!({"period": "2026-Q4"})),
        )
        .await;
    let before = a.log_size().await;
    let (s, b) = a
        .call(
            "POST",
            "/api/v1/snapshots",
            t,
            Some(json!({"period": "2026-Q4"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(a.log_size().await, before);
    let (s, b) = a
        .call(
            "POST",
            "/api/v1/snapshots",
            t,
            Some(json!({"period": "2026-Q3", "correct": true})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, fix) = a
        .call(
            "POST",
            "/api/v1/snapshots",
            t,
            Some(json!({"period": "2026-Q4", "correct": true})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{fix}");
    assert_eq!(fix["seq"], 2);
    let note = fix["note"].as_str().unwrap();
    assert!(
        note.contains(&format!("\"corrects\":{}", first["sha256"])),
        "{note}"
    );
    let (_, newest) = a.call("GET", "/api/v1/snapshots/2026-Q4", t, None).await;
    assert_eq!(newest["sha256"], fix["sha256"]);
    let (_, all) = a.call("GET", "/api/v1/snapshots", t, None).await;
    assert_eq!(all["snapshots"].as_array().unwrap().len(), 2);
}

/// Serves `a` on a loopback port; its base URL.
async fn serve(a: &App) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = a
        .router
        .clone()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn an_association_collects_checks_and_rates(member: &App) {
    // The member publishes; the association is a second instance.
    let pg = !member.store_location.ends_with(".db");
    let assoc = tokio::task::spawn_blocking(move || crate::common::app(pg))
        .await
        .unwrap()
        .unwrap();
    let (s, p) = member
        .call(
            "POST",
            "/api/v1/snapshots",
            Some(member.token(Role::Compliance)),
            Some(json!({"period": "2026-Q4"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let url = serve(member).await;
    let mk = keys(member);
    let verifier = c2sp::verifier_key(&log_origin(&mk), &mk.verifying());
    let at = Some(assoc.token(Role::Association));
    for name in ["lumen", "forged", "unlogged"] {
        let (s, b) = assoc
            .call(
                "POST",
                "/api/v1/association/members",
                at,
                Some(json!({"name": name, "url": url, "verifier": verifier})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    // Fetched over HTTP with the token the member gave the association.
    let token = member.token(Role::Association).to_string();
    let (s, c) = assoc
        .call(
            "POST",
            "/api/v1/association/collect",
            at,
            Some(json!({"member": "lumen", "period": "2026-Q4", "token": token})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["verified"], true, "{c}");
    // A tampered snapshot: the signature fails.
    let mut forged = p.clone();
    forged["note"] = json!(p["note"].as_str().unwrap().replacen(
        "\"routes_in_place\":",
        "\"routes_in_place\":1",
        1
    ));
    let (s, c) = assoc
        .call(
            "POST",
            "/api/v1/association/collect",
            at,
            Some(json!({"member": "forged", "snapshot": forged, "token": token})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["verified"], false);
    // Signed by the member's key but not in its log.
    let body = p["note"].as_str().unwrap();
    let json_text = &body[..body.rfind("\n\n").unwrap()];
    let other = json_text.replace("\"as_of\":", "\"as_of_\":");
    let unlogged = json!({
        "period": "2026-Q4", "seq": 1,
        "sha256": outbound_store::snapshots::sha256_hex(&other),
        "note": c2sp::sign_note(&log_origin(&mk), mk.signing(), &format!("{other}\n")),
        "log_index": p["log_index"], "created_at": p["created_at"],
    });
    let (s, c) = assoc
        .call(
            "POST",
            "/api/v1/association/collect",
            at,
            Some(json!({"member": "unlogged", "snapshot": unlogged, "token": token})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["verified"], false);

    let (s, r) = assoc
        .call(
            "GET",
            "/api/v1/ratings?period=2026-Q4",
            Some(assoc.token(Role::Regulator)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let by = |n: &str| {
        r["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["member"] == n)
            .unwrap()
            .clone()
    };
    let forged = by("forged");
    assert_eq!(forged["status"], "not_rated");
    assert!(
        forged["reason"].as_str().unwrap().contains("signature"),
        "{forged}"
    );
    assert!(forged["rating"].is_null());
    let unlogged = by("unlogged");
    assert_eq!(unlogged["status"], "not_rated");
    assert!(
        unlogged["reason"]
            .as_str()
            .unwrap()
            .contains("not the `snapshot` entry"),
        "{unlogged}"
    );
    // Traceability: every line of the rated member names evidence that exists.
    let lumen = by("lumen");
    assert_eq!(lumen["status"], "rated", "{lumen}");
    let entries = App::entries(member).await;
    for line in lumen["rating"]["lines"].as_array().unwrap() {
        let ev = &line["evidence"];
        assert_eq!(ev["member"], "lumen");
        assert_eq!(ev["period"], "2026-Q4");
        assert_eq!(ev["snapshot_sha256"], p["sha256"]);
        let idx = ev["log_index"].as_u64().unwrap();
        let e = &entries[idx as usize];
        assert_eq!(e.kind, "snapshot");
        assert!(e.body.contains(p["sha256"].as_str().unwrap()));
        assert!(ev["checkpoint_size"].as_u64().unwrap() > idx);
        for f in line["fields"].as_array().unwrap() {
            let (path, value) = f.as_str().unwrap().split_once('=').unwrap();
            let snap: serde_json::Value = serde_json::from_str(json_text).unwrap();
            let at = path.split('.').fold(&snap, |v, k| &v[k]);
            assert_eq!(at.to_string(), value, "{path}");
        }
    }
    let (s, cmp) = assoc
        .call(
            "GET",
            "/api/v1/ratings/compare",
            Some(assoc.token(Role::Auditor)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cmp["periods"], json!(["2026-Q4"]));
    // A regulator reads but does not collect.
    let (s, _) = assoc
        .call(
            "POST",
            "/api/v1/association/collect",
            Some(assoc.token(Role::Regulator)),
            Some(json!({"member": "lumen", "period": "2026-Q4"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn the_ratings_pages_by_role_and_language(member: &App) {
    let pg = !member.store_location.ends_with(".db");
    let assoc = tokio::task::spawn_blocking(move || crate::common::app(pg))
        .await
        .unwrap()
        .unwrap();
    let (_, p) = member
        .call(
            "POST",
            "/api/v1/snapshots",
            Some(member.token(Role::Admin)),
            Some(json!({"period": "2026-Q4"})),
        )
        .await;
    let url = serve(member).await;
    let mk = keys(member);
    let verifier = c2sp::verifier_key(&log_origin(&mk), &mk.verifying());
    let at = Some(assoc.token(Role::Association));
    assoc
        .call(
            "POST",
            "/api/v1/association/members",
            at,
            Some(json!({"name": "lumen", "url": url, "verifier": verifier})),
        )
        .await;
    let token = member.token(Role::Association).to_string();
    let (s, c) = assoc
        .call(
            "POST",
            "/api/v1/association/collect",
            at,
            Some(json!({"member": "lumen", "period": "2026-Q4", "token": token})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    // Role::ALL order: admin, compliance, engineer, auditor, recipient, regulator, association.
    let want = [200, 403, 403, 200, 403, 200, 200];
    for (role, want) in Role::ALL.into_iter().zip(want) {
        let cookie = assoc.session_cookie(role);
        for path in [
            "/association/ratings?period=2026-Q4",
            "/association/ratings/compare",
        ] {
            let r = assoc.send("GET", path, &[("cookie", &cookie)], None).await;
            assert_eq!(r.status.as_u16(), want, "{role} {path}");
            if want == 200 {
                assert!(r.body.contains("lumen"), "{role} {path}");
                assert!(
                    r.body.contains("href=\"/association/ratings\""),
                    "{role}: nav link"
                );
            }
        }
    }
    let cookie = assoc.session_cookie(Role::Regulator);
    let sha = p["sha256"].as_str().unwrap();
    let r = assoc
        .send(
            "GET",
            "/association/ratings?period=2026-Q4",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(
        r.body.contains(sha),
        "the evidence's SHA-256 is on the page"
    );
    assert!(
        r.body.contains("totals.routes_in_place="),
        "the fields read"
    );
    assert!(
        !r.body.contains("action=\"/association"),
        "read-only for a regulator"
    );
    let r = assoc
        .send(
            "GET",
            "/association/ratings?period=2026-Q4&lang=zh",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(r.body.contains("会员评级") && r.body.contains("出境路径已落实"));
    let r = assoc
        .send(
            "GET",
            "/association/ratings/compare?lang=en",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(r.body.contains("Comparison over periods") && r.body.contains("2026-Q4"));
}

/// A witness's keys and its cosignature verifier key.
fn witness_keys(a: &App, name: &str) -> (std::sync::Arc<Keys>, String) {
    let k = Keys::create(&a._dir.path().join(format!("witness-{name}"))).unwrap();
    let v = outbound_store::cosign::Cosigner::new(name, k.verifying())
        .unwrap()
        .verifier_key();
    (std::sync::Arc::new(k), v)
}

type Cosign = std::sync::Arc<dyn Fn(&str) -> Vec<String> + Send + Sync>;

/// Serves `member` on a loopback port with `/log/checkpoint.witnessed`
/// answering its newest signed checkpoint plus the cosignature lines
/// `cosign` makes of the checkpoint's body; its base URL.
async fn serve_witnessed(member: &App, cosign: Cosign) -> String {
    use tower::ServiceExt;
    let inner = member.router.clone();
    let witnessed = axum::routing::get(move || {
        let (inner, cosign) = (inner.clone(), cosign.clone());
        async move {
            let req = axum::http::Request::get("/log/checkpoint")
                .body(axum::body::Body::empty())
                .unwrap();
            let resp = inner.oneshot(req).await.unwrap();
            let b = axum::body::to_bytes(resp.into_body(), 1 << 16)
                .await
                .unwrap();
            let note = String::from_utf8(b.to_vec()).unwrap();
            let body = note[..note.rfind("\n\n").unwrap() + 1].to_string();
            outbound_store::cosign::with_lines(&note, &cosign(&body))
        }
    });
    let router = axum::Router::new()
        .route("/log/checkpoint.witnessed", witnessed)
        .fallback_service(member.router.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn a_witnessed_member_is_rated_only_with_its_quorum(member: &App) {
    use outbound_store::cosign::{Cosignature, Cosigner};
    let pg = !member.store_location.ends_with(".db");
    let assoc = tokio::task::spawn_blocking(move || crate::common::app(pg))
        .await
        .unwrap()
        .unwrap();
    let (s, p) = member
        .call(
            "POST",
            "/api/v1/snapshots",
            Some(member.token(Role::Compliance)),
            Some(json!({"period": "2026-Q4"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let mk = keys(member);
    let verifier = c2sp::verifier_key(&log_origin(&mk), &mk.verifying());
    let (w1, v1) = witness_keys(member, "witness.example/w1");
    let (w2, v2) = witness_keys(member, "witness.example/w2");
    let (w9, _) = witness_keys(member, "witness.example/w9");
    let line = |name: &'static str, k: std::sync::Arc<Keys>| {
        move |body: &str| {
            Cosignature::sign(name, k.signing(), body, 1_790_000_000)
                .unwrap()
                .line()
        }
    };
    let (l1, l2) = (
        line("witness.example/w1", w1.clone()),
        line("witness.example/w2", w2),
    );
    // Both witnesses cosign.
    let both_url = serve_witnessed(member, std::sync::Arc::new(move |b| vec![l1(b), l2(b)])).await;
    // Only w1 cosigns; a line under w2's name and key id by another key is forged.
    let forged_w2 = {
        let (w1, w9) = (w1.clone(), w9.clone());
        let v2 = v2.clone();
        move |b: &str| {
            let id = Cosigner::parse(&v2).unwrap().id;
            let mut f =
                Cosignature::sign("witness.example/w2", w9.signing(), b, 1_790_000_000).unwrap();
            f.key_id = id;
            vec![
                Cosignature::sign("witness.example/w1", w1.signing(), b, 1_790_000_000)
                    .unwrap()
                    .line(),
                f.line(),
            ]
        }
    };
    let forged_url = serve_witnessed(member, std::sync::Arc::new(forged_w2)).await;
    let at = Some(assoc.token(Role::Association));
    for (name, url, q) in [
        ("both", &both_url, 2),
        ("forged", &forged_url, 2),
        ("one", &forged_url, 1),
    ] {
        let (s, b) = assoc
            .call(
                "POST",
                "/api/v1/association/members",
                at,
                Some(json!({"name": name, "url": url, "verifier": verifier,
                    "witnesses": [v1, v2], "witness_quorum": q})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["witness_quorum"], q);
        assert_eq!(b["witnesses"], json!([v1, v2]));
    }
    // A quorum above the witnesses named is refused, and nothing is logged.
    let before = assoc.log_size().await;
    let (s, b) = assoc
        .call(
            "POST",
            "/api/v1/association/members",
            at,
            Some(json!({"name": "bad", "url": both_url, "verifier": verifier,
                "witnesses": [v1], "witness_quorum": 2})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(assoc.log_size().await, before);
    let token = member.token(Role::Association).to_string();
    for name in ["both", "forged", "one"] {
        let (s, c) = assoc
            .call(
                "POST",
                "/api/v1/association/collect",
                at,
                Some(json!({"member": name, "period": "2026-Q4", "token": token})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {c}");
    }
    let (s, r) = assoc
        .call(
            "GET",
            "/api/v1/ratings?period=2026-Q4",
            Some(assoc.token(Role::Regulator)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let by = |n: &str| {
        r["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["member"] == n)
            .unwrap()
            .clone()
    };
    // Quorum met: rated, every line naming the witnesses checked.
    let both = by("both");
    assert_eq!(both["status"], "rated", "{both}");
    for l in both["rating"]["lines"].as_array().unwrap() {
        assert_eq!(
            l["evidence"]["witnesses"],
            json!(["witness.example/w1", "witness.example/w2"]),
            "{l}"
        );
    }
    // The forged cosignature is not counted: 1 of 2.
    let forged = by("forged");
    assert_eq!(forged["status"], "not_rated", "{forged}");
    assert_eq!(forged["reason"], "not witnessed (1 of 2 cosignatures)");
    assert!(forged["rating"].is_null());
    // With a quorum of 1 the same checkpoint is enough, naming only w1.
    let one = by("one");
    assert_eq!(one["status"], "rated", "{one}");
    assert_eq!(
        one["rating"]["evidence"]["witnesses"],
        json!(["witness.example/w1"])
    );
}
