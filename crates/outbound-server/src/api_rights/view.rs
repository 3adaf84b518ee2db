//! A request as served: its due dates (from the rules) and its parts, as
//! the API, the pages, the CLI and the demo show them.

use super::*;

/// One regime's due date, with its article.
#[derive(Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DueView {
    /// The regime (`CN`, `EU`).
    pub regime: String,
    /// The article that fixes the period (`GDPR Art. 12(3)`).
    pub citation: String,
    /// The same, cited the Chinese way.
    pub citation_zh: String,
    /// Whether the instrument binds (false: a recommended standard).
    pub binding: bool,
    /// Whether the article was checked against a published text.
    pub confirmed: bool,
    /// The day the clock started (local), if it has.
    pub starts_on: Option<String>,
    /// The due date (local, inclusive); none while not started or paused.
    pub due: Option<String>,
    /// `not_started`, `paused`, `running`, `met` or `missed`.
    pub state: String,
    /// What became of an extension: `none`, `in_time`, `late`, `not_provided`.
    pub extension: String,
    /// Calendar days the clock was paused.
    pub paused_days: i64,
}

/// One recipient's part as served.
#[derive(Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PartView {
    /// The recipient it is forwarded to.
    pub recipient: String,
    /// The transfers that carried the person to it.
    pub transfers: Vec<String>,
    /// The years in which they did.
    pub years: Vec<i64>,
    /// When it was forwarded (UTC).
    pub forwarded_at: String,
    /// `done` or `refused`, once answered.
    pub outcome: Option<String>,
    /// Why it was refused.
    pub reason: Option<String>,
    /// When it was answered (UTC).
    pub answered_at: Option<String>,
    /// The SHA-256 of the evidence.
    pub evidence_sha256: Option<String>,
    /// The audit index of the answer (the proof).
    pub answer_index: Option<u64>,
    /// Who recorded the answer.
    pub answered_by: Option<String>,
}

impl From<RequestPart> for PartView {
    fn from(p: RequestPart) -> Self {
        PartView {
            recipient: p.recipient,
            transfers: p.transfers,
            years: p.years,
            forwarded_at: p.forwarded_at,
            outcome: p.outcome.map(|o| o.to_string()),
            reason: p.reason.map(|r| r.to_string()),
            answered_at: p.answered_at,
            evidence_sha256: p.evidence_sha256,
            answer_index: p.answer_index,
            answered_by: p.answered_by,
        }
    }
}

/// A rights request as served: never the subject's hash; for a recipient,
/// only its own part and no staff notes.
#[derive(Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RequestView {
    /// Its id (`req-0001`).
    pub id: String,
    /// When it was entered (UTC).
    pub opened_at: String,
    /// When it was received (UTC): the clocks start here.
    pub received_at: String,
    /// `staff`, `api` or `public_form`.
    pub channel: String,
    /// What the person asks for.
    pub kinds: Vec<String>,
    /// The regimes whose time limits apply.
    pub regimes: Vec<String>,
    /// How the identity was checked (`none_yet` if not yet).
    pub identity_method: String,
    /// When it was checked.
    pub identity_at: Option<String>,
    /// `open`, `forwarded`, `closed` or `refused`.
    pub state: String,
    /// Whether its clock is paused now.
    pub paused: bool,
    /// Its pauses (for a recipient, without their reasons).
    #[schema(value_type = Vec<Object>)]
    pub pauses: Vec<Pause>,
    /// Its extension (for a recipient, without its reason).
    #[schema(value_type = Option<Object>)]
    pub extension: Option<Extension>,
    /// For `withdraw_consent`: the consents ended (staff only).
    #[schema(value_type = Option<Object>)]
    pub consents_withdrawn: Option<ConsentsWithdrawn>,
    /// When it was closed or refused.
    pub closed_at: Option<String>,
    /// Why it was refused.
    pub refusal: Option<String>,
    /// For a closed request: the audit indexes of the answers (a recipient: its own).
    pub proof: Vec<u64>,
    /// Its due dates, earliest first, with their articles.
    pub due: Vec<DueView>,
    /// A due date was missed and the request is not finished.
    pub overdue: bool,
    /// Parts answered.
    pub parts_answered: usize,
    /// Parts in all (a recipient: its own, so 1).
    pub parts_total: usize,
    /// The parts (a recipient: its own only).
    pub parts: Vec<PartView>,
}

