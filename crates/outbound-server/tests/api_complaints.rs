//! Complaint handling under `/api/v1/complaints/{tracking}`: who may triage
//! and answer (admin, compliance), the complainant's public status (no text,
//! no contact; unknown and malformed ids the same 404; rate-limited), and bad
//! input refused with nothing stored; on both backends.

use axum::http::StatusCode;
use outbound_store::Role;
use serde_json::json;

use crate::common::App;

both!(
    only_admin_and_compliance_triage_and_answer,
    the_public_status_shows_no_text_or_contact,
    bad_triage_and_answers_store_nothing,
    complaints_come_a_page_at_a_time,
);

const TEXT: &str = "张三: my order history went to a reseller";
const CONTACT: &str = "zhangsan@example.invalid";

async fn complain(a: &App) -> String {
    let (s, b) = a
        .call(
            "POST",
            "/api/v1/complaints",
            None,
            Some(json!({"text": TEXT, "contact": CONTACT, "transfer": "crm-to-parent"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["tracking"].as_str().unwrap().to_string()
}

async fn only_admin_and_compliance_triage_and_answer(a: &App) {
    let t = complain(a).await;
    let triage = format!("/api/v1/complaints/{t}/triage");
    let answer = format!("/api/v1/complaints/{t}/answer");
    let tb = json!({"category": "processing", "transfer": "crm-to-parent"});
    let ab = json!({"answer": "We have stopped the transfer.", "outcome": "upheld"});
    // Roles in Role::ALL order: admin, compliance, engineer, auditor, recipient, regulator, association.
    let may = [true, true, false, false, false, false, false];
    let mut wrong = Vec::new();
    for (role, may) in Role::ALL.into_iter().zip(may) {
        let (s, b) = a
            .call("POST", &triage, Some(a.token(role)), Some(tb.clone()))
            .await;
        let want = if may { 200 } else { 403 };
        if s.as_u16() != want {
            wrong.push(format!("{role} triage: {s} {b}"));
        }
    }
    // Without a token: 401.
    let (s, _) = a.call("POST", &triage, None, Some(tb.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    for role in [
        Role::Engineer,
        Role::Auditor,
        Role::Recipient,
        Role::Regulator,
        Role::Association,
    ] {
        let (s, b) = a
            .call("POST", &answer, Some(a.token(role)), Some(ab.clone()))
            .await;
        if s != StatusCode::FORBIDDEN {
            wrong.push(format!("{role} answer: {s} {b}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let (s, b) = a
        .call(
            "POST",
            &answer,
            Some(a.token(Role::Compliance)),
            Some(ab.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "answered");
    assert_eq!(b["outcome"], "upheld");
    assert_eq!(b["answered_by"], "compliance");
    assert_eq!(b["category"], "processing");
    assert_eq!(b["rule"], "gbt35273-8.7");
    // Closed: a second answer and a new triage are conflicts.
    let (s, _) = a
        .call("POST", &answer, Some(a.token(Role::Admin)), Some(ab))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = a
        .call("POST", &triage, Some(a.token(Role::Admin)), Some(tb))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

async fn the_public_status_shows_no_text_or_contact(a: &App) {
    let t = complain(a).await;
    let path = format!("/api/v1/complaints/{t}");
    let (s, b) = a.call("GET", &path, None, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "received");
    assert_eq!(b["overdue"], false);
    let due: jiff::civil::Date = b["due"].as_str().unwrap().parse().unwrap();
    let received: jiff::Timestamp = b["received"].as_str().unwrap().parse().unwrap();
    let day = outbound_rules::complaint::local_day("CN", received);
    assert_eq!(due, day.checked_add(jiff::Span::new().days(30)).unwrap());
    assert!(b["answer"].is_null());
    let shown = b.to_string();
    assert!(
        !shown.contains("张三") && !shown.contains("example.invalid"),
        "{shown}"
    );

    let admin = Some(a.token(Role::Admin));
    let (s, _) = a
        .call(
            "POST",
            &format!("{path}/triage"),
            admin,
            Some(json!({"category": "rights_request", "transfer": "crm-to-parent"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = a
        .call(
            "POST",
            &format!("{path}/answer"),
            admin,
            Some(json!({"answer": "Here is what was sent.", "outcome": "partly_upheld"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = a.call("GET", &path, None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["state"], "answered");
    assert_eq!(b["answer"], "Here is what was sent.");
    assert_eq!(b["outcome"], "partly_upheld");
    let shown = b.to_string();
    assert!(
        !shown.contains("张三") && !shown.contains("example.invalid"),
        "{shown}"
    );
    assert!(b.get("contact").is_none() && b.get("text").is_none());

    // Unknown and malformed ids: the same 404.
    let (s1, b1) = a
        .call("GET", "/api/v1/complaints/C-0000000000000000", None, None)
        .await;
    let (s2, b2) = a
        .call("GET", "/api/v1/complaints/not-a-tracking-id", None, None)
        .await;
    assert_eq!((s1, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(b1, b2);
    // Rate-limited per client like the POST (five a minute).
    let (s, _) = a.call("GET", &path, None, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = a.call("GET", &path, None, None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

async fn bad_triage_and_answers_store_nothing(a: &App) {
    let t = complain(a).await;
    let admin = Some(a.token(Role::Admin));
    let before = a.log_size().await;
    let triage = format!("/api/v1/complaints/{t}/triage");
    let answer = format!("/api/v1/complaints/{t}/answer");
    let cases = [
        (
            "/api/v1/complaints/C-0000000000000000/triage".to_string(),
            json!({"category": "other"}),
            StatusCode::NOT_FOUND,
        ),
        (
            triage.clone(),
            json!({"category": "other", "transfer": "no-such-transfer"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            triage.clone(),
            json!({"category": "other", "recipient": "no-such-recipient"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            triage.clone(),
            json!({"category": "gossip"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            answer.clone(),
            json!({"answer": "fine", "outcome": "upheld"}),
            StatusCode::CONFLICT,
        ),
        (
            answer.clone(),
            json!({"answer": "fine", "outcome": "dismissed"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/complaints/C-0000000000000000/answer".to_string(),
            json!({"answer": "fine", "outcome": "upheld"}),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (path, body, want) in cases {
        let (s, b) = a.call("POST", &path, admin, Some(body.clone())).await;
        assert_eq!(s, want, "{path} {body}: {b}");
    }
    // Triaged, then a 10 MB answer.
    let (s, _) = a
        .call("POST", &triage, admin, Some(json!({"category": "other"})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let after_triage = a.log_size().await;
    assert_eq!(after_triage, before + 1);
    let (s, _) = a
        .call(
            "POST",
            &answer,
            admin,
            Some(json!({"answer": "x".repeat(10 * 1024 * 1024), "outcome": "upheld"})),
        )
        .await;
    assert!(
        s == StatusCode::PAYLOAD_TOO_LARGE || s == StatusCode::BAD_REQUEST,
        "{s}"
    );
    let (s, b) = a
        .call(
            "POST",
            &answer,
            admin,
            Some(json!({"answer": "x".repeat(10_001), "outcome": "upheld"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(
        !b.to_string().contains("xxxxxxxxxx"),
        "the answer is not echoed"
    );
    assert_eq!(a.log_size().await, after_triage, "nothing logged");
    let (_, l) = a.call("GET", "/api/v1/complaints", admin, None).await;
    assert_eq!(l["complaints"].as_array().unwrap().len(), 1);
}

/// The list a page at a time (`next_before`, open or answered), the page
/// every open complaint then the newest fifty answered, with a link to the
/// older, and the overview's counts from the store.
async fn complaints_come_a_page_at_a_time(a: &App) {
    // 55 answered and 2 open, written to the store as the server would
    // (the public channel allows five a minute from one client).
    let (loc, keys) = (a.store_location.clone(), a._dir.path().join("keys"));
    tokio::task::spawn_blocking(move || {
        let (s, k) = (
            outbound_store::Store::open(&loc).unwrap(),
            outbound_store::Keys::load(&keys).unwrap(),
        );
        let triage = outbound_store::complaints::Triage {
            category: "processing".into(),
            ..Default::default()
        };
        for i in 0..57u64 {
            let t = format!("C-{i:016x}");
            s.add_complaint(&k, &t, "synthetic complaint", None, None)
                .unwrap();
            if i < 55 {
                s.triage_complaint(&k, "ana", &t, &triage).unwrap();
                s.answer_complaint(&k, "ana", &t, "answered", "upheld")
                    .unwrap();
            }
        }
    })
    .await
    .unwrap();
    let staff = Some(a.token(Role::Compliance));
    let list = |q: String| async move {
        let (s, v) = a
            .call("GET", &format!("/api/v1/complaints{q}"), staff, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{q}: {v}");
        v
    };
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["complaints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["tracking"].as_str().unwrap().to_string())
            .collect()
    };
    // The whole list in its order (received newest first, ties by id).
    let all = list(String::new()).await;
    assert!(all["next_before"].is_null(), "{all}");
    let mut expected: Vec<(String, String)> = all["complaints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["at"].as_str().unwrap().to_string(),
                c["tracking"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    expected.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    let expected: Vec<String> = expected.into_iter().map(|e| e.1).collect();
    assert_eq!(ids(&all), expected);
    assert_eq!(expected.len(), 57);
    let open: Vec<String> = (55..57u64).map(|i| format!("C-{i:016x}")).collect();
    let answered: Vec<String> = expected
        .iter()
        .filter(|t| !open.contains(t))
        .cloned()
        .collect();
    let (mut seen, mut q) = (Vec::new(), "?state=answered&limit=20".to_string());
    loop {
        let v = list(q).await;
        seen.extend(ids(&v));
        match v["next_before"].as_str() {
            Some(n) => q = format!("?state=answered&limit=20&before={n}"),
            None => break,
        }
    }
    assert_eq!(seen, answered);
    let v = list("?state=open".into()).await;
    let open_in_order: Vec<String> = expected
        .iter()
        .filter(|t| open.contains(t))
        .cloned()
        .collect();
    assert_eq!(ids(&v), open_in_order);
    for bad in [
        "?limit=0",
        "?limit=10001",
        "?state=closed",
        "?limit=x",
        "?before=C-%00",
        &format!("?before={}", "a".repeat(201)),
    ] {
        let (s, v) = a
            .call("GET", &format!("/api/v1/complaints{bad}"), staff, None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }

    let page = |path: String| async move { a.page_body(Role::Compliance, &path).await };
    let rows = |body: &str| crate::common::row_ids(body, "complaint-");
    let first = page("/complaints".into()).await;
    let mut want = open_in_order.clone();
    want.extend(answered[..50].iter().cloned());
    assert_eq!(rows(&first), want);
    assert!(
        first.contains("Every open complaint (2), then 50 of 55 answered, newest first"),
        "{first}"
    );
    let older = format!("/complaints?before={}", answered[49]);
    assert!(first.contains(&format!("href=\"{older}\"")), "{first}");
    let rest = page(older).await;
    let mut want = open_in_order.clone();
    want.extend(answered[50..].iter().cloned());
    assert_eq!(rows(&rest), want);
    assert!(
        !rest.contains("id=\"older-complaints\"") && rest.contains("id=\"newest-complaints\""),
        "{rest}"
    );
    let zh = page("/complaints?lang=zh".into()).await;
    assert!(
        zh.contains("全部未答复的投诉（2 件），以及已答复的投诉共 55 件中的 50 件，最新的在前"),
        "{zh}"
    );
    // The overview: every complaint counted, by where it stands.
    let overview = page("/".into()).await;
    let counts = overview
        .split("id=\"complaint-counts\">")
        .nth(1)
        .unwrap()
        .split("</p>")
        .next()
        .unwrap();
    assert!(
        counts.contains("57") && counts.contains("55") && counts.contains(" 2"),
        "{counts}"
    );
}
