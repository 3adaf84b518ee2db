//! `/incidents` for the roles that handle incidents: per incident, forms
//! (CSRF) to record a notice per clock, suspend its routes and close it, and
//! the four drafts of its notices as HTML pages; roles that only read see
//! none of it.

use axum::http::StatusCode;
use outbound_store::Role;
use serde_json::json;

use crate::common::{App, app, csrf_of};

async fn incident(a: &App) -> serde_json::Value {
    let (_, v) = a
        .call(
            "GET",
            "/api/v1/incidents/inc-0001",
            Some(a.token(Role::Admin)),
            None,
        )
        .await;
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliance_handles_an_incident_from_its_page() {
    let a = tokio::task::spawn_blocking(|| app(false))
        .await
        .unwrap()
        .unwrap();
    let (s, b) = a
        .call(
            "POST",
            "/api/v1/incidents",
            Some(a.token(Role::Compliance)),
            Some(json!({
                "title": "Analytics export sent to the wrong bucket",
                "severity": "relatively_major",
                "discovered_at": "2026-11-23T08:00:00Z",
                "transfers": ["analytics-eu", "ride-tracks"],
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // A role that reads incidents sees no form and no draft.
    let reg = a.session_cookie(Role::Regulator);
    let p = a
        .send("GET", "/incidents?lang=en", &[("cookie", &reg)], None)
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("/incidents/inc-0001/notice"), "{}", p.body);
    assert!(!p.body.contains("/drafts/"), "{}", p.body);
    let d = a
        .send(
            "GET",
            "/incidents/inc-0001/drafts/authority",
            &[("cookie", &reg)],
            None,
        )
        .await;
    assert_eq!(d.status, StatusCode::FORBIDDEN);

    let me = a.session_cookie(Role::Compliance);
    let p = a
        .send("GET", "/incidents?lang=zh", &[("cookie", &me)], None)
        .await;
    assert_eq!(p.status, StatusCode::OK);
    for link in [
        "/incidents/inc-0001/drafts/authority?lang=zh",
        "/incidents/inc-0001/drafts/authority?lang=en",
        "/incidents/inc-0001/drafts/individuals?lang=zh",
        "/incidents/inc-0001/drafts/individuals?lang=en",
    ] {
        assert!(p.body.contains(link), "{link}: {}", p.body);
    }
    assert!(
        p.body.contains("处置本事件") && p.body.contains("致主管部门"),
        "{}",
        p.body
    );
    assert!(
        p.body
            .contains("<cite>《国家网络安全事件报告管理办法》第四条</cite>")
            && p.body.contains("可以不通知个人"),
        "articles and conditions in Chinese: {}",
        p.body
    );
    assert!(
        p.body.contains(r#"name="clock" value="cn-cac-1h-ciio""#),
        "a notice form per clock: {}",
        p.body
    );
    let csrf = csrf_of(&p.body);
    let form = |csrf: &str, fields: &[(&str, &str)]| {
        let mut s = format!("csrf={csrf}");
        for (k, v) in fields {
            s.push_str(&format!("&{k}={}", v.replace(' ', "+").replace(':', "%3A")));
        }
        s
    };
    let h = [
        ("cookie", me.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ];

    // A wrong token changes nothing.
    let before = a.log_size().await;
    for (path, fields) in [
        ("notice", vec![("clock", "cn-cac-1h-ciio"), ("sent_at", "")]),
        ("suspend-routes", vec![("reason", "contain")]),
        ("close", vec![("measures", "")]),
    ] {
        let r = a
            .send(
                "POST",
                &format!("/incidents/inc-0001/{path}"),
                &h,
                Some(form("wrong", &fields)),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(a.log_size().await, before);

    // The CIIO hour exactly, from a datetime-local field read as UTC: met.
    let r = a
        .send(
            "POST",
            "/incidents/inc-0001/notice",
            &h,
            Some(form(
                &csrf,
                &[("clock", "cn-cac-1h-ciio"), ("sent_at", "2026-11-23T09:00")],
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let i = incident(&a).await;
    let c = i["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "cn-cac-1h-ciio")
        .cloned()
        .unwrap();
    assert_eq!(c["state"], "met", "{c}");
    // An unknown clock: the API's 400, nothing stored.
    let before = a.log_size().await;
    let r = a
        .send(
            "POST",
            "/incidents/inc-0001/notice",
            &h,
            Some(form(&csrf, &[("clock", "nope"), ("sent_at", "")])),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("no clock `nope`"), "{}", r.body);
    assert_eq!(a.log_size().await, before);

    let r = a
        .send(
            "POST",
            "/incidents/inc-0001/suspend-routes",
            &h,
            Some(form(&csrf, &[("reason", "contain the leak")])),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for t in ["analytics-eu", "ride-tracks"] {
        let (_, v) = a
            .call(
                "GET",
                &format!("/api/v1/transfers/{t}"),
                Some(a.token(Role::Admin)),
                None,
            )
            .await;
        assert_eq!(v["suspended"], true, "{t}");
    }

    // The drafts, as HTML pages.
    let d = a
        .send(
            "GET",
            "/incidents/inc-0001/drafts/authority?lang=zh",
            &[("cookie", &me)],
            None,
        )
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.body.contains("<html lang=\"zh-CN\">"), "{}", d.body);
    assert!(
        d.body.contains("《国家网络安全事件报告管理办法》第四条"),
        "{}",
        d.body
    );
    assert!(
        d.body.contains("2026-11-23 17:00（北京时间）"),
        "{}",
        d.body
    );
    assert!(
        d.body.contains("已按时报送"),
        "the notice recorded: {}",
        d.body
    );
    let d = a
        .send(
            "GET",
            "/incidents/inc-0001/drafts/individuals?lang=en",
            &[("cookie", &me)],
            None,
        )
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.body.contains("GDPR Art. 34(1)"), "{}", d.body);

    let r = a
        .send(
            "POST",
            "/incidents/inc-0001/close",
            &h,
            Some(form(&csrf, &[("measures", "Bucket made private")])),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(incident(&a).await["state"], "closed");
    let p = a
        .send("GET", "/incidents?lang=en", &[("cookie", &me)], None)
        .await;
    assert!(!p.body.contains("/incidents/inc-0001/close"), "{}", p.body);
    assert!(p.body.contains("/drafts/authority?lang=zh"), "drafts stay");
    let r = a
        .send(
            "POST",
            "/incidents/inc-0001/close",
            &h,
            Some(form(&csrf, &[("measures", "")])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}
