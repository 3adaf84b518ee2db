//! Scans through the API: the server's databases listed by id, a scan
//! started as a job and read back with its counts, and everything that
//! must not start one.

use std::time::Duration;

use axum::http::StatusCode;
use outbound_store::Role;
use serde_json::json;

use crate::common::{App, BIG_ROWS, app_with_sources, big_sources, crm_sources, synthetic_csv};

async fn app() -> App {
    tokio::task::spawn_blocking(|| app_with_sources(crm_sources))
        .await
        .unwrap()
}

/// Polls `GET /api/v1/jobs/{id}` as `role` until it is no longer running.
async fn finished(a: &App, role: Role, id: &str) -> serde_json::Value {
    for _ in 0..1000 {
        let (s, j) = a
            .call(
                "GET",
                &format!("/api/v1/jobs/{id}"),
                Some(a.token(role)),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{j}");
        if j["state"] != "running" {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_databases_are_listed_by_id_to_roles_that_scan() {
    let a = app().await;
    for role in Role::ALL {
        let (s, j) = a
            .call("GET", "/api/v1/scan-sources", Some(a.token(role)), None)
            .await;
        let may = matches!(
            role,
            Role::Admin | Role::Compliance | Role::Engineer | Role::Auditor
        );
        if may {
            assert_eq!(s, StatusCode::OK, "{role}");
            assert_eq!(j, json!([{"id": "crm"}, {"id": "gone"}]), "{role}");
        } else {
            assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
            assert_eq!(j["error"]["code"], "forbidden");
        }
    }
    let (s, _) = a.call("GET", "/api/v1/scan-sources", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_through_the_api_is_a_job_with_counts_and_no_value() {
    let a = app().await;
    let t = a.token(Role::Engineer);
    let body = json!({"source": "crm", "target": "dataset:customers", "tables": ["cust*"]});
    let (s, j) = a.call("POST", "/api/v1/scans", Some(t), Some(body)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    assert_eq!(j["kind"], "scan_db");
    let id = j["id"].as_str().unwrap().to_string();
    let done = finished(&a, Role::Engineer, &id).await;
    assert_eq!(done["state"], "done", "{done}");
    let r = &done["result"];
    assert_eq!(r["source"], "crm");
    assert_eq!(r["against"], "dataset customers");
    assert_eq!(r["records"], 40);
    assert_eq!(
        r["tables"],
        json!([{"table": "customers", "rows_read": 40, "rows_total": 40,
                "estimated": false, "sample": "full"}])
    );
    assert_eq!(r["undeclared_fields"], json!(["backup_phone"]));
    assert_eq!(done["done"], 40);
    // A smaller sample, asked for: a random 25 of the 40 rows, said so.
    let body = json!({"source": "crm", "target": "dataset:customers", "sample_rows": 25});
    let (s, j) = a.call("POST", "/api/v1/scans", Some(t), Some(body)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let small = finished(&a, Role::Engineer, j["id"].as_str().unwrap()).await;
    let table = &small["result"]["tables"][0];
    assert_eq!(
        (&table["rows_read"], &table["rows_total"], &table["sample"]),
        (&json!(25), &json!(40), &json!("random")),
        "{small}"
    );
    // Names and counts only: no value, no URL, no path of the server's.
    let text = done.to_string();
    let (_, values) = synthetic_csv();
    for v in &values {
        assert!(!text.contains(v.as_str()), "a value in the result");
    }
    assert!(
        !text.contains("sqlite:") && !text.contains("crm.db"),
        "{text}"
    );
    // Another account's job does not exist for it.
    let (s, _) = a
        .call(
            "GET",
            &format!("/api/v1/jobs/{id}"),
            Some(a.token(Role::Admin)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A database that cannot be opened: the job fails and says why.
    let body = json!({"source": "gone", "target": "transfer:crm-to-parent"});
    let (s, j) = a.call("POST", "/api/v1/scans", Some(t), Some(body)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let failed = finished(&a, Role::Engineer, j["id"].as_str().unwrap()).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("gone.db"),
        "{failed}"
    );
    assert!(failed.get("result").is_none(), "{failed}");
}

/// The body of the audit entry at `index`, which must be a `database_scanned`.
async fn scan_entry(a: &App, index: &serde_json::Value) -> serde_json::Value {
    let entries = a.entries().await;
    let e = &entries[index.as_u64().expect("an audit index") as usize];
    assert_eq!(e.kind, "database_scanned");
    serde_json::from_str(&e.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_database_scan_is_in_the_audit_log_before_a_row_is_read() {
    let a = app().await;
    let t = a.token(Role::Engineer);
    let before = a.log_size().await;
    let body = json!({"source": "crm", "target": "dataset:customers", "tables": ["cust*"],
                      "sample": "first", "sample_rows": 25});
    let (s, j) = a.call("POST", "/api/v1/scans", Some(t), Some(body)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let done = finished(&a, Role::Engineer, j["id"].as_str().unwrap()).await;
    let r = &done["result"];
    assert_eq!(
        (
            &r["sample"],
            &r["sample_rows"],
            &r["tables"][0]["sample"],
            &r["tables"][0]["rows_read"]
        ),
        (&json!("first"), &json!(25), &json!("first"), &json!(25)),
        "{done}"
    );
    assert_eq!(r["audit_index"], json!(before), "{done}");
    let entry = scan_entry(&a, &r["audit_index"]).await;
    assert_eq!(
        entry,
        json!({"by": "engineer", "sources": ["crm"], "tables": ["cust*"], "sample": "first",
               "sample_rows": 25, "target": "dataset:customers", "v": 1,
               "ledger": entry["ledger"]}),
    );
    // A database that cannot be opened was still asked for: logged, then failed.
    let body = json!({"source": "gone", "target": "dataset:customers"});
    let (_, j) = a.call("POST", "/api/v1/scans", Some(t), Some(body)).await;
    let failed = finished(&a, Role::Engineer, j["id"].as_str().unwrap()).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    let entry = scan_entry(&a, &json!(before + 1)).await;
    assert_eq!(
        (
            &entry["sources"],
            &entry["sample"],
            &entry["sample_rows"],
            &entry["tables"]
        ),
        (
            &json!(["gone"]),
            &json!("random"),
            &json!(10_000),
            &json!([])
        ),
    );
    // Refused requests write nothing.
    for bad in [
        json!({"source": "crm", "target": "dataset:customers", "sample": "all"}),
        json!({"source": "crm", "target": "dataset:customers", "sample": "full", "sample_rows": 5}),
        json!({"source": "nope", "target": "dataset:customers"}),
    ] {
        let (s, _) = a
            .call("POST", "/api/v1/scans", Some(t), Some(bad.clone()))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(a.log_size().await, before + 2);
    // Listed back from the log, newest first, to every role that scans.
    let (s, list) = a
        .call("GET", "/api/v1/scans", Some(a.token(Role::Auditor)), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(
        list,
        json!([
            {"index": before + 1, "at": list[0]["at"], "by": "engineer", "sources": ["gone"],
             "tables": [], "sample": "random", "sample_rows": 10_000, "target": "dataset:customers"},
            {"index": before, "at": list[1]["at"], "by": "engineer", "sources": ["crm"],
             "tables": ["cust*"], "sample": "first", "sample_rows": 25, "target": "dataset:customers"},
        ])
    );
    let (_, one) = a.call("GET", "/api/v1/scans?limit=1", Some(t), None).await;
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    for q in ["limit=0", "limit=1001", "limit=x", "limit=-1"] {
        let (s, _) = a
            .call("GET", &format!("/api/v1/scans?{q}"), Some(t), None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
    }
    for role in [Role::Recipient, Role::Regulator, Role::Association] {
        let (s, _) = a
            .call("GET", "/api/v1/scans", Some(a.token(role)), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
    }
    // And on the scans page, in both languages.
    let page = a.page_body(Role::Compliance, "/scans?lang=en").await;
    let table = &page[page.find(r#"id="logged-scans""#).expect("the list")..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(
        table.contains("<td>engineer</td><td><code>crm</code></td><td><code>cust*</code></td><td>the first rows of each table, at most 25 rows a table</td><td>dataset <code>customers</code></td>"),
        "{table}"
    );
    assert!(
        table.contains("<td><code>gone</code></td><td>every table</td>"),
        "{table}"
    );
    let zh = a.page_body(Role::Compliance, "/scans?lang=zh").await;
    assert!(
        zh.contains("审计日志中的数据库扫描") && zh.contains("<td>全部表</td>"),
        "{zh}"
    );
    // No entry holds a URL, a path or a value.
    let (_, values) = synthetic_csv();
    for e in a.entries().await {
        assert!(
            !e.body.contains("sqlite:") && !e.body.contains(".db"),
            "{}",
            e.body
        );
        for v in &values {
            assert!(!e.body.contains(v.as_str()), "a value in the log");
        }
    }
}

/// A scan whose entry the log refuses reads nothing: the job fails before
/// its first row. (The server's own sources file keeps ids to 64
/// characters; a source made in code with a longer id than the log holds
/// stands for any append that fails: a store gone, a disk full.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_the_log_cannot_record_reads_nothing() {
    let long = "x".repeat(201);
    let id = long.clone();
    let a = tokio::task::spawn_blocking(move || {
        app_with_sources(move |dir| {
            let mut sources = crm_sources(dir);
            let url = format!("sqlite:{}", dir.join("crm.db").display());
            sources.push(outbound_server::scan_sources::ScanSource::new(&id, &url));
            sources
        })
    })
    .await
    .unwrap();
    let before = a.log_size().await;
    let body = json!({"source": long, "target": "dataset:customers"});
    let (s, j) = a
        .call(
            "POST",
            "/api/v1/scans",
            Some(a.token(Role::Engineer)),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let failed = finished(&a, Role::Engineer, j["id"].as_str().unwrap()).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("audit log"),
        "{failed}"
    );
    assert_eq!(failed["done"], 0, "no row read: {failed}");
    assert!(failed.get("result").is_none(), "{failed}");
    assert_eq!(a.log_size().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_starts_without_a_role_that_scans_a_known_source_and_target() {
    let a = app().await;
    let ok = json!({"source": "crm", "target": "dataset:customers"});
    for role in [Role::Recipient, Role::Regulator, Role::Association] {
        let (s, _) = a
            .call(
                "POST",
                "/api/v1/scans",
                Some(a.token(role)),
                Some(ok.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}");
    }
    let long = "x".repeat(201);
    let many: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
    let bad = [
        json!({"source": "sqlite:/etc/passwd", "target": "dataset:customers"}),
        json!({"source": "postgres://db.internal/x", "target": "dataset:customers"}),
        json!({"source": "nope", "target": "dataset:customers"}),
        json!({"source": "crm", "target": "dataset:nope"}),
        json!({"source": "crm", "target": "customers"}),
        json!({"source": "crm", "target": "dataset:customers", "tables": [""]}),
        json!({"source": "crm", "target": "dataset:customers", "tables": [long]}),
        json!({"source": "crm", "target": "dataset:customers", "tables": many}),
        json!({"source": "crm", "target": "dataset:customers", "url": "sqlite:x.db"}),
        json!({"source": "crm"}),
        json!({"source": "crm", "target": "dataset:customers", "sample_rows": 0}),
        json!({"source": "crm", "target": "dataset:customers", "sample_rows": 1_000_001}),
        json!({"source": "crm", "target": "dataset:customers", "sample_rows": -5}),
    ];
    for body in bad {
        let (s, j) = a
            .call(
                "POST",
                "/api/v1/scans",
                Some(a.token(Role::Admin)),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {j}");
        assert_eq!(j["error"]["code"], "bad_request", "{body}");
    }
    let (s, _) = a
        .call(
            "GET",
            "/api/v1/jobs/00112233445566778899",
            Some(a.token(Role::Admin)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_is_checked_against_the_tables_its_datasets_name() {
    let a = tokio::task::spawn_blocking(crate::common::app_with_placed_map)
        .await
        .unwrap();
    let (s, j) = a
        .call(
            "POST",
            "/api/v1/scans/map",
            Some(a.token(Role::Auditor)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    assert_eq!(j["kind"], "scan_map");
    let done = finished(&a, Role::Auditor, j["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "done", "{done}");
    let lines = done["result"]["datasets"].as_array().unwrap();
    let line = |id: &str| lines.iter().find(|l| l["dataset"] == id).unwrap();
    // The customers table holds a column the dataset does not declare.
    let c = line("customers");
    assert_eq!(
        (&c["state"], &c["table"], &c["rows_read"]),
        (&json!("drift"), &json!("customers"), &json!(40)),
        "{c}"
    );
    assert_eq!(c["undeclared_fields"], json!(["backup_phone"]));
    // No orders table in the database; no database for `payments`.
    assert_eq!(line("orders")["state"], "not_read", "{}", line("orders"));
    assert_eq!(line("card-payments")["state"], "no_source");
    // Only the datasets that name a table.
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(!done.to_string().contains("sqlite:"), "{done}");
    // Logged before a row was read: the databases and tables it read.
    let entry = scan_entry(&a, &done["result"]["audit_index"]).await;
    assert_eq!(
        (
            &entry["by"],
            &entry["target"],
            &entry["sources"],
            &entry["tables"]
        ),
        (
            &json!("auditor"),
            &json!("map"),
            &json!(["shop-crm"]),
            &json!(["customers", "orders"])
        ),
        "{entry}"
    );
    // A server whose map names no table: nothing to check.
    let plain = app().await;
    let (s, j) = plain
        .call(
            "POST",
            "/api/v1/scans/map",
            Some(plain.token(Role::Admin)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{j}");
    let (s, _) = plain
        .call(
            "POST",
            "/api/v1/scans/map",
            Some(plain.token(Role::Regulator)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// The same check from the scans page: its form, then the job's page with a
/// line per dataset, in English and in Chinese.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_check_from_the_scans_page() {
    let a = tokio::task::spawn_blocking(crate::common::app_with_placed_map)
        .await
        .unwrap();
    let form = a.page_body(Role::Engineer, "/scans?lang=en").await;
    assert!(form.contains(r#"id="map-check-form""#), "{form}");
    assert!(form.contains("id): 2. Each table is read"), "{form}");
    let csrf = crate::common::csrf_of(&form);
    let cookie = a.session_cookie(Role::Engineer);
    let started = a
        .send(
            "POST",
            "/scans/map",
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let job = started.headers["location"].to_str().unwrap().to_string();
    let mut page = String::new();
    for _ in 0..1000 {
        page = a.page_body(Role::Engineer, &job).await;
        if !page.contains(r#"data-state="running""#) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(page.contains(r#"data-state="done""#), "{page}");
    let table = &page[page.find(r#"id="map-check""#).unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(
        table.contains(r#"<tr data-state="drift"><td><code>customers</code></td><td><code>shop-crm</code></td><td><code>customers</code></td><td>40</td>"#),
        "{table}"
    );
    assert!(
        table.contains("differs from the map (1 finding; undeclared: <code>backup_phone</code>)"),
        "{table}"
    );
    // No rows read where the table is not there: no number.
    assert!(
        table.contains("<td><code>orders</code></td><td></td>"),
        "{table}"
    );
    assert!(
        table.contains("the table was not found or not read"),
        "{table}"
    );
    assert!(
        table.contains("this server has no database for the system"),
        "{table}"
    );
    assert!(
        page.contains(r#"id="scan-audit-entry">Recorded in the audit log as entry "#),
        "{page}"
    );
    assert!(
        form.contains("recorded in the audit log (who, which database and tables"),
        "{form}"
    );
    let zh = a.page_body(Role::Engineer, &format!("{job}?lang=zh")).await;
    assert!(zh.contains("对照数据库核查数据地图"), "{zh}");
    assert!(zh.contains("已在读取任何一行之前记入审计日志"), "{zh}");
    assert!(
        zh.contains("与数据地图不符（1 处；未声明：<code>backup_phone</code>）"),
        "{zh}"
    );
    assert!(zh.contains("本服务器没有该系统的数据库"), "{zh}");
    // Without the form's token nothing starts.
    let forged = a
        .send(
            "POST",
            "/scans/map",
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some("csrf=wrong".into()),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// `sample: full` reads every row of each table, and the audit entry says
/// so with no bound (`sample_rows` 0).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_scan_reads_every_row_and_is_logged_as_one() {
    let a = app().await;
    let t = a.token(Role::Engineer);
    let body = json!({"source": "crm", "target": "dataset:customers", "tables": ["customers"],
                      "sample": "full"});
    let (s, j) = a.call("POST", "/api/v1/scans", Some(t), Some(body)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    assert_eq!(j["cancellable"], json!(true), "{j}");
    let done = finished(&a, Role::Engineer, j["id"].as_str().unwrap()).await;
    let r = &done["result"];
    let (csv, _) = synthetic_csv();
    let rows = String::from_utf8(csv).unwrap().lines().count() as u64 - 1;
    assert_eq!(
        (
            &r["sample"],
            &r["sample_rows"],
            &r["tables"][0]["sample"],
            &r["tables"][0]["rows_read"]
        ),
        (&json!("full"), &json!(0), &json!("full"), &json!(rows)),
        "{done}"
    );
    assert_eq!(done["cancellable"], json!(false), "{done}");
    let entry = scan_entry(&a, &r["audit_index"]).await;
    assert_eq!(
        (&entry["sample"], &entry["sample_rows"]),
        (&json!("full"), &json!(0))
    );
}

/// A full scan of a large table stops when its owner asks: it ends
/// `cancelled` with no result, having read part of the table; asking again
/// once it stopped is a conflict, and another account is told there is no
/// such job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_scan_stops_when_its_owner_asks() {
    let a = tokio::task::spawn_blocking(|| app_with_sources(big_sources))
        .await
        .unwrap();
    let t = a.token(Role::Engineer);
    let body = json!({"source": "big", "target": "dataset:customers", "sample": "full"});
    let (s, j) = a.call("POST", "/api/v1/scans", Some(t), Some(body)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let id = j["id"].as_str().unwrap().to_string();
    let cancel = format!("/api/v1/jobs/{id}/cancel");
    // Not another account's to stop.
    let (s, _) = a
        .call("POST", &cancel, Some(a.token(Role::Compliance)), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, j) = a.call("POST", &cancel, Some(t), None).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    assert_eq!(j["cancellable"], json!(false), "asked already: {j}");
    // Asking twice while it stops is harmless.
    let (s, _) = a.call("POST", &cancel, Some(t), None).await;
    assert!(
        matches!(s, StatusCode::ACCEPTED | StatusCode::CONFLICT),
        "{s}"
    );
    let done = finished(&a, Role::Engineer, &id).await;
    assert_eq!(done["state"], "cancelled", "{done}");
    assert_eq!(done["error"], outbound_scan_db::CANCELLED, "{done}");
    assert!(done.get("result").is_none(), "{done}");
    let read = done["done"].as_u64().unwrap();
    assert!(read < BIG_ROWS, "stopped after {read} rows");
    let (s, j) = a.call("POST", &cancel, Some(t), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{j}");
    assert_eq!(j["error"]["code"], "conflict", "{j}");
    let (s, _) = a
        .call("POST", "/api/v1/jobs/0123/cancel", Some(t), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The scan's start is in the audit log all the same.
    let (_, list) = a.call("GET", "/api/v1/scans", Some(t), None).await;
    assert_eq!(
        (&list[0]["sources"], &list[0]["sample"]),
        (&json!(["big"]), &json!("full"))
    );
}
