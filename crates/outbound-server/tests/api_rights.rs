//! `/api/v1/requests`: the full flow (open → identity → forward to exactly the
//! recipients the deliveries name → recipients answer → close), what each role
//! may see (a recipient only the requests forwarded to it and only its own
//! part), and bad input refused with nothing stored and the subject key never
//! repeated; on both backends.

use axum::http::StatusCode;
use outbound_store::{BatchRecord, Recorded, Role, Subject};
use serde_json::json;

use crate::common::App;

both!(
    a_deletion_request_goes_from_intake_to_closed,
    each_role_sees_what_it_may,
    bad_input_is_refused_and_stores_nothing,
    requests_come_a_page_at_a_time,
);

/// The person's key as a clerk might type it, and as the gate read it.
pub(crate) const KEY: &str = "cn-4401 0619 9001";
const KEY_AS_GATE_SAW: &str = "CN44010619  9001";

/// Records committed batches carrying `ids` (as the gate would, after
/// normalising them) to `recipient` through `transfer` in `year`.
pub(crate) async fn send(a: &App, transfer: &str, recipient: &str, year: i16, ids: &[&str]) {
    send_judged(a, transfer, recipient, year, ids, &"0".repeat(64)).await
}

/// As [`send`], the batch judged under the map of this content digest.
pub(crate) async fn send_judged(
    a: &App,
    transfer: &str,
    recipient: &str,
    year: i16,
    ids: &[&str],
    map_sha256: &str,
) {
    let (transfer, recipient) = (transfer.to_string(), recipient.to_string());
    let map_sha256 = map_sha256.to_string();
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let loc = a.store_location.clone();
    let keys = a._dir.path().join("keys");
    tokio::task::spawn_blocking(move || {
        let (s, k) = (
            outbound_store::Store::open(&loc).unwrap(),
            outbound_store::Keys::load(&keys).unwrap(),
        );
        let subjects: Vec<Subject> = ids
            .iter()
            .map(|id| Subject {
                hash: k.subject_hash(outbound_gate::normalize_subject(id).as_bytes()),
                sensitive: false,
            })
            .collect();
        let rec = BatchRecord {
            transfer,
            exporters: vec!["lumen-cn".into()],
            recipient,
            sha256: "00".repeat(32),
            bytes: 10,
            records_in: subjects.len() as u64,
            records_out: subjects.len() as u64,
            kinds: Default::default(),
            output: None,
            counts_towards_thresholds: true,
            set_aside: Default::default(),
            map_sha256,
        };
        let r = s
            .record_batch(&k, &rec, year, &subjects, false, |_| Ok(json!({})))
            .unwrap();
        assert!(matches!(r, Recorded::Committed { .. }), "{r:?}");
    })
    .await
    .unwrap();
}

/// The person in two transfers to two recipients across two years, and
/// someone else through a third.
pub(crate) async fn ledger(a: &App) {
    send(
        a,
        "crm-to-parent",
        "lumen-inc",
        2025,
        &[KEY_AS_GATE_SAW, "P-3"],
    )
    .await;
    send(a, "analytics-eu", "metricly", 2026, &[KEY_AS_GATE_SAW]).await;
    send(a, "support-sg", "lumen-sg", 2026, &["P-2"]).await;
}

fn tok(a: &App, r: Role) -> Option<&str> {
    Some(a.token(r))
}

fn no_key(v: &serde_json::Value) {
    let s = v.to_string();
    assert!(
        !s.contains(KEY) && !s.contains("CN440106199001") && !s.contains("4401 0619"),
        "the key came back: {s}"
    );
}

