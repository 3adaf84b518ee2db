//! Pages: members' snapshots and ratings, per period and over periods (issue 12).
//!
//! `GET /association/ratings?period=…` (each member's score, band and
//! breakdown, each line with the snapshot fields it read and the evidence:
//! snapshot SHA-256, log index, checkpoint size; or why it was not rated)
//! and `GET /association/ratings/compare` (scores over the periods
//! collected). Read-only; access is the API's (`Action::ReadRatings`:
//! admin, auditor, regulator, association). Method: docs/RATINGS.md.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;

use super::{LangQuery, forbidden_page, language, render, ser};
use crate::access::{Action, allows};
use crate::api_association::{comparison, ratings_of};
use crate::auth::PageUser;
use crate::state::AppState;

/// This workflow's pages.
pub(super) fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/association/ratings", get(ratings_page))
        .route("/association/ratings/compare", get(compare_page))
}

/// `?period=&lang=`.
#[derive(serde::Deserialize, Default)]
pub(super) struct RatingsQuery {
    period: Option<String>,
    lang: Option<String>,
}

async fn ratings_page(
    State(state): State<AppState>,
    Query(q): Query<RatingsQuery>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&LangQuery { lang: q.lang }, &headers);
    if !allows(user.account.role, Action::ReadRatings) {
        return forbidden_page(lang, &user);
    }
    let r = state
        .store(move |s, _| {
            let cmp = comparison(s)?;
            let period = q
                .period
                .filter(|p| outbound_store::snapshots::valid_period(p))
                .or_else(|| cmp.periods.last().cloned());
            let view = period.as_deref().map(|p| ratings_of(s, p)).transpose()?;
            Ok((cmp.periods, view))
        })
        .await;
    match r {
        Ok((periods, view)) => render(
            "ratings.html",
            StatusCode::OK,
            lang,
            Some(&user),
            context! {
                page => "ratings",
                mode => "period",
                periods => ser(&periods),
                view => ser(&view),
                method => ser(method_view()),
            },
        ),
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

async fn compare_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    if !allows(user.account.role, Action::ReadRatings) {
        return forbidden_page(lang, &user);
    }
    match state.store(|s, _| comparison(s)).await {
        Ok(cmp) => render(
            "ratings.html",
            StatusCode::OK,
            lang,
            Some(&user),
            context! {
                page => "ratings",
                mode => "compare",
                periods => ser(&cmp.periods),
                compare => ser(&cmp),
                method => ser(method_view()),
            },
        ),
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// The method's criteria for the page's legend.
fn method_view() -> serde_json::Value {
    let m = outbound_rules::rating::method();
    serde_json::json!({
        "version": m.version,
        "criteria": m.criterion.iter().map(|c| serde_json::json!({
            "id": c.id, "name_en": c.name_en, "name_zh": c.name_zh, "weight": c.weight,
            "evidence": c.evidence, "basis": c.basis,
        })).collect::<Vec<_>>(),
    })
}
