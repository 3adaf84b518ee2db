//! Reviews on the dashboard: the recipient page's reviews, findings and risk
//! score with its inputs table (English and Chinese), the review and finding
//! forms (CSRF) for admin and compliance only, and the overview's overdue
//! reviews and open high findings.

use axum::http::StatusCode;
use outbound_store::Role;

use crate::common::{app, csrf_of};

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_record_a_review_on_the_recipient_page_and_the_overview_shows_it() {
    let a = tokio::task::spawn_blocking(|| app(false))
        .await
        .unwrap()
        .unwrap();
    let staff = a.session_cookie(Role::Compliance);
    // Before any review: lumen-inc's first review was due a year after its
    // earliest contract (2025-01-15), so the overview lists it as overdue.
    let ov = a
        .send("GET", "/?lang=en", &[("cookie", &staff)], None)
        .await;
    assert_eq!(ov.status, StatusCode::OK, "{}", ov.body);
    assert!(
        ov.body.contains(r#"<table id="reviews-overdue">"#),
        "{}",
        ov.body
    );
    assert!(ov.body.contains("2025-01-15"), "{}", ov.body);
    assert!(
        ov.body
            .contains(r#"id="findings-open-high">No high finding"#)
    );

    let p = a
        .send(
            "GET",
            "/recipients/lumen-inc?lang=en",
            &[("cookie", &staff)],
            None,
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    for want in [
        r#"id="risk-inputs""#,
        r#"id="risk-destination""#,
        "US (access score 4)",
        "destinations.toml",
        r#"id="review-form""#,
        r#"id="review-standing">overdue"#,
    ] {
        assert!(p.body.contains(want), "{want}: {}", p.body);
    }
    let csrf = csrf_of(&p.body);
    let h = [("cookie", staff.as_str()), ("content-type", FORM)];
    let body = |csrf: &str| {
        form(&[
            ("csrf", csrf),
            ("date", "2026-11-02"),
            ("kind", "on_site"),
            ("summary", "Visited the data centre"),
            (
                "findings",
                "high: Backups are not encrypted\nlow: Retention schedule not published\n",
            ),
        ])
    };
    let before = a.log_size().await;
    let r = a
        .send(
            "POST",
            "/recipients/lumen-inc/reviews",
            &h,
            Some(body("wrong")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let bad = form(&[
        ("csrf", &csrf),
        ("date", "2026-11-02"),
        ("kind", "on_site"),
        ("summary", "x"),
        ("findings", "critical: everything"),
    ]);
    let r = a
        .send("POST", "/recipients/lumen-inc/reviews", &h, Some(bad))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(a.log_size().await, before, "nothing stored");
    let r = a
        .send(
            "POST",
            "/recipients/lumen-inc/reviews",
            &h,
            Some(body(&csrf)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(a.log_size().await, before + 1);

    let p = a
        .send(
            "GET",
            "/recipients/lumen-inc?lang=en",
            &[("cookie", &staff)],
            None,
        )
        .await;
    assert!(p.body.contains("Backups are not encrypted"), "{}", p.body);
    assert!(p.body.contains(r#"action="/findings/1""#), "{}", p.body);
    assert!(p.body.contains("1 open high, 1 open low"), "{}", p.body);
    let ov = a
        .send("GET", "/?lang=en", &[("cookie", &staff)], None)
        .await;
    assert!(
        ov.body.contains(r#"<table id="findings-open-high">"#),
        "{}",
        ov.body
    );
    assert!(
        !ov.body.contains(r#"<table id="reviews-overdue">"#),
        "reviewed now"
    );

    // Close the high finding: gone from the overview.
    let r = a
        .send(
            "POST",
            "/findings/1",
            &h,
            Some(form(&[("csrf", &csrf), ("state", "fixed")])),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = a
        .send(
            "POST",
            "/findings/1",
            &h,
            Some(form(&[("csrf", &csrf), ("state", "accepted")])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "closed once: {}", r.body);
    let ov = a
        .send("GET", "/?lang=en", &[("cookie", &staff)], None)
        .await;
    assert!(
        ov.body
            .contains(r#"id="findings-open-high">No high finding"#)
    );

    let zh = a
        .send(
            "GET",
            "/recipients/lumen-inc?lang=zh",
            &[("cookie", &staff)],
            None,
        )
        .await;
    for want in ["风险评分", "现场审查", "已整改", "数据来源"] {
        assert!(zh.body.contains(want), "{want}: {}", zh.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_sees_its_score_but_no_form_and_cannot_post() {
    let a = tokio::task::spawn_blocking(|| app(false))
        .await
        .unwrap()
        .unwrap();
    let me = a.session_cookie(Role::Recipient);
    let p = a
        .send(
            "GET",
            "/recipients/lumen-inc?lang=en",
            &[("cookie", &me)],
            None,
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(r#"id="risk-inputs""#), "{}", p.body);
    assert!(!p.body.contains(r#"id="review-form""#));
    let csrf = csrf_of(&p.body);
    let before = a.log_size().await;
    let r = a
        .send(
            "POST",
            "/recipients/lumen-inc/reviews",
            &[("cookie", &me), ("content-type", FORM)],
            Some(form(&[
                ("csrf", &csrf),
                ("date", "2026-11-02"),
                ("kind", "desk"),
                ("summary", "all fine"),
            ])),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(a.log_size().await, before);
    // The engineer's overview has no review block.
    let eng = a.session_cookie(Role::Engineer);
    let ov = a.send("GET", "/?lang=en", &[("cookie", &eng)], None).await;
    assert!(!ov.body.contains("reviews-overdue"));
}
