//! The rights register's vocabulary and records: what a request, its parts,
//! pauses and answers are, as stored and served.

use crate::names::named_enum;

named_enum!(
    /// How a request reached the company.
    Channel, "channel", {
        /// Entered by compliance staff.
        Staff => "staff",
        /// Through the API.
        Api => "api",
        /// Through the public form (no account).
        PublicForm => "public_form",
    }
);

named_enum!(
    /// What the person asks for (PIPL Art. 44–48 and 15; GDPR Art. 15–22 and 7(3)).
    RequestKind, "request kind", {
        /// To know how their information is processed (PIPL Art. 44).
        Know => "know",
        /// To access it (PIPL Art. 45; GDPR Art. 15).
        Access => "access",
        /// To get a copy (PIPL Art. 45; GDPR Art. 15(3), 20).
        Copy => "copy",
        /// To correct or complete it (PIPL Art. 46; GDPR Art. 16).
        Correct => "correct",
        /// To delete it (PIPL Art. 47; GDPR Art. 17).
        Delete => "delete",
        /// To restrict or refuse processing (PIPL Art. 44; GDPR Art. 18, 21).
        Restrict => "restrict",
        /// To withdraw consent (PIPL Art. 15; GDPR Art. 7(3)).
        WithdrawConsent => "withdraw_consent",
        /// To have the processing rules explained (PIPL Art. 48; GDPR Art. 22(3)).
        Explain => "explain",
    }
);

named_enum!(
    /// How the person's identity was checked (the method, never the document).
    IdentityMethod, "identity method", {
        /// Signed in to their own account.
        AccountLogin => "account_login",
        /// An identity document was seen (not kept).
        IdDocumentSighted => "id_document_sighted",
        /// A video call.
        VideoCall => "video_call",
        /// A code sent to contact details already on file.
        KnownContact => "known_contact",
        /// Not checked yet.
        NoneYet => "none_yet",
    }
);

named_enum!(
    /// A recipient's answer to its part.
    PartOutcome, "outcome", {
        /// Carried out.
        Done => "done",
        /// Refused, with a reason code.
        Refused => "refused",
    }
);

named_enum!(
    /// Why a request or a part was refused.
    RefusalReason, "refusal reason", {
        /// The identity could not be verified.
        IdentityNotVerified => "identity_not_verified",
        /// Manifestly unfounded (GDPR Art. 12(5)).
        ManifestlyUnfounded => "manifestly_unfounded",
        /// Excessive, in particular repetitive (GDPR Art. 12(5)).
        Excessive => "excessive",
        /// The recipient holds no data of the person.
        NotHeld => "not_held",
        /// A retention period set by law has not expired (PIPL Art. 47(2)).
        LegalRetention => "legal_retention",
        /// Another exemption provided by law.
        LegalExemption => "legal_exemption",
        /// Any other reason, explained to the person outside the register.
        Other => "other",
    }
);

/// A pause of a request's clock.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pause {
    /// When it started (UTC, RFC 3339).
    pub from: String,
    /// When it ended, if it has.
    pub to: Option<String>,
    /// Why (no personal data; stored, not logged).
    pub reason: String,
}

/// An extension of a request's time limit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Extension {
    /// When the person was told of it (UTC, RFC 3339).
    pub at: String,
    /// Why (no personal data; stored, not logged).
    pub reason: String,
}

/// The consents a `withdraw_consent` request ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsentsWithdrawn {
    /// When (UTC, RFC 3339).
    pub at: String,
    /// How many consents ended (0 if the person had none).
    pub count: u64,
}

/// One recipient's share of a forwarded request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RequestPart {
    /// The request.
    pub request: String,
    /// The recipient it is forwarded to.
    pub recipient: String,
    /// The transfers that carried the person to it, sorted.
    pub transfers: Vec<String>,
    /// The years in which they did, sorted.
    pub years: Vec<i64>,
    /// When it was forwarded (UTC, RFC 3339).
    pub forwarded_at: String,
    /// The answer, once given.
    pub outcome: Option<PartOutcome>,
    /// Why it was refused.
    pub reason: Option<RefusalReason>,
    /// When the recipient answered (UTC, RFC 3339).
    pub answered_at: Option<String>,
    /// The SHA-256 (hex) of the evidence it gave, if any.
    pub evidence_sha256: Option<String>,
    /// The audit index of the answer's entry: the proof the request keeps.
    pub answer_index: Option<u64>,
    /// Who recorded the answer.
    pub answered_by: Option<String>,
}

