//! The dashboard: server-rendered pages (minijinja templates under
//! `templates/`, auto-escaped as HTML), in English and Chinese, over the same
//! snapshot and access table as the API. Every form carries a CSRF token:
//! the session's once signed in, a double-submit cookie's before.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value, context};
use outbound_store::Account;

use crate::access::{Action, allows};
use crate::api::{self, NewComplaint};
use crate::auth::{
    LOGIN_CSRF_COOKIE, PageUser, SESSION_COOKIE, SESSION_HOURS, client, cookie, hash_password,
    random_hex, same_secret, set_cookie, sha256_hex, verify_password,
};
use crate::state::AppState;

mod association;
mod chart;
mod complaints;
mod incidents;
mod jobs;
mod map;
mod overview;
mod recipient;
mod reviews;
mod rights;
mod scans;
mod svg;
mod transfer;

const LANG_COOKIE: &str = "outbound_lang";

/// The dashboard's routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(overview::overview))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/transfers/{id}", get(transfer::transfer_page))
        .route("/transfers/{id}/suspend", post(transfer::suspend))
        .route("/transfers/{id}/resume", post(transfer::resume))
        .route("/transfers/{id}/documents/{file}", get(transfer::document))
        .route("/map", get(map::map_page))
        .route("/incidents", get(incidents::incidents_page))
        .route("/recipients/{id}", get(recipient::recipient_page))
        .route("/recipients/{id}/attest", post(recipient::attest_form))
        .route("/audit", get(audit_page))
        .route("/audit/verify", post(jobs::verify_now))
        .route("/audit/proof", get(jobs::proof))
        .route("/audit/checkpoint.json", get(jobs::checkpoint))
        .route("/jobs/{id}", get(jobs::job_page))
        .route("/jobs/{id}/cancel", post(jobs::cancel_job))
        .route(
            "/scans",
            get(scans::scans_page)
                .post(scans::start_scan)
                // The upload plus the form's other fields and boundaries.
                .layer(axum::extract::DefaultBodyLimit::max(
                    scans::MAX_UPLOAD + 64 * 1024,
                )),
        )
        .route("/scans/database", post(scans::start_db_scan))
        .route("/scans/map", post(scans::start_map_scan))
        .route("/complaints", get(complaints_page))
        .route("/complain", get(complain_page).post(complain))
        .route("/static/app.css", get(stylesheet))
        .merge(incidents::router())
        .merge(rights::router())
        .merge(reviews::router())
        .merge(complaints::router())
        .merge(association::router())
}

/// The stylesheet, compiled in: a plain static answer (the load test's baseline).
async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/app.css"),
    )
}

/// A regime's route by its name in the page's language, from the rules crate
/// (the one home of route names); the id itself when unnamed.
pub(super) fn route_label(lang: &str, regime: &str, route: &str) -> String {
    match outbound_rules::text::route_name(regime, route) {
        Some(n) if lang == "zh" => n.zh.clone(),
        Some(n) => n.en.clone(),
        None => route.replace('_', " "),
    }
}

/// A category of the built-in taxonomy by its name in the page's language
/// (the model's data, with the standard each name comes from); the id itself
/// when the taxonomy does not know it.
pub(super) fn category_label(lang: &str, id: &str) -> String {
    match outbound_model::taxonomy::Taxonomy::builtin().get(id) {
        Some(c) if lang == "zh" => c.zh.clone(),
        Some(c) => c.en.clone(),
        None => id.to_string(),
    }
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // minijinja's own `urlencode` needs a feature this crate does not build.
        env.add_filter("urlencode", |s: String| urlencode(&s));
        env.add_filter("thousands", outbound_rules::format::thousands);
        env.add_function("route", |regime: String, route: String, lang: String| {
            route_label(&lang, &regime, &route)
        });
        env.add_function("category", |id: String, lang: String| {
            category_label(&lang, &id)
        });
        env.add_function("instrument", |name: String, lang: String| {
            if lang == "zh" {
                outbound_rules::text::instrument_zh(&name)
            } else {
                name
            }
        });
        for (name, src) in [
            ("base.html", include_str!("../../templates/base.html")),
            ("login.html", include_str!("../../templates/login.html")),
            (
                "overview.html",
                include_str!("../../templates/overview.html"),
            ),
            (
                "transfer.html",
                include_str!("../../templates/transfer.html"),
            ),
            ("audit.html", include_str!("../../templates/audit.html")),
            ("job.html", include_str!("../../templates/job.html")),
            ("scans.html", include_str!("../../templates/scans.html")),
            ("map.html", include_str!("../../templates/map.html")),
            (
                "incidents.html",
                include_str!("../../templates/incidents.html"),
            ),
            (
                "recipient.html",
                include_str!("../../templates/recipient.html"),
            ),
            ("message.html", include_str!("../../templates/message.html")),
            ("ratings.html", include_str!("../../templates/ratings.html")),
            (
                "overdue_reviews.html",
                include_str!("../../templates/overdue_reviews.html"),
            ),
            (
                "complaint_status.html",
                include_str!("../../templates/complaint_status.html"),
            ),
            (
                "overview_complaints.html",
                include_str!("../../templates/overview_complaints.html"),
            ),
            (
                "overview_requests.html",
                include_str!("../../templates/overview_requests.html"),
            ),
            (
                "complaints.html",
                include_str!("../../templates/complaints.html"),
            ),
            (
                "complain.html",
                include_str!("../../templates/complain.html"),
            ),
            (
                "requests.html",
                include_str!("../../templates/requests.html"),
            ),
            (
                "request_public.html",
                include_str!("../../templates/request_public.html"),
            ),
        ] {
            env.add_template(name, src)
                .expect("the bundled templates parse (pages::tests)");
        }
        env
    })
}

