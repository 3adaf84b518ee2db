//! The API contract: shapes, 401 without a token, 403 for a role without the
//! right, 404 for a transfer a recipient may not see; on both backends.

use axum::http::StatusCode;
use outbound_store::Role;
use serde_json::json;

use crate::common::{App, app};

both!(
    no_token_is_401_everywhere,
    transfers_have_the_contract_shape,
    only_admin_and_compliance_suspend_and_resume,
    a_recipient_sees_only_its_own_transfers,
    complaints_need_no_token_and_are_private,
    long_lists_page_with_limit_and_offset,
);

async fn long_lists_page_with_limit_and_offset(a: &App) {
    let t = Some(a.token(Role::Auditor));
    let (_, all) = a.call("GET", "/api/v1/transfers", t, None).await;
    let ids: Vec<_> = all["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(all["total"], ids.len());
    let (s, page) = a
        .call("GET", "/api/v1/transfers?limit=1&offset=1", t, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["transfers"].as_array().unwrap().len(), 1);
    assert_eq!(page["transfers"][0]["id"], ids[1]);
    assert_eq!(page["total"], ids.len());
    let (_, past) = a.call("GET", "/api/v1/transfers?offset=999", t, None).await;
    assert_eq!(past["transfers"].as_array().unwrap().len(), 0);
    for bad in ["limit=0", "limit=10001", "limit=-1", "offset=x"] {
        let (s, e) = a
            .call("GET", &format!("/api/v1/transfers?{bad}"), t, None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(e["error"]["code"], "bad_request", "{bad}");
    }
    // A recipient's total counts only its own.
    let (_, mine) = a
        .call(
            "GET",
            "/api/v1/transfers?limit=1",
            Some(a.token(Role::Recipient)),
            None,
        )
        .await;
    assert!(mine["total"].as_u64().unwrap() < ids.len() as u64);
}

async fn no_token_is_401_everywhere(a: &App) {
    for path in [
        "/api/v1/transfers",
        "/api/v1/transfers/crm-to-parent",
        "/api/v1/status",
        "/api/v1/batches",
        "/api/v1/audit/checkpoint",
        "/api/v1/complaints",
    ] {
        let (s, body) = a.call("GET", path, None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["error"]["code"], "unauthorized", "{path}");
        let (s, _) = a.call("GET", path, Some("obt_not-a-token"), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path} with a wrong token");
    }
    let (s, _) = a
        .call(
            "POST",
            "/api/v1/transfers/crm-to-parent/suspend",
            None,
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn transfers_have_the_contract_shape(a: &App) {
    let (s, body) = a
        .call(
            "GET",
            "/api/v1/transfers",
            Some(a.token(Role::Auditor)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let ts = body["transfers"].as_array().unwrap();
    assert!(ts.len() >= 2, "{body}");
    for t in ts {
        for k in [
            "id",
            "name",
            "exporter",
            "recipient",
            "determinations",
            "suspended",
        ] {
            assert!(t.get(k).is_some(), "{k} missing in {t}");
        }
        assert_eq!(t["suspended"], false);
        let d = &t["determinations"][0];
        assert!(
            d["mechanism"].is_string() && d["reasons"][0]["citation"].is_string(),
            "{d}"
        );
    }
    let (s, one) = a
        .call(
            "GET",
            "/api/v1/transfers/crm-to-parent",
            Some(a.token(Role::Regulator)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(one["id"], "crm-to-parent");
    let (s, e) = a
        .call(
            "GET",
            "/api/v1/transfers/no-such-transfer",
            Some(a.token(Role::Admin)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["code"], "not_found");
}

async fn only_admin_and_compliance_suspend_and_resume(a: &App) {
    let path = "/api/v1/transfers/crm-to-parent/suspend";
    for role in [
        Role::Engineer,
        Role::Auditor,
        Role::Recipient,
        Role::Regulator,
        Role::Association,
    ] {
        let (s, body) = a
            .call(
                "POST",
                path,
                Some(a.token(role)),
                Some(json!({"reason": "x"})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(body["error"]["code"], "forbidden", "{role}");
    }
    let (s, t) = a
        .call(
            "POST",
            path,
            Some(a.token(Role::Compliance)),
            Some(json!({"reason": "recipient in breach"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["suspended"], true);
    let (_, t) = a
        .call(
            "GET",
            "/api/v1/transfers/crm-to-parent",
            Some(a.token(Role::Auditor)),
            None,
        )
        .await;
    assert_eq!(t["suspended"], true, "the change shows to others at once");
    let (s, _) = a
        .call(
            "POST",
            "/api/v1/transfers/crm-to-parent/resume",
            Some(a.token(Role::Admin)),
            Some(json!({"reason": ""})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "an empty reason is refused");
    let (s, _) = a
        .call(
            "POST",
            "/api/v1/transfers/crm-to-parent/resume",
            Some(a.token(Role::Admin)),
            Some(json!({"why": "x"})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "a body without `reason` is refused"
    );
    let (s, t) = a
        .call(
            "POST",
            "/api/v1/transfers/crm-to-parent/resume",
            Some(a.token(Role::Admin)),
            Some(json!({"reason": "cured"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["suspended"], false);
    // The audit log names the accounts.
    let (_, cp) = a
        .call(
            "GET",
            "/api/v1/audit/checkpoint",
            Some(a.token(Role::Regulator)),
            None,
        )
        .await;
    assert!(cp["size"].as_u64().unwrap() >= 2 * 7 + 2, "{cp}");
}

async fn a_recipient_sees_only_its_own_transfers(a: &App) {
    let r = a.token(Role::Recipient);
    let (_, all) = a
        .call("GET", "/api/v1/transfers", Some(a.token(Role::Admin)), None)
        .await;
    let (_, mine) = a.call("GET", "/api/v1/transfers", Some(r), None).await;
    let mine = mine["transfers"].as_array().unwrap();
    assert!(!mine.is_empty());
    assert!(
        mine.iter().all(|t| t["recipient"] == "lumen-inc"),
        "{mine:?}"
    );
    let others: Vec<_> = all["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["recipient"] != "lumen-inc")
        .collect();
    assert!(
        !others.is_empty(),
        "the example has transfers to other recipients"
    );
    for t in others {
        let id = t["id"].as_str().unwrap();
        let (s, e) = a
            .call("GET", &format!("/api/v1/transfers/{id}"), Some(r), None)
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "{id}: another recipient's transfer must look absent"
        );
        assert_eq!(e["error"]["message"], "no such transfer");
    }
    let (s, _) = a.call("GET", "/api/v1/status", Some(r), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn complaints_need_no_token_and_are_private(a: &App) {
    let (s, body) = a
        .call(
            "POST",
            "/api/v1/complaints",
            None,
            Some(json!({"text": "王伟: my data was sold", "contact": "wang@example.invalid"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let tracking = body["tracking"].as_str().unwrap().to_string();
    assert!(tracking.starts_with("C-"));
    let (s, _) = a
        .call(
            "POST",
            "/api/v1/complaints",
            None,
            Some(json!({"text": "  "})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    for role in [
        Role::Regulator,
        Role::Recipient,
        Role::Engineer,
        Role::Association,
    ] {
        let (s, _) = a
            .call("GET", "/api/v1/complaints", Some(a.token(role)), None)
            .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "{role} must not read complaints (personal data)"
        );
    }
    let (s, list) = a
        .call(
            "GET",
            "/api/v1/complaints",
            Some(a.token(Role::Compliance)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["complaints"][0]["tracking"], tracking.as_str());
    // The channel is rate-limited: five a minute per client.
    let mut limited = false;
    for _ in 0..6 {
        let (s, e) = a
            .call(
                "POST",
                "/api/v1/complaints",
                None,
                Some(json!({"text": "again"})),
            )
            .await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(e["error"]["code"], "rate_limited");
            limited = true;
        }
    }
    assert!(limited);
}

#[tokio::test]
async fn the_openapi_document_lists_the_contract_paths() {
    let a = tokio::task::spawn_blocking(|| app(false))
        .await
        .unwrap()
        .unwrap();
    let (s, doc) = a.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for p in [
        "/api/v1/transfers",
        "/api/v1/transfers/{id}",
        "/api/v1/transfers/{id}/suspend",
        "/api/v1/transfers/{id}/resume",
        "/api/v1/status",
        "/api/v1/batches",
        "/api/v1/audit/checkpoint",
        "/api/v1/complaints",
        "/api/v1/scan-sources",
        "/api/v1/scans",
        "/api/v1/scans/map",
        "/api/v1/jobs/{id}",
    ] {
        assert!(
            doc["paths"].get(p).is_some(),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(
        doc["paths"]["/api/v1/complaints"]["post"]
            .get("security")
            .is_none()
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
