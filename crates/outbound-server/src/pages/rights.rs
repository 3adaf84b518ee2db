//! Pages: Rights requests: intake, forwarding to the recipients that received the person, answers (issue 14).
//!
//! - `/requests` (roles that read requests): each request's id, kinds,
//!   receipt, earliest due date with its article, state (overdue
//!   highlighted) and parts answered; admin and compliance also get an
//!   intake form (the subject key is hashed at once, never shown again).
//! - `/requests/{id}`: the request, its due dates per regime with their
//!   articles, pauses, extension and parts, with the forms of its workflow
//!   for admin and compliance (identity check, forward, pause/resume,
//!   extend, close, refuse; the session's CSRF token).
//! - A recipient sees the same pages scoped to the requests forwarded to it
//!   and only its own part, with a form to answer it (done or refused with a
//!   reason; the evidence file is hashed as it streams in and discarded, or
//!   its SHA-256 typed in).
//! - `/request` (no account): the public form; channel `public_form`,
//!   identity `none_yet`; CSRF double submit and the public complaint
//!   channel's rate limit; answers a tracking id that cannot be guessed from
//!   the sequential request ids (see `api_rights`). `/request/status` shows
//!   the state and due dates for a tracking id.
//!
//! Access and every check are the API's (`api_rights`): these pages only
//! read forms and draw answers.

use axum::Form;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use outbound_store::rights::{Channel, IdentityMethod, RefusalReason, RequestKind};

use super::{
    LangQuery, csrf_refused, forbidden_page, form_time, language, not_found_page, render, ser,
    urlencode, with_login_csrf,
};
use crate::access::{Action, allows};
use crate::api_rights::{
    self as api, AnswerPartRequest, IdentityRequest, OpenRequest, RefuseRequest,
};
use crate::auth::{LOGIN_CSRF_COOKIE, PageUser, client, cookie, same_secret};
use crate::error::ApiError;
use crate::state::AppState;

/// The largest evidence upload with the answer form's other fields.
const MAX_ANSWER: usize = super::scans::MAX_UPLOAD + 64 * 1024;

/// This workflow's pages.
pub(super) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/requests", get(list_page).post(intake))
        .route("/requests/{id}", get(detail_page))
        .route("/requests/{id}/{action}", post(act))
        .route(
            "/requests/{id}/parts/{recipient}/answer",
            post(answer_form).layer(DefaultBodyLimit::max(MAX_ANSWER)),
        )
        .route("/request", get(public_page).post(public_submit))
        .route("/request/status", get(status_page))
}