/// A rights request, with its parts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Request {
    /// Its id (`req-0001` …), given by the store.
    pub id: String,
    /// When it was entered in the register (UTC, RFC 3339).
    pub opened_at: String,
    /// When it was received (UTC, RFC 3339): the clocks start here.
    pub received_at: String,
    /// How it came in.
    pub channel: Channel,
    /// What the person asks for, sorted, once each.
    pub kinds: Vec<RequestKind>,
    /// The regimes whose time limits apply (`CN`, `EU` …), sorted.
    pub regimes: Vec<String>,
    /// The keyed hash of the person's subject key. Never serialised, never logged.
    #[serde(skip)]
    pub subject: [u8; 16],
    /// How the identity was checked.
    pub identity_method: IdentityMethod,
    /// When it was checked.
    pub identity_at: Option<String>,
    /// `open`, `forwarded`, `closed` or `refused`.
    pub state: String,
    /// The pauses of its clock, oldest first (the last may still run).
    pub pauses: Vec<Pause>,
    /// Its extension, if any.
    pub extension: Option<Extension>,
    /// For `withdraw_consent`: the consents ended.
    pub consents_withdrawn: Option<ConsentsWithdrawn>,
    /// When it was closed or refused.
    pub closed_at: Option<String>,
    /// For a refused request: why.
    pub refusal: Option<RefusalReason>,
    /// For a closed request: the audit indexes of its parts' answers.
    pub proof: Vec<u64>,
    /// One part per recipient it was forwarded to, by recipient.
    pub parts: Vec<RequestPart>,
}

impl Request {
    /// Whether its clock is paused now (its last pause has no end).
    pub fn paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    /// Whether it is closed or refused.
    pub fn finished(&self) -> bool {
        self.state == "closed" || self.state == "refused"
    }
}

/// What opens a request.
#[derive(Clone, Debug)]
pub struct NewRequest<'a> {
    /// When it was received (RFC 3339; not in the future).
    pub received_at: &'a str,
    /// How it came in.
    pub channel: Channel,
    /// What the person asks for (at least one).
    pub kinds: &'a [RequestKind],
    /// The regimes whose time limits apply (at least one; `CN`, `EU` …).
    pub regimes: &'a [String],
    /// The keyed hash of the person's normalised subject key.
    pub subject: [u8; 16],
    /// How the identity was checked (`NoneYet` if not yet).
    pub identity: IdentityMethod,
    /// When it was checked (RFC 3339); defaults to `received_at` when checked.
    pub identity_at: Option<&'a str>,
}

/// A recipient's answer to its part.
#[derive(Clone, Debug)]
pub struct PartAnswer<'a> {
    /// Done or refused.
    pub outcome: PartOutcome,
    /// Required when refused.
    pub reason: Option<RefusalReason>,
    /// When it answered (RFC 3339; not in the future); defaults to now.
    pub answered_at: Option<&'a str>,
    /// The SHA-256 (64 hex digits) of the evidence, if any.
    pub evidence_sha256: Option<&'a str>,
}

/// Which requests [`Store::rights_requests_page`](crate::Store::rights_requests_page) reads.
#[derive(Clone, Debug)]
pub struct RequestQuery<'a> {
    /// Open ones only (neither closed nor refused) with `Some(true)`,
    /// finished ones only with `Some(false)`.
    pub open: Option<bool>,
    /// Those with a part forwarded to this recipient only.
    pub recipient: Option<&'a str>,
    /// Those older than this request (its id) only: the last id of the
    /// page before.
    pub before: Option<&'a str>,
    /// At most this many.
    pub limit: u64,
}

impl Default for RequestQuery<'_> {
    fn default() -> Self {
        RequestQuery {
            open: None,
            recipient: None,
            before: None,
            limit: crate::PAGE_DEFAULT,
        }
    }
}
