//! The rights-request pages: the public form `/request` (no account, CSRF
//! double submit, the key never echoed, a tracking id that cannot be guessed
//! from the sequential ids), `/requests` and `/requests/{id}` for staff with
//! their forms, and for a recipient scoped to its own part with the answer
//! form (evidence hashed on upload).

use axum::http::StatusCode;
use outbound_store::Role;

use crate::api_rights::{KEY, ledger};
use crate::common::{App, csrf_of};

async fn post(a: &App, cookie: &str, path: &str, body: &str) -> crate::common::Raw {
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
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_form_needs_no_account_and_never_echoes_the_key() {
    let a = tokio::task::spawn_blocking(|| crate::common::app(false).unwrap())
        .await
        .unwrap();
    ledger(&a).await;
    let page = a.send("GET", "/request?lang=zh", &[], None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("行使个人信息权利") && page.body.contains("撤回同意"));
    let csrf = page
        .cookie_value("outbound_login_csrf")
        .expect("a CSRF cookie");
    assert_eq!(csrf_of(&page.body), csrf);
    let cookie = format!("outbound_login_csrf={csrf}");
    let body = format!(
        "csrf={csrf}&kinds=delete&kinds=copy&subject_key={}",
        enc(KEY)
    );

    // Without the token: refused, nothing stored.
    let r = post(&a, "", "/request", &body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A refused form does not put the key back.
    let r = post(
        &a,
        &cookie,
        "/request",
        &format!("csrf={csrf}&subject_key={}", enc(KEY)),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!r.body.contains(KEY) && !r.body.contains("4401"));
    let (_, l) = a
        .call("GET", "/api/v1/requests", Some(a.token(Role::Admin)), None)
        .await;
    assert_eq!(l["requests"], serde_json::json!([]));

    let r = post(&a, &cookie, "/request", &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(!r.body.contains(KEY) && !r.body.contains("4401"));
    let at = r.body.find(r#"id="tracking">"#).unwrap() + 14;
    let tracking = r.body[at..].split('<').next().unwrap().to_string();
    assert!(
        tracking.starts_with("req-0001-") && tracking.len() == 25,
        "{tracking}"
    );

    // The request is in the register as the public form's, unchecked.
    let (_, v) = a
        .call(
            "GET",
            "/api/v1/requests/req-0001",
            Some(a.token(Role::Compliance)),
            None,
        )
        .await;
    assert_eq!(v["channel"], "public_form");
    assert_eq!(v["identity_method"], "none_yet");
    assert_eq!(v["kinds"], serde_json::json!(["copy", "delete"]));

    // Its status by the tracking id; the bare id or a forged MAC: not found.
    let s = a
        .send(
            "GET",
            &format!("/request/status?tracking={tracking}"),
            &[],
            None,
        )
        .await;
    assert_eq!(s.status, StatusCode::OK);
    assert!(s.body.contains("GDPR Art. 12(3)") && !s.body.contains("lumen-inc"));
    for bad in [
        "req-0001".to_string(),
        format!("req-0001-{}", "0".repeat(16)),
        tracking.replace("req-0001", "req-0002"),
    ] {
        let s = a
            .send("GET", &format!("/request/status?tracking={bad}"), &[], None)
            .await;
        assert_eq!(s.status, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_handle_and_a_recipient_answers_its_part_from_the_pages() {
    let a = tokio::task::spawn_blocking(|| crate::common::app(false).unwrap())
        .await
        .unwrap();
    ledger(&a).await;
    let c = a.session_cookie(Role::Compliance);
    let list = a.send("GET", "/requests", &[("cookie", &c)], None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(r#"href="/requests""#), "the nav link");
    let csrf = csrf_of(&list.body);
    let r = post(
        &a,
        &c,
        "/requests",
        &format!(
            "csrf={csrf}&kinds=delete&subject_key={}&identity=none_yet&regimes=CN&regimes=EU&received_at=2026-01-31T10%3A00",
            enc(KEY)
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = a.send("GET", "/requests", &[("cookie", &c)], None).await;
    assert!(list.body.contains("req-0001") && list.body.contains("2026-02-28"));
    assert!(
        list.body.contains(r#"class="overdue""#),
        "received in January, still open"
    );
    assert!(!list.body.contains(KEY));

    // Wrong token: refused. Then identity and forward through the forms.
    let r = post(
        &a,
        &c,
        "/requests/req-0001/identity",
        "csrf=no&method=video_call",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for (p, b) in [
        ("identity", "method=video_call&at=2026-02-01T09%3A00"),
        ("forward", ""),
    ] {
        let r = post(
            &a,
            &c,
            &format!("/requests/req-0001/{p}"),
            &format!("csrf={csrf}&{b}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{p}: {}", r.body);
    }
    let d = a
        .send("GET", "/requests/req-0001", &[("cookie", &c)], None)
        .await;
    assert_eq!(d.status, StatusCode::OK);
    for s in [
        "GDPR Art. 12(3)",
        "§8.7",
        "lumen-inc",
        "metricly",
        "crm-to-parent",
        "/requests/req-0001/close",
    ] {
        assert!(d.body.contains(s), "{s}");
    }
    // Closing while parts wait: a clear refusal.
    let r = post(&a, &c, "/requests/req-0001/close", &format!("csrf={csrf}")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // The recipient: its part only, with the answer form; the evidence hashed.
    let rc = a.session_cookie(Role::Recipient);
    let d = a
        .send("GET", "/requests/req-0001", &[("cookie", &rc)], None)
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.body.contains("/requests/req-0001/parts/lumen-inc/answer"));
    assert!(!d.body.contains("metricly"), "another recipient's part");
    assert!(
        !d.body.contains("/requests/req-0001/close"),
        "no staff forms"
    );
    let rcsrf = csrf_of(&d.body);
    let boundary = "XrqBoundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{rcsrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"outcome\"\r\n\r\ndone\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"deleted.txt\"\r\nContent-Type: text/plain\r\n\r\nrows deleted\r\n\
         --{boundary}--\r\n"
    );
    let ct = format!("multipart/form-data; boundary={boundary}");
    let r = a
        .send(
            "POST",
            "/requests/req-0001/parts/lumen-inc/answer",
            &[("cookie", &rc), ("content-type", &ct)],
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = a
        .send(
            "POST",
            "/requests/req-0001/parts/metricly/answer",
            &[("cookie", &rc), ("content-type", &ct)],
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another's part");
    let d = a
        .send("GET", "/requests/req-0001", &[("cookie", &rc)], None)
        .await;
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(b"rows deleted"));
    assert!(d.body.contains(&sha), "the upload's SHA-256");

    // Roles that may not read requests: 403, and no nav link.
    for r in [Role::Regulator, Role::Engineer, Role::Association] {
        let s = a.session_cookie(r);
        let p = a.send("GET", "/requests", &[("cookie", &s)], None).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{r}");
        let o = a.send("GET", "/", &[("cookie", &s)], None).await;
        assert!(!o.body.contains(r#"href="/requests""#), "{r}");
    }
}