/// `GET /api/v1/requests`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RequestList {
    /// Newest first: a page of at most `limit`.
    pub requests: Vec<RequestView>,
    /// Where the next page starts (`?before=` this id) when this one is
    /// full; `null` on the last page.
    pub next_before: Option<String>,
}

/// The facts a due date depends on, from the store's request (here, where
/// both the store's and the rules' types are known; the CLI uses it too).
/// `None` when a stored time is not RFC 3339.
pub fn clock_of(r: &Request) -> Option<Clock> {
    let pauses: Vec<(&str, Option<&str>)> = r
        .pauses
        .iter()
        .map(|p| (p.from.as_str(), p.to.as_deref()))
        .collect();
    Clock::parse(
        &r.received_at,
        r.identity_at.as_deref(),
        &pauses,
        r.extension.as_ref().map(|e| e.at.as_str()),
    )
}

fn clock(r: &Request) -> Result<Clock, ApiError> {
    clock_of(r).ok_or_else(stored_time)
}

fn stored_time() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "store",
        "a stored time of this request is not RFC 3339",
    )
}

/// The request's due dates at `now`, earliest first.
pub fn dues(r: &Request, now: Timestamp) -> Result<Vec<DueView>, ApiError> {
    let closed = match &r.closed_at {
        Some(c) => Some(c.parse::<Timestamp>().map_err(|_| stored_time())?),
        None => None,
    };
    let all = due_all(&r.regimes, &clock(r)?)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "rules", e.to_string()))?;
    Ok(all
        .into_iter()
        .map(|d| {
            let citation_zh = outbound_rules::rights::deadline(&d.regime).map_or_else(
                || d.citation.clone(),
                |dl| format!("{} {}", dl.short, dl.article_zh),
            );
            DueView {
                state: d.state(closed, now).as_str().to_string(),
                regime: d.regime,
                citation: d.citation,
                citation_zh,
                binding: d.binding,
                confirmed: d.confirmed,
                starts_on: d.starts_on.map(|x| x.to_string()),
                due: d.due.map(|x| x.to_string()),
                extension: d.extension.as_str().to_string(),
                paused_days: d.paused_days,
            }
        })
        .collect())
}

/// The request as `user` may see it: a recipient gets only its own part and
/// none of the staff's notes; `None` when it has no part (so: not found).
pub fn view_for(
    user: &Account,
    r: Request,
    now: Timestamp,
) -> Result<Option<RequestView>, ApiError> {
    let mut r = r;
    let own = user.role == Role::Recipient;
    if own {
        let mine = user.recipient.as_deref().unwrap_or_default();
        r.parts.retain(|p| p.recipient == mine);
        if r.parts.is_empty() {
            return Ok(None);
        }
        for p in &mut r.pauses {
            p.reason.clear();
        }
        if let Some(e) = &mut r.extension {
            e.reason.clear();
        }
        r.consents_withdrawn = None;
        r.proof
            .retain(|i| r.parts.iter().any(|p| p.answer_index == Some(*i)));
    }
    let due = dues(&r, now)?;
    let overdue = !r.finished() && due.iter().any(|d| d.state == DueState::Missed.as_str());
    Ok(Some(RequestView {
        paused: r.paused(),
        id: r.id,
        opened_at: r.opened_at,
        received_at: r.received_at,
        channel: r.channel.to_string(),
        kinds: r.kinds.iter().map(|k| k.to_string()).collect(),
        regimes: r.regimes,
        identity_method: r.identity_method.to_string(),
        identity_at: r.identity_at,
        state: r.state,
        pauses: r.pauses,
        extension: r.extension,
        consents_withdrawn: r.consents_withdrawn,
        closed_at: r.closed_at,
        refusal: r.refusal.map(|x| x.to_string()),
        proof: r.proof,
        due,
        overdue,
        parts_answered: r.parts.iter().filter(|p| p.outcome.is_some()).count(),
        parts_total: r.parts.len(),
        parts: r.parts.into_iter().map(PartView::from).collect(),
    }))
}
