//! Which transfers carried whom, on both backends: exact per transfer and
//! year, across years, only for committed batches, and committed by the log.

use outbound_store::{BatchQuery, BatchRecord, Keys, Store};

use crate::store::{ok, record, subjects, tamper};

both!(
    a_person_in_two_transfers_reaches_exactly_their_recipients_across_years,
    the_first_batch_of_a_year_is_kept_and_the_last_is_named,
    batches_outside_the_thresholds_still_record_who_they_carried,
    refused_and_dry_run_batches_record_nobody,
    a_delivery_removed_behind_the_log_is_found,
    a_transfers_batches_come_with_their_audit_entries,
);

fn to(transfer: &str, recipient: &str) -> BatchRecord {
    BatchRecord {
        recipient: recipient.into(),
        ..record(transfer)
    }
}

fn send(s: &Store, k: &Keys, rec: &BatchRecord, year: i16, ids: &[&str]) -> u64 {
    match s
        .record_batch(k, rec, year, &subjects(k, ids, false), false, ok)
        .unwrap()
    {
        outbound_store::Recorded::Committed { batch, .. } => batch,
        other => panic!("not committed: {other:?}"),
    }
}

fn a_person_in_two_transfers_reaches_exactly_their_recipients_across_years(s: &Store, k: &Keys) {
    send(s, k, &to("crm", "parent-sg"), 2025, &["p1", "p2"]);
    send(s, k, &to("analytics", "bi-de"), 2026, &["p1", "p3"]);
    send(s, k, &to("payroll", "hr-us"), 2026, &["p3"]);
    let who = |id: &str| -> Vec<(String, String, i64)> {
        s.deliveries_of(&k.subject_hash(id.as_bytes()))
            .unwrap()
            .into_iter()
            .map(|d| (d.transfer, d.recipient, d.year))
            .collect()
    };
    assert_eq!(
        who("p1"),
        [
            ("crm".to_string(), "parent-sg".to_string(), 2025),
            ("analytics".to_string(), "bi-de".to_string(), 2026)
        ]
    );
    assert_eq!(
        who("p2"),
        [("crm".to_string(), "parent-sg".to_string(), 2025)]
    );
    assert_eq!(who("p3").len(), 2);
    assert!(who("nobody").is_empty());
    assert_eq!(s.deliveries_count("crm", 2025).unwrap(), 2);
    assert_eq!(s.deliveries_count("analytics", 2026).unwrap(), 2);
    assert_eq!(s.deliveries_count("analytics", 2025).unwrap(), 0);
    assert!(s.audit_verify(k).unwrap().problems.is_empty());
}

fn the_first_batch_of_a_year_is_kept_and_the_last_is_named(s: &Store, k: &Keys) {
    let first = send(s, k, &to("crm", "parent-sg"), 2026, &["p1"]);
    send(s, k, &to("crm", "parent-sg"), 2026, &["p1", "p2"]);
    let last = send(s, k, &to("crm", "parent-sg"), 2026, &["p2"]);
    let d = s.deliveries_of(&k.subject_hash(b"p1")).unwrap();
    assert_eq!(d.len(), 1, "one row per transfer and year");
    assert_eq!(d[0].first_batch, first);
    assert_eq!(d[0].last_batch_of_year, last);
    assert_eq!(s.deliveries_count("crm", 2026).unwrap(), 2);
}

fn batches_outside_the_thresholds_still_record_who_they_carried(s: &Store, k: &Keys) {
    let rec = BatchRecord {
        counts_towards_thresholds: false,
        set_aside: Default::default(),
        map_sha256: "0".repeat(64),
        ..to("hr", "hr-us")
    };
    send(s, k, &rec, 2026, &["p1"]);
    assert_eq!(
        s.counts(&["acme-cn".into()], 2026, 2026)
            .unwrap()
            .individuals,
        0
    );
    assert_eq!(s.deliveries_of(&k.subject_hash(b"p1")).unwrap().len(), 1);
}

fn refused_and_dry_run_batches_record_nobody(s: &Store, k: &Keys) {
    let rec = to("crm", "parent-sg");
    let refuse = |_: &outbound_store::BatchCounts| Err("no".to_string());
    s.record_batch(k, &rec, 2026, &subjects(k, &["p1"], false), false, refuse)
        .unwrap();
    s.record_batch(k, &rec, 2026, &subjects(k, &["p1"], false), true, ok)
        .unwrap();
    assert!(s.deliveries_of(&k.subject_hash(b"p1")).unwrap().is_empty());
    assert_eq!(s.deliveries_count("crm", 2026).unwrap(), 0);
}

