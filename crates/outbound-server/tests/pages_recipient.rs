//! The recipient's page `/recipients/{id}`: statuses in both languages, the
//! attestation form (multipart, CSRF) for the recipient only, evidence
//! hashed and discarded, another recipient's page "not found".

use axum::http::StatusCode;
use outbound_store::Role;

use crate::common::{app, csrf_of};

const BOUNDARY: &str = "XrcpBoundary";

fn multipart(fields: &[(&str, &str)], files: &[(&str, &str)]) -> String {
    let mut b = String::new();
    for (k, v) in fields {
        b.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    for (name, content) in files {
        b.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n"
        ));
    }
    b.push_str(&format!("--{BOUNDARY}--\r\n"));
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_attests_on_its_page_and_staff_see_the_status() {
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
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body.contains("Standard contract Art. 3(5)") && p.body.contains("overdue"),
        "{}",
        p.body
    );
    assert!(
        p.body.contains(r#"id="attest""#),
        "the recipient has the form"
    );
    let csrf = csrf_of(&p.body);
    let zh = a
        .send(
            "GET",
            "/recipients/lumen-inc?lang=zh",
            &[("cookie", &me)],
            None,
        )
        .await;
    assert!(
        zh.body.contains("标准合同第三条第（五）项")
            && zh.body.contains("已逾期")
            && zh.body.contains("从未声明"),
        "{}",
        zh.body
    );

    // Another recipient's page is "not found", like one that does not exist.
    let theirs = a
        .send("GET", "/recipients/metricly", &[("cookie", &me)], None)
        .await;
    let none = a
        .send("GET", "/recipients/no-such", &[("cookie", &me)], None)
        .await;
    assert_eq!(
        (theirs.status, none.status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(theirs.body, none.body);

    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let h = [("cookie", me.as_str()), ("content-type", ct.as_str())];
    // A wrong CSRF token changes nothing.
    let before = a.log_size().await;
    let body = multipart(
        &[
            ("csrf", "wrong"),
            ("obligation", "sc-3-5"),
            ("statement", "attested"),
            ("note", ""),
        ],
        &[("policy.pdf", "retention policy v3")],
    );
    let r = a
        .send("POST", "/recipients/lumen-inc/attest", &h, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // No evidence: refused, nothing stored.
    let body = multipart(
        &[
            ("csrf", &csrf),
            ("obligation", "sc-3-5"),
            ("statement", "attested"),
        ],
        &[],
    );
    let r = a
        .send("POST", "/recipients/lumen-inc/attest", &h, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(a.log_size().await, before);

    let body = multipart(
        &[
            ("csrf", &csrf),
            ("obligation", "sc-3-5"),
            ("statement", "attested"),
            ("note", "checked"),
        ],
        &[
            ("policy.pdf", "retention policy v3"),
            ("log.txt", "deletion run 2026-11-01"),
        ],
    );
    let r = a
        .send("POST", "/recipients/lumen-inc/attest", &h, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(a.log_size().await, before + 1);
    let (_, list) = a
        .call(
            "GET",
            "/api/v1/recipients/lumen-inc/obligations",
            Some(a.token(Role::Auditor)),
            None,
        )
        .await;
    let sc5 = list["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "sc-3-5")
        .unwrap()
        .clone();
    assert_eq!(sc5["standing"], "current");

    // Staff see the statuses without the form; the engineer may not see the page.
    let staff = a
        .send(
            "GET",
            "/recipients/lumen-inc",
            &[("cookie", &a.session_cookie(Role::Compliance))],
            None,
        )
        .await;
    assert_eq!(staff.status, StatusCode::OK);
    assert!(staff.body.contains("current") && !staff.body.contains(r#"id="attest""#));
    let eng = a
        .send(
            "GET",
            "/recipients/lumen-inc",
            &[("cookie", &a.session_cookie(Role::Engineer))],
            None,
        )
        .await;
    assert_eq!(eng.status, StatusCode::FORBIDDEN);
    // The compliance officer cannot attest for the recipient.
    let ccsrf = csrf_of(&staff.body);
    let body = multipart(
        &[
            ("csrf", &ccsrf),
            ("obligation", "sc-3-6"),
            ("statement", "not_met"),
        ],
        &[],
    );
    let cs = a.session_cookie(Role::Compliance);
    let r = a
        .send(
            "POST",
            "/recipients/lumen-inc/attest",
            &[("cookie", cs.as_str()), ("content-type", ct.as_str())],
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(a.log_size().await, before + 1);
}
