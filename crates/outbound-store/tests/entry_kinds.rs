//! The audit entry kinds' schemas are true: every workflow of the store run on
//! both backends, and every entry of the resulting log validated against its
//! kind's JSON Schema; every registered kind has a schema file and every file
//! a registered kind; each schema's examples validate; a body with a field its
//! schema does not describe (a subject hash, a complaint's text) fails; and
//! `append` refuses a kind that is not registered, writing nothing.

use std::collections::BTreeSet;

use outbound_store::entry_kinds::{KINDS, lookup};
use outbound_store::incidents::NewIncident;
use outbound_store::recipients::{NewAttestation, Statement};
use outbound_store::reviews::{FindingState, NewFinding, NewReview, ReviewKind, Severity};
use outbound_store::rights::{
    Channel, IdentityMethod, NewRequest, PartAnswer, PartOutcome, RefusalReason, RequestKind,
};
use outbound_store::scans::DatabaseScan;
use outbound_store::snapshots::{CheckError, LocalLog, check_published, log_origin};
use outbound_store::{BatchCounts, ConsentRecord, Keys, Role, Store, c2sp};
use serde_json::{Value, json};

use crate::store::{fresh, record, subjects};

both!(
    every_entry_of_every_workflow_matches_its_schema,
    an_unregistered_kind_is_refused_and_nothing_is_written,
);

const SCHEMA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/audit");

fn schema(kind: &str) -> Value {
    let k = lookup(kind).unwrap_or_else(|| panic!("kind `{kind}` is not registered"));
    serde_json::from_str(k.schema).unwrap_or_else(|e| panic!("schema of `{kind}`: {e}"))
}

fn validator(kind: &str) -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema(kind))
        .unwrap_or_else(|e| panic!("schema of `{kind}` does not compile: {e}"))
}

/// Every problem of `body` against the schema of `kind`, as text.
pub(crate) fn problems(kind: &str, body: &Value) -> Vec<String> {
    validator(kind)
        .iter_errors(body)
        .map(|e| format!("{kind}: {} at `{}`", e, e.instance_path()))
        .collect()
}

/// What the gate passes to the ledger: the rules' evaluation.
fn evaluation(_: &BatchCounts) -> Result<Value, String> {
    Ok(json!({
        "transfer": "crm",
        "determinations": [{
            "regime": "CN",
            "instrument": "Provisions on Promoting and Regulating Cross-Border Data Flows",
            "mechanism": "exempt",
            "satisfied": true,
            "obligations": [{"id": "filing", "citation": "Art. 1", "due": null, "text": "File it."}],
            "reasons": [{"text": "Fewer than 100,000 individuals.", "citation": "Provisions Art. 5(4)"}],
        }],
    }))
}

