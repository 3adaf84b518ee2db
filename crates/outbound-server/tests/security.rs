//! Security: sign-in and sessions, CSRF on every form, credentials that do not
//! cross between pages and API, every role against every API path, ids that
//! cannot be probed, text from the map escaped, no personal data in errors or
//! the audit log, a tampered accounts table; on both backends.

use axum::http::StatusCode;
use outbound_server::auth::{LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use outbound_store::Role;
use serde_json::json;

use crate::common::{App, Raw, app, app_with_map, lumen_copy};

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(false).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(true).await } )* }
    };
}

both!(
    sign_in_sets_strict_http_only_cookies,
    a_wrong_password_and_an_unknown_account_answer_alike,
    sign_in_needs_the_login_csrf_token,
    sign_in_is_rate_limited,
    page_forms_need_the_sessions_csrf_token,
    tokens_do_not_open_pages_and_cookies_do_not_open_the_api,
    every_role_on_every_api_path,
    another_recipients_transfer_looks_absent,
    text_from_the_map_is_escaped,
    complaints_errors_and_audit_hold_no_personal_data,
    a_path_with_a_phone_number_is_not_echoed,
    a_tampered_accounts_table_refuses_tokens,
    the_login_form_carries_its_csrf_token,
    a_form_without_a_csrf_field_is_403,
);

/// The example app, or None when PostgreSQL is asked for but not configured.
async fn new_app(pg: bool) -> Option<App> {
    tokio::task::spawn_blocking(move || app(pg)).await.unwrap()
}

