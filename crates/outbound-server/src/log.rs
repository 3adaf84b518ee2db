//! The audit log published read-only as C2SP `tlog-tiles`, for anyone:
//! `GET /log/checkpoint`, `/log/tile/<L>/<N>[.p/<W>]` and
//! `/log/tile/entries/<N>[.p/<W>]` (formats in `outbound_store::c2sp` and
//! docs/CONTRACTS.md).
//!
//! The checkpoint and the hash tiles need no account: a witness or a monitor
//! checks signatures and consistency with its own tools, and hashes reveal
//! nothing. The entry bundles need a bearer token (any role that reads the
//! audit log): entries hold no data subject's values, but they do name staff
//! accounts and carry the reasons typed for route switches, which are not
//! for everyone. The origin is
//! `$OUTBOUND_LOG_ORIGIN` when set, else derived from the signing key (as
//! `outbound audit checkpoint` does).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use outbound_store::c2sp::{self, Tile};

use axum::extract::FromRequestParts;

use crate::access::{Action, allows};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The routes under `/log/`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/tile/{*path}", get(tile))
}

/// The origin the log's checkpoints carry.
pub(crate) fn origin(keys: &outbound_store::Keys) -> String {
    std::env::var("OUTBOUND_LOG_ORIGIN")
        .ok()
        .filter(|o| !o.is_empty())
        .unwrap_or_else(|| c2sp::default_origin(&keys.verifying()))
}

async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let note = state
        .store(|s, k| s.audit_checkpoint(k, &origin(k)))
        .await?
        .1;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        note,
    )
        .into_response())
}

async fn tile(
    State(state): State<AppState>,
    Path(path): Path<String>,
    parts: axum::http::request::Parts,
) -> Result<Response, ApiError> {
    let tile = Tile::parse(&path).map_err(|_| ApiError::not_found("no such tile"))?;
    if path.starts_with("entries/") {
        let mut parts = parts;
        let ApiUser(user) = ApiUser::from_request_parts(&mut parts, &state).await?;
        if !allows(user.role, Action::ReadAudit) {
            return Err(ApiError::forbidden(Action::ReadAudit.describe()));
        }
    }
    let bytes = state
        .store(move |s, _| s.audit_tile(&tile))
        .await?
        .ok_or_else(|| ApiError::not_found("no such tile in the log's current tree"))?;
    // A full tile never changes; a partial one is replaced as the log grows.
    let cache = if tile.partial.is_none() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        bytes,
    )
        .into_response())
}
