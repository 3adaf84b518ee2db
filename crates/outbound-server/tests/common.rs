//! A server over the bundled example and a fresh store, with one account and
//! token per role, called in-process (no socket) through the router.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use outbound_server::{AppState, Config};
use outbound_store::{Keys, Role, Store};
use tower::ServiceExt;

/// Runs each named `async fn(&App)` on both backends: SQLite, and PostgreSQL
/// when `OUTBOUND_TEST_POSTGRES` is set (see [`app`]).
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(a) = tokio::task::spawn_blocking(|| crate::common::app(false)).await.unwrap() { super::$name(&a).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(a) = tokio::task::spawn_blocking(|| crate::common::app(true)).await.unwrap() { super::$name(&a).await } } )* }
    };
}

/// The CSRF token of the first form in a page.
pub(crate) fn csrf_of(html: &str) -> String {
    let key = r#"name="csrf" value=""#;
    let at = html.find(key).expect("a form with a CSRF token") + key.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// The repository's root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running application and the bearer token of each role.
pub(crate) struct App {
    pub(crate) router: axum::Router,
    pub(crate) tokens: Vec<(Role, String)>,
    /// A signed-in browser session id per role (an hour long).
    pub(crate) sessions: Vec<(Role, String)>,
    /// Where the store is (a SQLite path or a PostgreSQL URL), for a second handle.
    pub(crate) store_location: String,
    pub(crate) _dir: tempfile::TempDir,
}

impl App {
    /// The audit log's size, from the API's checkpoint.
    pub(crate) async fn log_size(&self) -> u64 {
        let (_, c) = self
            .call(
                "GET",
                "/api/v1/audit/checkpoint",
                Some(self.token(Role::Admin)),
                None,
            )
            .await;
        c["size"].as_u64().unwrap()
    }

    /// The `cookie` header of `role`'s signed-in session.
    pub(crate) fn session_cookie(&self, role: Role) -> String {
        let id = &self.sessions.iter().find(|(r, _)| *r == role).unwrap().1;
        format!("outbound_session={id}")
    }

    /// A dashboard page's body as `role` sees it, which must be a 200.
    pub(crate) async fn page_body(&self, role: Role, path: &str) -> String {
        let p = self
            .send("GET", path, &[("cookie", &self.session_cookie(role))], None)
            .await;
        assert_eq!(p.status, axum::http::StatusCode::OK, "{path}");
        p.body
    }

    /// The token of `role`.
    pub(crate) fn token(&self, role: Role) -> &str {
        &self.tokens.iter().find(|(r, _)| *r == role).unwrap().1
    }

    /// Sends a request; returns the status and the body as JSON (Null when not JSON).
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// The example map with a fresh store (SQLite, or PostgreSQL when `pg`), an
/// account per role (the recipient speaks for `lumen-inc`), and a token each.
/// None when PostgreSQL is asked for but not configured (outside CI).
pub(crate) fn app(pg: bool) -> Option<App> {
    app_with_map(pg, &root().join("examples/lumen"))
}

/// As [`app`], over another map.
pub(crate) fn app_with_map(pg: bool, map: &std::path::Path) -> Option<App> {
    app_with(pg, map, |_| Vec::new())
}

/// As [`app`] on SQLite, with the scan sources `sources` gives (handed the
/// app's directory).
pub(crate) fn app_with_sources(
    sources: impl FnOnce(&std::path::Path) -> Vec<outbound_server::scan_sources::ScanSource>,
) -> App {
    app_with(false, &root().join("examples/lumen"), sources).unwrap()
}

fn app_with(
    pg: bool,
    map: &std::path::Path,
    sources: impl FnOnce(&std::path::Path) -> Vec<outbound_server::scan_sources::ScanSource>,
) -> Option<App> {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let store_location = if pg {
        outbound_store::testing::fresh_postgres_database()?
    } else {
        dir.path().join("store.db").display().to_string()
    };
    let store = Store::open(&store_location).unwrap();
    let mut tokens = Vec::new();
    let mut sessions = Vec::new();
    let expires = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string();
    for role in Role::ALL {
        let name = role.as_str();
        let recipient = (role == Role::Recipient).then_some("lumen-inc");
        store
            .add_account(&keys, "test", name, role, recipient, None)
            .unwrap();
        let token = outbound_server::auth::new_token();
        store
            .add_token(
                &keys,
                "test",
                name,
                &outbound_server::auth::sha256_hex(&token),
            )
            .unwrap();
        tokens.push((role, token));
        let id = outbound_server::auth::random_hex();
        let hash = outbound_server::auth::sha256_hex(&id);
        store
            .add_session(&hash, name, &outbound_server::auth::random_hex(), &expires)
            .unwrap();
        sessions.push((role, id));
    }
    let loaded = outbound_model::load_path(map).unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let state = AppState::new(Config {
        map: loaded.map,
        store,
        keys,
        as_of: Some("2026-11-23".parse().unwrap()),
        secure_cookies: false,
    });
    state.set_scan_sources(sources(dir.path()));
    Some(App {
        router: outbound_server::router(state),
        tokens,
        sessions,
        store_location,
        _dir: dir,
    })
}

/// An answer as it came: status, headers and the body as text.
pub(crate) struct Raw {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

impl Raw {
    /// The `Set-Cookie` header that sets `name`, if any.
    pub(crate) fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    /// The value `name` is set to by a `Set-Cookie` header (empty when cleared).
    pub(crate) fn cookie_value(&self, name: &str) -> Option<String> {
        let c = self.set_cookie(name)?;
        let v = c.split(';').next()?.split_once('=')?.1;
        Some(v.to_string())
    }

    /// The body as JSON (Null when it is not JSON).
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

impl App {
    /// Sends a request with any headers and an optional body; returns it all.
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Raw {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body.map_or_else(Body::empty, Body::from)).unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Raw {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// The audit log's entries, through a second handle on the store.
    pub(crate) async fn entries(&self) -> Vec<outbound_store::audit::Entry> {
        let loc = self.store_location.clone();
        tokio::task::spawn_blocking(move || Store::open(&loc).unwrap().audit_entries().unwrap())
            .await
            .unwrap()
    }

    /// A second handle on the application's store, with its keys (blocking:
    /// call from `spawn_blocking` or a plain test).
    pub(crate) fn open_store(&self) -> (Store, Keys) {
        let keys = Keys::load(&self._dir.path().join("keys")).unwrap();
        (Store::open(&self.store_location).unwrap(), keys)
    }

    /// Gives `role`'s account a password (argon2id, as `outbound user add
    /// --password-stdin` does) and returns it.
    pub(crate) fn set_password(&self, role: Role) -> String {
        let password = format!("synthetic-password-{role}");
        let hash = outbound_server::auth::hash_password(&password).unwrap();
        let (store, keys) = self.open_store();
        store
            .set_password(&keys, "test", role.as_str(), &hash)
            .unwrap();
        password
    }

    /// Runs SQL on the store behind its back, as whoever holds the database can.
    pub(crate) fn tamper(&self, sql: &str) {
        let url = if outbound_store::is_postgres(&self.store_location) {
            self.store_location.clone()
        } else {
            format!("sqlite://{}", self.store_location)
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
    }
}

/// The example map copied to a temporary directory with `edit` applied to
/// the text of each YAML file (a hostile name or purpose, say).
pub(crate) fn lumen_copy(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(root().join("examples/lumen")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(dir.path().join(p.file_name().unwrap()), edit(&text)).unwrap();
    }
    dir
}

/// The ids of a page's table rows `<tr id="{prefix}…">`, in order.
pub(crate) fn row_ids(body: &str, prefix: &str) -> Vec<String> {
    body.split(&format!("<tr id=\"{prefix}"))
        .skip(1)
        .map(|r| r.split('"').next().unwrap_or_default().to_string())
        .collect()
}

/// Synthetic customers: declared columns, and `backup_phone`, which the
/// `customers` dataset does not declare, holding mobile numbers.
pub(crate) fn synthetic_csv() -> (Vec<u8>, Vec<String>) {
    let mut csv = String::from("customer_id,mobile,email,backup_phone\n");
    let mut values = Vec::new();
    for i in 0..40 {
        let (mobile, email, backup) = (
            format!("1381234{i:04}"),
            format!("synthetic{i}@example.com"),
            format!("1391111{i:04}"),
        );
        csv.push_str(&format!("C{i:05},{mobile},{email},{backup}\n"));
        values.extend([mobile, email, backup]);
    }
    (csv.into_bytes(), values)
}

/// An SQLite database at `path` holding [`synthetic_csv`]'s rows as the
/// table `customers`, and a view of it.
pub(crate) fn synthetic_db(path: &std::path::Path) {
    let (csv, _) = synthetic_csv();
    let text = String::from_utf8(csv).unwrap();
    let mut sql = String::from(
        "CREATE TABLE customers (customer_id TEXT, mobile TEXT, email TEXT, backup_phone TEXT);\n\
         CREATE VIEW reachable AS SELECT mobile FROM customers;\n",
    );
    for line in text.lines().skip(1) {
        let cells: Vec<String> = line.split(',').map(|c| format!("'{c}'")).collect();
        sql.push_str(&format!(
            "INSERT INTO customers VALUES ({});\n",
            cells.join(", ")
        ));
    }
    let url = format!("sqlite:{}?mode=rwc", path.display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
}

/// Rows of [`big_sources`]' table: enough that a full scan is still
/// reading when a test asks it to stop (a debug build scans them for
/// seconds; the request comes within milliseconds).
pub(crate) const BIG_ROWS: u64 = 100_000;

/// One source, `big`: a `customers` table of [`BIG_ROWS`] synthetic rows
/// (a customer number and an eleven-digit number each, written by SQLite
/// itself).
pub(crate) fn big_sources(dir: &std::path::Path) -> Vec<outbound_server::scan_sources::ScanSource> {
    let db = dir.join("big.db");
    let url = format!("sqlite:{}?mode=rwc", db.display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let sql = format!(
            "CREATE TABLE customers (customer_id TEXT, mobile TEXT);
             WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {BIG_ROWS})
             INSERT INTO customers SELECT 'C' || x, '139' || printf('%08d', x * 7919 % 100000000) FROM n;"
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
    vec![outbound_server::scan_sources::ScanSource::new(
        "big",
        &format!("sqlite:{}", db.display()),
    )]
}

/// Two sources: `crm` (the synthetic database) and `gone` (a file that
/// does not exist).
pub(crate) fn crm_sources(dir: &std::path::Path) -> Vec<outbound_server::scan_sources::ScanSource> {
    let db = dir.join("crm.db");
    synthetic_db(&db);
    vec![
        outbound_server::scan_sources::ScanSource::new("crm", &format!("sqlite:{}", db.display())),
        outbound_server::scan_sources::ScanSource::new(
            "gone",
            &format!("sqlite:{}", dir.join("gone.db").display()),
        ),
    ]
}

/// The bundled example (whose `customers` and `orders`, system
/// `shop-crm`, name their tables) copied to `dir/map`, with `card-payments`
/// (system `payments`) naming one too.
pub(crate) fn placed_map(dir: &std::path::Path) -> PathBuf {
    let to = dir.join("map");
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(root().join("examples/lumen")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    let systems = to.join("10-systems.yaml");
    let mut text = std::fs::read_to_string(&systems).unwrap();
    let at = text.find("  - id: card-payments\n").unwrap();
    let fields = at + text[at..].find("    fields:\n").unwrap();
    text.insert_str(fields, "    table: payments.cards\n");
    std::fs::write(&systems, text).unwrap();
    to
}

/// A server over [`placed_map`] whose scan source `shop-crm` is the
/// synthetic database (a `customers` table with an undeclared column, no
/// `orders` table).
pub(crate) fn app_with_placed_map() -> App {
    let dir = tempfile::tempdir().unwrap();
    let map = placed_map(dir.path());
    // The map is read when the app starts; its copy may go after.
    app_with(false, &map, |d| {
        let db = d.join("shop.db");
        synthetic_db(&db);
        vec![outbound_server::scan_sources::ScanSource::new(
            "shop-crm",
            &format!("sqlite:{}", db.display()),
        )]
    })
    .unwrap()
}