/// Runs blocking store work (a second store handle) from a test.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// The value of the first hidden `csrf` input of a page.
fn form_csrf(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("no csrf input in {html}"));
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// The login page's CSRF cookie and the token its form carries (double submit).
async fn login_form(a: &App) -> (String, String) {
    let r = a.send("GET", "/login", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    let cookie = r
        .cookie_value(LOGIN_CSRF_COOKIE)
        .expect("a login CSRF cookie");
    (cookie, form_csrf(&r.body))
}

async fn post_login(a: &App, cookie: Option<&str>, body: &str) -> Raw {
    let c = cookie.map(|c| format!("{LOGIN_CSRF_COOKIE}={c}"));
    let mut h = vec![FORM];
    if let Some(c) = &c {
        h.push(("cookie", c));
    }
    a.send("POST", "/login", &h, Some(body.to_string())).await
}

/// A signed-in browser: its session cookie (`name=value`) and its CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn sign_in(a: &App, name: &str, password: &str) -> Session {
    let (cookie, csrf) = login_form(a).await;
    let r = post_login(
        a,
        Some(&cookie),
        &format!("csrf={csrf}&name={name}&password={password}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.cookie_value(SESSION_COOKIE).expect("a session cookie");
    let cookie = format!("{SESSION_COOKIE}={id}");
    let page = a.send("GET", "/audit", &[("cookie", &cookie)], None).await;
    assert_eq!(page.status, StatusCode::OK);
    Session {
        csrf: form_csrf(&page.body),
        cookie,
    }
}

/// Posts a page form with the session's cookie.
async fn post_form(a: &App, s: &Session, path: &str, body: &str) -> Raw {
    a.send(
        "POST",
        path,
        &[FORM, ("cookie", &s.cookie)],
        Some(body.to_string()),
    )
    .await
}

async fn audit_size(a: &App) -> u64 {
    let (s, cp) = a
        .call(
            "GET",
            "/api/v1/audit/checkpoint",
            Some(a.token(Role::Auditor)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cp}");
    cp["size"].as_u64().unwrap()
}

async fn suspended(a: &App, id: &str) -> bool {
    let (s, t) = a
        .call(
            "GET",
            &format!("/api/v1/transfers/{id}"),
            Some(a.token(Role::Auditor)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    t["suspended"].as_bool().unwrap()
}

/// The newest audit entry: its kind and body.
fn last_entry(a: &App) -> (String, serde_json::Value) {
    let (store, _) = a.open_store();
    let e = store.audit_entries().unwrap().pop().unwrap();
    (e.kind, serde_json::from_str(&e.body).unwrap())
}

fn assert_cookie_is_strict(set_cookie: &str) {
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            set_cookie.split(';').any(|a| a.trim() == attr),
            "{attr} missing: {set_cookie}"
        );
    }
}

async fn sign_in_sets_strict_http_only_cookies(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let password = blocking(|| a.set_password(Role::Compliance));
    let r = a.send("GET", "/login", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    let c = r
        .set_cookie(LOGIN_CSRF_COOKIE)
        .expect("a login CSRF cookie");
    assert_cookie_is_strict(&c);
    let token = r.cookie_value(LOGIN_CSRF_COOKIE).unwrap();
    assert_eq!(token.len(), 64, "a 256-bit token: {token}");
    let r = post_login(
        &a,
        Some(&token),
        &format!("csrf={token}&name=compliance&password={password}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.headers["location"], "/");
    let c = r.set_cookie(SESSION_COOKIE).expect("a session cookie");
    assert_cookie_is_strict(&c);
    assert!(c.contains("Max-Age=28800"), "8 hours: {c}");
    let id = r.cookie_value(SESSION_COOKIE).unwrap();
    assert_eq!(id.len(), 64);
    assert_eq!(
        r.cookie_value(LOGIN_CSRF_COOKIE).as_deref(),
        Some(""),
        "the login token is spent"
    );
    let page = a
        .send(
            "GET",
            "/audit",
            &[("cookie", &format!("{SESSION_COOKIE}={id}"))],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(r#"<strong id="who">compliance</strong>"#)
    );
    // A made-up session id is no session.
    let forged = a
        .send(
            "GET",
            "/",
            &[("cookie", &format!("{SESSION_COOKIE}={}", "0".repeat(64)))],
            None,
        )
        .await;
    assert_eq!(forged.status, StatusCode::SEE_OTHER);
    assert_eq!(forged.headers["location"], "/login");
}

/// A page's body with its random CSRF tokens blanked, to compare two answers.
fn without_csrf(r: &Raw) -> String {
    let t = r
        .cookie_value(LOGIN_CSRF_COOKIE)
        .expect("a fresh login token");
    r.body.replace(&t, "CSRF")
}

async fn a_wrong_password_and_an_unknown_account_answer_alike(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let password = blocking(|| a.set_password(Role::Admin));
    let (c, t) = login_form(&a).await;
    let wrong = post_login(
        &a,
        Some(&c),
        &format!("csrf={t}&name=admin&password={password}x"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.set_cookie(SESSION_COOKIE).is_none());
    let unknown = post_login(
        &a,
        Some(&c),
        &format!("csrf={t}&name=nobody&password={password}"),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.set_cookie(SESSION_COOKIE).is_none());
    assert_eq!(without_csrf(&wrong), without_csrf(&unknown));
    assert!(wrong.body.contains(r#"id="login-error""#), "{}", wrong.body);
    // An account without a password cannot sign in with any.
    let nopass = post_login(&a, Some(&c), &format!("csrf={t}&name=auditor&password=")).await;
    assert_eq!(nopass.status, StatusCode::UNAUTHORIZED);
    assert_eq!(without_csrf(&nopass), without_csrf(&unknown));
}

async fn sign_in_needs_the_login_csrf_token(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let password = blocking(|| a.set_password(Role::Admin));
    let (c, t) = login_form(&a).await;
    let (_, other) = login_form(&a).await;
    let good = format!("name=admin&password={password}");
    for (what, cookie, body) in [
        ("no cookie", None, format!("csrf={t}&{good}")),
        (
            "wrong token",
            Some(c.as_str()),
            format!("csrf={other}&{good}"),
        ),
        ("empty token", Some(c.as_str()), format!("csrf=&{good}")),
        ("empty cookie and token", Some(""), format!("csrf=&{good}")),
    ] {
        let r = post_login(&a, cookie, &body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
        assert!(r.set_cookie(SESSION_COOKIE).is_none(), "{what}");
    }
    // The same form with its token signs in.
    let r = post_login(&a, Some(&c), &format!("csrf={t}&{good}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

async fn sign_in_is_rate_limited(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let password = blocking(|| a.set_password(Role::Admin));
    let (c, t) = login_form(&a).await;
    for i in 0..10 {
        let r = post_login(
            &a,
            Some(&c),
            &format!("csrf={t}&name=admin&password=guess{i}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {}", i + 1);
    }
    // The 11th attempt in the minute is refused even with the right password.
    let r = post_login(
        &a,
        Some(&c),
        &format!("csrf={t}&name=admin&password={password}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.set_cookie(SESSION_COOKIE).is_none());
}

async fn page_forms_need_the_sessions_csrf_token(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let (pc, pa, pe) = blocking(|| {
        (
            a.set_password(Role::Compliance),
            a.set_password(Role::Admin),
            a.set_password(Role::Engineer),
        )
    });
    let s = sign_in(&a, "compliance", &pc).await;
    let other = sign_in(&a, "admin", &pa).await;
    assert_ne!(s.csrf, other.csrf, "each session has its own token");
    let id = "crm-to-parent";
    let bad_bodies = |reason: bool| {
        let r = if reason { "&reason=forged" } else { "" };
        [
            format!("csrf={}{r}", "0".repeat(64)),
            format!("csrf={}{r}", other.csrf),
            format!("csrf={r}"),
        ]
    };
    // Refused forms change nothing: not the route, not the log, not the session.
    for suspend_first in [false, true] {
        if suspend_first {
            let r = post_form(
                &a,
                &s,
                &format!("/transfers/{id}/suspend"),
                &format!("csrf={}&reason=recipient+in+breach", s.csrf),
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            assert_eq!(r.headers["location"], format!("/transfers/{id}"));
            assert!(suspended(&a, id).await);
            let (kind, body) = blocking(|| last_entry(&a));
            assert_eq!(kind, "route_suspended");
            assert_eq!(body["by"], "compliance", "{body}");
        }
        let size = audit_size(&a).await;
        for path in [
            format!("/transfers/{id}/suspend"),
            format!("/transfers/{id}/resume"),
        ] {
            for body in bad_bodies(true) {
                let r = post_form(&a, &s, &path, &body).await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} {body}: {}", r.body);
            }
        }
        for body in bad_bodies(false) {
            let r = post_form(&a, &s, "/logout", &body).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "/logout {body}: {}",
                r.body
            );
        }
        assert_eq!(suspended(&a, id).await, suspend_first);
        assert_eq!(audit_size(&a).await, size, "a refused form wrote nothing");
        let still = a
            .send("GET", "/audit", &[("cookie", &s.cookie)], None)
            .await;
        assert_eq!(still.status, StatusCode::OK, "the session survives");
    }
    // A role that may not switch routes is refused with its own valid token.
    let e = sign_in(&a, "engineer", &pe).await;
    let size = audit_size(&a).await;
    let r = post_form(
        &a,
        &e,
        &format!("/transfers/{id}/resume"),
        &format!("csrf={}&reason=x", e.csrf),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(suspended(&a, id).await);
    assert_eq!(audit_size(&a).await, size);
    // The right token resumes, and the log names the account.
    let r = post_form(
        &a,
        &other,
        &format!("/transfers/{id}/resume"),
        &format!("csrf={}&reason=cured", other.csrf),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!suspended(&a, id).await);
    assert_eq!(audit_size(&a).await, size + 1);
    let (kind, body) = blocking(|| last_entry(&a));
    assert_eq!(kind, "route_resumed");
    assert_eq!(body["by"], "admin", "{body}");
    assert_eq!(body["transfer"], id);
    // Signing out ends the session on the server, not only in the browser.
    let r = post_form(&a, &s, "/logout", &format!("csrf={}", s.csrf)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers["location"], "/login");
    assert_eq!(r.cookie_value(SESSION_COOKIE).as_deref(), Some(""));
    let after = a
        .send("GET", "/audit", &[("cookie", &s.cookie)], None)
        .await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.headers["location"], "/login");
    let other_still = a
        .send("GET", "/audit", &[("cookie", &other.cookie)], None)
        .await;
    assert_eq!(other_still.status, StatusCode::OK);
}

async fn tokens_do_not_open_pages_and_cookies_do_not_open_the_api(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let password = blocking(|| a.set_password(Role::Admin));
    let s = sign_in(&a, "admin", &password).await;
    let bearer = format!("Bearer {}", a.token(Role::Admin));
    for path in ["/", "/transfers/crm-to-parent", "/audit", "/complaints"] {
        let r = a
            .send("GET", path, &[("authorization", &bearer)], None)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers["location"], "/login", "{path}");
    }
    let r = a
        .send(
            "POST",
            "/transfers/crm-to-parent/suspend",
            &[FORM, ("authorization", &bearer)],
            Some("csrf=&reason=x".into()),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    for path in [
        "/api/v1/transfers",
        "/api/v1/transfers/crm-to-parent",
        "/api/v1/complaints",
    ] {
        let r = a.send("GET", path, &[("cookie", &s.cookie)], None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.json()["error"]["code"], "unauthorized");
    }
    let r = a
        .send(
            "POST",
            "/api/v1/transfers/crm-to-parent/suspend",
            &[("cookie", &s.cookie), ("content-type", "application/json")],
            Some(json!({"reason": "x"}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(!suspended(&a, "crm-to-parent").await);
}

/// What each role gets on each API path, in the order of [`Role::ALL`]:
/// admin, compliance, engineer, auditor, recipient, regulator, association.
/// Written out, not computed from `access::allows`, so that a change to the
/// access table shows here.
const MATRIX: [(&str, &str, [u16; 7]); 10] = [
    (
        "GET",
        "/api/v1/transfers",
        [200, 200, 200, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/api/v1/transfers/crm-to-parent",
        [200, 200, 200, 200, 200, 200, 403],
    ),
    ("GET", "/api/v1/status", [200, 200, 200, 200, 403, 200, 403]),
    (
        "GET",
        "/api/v1/batches",
        [200, 200, 200, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/api/v1/audit/checkpoint",
        [200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/complaints",
        [200, 200, 403, 200, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/scan-sources",
        [200, 200, 200, 200, 403, 403, 403],
    ),
    ("GET", "/api/v1/scans", [200, 200, 200, 200, 403, 403, 403]),
    (
        "POST",
        "/api/v1/transfers/crm-to-parent/suspend",
        [200, 200, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/transfers/crm-to-parent/resume",
        [200, 200, 403, 403, 403, 403, 403],
    ),
];

async fn every_role_on_every_api_path(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let mut wrong = Vec::new();
    for (method, path, expected) in MATRIX {
        for (role, want) in Role::ALL.into_iter().zip(expected) {
            let size = audit_size(&a).await;
            let body = (method == "POST").then(|| json!({"reason": "matrix"}));
            let (s, b) = a.call(method, path, Some(a.token(role)), body).await;
            if s.as_u16() != want {
                wrong.push(format!("{role} {method} {path}: {s}, expected {want}"));
            }
            if s == StatusCode::FORBIDDEN {
                assert_eq!(b["error"]["code"], "forbidden", "{role} {path}");
                assert_eq!(audit_size(&a).await, size, "{role} {path}: a 403 wrote");
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

async fn another_recipients_transfer_looks_absent(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let password = blocking(|| a.set_password(Role::Recipient));
    let t = a.token(Role::Recipient);
    // analytics-eu goes to metricly; the recipient account speaks for lumen-inc.
    let (s, theirs) = a
        .call("GET", "/api/v1/transfers/analytics-eu", Some(t), None)
        .await;
    let (s2, none) = a
        .call("GET", "/api/v1/transfers/no-such-id", Some(t), None)
        .await;
    assert_eq!((s, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(theirs, none);
    let (s, _) = a
        .call("GET", "/api/v1/transfers/crm-to-parent", Some(t), None)
        .await;
    assert_eq!(s, StatusCode::OK, "its own transfer");
    // Nor can it switch another's route.
    let (s, e) = a
        .call(
            "POST",
            "/api/v1/transfers/analytics-eu/suspend",
            Some(t),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let session = sign_in(&a, "recipient", &password).await;
    let h = [("cookie", session.cookie.as_str())];
    let theirs = a.send("GET", "/transfers/analytics-eu", &h, None).await;
    let none = a.send("GET", "/transfers/no-such-id", &h, None).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.body, none.body);
    assert!(!theirs.body.contains("analytics-eu") && !theirs.body.contains("Metricly"));
    let mine = a.send("GET", "/transfers/crm-to-parent", &h, None).await;
    assert_eq!(mine.status, StatusCode::OK);
    let overview = a.send("GET", "/", &h, None).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("crm-to-parent"), "its own is listed");
    assert!(
        !overview.body.contains("analytics-eu"),
        "listed to a stranger"
    );
}

const SCRIPT: &str = "<script>alert(1)</script>";
const ATTR: &str = r#""><img src=x onerror=alert(1)>"#;

async fn text_from_the_map_is_escaped(pg: bool) {
    // Names and purposes of two transfers made hostile (YAML single-quoted).
    let map = lumen_copy(|y| {
        y.replace(
            "name: Customer profiles to the US parent",
            &format!("name: '{SCRIPT}'"),
        )
        .replace(
            "purpose: group-wide customer service and loyalty programme",
            &format!("purpose: '{SCRIPT}'"),
        )
        .replace(
            "name: Employee records to headquarters",
            &format!("name: '{ATTR}'"),
        )
        .replace(
            "purpose: global HR management (grading, compensation review)",
            &format!("purpose: '{ATTR}'"),
        )
    });
    let path = map.path().to_path_buf();
    let Some(a) = tokio::task::spawn_blocking(move || app_with_map(pg, &path))
        .await
        .unwrap()
    else {
        return;
    };
    let password = blocking(|| a.set_password(Role::Admin));
    let s = sign_in(&a, "admin", &password).await;
    let h = [("cookie", s.cookie.as_str())];
    let escaped_script = "&lt;script&gt;alert(1)&lt;";
    let escaped_attr = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;";
    for (path, wants) in [
        ("/", vec![escaped_script, escaped_attr]),
        ("/transfers/crm-to-parent", vec![escaped_script]),
        ("/transfers/hr-to-parent", vec![escaped_attr]),
    ] {
        let r = a.send("GET", path, &h, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        for raw in ["<script>alert", "<img", "onerror=alert(1)>"] {
            assert!(!r.body.contains(raw), "{path}: {raw} unescaped");
        }
        for want in wants {
            assert!(r.body.contains(want), "{path}: {want} missing");
        }
    }
    // The API gives the text as it is, as a JSON string.
    for (id, name) in [("crm-to-parent", SCRIPT), ("hr-to-parent", ATTR)] {
        let r = a
            .send(
                "GET",
                &format!("/api/v1/transfers/{id}"),
                &[("authorization", &format!("Bearer {}", a.token(Role::Admin)))],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert_eq!(r.json()["name"], name);
    }
}

// Synthetic personal data: a name, a mobile number, an e-mail address.
const NAME: &str = "Zhang Synthetic";
const PHONE: &str = "13900001234";
const EMAIL: &str = "zhang.synthetic@example.invalid";

fn assert_no_personal_data(what: &str, text: &str) {
    for pd in [NAME, PHONE, EMAIL, "Zhang", "0001234"] {
        assert!(!text.contains(pd), "{what} echoes {pd}: {text}");
    }
}

async fn complaints_errors_and_audit_hold_no_personal_data(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let text = format!("{NAME} ({PHONE}, {EMAIL}): my data was sold");
    let json_h = [("content-type", "application/json")];
    let post = |body: String| a.send("POST", "/api/v1/complaints", &json_h, Some(body));
    // Bodies the JSON reader refuses (not counted by the limiter).
    for (what, body) in [
        ("a bare string", json!(text).to_string()),
        (
            "a number as contact",
            format!(r#"{{"text": "x", "contact": {PHONE}}}"#),
        ),
        ("a number as text", format!(r#"{{"text": {PHONE}}}"#)),
        (
            "a bool as text",
            format!(r#"{{"text": true, "contact": "{EMAIL}"}}"#),
        ),
        ("text as a list", json!({"text": [text]}).to_string()),
        ("broken JSON", format!(r#"{{"text": "{text}", "#)),
        ("no text", json!({"contact": EMAIL}).to_string()),
    ] {
        let r = post(body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.body);
        assert_eq!(
            r.json()["error"]["code"],
            "bad_request",
            "{what}: {}",
            r.body
        );
        assert_no_personal_data(what, &r.body);
    }
    let r = a
        .send(
            "POST",
            "/api/v1/complaints",
            &[],
            Some(json!({"text": text}).to_string()),
        )
        .await;
    assert!(r.status.is_client_error(), "no content type: {}", r.status);
    assert_no_personal_data("no content type", &r.body);
    // Bodies the channel refuses (each counts against the five a minute).
    for (what, body) in [
        (
            "text too long",
            json!({"text": text.repeat(300), "contact": EMAIL}),
        ),
        (
            "contact too long",
            json!({"text": text, "contact": format!("{EMAIL} {PHONE} ").repeat(20)}),
        ),
        (
            "transfer with a newline",
            json!({"text": text, "contact": PHONE, "transfer": format!("x\n{PHONE}")}),
        ),
    ] {
        let r = post(body.to_string()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.body);
        assert_no_personal_data(what, &r.body);
    }
    let size = audit_size(&a).await;
    let r = post(
        json!({"text": text, "contact": format!("{EMAIL}, {PHONE}"), "transfer": "crm-to-parent"})
            .to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let tracking = r.json()["tracking"].as_str().unwrap().to_string();
    assert_eq!(audit_size(&a).await, size + 1);
    let (kind, body) = blocking(|| last_entry(&a));
    assert_eq!(kind, "complaint_received");
    assert_eq!(body["tracking"], tracking.as_str());
    assert_eq!(body["transfer"], "crm-to-parent");
    assert_no_personal_data("the audit entry", &body.to_string());
    assert!(!body.to_string().contains("sold"), "{body}");
    // Whatever a complainant types as the transfer stays out of the log
    // unless it is a transfer of the map (the log is public to regulators
    // and cannot be erased).
    let r = post(json!({"text": text, "transfer": format!("call {PHONE}")}).to_string()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (_, body) = blocking(|| last_entry(&a));
    assert_no_personal_data("the audit entry of a free-text transfer", &body.to_string());
    let (_, list) = a
        .call(
            "GET",
            "/api/v1/complaints",
            Some(a.token(Role::Compliance)),
            None,
        )
        .await;
    assert!(
        list.to_string().contains(&format!("call {PHONE}")),
        "what was typed is kept with the complaint: {list}"
    );
    // The sixth in the minute is refused, without echo.
    let r = post(json!({"text": text, "contact": EMAIL}).to_string()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_no_personal_data("429", &r.body);
    // The public form too.
    let g = a.send("GET", "/complain", &[], None).await;
    let c = g.cookie_value(LOGIN_CSRF_COOKIE).unwrap();
    let cookie = format!("{LOGIN_CSRF_COOKIE}={c}");
    let r = a
        .send(
            "POST",
            "/complain",
            &[FORM, ("cookie", &cookie)],
            Some(format!(
                "csrf={c}&text=Zhang+Synthetic+{PHONE}&contact={PHONE}"
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_no_personal_data("the complaint page's 429", &r.body);
}

async fn a_path_with_a_phone_number_is_not_echoed(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let password = blocking(|| a.set_password(Role::Admin));
    let s = sign_in(&a, "admin", &password).await;
    let bearer = format!("Bearer {}", a.token(Role::Admin));
    for (path, auth) in [
        (format!("/api/v1/transfers/{PHONE}"), true),
        (format!("/api/v1/transfers/{PHONE}/suspend"), true),
        (format!("/api/v1/people/{PHONE}"), true),
        (format!("/api/v1/people/{PHONE}"), false),
        (format!("/people/{PHONE}"), false),
        (format!("/api/v1/transfers/%FF{PHONE}"), true),
        (format!("/transfers/{PHONE}"), false),
        (format!("/transfers/%FF{PHONE}"), false),
    ] {
        let h: Vec<(&str, &str)> = if auth {
            vec![("authorization", &bearer)]
        } else {
            vec![("cookie", &s.cookie)]
        };
        let r = a.send("GET", &path, &h, None).await;
        assert!(r.status.is_client_error(), "{path}: {}", r.status);
        assert_no_personal_data(&path, &r.body);
        if path.starts_with("/api/") {
            assert!(
                r.json()["error"]["code"].is_string(),
                "{path}: not the contract's error shape: {}",
                r.body
            );
        }
    }
    let r = a
        .send(
            "POST",
            &format!("/api/v1/transfers/{PHONE}/suspend"),
            &[
                ("authorization", &bearer),
                ("content-type", "application/json"),
            ],
            Some(json!({"reason": "x"}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_no_personal_data("suspend", &r.body);
}

async fn a_tampered_accounts_table_refuses_tokens(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let (s, _) = a
        .call(
            "GET",
            "/api/v1/transfers",
            Some(a.token(Role::Engineer)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Whoever holds the database promotes the engineer.
    blocking(|| a.tamper("UPDATE accounts SET role = 'admin' WHERE name = 'engineer'"));
    for role in [Role::Engineer, Role::Auditor] {
        let (s, e) = a
            .call("GET", "/api/v1/transfers", Some(a.token(role)), None)
            .await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{role}: {e}");
        assert_eq!(e["error"]["code"], "store_does_not_verify", "{role}: {e}");
    }
    let (s, e) = a
        .call(
            "POST",
            "/api/v1/transfers/crm-to-parent/suspend",
            Some(a.token(Role::Engineer)),
            Some(json!({"reason": "promoted"})),
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{e}");
    // A token nobody issued is still a 401 only if the store can say so; it
    // cannot here, and the answer must not be a 200 or a 500.
    let (s, _) = a
        .call("GET", "/api/v1/transfers", Some("obt_made-up"), None)
        .await;
    assert!(
        s == StatusCode::UNAUTHORIZED || s == StatusCode::SERVICE_UNAVAILABLE,
        "{s}"
    );
}

async fn the_login_form_carries_its_csrf_token(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let password = blocking(|| a.set_password(Role::Admin));
    for path in ["/login", "/complain"] {
        let r = a.send("GET", path, &[], None).await;
        let cookie = r.cookie_value(LOGIN_CSRF_COOKIE).unwrap();
        assert_eq!(
            form_csrf(&r.body),
            cookie,
            "{path}: the form's token is the cookie's"
        );
    }
    // Signing in with exactly what the page gives.
    let r = a.send("GET", "/login", &[], None).await;
    let (c, t) = (
        r.cookie_value(LOGIN_CSRF_COOKIE).unwrap(),
        form_csrf(&r.body),
    );
    let r = post_login(
        &a,
        Some(&c),
        &format!("csrf={t}&name=admin&password={password}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

async fn a_form_without_a_csrf_field_is_403(pg: bool) {
    let Some(a) = new_app(pg).await else { return };
    let password = blocking(|| a.set_password(Role::Admin));
    let (c, _) = login_form(&a).await;
    let r = post_login(&a, Some(&c), &format!("name=admin&password={password}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "/login: {}", r.body);
    assert!(r.set_cookie(SESSION_COOKIE).is_none());
    let cookie = format!("{LOGIN_CSRF_COOKIE}={c}");
    let r = a
        .send(
            "POST",
            "/complain",
            &[FORM, ("cookie", &cookie)],
            Some("text=x".into()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "/complain: {}", r.body);
    let s = sign_in(&a, "admin", &password).await;
    let size = audit_size(&a).await;
    for (path, body) in [
        ("/transfers/crm-to-parent/suspend", "reason=x"),
        ("/transfers/crm-to-parent/resume", "reason=x"),
        ("/logout", ""),
    ] {
        let r = post_form(&a, &s, path, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    assert!(!suspended(&a, "crm-to-parent").await);
    assert_eq!(audit_size(&a).await, size);
    let still = a
        .send("GET", "/audit", &[("cookie", &s.cookie)], None)
        .await;
    assert_eq!(still.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_browser_protections() {
    let a = new_app(false).await.unwrap();
    let bearer = format!("Bearer {}", a.token(Role::Admin));
    let json_h = ("content-type", "application/json");
    for (method, path, h, body) in [
        ("GET", "/login", vec![], None),
        ("GET", "/", vec![], None),
        ("GET", "/complain", vec![], None),
        (
            "GET",
            "/api/v1/transfers",
            vec![("authorization", bearer.as_str())],
            None,
        ),
        ("GET", "/api/v1/transfers", vec![], None),
        ("GET", "/api/v1/openapi.json", vec![], None),
        ("GET", "/no/such/path", vec![], None),
        (
            "POST",
            "/api/v1/complaints",
            vec![json_h],
            Some(json!({"text": "synthetic"}).to_string()),
        ),
    ] {
        let r = a.send(method, path, &h, body).await;
        for (k, v) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
        ] {
            assert_eq!(
                r.headers.get(k).and_then(|v| v.to_str().ok()),
                Some(v),
                "{method} {path} ({}): {k}",
                r.status
            );
        }
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
}

/// Guesses at one account spread over many client addresses are limited on
/// the account too; another account is not held up by them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_rate_limited_per_account_across_addresses() {
    use axum::extract::ConnectInfo;
    use tower::ServiceExt;
    let Some(a) = new_app(false).await else {
        return;
    };
    let (admin_pw, auditor_pw) =
        blocking(|| (a.set_password(Role::Admin), a.set_password(Role::Auditor)));
    let (c, t) = login_form(&a).await;
    let post = |ip: u8, body: String| {
        let mut req = axum::http::Request::builder()
            .method("POST")
            .uri("/login")
            .header(FORM.0, FORM.1)
            .header("cookie", format!("{LOGIN_CSRF_COOKIE}={c}"))
            .body(axum::body::Body::from(body))
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(std::net::SocketAddr::from((
                [10, 0, 0, ip],
                40000,
            ))));
        a.router.clone().oneshot(req)
    };
    for ip in 0..10 {
        let r = post(ip, format!("csrf={t}&name=admin&password=guess{ip}"))
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "guess from 10.0.0.{ip}"
        );
    }
    let r = post(50, format!("csrf={t}&name=admin&password={admin_pw}"))
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the account's allowance is spent"
    );
    let r = post(51, format!("csrf={t}&name=auditor&password={auditor_pw}"))
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "another account from a fresh address signs in"
    );
}
