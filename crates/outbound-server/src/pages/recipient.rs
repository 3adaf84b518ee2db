//! An overseas recipient's page, `/recipients/{id}`: the obligations of its
//! contracts with where each stands, in English or Chinese; the recipient
//! (or an administrator) attests there, uploading evidence files that are
//! hashed and discarded (only their SHA-256 is kept and logged).
//!
//! Access is the API's (`api_recipients`): a recipient sees its own page
//! only (another's is "not found"), staff and the regulator read statuses.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use outbound_store::recipients::Statement;

use super::jobs::message_page;
use super::{
    LangQuery, csrf_refused, forbidden_page, language, not_found_page, render, ser, urlencode,
};
use crate::access::{Action, allows};
use crate::api_recipients::{AttestationRequest, attest, obligations};
use crate::auth::{PageUser, same_secret};
use crate::error::ApiError;
use crate::state::AppState;

fn refused(lang: (&'static str, Option<String>), user: &PageUser, e: ApiError) -> Response {
    match e.status {
        StatusCode::NOT_FOUND => not_found_page(lang, user),
        StatusCode::FORBIDDEN => forbidden_page(lang, user),
        _ => e.into_response(),
    }
}

/// `GET /recipients/{id}`.
pub(super) async fn recipient_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Path(id): Path<String>,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    let list = match obligations(&state, &user.account, &id).await {
        Ok(l) => l,
        Err(e) => return refused(lang, &user, e),
    };
    let name = state
        .map()
        .recipients
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.name.clone())
        .unwrap_or_default();
    render(
        "recipient.html",
        StatusCode::OK,
        lang,
        Some(&user),
        context! {
            page => "recipient",
            reviews => super::reviews::section(&state, &user, &id).await,
            rid => id,
            rname => name,
            list => ser(&list),
            can_attest => allows(user.account.role, Action::Attest),
        },
    )
}

/// `POST /recipients/{id}/attest` (multipart: `csrf`, `obligation`,
/// `statement`, `note`, `evidence` files): hashes each file as it streams in,
/// keeps nothing of it but the hash, and records the attestation.
pub(super) async fn attest_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    user: PageUser,
    mut form: Multipart,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    // Refused before a byte of the upload is read.
    if !allows(user.account.role, Action::Attest) {
        return forbidden_page(lang, &user);
    }
    let (mut csrf, mut obligation, mut statement, mut note) =
        (String::new(), String::new(), String::new(), String::new());
    let mut evidence = Vec::new();
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return (e.status(), "the upload could not be read").into_response(),
        };
        let field_name = field.name().unwrap_or_default().to_string();
        match field_name.as_str() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "obligation" => obligation = field.text().await.unwrap_or_default(),
            "statement" => statement = field.text().await.unwrap_or_default(),
            "note" => note = field.text().await.unwrap_or_default(),
            "evidence" => {
                use sha2::Digest;
                let mut h = sha2::Sha256::new();
                let mut bytes = 0usize;
                loop {
                    match field.chunk().await {
                        Ok(Some(c)) => {
                            bytes += c.len();
                            h.update(&c);
                        }
                        Ok(None) => break,
                        Err(e) => {
                            return (e.status(), "the upload could not be read").into_response();
                        }
                    }
                }
                // A file input left empty still sends an empty part.
                if bytes > 0 {
                    evidence.push(hex::encode(h.finalize()));
                }
            }
            _ => {}
        }
    }
    if !same_secret(&csrf, &user.csrf) {
        return csrf_refused();
    }
    let Ok(statement) = statement.parse::<Statement>() else {
        return message_page(lang, &user, StatusCode::BAD_REQUEST, "rcp_bad_statement");
    };
    let req = AttestationRequest {
        obligation,
        statement,
        evidence_sha256: evidence,
        note: Some(note),
    };
    match attest(&state, &user.account, &id, req).await {
        Ok(_) => Redirect::to(&format!("/recipients/{}", urlencode(&id))).into_response(),
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            let t = super::strings().get(lang.0).cloned().unwrap_or_default();
            let why = t.get("rcp_refused").cloned().unwrap_or_default();
            render(
                "message.html",
                StatusCode::BAD_REQUEST,
                lang,
                Some(&user),
                context! { page => "", message => format!("{why} {}", e.message) },
            )
        }
        Err(e) => refused(lang, &user, e),
    }
}
