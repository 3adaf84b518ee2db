//! Witnesses' cosignatures of the log's checkpoints (C2SP
//! `tlog-cosignature`), for anyone:
//!
//! - `POST /log/cosignature`: a witness sends the checkpoint note it
//!   cosigned (the log's signature line and its own); each cosignature must
//!   be by a witness the company configured (`outbound serve --witness`) and
//!   verify, and the checkpoint must be one the log signed, else 400 and
//!   nothing is kept. No account: a cosignature authenticates itself.
//! - `GET /log/checkpoint.witnessed`: the newest checkpoint with at least the
//!   configured quorum of valid cosignatures, as one note with the log's
//!   signature followed by the witnesses' (404 until there is one).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::log::origin;
use crate::state::AppState;

/// The largest cosigned note accepted: a checkpoint and a few dozen signature lines.
const MAX_NOTE: usize = 16 * 1024;

/// The routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/log/cosignature", post(cosignature))
        .route("/log/checkpoint.witnessed", get(witnessed))
}

async fn cosignature(State(state): State<AppState>, note: String) -> Result<Response, ApiError> {
    if note.len() > MAX_NOTE {
        return Err(ApiError::bad_request(format!(
            "a cosigned checkpoint is at most {MAX_NOTE} bytes"
        )));
    }
    let policy = state.witnesses().clone();
    let new = state
        .store(move |s, k| s.cosign_record(k, &origin(k), &note, &policy))
        .await?;
    Ok((
        StatusCode::OK,
        axum::Json(serde_json::json!({ "accepted": true, "new": new })),
    )
        .into_response())
}

async fn witnessed(State(state): State<AppState>) -> Result<Response, ApiError> {
    let policy = state.witnesses().clone();
    let found = state
        .store(move |s, k| s.witnessed_checkpoint(k, &origin(k), &policy))
        .await?;
    let Some((_, note, _)) = found else {
        return Err(ApiError::not_found(
            "no checkpoint has the witnesses' quorum of cosignatures yet",
        ));
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        note,
    )
        .into_response())
}
