//! Witnesses' cosignatures (C2SP `tlog-cosignature` v1) kept by the store,
//! on both backends: only valid cosignatures of configured witnesses over
//! checkpoints the log signed are kept, and the witnessed checkpoint needs
//! the quorum.

use ed25519_dalek::SigningKey;
use outbound_store::c2sp::{Checkpoint, default_origin, open_note, verifier_key};
use outbound_store::cosign::{Cosignature, Cosigner, WitnessPolicy, split_note, with_lines};
use outbound_store::{Keys, Store, StoreError};

use crate::store::tamper;

both!(
    cosignatures_of_configured_witnesses_are_kept_once,
    bad_cosignatures_are_refused_and_nothing_is_stored,
    the_witnessed_checkpoint_needs_the_quorum,
    a_cosignature_edited_in_the_database_is_not_counted,
);

fn witness(n: u8) -> (SigningKey, Cosigner) {
    let k = SigningKey::from_bytes(&[n; 32]);
    let c = Cosigner::new(&format!("witness.example/w{n}"), k.verifying_key()).unwrap();
    (k, c)
}

fn grow(s: &Store, k: &Keys, n: usize) {
    for i in 0..n {
        // Any entry will do: a route suspended, resumed, suspended …
        s.set_route(k, "test", "route-a", i % 2 == 0, "a test")
            .unwrap();
    }
}

/// The log's checkpoint note now, cosigned by each of `by` at `time`.
fn cosigned(s: &Store, k: &Keys, by: &[&(SigningKey, Cosigner)], time: u64) -> String {
    let origin = default_origin(&k.verifying());
    let (cp, note) = s.audit_checkpoint(k, &origin).unwrap();
    let lines: Vec<String> = by
        .iter()
        .map(|(key, c)| {
            Cosignature::sign(&c.name, key, &cp.body(), time)
                .unwrap()
                .line()
        })
        .collect();
    with_lines(&note, &lines)
}

fn policy(ws: &[&Cosigner], quorum: usize) -> WitnessPolicy {
    let keys: Vec<String> = ws.iter().map(|c| c.verifier_key()).collect();
    WitnessPolicy::parse(&keys, quorum).unwrap()
}

fn cosignatures_of_configured_witnesses_are_kept_once(s: &Store, k: &Keys) {
    let origin = default_origin(&k.verifying());
    grow(s, k, 3);
    let (w1, w2) = (witness(1), witness(2));
    let p = policy(&[&w1.1, &w2.1], 1);
    let note = cosigned(s, k, &[&w1, &w2], 1_700_000_000);
    assert_eq!(s.cosign_record(k, &origin, &note, &p).unwrap(), 2);
    assert_eq!(
        s.cosign_record(k, &origin, &note, &p).unwrap(),
        0,
        "kept once"
    );
    let kept = s.cosignatures().unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].size, 3);
    assert_eq!(kept[0].witness, "witness.example/w1");
    assert_eq!(kept[0].time, 1_700_000_000);
    // Nothing was appended to the log for them.
    assert_eq!(s.audit_size().unwrap(), 3);
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn bad_cosignatures_are_refused_and_nothing_is_stored(s: &Store, k: &Keys) {
    let origin = default_origin(&k.verifying());
    grow(s, k, 2);
    let (w1, w2) = (witness(1), witness(2));
    let p = policy(&[&w1.1], 0);
    let refused = |note: &str, what: &str| {
        let e = s.cosign_record(k, &origin, note, &p).unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
        assert!(e.to_string().contains(what), "{e}");
    };
    // A witness the company did not configure.
    refused(
        &cosigned(s, k, &[&w2], 1),
        "unknown witness `witness.example/w2`",
    );
    // A cosignature that does not verify (made over another body).
    let (cp, note) = s.audit_checkpoint(k, &origin).unwrap();
    let other = Checkpoint {
        size: cp.size + 1,
        ..cp.clone()
    };
    let bad = Cosignature::sign(&w1.1.name, &w1.0, &other.body(), 1).unwrap();
    refused(&with_lines(&note, &[bad.line()]), "does not verify");
    // No cosignature at all.
    refused(&note, "no cosignature");
    // A checkpoint the log never signed: signed with its key, but of a size
    // and root it has no head for.
    let forged = Checkpoint {
        size: 99,
        ..cp.clone()
    };
    let line = Cosignature::sign(&w1.1.name, &w1.0, &forged.body(), 1)
        .unwrap()
        .line();
    refused(
        &with_lines(&forged.sign(k.signing()), &[line]),
        "never signed",
    );
    // A note signed by another key.
    let other_key = SigningKey::from_bytes(&[9; 32]);
    let line = Cosignature::sign(&w1.1.name, &w1.0, &cp.body(), 1)
        .unwrap()
        .line();
    refused(
        &with_lines(&cp.sign(&other_key), &[line]),
        "not a checkpoint signed by this log",
    );
    assert!(s.cosignatures().unwrap().is_empty());
    // Policies: a bad key, a duplicate, a quorum beyond the list.
    assert!(WitnessPolicy::parse(&["nope".into()], 0).is_err());
    assert!(WitnessPolicy::parse(&[w1.1.verifier_key(), w1.1.verifier_key()], 1).is_err());
    assert!(WitnessPolicy::parse(&[w1.1.verifier_key()], 2).is_err());
    assert!(WitnessPolicy::parse(&[w1.1.verifier_key()], 1).is_ok());
    // A log's own (0x01) key is no witness key.
    assert!(WitnessPolicy::parse(&[verifier_key("w", &w1.0.verifying_key())], 0).is_err());
}