type Lang = (&'static str, Option<String>);

fn refused(lang: Lang, user: &PageUser, e: ApiError) -> Response {
    match e.status {
        StatusCode::NOT_FOUND => not_found_page(lang, user),
        StatusCode::FORBIDDEN => forbidden_page(lang, user),
        StatusCode::INTERNAL_SERVER_ERROR | StatusCode::SERVICE_UNAVAILABLE => e.into_response(),
        status => {
            let t = super::strings().get(lang.0).cloned().unwrap_or_default();
            let why = t.get("rq_refused").cloned().unwrap_or_default();
            render(
                "message.html",
                status,
                lang,
                Some(user),
                context! { page => "requests", message => format!("{why} {}", e.message) },
            )
        }
    }
}

/// What the forms offer.
fn choices() -> minijinja::Value {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    ser(serde_json::json!({
        "kinds": s(&RequestKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
        "methods": s(&IdentityMethod::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
        "reasons": s(&RefusalReason::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
        "regimes": api::all_regimes(),
    }))
}

/// Finished requests (closed or refused) a page shows at a time.
const FINISHED_PAGE: u64 = 50;

/// Where the list's finished requests start: the newest, or those older
/// than `before` (a request id, from its link).
#[derive(serde::Deserialize, Default)]
struct FinishedAt {
    before: Option<String>,
}

async fn list_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    at: Result<Query<FinishedAt>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    // A link's position that does not parse, or is no id, shows the newest.
    let before = at
        .map(|Query(at)| at.before)
        .unwrap_or_default()
        .filter(|b| crate::api::is_plain_id(b));
    let a = &user.account;
    // Every open request (what needs doing), then the finished ones a
    // page at a time: the list no longer grows with the years.
    let read = async {
        let open = api::list(&state, a, Some(true), None, outbound_store::PAGE_MAX).await?;
        let newest = before.is_none();
        let finished = api::list(&state, a, Some(false), before, FINISHED_PAGE + 1).await?;
        let counts = api::counts(&state, a).await?;
        Ok::<_, crate::error::ApiError>((open, finished, counts, newest))
    };
    match read.await {
        Ok((open, mut finished, (open_count, finished_count), newest)) => {
            let older = super::cut_page(&mut finished, FINISHED_PAGE, |r| r.id.clone());
            let shown = finished.len();
            let mut rows = open;
            rows.extend(finished);
            render(
                "requests.html",
                StatusCode::OK,
                lang,
                Some(&user),
                context! {
                    page => "requests",
                    rows => ser(&rows),
                    finished => ser(serde_json::json!({
                        "shown": shown, "total": finished_count, "open": open_count,
                        "older": older, "newest": newest,
                    })),
                    choices => choices(),
                    handles => allows(user.account.role, Action::HandleRequests),
                },
            )
        }
        Err(e) => refused(lang, &user, e),
    }
}

async fn detail_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Path(id): Path<String>,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    match api::one(&state, &user.account, &id).await {
        Ok(r) => render(
            "requests.html",
            StatusCode::OK,
            lang,
            Some(&user),
            context! {
                page => "requests",
                r => ser(&r),
                choices => choices(),
                handles => allows(user.account.role, Action::HandleRequests),
                answers => allows(user.account.role, Action::AnswerRequest),
            },
        ),
        Err(e) => refused(lang, &user, e),
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn fields(form: &[(String, String)], name: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn back(id: &str) -> Response {
    Redirect::to(&format!("/requests/{}", urlencode(id))).into_response()
}

/// `POST /requests`: staff intake (channel `staff`).
async fn intake(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    if !same_secret(field(&form, "csrf"), &user.csrf) {
        return csrf_refused();
    }
    let regimes = fields(&form, "regimes");
    let body = OpenRequest {
        kinds: fields(&form, "kinds"),
        subject_key: field(&form, "subject_key").to_string(),
        identity: field(&form, "identity").to_string(),
        regimes: (!regimes.is_empty()).then_some(regimes),
        received_at: form_time(field(&form, "received_at")),
        channel: None,
    };
    drop(form);
    match api::open(&state, &user.account, body, Channel::Staff).await {
        Ok(r) => back(&r.id),
        Err(e) => refused(lang, &user, e),
    }
}

/// `POST /requests/{id}/{action}`: identity, forward, pause, resume, extend,
/// close, refuse.
async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    user: PageUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    if !same_secret(field(&form, "csrf"), &user.csrf) {
        return csrf_refused();
    }
    let at = form_time(field(&form, "at"));
    let reason = field(&form, "reason").to_string();
    let a = &user.account;
    let done = match action.as_str() {
        "identity" => {
            let method = field(&form, "method").to_string();
            api::identity(&state, a, &id, IdentityRequest { method, at }).await
        }
        "forward" => api::handle(&state, a, &id, |s, k, by, id| s.forward_request(k, by, id)).await,
        "pause" => {
            api::handle(&state, a, &id, move |s, k, by, id| {
                s.pause_request(k, by, id, &reason, at.as_deref())
            })
            .await
        }
        "resume" => {
            api::handle(&state, a, &id, move |s, k, by, id| {
                s.resume_request(k, by, id, at.as_deref())
            })
            .await
        }
        "extend" => {
            api::handle(&state, a, &id, move |s, k, by, id| {
                s.extend_request(k, by, id, &reason, at.as_deref())
            })
            .await
        }
        "close" => api::handle(&state, a, &id, |s, k, by, id| s.close_request(k, by, id)).await,
        "refuse" => api::refuse(&state, a, &id, RefuseRequest { reason }).await,
        _ => return not_found_page(lang, &user),
    };
    match done {
        Ok(_) => back(&id),
        Err(e) => refused(lang, &user, e),
    }
}

/// `POST /requests/{id}/parts/{recipient}/answer` (multipart: `csrf`,
/// `outcome`, `reason`, `at`, `evidence` file or `evidence_sha256`): the
/// file is hashed as it streams in; only its SHA-256 is kept.
async fn answer_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, recipient)): Path<(String, String)>,
    user: PageUser,
    mut form: Multipart,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    // Refused before a byte of the upload is read.
    if !allows(user.account.role, Action::AnswerRequest) {
        return forbidden_page(lang, &user);
    }
    let (mut csrf, mut outcome, mut reason, mut at, mut typed) = Default::default();
    let mut uploaded: Option<String> = None;
    loop {
        let mut f = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return (e.status(), "the upload could not be read").into_response(),
        };
        let name = f.name().unwrap_or_default().to_string();
        let slot: &mut String = match name.as_str() {
            "csrf" => &mut csrf,
            "outcome" => &mut outcome,
            "reason" => &mut reason,
            "at" => &mut at,
            "evidence_sha256" => &mut typed,
            "evidence" => {
                use sha2::Digest;
                let mut h = sha2::Sha256::new();
                let mut bytes = 0usize;
                loop {
                    match f.chunk().await {
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
                    uploaded = Some(hex::encode(h.finalize()));
                }
                continue;
            }
            _ => continue,
        };
        *slot = f.text().await.unwrap_or_default();
    }
    if !same_secret(&csrf, &user.csrf) {
        return csrf_refused();
    }
    let typed: String = typed.trim().to_string();
    let evidence: Vec<String> = uploaded
        .into_iter()
        .chain((!typed.is_empty()).then_some(typed))
        .collect();
    let body = AnswerPartRequest {
        outcome,
        reason: Some(reason).filter(|r: &String| !r.is_empty()),
        answered_at: form_time(&at),
        evidence_sha256: evidence,
    };
    match api::answer(&state, &user.account, &id, &recipient, body).await {
        Ok(_) => back(&id),
        Err(e) => refused(lang, &user, e),
    }
}

async fn public_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = language(&q, &headers);
    with_login_csrf(
        "request_public.html",
        StatusCode::OK,
        lang,
        state.secure_cookies(),
        context! { form => true, choices => choices() },
    )
}

