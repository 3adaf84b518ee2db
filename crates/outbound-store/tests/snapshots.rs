//! Compliance snapshots (one per period, corrections named), an
//! association's members and collected snapshots, and the checks of a
//! collected snapshot against its member's signed checkpoint and tiles.

use outbound_store::snapshots::{LocalLog, Published, check_published, log_origin};
use outbound_store::{Keys, Store, StoreError, c2sp};

use crate::store::tamper;

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { if let Some((s, k, _d)) = crate::store::fresh(false) { super::$name(&s, &k) } } )* }
        mod postgres { $( #[test] fn $name() { if let Some((s, k, _d)) = crate::store::fresh(true) { super::$name(&s, &k) } } )* }
    };
}

both!(
    one_snapshot_per_period_and_corrections_name_the_first,
    bad_periods_and_origins_store_nothing,
    a_published_snapshot_checks_against_its_log,
    a_tampered_snapshot_fails_its_signature,
    a_snapshot_not_in_the_log_fails_inclusion,
    inclusion_across_many_tiles,
    members_and_collections_are_logged,
    a_snapshot_slipped_into_the_database_is_found,
    a_member_edited_in_the_database_is_found,
);

fn doc(period: &str, corrects: Option<&str>) -> String {
    serde_json::json!({"format": "outbound-snapshot/v1", "period": period, "corrects": corrects, "transfers": []})
        .to_string()
}

fn verifier(k: &Keys) -> String {
    c2sp::verifier_key(&log_origin(k), &k.verifying())
}

fn local<'a>(s: &'a Store, k: &'a Keys) -> LocalLog<'a> {
    LocalLog {
        store: s,
        keys: k,
        origin: log_origin(k),
    }
}

