//! Compliance snapshots (one per period, corrections named), an
//! association's members and collected snapshots, and the checks of a
//! collected snapshot against its member's signed checkpoint and tiles.

use outbound_store::cosign::{Cosignature, Cosigner, WitnessPolicy};
use outbound_store::snapshots::{
    LocalLog, LocalWitnessedLog, LogReader, Published, check_member, check_published, log_origin,
};
use outbound_store::{Keys, Store, StoreError, c2sp};

use crate::store::tamper;

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
    a_witnessed_member_needs_its_quorum_of_cosignatures,
    a_forged_cosignature_is_not_counted,
    a_members_witnesses_are_stored_logged_and_committed,
    bad_witnesses_store_nothing,
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

fn witness(n: u8) -> (String, ed25519_dalek::SigningKey, String) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[n; 32]);
    let name = format!("witness.example/w{n}");
    let vkey = Cosigner::new(&name, key.verifying_key())
        .unwrap()
        .verifier_key();
    (name, key, vkey)
}

/// The member's log, serving as its witnessed checkpoint its newest signed
/// checkpoint with the cosignature lines `cosign` makes from its body.
struct Cosigned<'a, F: Fn(&str) -> Vec<String>> {
    log: LocalLog<'a>,
    cosign: F,
}

impl<F: Fn(&str) -> Vec<String>> LogReader for Cosigned<'_, F> {
    fn checkpoint(&self) -> Result<String, String> {
        self.log.checkpoint()
    }
    fn tile(&self, path: &str) -> Result<Vec<u8>, String> {
        self.log.tile(path)
    }
    fn witnessed_checkpoint(&self) -> Result<String, String> {
        let note = self.log.checkpoint()?;
        let body = &note[..note.rfind("\n\n").unwrap() + 1];
        Ok(outbound_store::cosign::with_lines(
            &note,
            &(self.cosign)(body),
        ))
    }
}

fn member_with(
    s: &Store,
    k: &Keys,
    witnesses: &[String],
    quorum: u32,
) -> outbound_store::snapshots::Member {
    s.add_member_witnessed(
        k,
        "ana",
        "lumen",
        "http://a",
        &verifier(k),
        witnesses,
        quorum,
    )
    .unwrap()
}

fn a_witnessed_member_needs_its_quorum_of_cosignatures(s: &Store, k: &Keys) {
    let p = publish(s, k, "2026-Q3");
    let (n1, k1, v1) = witness(1);
    let (n2, k2, v2) = witness(2);
    let (n3, k3, _) = witness(3);
    let m = member_with(s, k, &[v1.clone(), v2.clone()], 2);
    assert_eq!((m.witnesses.clone(), m.witness_quorum), (vec![v1, v2], 2));
    let sign = |name: &str, key: &ed25519_dalek::SigningKey, body: &str| {
        Cosignature::sign(name, key, body, 1_700_000_000)
            .unwrap()
            .line()
    };
    // Both witnesses cosign: rated against that checkpoint, naming them.
    let both = Cosigned {
        log: local(s, k),
        cosign: |b: &str| vec![sign(&n2, &k2, b), sign(&n1, &k1, b)],
    };
    let v = check_member(&p, &m, &both).unwrap();
    assert_eq!(v.witnesses, vec![n2.clone(), n1.clone()]);
    assert!(v.checkpoint.contains(&format!("\u{2014} {n1} ")));
    let c = s.record_collection(k, "ana", "lumen", &p, &Ok(v)).unwrap();
    assert!(c.verified);
    assert_eq!(c.witnesses(), vec![n2.clone(), n1.clone()]);
    // One of two (the quorum exactly missed), and a witness not named for
    // the member (not counted), and the same witness twice (counted once).
    let one = Cosigned {
        log: local(s, k),
        cosign: |b: &str| vec![sign(&n1, &k1, b), sign(&n1, &k1, b), sign(&n3, &k3, b)],
    };
    let e = check_member(&p, &m, &one).unwrap_err();
    assert_eq!(e.reason, "not witnessed (1 of 2 cosignatures)");
    let c = s.record_collection(k, "ana", "lumen", &p, &Err(e)).unwrap();
    assert!(!c.verified);
    assert_eq!(
        c.reason.as_deref(),
        Some("not witnessed (1 of 2 cosignatures)")
    );
    // The plain checkpoint (no witnessed one served) is not enough.
    let e = check_member(&p, &m, &local(s, k)).unwrap_err();
    assert!(
        e.reason.contains("witnessed checkpoint could not be read"),
        "{}",
        e.reason
    );
    // The member's own check without witnesses still passes, naming none.
    assert!(
        check_published(&p, &verifier(k), &one)
            .unwrap()
            .witnesses
            .is_empty()
    );
    // Served by the store from the cosignatures it kept (as its server does).
    let policy = WitnessPolicy::parse(&m.witnesses, 1).unwrap();
    let (cp, note) = s.audit_checkpoint(k, &log_origin(k)).unwrap();
    let cosigned = outbound_store::cosign::with_lines(&note, &[sign(&n1, &k1, &cp.body())]);
    s.cosign_record(k, &log_origin(k), &cosigned, &policy)
        .unwrap();
    let served = LocalWitnessedLog {
        log: local(s, k),
        policy,
    };
    let e = check_member(&p, &m, &served).unwrap_err();
    assert_eq!(e.reason, "not witnessed (1 of 2 cosignatures)");
    let m1 = outbound_store::snapshots::Member {
        witness_quorum: 1,
        ..m
    };
    assert_eq!(check_member(&p, &m1, &served).unwrap().witnesses, vec![n1]);
}

