//! A transfer's page: its determinations with every reason and citation, its
//! batches from the ledger, its documents to download, and the route switch.
//! Documents are written by `outbound-docs` from the map and the snapshot's
//! assessment, in Markdown and HTML (no PDF in the server yet).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use outbound_docs::{DocError, DocKind, Document, Input, Lang};
use outbound_store::{Role, Store, StoreError};

use super::{LangQuery, csrf_refused, language, not_found_page, render, ser, urlencode};
use crate::access::{Action, allows};
use crate::api::{self, sees, view};
use crate::auth::{PageUser, same_secret};
use crate::state::{AppState, Snapshot};

/// The documents a transfer page offers: those written per transfer. The
/// summary and the GDPR record cover the whole map or an exporter, so they
/// are not a transfer's (a recipient would see others' transfers in them).
const KINDS: [DocKind; 4] = [
    DocKind::Pipia,
    DocKind::Annex,
    DocKind::Filing,
    DocKind::Tia,
];

/// The ledger's counts per exporter for the documents (`outbound report
/// --store` gives the same); only for a role that may read the counts.
fn ledger_evidence(
    store: &Store,
    map: &outbound_model::DataMap,
    as_of: jiff::civil::Date,
) -> Result<Vec<outbound_docs::LedgerCount>, StoreError> {
    let year = as_of.year();
    let mut out = Vec::new();
    for e in &map.exporters {
        let c = store.counts(std::slice::from_ref(&e.id), year, year)?;
        out.push(outbound_docs::LedgerCount::from_history(
            &e.id,
            as_of,
            c.individuals,
            c.sensitive_individuals,
            &store.batch_history(&e.id, year)?,
            "the server's store",
        ));
    }
    Ok(out)
}

/// Writes the documents of `kinds` for transfer `id` on the blocking pool;
/// a kind that does not apply is left out.
async fn write(
    state: &AppState,
    snap: &Arc<Snapshot>,
    id: &str,
    kinds: Vec<DocKind>,
    lang: Lang,
    role: Role,
) -> Result<Vec<Document>, Response> {
    let (st, snap, id) = (state.clone(), snap.clone(), id.to_string());
    let with_counts = allows(role, Action::ReadStatus);
    let built = state
        .store(move |s, _| {
            let mut input = Input::new(st.map(), &snap.assessment);
            if with_counts {
                input.evidence.ledger = ledger_evidence(s, st.map(), snap.as_of)?;
            }
            let mut out = Vec::new();
            for k in kinds {
                match outbound_docs::documents(&input, k, Some(&id), lang) {
                    Ok(d) => out.extend(d),
                    Err(DocError::NotApplicable { .. }) => {}
                    Err(e) => return Ok(Err(e.to_string())),
                }
            }
            Ok(Ok(out))
        })
        .await
        .map_err(IntoResponse::into_response)?;
    built.map_err(|e| {
        eprintln!("outbound serve: documents: {e}");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the document could not be written; see the server's log",
        )
            .into_response()
    })
}

/// Which of [`KINDS`] apply to a transfer, remembered per transfer for one
/// state of the store (one size of the audit log) and date.
async fn applicable(state: &AppState, snap: &Arc<Snapshot>, id: &str, role: Role) -> Vec<DocKind> {
    type Seen = Mutex<HashMap<(u64, jiff::civil::Date, String), Vec<DocKind>>>;
    static SEEN: OnceLock<Seen> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let key = (snap.log_size, snap.as_of, id.to_string());
    if let Some(k) = seen.lock().expect("not poisoned").get(&key) {
        return k.clone();
    }
    let Ok(docs) = write(state, snap, id, KINDS.to_vec(), Lang::En, role).await else {
        return Vec::new();
    };
    let kinds: Vec<DocKind> = docs.iter().map(|d| d.kind).collect();
    let mut seen = seen.lock().expect("not poisoned");
    // One entry per transfer: an older state's answer is replaced, not kept.
    seen.retain(|k, _| k.2 != id);
    seen.insert(key, kinds.clone());
    kinds
}

/// A file name safe in a header: letters, digits, `.`, `-`, `_`.
fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `GET /transfers/{id}/documents/{kind}.{lang}.{md|html}`: one document,
/// as a download. HTML is served sandboxed (no script, no fetch), so that a
/// document is never a page of the dashboard's origin.
pub(super) async fn document(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Path((id, file)): Path<(String, String)>,
    user: PageUser,
) -> Response {
    let page_lang = language(&q, &headers);
    let a = &user.account;
    let snap = match state.snapshot().await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let visible = allows(a.role, Action::ReadTransfers)
        && snap
            .assessment
            .transfers
            .iter()
            .any(|t| t.transfer == id && sees(a, t));
    let mut parts = file.split('.');
    let wanted = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(k), Some(l), Some(f), None) => DocKind::parse(k)
            .filter(|k| KINDS.contains(k))
            .zip(Lang::parse(l))
            .filter(|_| f == "md" || f == "html")
            .map(|(k, l)| (k, l, f == "html")),
        _ => None,
    };
    let (Some((kind, lang, html)), true) = (wanted, visible) else {
        return not_found_page(page_lang, &user);
    };
    let docs = match write(&state, &snap, &id, vec![kind], lang, a.role).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let Some(doc) = docs.into_iter().next() else {
        return not_found_page(page_lang, &user);
    };
    let name = safe_name(&format!(
        "{}.{}",
        doc.stem,
        if html { "html" } else { "md" }
    ));
    let disposition = format!("attachment; filename=\"{name}\"");
    let (body, content_type) = if html {
        (doc.html(), "text/html; charset=utf-8")
    } else {
        (doc.markdown, "text/markdown; charset=utf-8")
    };
    let mut resp = (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response();
    let h = resp.headers_mut();
    for (k, v) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
        ),
        ("x-content-type-options", "nosniff"),
    ] {
        if let Ok(v) = v.parse() {
            h.insert(HeaderName::from_static(k), v);
        }
    }
    resp
}

