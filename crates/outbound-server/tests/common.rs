//! A server over the bundled example and a fresh store, with one account and
//! token per role, called in-process (no socket) through the router.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use outbound_server::{AppState, Config};
use outbound_store::{Keys, Role, Store};
use tower::ServiceExt;

/// The repository's root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running application and the bearer token of each role.
pub(crate) struct App {
    pub(crate) router: axum::Router,
    pub(crate) tokens: Vec<(Role, String)>,
    pub(crate) _dir: tempfile::TempDir,
}

impl App {
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
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let store = if pg {
        Store::open(&outbound_store::testing::fresh_postgres_database()?).unwrap()
    } else {
        Store::open(&dir.path().join("store.db").display().to_string()).unwrap()
    };
    let mut tokens = Vec::new();
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
    Some(App {
        router: outbound_server::router(state),
        tokens,
        _dir: dir,
    })
}
