//! Rolling windows of deliveries (the US rule's "preceding 12 months" per
//! counterparty, 28 CFR §202.205): every transfer-year keeps the first and
//! last day it carried each person, so a window is counted exactly, checked
//! here against a plain model of (person, transfer, day) at a size where the
//! days' runs merge, across a year boundary, with batches recorded out of
//! date order, on both backends.

use crate::keysets::Rng;
use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, date};
use outbound_store::{
    BatchDay, BatchRecord, DeliveryWindow, Keys, Recorded, Store, StoreError, Subject,
};

use crate::store::{ok, record, tamper};

both!(
    windows_equal_the_model_across_years_and_merges,
    a_person_leaves_the_window_the_day_after_twelve_months,
    a_batch_that_gives_only_its_year_counts_on_every_day_of_it,
    days_edited_behind_the_log_are_refused,
    days_are_kept_once_a_gate_counts_windows_and_from_then_on,
    a_window_with_a_limit_is_counted_up_to_it,
);

fn person(k: &Keys, p: u64) -> [u8; 16] {
    k.subject_hash(format!("person-{p}").as_bytes())
}

fn to(transfer: &str) -> BatchRecord {
    BatchRecord {
        recipient: "acme-us".into(),
        ..record(transfer)
    }
}

/// Records a committed batch of `people` on `on`, by a gate that counts
/// windows over the transfer (so its days are kept).
fn send(s: &Store, k: &Keys, transfer: &str, on: BatchDay, people: &[u64]) {
    let window = DeliveryWindow::new(&[transfer], date(2026, 1, 1), date(2026, 12, 31));
    send_asking(s, k, transfer, on, people, &[window]);
}

/// Records a committed batch of `people` on `on` whose gate counts `windows`.
fn send_asking(
    s: &Store,
    k: &Keys,
    transfer: &str,
    on: BatchDay,
    people: &[u64],
    windows: &[DeliveryWindow],
) {
    let subjects: Vec<Subject> = people
        .iter()
        .map(|p| Subject {
            hash: person(k, *p),
            sensitive: false,
        })
        .collect();
    let r = s
        .record_batch_consented(
            k,
            &to(transfer),
            on,
            &subjects,
            (None, windows),
            false,
            |c, _| ok(c),
        )
        .unwrap();
    assert!(matches!(r, Recorded::Committed { .. }), "{r:?}");
}

/// The model: every (transfer, day) a person was carried.
#[derive(Default)]
struct Model(BTreeMap<u64, BTreeSet<(String, Date)>>);

impl Model {
    /// People any of `transfers` carried on a day from `from` to `to`.
    fn window(&self, transfers: &[&str], from: Date, to: Date) -> u64 {
        self.0
            .values()
            .filter(|days| {
                days.iter()
                    .any(|(t, d)| transfers.contains(&t.as_str()) && from <= *d && *d <= to)
            })
            .count() as u64
    }

    /// What first and last days per transfer-year can say of a window that
    /// neither starts on 1 January nor ends on 31 December of its one year:
    /// carried on or before `to` and on or after `from` that year.
    fn span(&self, transfers: &[&str], from: Date, to: Date) -> u64 {
        self.0
            .values()
            .filter(|days| {
                transfers.iter().any(|t| {
                    let mine: Vec<Date> = days
                        .iter()
                        .filter(|(x, d)| x == t && d.year() == from.year())
                        .map(|(_, d)| *d)
                        .collect();
                    mine.iter().any(|d| *d <= to) && mine.iter().any(|d| *d >= from)
                })
            })
            .count() as u64
    }
}

/// Forty batches of up to 5,000 people from a pool of 12,000, on random days
/// of 2025 and 2026 recorded out of date order, over two transfers: the days'
/// runs pass a chunk (4,096 records) and merge, combining each person's days.
/// Every 12-month window ending on the days tried, windows from 1 January and
/// to 31 December, equal the model; a window inside one year errs only high,
/// and exactly as first and last days allow.
fn windows_equal_the_model_across_years_and_merges(s: &Store, k: &Keys) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut model = Model::default();
    let start = date(2025, 1, 1);
    for i in 0..40 {
        let transfer = if i % 3 == 0 { "t2" } else { "t1" };
        let on = start
            .checked_add(jiff::Span::new().days(rng.below(730) as i64))
            .unwrap();
        let size = 500 + rng.below(4_500);
        let base = rng.below(12_000);
        let people: BTreeSet<u64> = (0..size)
            .map(|j| (base + j * (1 + rng.below(3))) % 12_000)
            .collect();
        let people: Vec<u64> = people.into_iter().collect();
        send(s, k, transfer, on.into(), &people);
        for p in &people {
            model
                .0
                .entry(*p)
                .or_default()
                .insert((transfer.to_string(), on));
        }
    }
    let twelve = jiff::Span::new().months(12);
    for transfers in [&["t1"][..], &["t2"], &["t1", "t2"]] {
        for m in 1..=12 {
            for d in [1, 15, 28] {
                let end = date(2026, m, d);
                let from = end.checked_sub(twelve).unwrap();
                assert_eq!(
                    s.delivered_between(transfers, from, end).unwrap(),
                    model.window(transfers, from, end),
                    "{transfers:?} {from}..={end}"
                );
            }
        }
        for (from, end) in [
            (date(2025, 1, 1), date(2025, 3, 31)),
            (date(2026, 1, 1), date(2026, 6, 30)),
            (date(2025, 7, 1), date(2025, 12, 31)),
            (date(2025, 6, 1), date(2026, 2, 28)),
            (date(2025, 1, 1), date(2026, 12, 31)),
            (date(2024, 6, 1), date(2024, 12, 31)),
        ] {
            assert_eq!(
                s.delivered_between(transfers, from, end).unwrap(),
                model.window(transfers, from, end),
                "{transfers:?} {from}..={end}"
            );
        }
        // Inside one year: never below the truth, exactly the days' answer.
        let (from, end) = (date(2026, 3, 10), date(2026, 9, 20));
        let got = s.delivered_between(transfers, from, end).unwrap();
        assert!(got >= model.window(transfers, from, end));
        assert_eq!(got, model.span(transfers, from, end), "{transfers:?}");
    }
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

