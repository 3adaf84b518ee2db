//! The kept key sets of groups of exporters: exact through changes of
//! grouping (an exporter alone, in one group, in another, in the first
//! again), across years and merges, against a plain model of sets; and a
//! group set edited behind the log's back is refused or reported.

use crate::keysets::Rng;
use std::collections::{BTreeSet, HashMap};

use outbound_store::{BatchRecord, Keys, Recorded, Store, Subject};

use crate::store::{ok, record, tamper};

both!(
    groups_equal_the_model_through_changes_of_grouping,
    a_group_set_edited_behind_the_log_is_refused_or_reported,
);

/// Per exporter and year: who is counted, and who with sensitive PI.
#[derive(Default)]
struct Model {
    all: HashMap<(String, i16), BTreeSet<u64>>,
    sensitive: HashMap<(String, i16), BTreeSet<u64>>,
}

impl Model {
    fn add(&mut self, exporter: &str, year: i16, people: &[(u64, bool)]) -> (u64, u64) {
        let key = (exporter.to_string(), year);
        let (a, s) = (
            self.all.entry(key.clone()).or_default(),
            self.sensitive.entry(key).or_default(),
        );
        let (a0, s0) = (a.len(), s.len());
        for (p, sensitive) in people {
            a.insert(*p);
            if *sensitive {
                s.insert(*p);
            }
        }
        ((a.len() - a0) as u64, (s.len() - s0) as u64)
    }

    fn count(&self, exporters: &[&str], years: std::ops::RangeInclusive<i16>) -> (u64, u64) {
        let union = |sets: &HashMap<(String, i16), BTreeSet<u64>>| {
            let mut u: BTreeSet<u64> = BTreeSet::new();
            for e in exporters {
                for y in years.clone() {
                    if let Some(s) = sets.get(&(e.to_string(), y)) {
                        u.extend(s);
                    }
                }
            }
            u.len() as u64
        };
        (union(&self.all), union(&self.sensitive))
    }
}

fn subjects(keys: &Keys, people: &[(u64, bool)]) -> Vec<Subject> {
    people
        .iter()
        .map(|(p, sensitive)| Subject {
            hash: keys.subject_hash(format!("person-{p}").as_bytes()),
            sensitive: *sensitive,
        })
        .collect()
}

fn rec(exporters: &[&str]) -> BatchRecord {
    BatchRecord {
        exporters: exporters.iter().map(|e| e.to_string()).collect(),
        ..record("t")
    }
}

/// Groupings in turn: the batch is recorded under the first exporter.
const GROUPINGS: &[&[&str]] = &[
    &["a"],
    &["a", "b"],
    &["a", "c"],
    &["a", "b"],
    &["b"],
    &["c", "a"],
    &["b", "c", "a"],
    &["b", "a"],
];

/// 48 batches of up to 3,000 people from a pool of 16,000, over three
/// exporters judged alone and in four groups in turn, in 2025, then 2026
/// with some backdated to 2025 (so a kept year changes under its
/// neighbour's overlap): sets span chunks, runs merge, and every batch's
/// counts and every read afterwards equal the model's; the log verifies.
fn groups_equal_the_model_through_changes_of_grouping(s: &Store, k: &Keys) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut m = Model::default();
    for i in 0..48usize {
        let year: i16 = if i < 16 || i % 11 == 10 { 2025 } else { 2026 };
        let group = GROUPINGS[i % GROUPINGS.len()];
        let n = 1 + rng.below(3_000);
        let people: Vec<(u64, bool)> = (0..n)
            .map(|_| (rng.below(16_000), rng.below(10) == 0))
            .collect();
        let r = s
            .record_batch(k, &rec(group), year, &subjects(k, &people), false, ok)
            .unwrap();
        let Recorded::Committed { counts, .. } = r else {
            panic!("batch {i}: {r:?}")
        };
        let new = m.add(group[0], year, &people);
        let got = |c: outbound_store::Counts| (c.individuals, c.sensitive_individuals);
        assert_eq!(got(counts.new), new, "batch {i} {group:?}: new");
        assert_eq!(
            got(counts.current_year),
            m.count(group, year..=year),
            "batch {i} {group:?} {year}: this year"
        );
        assert_eq!(
            got(counts.previous_and_current_year),
            m.count(group, year - 1..=year),
            "batch {i} {group:?} {year}: from 1 January of the previous year"
        );
    }
    assert!(
        m.all[&("a".to_string(), 2026)].len() > 4096,
        "the sets span several chunks"
    );
    // Reads after the fact: kept groups, a group never judged (streamed),
    // one and two years, wider windows, years with nobody.
    for g in [
        &["a", "b"][..],
        &["a", "c"],
        &["a", "b", "c"],
        &["b", "c"],
        &["c", "b", "a"],
        &["a", "a"],
        &["b", "a", "b"],
    ] {
        for (from, to) in [
            (2025, 2025),
            (2026, 2026),
            (2025, 2026),
            (2026, 2027),
            (2024, 2025),
            (2024, 2027),
        ] {
            let owned: Vec<String> = g.iter().map(|e| e.to_string()).collect();
            let c = s.counts(&owned, from, to).unwrap();
            assert_eq!(
                (c.individuals, c.sensitive_individuals),
                m.count(g, from..=to),
                "{g:?} {from}..={to}"
            );
        }
    }
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