/// Runs every workflow the store logs, once or more each.
fn run_workflows(s: &Store, k: &Keys) {
    // Accounts and tokens.
    s.add_account(k, "cli", "ana", Role::Compliance, None, None)
        .unwrap();
    s.add_account(k, "cli", "bob", Role::Recipient, Some("acme-us"), None)
        .unwrap();
    s.set_password(
        k,
        "cli",
        "bob",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
    )
    .unwrap();
    s.add_token(k, "cli", "bob", &"cd".repeat(32)).unwrap();
    // Consent, a batch, a route suspended and resumed.
    let consent = ConsentRecord {
        subject: k.subject_hash(b"p1"),
        transfer: "crm".into(),
        granted_at: "2026-01-01".into(),
        withdrawn_at: None,
    };
    s.consent_import(k, &[consent], "consents.csv").unwrap();
    s.record_batch(
        k,
        &record("crm"),
        2026,
        &subjects(k, &["p1", "p2"], false),
        false,
        evaluation,
    )
    .unwrap();
    // A second batch of as many new people: the two runs of each of its sets are
    // then due a merge, done in its own transaction (`ledger_merged`).
    s.record_batch(
        k,
        &record("crm"),
        2026,
        &subjects(k, &["p3", "p4"], false),
        false,
        evaluation,
    )
    .unwrap();
    let merged = s.merge_runs(k).unwrap();
    assert!(merged.merges >= 2, "{merged:?}");
    s.set_route(k, "ana", "crm", true, "incident inc-0001")
        .unwrap();
    s.set_route(k, "ana", "crm", false, "fixed").unwrap();
    // An incident.
    let inc = s
        .open_incident(
            k,
            "ana",
            &NewIncident {
                discovered_at: "2026-02-01T08:00:00Z",
                title: "Misdirected export",
                severity: "high",
                ciio: false,
                transfers: &["crm".to_string()],
                regimes: &["CN".to_string(), "EU".to_string()],
                individuals_affected: Some(2),
            },
        )
        .unwrap();
    s.record_incident_notice(k, "ana", &inc.id, "eu-authority", "2026-02-02T08:00:00Z")
        .unwrap();
    s.close_incident(k, "ana", &inc.id, Some("keys rotated"))
        .unwrap();
    // A complaint, triaged twice and answered.
    s.add_complaint(
        k,
        "C-1",
        "Why was my data sent?",
        Some("p@example.com"),
        Some("crm"),
    )
    .unwrap();
    let triage = outbound_store::complaints::Triage {
        category: "transfer_concern".into(),
        transfer: Some("crm".into()),
        recipient: None,
        due: Some("2026-12-30".into()),
        rule: Some("gbt35273-8.7".into()),
    };
    s.triage_complaint(k, "ana", "C-1", &triage).unwrap();
    s.triage_complaint(k, "ana", "C-1", &triage).unwrap();
    s.answer_complaint(k, "ana", "C-1", "We checked: upheld.", "upheld")
        .unwrap();
    // A review with a finding, fixed; an attestation.
    let review = s
        .record_review(
            k,
            "ana",
            &NewReview {
                recipient: "acme-us".into(),
                date: "2026-02-03".into(),
                kind: ReviewKind::Desk,
                summary: "Reviewed the measures.".into(),
                findings: vec![NewFinding {
                    severity: Severity::Medium,
                    text: "Logs kept too long.".into(),
                }],
            },
        )
        .unwrap();
    s.set_finding_state(k, "ana", review.findings[0].id, FindingState::Fixed)
        .unwrap();
    s.attest(
        k,
        "bob",
        &NewAttestation {
            recipient: "acme-us".into(),
            obligation: "security_measures".into(),
            statement: Statement::Attested,
            evidence_sha256: vec!["ef".repeat(32)],
            note: Some("See the report.".into()),
        },
    )
    .unwrap();
    // A rights request through every step, and one refused.
    let regimes = ["CN".to_string()];
    let new = |who: &[u8], identity| NewRequest {
        received_at: "2026-02-04T10:00:00Z",
        channel: Channel::PublicForm,
        kinds: &[RequestKind::Access, RequestKind::WithdrawConsent],
        regimes: &regimes,
        subject: k.subject_hash(who),
        identity,
        identity_at: None,
    };
    let r = s
        .open_request(k, "ana", &new(b"p1", IdentityMethod::NoneYet))
        .unwrap();
    s.verify_request_identity(
        k,
        "ana",
        &r.id,
        IdentityMethod::KnownContact,
        Some("2026-02-04T11:00:00Z"),
    )
    .unwrap();
    s.pause_request(k, "ana", &r.id, "waiting", Some("2026-02-04T12:00:00Z"))
        .unwrap();
    s.resume_request(k, "ana", &r.id, Some("2026-02-05T12:00:00Z"))
        .unwrap();
    s.extend_request(k, "ana", &r.id, "complex", Some("2026-02-06T12:00:00Z"))
        .unwrap();
    s.forward_request(k, "ana", &r.id).unwrap();
    let answer = PartAnswer {
        outcome: PartOutcome::Done,
        reason: None,
        answered_at: None,
        evidence_sha256: Some(&"AB".repeat(32)),
    };
    s.answer_request_part(k, "bob", &r.id, "acme-us", &answer)
        .unwrap();
    s.close_request(k, "ana", &r.id).unwrap();
    let r2 = s
        .open_request(k, "ana", &new(b"p2", IdentityMethod::AccountLogin))
        .unwrap();
    s.refuse_request(k, "ana", &r2.id, RefusalReason::Excessive)
        .unwrap();
    // Snapshots: one, its correction; an association's member and two collections.
    let origin = log_origin(k);
    let doc = |corrects: Option<&str>| {
        json!({"format": "outbound-snapshot/v1", "period": "2026-Q4", "corrects": corrects, "transfers": []})
            .to_string()
    };
    let first = s
        .publish_snapshot(k, "cli", &origin, "2026-Q4", &doc(None), None)
        .unwrap();
    let fix = doc(Some(&first.sha256));
    let second = s
        .publish_snapshot(k, "cli", &origin, "2026-Q4", &fix, Some(&first.sha256))
        .unwrap();
    let verifier = c2sp::verifier_key(&origin, &k.verifying());
    s.add_member(k, "ana", "lumen", "http://127.0.0.1:8080/", &verifier)
        .unwrap();
    let local = LocalLog {
        store: s,
        keys: k,
        origin: origin.clone(),
    };
    let verified = check_published(&second, &verifier, &local);
    assert!(verified.is_ok(), "{:?}", verified.err());
    s.record_collection(k, "ana", "lumen", &second, &verified)
        .unwrap();
    let failed = Err(CheckError {
        reason: "the snapshot's signature: no signature by the verifier key".into(),
        checkpoint: None,
    });
    s.record_collection(k, "ana", "lumen", &first, &failed)
        .unwrap();
    // Database scans from the server: one source and a dataset, and the
    // map's check over two sources with no pattern.
    let mut scan = DatabaseScan {
        by: "ana".into(),
        sources: vec!["shop-crm".into()],
        tables: vec!["public.customers".into(), "orders_*".into()],
        sample: "random".into(),
        sample_rows: 10_000,
        target: "dataset:customers".into(),
    };
    s.record_database_scan(k, &scan).unwrap();
    scan.sources.push("billing".into());
    scan.tables.clear();
    scan.sample = "first".into();
    scan.target = "map".into();
    s.record_database_scan(k, &scan).unwrap();
}