/// `POST /request`: the public form. The key is never put back in the page,
/// not even when the form is refused.
async fn public_submit(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let lang = language(&LangQuery::default(), &parts.headers);
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(field(&form, "csrf"), &expected) {
        return csrf_refused();
    }
    let kinds = fields(&form, "kinds");
    let key = field(&form, "subject_key").to_string();
    drop(form);
    match api::public_open(&state, &client(&parts), &kinds, key).await {
        Ok(tracking) => render(
            "request_public.html",
            StatusCode::CREATED,
            lang,
            None,
            context! { tracking },
        ),
        Err(e) => with_login_csrf(
            "request_public.html",
            e.status,
            lang,
            state.secure_cookies(),
            context! { form => true, choices => choices(), error => e.message },
        ),
    }
}

/// `?tracking=…&lang=…`.
#[derive(serde::Deserialize, Default)]
struct StatusQuery {
    tracking: Option<String>,
    lang: Option<String>,
}

async fn status_page(
    State(state): State<AppState>,
    Query(q): Query<StatusQuery>,
    parts: Parts,
) -> Response {
    let lang = language(
        &LangQuery {
            lang: q.lang.clone(),
        },
        &parts.headers,
    );
    let Some(tracking) = q.tracking.filter(|t| !t.trim().is_empty()) else {
        return public_form_status(lang, StatusCode::OK, context! { lookup => true });
    };
    match api::public_status(&state, &client(&parts), tracking.trim()).await {
        Ok(s) => public_form_status(lang, StatusCode::OK, context! { status => ser(&s) }),
        Err(e) => {
            let code = e.status;
            public_form_status(
                lang,
                code,
                context! {
                    lookup => true,
                    missing => code == StatusCode::NOT_FOUND,
                    limited => code == StatusCode::TOO_MANY_REQUESTS,
                },
            )
        }
    }
}

fn public_form_status(lang: Lang, status: StatusCode, extra: minijinja::Value) -> Response {
    render("request_public.html", status, lang, None, extra)
}

/// The overview's block: open requests (not closed or refused), the earliest
/// due date of each with its article, and how many parts are answered; for
/// roles that read requests (a recipient: those forwarded to it).
pub(super) async fn overview(state: &AppState, a: &outbound_store::Account) -> minijinja::Value {
    if !allows(a.role, Action::ReadRequests) {
        return super::ser(serde_json::json!({"reads": false}));
    }
    let (Ok(open_rows), Ok((open_count, finished_count))) = (
        api::list(state, a, Some(true), None, outbound_store::PAGE_MAX).await,
        api::counts(state, a).await,
    ) else {
        return super::ser(serde_json::json!({"reads": false}));
    };
    let open: Vec<serde_json::Value> = open_rows
        .iter()
        .map(|r| {
            let due = r.due.iter().filter(|d| d.due.is_some()).min_by(|x, y| x.due.cmp(&y.due));
            serde_json::json!({
                "id": r.id, "kinds": r.kinds, "state": r.state, "paused": r.paused,
                "overdue": r.overdue, "due": due.and_then(|d| d.due.clone()),
                "citation": due.map(|d| d.citation.clone()), "citation_zh": due.map(|d| d.citation_zh.clone()),
                "answered": r.parts_answered, "parts": r.parts_total,
            })
        })
        .collect();
    let total = open_count + finished_count;
    super::ser(serde_json::json!({"reads": true, "total": total, "open": open}))
}
