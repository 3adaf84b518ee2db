//! The published log: `/log/checkpoint` and the C2SP hash tiles without an
//! account, entry bundles with one, checked against trees rebuilt from the
//! entry bundles served.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use outbound_store::c2sp::{Checkpoint, default_origin, verifier_key};
use outbound_store::merkle::{Hash, leaf_hash, root};
use tower::ServiceExt;

use crate::common::{App, app};

async fn get(app: &App, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    // Entry bundles need an account (any role); the rest is public.
    let mut req = Request::builder().uri(path);
    if path.starts_with("/log/tile/entries/") {
        let t = app.token(outbound_store::Role::Regulator);
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req.body(Body::empty()).unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Entries of a bundle: 2-byte big-endian length, then the bytes.
fn unbundle(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let n = u16::from_be_bytes([b[0], b[1]]) as usize;
        out.push(b[2..2 + n].to_vec());
        b = &b[2 + n..];
    }
    out
}

async fn served_checkpoint(app: &App, vkey: &str) -> Checkpoint {
    let (status, h, body) = get(app, "/log/checkpoint").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-type"), "text/plain; charset=utf-8");
    Checkpoint::open(std::str::from_utf8(&body).unwrap(), vkey).unwrap()
}

async fn log_is_public_and_verifiable(pg: bool) {
    let Some(app) = tokio::task::block_in_place(|| app(pg)) else {
        return;
    };
    let (store, keys) = tokio::task::block_in_place(|| app.open_store());
    let vkey = verifier_key(&default_origin(&keys.verifying()), &keys.verifying());
    let before = served_checkpoint(&app, &vkey).await;
    // The accounts and tokens of the test app are entries already.
    assert!(before.size > 0);

    let entries: Vec<(&str, serde_json::Value)> = (0..300)
        .map(|i| ("test", serde_json::json!({ "n": i })))
        .collect();
    tokio::task::block_in_place(|| store.audit_append_many(&keys, &entries)).unwrap();
    let size = before.size + 300;
    let cp = served_checkpoint(&app, &vkey).await;
    assert_eq!(cp.size, size);

    // Every entry from the bundles; their leaves give the checkpoint's root.
    let full = size / 256;
    let mut leaves: Vec<Hash> = Vec::new();
    for n in 0..=full {
        let path = if n < full {
            format!("/log/tile/entries/{n:03}")
        } else {
            format!("/log/tile/entries/{n:03}.p/{}", size % 256)
        };
        let (status, h, body) = get(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header(&h, "content-type"), "application/octet-stream");
        let cache = header(&h, "cache-control");
        if n < full {
            assert_eq!(cache, "public, max-age=31536000, immutable");
        } else {
            assert!(!cache.contains("immutable"), "{cache}");
        }
        leaves.extend(unbundle(&body).iter().map(|e| leaf_hash(e)));
    }
    assert_eq!(leaves.len() as u64, size);
    assert_eq!(root(&leaves), cp.root);
    // Hash tiles: leaves at level 0, roots of 256 leaves at level 1.
    let (status, _, t) = get(&app, "/log/tile/0/000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t, leaves[..256].concat());
    let p = format!("/log/tile/0/001.p/{}", size - 256);
    assert_eq!(get(&app, &p).await.2, leaves[256..].concat());
    assert_eq!(
        get(&app, "/log/tile/1/000.p/1").await.2,
        root(&leaves[..256])
    );

    // Not in the tree, or not canonical: 404 with the contract's error.
    for path in [
        "/log/tile/0/001".to_string(),
        format!("/log/tile/0/001.p/{}", size - 257),
        "/log/tile/1/000".into(),
        "/log/tile/0/002.p/1".into(),
        "/log/tile/0/0001".into(),
        "/log/tile/00/000".into(),
        "/log/tile/64/000".into(),
        "/log/tile/0/000.p/0".into(),
        "/log/tile/0/001.p/256".into(),
        "/log/tile/0/x000/001".into(),
        "/log/tile/data/000".into(),
        "/log/tile/entries/".into(),
    ] {
        let (status, _, body) = get(&app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "not_found", "{path}");
    }
    let resp = app
        .router
        .clone()
        .oneshot(
            Request::builder()
                .method("POST")
                .uri("/log/checkpoint")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);

    // A store that does not verify publishes no checkpoint.
    tokio::task::block_in_place(|| {
        app.tamper(&format!(
            "UPDATE audit_entries SET body = body || ' ' WHERE idx = {}",
            size - 1
        ))
    });
    let (status, _, body) = get(&app, "/log/checkpoint").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "store_does_not_verify");
}

#[tokio::test(flavor = "multi_thread")]
async fn log_is_public_and_verifiable_sqlite() {
    log_is_public_and_verifiable(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn log_is_public_and_verifiable_postgres() {
    log_is_public_and_verifiable(true).await;
}

/// Entry bundles name staff accounts and carry typed reasons: no account, no
/// entries (401); the checkpoint and the hash tiles stay public.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entry_bundles_need_an_account_and_hashes_do_not() {
    let a = tokio::task::spawn_blocking(|| app(false))
        .await
        .unwrap()
        .unwrap();
    let anon = |path: &'static str| {
        let req = Request::builder().uri(path).body(Body::empty()).unwrap();
        a.router.clone().oneshot(req)
    };
    let size = {
        let r = anon("/log/checkpoint").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let b = r.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8_lossy(&b)
            .lines()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(size > 0 && size < 256, "{size}");
    let hashes = format!("/log/tile/0/000.p/{size}");
    let entries = format!("/log/tile/entries/000.p/{size}");
    let r = a
        .router
        .clone()
        .oneshot(Request::builder().uri(&hashes).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "hash tiles are public");
    let r = a
        .router
        .clone()
        .oneshot(
            Request::builder()
                .uri(&entries)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "entries need an account"
    );
    let (s, _, body) = get(&a, &entries).await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("account_added"));
}
