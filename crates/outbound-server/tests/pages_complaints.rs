//! The complaint pages: `/complaints` with state, due date and the triage
//! and answer forms (the session's CSRF token; admin and compliance only),
//! the complainant's `/complain/status` (no text, no contact), and the
//! overview's counts by outcome.

use axum::http::StatusCode;
use outbound_store::Role;
use serde_json::json;

use crate::common::App;

const TEXT: &str = "李四: my card data went abroad";
const CONTACT: &str = "lisi@example.invalid";

fn form_csrf(html: &str) -> String {
    let key = r#"name="csrf" value=""#;
    let at = html
        .find(key)
        .unwrap_or_else(|| panic!("no csrf input in {html}"));
    let rest = &html[at + key.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

async fn post_form(a: &App, cookie: &str, path: &str, body: &str) -> StatusCode {
    a.send(
        "POST",
        path,
        &[
            ("cookie", cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Some(body.to_string()),
    )
    .await
    .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_are_triaged_and_answered_from_their_page() {
    let a = tokio::task::spawn_blocking(|| crate::common::app(false).unwrap())
        .await
        .unwrap();
    let (s, b) = a
        .call(
            "POST",
            "/api/v1/complaints",
            None,
            Some(json!({"text": TEXT, "contact": CONTACT})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let t = b["tracking"].as_str().unwrap().to_string();

    // Compliance: state, due date and article, and the triage form.
    let c = a.session_cookie(Role::Compliance);
    let page = a.send("GET", "/complaints", &[("cookie", &c)], None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&t) && page.body.contains("received"));
    assert!(
        page.body.contains("35273-2020 §8.7 c)"),
        "the due date's article"
    );
    assert!(page.body.contains(&format!("/complaints/{t}/triage")));
    let csrf = form_csrf(&page.body);

    // A wrong token: 403, nothing stored.
    let triage = format!("/complaints/{t}/triage");
    let s = post_form(&a, &c, &triage, "csrf=wrong&category=security").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let s = post_form(
        &a,
        &c,
        &triage,
        &format!("csrf={csrf}&category=security&transfer=card-payments&recipient="),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let page = a.send("GET", "/complaints", &[("cookie", &c)], None).await;
    assert!(page.body.contains("being handled") && page.body.contains("security or leak"));
    assert!(page.body.contains("/transfers/card-payments"));
    let s = post_form(
        &a,
        &c,
        &format!("/complaints/{t}/answer"),
        &format!("csrf={csrf}&answer=We+stopped+it.&outcome=upheld"),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // An auditor reads the page but gets no forms; an engineer not at all.
    let au = a
        .send(
            "GET",
            "/complaints",
            &[("cookie", &a.session_cookie(Role::Auditor))],
            None,
        )
        .await;
    assert_eq!(au.status, StatusCode::OK);
    assert!(au.body.contains("answered") && !au.body.contains("/triage\""));
    let en = a
        .send(
            "GET",
            "/complaints",
            &[("cookie", &a.session_cookie(Role::Engineer))],
            None,
        )
        .await;
    assert_eq!(en.status, StatusCode::FORBIDDEN);

    // The overview counts by outcome, for those who read complaints.
    let ov = a.send("GET", "/", &[("cookie", &c)], None).await;
    assert!(ov.body.contains("id=\"complaint-counts\""), "{}", ov.body);
    assert!(ov.body.contains("upheld 1"));
    let zh = a.send("GET", "/?lang=zh", &[("cookie", &c)], None).await;
    assert!(zh.body.contains("投诉成立 1"));
    let ov = a
        .send(
            "GET",
            "/",
            &[("cookie", &a.session_cookie(Role::Regulator))],
            None,
        )
        .await;
    assert!(!ov.body.contains("complaint-counts"));

    // The complainant's page: the answer, never the text or the contact.
    let st = a
        .send("GET", &format!("/complain/status?tracking={t}"), &[], None)
        .await;
    assert_eq!(st.status, StatusCode::OK);
    assert!(st.body.contains("We stopped it.") && st.body.contains("upheld"));
    assert!(!st.body.contains("李四") && !st.body.contains("example.invalid"));
    let zh = a
        .send(
            "GET",
            &format!("/complain/status?tracking={t}&lang=zh"),
            &[],
            None,
        )
        .await;
    assert!(zh.body.contains("已答复"));
    let none = a
        .send(
            "GET",
            "/complain/status?tracking=C-0000000000000000",
            &[],
            None,
        )
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert!(none.body.contains("cst-missing"));
}
