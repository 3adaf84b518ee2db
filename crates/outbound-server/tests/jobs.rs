//! Background jobs from the dashboard: verifying the audit log and scanning
//! an uploaded file, each run off the request with a page of its own that
//! only the account that started it may see.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use outbound_server::scan_sources::ScanSource;
use outbound_server::{AppState, Config};
use outbound_store::{Keys, Role, Store};
use tower::ServiceExt;

use crate::common::{BIG_ROWS, big_sources, crm_sources, root, synthetic_csv};

/// A server with a signed-in session (and its CSRF token) per role.
struct Site {
    router: axum::Router,
    sessions: Vec<(Role, String, String)>,
    dir: tempfile::TempDir,
}

struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl Site {
    fn session(&self, role: Role) -> (&str, &str) {
        let s = self.sessions.iter().find(|(r, _, _)| *r == role).unwrap();
        (&s.1, &s.2)
    }

    fn csrf(&self, role: Role) -> &str {
        self.session(role).1
    }

    async fn send(
        &self,
        role: Role,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Page {
        let mut req = Request::builder().method(method).uri(path).header(
            "cookie",
            format!("outbound_session={}", self.session(role).0),
        );
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, role: Role, path: &str) -> Page {
        self.send(role, "GET", path, None, Vec::new()).await
    }

    async fn post_form(&self, role: Role, path: &str, form: &str) -> Page {
        self.send(
            role,
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            form.as_bytes().to_vec(),
        )
        .await
    }

    /// Polls a job's page until it is no longer running (10 s at most).
    async fn finished(&self, role: Role, path: &str) -> Page {
        for _ in 0..1000 {
            let p = self.get(role, path).await;
            assert_eq!(p.status, StatusCode::OK, "{}", p.body);
            if !p.body.contains(r#"data-state="running""#) {
                assert!(p.headers.get("refresh").is_none());
                return p;
            }
            assert_eq!(p.headers.get("refresh").unwrap(), "1");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the job at {path} did not finish");
    }

    /// The audit log's size, read through a second handle.
    async fn log_size(&self) -> u64 {
        let path = self.dir.path().join("store.db").display().to_string();
        tokio::task::spawn_blocking(move || Store::open(&path).unwrap().audit_size().unwrap())
            .await
            .unwrap()
    }
}

async fn site() -> Site {
    site_with(|_| Vec::new()).await
}

/// A site whose `/scans` may scan the databases `sources` names (given the
/// site's directory).
async fn site_with(
    sources: impl FnOnce(&std::path::Path) -> Vec<ScanSource> + Send + 'static,
) -> Site {
    tokio::task::spawn_blocking(|| {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::create(&dir.path().join("keys")).unwrap();
        let store = Store::open(&dir.path().join("store.db").display().to_string()).unwrap();
        let expires = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string();
        let mut sessions = Vec::new();
        for role in Role::ALL {
            let name = role.as_str();
            let recipient = (role == Role::Recipient).then_some("lumen-inc");
            store
                .add_account(&keys, "test", name, role, recipient, None)
                .unwrap();
            let id = outbound_server::auth::random_hex();
            let csrf = outbound_server::auth::random_hex();
            store
                .add_session(
                    &outbound_server::auth::sha256_hex(&id),
                    name,
                    &csrf,
                    &expires,
                )
                .unwrap();
            sessions.push((role, id, csrf));
        }
        let loaded = outbound_model::load_path(&root().join("examples/lumen")).unwrap();
        let state = AppState::new(Config {
            map: loaded.map,
            store,
            keys,
            as_of: Some("2026-11-23".parse().unwrap()),
            secure_cookies: false,
        });
        state.set_scan_sources(sources(dir.path()));
        Site {
            router: outbound_server::router(state),
            sessions,
            dir,
        }
    })
    .await
    .unwrap()
}

/// The text of the element with `id` up to its closing `<`.
fn text_of<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    &rest[start..start + end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_now_runs_as_a_job_and_reports_the_entries() {
    let s = site().await;
    let audit = s.get(Role::Auditor, "/audit").await;
    assert!(audit.body.contains(r#"id="verify-now""#), "{}", audit.body);
    let started = s
        .post_form(
            Role::Auditor,
            "/audit/verify",
            &format!("csrf={}", s.csrf(Role::Auditor)),
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let job = started.location().to_string();
    assert!(job.starts_with("/jobs/") && job.len() > 20, "{job}");
    let done = s.finished(Role::Auditor, &job).await;
    assert_eq!(text_of(&done.body, "job-state"), "done");
    let size = s.log_size().await;
    assert!(size >= 7, "one entry per account at least: {size}");
    assert_eq!(text_of(&done.body, "verify-entries"), size.to_string());
    assert!(done.body.contains(r#"id="verify-intact""#), "{}", done.body);
    assert!(done.body.contains(r#"id="job-result""#));
    let progress = text_of(&done.body, "job-progress");
    assert!(
        done.body.contains(&format!("{size} / {size}")),
        "{progress} {}",
        done.body
    );

    // Only its owner sees it; another account, or a made-up id, is 404.
    let other = s.get(Role::Compliance, &job).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(!other.body.contains("verify-entries"));
    let made_up = s.get(Role::Auditor, "/jobs/00112233445566778899").await;
    assert_eq!(made_up.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_now_needs_the_sessions_csrf_token() {
    let s = site().await;
    for form in [
        String::new(),
        "csrf=wrong".to_string(),
        format!("csrf={}", s.csrf(Role::Compliance)),
    ] {
        let p = s.post_form(Role::Auditor, "/audit/verify", &form).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{form}");
        assert!(p.location().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_and_the_newest_head_download() {
    let s = site().await;
    let size = s.log_size().await;
    let page = s.get(Role::Regulator, "/audit").await;
    assert!(
        page.body
            .contains(&format!("/audit/proof?entry={}", size - 1))
    );
    let p = s.get(Role::Regulator, "/audit/proof?entry=2").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(
        p.headers.get("content-disposition").unwrap(),
        r#"attachment; filename="audit-proof-2.json""#
    );
    let bundle: serde_json::Value = serde_json::from_str(&p.body).unwrap();
    assert!(bundle.is_object());
    assert!(p.body.contains(&format!("{size}")));
    let head = s.get(Role::Regulator, "/audit/checkpoint.json").await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(
        head.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let head: serde_json::Value = serde_json::from_str(&head.body).unwrap();
    assert_eq!(head["size"], size);
    let past = s
        .get(Role::Regulator, &format!("/audit/proof?entry={size}"))
        .await;
    assert_eq!(past.status, StatusCode::NOT_FOUND);
    let bad = s.get(Role::Regulator, "/audit/proof?entry=x").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// A multipart body with the CSRF token, the target and a file.
fn upload(csrf: &str, target: &str, name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let b = "synthetic-boundary-7c3f";
    let mut body = Vec::new();
    for (k, v) in [("csrf", csrf), ("target", target)] {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_reports_an_undeclared_column_and_no_value() {
    let s = site().await;
    let form = s.get(Role::Engineer, "/scans").await;
    assert_eq!(form.status, StatusCode::OK);
    for id in ["scan-file", "scan-target", "scan-start"] {
        assert!(form.body.contains(&format!(r#"id="{id}""#)), "{id}");
    }
    assert!(form.body.contains(r#"value="dataset:customers""#));
    let (csv, values) = synthetic_csv();
    let (ct, body) = upload(
        s.csrf(Role::Engineer),
        "dataset:customers",
        "customers.csv",
        &csv,
    );
    let started = s
        .send(Role::Engineer, "POST", "/scans", Some(&ct), body)
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let job = started.location().to_string();
    let done = s.finished(Role::Engineer, &job).await;
    assert_eq!(text_of(&done.body, "job-state"), "done", "{}", done.body);
    let undeclared = &done.body[done.body.find(r#"id="scan-undeclared""#).unwrap()..];
    let undeclared = &undeclared[..undeclared.find("</ul>").unwrap()];
    assert!(undeclared.contains("backup_phone"), "{}", done.body);
    assert!(!undeclared.contains(">mobile<"), "{undeclared}");
    assert!(done.body.contains("cn_mobile"), "{}", done.body);
    // The line that would declare it, for the dataset's fields.
    let suggestion = &done.body[done.body.find(r#"id="scan-suggestion""#).unwrap()..];
    let suggestion = &suggestion[..suggestion.find("</details>").unwrap()];
    assert!(
        suggestion.contains(
            "<pre><code>- {name: backup_phone, category: contact.phone, subject: customer}</code></pre>"
        ),
        "{suggestion}"
    );
    for v in &values {
        assert!(!done.body.contains(v.as_str()), "a raw value is shown");
    }
    // Another account cannot see it.
    assert_eq!(s.get(Role::Admin, &job).await.status, StatusCode::NOT_FOUND);
}

/// The job page read as a Chinese user reads it: the target, kinds,
/// categories and problems in Chinese, a key that is a person's name found
/// and never shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_in_chinese_names_kinds_targets_and_name_keys_in_chinese() {
    let s = site().await;
    // Synthetic: contacts keyed by a person's name, which no map can declare.
    let names = ["张伟", "王芳", "李娜"];
    let mut jsonl = String::new();
    let mut values = names.map(String::from).to_vec();
    for i in 0..30 {
        let mobile = format!("1381234{i:04}");
        let name = names[i % names.len()];
        jsonl.push_str(&format!(
            r#"{{"customer_id":"C{i:05}","mobile":"{mobile}","contacts":{{"{name}":"主要联系人"}}}}"#
        ));
        jsonl.push('\n');
        values.push(mobile);
    }
    let (ct, body) = upload(
        s.csrf(Role::Engineer),
        "dataset:customers",
        "customers.jsonl",
        jsonl.as_bytes(),
    );
    let started = s
        .send(Role::Engineer, "POST", "/scans", Some(&ct), body)
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let job = format!("{}?lang=zh", started.location());
    let done = s.finished(Role::Engineer, &job).await;
    assert_eq!(text_of(&done.body, "job-state"), "已完成", "{}", done.body);
    let page = &done.body;
    assert!(
        page.contains(r#"id="scan-against">数据集 <code>customers</code>"#),
        "{page}"
    );
    assert!(page.contains(">手机号码<"), "{page}");
    assert!(page.contains(">值数<"), "{page}");
    assert!(
        page.contains(r#"（按<span title="cn_mobile">手机号码</span>计）"#),
        "{page}"
    );
    assert!(page.contains("字段名本身是个人信息"), "{page}");
    assert!(
        page.contains("<code>contacts.{person_name}</code>"),
        "{page}"
    );
    // Its non-empty count holds the name keys and the values under them,
    // and says so; no other field's does.
    assert_eq!(
        page.matches(r#"<span class="muted keys-counted">（键名及其下的值）</span>"#)
            .count(),
        1,
        "{page}"
    );
    assert!(
        page.contains(">电话号码<"),
        "the category by its name: {page}"
    );
    // Ids stay as titles only, not as text a reader sees.
    for id in ["cn_mobile", "person_name", "contact.phone"] {
        assert!(!page.contains(&format!(">{id}<")), "{id} shown: {page}");
    }
    assert!(!page.contains("dataset customers"), "{page}");
    for v in &values {
        assert!(!page.contains(v.as_str()), "a raw value is shown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_roles_that_handle_data_may_scan() {
    let s = site().await;
    let (csv, _) = synthetic_csv();
    for role in [Role::Regulator, Role::Association, Role::Recipient] {
        assert_eq!(
            s.get(role, "/scans").await.status,
            StatusCode::FORBIDDEN,
            "{role}"
        );
        let (ct, body) = upload(s.csrf(role), "dataset:customers", "c.csv", &csv);
        let p = s.send(role, "POST", "/scans", Some(&ct), body).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{role}");
        assert!(p.location().is_empty());
    }
    // A wrong token, and a target not in the map, start nothing either.
    let (ct, body) = upload("wrong", "dataset:customers", "c.csv", &csv);
    let p = s.send(Role::Admin, "POST", "/scans", Some(&ct), body).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let (ct, body) = upload(s.csrf(Role::Admin), "dataset:nope", "c.csv", &csv);
    let p = s.send(Role::Admin, "POST", "/scans", Some(&ct), body).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_over_the_cap_is_refused() {
    let s = site().await;
    let big = vec![b'a'; 51 * 1024 * 1024];
    let (ct, body) = upload(s.csrf(Role::Admin), "dataset:customers", "big.csv", &big);
    let p = s.send(Role::Admin, "POST", "/scans", Some(&ct), body).await;
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", p.body);
    assert!(p.location().is_empty());
}

/// The example's `orders.order_id` says its card matches are chance
/// (`not_kinds`): the scan sets them aside as the gate does, and the page
/// says so instead of listing cards or finding anything undeclared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matches_the_map_sets_aside_are_shown_as_set_aside() {
    let s = site().await;
    let mut csv = String::from("customer_id,order_id\n");
    let orders = outbound_scan::corpus::order_numbers(400, 42);
    for (i, order) in orders.iter().enumerate() {
        csv.push_str(&format!("C{i:05},{order}\n"));
    }
    let (ct, body) = upload(
        s.csrf(Role::Engineer),
        "dataset:orders",
        "orders.csv",
        csv.as_bytes(),
    );
    let started = s
        .send(Role::Engineer, "POST", "/scans", Some(&ct), body)
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    for (lang, says) in [
        ("en", "set aside by the map (not_kinds):"),
        ("zh", "按数据地图（not_kinds）排除："),
    ] {
        let job = format!("{}?lang={lang}", started.location());
        let page = s.finished(Role::Engineer, &job).await.body;
        assert!(page.contains(r#"<span class="set-aside">"#), "{page}");
        assert!(page.contains(says), "{page}");
        assert!(!page.contains(r#"<span class="by-chance">"#), "{page}");
        for o in &orders {
            assert!(!page.contains(o.as_str()), "an order number is shown");
        }
    }
}

/// Order numbers of a card's length, a few of which pass Luhn, and user
/// numbers of a mobile's, most of which pass as mobiles: the page says
/// those matches are likely chance, why, and how the map says so, and
/// never shows a number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matches_by_chance_are_shown_as_likely_chance() {
    let s = site().await;
    let cases = [
        (
            "order_no",
            outbound_scan::corpus::order_numbers(400, 42),
            "likely chance: most numbers of a card",
            "卡号形状的数字大多不通过 Luhn 校验",
        ),
        (
            "user_no",
            outbound_scan::corpus::user_numbers(400, 42),
            "likely chance: many 11-digit numbers here start with 10–12",
            "以 10–12 开头",
        ),
    ];
    for (column, numbers, en, zh) in cases {
        let mut csv = format!("customer_id,{column}\n");
        for (i, n) in numbers.iter().enumerate() {
            csv.push_str(&format!("C{i:05},{n}\n"));
        }
        let (ct, body) = upload(
            s.csrf(Role::Engineer),
            "dataset:customers",
            &format!("{column}.csv"),
            csv.as_bytes(),
        );
        let started = s
            .send(Role::Engineer, "POST", "/scans", Some(&ct), body)
            .await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
        for (lang, says) in [("en", en), ("zh", zh)] {
            let job = format!("{}?lang={lang}", started.location());
            let done = s.finished(Role::Engineer, &job).await;
            let page = &done.body;
            assert!(page.contains(r#"<span class="by-chance">"#), "{page}");
            assert!(page.contains(says), "{page}");
            assert!(page.contains("not_kinds"), "{page}");
            for n in &numbers {
                assert!(!page.contains(n.as_str()), "a {column} is shown");
            }
        }
    }
}

/// The `customers` table of `crm` scanned from the form as the engineer,
/// with `extra` form fields, and the job's page once it has finished.
async fn scan_customers(s: &Site, extra: &str) -> Page {
    let body = db_form(
        s.csrf(Role::Engineer),
        "crm",
        "customers",
        "dataset%3Acustomers",
    ) + extra;
    let started = s.post_form(Role::Engineer, "/scans/database", &body).await;
    s.finished(Role::Engineer, started.location()).await
}

fn db_form(csrf: &str, source: &str, tables: &str, target: &str) -> String {
    format!("csrf={csrf}&source={source}&tables={tables}&target={target}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_scan_reports_its_tables_an_undeclared_column_and_no_value() {
    let s = site_with(crm_sources).await;
    let dir = s.dir.path().display().to_string();
    let form = s.get(Role::Engineer, "/scans").await;
    assert_eq!(form.status, StatusCode::OK);
    for id in [
        "scan-db-form",
        "scan-source",
        "scan-tables",
        "scan-db-target",
        "scan-db-start",
    ] {
        assert!(form.body.contains(&format!(r#"id="{id}""#)), "{id}");
    }
    assert!(form.body.contains(r#"<option value="crm">crm</option>"#));
    assert!(form.body.contains("10,000 rows"), "{}", form.body);
    // The source's id only: never its URL.
    assert!(!form.body.contains("sqlite:") && !form.body.contains(&dir));

    let body = db_form(
        s.csrf(Role::Engineer),
        "crm",
        "cust*",
        "dataset%3Acustomers",
    );
    let started = s.post_form(Role::Engineer, "/scans/database", &body).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let job = started.location().to_string();
    let done = s.finished(Role::Engineer, &job).await;
    let page = &done.body;
    assert_eq!(text_of(page, "job-state"), "done", "{page}");
    assert_eq!(text_of(page, "scan-source"), "crm");
    assert!(
        page.contains(r#"id="scan-against">dataset <code>customers</code>"#),
        "{page}"
    );
    let tables = &page[page.find(r#"id="scan-tables-read""#).unwrap()..];
    let tables = &tables[..tables.find("</table>").unwrap()];
    assert!(
        tables.contains("<td><code>customers</code></td><td>40</td><td>40</td><td>every row</td>"),
        "{tables}"
    );
    // Only the tables the pattern picked: the view is neither read nor skipped.
    assert!(!page.contains("reachable"), "{page}");
    assert!(!page.contains("scan-error-tables"), "{page}");
    // Columns named with their table; no file format for a database.
    assert!(
        page.contains("<tr><td><code>customers</code></td><td><code>backup_phone</code></td>"),
        "{page}"
    );
    assert!(
        page.contains("Columns read") && !page.contains("Format:"),
        "{page}"
    );
    let undeclared = &page[page.find(r#"id="scan-undeclared""#).unwrap()..];
    let undeclared = &undeclared[..undeclared.find("</ul>").unwrap()];
    assert!(undeclared.contains("backup_phone"), "{undeclared}");
    assert!(!undeclared.contains(">mobile<"), "{undeclared}");
    let (_, values) = synthetic_csv();
    for v in &values {
        assert!(!page.contains(v.as_str()), "a raw value is shown");
    }
    assert!(!page.contains("sqlite:") && !page.contains(&dir), "{page}");
    // Another account cannot see it.
    assert_eq!(s.get(Role::Admin, &job).await.status, StatusCode::NOT_FOUND);

    // A smaller sample, asked for on the form: 25 of the 40 rows, at random.
    let small = scan_customers(&s, "&rows=25").await;
    assert!(
        small.body.contains(
            "<td><code>customers</code></td><td>25</td><td>40</td><td>random sample</td>"
        ),
        "{}",
        small.body
    );
    for bad in ["0", "1000001", "many", "-3"] {
        let body =
            db_form(s.csrf(Role::Engineer), "crm", "", "dataset%3Acustomers") + "&rows=" + bad;
        let p = s.post_form(Role::Engineer, "/scans/database", &body).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // The first rows, asked for on the form: said so on the table's line and
    // under the database's name, with the audit entry written before.
    assert!(
        form.body.contains(r#"<option value="first">"#),
        "{}",
        form.body
    );
    let first = scan_customers(&s, "&rows=25&sample=first").await;
    assert!(
        first.body.contains(
            "<td><code>customers</code></td><td>25</td><td>40</td><td>the first rows</td>"
        ),
        "{}",
        first.body
    );
    assert!(
        first
            .body
            .contains("the first rows of each table, at most 25 rows a table"),
        "{}",
        first.body
    );
    assert!(
        text_of(&first.body, "scan-audit-entry").starts_with("Recorded in the audit log as entry "),
        "{}",
        first.body
    );
    for bad in ["all", "every", ""] {
        let body =
            db_form(s.csrf(Role::Engineer), "crm", "", "dataset%3Acustomers") + "&sample=" + bad;
        let p = s.post_form(Role::Engineer, "/scans/database", &body).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Every row, asked for on the form: all 40, said so without a bound;
    // a bound given with it is refused with a sentence.
    assert!(
        form.body
            .contains(r#"<option value="full">every row of each table</option>"#),
        "{}",
        form.body
    );
    let full = scan_customers(&s, "&sample=full").await;
    assert!(
        full.body
            .contains("<td><code>customers</code></td><td>40</td><td>40</td><td>every row</td>"),
        "{}",
        full.body
    );
    assert!(
        full.body.contains("every row of each table</p>") && !full.body.contains("at most 0"),
        "{}",
        full.body
    );
    assert!(
        !full.body.contains(r#"id="job-cancel""#),
        "finished: no stop button"
    );
    let body =
        db_form(s.csrf(Role::Engineer), "crm", "", "dataset%3Acustomers") + "&sample=full&rows=25";
    let p = s.post_form(Role::Engineer, "/scans/database", &body).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(
        p.body.contains("leave the rows a table empty"),
        "{}",
        p.body
    );

    // A pattern no table matches: said so, with no empty table name.
    let body = db_form(
        s.csrf(Role::Engineer),
        "crm",
        "nosuch",
        "dataset%3Acustomers",
    );
    let started = s.post_form(Role::Engineer, "/scans/database", &body).await;
    let none = s.finished(Role::Engineer, started.location()).await;
    assert!(none.body.contains(r#"id="scan-nothing""#), "{}", none.body);
    assert!(!none.body.contains("scan-error-tables"), "{}", none.body);

    // Every table: the view is listed as not scanned; in Chinese.
    let body = db_form(s.csrf(Role::Compliance), "crm", "", "dataset%3Acustomers");
    let started = s
        .post_form(Role::Compliance, "/scans/database", &body)
        .await;
    let done = s
        .finished(Role::Compliance, &format!("{}?lang=zh", started.location()))
        .await;
    let page = &done.body;
    assert_eq!(text_of(page, "job-state"), "已完成", "{page}");
    assert!(page.contains("对照数据地图扫描数据库"), "{page}");
    assert!(
        page.contains("已读取的表") && page.contains("<td>全部行</td>"),
        "{page}"
    );
    assert!(
        page.contains(r#"id="scan-skipped">未扫描的视图: <code>reachable</code>"#),
        "{page}"
    );
    assert!(
        text_of(page, "scan-audit-entry").starts_with("已在读取任何一行之前记入审计日志"),
        "{page}"
    );
    assert!(page.contains("每张表随机抽样，最多 10,000 行"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_scan_takes_only_the_servers_sources() {
    let s = site_with(crm_sources).await;
    let target = "dataset%3Acustomers";
    for role in [Role::Regulator, Role::Association, Role::Recipient] {
        let body = db_form(s.csrf(role), "crm", "", target);
        let p = s.post_form(role, "/scans/database", &body).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{role}");
    }
    // A wrong token; a URL or an unknown id where a source's id goes; a
    // target not in the map: nothing starts.
    let p = s
        .post_form(
            Role::Admin,
            "/scans/database",
            &db_form("wrong", "crm", "", target),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let csrf = s.csrf(Role::Admin);
    for source in [
        "sqlite%3A%2Fetc%2Fpasswd",
        "postgres%3A%2F%2Fdb.internal%2Fx",
        "nope",
        "",
    ] {
        let p = s
            .post_form(
                Role::Admin,
                "/scans/database",
                &db_form(csrf, source, "", target),
            )
            .await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{source}");
        assert!(p.location().is_empty());
    }
    let p = s
        .post_form(
            Role::Admin,
            "/scans/database",
            &db_form(csrf, "crm", "", "dataset%3Anope"),
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    // A source that cannot be opened: the job fails and says which.
    let p = s
        .post_form(
            Role::Admin,
            "/scans/database",
            &db_form(csrf, "gone", "", target),
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let done = s.finished(Role::Admin, p.location()).await;
    assert_eq!(text_of(&done.body, "job-state"), "failed", "{}", done.body);
    assert!(done.body.contains("gone.db"), "{}", done.body);
    // A server given no sources shows no database form and takes none.
    let plain = site().await;
    let form = plain.get(Role::Admin, "/scans").await;
    assert!(!form.body.contains("scan-db-form"), "{}", form.body);
    let p = plain
        .post_form(
            Role::Admin,
            "/scans/database",
            &db_form(plain.csrf(Role::Admin), "crm", "", target),
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
}

/// A full scan of a large table shows a button that stops it; once
/// stopped the page says so, in place of a result, and the button is gone.
/// The form needs the session's CSRF token, and only the owner's job is
/// found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_scan_is_stopped_from_its_page() {
    let s = site_with(big_sources).await;
    let body = db_form(s.csrf(Role::Engineer), "big", "", "dataset%3Acustomers") + "&sample=full";
    let started = s.post_form(Role::Engineer, "/scans/database", &body).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let job = started.location().to_string();
    let running = s.get(Role::Engineer, &job).await;
    assert!(
        running.body.contains(r#"data-state="running""#),
        "{}",
        running.body
    );
    assert!(
        running.body.contains(r#"id="job-cancel""#),
        "{}",
        running.body
    );
    assert!(
        running
            .body
            .contains(&format!(r#"<form method="post" action="{job}/cancel">"#)),
        "{}",
        running.body
    );
    let cancel = format!("{job}/cancel");
    let p = s.post_form(Role::Engineer, &cancel, "csrf=wrong").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = s
        .post_form(
            Role::Compliance,
            &cancel,
            &format!("csrf={}", s.csrf(Role::Compliance)),
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let form = format!("csrf={}", s.csrf(Role::Engineer));
    let p = s.post_form(Role::Engineer, &cancel, &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), job);
    let stopped = s.finished(Role::Engineer, &job).await;
    assert!(
        stopped.body.contains(r#"data-state="cancelled""#),
        "{}",
        stopped.body
    );
    assert!(
        text_of(&stopped.body, "job-cancelled").starts_with("Stopped before it finished"),
        "{}",
        stopped.body
    );
    assert!(
        !stopped.body.contains(r#"id="job-cancel""#),
        "{}",
        stopped.body
    );
    assert!(
        !stopped.body.contains(r#"id="scan-tables-read""#),
        "{}",
        stopped.body
    );
    assert!(
        text_of(&stopped.body, "job-progress").starts_with("Read before it stopped: "),
        "{}",
        stopped.body
    );
    let read: u64 = text_of(&stopped.body, "job-read")
        .replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("{}", stopped.body));
    assert!(read < BIG_ROWS, "{read}");
    // In Chinese too.
    let zh = s.get(Role::Engineer, &format!("{job}?lang=zh")).await;
    assert!(
        zh.body.contains("已取消") && zh.body.contains("已在完成前停止"),
        "{}",
        zh.body
    );
    // Stopped: asking again is a conflict, said in a sentence.
    let p = s.post_form(Role::Engineer, &cancel, &form).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("This job has finished"), "{}", p.body);
}