fn one_snapshot_per_period_and_corrections_name_the_first(s: &Store, k: &Keys) {
    let o = log_origin(k);
    let first = s
        .publish_snapshot(k, "cli", &o, "2026-Q4", &doc("2026-Q4", None), None)
        .unwrap();
    assert_eq!(first.seq, 1);
    let e = s.audit_entries().unwrap().pop().unwrap();
    assert_eq!((e.index, e.kind.as_str()), (first.log_index, "snapshot"));
    let body: serde_json::Value = serde_json::from_str(&e.body).unwrap();
    assert_eq!(body["period"], "2026-Q4");
    assert_eq!(body["sha256"], first.sha256.as_str());
    assert_eq!(body["by"], "cli");
    // A second one for the period is refused, and nothing is stored.
    let size = s.audit_size().unwrap();
    let err = s
        .publish_snapshot(k, "cli", &o, "2026-Q4", &doc("2026-Q4", None), None)
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains(&first.sha256), "{err}");
    // A correction must name the newest snapshot of the period.
    let err = s
        .publish_snapshot(
            k,
            "cli",
            &o,
            "2026-Q4",
            &doc("2026-Q4", Some("ab")),
            Some("ab"),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let err = s
        .publish_snapshot(
            k,
            "cli",
            &o,
            "2026-Q3",
            &doc("2026-Q3", Some("ab")),
            Some("ab"),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(s.audit_size().unwrap(), size);
    let fix = doc("2026-Q4", Some(&first.sha256));
    let second = s
        .publish_snapshot(k, "cli", &o, "2026-Q4", &fix, Some(&first.sha256))
        .unwrap();
    assert_eq!(second.seq, 2);
    let body: serde_json::Value =
        serde_json::from_str(&s.audit_entries().unwrap().pop().unwrap().body).unwrap();
    assert_eq!(body["corrects"], first.sha256.as_str());
    assert_eq!(s.snapshot("2026-Q4").unwrap().unwrap(), second);
    assert_eq!(s.snapshots().unwrap(), vec![first, second]);
    assert!(s.snapshot("2026-Q1").unwrap().is_none());
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn bad_periods_and_origins_store_nothing(s: &Store, k: &Keys) {
    let o = log_origin(k);
    for p in ["2026", "2026-Q5", "2026-q4", "26-Q1", "2026-Q0", "2026-Q44"] {
        let e = s
            .publish_snapshot(k, "cli", &o, p, &doc(p, None), None)
            .unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{p}: {e}");
    }
    let e = s
        .publish_snapshot(
            k,
            "cli",
            "bad origin",
            "2026-Q1",
            &doc("2026-Q1", None),
            None,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::InvalidOrigin), "{e}");
    assert_eq!(s.audit_size().unwrap(), 0);
    assert!(s.snapshots().unwrap().is_empty());
}

fn publish(s: &Store, k: &Keys, period: &str) -> Published {
    s.publish_snapshot(k, "cli", &log_origin(k), period, &doc(period, None), None)
        .unwrap()
}

fn a_published_snapshot_checks_against_its_log(s: &Store, k: &Keys) {
    s.audit_append(k, "test", &serde_json::json!({"n": 0}))
        .unwrap();
    let p = publish(s, k, "2026-Q3");
    s.audit_append(k, "test", &serde_json::json!({"n": 1}))
        .unwrap();
    let v = check_published(&p, &verifier(k), &local(s, k)).unwrap();
    assert_eq!(v.checkpoint_size, 3);
    assert_eq!(v.json["period"], "2026-Q3");
    // Another member's key does not open it.
    let other = Keys::create(&tempfile::tempdir().unwrap().path().join("k")).unwrap();
    let e = check_published(&p, &verifier(&other), &local(s, k)).unwrap_err();
    assert!(e.reason.contains("signature"), "{e}");
}

fn a_tampered_snapshot_fails_its_signature(s: &Store, k: &Keys) {
    let p = publish(s, k, "2026-Q3");
    let mut bad = p.clone();
    bad.note = bad.note.replace("\"transfers\":[]", "\"transfers\":[1]");
    assert_ne!(bad.note, p.note);
    let e = check_published(&bad, &verifier(k), &local(s, k)).unwrap_err();
    assert!(e.reason.contains("the snapshot's signature"), "{e}");
    // A claimed hash that is not the body's.
    let mut bad = p.clone();
    bad.sha256 = "00".repeat(32);
    let e = check_published(&bad, &verifier(k), &local(s, k)).unwrap_err();
    assert!(e.reason.contains("SHA-256"), "{e}");
}

fn a_snapshot_not_in_the_log_fails_inclusion(s: &Store, k: &Keys) {
    // Signed with the member's key but never logged: its index points at
    // another entry (or beyond the checkpoint).
    s.audit_append(k, "test", &serde_json::json!({"n": 0}))
        .unwrap();
    s.audit_append(k, "test", &serde_json::json!({"n": 1}))
        .unwrap();
    let json = doc("2026-Q2", None);
    let note = c2sp::sign_note(&log_origin(k), k.signing(), &format!("{json}\n"));
    let mut p = Published {
        period: "2026-Q2".into(),
        seq: 1,
        sha256: outbound_store::snapshots::sha256_hex(&json),
        note,
        log_index: 1,
        created_at: "2026-11-30T00:00:00Z".into(),
    };
    let e = check_published(&p, &verifier(k), &local(s, k)).unwrap_err();
    assert!(e.reason.contains("not the `snapshot` entry"), "{e}");
    assert!(e.checkpoint.is_some());
    p.log_index = 9;
    let e = check_published(&p, &verifier(k), &local(s, k)).unwrap_err();
    assert!(e.reason.contains("does not reach log entry 9"), "{e}");
    // A published snapshot checked against a log that forked (a tile
    // served from another history) fails inclusion.
    let real = publish(s, k, "2026-Q2");
    struct Forked<'a>(LocalLog<'a>);
    impl outbound_store::snapshots::LogReader for Forked<'_> {
        fn checkpoint(&self) -> Result<String, String> {
            self.0.checkpoint()
        }
        fn tile(&self, path: &str) -> Result<Vec<u8>, String> {
            let mut t = self.0.tile(path)?;
            if path.starts_with("tile/0/") {
                t[0] ^= 1;
            }
            Ok(t)
        }
    }
    let e = check_published(&real, &verifier(k), &Forked(local(s, k))).unwrap_err();
    assert!(e.reason.contains("not included"), "{e}");
}