fn every_entry_of_every_workflow_matches_its_schema(s: &Store, k: &Keys) {
    run_workflows(s, k);
    let entries = s.audit_entries().unwrap();
    let mut seen = BTreeSet::new();
    let mut all = Vec::new();
    for e in &entries {
        let body: Value = serde_json::from_str(&e.body).unwrap();
        let kind = lookup(&e.kind)
            .unwrap_or_else(|| panic!("entry {} has unregistered kind `{}`", e.index, e.kind));
        assert_eq!(e.version(), u64::from(kind.version), "entry {}", e.index);
        all.extend(problems(&e.kind, &body));
        seen.insert(e.kind.as_str());
    }
    assert!(
        all.is_empty(),
        "entries that do not match their schema:\n{}",
        all.join("\n")
    );
    // The workflows write every registered kind: a kind added without a test here fails.
    // (`ledger_layout` and `ledger_digests` are written only when an old
    // store moves: tamper_tables' version-2 migration test and
    // digests.rs's version-14 test check those entries against their schemas.)
    let registered: BTreeSet<&str> = KINDS
        .iter()
        .map(|k| k.name)
        .filter(|k| !["ledger_layout", "ledger_digests"].contains(k))
        .collect();
    assert_eq!(seen, registered, "kinds written vs registered");
    assert!(s.audit_verify(k).unwrap().problems.is_empty());

    // The schemas catch a body that carries what it should not.
    let find = |kind: &str| -> Value {
        let e = entries.iter().find(|e| e.kind == kind).unwrap();
        serde_json::from_str(&e.body).unwrap()
    };
    let mut b = find("request_opened");
    b["subject"] = hex_of(&k.subject_hash(b"p1")).into();
    assert!(
        !problems("request_opened", &b).is_empty(),
        "a subject hash must fail"
    );
    let mut b = find("complaint_received");
    b["text"] = "Why was my data sent?".into();
    assert!(
        !problems("complaint_received", &b).is_empty(),
        "a complaint's text must fail"
    );
    let mut b = find("batch");
    b["determination"]["determinations"][0]["subjects"] = json!(["p1"]);
    assert!(
        !problems("batch", &b).is_empty(),
        "a field deep in a batch must fail"
    );
    let mut b = find("route_suspended");
    b.as_object_mut().unwrap().remove("v");
    assert!(
        !problems("route_suspended", &b).is_empty(),
        "a missing version must fail"
    );
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn an_unregistered_kind_is_refused_and_nothing_is_written(s: &Store, k: &Keys) {
    s.set_route(k, "ana", "crm", true, "test").unwrap();
    let size = s.audit_size().unwrap();
    let head = s.audit_latest_head().unwrap().unwrap();
    for (kind, body) in [
        ("snapshot_typo", json!({"by": "ana"})),
        ("Batch", json!({"batch": 1})),
        ("", json!({})),
        ("route_suspended", json!("not an object")),
        ("route_suspended", json!({"transfer": "crm", "v": 7})),
        (
            "route_suspended",
            json!({"transfer": "crm", "ledger": "00"}),
        ),
    ] {
        let e = s.audit_append(k, kind, &body).unwrap_err();
        assert!(
            matches!(e, outbound_store::StoreError::Invalid { .. }),
            "{kind}: {e}"
        );
        let many = [
            (
                "route_resumed",
                json!({"transfer": "crm", "reason": "x", "by": "ana"}),
            ),
            (kind, body.clone()),
        ];
        s.audit_append_many(k, &many).unwrap_err();
        assert_eq!(s.audit_size().unwrap(), size, "{kind}: nothing written");
    }
    let e = s
        .audit_append(k, "snapshot_typo", &json!({}))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("snapshot_typo") && e.contains("entry_kinds"),
        "{e}"
    );
    assert_eq!(s.audit_latest_head().unwrap().unwrap().size, head.size);
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
    // The store still writes after the refusals.
    s.set_route(k, "ana", "crm", false, "test").unwrap();
    assert_eq!(s.audit_size().unwrap(), size + 1);
}