/// Cuts `rows`, read one past a page of `page` rows, to the page, and gives
/// its last row's position when there were more: where the link to the
/// older ones starts.
fn cut_page<T, K>(rows: &mut Vec<T>, page: u64, position: impl Fn(&T) -> K) -> Option<K> {
    if rows.len() as u64 > page {
        rows.truncate(page as usize);
        rows.last().map(position)
    } else {
        None
    }
}

/// Any serialisable value for a template.
fn ser<T: serde::Serialize>(v: T) -> Value {
    Value::from(minijinja::value::Serde(v))
}

/// One language's strings.
type Texts = BTreeMap<String, String>;
type Strings = BTreeMap<String, Texts>;

/// The dashboard's strings per language (`templates/i18n.toml`).
fn strings() -> &'static Strings {
    static S: OnceLock<Strings> = OnceLock::new();
    S.get_or_init(|| {
        toml::from_str(include_str!("../../templates/i18n.toml"))
            .expect("the bundled strings parse (pages::tests)")
    })
}

/// A page's language: `?lang=` (remembered in a cookie), else the cookie,
/// else the browser's first choice when it is Chinese, else English.
fn language(q: &LangQuery, headers: &HeaderMap) -> (&'static str, Option<String>) {
    let pick = |s: &str| if s.starts_with("zh") { "zh" } else { "en" };
    if let Some(l) = &q.lang {
        let l = pick(l);
        return (
            l,
            Some(format!(
                "{LANG_COOKIE}={l}; Path=/; SameSite=Strict; Max-Age=31536000"
            )),
        );
    }
    let from_cookie = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .map(|(_, v)| pick(v));
    let l = from_cookie.unwrap_or_else(|| {
        headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or("en", pick)
    });
    (l, None)
}

/// `?lang=zh|en`.
#[derive(serde::Deserialize, Default)]
pub struct LangQuery {
    lang: Option<String>,
}

/// Renders a template with the page's frame: strings, language, account, CSRF token.
fn render(
    name: &str,
    status: StatusCode,
    lang: (&'static str, Option<String>),
    user: Option<&PageUser>,
    extra: Value,
) -> Response {
    let t = strings().get(lang.0).cloned().unwrap_or_default();
    let ctx = context! {
        t => t,
        lang => lang.0,
        user => ser(user.map(|u| &u.account)),
        // A signed-in page's forms carry the session's token; a page
        // without a session (sign-in, complaint) passes its own in `extra`.
        csrf => user.map_or_else(|| extra.get_attr("csrf").unwrap_or_default(), |u| Value::from(u.csrf.as_str())),
        can_complaints => user.is_some_and(|u| allows(u.account.role, Action::ReadComplaints)),
        can_incidents => user.is_some_and(|u| allows(u.account.role, Action::ReadIncidents)),
        can_scan => user.is_some_and(|u| allows(u.account.role, Action::Scan)),
        can_requests => user.is_some_and(|u| allows(u.account.role, Action::ReadRequests)),
        ..extra
    };
    let body = templates()
        .get_template(name)
        .and_then(|tpl| tpl.render(ctx));
    let mut resp = match body {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            eprintln!("outbound serve: template {name}: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be drawn",
            )
                .into_response()
        }
    };
    if let Some(c) = lang.1 {
        add_cookie(&mut resp, &c);
    }
    resp
}