/// Batches a transfer page shows at a time, newest first.
const BATCH_PAGE: u64 = 50;

/// Where a transfer page's batches start: the newest, those older than
/// `before` or those newer than `after` (batch ids, from its links).
#[derive(serde::Deserialize, Default)]
pub(super) struct BatchesAt {
    before: Option<u64>,
    after: Option<u64>,
}

/// A transfer's batches as its page shows them: one page, newest first,
/// with where the pages before and after it start and how many in all.
#[derive(serde::Serialize, Default)]
struct BatchesShown {
    rows: Vec<api::BatchView>,
    total: u64,
    /// The smallest id shown, when older batches exist (`?before=`).
    older: Option<u64>,
    /// The greatest id shown, when newer batches exist (`?after=`).
    newer: Option<u64>,
}

impl BatchesShown {
    /// Reads one page: a transfer of a million batches shows its newest
    /// fifty for the cost of fifty (through the index on transfer and id).
    fn read(
        store: &Store,
        transfer: &str,
        at: &BatchesAt,
        current: &str,
    ) -> Result<Self, StoreError> {
        let one = [transfer];
        let q = |after, before, newest_first, limit| outbound_store::BatchQuery {
            transfers: Some(&one),
            after,
            before,
            newest_first,
            limit,
        };
        // One more than a page says whether there are more that way.
        let mut page = match at.after {
            Some(after) => store.batch_page(&q(Some(after), None, false, BATCH_PAGE + 1))?,
            None => store.batch_page(&q(None, at.before, true, BATCH_PAGE + 1))?,
        };
        let more = page.len() as u64 > BATCH_PAGE;
        page.truncate(BATCH_PAGE as usize);
        if at.after.is_some() {
            page.reverse();
        }
        let (Some(newest), Some(oldest)) = (page.first(), page.last()) else {
            return Ok(BatchesShown {
                total: store.transfer_batch_count(transfer)?,
                ..Default::default()
            });
        };
        let (newest, oldest) = (newest.batch.id, oldest.batch.id);
        let exists = |after, before| -> Result<bool, StoreError> {
            Ok(!store.batch_page(&q(after, before, false, 1))?.is_empty())
        };
        let (older, newer) = if at.after.is_some() {
            (exists(None, Some(oldest))?, more)
        } else {
            (more, at.before.is_some() && exists(Some(newest), None)?)
        };
        Ok(BatchesShown {
            rows: page
                .into_iter()
                .map(|j| api::BatchView::of(j, current))
                .collect(),
            total: store.transfer_batch_count(transfer)?,
            older: older.then_some(oldest),
            newer: newer.then_some(newest),
        })
    }
}

pub(super) async fn transfer_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    at: Result<Query<BatchesAt>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    Path(id): Path<String>,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    let a = &user.account;
    let snap = match state.snapshot().await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let Some(t) = snap
        .assessment
        .transfers
        .iter()
        .find(|t| t.transfer == id && allows(a.role, Action::ReadTransfers) && sees(a, t))
    else {
        return not_found_page(lang, &user);
    };
    // A link's position that does not parse shows the newest batches.
    let at = at.map(|Query(at)| at).unwrap_or_default();
    let batches = if allows(a.role, Action::ReadBatches) {
        let (tid, current) = (id.clone(), state.map_sha256().to_string());
        state
            .store(move |s, _| BatchesShown::read(s, &tid, &at, &current))
            .await
            .unwrap_or_default()
    } else {
        BatchesShown::default()
    };
    let kinds = applicable(&state, &snap, &id, a.role).await;
    let documents: Vec<serde_json::Value> = kinds
        .iter()
        .map(|k| {
            let links: Vec<serde_json::Value> = [Lang::Zh, Lang::En]
                .into_iter()
                .flat_map(|l| {
                    ["md", "html"].into_iter().map(move |f| {
                        serde_json::json!({
                            "lang": l.code(), "format": f,
                            "file": format!("{}.{}.{f}", k.id(), l.code()),
                        })
                    })
                })
                .collect();
            serde_json::json!({"kind": k.id(), "links": links})
        })
        .collect();
    render(
        "transfer.html",
        StatusCode::OK,
        lang,
        Some(&user),
        context! {
            page => "transfer",
            tr => ser(view(&snap, t)),
            batches => ser(&batches),
            can_switch => allows(a.role, Action::SetRoute),
            documents => ser(&documents),
        },
    )
}

/// A route switch's form.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct RouteForm {
    csrf: String,
    reason: String,
}

async fn switch(
    state: AppState,
    user: PageUser,
    id: String,
    form: RouteForm,
    suspended: bool,
) -> Response {
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    match api::set_route(&state, &user.account, &id, suspended, &form.reason).await {
        Ok(_) => Redirect::to(&format!("/transfers/{}", urlencode(&id))).into_response(),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn suspend(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Form(form): Form<RouteForm>,
) -> Response {
    switch(state, user, id, form, true).await
}

pub(super) async fn resume(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Form(form): Form<RouteForm>,
) -> Response {
    switch(state, user, id, form, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_header_safe() {
        assert_eq!(
            safe_name("pipia-crm-to-parent.zh.md"),
            "pipia-crm-to-parent.zh.md"
        );
        assert_eq!(safe_name("a\"b\r\n;c/..x"), "a_b___c_..x");
    }
}
