//! The dashboard's pages, rendered in-process with a signed-in session per
//! role: the stylesheet, the threshold chart, the data map, documents, and
//! what a recipient may see of each.

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use outbound_store::Role;
use tower::ServiceExt;

use crate::common::root;

/// A server with one signed-in browser session per role.
struct Site {
    router: axum::Router,
    sessions: Vec<(Role, String)>,
    _dir: tempfile::TempDir,
}

/// A page's answer.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Site {
    /// GET `path` as `role` (no session when None).
    async fn get(&self, role: Option<Role>, path: &str) -> Page {
        let mut req = Request::builder().uri(path);
        if let Some(r) = role {
            let id = &self.sessions.iter().find(|(x, _)| *x == r).unwrap().1;
            req = req.header("cookie", format!("outbound_session={id}"));
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
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
}

/// The map at `map` over a fresh SQLite store, judged on 2026-11-23; the
/// recipient account speaks for `lumen-inc` (see `common::app_with_map`).
fn site_with_map(map: &Path) -> Site {
    let a = crate::common::app_with_map(false, map).expect("SQLite needs no setup");
    Site {
        router: a.router,
        sessions: a.sessions,
        _dir: a._dir,
    }
}

async fn site() -> Site {
    tokio::task::spawn_blocking(|| site_with_map(&root().join("examples/lumen")))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stylesheet_is_static_and_cached() {
    let s = site().await;
    let p = s.get(None, "/static/app.css").await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.headers["content-type"], "text/css; charset=utf-8");
    assert_eq!(p.headers["cache-control"], "public, max-age=3600");
    assert!(p.body.contains("--accent"), "{}", &p.body[..100]);
    // Pages link it instead of carrying it inline.
    let login = s.get(None, "/login").await;
    assert!(login.body.contains(r#"href="/static/app.css""#));
    assert!(!login.body.contains("<style>"));
}

/// The `<svg …>…</svg>` elements of a page.
fn svgs(body: &str) -> Vec<&str> {
    body.match_indices("<svg")
        .map(|(i, _)| {
            let end = body[i..].find("</svg>").expect("closed") + i + "</svg>".len();
            &body[i..end]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_charts_the_projected_crossing_dates() {
    let s = site().await;
    let p = s.get(Some(Role::Compliance), "/?lang=en").await;
    assert_eq!(p.status, StatusCode::OK);
    let charts = svgs(&p.body);
    // Four exporters with CN thresholds (the US company's Shanghai branch among
    // them), two measures each; GDPR sets none.
    assert_eq!(charts.len(), 8, "{}", p.body);
    // Hainan: 99,950 by 23 November (day 327, 305.7 a day) reaches 100,000
    // the next day; Commerce: 9,000 sensitive (27.5 a day) needs 37 days.
    let section = |id: &str| {
        let at = p.body.find(&format!(r#"id="exporter-{id}""#)).unwrap();
        let rest = &p.body[at..];
        &rest[..rest.find("</section>").unwrap()]
    };
    let hainan = svgs(section("lumen-hainan"))[0];
    assert!(hainan.contains(">individuals<"), "{hainan}");
    assert!(hainan.contains(r#"data-date="2026-11-24""#), "{hainan}");
    assert!(hainan.contains("reached on 2026-11-24"));
    assert!(hainan.contains(r#"class="projection""#));
    let commerce = svgs(section("lumen-commerce"))[1];
    assert!(commerce.contains("sensitive"), "{commerce}");
    assert!(commerce.contains(r#"data-date="2026-12-30""#), "{commerce}");
    // The table says the same.
    assert!(
        p.body
            .contains(r#"<strong class="warn">2026-11-24</strong>"#)
    );
    assert!(p.body.contains("GDPR sets none") || p.body.contains("its regime sets none"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_lists_this_months_deadlines() {
    let s = site().await;
    let p = s.get(Some(Role::Admin), "/?lang=en").await;
    let table = &p.body[p.body.find(r#"id="deadlines""#).unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    // analytics-eu's filing fell due on 11 November: this month, overdue.
    assert!(table.contains("2026-11-11"), "{table}");
    assert!(table.contains("/transfers/analytics-eu"));
    assert!(table.contains("Standard Contract Measures Art. 7"));
    assert!(table.contains("overdue"));
    // Dates in other months are not this month's deadlines.
    assert!(!table.contains("2029-02-20"), "{table}");
    assert!(!table.contains("2026-12-"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_renders_in_chinese() {
    let s = site().await;
    let p = s.get(Some(Role::Compliance), "/?lang=zh").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(r#"<html lang="zh-CN">"#));
    for want in [
        "本月到期事项",
        "向省级网信部门备案",
        "预计达到日期 2026-11-24",
        "11月",
        "敏感个人信息（人数）",
        "订立标准合同或通过认证",
    ] {
        assert!(p.body.contains(want), "{want}");
    }
}

/// A copy of the example with `edit` applied to every file.
fn example_copy(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(root().join("examples/lumen")).unwrap() {
        let f = f.unwrap();
        let text = std::fs::read_to_string(f.path()).unwrap();
        std::fs::write(dir.path().join(f.file_name()), edit(&text)).unwrap();
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_shows_every_recipient_country() {
    let s = site().await;
    let map = outbound_model::load_path(&root().join("examples/lumen"))
        .unwrap()
        .map;
    for lang in ["en", "zh"] {
        let p = s
            .get(Some(Role::Auditor), &format!("/map?lang={lang}"))
            .await;
        assert_eq!(p.status, StatusCode::OK);
        let svg = svgs(&p.body).into_iter().next().expect("the map's SVG");
        for r in &map.recipients {
            assert!(
                svg.contains(&format!(r#"data-country="{}""#, r.country)),
                "{lang}: {}",
                r.country
            );
            assert!(svg.contains(&format!(r#"class="node recipient" data-id="{}""#, r.id)));
        }
        for kind in ["exporter", "system", "dataset"] {
            assert!(svg.contains(&format!(r#"class="node {kind}""#)), "{kind}");
        }
        // One box per recipient, and a line for each dataset a transfer sends.
        assert_eq!(
            svg.matches(r#"class="node recipient""#).count(),
            map.recipients.len()
        );
        assert!(svg.contains("<title>Customer profiles to the US parent</title>"));
        // The digest each batch's audit entry records of the map.
        let digest = format!(
            r#"<code id="map-digest" class="digest">{}</code>"#,
            map.content_sha256()
        );
        assert!(p.body.contains(&digest), "{lang}: no map digest");
    }
    let zh = s.get(Some(Role::Auditor), "/map?lang=zh").await;
    assert!(zh.body.contains("境外接收方（按国家/地区）"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_sees_only_its_part_of_the_map() {
    let s = site().await;
    let p = s.get(Some(Role::Recipient), "/map").await;
    assert_eq!(p.status, StatusCode::OK);
    let svg = svgs(&p.body).into_iter().next().unwrap();
    // lumen-inc receives crm-to-parent, hr-to-parent, ride-tracks and eu-to-parent.
    assert_eq!(svg.matches(r#"class="node recipient""#).count(), 1, "{svg}");
    assert!(svg.contains(r#"data-id="lumen-inc""#));
    for other in [
        "metricly",
        "cardnet",
        "lumen-sg",
        "clouddesk",
        "sakura-logistics",
    ] {
        assert!(!p.body.contains(other), "{other} shown to lumen-inc");
    }
    for shown in [
        "customers",
        "employees",
        "trips",
        "eu-customers",
        "lumen-mobility",
    ] {
        assert!(svg.contains(&format!(r#"data-id="{shown}""#)), "{shown}");
    }
    // Datasets only other recipients receive are not shown, nor their systems.
    for hidden in [
        "card-payments",
        "driver-faces",
        "suppliers",
        "members",
        "payments",
        "trade-desk",
        "lumen-hainan",
    ] {
        assert!(!svg.contains(&format!(r#"data-id="{hidden}""#)), "{hidden}");
    }
    assert!(!svg.contains(r#"data-country="NL""#));
    assert!(p.body.contains(r#"id="map-scoped""#));
    // The association role reads no transfers, so no map.
    let p = s.get(Some(Role::Association), "/map").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(!p.body.contains("<svg"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_are_text_in_the_map() {
    let dir = example_copy(|y| {
        y.replace(
            "name: Lumen Holdings Inc.",
            "name: '<script>alert(1)</script>'",
        )
        .replace(
            "name: Customer profiles\n",
            "name: '\"><img src=x onerror=alert(2)>'\n",
        )
        .replace("name: Shop CRM", "name: 'CRM & <b>shop</b>'")
    });
    let path = dir.path().to_path_buf();
    let s = tokio::task::spawn_blocking(move || site_with_map(&path))
        .await
        .unwrap();
    for page in ["/map", "/"] {
        let p = s.get(Some(Role::Admin), page).await;
        assert_eq!(p.status, StatusCode::OK, "{page}");
        assert!(!p.body.contains("<script>alert"), "{page}");
        assert!(!p.body.contains("<img"), "{page}");
        assert!(!p.body.contains("<b>shop"), "{page}");
    }
    let p = s.get(Some(Role::Admin), "/map").await;
    let svg = svgs(&p.body).into_iter().next().unwrap();
    assert!(
        svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{svg}"
    );
    assert!(svg.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(svg.contains("CRM &amp; &lt;b&gt;shop&lt;/b&gt;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_offers_its_documents() {
    let s = site().await;
    let p = s
        .get(Some(Role::Compliance), "/transfers/crm-to-parent?lang=en")
        .await;
    assert_eq!(p.status, StatusCode::OK);
    for file in [
        "pipia.zh.md",
        "pipia.en.html",
        "annex.zh.md",
        "filing.zh.html",
    ] {
        assert!(
            p.body
                .contains(&format!("/transfers/crm-to-parent/documents/{file}")),
            "{file}"
        );
    }
    // Documents of the whole map or of an exporter are not a transfer's.
    assert!(!p.body.contains("/documents/summary."));
    assert!(!p.body.contains("/documents/ropa."));
    let md = s
        .get(
            Some(Role::Compliance),
            "/transfers/crm-to-parent/documents/pipia.zh.md",
        )
        .await;
    assert_eq!(md.status, StatusCode::OK);
    assert_eq!(md.headers["content-type"], "text/markdown; charset=utf-8");
    assert_eq!(
        md.headers["content-disposition"],
        r#"attachment; filename="pipia-crm-to-parent.zh.md""#
    );
    assert!(md.body.starts_with('#'), "{}", &md.body[..200]);
    assert!(md.body.contains("crm-to-parent"));
    let html = s
        .get(
            Some(Role::Auditor),
            "/transfers/crm-to-parent/documents/annex.en.html",
        )
        .await;
    assert_eq!(html.status, StatusCode::OK);
    assert_eq!(html.headers["content-type"], "text/html; charset=utf-8");
    let csp = html.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(html.body.contains("<html"));
    // A kind that does not apply, or no such kind: not found.
    for path in [
        "/transfers/crm-to-parent/documents/tia.en.md",
        "/transfers/crm-to-parent/documents/summary.en.md",
        "/transfers/crm-to-parent/documents/pipia.fr.md",
        "/transfers/crm-to-parent/documents/pipia.zh.pdf",
        "/transfers/no-such/documents/pipia.zh.md",
    ] {
        assert_eq!(
            s.get(Some(Role::Admin), path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Signed out: to the sign-in page.
    let out = s
        .get(None, "/transfers/crm-to-parent/documents/pipia.zh.md")
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_downloads_only_its_own_documents() {
    let s = site().await;
    // lumen-inc receives crm-to-parent; analytics-eu goes to metricly.
    let own = s
        .get(
            Some(Role::Recipient),
            "/transfers/crm-to-parent/documents/pipia.en.md",
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    for path in [
        "/transfers/analytics-eu/documents/pipia.zh.md",
        "/transfers/analytics-eu/documents/annex.zh.html",
        "/transfers/analytics-eu",
    ] {
        let p = s.get(Some(Role::Recipient), path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!p.body.contains("Metricly"), "{path}");
    }
    // The association reads no transfers: not even their documents.
    let p = s
        .get(
            Some(Role::Association),
            "/transfers/crm-to-parent/documents/pipia.zh.md",
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipients_overview_shows_its_transfers_and_obligations() {
    let s = site().await;
    let p = s.get(Some(Role::Recipient), "/?lang=en").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Transfers to your organisation"));
    assert!(p.body.contains(r#"id="recipient-intro""#));
    assert!(p.body.contains("Lumen Holdings Inc."));
    assert!(
        p.body
            .contains(r#"<div class="big" id="n-transfers">4</div>"#),
        "{}",
        p.body
    );
    let table = &p.body[p.body.find(r#"id="obligations""#).unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    // Its own transfers' obligations, dated or not: crm-to-parent keeps its
    // PIPIA until 2029-02-20, ride-tracks' assessment expires 2027-06-09.
    assert!(table.contains("2029-02-20"), "{table}");
    assert!(table.contains("2027-06-09"));
    assert!(table.contains("PIPL Art. 56"));
    // None of another recipient's (analytics-eu's filing goes to Metricly).
    assert!(!table.contains("analytics-eu"));
    assert!(!p.body.contains("/transfers/analytics-eu"));
    assert!(!p.body.contains("Metricly"));
    // No counts for a recipient: no charts.
    assert!(svgs(&p.body).is_empty());
    // Others see no recipient section.
    let admin = s.get(Some(Role::Admin), "/?lang=en").await;
    assert!(!admin.body.contains(r#"id="obligations""#));
    let zh = s.get(Some(Role::Recipient), "/?lang=zh").await;
    assert!(zh.body.contains("与贵方相关的义务"));
    assert!(zh.body.contains("保存影响评估报告"));
}

/// A long map draws a page of transfers at a time, those needing attention
/// first, with the total and links to the next and previous pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_map_is_paged_with_attention_first() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.yaml");
    std::fs::write(&map, outbound_model::example::generated_map(250)).unwrap();
    let m = map.clone();
    let s = tokio::task::spawn_blocking(move || site_with_map(&m))
        .await
        .unwrap();
    let p = s.get(Some(Role::Auditor), "/").await;
    assert_eq!(p.status, StatusCode::OK);
    let rows = |body: &str| body.matches("<a href=\"/transfers/").count();
    assert_eq!(rows(&p.body), 100, "one page of rows");
    assert!(p.body.contains(">250</div>"), "the card counts all 250");
    assert!(p.body.contains("Transfers 1–100 of 250"));
    assert!(p.body.contains("href=\"/?offset=100\""));
    assert!(!p.body.contains("id=\"prev-page\""));
    // Routes not in place come first: the first row's "in place" is "no".
    let table = &p.body[p.body.find("id=\"transfers\"").unwrap()..];
    let row_start = table.find("<tr>\n").unwrap();
    let first_row = &table[row_start..row_start + table[row_start..].find("</tr>").unwrap()];
    assert!(first_row.contains("class=\"bad\""), "{first_row}");
    let last = s.get(Some(Role::Auditor), "/?offset=200").await;
    assert_eq!(rows(&last.body), 50);
    assert!(last.body.contains("Transfers 201–250 of 250"));
    assert!(last.body.contains("href=\"/?offset=100\""));
    assert!(!last.body.contains("id=\"next-page\""));
    // Past the end: the last page, not an empty one.
    let past = s.get(Some(Role::Auditor), "/?offset=9999").await;
    assert_eq!(rows(&past.body), 50);
    let zh = s.get(Some(Role::Auditor), "/?lang=zh").await;
    assert!(
        zh.body.contains("第 1–100 条，共 250 条"),
        "the Chinese page counts in Chinese"
    );
}

/// The incident register shows each clock with its due time, state and
/// article, in both languages, to the roles that read incidents only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_incident_register_shows_the_clocks() {
    let a = tokio::task::spawn_blocking(|| crate::common::app(false).unwrap())
        .await
        .unwrap();
    let body = serde_json::json!({
        "title": "Analytics export sent to the wrong <bucket>",
        "severity": "relatively_major",
        "discovered_at": "2026-11-23T08:00:00Z",
        "transfers": ["analytics-eu"],
    });
    let (s, _) = a
        .call(
            "POST",
            "/api/v1/incidents",
            Some(a.token(Role::Compliance)),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let session = |r: Role| {
        let id = &a.sessions.iter().find(|(x, _)| *x == r).unwrap().1;
        format!("outbound_session={id}")
    };
    let c = session(Role::Regulator);
    let page = a.send("GET", "/incidents", &[("cookie", &c)], None).await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    assert!(
        b.contains("inc-0001") && b.contains("eu-gdpr33-authority"),
        "{b}"
    );
    assert!(
        b.contains("2026-11-26T08:00:00Z"),
        "GDPR Art. 33: 72 hours after discovery"
    );
    assert!(b.contains("GDPR Art. 33(1)"));
    assert!(
        b.contains("wrong &lt;bucket&gt;") && !b.contains("<bucket>"),
        "the title is text"
    );
    assert!(
        b.contains("href=\"/incidents\""),
        "the header links the register"
    );
    assert!(
        b.contains("Clocks read at (UTC, real time") && b.contains("id=\"clocks-at\""),
        "the page says the clocks run in real time, not at the as-of date"
    );
    let zh = a
        .send("GET", "/incidents?lang=zh", &[("cookie", &c)], None)
        .await;
    assert!(
        zh.body.contains("安全事件") && zh.body.contains("较大"),
        "Chinese grade name"
    );
    let e = session(Role::Engineer);
    let no = a.send("GET", "/incidents", &[("cookie", &e)], None).await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);
    assert!(!no.body.contains("inc-0001"));
}

/// The overview lists the recipients behind on their obligations (counted as
/// the API counts them) and the open incidents whose clocks run or were
/// missed, each to the roles that read them; the others see neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_recipients_behind_and_incidents_pending() {
    let a = tokio::task::spawn_blocking(|| crate::common::app(false).unwrap())
        .await
        .unwrap();
    let session = |r: Role| {
        let id = &a.sessions.iter().find(|(x, _)| *x == r).unwrap().1;
        format!("outbound_session={id}")
    };
    let overview = |r: Role| {
        let c = session(r);
        let a = &a;
        async move { a.send("GET", "/", &[("cookie", &c)], None).await }
    };
    // Nothing open yet: the sections say so.
    let p = overview(Role::Admin).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body
            .contains("No open incident has a notification clock running or missed."),
        "{}",
        p.body
    );
    assert!(p.body.contains(r#"id="n-pending">0<"#));

    // The recipient states one obligation not met; an incident discovered an
    // hour ago (its clocks run) and one a week ago (72 hours missed).
    let (s, list) = a
        .call(
            "GET",
            "/api/v1/recipients/lumen-inc/obligations",
            Some(a.token(Role::Admin)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let first = list["obligations"][0]["id"].as_str().unwrap().to_string();
    let (s, b) = a
        .call(
            "POST",
            "/api/v1/recipients/lumen-inc/attestations",
            Some(a.token(Role::Recipient)),
            Some(serde_json::json!({"obligation": first, "statement": "not_met"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let now = jiff::Timestamp::now();
    let hour_ago = (now - jiff::SignedDuration::from_hours(1)).to_string();
    let week_ago = (now - jiff::SignedDuration::from_hours(24 * 7)).to_string();
    for (title, at) in [
        ("Synthetic: bucket left public", &hour_ago),
        ("Synthetic: export to the <wrong> host", &week_ago),
    ] {
        let (s, b) = a
            .call(
                "POST",
                "/api/v1/incidents",
                Some(a.token(Role::Compliance)),
                Some(serde_json::json!({
                    "title": title, "severity": "relatively_major",
                    "discovered_at": at, "transfers": ["analytics-eu"],
                })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (_, now_list) = a
        .call(
            "GET",
            "/api/v1/recipients/lumen-inc/obligations",
            Some(a.token(Role::Admin)),
            None,
        )
        .await;
    let count = |s: &str| {
        now_list["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["standing"] == s)
            .count()
    };
    assert!(count("not_met") >= 1);
    let (_, incs) = a
        .call("GET", "/api/v1/incidents", Some(a.token(Role::Admin)), None)
        .await;
    let by_title = |t: &str| {
        incs["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"].as_str().unwrap().contains(t))
            .unwrap()
            .clone()
    };
    let (new, old) = (by_title("bucket left public"), by_title("wrong"));
    // The soonest running clock of the new incident is its next due time.
    let next = new["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "running")
        .filter_map(|c| c["due"].as_str()?.parse::<jiff::Timestamp>().ok())
        .min()
        .unwrap()
        .to_string();
    assert!(
        old["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["state"] == "missed"),
        "{old}"
    );

    for role in [
        Role::Admin,
        Role::Compliance,
        Role::Auditor,
        Role::Regulator,
    ] {
        let p = overview(role).await;
        let b = &p.body;
        assert_eq!(p.status, StatusCode::OK, "{role}");
        assert!(
            b.contains(r#"<table id="recipients-behind">"#),
            "{role}: {b}"
        );
        assert!(b.contains(r#"href="/recipients/lumen-inc""#), "{role}");
        let row = b
            .split(r#"<table id="recipients-behind">"#)
            .nth(1)
            .unwrap()
            .split("</table>")
            .next()
            .unwrap();
        assert!(
            row.contains(&format!(
                r#"<span class="pill bad">{}</span>"#,
                count("not_met")
            )),
            "{role}: the not-met count as the API has it: {row}"
        );
        assert!(b.contains(r#"id="n-pending">2<"#), "{role}");
        assert!(b.contains(r#"<table id="pending-incidents">"#), "{role}");
        assert!(
            b.contains(r#"href="/incidents#incident-inc-0001""#),
            "{role}"
        );
        assert!(
            b.contains(r#"href="/incidents#incident-inc-0002""#),
            "{role}"
        );
        assert!(b.contains(&next), "{role}: the next due time {next}");
        assert!(b.contains("missed"), "{role}");
        assert!(
            b.contains("export to the &lt;wrong&gt; host") && !b.contains("<wrong>"),
            "{role}: the title is text"
        );
    }
    // The recipient: its own obligations, no incidents.
    let p = overview(Role::Recipient).await;
    assert!(p.body.contains(r#"href="/recipients/lumen-inc""#));
    assert!(!p.body.contains("pending-incidents") && !p.body.contains("inc-0001"));
    // Roles that read neither see neither.
    for role in [Role::Engineer, Role::Association] {
        let p = overview(role).await;
        assert_eq!(p.status, StatusCode::OK, "{role}");
        for no in [
            "recipients-behind",
            "pending-incidents",
            "n-behind",
            "n-pending",
            "inc-0001",
            "/recipients/lumen-inc",
        ] {
            assert!(!p.body.contains(no), "{role} sees {no}");
        }
    }
    // In Chinese.
    let c = session(Role::Regulator);
    let zh = a.send("GET", "/?lang=zh", &[("cookie", &c)], None).await;
    assert!(
        zh.body.contains("义务逾期或未履行的接收方") && zh.body.contains("报告时限需关注的事件"),
        "Chinese headings"
    );
    assert!(zh.body.contains("已超时") && zh.body.contains("较大"));
}

/// A transfer's batches say which map each was judged under, as its audit
/// entry records it: this map (the server's), or another one, with the
/// digest it was judged under; in English and Chinese, and in the API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_batch_says_which_map_it_was_judged_under() {
    let a = tokio::task::spawn_blocking(|| crate::common::app(false).unwrap())
        .await
        .unwrap();
    let current = outbound_model::load_path(&root().join("examples/lumen"))
        .unwrap()
        .map
        .content_sha256();
    let other = "ab".repeat(32);
    let send = crate::api_rights::send_judged;
    send(&a, "crm-to-parent", "lumen-inc", 2026, &["P-1"], &current).await;
    send(&a, "crm-to-parent", "lumen-inc", 2026, &["P-2"], &other).await;
    let page = |role: Role, path: &'static str| {
        let cookie = a.session_cookie(role);
        let a = &a;
        async move { a.send("GET", path, &[("cookie", &cookie)], None).await }
    };
    let p = page(Role::Auditor, "/transfers/crm-to-parent").await;
    assert_eq!(p.status, StatusCode::OK);
    let rows: Vec<&str> = p.body.split("<tr><td>").skip(1).collect();
    let batch = |n: usize| {
        rows.iter()
            .find(|r| r.starts_with(&format!("{n}</td>")))
            .unwrap_or_else(|| panic!("no batch {n}: {}", p.body))
    };
    assert!(
        batch(0).contains(r#"data-map="current""#) && batch(0).contains("this map"),
        "{}",
        batch(0)
    );
    assert!(
        batch(1).contains(r#"data-map="other""#)
            && batch(1).contains("another map")
            && batch(1).contains(&format!("<code>{}…</code>", &other[..16])),
        "{}",
        batch(1)
    );
    assert!(
        p.body
            .contains("The map each batch was judged under, as its audit entry records it")
    );
    let zh = page(Role::Auditor, "/transfers/crm-to-parent?lang=zh").await;
    assert!(
        zh.body.contains("判定依据")
            && zh.body.contains("本数据地图")
            && zh.body.contains("其他版本的数据地图"),
        "{}",
        zh.body
    );
    // A role that may not read batches sees none.
    let p = page(Role::Association, "/transfers/crm-to-parent").await;
    assert!(!p.body.contains("data-map="), "{}", p.body);
    // The API says the same, with the whole digest.
    let (s, list) = a
        .call("GET", "/api/v1/batches", Some(a.token(Role::Auditor)), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let maps: Vec<(&str, &str)> = list["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["map"].as_str().unwrap(),
                b["map_sha256"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        maps,
        [("current", current.as_str()), ("other", other.as_str())]
    );
}

/// A transfer of many batches shows its newest fifty, with links to the
/// older and newer ones; the API gives pages of `limit` with where the next
/// starts, one transfer's with `transfer`, and a recipient only its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_come_a_page_at_a_time() {
    let a = tokio::task::spawn_blocking(|| crate::common::app(false).unwrap())
        .await
        .unwrap();
    let map = "ab".repeat(32);
    let send = crate::api_rights::send_judged;
    // 55 of crm-to-parent's batches, every tenth followed by one of
    // another recipient's transfer: ids 0..=60, the other's 10, 21, 32, 43, 54.
    let mut crm = Vec::new();
    let mut id = 0u64;
    for i in 0..55 {
        let person = format!("P-{i}");
        send(&a, "crm-to-parent", "lumen-inc", 2026, &[&person], &map).await;
        crm.push(id);
        id += 1;
        if i % 10 == 9 {
            send(
                &a,
                "us-parcels-hk",
                "harbour-logistics",
                2026,
                &[&person],
                &map,
            )
            .await;
            id += 1;
        }
    }
    let page = |path: String| {
        let a = &a;
        async move { a.page_body(Role::Auditor, &path).await }
    };
    let shown = |body: &str| -> Vec<u64> {
        body.split("<tr><td>")
            .skip(1)
            .filter_map(|r| r.split("</td>").next()?.parse().ok())
            .collect()
    };
    let newest: Vec<u64> = crm.iter().rev().take(50).copied().collect();
    let first = page("/transfers/crm-to-parent".into()).await;
    assert_eq!(shown(&first), newest);
    assert!(first.contains("50 of 55 batches, newest first"), "{first}");
    let older = format!(r#"href="?before={}""#, newest[49]);
    assert!(first.contains(&older), "{first}");
    assert!(!first.contains("id=\"newer-batches\""), "{first}");
    let rest = page(format!("/transfers/crm-to-parent?before={}", newest[49])).await;
    assert_eq!(
        shown(&rest),
        crm[..5].iter().rev().copied().collect::<Vec<_>>()
    );
    assert!(!rest.contains("id=\"older-batches\""), "{rest}");
    assert!(
        rest.contains(&format!(r#"href="?after={}""#, crm[4])),
        "{rest}"
    );
    let back = page(format!("/transfers/crm-to-parent?after={}", crm[4])).await;
    assert_eq!(shown(&back), newest);
    assert!(back.contains(&older), "{back}");
    // A position that does not parse shows the newest.
    assert_eq!(
        shown(&page("/transfers/crm-to-parent?before=x".into()).await),
        newest
    );
    let zh = page("/transfers/crm-to-parent?lang=zh".into()).await;
    assert!(
        zh.contains("共 55 个批次，此处显示 50 个，最新的在前") && zh.contains("较早的批次"),
        "{zh}"
    );

    // The API: pages of 20 over all 61, each batch once, in order.
    let list = |role: Role, query: String| {
        let a = &a;
        async move {
            a.call(
                "GET",
                &format!("/api/v1/batches{query}"),
                Some(a.token(role)),
                None,
            )
            .await
        }
    };
    let ids = |v: &serde_json::Value| -> Vec<u64> {
        v["batches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_u64().unwrap())
            .collect()
    };
    let (mut seen, mut query) = (Vec::new(), "?limit=20".to_string());
    loop {
        let (s, v) = list(Role::Auditor, query).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        seen.extend(ids(&v));
        match v["next_after"].as_u64() {
            Some(n) => query = format!("?limit=20&after={n}"),
            None => break,
        }
    }
    assert_eq!(seen, (0..id).collect::<Vec<_>>());
    // Without `limit`, a thousand at most: here every batch, and no next page.
    let (_, v) = list(Role::Auditor, String::new()).await;
    assert_eq!(ids(&v).len() as u64, id);
    assert!(v["next_after"].is_null(), "{v}");
    let (_, v) = list(
        Role::Auditor,
        "?transfer=crm-to-parent&limit=3&after=2".into(),
    )
    .await;
    assert_eq!(ids(&v), crm[3..6]);
    assert_eq!(v["next_after"].as_u64(), Some(crm[5]));
    // A recipient: its own transfer's batches, pages filled past the
    // others'; another recipient's transfer is one it cannot name.
    let (_, v) = list(Role::Recipient, "?limit=12".into()).await;
    assert_eq!(ids(&v), crm[..12]);
    assert_eq!(v["next_after"].as_u64(), Some(crm[11]));
    let (s, v) = list(Role::Recipient, "?transfer=us-parcels-hk".into()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["error"]["message"], "no such transfer");
    for bad in [
        "?limit=0",
        "?limit=10001",
        "?limit=x",
        "?after=-1",
        "?transfer=t%00",
    ] {
        let (s, v) = list(Role::Auditor, bad.into()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
}