#[test]
fn every_kind_has_its_schema_file_and_every_file_its_kind() {
    let mut files = BTreeSet::new();
    for f in std::fs::read_dir(SCHEMA_DIR).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        let (kind, version) = name
            .strip_suffix(".json")
            .and_then(|n| n.rsplit_once(".v"))
            .unwrap_or_else(|| panic!("{name}: not <kind>.v<N>.json"));
        let version: u32 = version
            .parse()
            .unwrap_or_else(|_| panic!("{name}: version"));
        let k = lookup(kind).unwrap_or_else(|| panic!("{name}: kind `{kind}` is not registered"));
        assert!(
            (1..=k.version).contains(&version),
            "{name}: registered version {}",
            k.version
        );
        files.insert((kind.to_string(), version));
    }
    let mut names = BTreeSet::new();
    for k in KINDS {
        assert!(names.insert(k.name), "{} registered twice", k.name);
        assert!(k.version >= 1 && !k.description.is_empty(), "{}", k.name);
        for v in 1..=k.version {
            assert!(
                files.contains(&(k.name.to_string(), v)),
                "{}.v{v}.json missing",
                k.name
            );
        }
        // The embedded schema is the file of the current version.
        let path = format!("{SCHEMA_DIR}/{}.v{}.json", k.name, k.version);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), k.schema, "{path}");
        let s = schema(k.name);
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{}",
            k.name
        );
        assert_eq!(
            s["$id"],
            format!(
                "https://outbound.invalid/schemas/audit/{}.v{}.json",
                k.name, k.version
            )
        );
        assert!(
            jsonschema::meta::is_valid(&s),
            "{}: not a valid schema",
            k.name
        );
        // Fixed bodies: nothing but what the schema names, and what the store adds.
        assert_eq!(s["additionalProperties"], false, "{}", k.name);
        assert_eq!(s["properties"]["v"]["const"], k.version, "{}", k.name);
        assert!(s["properties"]["ledger"].is_object(), "{}", k.name);
        let props: BTreeSet<&str> = s["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let required: BTreeSet<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(props, required, "{}: every field is always written", k.name);
    }
    assert_eq!(
        files.len(),
        KINDS.iter().map(|k| k.version as usize).sum::<usize>()
    );
}

#[test]
fn every_schemas_examples_validate() {
    for k in KINDS {
        let s = schema(k.name);
        let examples = s["examples"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no examples", k.name));
        assert!(!examples.is_empty(), "{}", k.name);
        for ex in examples {
            let p = problems(k.name, ex);
            assert!(p.is_empty(), "{p:?}");
            assert_eq!(ex["v"], k.version, "{}", k.name);
        }
    }
}

#[test]
fn entries_without_a_version_are_version_0() {
    let Some((s, k, _d)) = fresh(false) else {
        return;
    };
    s.audit_append(&k, "test", &json!({"n": 1})).unwrap();
    s.set_route(&k, "ana", "crm", true, "x").unwrap();
    let e = s.audit_entries().unwrap();
    assert_eq!((e[0].version(), e[1].version()), (0, 1));
    assert!(!e[0].body.contains("\"v\""));
}