/// The boundary, through a leap year: carried on 2024-12-31 (day 366) and
/// 2025-03-01, a person is in the 12 months to 2025-12-31 and not in those
/// to 2026-01-01; the window's first day counts.
fn a_person_leaves_the_window_the_day_after_twelve_months(s: &Store, k: &Keys) {
    send(s, k, "t1", date(2024, 12, 31).into(), &[1, 2]);
    send(s, k, "t1", date(2025, 3, 1).into(), &[2]);
    let window = |end: Date| {
        let from = end.checked_sub(jiff::Span::new().months(12)).unwrap();
        s.delivered_between(&["t1"], from, end).unwrap()
    };
    assert_eq!(window(date(2025, 12, 31)), 2);
    assert_eq!(window(date(2026, 1, 1)), 1);
    assert_eq!(window(date(2026, 3, 1)), 1);
    assert_eq!(window(date(2026, 3, 2)), 0);
    // Before anyone was carried, and a transfer that carried no one.
    assert_eq!(window(date(2024, 12, 30)), 0);
    assert_eq!(
        s.delivered_between(&["t9"], date(2024, 1, 1), date(2026, 12, 31))
            .unwrap(),
        0
    );
    // An empty or reversed window counts no one.
    assert_eq!(
        s.delivered_between(&["t1"], date(2025, 3, 2), date(2025, 3, 1))
            .unwrap(),
        0
    );
}

/// A batch recorded with its year alone may be on any day of it: every
/// window touching the year counts its people (high, never low), and a
/// later batch with a day does not narrow them.
fn a_batch_that_gives_only_its_year_counts_on_every_day_of_it(s: &Store, k: &Keys) {
    send(s, k, "t1", BatchDay::year(2025), &[1, 2, 3]);
    send(s, k, "t1", date(2025, 6, 1).into(), &[3, 4]);
    let n = |from: Date, to: Date| s.delivered_between(&["t1"], from, to).unwrap();
    assert_eq!(n(date(2025, 12, 31), date(2026, 12, 30)), 3);
    assert_eq!(n(date(2024, 1, 2), date(2025, 1, 1)), 3);
    assert_eq!(n(date(2025, 6, 2), date(2026, 6, 1)), 3);
    assert_eq!(n(date(2024, 6, 2), date(2025, 6, 1)), 4);
    assert_eq!(n(date(2026, 1, 1), date(2026, 12, 31)), 0);
}

/// The days of a transfer-year are committed like every key set: a run
/// removed behind the log is refused by the next window read (and by
/// `audit verify`), never read as a smaller count.
fn days_edited_behind_the_log_are_refused(s: &Store, k: &Keys) {
    send(s, k, "t1", date(2026, 2, 1).into(), &[1, 2, 3]);
    send(s, k, "t1", date(2026, 5, 1).into(), &[7]);
    let (from, end) = (date(2025, 8, 1), date(2026, 7, 31));
    assert_eq!(s.delivered_between(&["t1"], from, end).unwrap(), 4);
    let set = r#"["delivery_days","t1",2026]"#;
    for table in ["keyset_chunks", "keyset_runs"] {
        tamper(
            s,
            &format!(
                "DELETE FROM {table} WHERE set_name = '{set}' AND run = (SELECT MAX(run) FROM keyset_runs WHERE set_name = '{set}')"
            ),
        );
    }
    let e = s.delivered_between(&["t1"], from, end).unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{e}");
    assert!(e.to_string().contains("the days transfer"), "{e}");
    let problems = s.audit_verify(k).unwrap().problems;
    assert!(
        problems.iter().any(|p| p.contains("the days transfer")),
        "{problems:?}"
    );
}

both!(fixture "v14" as sqlite_v14, postgres_v14:
    people_carried_before_the_days_were_kept_count_on_any_day_of_their_year,
);