/// A few batches that build and maintain the kept sets of {a, b}.
fn setup(s: &Store, k: &Keys) {
    for (i, g) in [&["a"][..], &["a", "b"], &["b"], &["a", "b"]]
        .into_iter()
        .enumerate()
    {
        let from = i as u64 * 3_000;
        let people: Vec<(u64, bool)> = (from..from + 5_000).map(|p| (p, p % 7 == 0)).collect();
        let r = s
            .record_batch(k, &rec(g), 2026, &subjects(k, &people), false, ok)
            .unwrap();
        assert!(matches!(r, Recorded::Committed { .. }), "{r:?}");
    }
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

/// The next batch, of `a` alone or for the group, is refused as tampering.
fn refused(s: &Store, k: &Keys, g: &[&str], what: &str) {
    let before = s.batch_count().unwrap();
    let r = s.record_batch(
        k,
        &rec(g),
        2026,
        &subjects(k, &[(90_000, false)]),
        false,
        ok,
    );
    let Err(e) = r else {
        panic!("{what}: recorded on a tampered group set: {r:?}")
    };
    assert!(e.to_string().contains("does not verify"), "{what}: {e}");
    assert_eq!(s.batch_count().unwrap(), before, "{what}");
}

/// Every edit of a kept group set that changes its run list is refused by
/// the next batch that would maintain or read it (of a member alone too),
/// and found by `audit verify`; one that keeps every count (a key replaced
/// in place, a set added for a group never judged) is found by `audit
/// verify`, which checks every group set against its members' union.
fn a_group_set_edited_behind_the_log_is_refused_or_reported(s: &Store, _k: &Keys) {
    let blob = |b: &[u8]| crate::store::blob(s, b);
    let cases: Vec<(&str, String, &[&[&str]])> = vec![
        (
            "a group's runs deleted",
            r#"DELETE FROM keyset_runs WHERE set_name LIKE '["group",%'"#.into(),
            &[&["a"], &["a", "b"]],
        ),
        (
            "a group's sensitive run's count edited",
            r#"UPDATE keyset_runs SET records = records - 1 WHERE set_name LIKE '["group_sensitive",%'"#
                .into(),
            &[&["a"], &["b", "a"]],
        ),
        (
            "a key of the group replaced in place",
            format!(
                r#"UPDATE keyset_chunks SET first_key = {0}, records = {0} || substr(records, 17) WHERE set_name LIKE '["group",%' AND chunk = 0"#,
                blob(&[0; 16])
            ),
            &[],
        ),
        (
            "a set for a group never judged",
            r#"INSERT INTO keyset_runs (set_name, run, records, chunks) SELECT '["group",["a","c"],2026]', run, records, chunks FROM keyset_runs WHERE set_name = '["group",["a","b"],2026]'"#
                .into(),
            &[&["a", "c"]],
        ),
    ];
    for (what, sql, refused_by) in cases {
        let Some((s, k, _d)) = crate::store::fresh(s.backend == outbound_store::Backend::Postgres)
        else {
            return;
        };
        setup(&s, &k);
        tamper(&s, &sql);
        for g in refused_by {
            refused(&s, &k, g, what);
        }
        let p = s.audit_verify(&k).unwrap().problems;
        assert!(!p.is_empty(), "{what}: `audit verify` found nothing");
    }
}

/// Two gates on one store at once, one recording `a`'s batches judged for
/// {a, b}, the other `b`'s alone and for {b, a} in turn, people shared, each
/// merging the runs after its batch as `outbound gate` does: the group's
/// kept sets stay exact while the writers wait on each other's lock and
/// merges run between their batches.
mod concurrent {
    use super::*;

    fn run(pg: bool) {
        let Some((s, k, d)) = crate::store::fresh(pg) else {
            return;
        };
        let location = if pg {
            s.location.replace("***", "")
        } else {
            s.location.clone()
        };
        let keys_dir = d.path().join("keys");
        let size = 3_000u64;
        let plan = move |g: u64, b: u64| (b * 2 + g) * size / 2;
        let handles: Vec<_> = (0..2u64)
            .map(|g| {
                let (location, keys_dir) = (location.clone(), keys_dir.clone());
                std::thread::spawn(move || {
                    let store = Store::open(&location).unwrap();
                    let keys = Keys::load(&keys_dir).unwrap();
                    let mut merges = 0;
                    for b in 0..4u64 {
                        let grouping: &[&str] = match (g, b % 2) {
                            (0, _) => &["a", "b"],
                            (_, 0) => &["b"],
                            _ => &["b", "a"],
                        };
                        let from = plan(g, b);
                        let people: Vec<(u64, bool)> =
                            (from..from + size).map(|p| (p, p % 5 == 0)).collect();
                        let r = store
                            .record_batch(
                                &keys,
                                &rec(grouping),
                                2026,
                                &subjects(&keys, &people),
                                false,
                                ok,
                            )
                            .unwrap();
                        assert!(matches!(r, Recorded::Committed { .. }), "{r:?}");
                        merges += store.merge_runs(&keys).unwrap().merges;
                    }
                    merges
                })
            })
            .collect();
        let merges: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(merges > 0, "the runs were merged while gates recorded");
        let mut all = BTreeSet::new();
        for g in 0..2 {
            for b in 0..4 {
                all.extend(plan(g, b)..plan(g, b) + size);
            }
        }
        let sensitive = all.iter().filter(|p| *p % 5 == 0).count() as u64;
        let c = s.counts(&["b".into(), "a".into()], 2025, 2026).unwrap();
        assert_eq!(
            (c.individuals, c.sensitive_individuals),
            (all.len() as u64, sensitive)
        );
        let v = s.audit_verify(&k).unwrap();
        assert!(v.problems.is_empty(), "{:?}", v.problems);
    }

    #[test]
    fn sqlite_two_gates() {
        run(false)
    }

    #[test]
    fn postgres_two_gates() {
        run(true)
    }
}
