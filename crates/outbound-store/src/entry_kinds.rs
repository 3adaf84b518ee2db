//! The registry of audit entry kinds: every kind the store appends, with its
//! current version, a one-line description and the JSON Schema (draft
//! 2020-12) of its body, `schemas/audit/<kind>.v<N>.json`, embedded here so
//! that the binary and the documentation carry the same schemas.
//!
//! [`crate::audit`] appends only a kind listed here, and adds `"v": N` (the
//! kind's version) to the body next to `"ledger"`; an entry without `v` was
//! written before versions existed (version 0). Adding a kind, or changing the
//! fields of a body, means: a schema file (a new `v<N+1>` file for a changed
//! body, the old file kept), a line here, a row in docs/AUDIT-ENTRIES.md; the
//! tests (`tests/entry_kinds.rs`) validate every entry the workflows write
//! against its schema, so a body that gains a field fails them until it is
//! described.

/// One kind of audit entry.
#[derive(Clone, Copy, Debug)]
pub struct EntryKind {
    /// The kind as stored in the entry (`batch`, `route_suspended` …).
    pub name: &'static str,
    /// Its current version: the `v` of the bodies appended now.
    pub version: u32,
    /// What an entry of this kind records, in a sentence.
    pub description: &'static str,
    /// The JSON Schema (draft 2020-12) of the current version's body.
    pub schema: &'static str,
}

macro_rules! kind {
    ($name:literal, $v:literal, $desc:literal) => {
        EntryKind {
            name: $name,
            version: $v,
            description: $desc,
            schema: include_str!(concat!("../schemas/audit/", $name, ".v", $v, ".json")),
        }
    };
}

/// Every kind the store appends, in the order of docs/AUDIT-ENTRIES.md.
pub const KINDS: &[EntryKind] = &[
    kind!(
        "batch",
        2,
        "A batch that left through the gate: what, to whom, how many distinct individuals, the determination it passed under, the data map it was judged under and what the map's not_kinds set aside (version 2 adds `set_aside` and `map_sha256`; a v1 body has neither)."
    ),
    kind!(
        "ledger_layout",
        1,
        "The ledger moved from one row per person to sorted key sets, after its rows were checked against the log: how many rows moved, never who."
    ),
    kind!(
        "ledger_digests",
        1,
        "The ledger's digests moved from sums of SHA-256 (forgeable) to LtHash, after every row and run was checked against the sums the log committed to: how many parts and chunks, never who."
    ),
    kind!(
        "ledger_merged",
        1,
        "Key set runs of one ledger part merged after the batches that wrote them (counts unchanged, the part's digest moved): the part and how many merges and records, never who."
    ),
    kind!(
        "consent_import",
        1,
        "Consents imported into the consent register: from which file and how many per transfer (never who)."
    ),
    kind!(
        "consent_withdrawn",
        1,
        "One person's consents ended (by the CLI, or by a withdraw_consent rights request): the transfer and how many, never the person."
    ),
    kind!(
        "route_suspended",
        1,
        "A transfer's route suspended: the gate refuses its batches, with the reason typed by staff."
    ),
    kind!(
        "route_resumed",
        1,
        "A transfer's route resumed, with the reason typed by staff."
    ),
    kind!(
        "incident_opened",
        1,
        "An incident entered in the register: severity, transfers and regimes whose clocks run; never the title or measures."
    ),
    kind!(
        "incident_notice",
        1,
        "A notice of an incident sent: which clock and when."
    ),
    kind!(
        "incident_closed",
        1,
        "An incident closed (the note on measures is stored, not logged)."
    ),
    kind!(
        "account_added",
        1,
        "A dashboard/API account created (never its password or hash)."
    ),
    kind!(
        "password_set",
        1,
        "An account's password set or replaced (never the hash)."
    ),
    kind!(
        "token_created",
        1,
        "An API token created for an account: its id, never the token or its hash."
    ),
    kind!(
        "complaint_received",
        1,
        "A complaint received through the public form or API: the tracking id and the transfer named; never the text or the contact."
    ),
    kind!(
        "complaint_triaged",
        1,
        "A complaint triaged: category, linked transfer and recipient, the due day and the rule that set it."
    ),
    kind!(
        "complaint_answered",
        1,
        "A complaint answered and closed: the outcome, never the answer's text."
    ),
    kind!(
        "review_recorded",
        1,
        "A review of a recipient recorded, with its findings' ids and severities (never the summary or the findings' text)."
    ),
    kind!(
        "finding_changed",
        1,
        "A review finding closed: fixed or accepted."
    ),
    kind!(
        "attestation",
        1,
        "A recipient attests (or states it does not meet) one obligation of its contract, with evidence SHA-256s (the note is stored, not logged)."
    ),
    kind!(
        "request_opened",
        1,
        "A rights request entered in the register: channel, kinds, regimes, when received, how identity was checked; never the subject's key or its hash."
    ),
    kind!(
        "request_identity",
        1,
        "The identity of a request's person checked: how and when."
    ),
    kind!(
        "request_consent_withdrawn",
        1,
        "For a withdraw_consent request: how many consents ended and when (the consent_withdrawn entry before it records the register's change)."
    ),
    kind!(
        "request_forwarded",
        1,
        "A rights request forwarded: one part per recipient that received the person, from the committed deliveries."
    ),
    kind!(
        "request_part_answered",
        1,
        "A recipient answered its part of a rights request: outcome, reason code, when, evidence SHA-256."
    ),
    kind!(
        "request_paused",
        1,
        "A request's clock paused (the reason is stored, not logged)."
    ),
    kind!("request_resumed", 1, "A request's clock resumed."),
    kind!(
        "request_extended",
        1,
        "A request's time limit extended: when the person was told (the reason is stored, not logged)."
    ),
    kind!(
        "request_closed",
        1,
        "A request closed once every part is answered; its proof is the audit indexes of the answers."
    ),
    kind!(
        "request_refused",
        1,
        "A request refused as a whole, with a reason code."
    ),
    kind!(
        "snapshot",
        1,
        "A compliance snapshot published for a period: its SHA-256 (the signed snapshot holds no personal data); a correction names the snapshot it corrects."
    ),
    kind!(
        "member_added",
        2,
        "An association's member added: name, base URL of its published log, its log's note verifier key, the witnesses trusted for it and their quorum."
    ),
    kind!(
        "snapshot_collected",
        1,
        "A member's snapshot collected by an association, with the outcome of its checks and the evidence (period, SHA-256, log index, checkpoint size)."
    ),
    kind!(
        "database_scanned",
        1,
        "One of the operator's databases read by a scan started from the server, before any row is read: who, which databases (their ids, never a URL), which tables, how many rows a table and how picked, against what; never a value."
    ),
];

/// The kinds accepted only in test builds (feature `testing`): bodies of any
/// shape, for tests and benchmarks of the log itself. Never in a release build.
#[cfg(feature = "testing")]
pub const TEST_KINDS: &[&str] = &["test", "bench"];

/// The kind named `name`, if it is registered.
pub fn lookup(name: &str) -> Option<&'static EntryKind> {
    KINDS.iter().find(|k| k.name == name)
}

/// The version `append` gives a new entry of kind `name`: the registered
/// version, or 0 for a test kind; `None` for a kind that may not be appended.
pub(crate) fn version_for(name: &str) -> Option<u32> {
    if let Some(k) = lookup(name) {
        return Some(k.version);
    }
    #[cfg(feature = "testing")]
    if TEST_KINDS.contains(&name) {
        return Some(0);
    }
    None
}