fn a_forged_cosignature_is_not_counted(s: &Store, k: &Keys) {
    let p = publish(s, k, "2026-Q3");
    let (n1, k1, v1) = witness(1);
    let (_, k9, _) = witness(9);
    let m = member_with(s, k, &[v1], 1);
    // Signed by another key under the witness's name and key id.
    let forged = Cosigned {
        log: local(s, k),
        cosign: |b: &str| {
            vec![
                Cosignature::sign(&n1, &k9, b, 5)
                    .map(|mut c| {
                        c.key_id = Cosigner::new(&n1, k1.verifying_key()).unwrap().id;
                        c.line()
                    })
                    .unwrap(),
            ]
        },
    };
    let e = check_member(&p, &m, &forged).unwrap_err();
    assert_eq!(e.reason, "not witnessed (0 of 1 cosignatures)");
    // A real cosignature of another checkpoint (a rolled-back or forked body).
    let other = Cosigned {
        log: local(s, k),
        cosign: |b: &str| {
            let b = b.replacen('\n', "\n1", 1);
            vec![Cosignature::sign(&n1, &k1, &b, 5).unwrap().line()]
        },
    };
    let e = check_member(&p, &m, &other).unwrap_err();
    assert_eq!(e.reason, "not witnessed (0 of 1 cosignatures)");
    // A genuine one is counted; the forged line beside it is dropped from the
    // checkpoint kept.
    let mixed = Cosigned {
        log: local(s, k),
        cosign: |b: &str| {
            let mut f = Cosignature::sign(&n1, &k9, b, 5).unwrap();
            f.key_id = Cosigner::new(&n1, k1.verifying_key()).unwrap().id;
            vec![f.line(), Cosignature::sign(&n1, &k1, b, 6).unwrap().line()]
        },
    };
    let v = check_member(&p, &m, &mixed).unwrap();
    assert_eq!(v.witnesses, vec![n1]);
    assert_eq!(
        v.checkpoint
            .lines()
            .filter(|l| l.starts_with('\u{2014}'))
            .count(),
        2
    );
}

fn a_members_witnesses_are_stored_logged_and_committed(s: &Store, k: &Keys) {
    let (_, _, v1) = witness(1);
    let m = member_with(s, k, std::slice::from_ref(&v1), 1);
    let (kind, body) = last(s);
    assert_eq!(kind, "member_added");
    assert_eq!(body["v"], 2);
    assert_eq!(body["witnesses"], serde_json::json!([v1]));
    assert_eq!(body["witness_quorum"], 1);
    assert_eq!(s.members().unwrap(), vec![m]);
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
    // A member without witnesses logs an empty list and a quorum of 0.
    s.add_member(k, "ana", "plain", "http://b", &verifier(k))
        .unwrap();
    let (_, body) = last(s);
    assert_eq!(
        (body["witnesses"].clone(), body["witness_quorum"].clone()),
        (serde_json::json!([]), serde_json::json!(0))
    );
    // The quorum edited behind the log is found and refused.
    tamper(
        s,
        "UPDATE members SET witness_quorum = 0 WHERE name = 'lumen'",
    );
    assert_found_and_refused(s, k, "a member's witness quorum lowered");
}

fn bad_witnesses_store_nothing(s: &Store, k: &Keys) {
    let (_, _, v1) = witness(1);
    let size = s.audit_size().unwrap();
    let log_key = verifier(k);
    for (ws, q) in [
        (vec![v1.clone()], 2u32),
        (vec![v1.clone(), v1.clone()], 1),
        (vec!["not a key".to_string()], 1),
        (vec![log_key], 1),
        (vec![], 1),
    ] {
        let e = s
            .add_member_witnessed(k, "ana", "lumen", "http://a", &verifier(k), &ws, q)
            .unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{ws:?} {q}: {e}");
    }
    assert_eq!(s.audit_size().unwrap(), size);
    assert!(s.members().unwrap().is_empty());
    // The boundary: a quorum equal to the number of witnesses is accepted.
    s.add_member_witnessed(k, "ana", "lumen", "http://a", &verifier(k), &[v1], 1)
        .unwrap();
}