/// When incident clocks are read: the real time, even when the server judges
/// transfers as of another date (`--as-of`), because a clock runs in real
/// time; the pages say so next to the clocks.
fn clocks_at() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Minute)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

/// Adds a `Set-Cookie` header (the values are ours: names, hex and dates).
fn add_cookie(resp: &mut Response, cookie: &str) {
    if let Ok(v) = cookie.parse() {
        resp.headers_mut().append(SET_COOKIE, v);
    }
}

fn not_found_page(lang: (&'static str, Option<String>), user: &PageUser) -> Response {
    let msg = strings()
        .get(lang.0)
        .and_then(|s| s.get("not_found"))
        .cloned()
        .unwrap_or_default();
    render(
        "message.html",
        StatusCode::NOT_FOUND,
        lang,
        Some(user),
        context! { page => "", message => msg },
    )
}

/// A signed-in page the account's role may not see: 403, in the frame.
fn forbidden_page(lang: (&'static str, Option<String>), user: &PageUser) -> Response {
    let msg = strings()
        .get(lang.0)
        .and_then(|s| s.get("no_access"))
        .cloned()
        .unwrap_or_default();
    render(
        "message.html",
        StatusCode::FORBIDDEN,
        lang,
        Some(user),
        context! { page => "", message => msg },
    )
}

fn csrf_refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        "the form's CSRF token is missing or wrong; reload the page and try again",
    )
        .into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn audit_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    let head = match state.store(|s, _| s.audit_latest_head()).await {
        Ok(h) => h,
        Err(e) => return e.into_response(),
    };
    // The newest entries' numbers, for their proofs (numbers only: no content here).
    let recent: Vec<u64> = head
        .as_ref()
        .map(|h| (h.size.saturating_sub(10)..h.size).rev().collect())
        .unwrap_or_default();
    let head = head.map(|h| {
        let signed_at = h.time().map(|t| t.to_string()).unwrap_or_default();
        serde_json::json!({"size": h.size, "root": hex::encode(h.root), "signed_at": signed_at})
    });
    render(
        "audit.html",
        StatusCode::OK,
        lang,
        Some(&user),
        context! { page => "audit", head => ser(&head), recent },
    )
}

async fn complaints_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    at: Result<Query<complaints::AnsweredAt>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    if !allows(user.account.role, Action::ReadComplaints) {
        return forbidden_page(lang, &user);
    }
    // A link's position that does not parse shows the newest.
    let at = at.map(|Query(at)| at).unwrap_or_default();
    match complaints::page(&state, &user, at).await {
        Ok(ctx) => render("complaints.html", StatusCode::OK, lang, Some(&user), ctx),
        Err(r) => r,
    }
}

/// A page without a session whose form needs a CSRF token: a fresh random
/// one, set as a cookie and put in the form (double submit).
fn with_login_csrf(
    name: &str,
    status: StatusCode,
    lang: (&'static str, Option<String>),
    secure: bool,
    extra: Value,
) -> Response {
    let csrf = random_hex();
    let mut resp = render(
        name,
        status,
        lang,
        None,
        context! { csrf => csrf.clone(), ..extra },
    );
    add_cookie(
        &mut resp,
        &set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, secure),
    );
    resp
}

/// A public page with a form (sign-in, complaint): fresh double-submit token.
fn public_form(state: &AppState, q: &LangQuery, headers: &HeaderMap, page: &str) -> Response {
    with_login_csrf(
        page,
        StatusCode::OK,
        language(q, headers),
        state.secure_cookies(),
        context! {},
    )
}

async fn login_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    public_form(&state, &q, &headers, "login.html")
}

/// The sign-in form.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    name: String,
    password: String,
}

/// A hash to check against when the account does not exist, so that the
/// answer takes as long and says the same as for a wrong password.
fn decoy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password("decoy").unwrap_or_default())
}