/// A store made before the days were kept (the schema 14 fixture, through
/// both moves): its deliveries count whenever their year touches the
/// window, before and after a new batch with a day joins their transfer-year.
fn people_carried_before_the_days_were_kept_count_on_any_day_of_their_year(s: &Store, k: &Keys) {
    assert_eq!(s.schema_version().unwrap(), 21);
    // crm carried 0..3000 in 2025 and 1500..6000 in 2026; hr 2000..2600 in 2025.
    let n = |t: &[&str], from: Date, to: Date| s.delivered_between(t, from, to).unwrap();
    assert_eq!(n(&["crm"], date(2025, 12, 1), date(2026, 1, 5)), 6_000);
    assert_eq!(n(&["crm"], date(2026, 1, 1), date(2026, 1, 5)), 4_500);
    assert_eq!(n(&["hr"], date(2025, 11, 30), date(2026, 11, 30)), 600);
    // A new crm batch on 2026-10-01: one old person and two new.
    send(
        s,
        k,
        "crm",
        date(2026, 10, 1).into(),
        &[1_500, 9_000, 9_001],
    );
    assert_eq!(n(&["crm"], date(2026, 1, 1), date(2026, 1, 5)), 4_500);
    assert_eq!(n(&["crm"], date(2026, 1, 1), date(2026, 10, 1)), 4_502);
    assert_eq!(n(&["crm"], date(2026, 10, 2), date(2026, 12, 31)), 4_500);
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

/// A transfer no gate counts windows over keeps no days: its people count
/// whenever their year touches a window. The first batch whose gate counts
/// one gives everyone already carried any day of the year, and from then on
/// every batch keeps its day, asked or not (else a person carried again
/// would keep an old last day, and a window would count low).
fn days_are_kept_once_a_gate_counts_windows_and_from_then_on(s: &Store, k: &Keys) {
    let n = |from: Date, to: Date| s.delivered_between(&["t1"], from, to).unwrap();
    send_asking(s, k, "t1", date(2026, 2, 1).into(), &[1, 2], &[]);
    assert_eq!(
        n(date(2026, 3, 1), date(2026, 3, 31)),
        2,
        "no days: the whole year"
    );
    let asking = DeliveryWindow::new(&["t1", "t2"], date(2026, 1, 1), date(2026, 1, 2));
    send_asking(s, k, "t1", date(2026, 4, 1).into(), &[3], &[asking]);
    assert_eq!(
        n(date(2026, 3, 1), date(2026, 3, 31)),
        2,
        "1 and 2 on any day"
    );
    assert_eq!(n(date(2026, 4, 1), date(2026, 12, 31)), 3);
    // Person 3 again on 2026-09-01 by a gate that asks nothing: still kept.
    send_asking(s, k, "t1", date(2026, 9, 1).into(), &[3], &[]);
    assert_eq!(n(date(2026, 8, 1), date(2027, 7, 31)), 3);
    assert_eq!(n(date(2025, 9, 2), date(2026, 8, 31)), 3);
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

/// A window with a limit is counted exactly below it and stops at it (the
/// gate's windows stop one past the largest US threshold): the answer is
/// the smaller of the limit and the exact count, with the batch's own
/// people, over runs of two years, merged and not.
fn a_window_with_a_limit_is_counted_up_to_it(s: &Store, k: &Keys) {
    let ps = |r: std::ops::Range<u64>| r.collect::<Vec<u64>>();
    send(s, k, "t1", date(2025, 12, 1).into(), &ps(0..40));
    send(s, k, "t1", date(2026, 2, 1).into(), &ps(20..60));
    s.merge_runs(k).unwrap();
    send(s, k, "t1", date(2026, 2, 2).into(), &ps(55..58));
    let span = || DeliveryWindow::new(&["t1"], date(2025, 3, 2), date(2026, 3, 1));
    let limits = [1, 2, 69, 70, 71, 500];
    let mut asked = vec![span()];
    asked.extend(limits.iter().map(|&l| span().up_to(l)));
    let subjects: Vec<Subject> = ps(50..70)
        .iter()
        .map(|p| Subject {
            hash: person(k, *p),
            sensitive: false,
        })
        .collect();
    let mut got = Vec::new();
    let r = s
        .record_batch_consented(
            k,
            &to("t1"),
            date(2026, 3, 1).into(),
            &subjects,
            (None, &asked),
            false,
            |c, n| {
                got = n.to_vec();
                ok(c)
            },
        )
        .unwrap();
    assert!(matches!(r, Recorded::Committed { .. }), "{r:?}");
    let mut want = vec![70];
    want.extend(limits.iter().map(|&l| l.min(70)));
    assert_eq!(got, want);
    // Read outside a batch, the same.
    for (l, w) in limits.iter().zip(&want[1..]) {
        assert_eq!(s.delivered_up_to(&span().up_to(*l)).unwrap(), *w);
    }
    assert_eq!(s.delivered_up_to(&span()).unwrap(), 70);
    assert!(
        span()
            .up_to(7)
            .same_span(&["t1"], date(2025, 3, 2), date(2026, 3, 1))
    );
    assert!(!span().same_span(&["t1", "t2"], date(2025, 3, 2), date(2026, 3, 1)));
    assert!(!span().same_span(&["t1"], date(2025, 3, 3), date(2026, 3, 1)));
}