async fn open(a: &App) -> serde_json::Value {
    let (s, b) = a
        .call(
            "POST",
            "/api/v1/requests",
            tok(a, Role::Compliance),
            Some(json!({
                "kinds": ["delete", "access"], "subject_key": KEY, "identity": "none_yet",
                "regimes": ["CN", "EU"], "received_at": "2026-01-31T10:00:00Z"
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    no_key(&b);
    b
}

fn due<'a>(v: &'a serde_json::Value, regime: &str) -> &'a serde_json::Value {
    v["due"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["regime"] == regime)
        .unwrap()
}

async fn a_deletion_request_goes_from_intake_to_closed(a: &App) {
    ledger(a).await;
    let b = open(a).await;
    let id = b["id"].as_str().unwrap().to_string();
    assert_eq!(b["state"], "open");
    assert_eq!(b["channel"], "api");
    assert_eq!(b["kinds"], json!(["access", "delete"]));
    // GDPR: one month from receipt: 31 January → the last day of February.
    let eu = due(&b, "EU");
    assert_eq!(eu["due"], "2026-02-28");
    assert_eq!(eu["citation"], "GDPR Art. 12(3)");
    assert_eq!(eu["citation_zh"], "GDPR 第12条第3款");
    // GB/T 35273: from the identity check, which has not happened.
    assert_eq!(due(&b, "CN")["state"], "not_started");
    assert_eq!(due(&b, "CN")["due"], serde_json::Value::Null);
    assert!(due(&b, "CN")["citation"].as_str().unwrap().contains("§8.7"));

    // Not before the identity check.
    let path = |p: &str| format!("/api/v1/requests/{id}/{p}");
    let (s, _) = a
        .call("POST", &path("forward"), tok(a, Role::Compliance), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b) = a
        .call(
            "POST",
            &path("identity"),
            tok(a, Role::Compliance),
            Some(json!({"method": "id_document_sighted", "at": "2026-02-01T09:00:00Z"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["identity_method"], "id_document_sighted");
    // 1 February (Beijing) + 30 days.
    assert_eq!(due(&b, "CN")["due"], "2026-03-03");

    // Forwarded to exactly the two recipients that received the person.
    let (s, b) = a
        .call("POST", &path("forward"), tok(a, Role::Admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "forwarded");
    let parts: Vec<(String, serde_json::Value, serde_json::Value)> = b["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["recipient"].as_str().unwrap().to_string(),
                p["transfers"].clone(),
                p["years"].clone(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        [
            ("lumen-inc".into(), json!(["crm-to-parent"]), json!([2025])),
            ("metricly".into(), json!(["analytics-eu"]), json!([2026])),
        ]
    );
    assert_eq!(
        (b["parts_answered"].clone(), b["parts_total"].clone()),
        (json!(0), json!(2))
    );

    // The recipient answers its own part, once; never another's.
    let answer = |r: &str| format!("/api/v1/requests/{id}/parts/{r}/answer");
    let sha = "ab".repeat(32);
    let (s, _) = a
        .call(
            "POST",
            &answer("metricly"),
            tok(a, Role::Recipient),
            Some(json!({"outcome": "done"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another recipient's part");
    let (s, p) = a
        .call(
            "POST",
            &answer("lumen-inc"),
            tok(a, Role::Recipient),
            Some(json!({"outcome": "done", "evidence_sha256": [sha.to_uppercase()]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["outcome"], "done");
    assert_eq!(p["evidence_sha256"], sha.as_str());
    assert_eq!(p["answered_by"], "recipient");
    let (s, _) = a
        .call(
            "POST",
            &answer("lumen-inc"),
            tok(a, Role::Recipient),
            Some(json!({"outcome": "refused", "reason": "not_held"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "answered twice");

    // Not closed while a part waits.
    let (s, _) = a
        .call("POST", &path("close"), tok(a, Role::Compliance), None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A refusal needs its reason.
    let (s, _) = a
        .call(
            "POST",
            &answer("metricly"),
            tok(a, Role::Admin),
            Some(json!({"outcome": "refused"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = a
        .call(
            "POST",
            &answer("metricly"),
            tok(a, Role::Admin),
            Some(json!({"outcome": "refused", "reason": "legal_retention"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = a
        .call("POST", &path("close"), tok(a, Role::Compliance), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "closed");
    assert_eq!(b["proof"].as_array().unwrap().len(), 2);
    // Received in January and closed today: late, and no longer overdue.
    assert_eq!(due(&b, "EU")["state"], "missed");
    assert_eq!(b["overdue"], false);
    let (s, _) = a
        .call("POST", &path("close"), tok(a, Role::Compliance), None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "closed twice");

    // Pause, resume and extend on a second request, with the article's effect.
    let b = open(a).await;
    let id2 = b["id"].as_str().unwrap().to_string();
    let p2 = |p: &str| format!("/api/v1/requests/{id2}/{p}");
    let (s, b) = a
        .call(
            "POST",
            &p2("pause"),
            tok(a, Role::Compliance),
            Some(json!({"reason": "awaiting a copy of the ID", "at": "2026-02-02T10:00:00Z"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["paused"], true);
    assert_eq!(due(&b, "EU")["state"], "paused");
    let (s, b) = a
        .call(
            "POST",
            &p2("resume"),
            tok(a, Role::Compliance),
            Some(json!({"at": "2026-02-05T10:00:00Z"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(due(&b, "EU")["paused_days"], 3);
    assert_eq!(due(&b, "EU")["due"], "2026-03-03");
    let (s, b) = a
        .call(
            "POST",
            &p2("extend"),
            tok(a, Role::Compliance),
            Some(json!({"reason": "many systems to search", "at": "2026-02-20T10:00:00Z"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(due(&b, "EU")["extension"], "in_time");
    assert_eq!(due(&b, "EU")["due"], "2026-05-03");
    let (s, b) = a
        .call(
            "POST",
            &p2("refuse"),
            tok(a, Role::Compliance),
            Some(json!({"reason": "manifestly_unfounded"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["state"].clone(), b["refusal"].clone()),
        (json!("refused"), json!("manifestly_unfounded"))
    );

    // The audit log never holds the key nor its hash.
    let loc = a.store_location.clone();
    let keys = a._dir.path().join("keys");
    let log = tokio::task::spawn_blocking(move || {
        let (st, k) = (
            outbound_store::Store::open(&loc).unwrap(),
            outbound_store::Keys::load(&keys).unwrap(),
        );
        let hash = hex::encode(k.subject_hash(outbound_gate::normalize_subject(KEY).as_bytes()));
        let all: String = st
            .audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| format!("{} {}\n", e.kind, e.body))
            .collect();
        (all, hash)
    })
    .await
    .unwrap();
    assert!(log.0.contains("request_part_answered"));
    assert!(!log.0.contains(KEY) && !log.0.contains(&log.1));
}

async fn each_role_sees_what_it_may(a: &App) {
    ledger(a).await;
    let id = open(a).await["id"].as_str().unwrap().to_string();
    // Someone carried only to lumen-sg: nothing for lumen-inc.
    let (s, other) = a
        .call(
            "POST",
            "/api/v1/requests",
            tok(a, Role::Admin),
            Some(json!({"kinds": ["access"], "subject_key": "P-2", "identity": "account_login", "channel": "staff"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{other}");
    assert_eq!(other["channel"], "staff");
    let other = other["id"].as_str().unwrap().to_string();
    for i in [&id, &other] {
        if i == &id {
            a.call(
                "POST",
                &format!("/api/v1/requests/{i}/identity"),
                tok(a, Role::Compliance),
                Some(json!({"method": "video_call"})),
            )
            .await;
        }
        let (s, _) = a
            .call(
                "POST",
                &format!("/api/v1/requests/{i}/forward"),
                tok(a, Role::Compliance),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }

    for r in [Role::Regulator, Role::Engineer, Role::Association] {
        let (s, _) = a.call("GET", "/api/v1/requests", tok(a, r), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
        let (s, _) = a
            .call("GET", &format!("/api/v1/requests/{id}"), tok(a, r), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    }
    let (s, _) = a.call("GET", "/api/v1/requests", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    for r in [Role::Admin, Role::Compliance, Role::Auditor] {
        let (s, b) = a.call("GET", "/api/v1/requests", tok(a, r), None).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(b["requests"].as_array().unwrap().len(), 2, "{r}");
        no_key(&b);
    }
    // The auditor and the recipient change nothing on the request itself.
    for r in [Role::Auditor, Role::Recipient] {
        let (s, _) = a
            .call(
                "POST",
                &format!("/api/v1/requests/{id}/close"),
                tok(a, r),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
        let (s, _) = a
            .call(
                "POST",
                "/api/v1/requests",
                tok(a, r),
                Some(json!({"kinds": ["access"], "subject_key": "x", "identity": "none_yet"})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    }
    let (s, _) = a
        .call(
            "POST",
            &format!("/api/v1/requests/{id}/parts/lumen-inc/answer"),
            tok(a, Role::Auditor),
            Some(json!({"outcome": "done"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The recipient: only the request forwarded to it, only its own part.
    let (s, b) = a
        .call("GET", "/api/v1/requests", tok(a, Role::Recipient), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let list = b["requests"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["parts_total"], 1);
    assert!(
        !b.to_string().contains("metricly"),
        "another recipient's part: {b}"
    );
    let (s, b) = a
        .call(
            "GET",
            &format!("/api/v1/requests/{id}"),
            tok(a, Role::Recipient),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["parts"].as_array().unwrap().len(), 1);
    assert_eq!(b["parts"][0]["recipient"], "lumen-inc");
    assert!(!b.to_string().contains("metricly"));
    for i in [other.as_str(), "req-9999"] {
        let (s, e) = a
            .call(
                "GET",
                &format!("/api/v1/requests/{i}"),
                tok(a, Role::Recipient),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{i}");
        assert_eq!(
            e["error"]["message"],
            format!("no rights request `{i}`"),
            "alike"
        );
    }
    let (s, _) = a
        .call(
            "POST",
            &format!("/api/v1/requests/{other}/parts/lumen-sg/answer"),
            tok(a, Role::Recipient),
            Some(json!({"outcome": "done"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn bad_input_is_refused_and_stores_nothing(a: &App) {
    ledger(a).await;
    let before = a.log_size().await;
    let c = tok(a, Role::Compliance);
    let good = json!({"kinds": ["delete"], "subject_key": KEY, "identity": "none_yet"});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let future = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2)).to_string();
    for (why, body) in [
        ("future receipt", with("received_at", json!(future))),
        ("not RFC 3339", with("received_at", json!("yesterday"))),
        ("no kinds", with("kinds", json!([]))),
        ("unknown kind", with("kinds", json!(["forget_me"]))),
        ("unknown regime", with("regimes", json!(["XX"]))),
        ("no regimes", with("regimes", json!([]))),
        ("unknown method", with("identity", json!("psychic"))),
        ("public channel", with("channel", json!("public_form"))),
        ("empty key", with("subject_key", json!(" - "))),
        ("long key", with("subject_key", json!("9".repeat(201)))),
        ("unknown field", with("contact", json!("x@example.invalid"))),
    ] {
        let (s, e) = a.call("POST", "/api/v1/requests", c, Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{why}: {e}");
        no_key(&e);
    }
    // A 10 MB field: refused before it is read in full.
    let (s, e) = a
        .call(
            "POST",
            "/api/v1/requests",
            c,
            Some(with("subject_key", json!("7".repeat(10 * 1024 * 1024)))),
        )
        .await;
    assert!(
        s == StatusCode::BAD_REQUEST || s == StatusCode::PAYLOAD_TOO_LARGE,
        "{s}"
    );
    assert!(e.to_string().len() < 1000);
    assert_eq!(a.log_size().await, before, "nothing stored");
    let (_, b) = a.call("GET", "/api/v1/requests", c, None).await;
    assert_eq!(b["requests"], json!([]));

    // Unknown ids: 404 for every action.
    for (p, body) in [
        ("identity", Some(json!({"method": "video_call"}))),
        ("forward", None),
        ("pause", Some(json!({"reason": "r"}))),
        ("resume", Some(json!({}))),
        ("extend", Some(json!({"reason": "r"}))),
        ("close", None),
        ("refuse", Some(json!({"reason": "other"}))),
    ] {
        let (s, _) = a
            .call("POST", &format!("/api/v1/requests/req-0404/{p}"), c, body)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    }
    let (s, _) = a.call("GET", "/api/v1/requests/req-0404", c, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(a.log_size().await, before, "nothing stored");

    // On a real request: bad times, texts and answers store nothing.
    let id = open(a).await["id"].as_str().unwrap().to_string();
    a.call(
        "POST",
        &format!("/api/v1/requests/{id}/identity"),
        c,
        Some(json!({"method": "known_contact", "at": "2026-02-01T00:00:00Z"})),
    )
    .await;
    a.call("POST", &format!("/api/v1/requests/{id}/forward"), c, None)
        .await;
    let before = a.log_size().await;
    let p = |x: &str| format!("/api/v1/requests/{id}/{x}");
    for (path, body) in [
        (p("pause"), json!({"reason": "r", "at": future})),
        (p("pause"), json!({"reason": ""})),
        (p("pause"), json!({"reason": "x".repeat(501)})),
        (
            p("extend"),
            json!({"reason": "r", "at": "2020-01-01T00:00:00Z"}),
        ),
        (p("refuse"), json!({"reason": "bored"})),
        (p("identity"), json!({"method": "none_yet"})),
        (
            p("parts/lumen-inc/answer"),
            json!({"outcome": "done", "evidence_sha256": ["abc"]}),
        ),
        (
            p("parts/lumen-inc/answer"),
            json!({"outcome": "done", "evidence_sha256": ["ab".repeat(32), "cd".repeat(32)]}),
        ),
        (
            p("parts/lumen-inc/answer"),
            json!({"outcome": "done", "answered_at": future}),
        ),
        (p("parts/lumen-inc/answer"), json!({"outcome": "maybe"})),
    ] {
        let (s, e) = a
            .call("POST", &path, tok(a, Role::Admin), Some(body.clone()))
            .await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::CONFLICT,
            "{path} {body}: {s} {e}"
        );
    }
    let (s, _) = a
        .call(
            "POST",
            &p("parts/nobody-here/answer"),
            tok(a, Role::Admin),
            Some(json!({"outcome": "done"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a recipient without a part");
    assert_eq!(a.log_size().await, before, "nothing stored");
}

/// The list a page at a time: open or finished ones, `next_before` to go
/// on, a recipient only its own; the page every open request and the
/// newest fifty finished ones, with a link to the older.
async fn requests_come_a_page_at_a_time(a: &App) {
    ledger(a).await;
    // 55 people nobody carried (their requests close at once), one carried
    // to lumen-inc (forwarded, open), and one not yet forwarded.
    let staff = tok(a, Role::Compliance);
    let mut finished = Vec::new();
    for i in 0..55 {
        let key = format!("nobody-{i}");
        let (s, r) = a
            .call(
                "POST",
                "/api/v1/requests",
                staff,
                Some(json!({"kinds": ["know"], "subject_key": key, "identity": "account_login"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let id = r["id"].as_str().unwrap().to_string();
        for step in ["forward", "close"] {
            let (s, b) = a
                .call(
                    "POST",
                    &format!("/api/v1/requests/{id}/{step}"),
                    staff,
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{step}: {b}");
        }
        finished.push(id);
    }
    let opened = |key: &'static str| async move {
        let (s, r) = a
            .call(
                "POST",
                "/api/v1/requests",
                staff,
                Some(json!({"kinds": ["access"], "subject_key": key, "identity": "account_login"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        r["id"].as_str().unwrap().to_string()
    };
    let carried = opened(KEY_AS_GATE_SAW).await;
    let (s, _) = a
        .call(
            "POST",
            &format!("/api/v1/requests/{carried}/forward"),
            staff,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let waiting = opened("P-9").await;
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let newest_first: Vec<String> = finished.iter().rev().cloned().collect();
    // Pages of 20 of the finished ones, each once, newest first.
    let (mut seen, mut query) = (Vec::new(), "?state=finished&limit=20".to_string());
    loop {
        let (s, v) = a
            .call("GET", &format!("/api/v1/requests{query}"), staff, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        seen.extend(ids(&v));
        match v["next_before"].as_str() {
            Some(n) => query = format!("?state=finished&limit=20&before={n}"),
            None => break,
        }
    }
    assert_eq!(seen, newest_first);
    let (_, v) = a
        .call("GET", "/api/v1/requests?state=open", staff, None)
        .await;
    assert_eq!(ids(&v), [waiting.clone(), carried.clone()]);
    assert!(v["next_before"].is_null(), "{v}");
    let (_, v) = a.call("GET", "/api/v1/requests", staff, None).await;
    assert_eq!(ids(&v).len(), 57);
    // A recipient: the one forwarded to it.
    let (_, v) = a
        .call("GET", "/api/v1/requests", tok(a, Role::Recipient), None)
        .await;
    assert_eq!(ids(&v), std::slice::from_ref(&carried));
    for bad in [
        "?limit=0",
        "?limit=10001",
        "?state=done",
        "?limit=x",
        "?before=req-%01",
    ] {
        let (s, v) = a
            .call("GET", &format!("/api/v1/requests{bad}"), staff, None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }

    // The page: both open ones, then the newest 50 finished, then older.
    let page = |path: String| async move { a.page_body(Role::Compliance, &path).await };
    let rows = |body: &str| crate::common::row_ids(body, "request-");
    let first = page("/requests".into()).await;
    let mut want = vec![waiting.clone(), carried.clone()];
    want.extend(newest_first[..50].iter().cloned());
    assert_eq!(rows(&first), want);
    assert!(
        first.contains("Every open request (2), then 50 of 55 closed or refused, newest first"),
        "{first}"
    );
    let older = format!("/requests?before={}", newest_first[49]);
    assert!(first.contains(&format!("href=\"{older}\"")), "{first}");
    let rest = page(older).await;
    let mut want = vec![waiting.clone(), carried.clone()];
    want.extend(newest_first[50..].iter().cloned());
    assert_eq!(rows(&rest), want);
    assert!(
        !rest.contains("id=\"older-requests\"") && rest.contains("id=\"newest-requests\""),
        "{rest}"
    );
    // The overview counts them all and lists the open ones.
    let overview = page("/".into()).await;
    assert!(
        overview.contains(&waiting) && overview.contains(&carried),
        "{overview}"
    );
    assert!(
        !overview.contains(&format!(">{}<", finished[0])),
        "{overview}"
    );
}