async fn login(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = language(&LangQuery::default(), &parts.headers);
    let secure = state.secure_cookies();
    let t = |k: &str| {
        strings()
            .get(lang.0)
            .and_then(|s| s.get(k))
            .cloned()
            .unwrap_or_default()
    };
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&form.csrf, &expected) {
        return csrf_refused();
    }
    // Per client address, and per account so that guesses spread over many
    // addresses still slow down on the one account they aim at.
    let per_client = state.login_limiter().allow(&client(&parts));
    let per_account = state
        .login_limiter()
        .allow(&format!("account:{}", form.name.trim()));
    if !(per_client && per_account) {
        return with_login_csrf(
            "login.html",
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            secure,
            context! { error => t("too_many") },
        );
    }
    let name = form.name.trim().to_string();
    let n = name.clone();
    let account: Option<Account> = state.store(move |s, _| s.account(&n)).await.unwrap_or(None);
    let hash = account
        .as_ref()
        .and_then(|a| a.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_string());
    let password = form.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(account) = account.filter(|a| ok && a.password_hash.is_some()) else {
        return with_login_csrf(
            "login.html",
            StatusCode::UNAUTHORIZED,
            lang,
            secure,
            context! { error => t("bad_login") },
        );
    };
    let id = random_hex();
    let (hash, csrf) = (sha256_hex(&id), random_hex());
    let expires =
        (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(SESSION_HOURS)).to_string();
    let who = account.name.clone();
    if let Err(e) = state
        .store(move |s, _| s.add_session(&hash, &who, &csrf, &expires))
        .await
    {
        return e.into_response();
    }
    let mut resp = Redirect::to("/").into_response();
    add_cookie(
        &mut resp,
        &set_cookie(SESSION_COOKIE, &id, SESSION_HOURS * 3600, secure),
    );
    add_cookie(&mut resp, &set_cookie(LOGIN_CSRF_COOKIE, "", 0, secure));
    resp
}

/// A form that carries only its CSRF token.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    let now = jiff::Timestamp::now().to_string();
    let hash = user.session.clone();
    if let Err(e) = state.store(move |s, _| s.end_session(&hash, &now)).await {
        return e.into_response();
    }
    let mut resp = Redirect::to("/login").into_response();
    add_cookie(
        &mut resp,
        &set_cookie(SESSION_COOKIE, "", 0, state.secure_cookies()),
    );
    resp
}

async fn complain_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    public_form(&state, &q, &headers, "complain.html")
}

/// The public complaint form.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ComplainForm {
    csrf: String,
    text: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    transfer: String,
}

async fn complain(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<ComplainForm>,
) -> Response {
    let lang = language(&LangQuery::default(), &parts.headers);
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&form.csrf, &expected) {
        return csrf_refused();
    }
    let c = NewComplaint {
        text: form.text,
        contact: Some(form.contact),
        transfer: Some(form.transfer),
    };
    match api::record_complaint(&state, &client(&parts), c).await {
        Ok(tracking) => render(
            "complain.html",
            StatusCode::CREATED,
            lang,
            None,
            context! { tracking },
        ),
        Err(e) => with_login_csrf(
            "complain.html",
            e.status,
            lang,
            state.secure_cookies(),
            context! { error => e.message },
        ),
    }
}

/// A time from a form: RFC 3339 as given, or a browser's `datetime-local`
/// (no zone) read as UTC; empty: none (the handler's default, usually now).
fn form_time(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.parse::<jiff::Timestamp>().is_err()
        && let Ok(dt) = s.parse::<jiff::civil::DateTime>()
    {
        return Some(format!("{}Z", dt.strftime("%Y-%m-%dT%H:%M:%S")));
    }
    Some(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_string() {
        let s = strings();
        let en: Vec<_> = s["en"].keys().collect();
        let zh: Vec<_> = s["zh"].keys().collect();
        assert_eq!(en, zh);
    }

    #[test]
    fn templates_parse() {
        let env = templates();
        for name in [
            "overview.html",
            "transfer.html",
            "login.html",
            "complain.html",
            "audit.html",
            "job.html",
            "scans.html",
        ] {
            env.get_template(name).unwrap();
        }
    }

    /// The scan job page names every kind the scanner reports and every
    /// class of PIPL Art. 28 in both languages, never by its id.
    #[test]
    fn every_scan_kind_and_sensitive_class_has_a_label() {
        let s = strings();
        let keys = outbound_scan::Kind::ALL
            .iter()
            .map(|k| format!("scan_kind_{}", k.as_str()))
            .chain(
                outbound_model::SensitiveClass::ALL
                    .iter()
                    .map(|c| format!("sensitive_class_{}", c.as_str())),
            );
        for key in keys {
            for lang in ["en", "zh"] {
                assert!(s[lang].contains_key(&key), "{lang}: {key}");
            }
        }
        assert_eq!(category_label("zh", "contact.phone"), "电话号码");
        assert_eq!(category_label("en", "no.such"), "no.such");
    }

    #[test]
    fn ids_in_links_are_encoded() {
        assert_eq!(urlencode("crm-to-parent"), "crm-to-parent");
        assert_eq!(urlencode("a b/<x>"), "a%20b%2F%3Cx%3E");
    }
}