fn a_delivery_removed_behind_the_log_is_found(s: &Store, k: &Keys) {
    send(s, k, &to("crm", "parent-sg"), 2026, &["p1", "p2"]);
    // The transfer's run loses its only chunk (the run list still names it).
    tamper(
        s,
        r#"DELETE FROM keyset_chunks WHERE set_name = '["deliveries","crm",2026]'"#,
    );
    let problems = s.audit_verify(k).unwrap().problems;
    assert!(
        problems
            .iter()
            .any(|p| p.contains("deliveries of transfer \"crm\"")),
        "{problems:?}"
    );
}

/// A transfer's batches are read with the map digest the log holds for
/// each, in order, and no other transfer's.
fn a_transfers_batches_come_with_their_audit_entries(s: &Store, k: &Keys) {
    let judged = |t: &str, map: &str| BatchRecord {
        map_sha256: map.into(),
        ..record(t)
    };
    let a = send(s, k, &judged("crm", &"a".repeat(64)), 2026, &["p1"]);
    let other = send(s, k, &judged("payroll", &"b".repeat(64)), 2026, &["p2"]);
    let c = send(s, k, &judged("crm", &"c".repeat(64)), 2026, &["p3", "p4"]);
    assert_eq!(
        s.batch_map_digests(Some("crm")).unwrap(),
        [(a, Some("a".repeat(64))), (c, Some("c".repeat(64)))]
    );
    let all: Vec<u64> = s
        .batch_map_digests(None)
        .unwrap()
        .iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(all, [a, other, c]);
    assert!(s.batch_map_digests(Some("nothing")).unwrap().is_empty());

    // A page: by id either way, after and before an id, at most `limit`,
    // one transfer's; each batch with its entry's digest.
    let d = send(s, k, &judged("crm", &"d".repeat(64)), 2026, &["p5"]);
    let page = |q: BatchQuery<'_>| -> Vec<(u64, Option<String>)> {
        s.batch_page(&q)
            .unwrap()
            .into_iter()
            .map(|j| (j.batch.id, j.map_sha256))
            .collect()
    };
    let crm = |q: BatchQuery<'static>| BatchQuery {
        transfers: Some(&["crm"]),
        ..q
    };
    let ids = |v: Vec<(u64, Option<String>)>| v.into_iter().map(|e| e.0).collect::<Vec<_>>();
    assert_eq!(
        page(crm(BatchQuery::default())),
        [
            (a, Some("a".repeat(64))),
            (c, Some("c".repeat(64))),
            (d, Some("d".repeat(64)))
        ]
    );
    let newest_first = BatchQuery {
        newest_first: true,
        limit: 2,
        ..BatchQuery::default()
    };
    assert_eq!(ids(page(crm(newest_first.clone()))), [d, c]);
    assert_eq!(ids(page(newest_first.clone())), [d, c]);
    let before_c = BatchQuery {
        before: Some(c),
        ..newest_first.clone()
    };
    assert_eq!(ids(page(crm(before_c.clone()))), [a]);
    assert_eq!(ids(page(before_c)), [other, a]);
    let after_a = BatchQuery {
        after: Some(a),
        limit: 1,
        ..BatchQuery::default()
    };
    assert_eq!(ids(page(crm(after_a.clone()))), [c]);
    assert_eq!(ids(page(after_a)), [other]);
    assert!(
        page(BatchQuery {
            after: Some(d),
            ..BatchQuery::default()
        })
        .is_empty()
    );
    // Several transfers' (a recipient's), and none of an empty list.
    let of = |transfers: &[&str]| {
        ids(page(BatchQuery {
            transfers: Some(transfers),
            ..BatchQuery::default()
        }))
    };
    assert_eq!(of(&["payroll", "crm"]), [a, other, c, d]);
    assert_eq!(of(&["payroll", "nothing"]), [other]);
    assert!(of(&[]).is_empty());
    assert_eq!(s.transfer_batch_count("crm").unwrap(), 3);
    assert_eq!(s.transfer_batch_count("nothing").unwrap(), 0);
    // A batch whose entry is gone is listed, its map not recorded (the
    // log's verification says the entry is missing).
    tamper(
        s,
        &format!(
            "DELETE FROM audit_entries WHERE idx = (SELECT audit_index FROM batches WHERE id = {c})"
        ),
    );
    assert_eq!(
        page(crm(BatchQuery::default())),
        [
            (a, Some("a".repeat(64))),
            (c, None),
            (d, Some("d".repeat(64)))
        ]
    );
}
