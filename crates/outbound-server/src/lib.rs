//! The server: the HTTP API under `/api/v1/` (described by an OpenAPI 3.1
//! document generated from the handlers) and the web dashboard, over the
//! same store the CLI uses. DESIGN.md, "The server (contract)", is the
//! contract other tools test against.
//!
//! The store's API is blocking (one transaction per call on its private
//! runtime); every call from a handler goes through [`state::AppState::store`],
//! which runs it on tokio's blocking pool so that no worker ever blocks.
//!
//! Who may do what is one table ([`access`]); every handler asks it before it
//! reads, and a recipient sees only its own transfers: another's id answers
//! 404, exactly like an id that does not exist.

pub mod access;
pub mod api;
pub mod api_association;
pub mod api_complaints;
pub mod api_incidents;
pub mod api_recipients;
pub mod api_reviews;
pub mod api_rights;
pub mod api_scans;
pub mod auth;
pub mod error;
pub mod jobs;
pub mod log;
pub mod pages;
pub mod scan_sources;
mod scans;
pub mod state;
pub mod witnessed;

use std::net::SocketAddr;

pub use state::{AppState, Config};

/// The whole application: API, OpenAPI document, dashboard.
pub fn router(state: AppState) -> axum::Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi = std::sync::Arc::new(openapi);
    axum::Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(pages::router())
        .merge(log::router())
        .merge(witnessed::router())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::map_response(auth::security_headers))
        .with_state(state)
}

/// Serves until Ctrl-C (or SIGTERM), then finishes the requests in flight.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
}

/// Runs the server on a new multi-threaded runtime until it is stopped: for a
/// caller without a runtime of its own (the CLI). `ready` is called with the
/// bound address once the server accepts connections.
pub fn run(
    state: AppState,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        ready(listener.local_addr()?);
        let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await
    })
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