fn inclusion_across_many_tiles(s: &Store, k: &Keys) {
    let filler: Vec<(&str, serde_json::Value)> = (0..300)
        .map(|i| ("test", serde_json::json!({"n": i})))
        .collect();
    s.audit_append_many(k, &filler).unwrap();
    let a = publish(s, k, "2025-Q4"); // index 300: the second, partial level-0 tile
    s.audit_append_many(k, &filler).unwrap();
    let b = publish(s, k, "2026-Q1"); // index 601: the third tile
    s.audit_append_many(k, &filler[..10]).unwrap();
    for p in [&a, &b] {
        let v = check_published(p, &verifier(k), &local(s, k)).unwrap();
        assert_eq!(v.checkpoint_size, 612, "{}", p.period);
    }
    // Exactly at a tile boundary: 768 entries, the last one the snapshot.
    s.audit_append_many(k, &filler[..155]).unwrap();
    let c = publish(s, k, "2026-Q2");
    assert_eq!(c.log_index, 767);
    let v = check_published(&c, &verifier(k), &local(s, k)).unwrap();
    assert_eq!(v.checkpoint_size, 768);
}

fn members_and_collections_are_logged(s: &Store, k: &Keys) {
    let member_keys = Keys::create(&tempfile::tempdir().unwrap().path().join("k")).unwrap();
    let v = verifier(&member_keys);
    let m = s
        .add_member(k, "ana", "lumen", "http://127.0.0.1:8080/", &v)
        .unwrap();
    assert_eq!(m.url, "http://127.0.0.1:8080");
    let (kind, body) = last(s);
    assert_eq!(kind, "member_added");
    assert_eq!(body["member"], "lumen");
    for (name, url, key) in [
        ("lumen", "http://x", v.as_str()),
        ("Bad Name", "http://x", v.as_str()),
        ("other", "ftp://x", v.as_str()),
        ("other", "http://x", "not a key"),
    ] {
        let e = s.add_member(k, "ana", name, url, key).unwrap_err();
        assert!(
            matches!(e, StoreError::Conflict { .. } | StoreError::Invalid { .. }),
            "{name} {url}: {e}"
        );
    }
    assert_eq!(s.members().unwrap(), vec![m.clone()]);
    let p = Published {
        period: "2026-Q4".into(),
        seq: 1,
        sha256: "ab".repeat(32),
        note: "x".into(),
        log_index: 4,
        created_at: "2026-11-30T00:00:00Z".into(),
    };
    let outcome = Err(outbound_store::snapshots::CheckError {
        reason: "the snapshot's signature: no signature by the verifier key".into(),
        checkpoint: None,
    });
    let c = s
        .record_collection(k, "ana", "lumen", &p, &outcome)
        .unwrap();
    assert!(!c.verified);
    let (kind, body) = last(s);
    assert_eq!(kind, "snapshot_collected");
    assert_eq!(body["verified"], false);
    assert_eq!(body["log_index"], 4);
    let e = s
        .record_collection(k, "ana", "ghost", &p, &outcome)
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    assert_eq!(s.collected(Some("2026-Q4")).unwrap(), vec![c]);
    assert!(s.collected(Some("2026-Q3")).unwrap().is_empty());
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn last(s: &Store) -> (String, serde_json::Value) {
    let e = s.audit_entries().unwrap().pop().unwrap();
    (e.kind, serde_json::from_str(&e.body).unwrap())
}

fn assert_found_and_refused(s: &Store, k: &Keys, what: &str) {
    assert!(
        !s.audit_verify(k).unwrap().problems.is_empty(),
        "{what}: `audit verify` found nothing"
    );
    let before = s.audit_size().unwrap();
    let e = s
        .publish_snapshot(
            k,
            "cli",
            &log_origin(k),
            "2027-Q1",
            &doc("2027-Q1", None),
            None,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{what}: {e}");
    assert_eq!(s.audit_size().unwrap(), before, "{what}");
}

fn a_snapshot_slipped_into_the_database_is_found(s: &Store, k: &Keys) {
    publish(s, k, "2026-Q3");
    tamper(
        s,
        "INSERT INTO snapshots (period, seq, sha256, note, log_index, created_at) \
         VALUES ('2026-Q3', 2, 'ab', 'x', 0, '2026-11-30T00:00:00Z')",
    );
    assert_found_and_refused(s, k, "a correction slipped in");
}

fn a_member_edited_in_the_database_is_found(s: &Store, k: &Keys) {
    s.add_member(k, "ana", "lumen", "http://a", &verifier(k))
        .unwrap();
    tamper(
        s,
        "UPDATE members SET url = 'http://evil' WHERE name = 'lumen'",
    );
    assert_found_and_refused(s, k, "a member's URL changed");
}