fn the_witnessed_checkpoint_needs_the_quorum(s: &Store, k: &Keys) {
    let origin = default_origin(&k.verifying());
    let log_vkey = verifier_key(&origin, &k.verifying());
    grow(s, k, 2);
    let (w1, w2) = (witness(1), witness(2));
    let p0 = policy(&[&w1.1, &w2.1], 0);
    let p1 = policy(&[&w1.1, &w2.1], 1);
    let p2 = policy(&[&w1.1, &w2.1], 2);
    // Quorum 0: the newest checkpoint, as /log/checkpoint serves it.
    let (cp, note, n) = s.witnessed_checkpoint(k, &origin, &p0).unwrap().unwrap();
    assert_eq!((cp.size, n), (2, 0));
    assert_eq!(note, s.audit_checkpoint(k, &origin).unwrap().1);
    assert!(s.witnessed_checkpoint(k, &origin, &p1).unwrap().is_none());
    // Size 2 cosigned by w1 only, then the log grows and size 4 is cosigned by both.
    s.cosign_record(k, &origin, &cosigned(s, k, &[&w1], 10), &p1)
        .unwrap();
    grow(s, k, 2);
    let (cp, _, n) = s.witnessed_checkpoint(k, &origin, &p1).unwrap().unwrap();
    assert_eq!((cp.size, n), (2, 1));
    assert!(s.witnessed_checkpoint(k, &origin, &p2).unwrap().is_none());
    s.cosign_record(k, &origin, &cosigned(s, k, &[&w1, &w2], 20), &p1)
        .unwrap();
    let (cp, note, n) = s.witnessed_checkpoint(k, &origin, &p2).unwrap().unwrap();
    assert_eq!((cp.size, n), (4, 2));
    // The note opens with the log's key, and carries both cosignatures, each verifying.
    assert_eq!(Checkpoint::open(&note, &log_vkey).unwrap(), cp);
    let (body, lines) = split_note(&note).unwrap();
    assert_eq!(lines.len(), 3);
    for (line, w) in lines[1..].iter().zip([&w1.1, &w2.1]) {
        assert!(w.verifies(body, &Cosignature::parse_line(line).unwrap()));
    }
    assert!(open_note(&note, &log_vkey).is_ok());
    // The newest checkpoint (size 5) with no cosignature still counts for quorum 0.
    grow(s, k, 1);
    assert_eq!(
        s.witnessed_checkpoint(k, &origin, &p0)
            .unwrap()
            .unwrap()
            .0
            .size,
        5
    );
    assert_eq!(
        s.witnessed_checkpoint(k, &origin, &p1)
            .unwrap()
            .unwrap()
            .0
            .size,
        4
    );
    // Only the configured witnesses count: w2 alone configured, quorum 1 is size 4.
    let only2 = policy(&[&w2.1], 1);
    assert_eq!(
        s.witnessed_checkpoint(k, &origin, &only2)
            .unwrap()
            .unwrap()
            .0
            .size,
        4
    );
}

fn a_cosignature_edited_in_the_database_is_not_counted(s: &Store, k: &Keys) {
    let origin = default_origin(&k.verifying());
    grow(s, k, 2);
    let w1 = witness(1);
    let p1 = policy(&[&w1.1], 1);
    s.cosign_record(k, &origin, &cosigned(s, k, &[&w1], 10), &p1)
        .unwrap();
    assert!(s.witnessed_checkpoint(k, &origin, &p1).unwrap().is_some());
    // The timestamp changed behind the server: the line no longer verifies.
    let line = s.cosignatures().unwrap()[0].line.clone();
    let mut c = Cosignature::parse_line(&line).unwrap();
    c.time += 1;
    tamper(s, &format!("UPDATE cosignatures SET line = '{}'", c.line()));
    assert!(s.witnessed_checkpoint(k, &origin, &p1).unwrap().is_none());
    // A row slipped in for a size the log never signed is not counted either.
    tamper(
        s,
        &format!("UPDATE cosignatures SET line = '{line}', size = 7"),
    );
    assert!(s.witnessed_checkpoint(k, &origin, &p1).unwrap().is_none());
}
