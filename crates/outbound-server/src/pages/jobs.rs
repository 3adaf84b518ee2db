//! The audit log's long work and downloads: "verify now" as a background job,
//! the job's page (progress, then the result), inclusion proofs and the
//! newest signed head as files.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::{
    CsrfForm, LangQuery, csrf_refused, forbidden_page, language, not_found_page, render, ser,
    strings,
};
use crate::access::{Action, allows};
use crate::auth::{PageUser, same_secret};
use crate::jobs::JobState;
use crate::state::AppState;

/// A page with one translated message and a status.
pub(super) fn message_page(
    lang: (&'static str, Option<String>),
    user: &PageUser,
    status: StatusCode,
    key: &str,
) -> Response {
    let msg = strings()
        .get(lang.0)
        .and_then(|s| s.get(key))
        .cloned()
        .unwrap_or_default();
    render(
        "message.html",
        status,
        lang,
        Some(user),
        context! { page => "", message => msg },
    )
}

/// The answer to a form that started a job: a redirect to its page, or 429
/// when the account already runs as many as it may.
pub(super) fn job_started(
    lang: (&'static str, Option<String>),
    user: &PageUser,
    started: Result<std::sync::Arc<crate::jobs::Job>, crate::jobs::Busy>,
) -> Response {
    match started {
        Ok(job) => Redirect::to(&format!("/jobs/{}", job.id)).into_response(),
        Err(_) => message_page(lang, user, StatusCode::TOO_MANY_REQUESTS, "too_many_jobs"),
    }
}

/// POST `/audit/verify`: starts the full verification of the audit log.
pub(super) async fn verify_now(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    let lang = language(&LangQuery::default(), &headers);
    if !allows(user.account.role, Action::ReadAudit) {
        return forbidden_page(lang, &user);
    }
    let st = state.clone();
    let started = state
        .jobs()
        .start(&user.account.name, "audit_verify", move |job| async move {
            let r = st
                .store(move |s, k| s.audit_verify_progress(k, &|d, t| job.progress(d, t)))
                .await;
            match r {
                Ok(r) => Ok(serde_json::json!({
                    "entries": r.entries,
                    "heads": r.heads,
                    "problems": r.problems,
                })),
                Err(e) => {
                    eprintln!("outbound serve: audit verification: {}", e.message);
                    Err("the verification could not run; see the server's log".to_string())
                }
            }
        });
    job_started(lang, &user, started)
}

/// GET `/jobs/{id}`: progress while running (the page reloads itself each
/// second), then the result. Another account's job is 404.
pub(super) async fn job_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    let Some(job) = state.jobs().get(&id, &user.account.name) else {
        return not_found_page(lang, &user);
    };
    let (st, result, error) = job.settled();
    let (done, total) = job.counts();
    let percent = match (done.min(total) * 100).checked_div(total) {
        Some(p) => p,
        // Nothing to count (an empty log): all or nothing.
        None if st == JobState::Running => 0,
        None => 100,
    };
    let mut resp = render(
        "job.html",
        StatusCode::OK,
        lang,
        Some(&user),
        context! {
            page => if job.kind.starts_with("scan") { "scans" } else { "audit" },
            job => context! {
                id => job.id.clone(),
                kind => job.kind,
                state => ser(st),
                done => done,
                total => total,
                percent => percent,
                cancellable => job.stoppable(),
                cancelling => st == JobState::Running && job.cancel_requested(),
            },
            result => ser(&result),
            error => error,
        },
    );
    let h = resp.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if st == JobState::Running {
        // A plain reload each second; no script needed.
        h.insert("refresh", HeaderValue::from_static("1"));
    }
    resp
}

/// POST `/jobs/{id}/cancel`: asks one of the account's database scans to
/// stop, then back to its page (which says it is stopping, then that it
/// stopped). Another account's job is 404; a job that finished or does not
/// stop is 409 with a message.
pub(super) async fn cancel_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    user: PageUser,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    let lang = language(&LangQuery::default(), &headers);
    let Some(job) = state.jobs().get(&id, &user.account.name) else {
        return not_found_page(lang, &user);
    };
    // Asked twice (a second click while it stops): the same page.
    if job.cancel() {
        return Redirect::to(&format!("/jobs/{}", job.id)).into_response();
    }
    message_page(lang, &user, StatusCode::CONFLICT, "job_not_cancellable")
}

/// `?entry=N`.
#[derive(serde::Deserialize, Default)]
pub(super) struct ProofQuery {
    entry: Option<String>,
}

fn download(name: &str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut resp = (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    resp
}

/// GET `/audit/proof?entry=N`: the inclusion proof of entry N against the
/// newest signed head, with the entry, as a JSON file to check offline.
pub(super) async fn proof(
    State(state): State<AppState>,
    Query(q): Query<ProofQuery>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    if !allows(user.account.role, Action::ReadAudit) {
        return forbidden_page(lang, &user);
    }
    let Some(n) = q
        .entry
        .as_deref()
        .and_then(|s| s.trim().parse::<u64>().ok())
    else {
        return message_page(lang, &user, StatusCode::BAD_REQUEST, "bad_entry");
    };
    let bundle = state
        .store(move |s, _| {
            // An entry past the end is a plain 404, not a store error.
            if n >= s.audit_size()? {
                return Ok(None);
            }
            s.audit_prove(n).map(Some)
        })
        .await;
    match bundle {
        Ok(Some(bundle)) => match serde_json::to_vec_pretty(&bundle) {
            Ok(body) => download(&format!("audit-proof-{n}.json"), body),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Ok(None) => not_found_page(lang, &user),
        Err(e) => e.into_response(),
    }
}

/// GET `/audit/checkpoint.json`: the newest signed head as a file.
pub(super) async fn checkpoint(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    if !allows(user.account.role, Action::ReadAudit) {
        return forbidden_page(lang, &user);
    }
    match state.store(|s, _| s.audit_latest_head()).await {
        Ok(Some(head)) => match serde_json::to_vec_pretty(&head) {
            Ok(body) => download(&format!("audit-head-{}.json", head.size), body),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Ok(None) => not_found_page(lang, &user),
        Err(e) => e.into_response(),
    }
}
