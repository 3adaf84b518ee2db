//! The ledger's key sets at a size where their structures work: runs of many
//! chunks, merged as batches arrive, looked up across runs, across years and
//! across a group's exporters, always equal to a plain model of sets.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use outbound_store::{BatchRecord, Keys, Recorded, Store, Subject};

use crate::store::{behind, ok, record};

both!(
    counts_equal_the_model_through_merges_years_and_groups,
    membership_is_exact_per_transfer_and_year,
    a_runs_kept_index_is_checked_like_its_chunks,
);

/// A small deterministic generator (xorshift), so a failure replays; the
/// store's model tests share it.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The model: per exporter and year, who is counted and who with sensitive PI.
#[derive(Default)]
struct Model {
    all: HashMap<(String, i16), BTreeSet<u64>>,
    sensitive: HashMap<(String, i16), BTreeSet<u64>>,
}

impl Model {
    fn union(
        &self,
        sets: &HashMap<(String, i16), BTreeSet<u64>>,
        exporters: &[&str],
        years: &[i16],
    ) -> u64 {
        let mut u: BTreeSet<u64> = BTreeSet::new();
        for e in exporters {
            for y in years {
                if let Some(s) = sets.get(&(e.to_string(), *y)) {
                    u.extend(s);
                }
            }
        }
        u.len() as u64
    }
}

fn batch(keys: &Keys, people: &[(u64, bool)]) -> Vec<Subject> {
    people
        .iter()
        .map(|(p, sensitive)| Subject {
            hash: keys.subject_hash(format!("person-{p}").as_bytes()),
            sensitive: *sensitive,
        })
        .collect()
}

fn rec(exporters: &[&str], transfer: &str) -> BatchRecord {
    BatchRecord {
        exporters: exporters.iter().map(|e| e.to_string()).collect(),
        ..record(transfer)
    }
}

/// 40 batches of up to 3,000 people drawn from 20,000, over two exporters
/// (one also counted as a group with the other) and two years, some with
/// sensitive PI: sets grow past a chunk, runs merge, and after every batch
/// the counts the batch saw, and those read afterwards, equal the model's.
fn counts_equal_the_model_through_merges_years_and_groups(s: &Store, k: &Keys) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut m = Model::default();
    for i in 0..40 {
        let year: i16 = if i < 14 { 2025 } else { 2026 };
        let (exporter, group): (&str, Vec<&str>) = if i % 5 == 4 {
            ("b", vec!["b", "a"])
        } else {
            ("a", vec!["a"])
        };
        let n = 1 + rng.below(3_000);
        let people: Vec<(u64, bool)> = (0..n)
            .map(|_| (rng.below(20_000), rng.below(10) == 0))
            .collect();
        let r = s
            .record_batch(k, &rec(&group, "t"), year, &batch(k, &people), false, ok)
            .unwrap();
        // Runs merged in their own transactions after every third batch (as
        // the gate does after each); unmerged between.
        if i % 3 == 2 {
            s.merge_runs(k).unwrap();
        }
        let key = (exporter.to_string(), year);
        let before = (
            m.all.get(&key).map_or(0, BTreeSet::len),
            m.sensitive.get(&key).map_or(0, BTreeSet::len),
        );
        for (p, sensitive) in &people {
            m.all.entry(key.clone()).or_default().insert(*p);
            if *sensitive {
                m.sensitive.entry(key.clone()).or_default().insert(*p);
            }
        }
        let Recorded::Committed { counts, .. } = r else {
            panic!("batch {i}: {r:?}")
        };
        let distinct: BTreeSet<u64> = people.iter().map(|p| p.0).collect();
        assert_eq!(
            counts.batch.individuals,
            distinct.len() as u64,
            "batch {i}: in the batch"
        );
        assert_eq!(
            (counts.new.individuals, counts.new.sensitive_individuals),
            (
                (m.all[&key].len() - before.0) as u64,
                (m.sensitive.get(&key).map_or(0, BTreeSet::len) - before.1) as u64
            ),
            "batch {i}: new"
        );
        let years = [year - 1, year];
        assert_eq!(
            (
                counts.current_year.individuals,
                counts.current_year.sensitive_individuals
            ),
            (
                m.union(&m.all, &group, &[year]),
                m.union(&m.sensitive, &group, &[year])
            ),
            "batch {i}: this year"
        );
        assert_eq!(
            (
                counts.previous_and_current_year.individuals,
                counts.previous_and_current_year.sensitive_individuals
            ),
            (
                m.union(&m.all, &group, &years),
                m.union(&m.sensitive, &group, &years)
            ),
            "batch {i}: from 1 January of the previous year"
        );
    }
    // Reads after the fact: kept counts, two-year windows, groups, wider windows.
    for (exporters, from, to) in [
        (vec!["a"], 2025, 2025),
        (vec!["a"], 2026, 2026),
        (vec!["a"], 2025, 2026),
        (vec!["b"], 2025, 2026),
        (vec!["a", "b"], 2026, 2026),
        (vec!["a", "b"], 2024, 2027),
    ] {
        let owned: Vec<String> = exporters.iter().map(|e| e.to_string()).collect();
        let years: Vec<i16> = (from..=to).collect();
        let c = s.counts(&owned, from, to).unwrap();
        assert_eq!(
            (c.individuals, c.sensitive_individuals),
            (
                m.union(&m.all, &exporters, &years),
                m.union(&m.sensitive, &exporters, &years)
            ),
            "{exporters:?} {from}..={to}"
        );
    }
    assert!(
        m.all[&("a".to_string(), 2026)].len() > 4096,
        "the sets span several chunks"
    );
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

/// Which transfers carried whom, and the first batch of each year, across many
/// runs, against the model; refused batches carry no one.
fn membership_is_exact_per_transfer_and_year(s: &Store, k: &Keys) {
    let mut rng = Rng(7);
    // (transfer, year) -> person -> first batch
    let mut first: BTreeMap<(String, i64), BTreeMap<u64, u64>> = BTreeMap::new();
    for i in 0..24 {
        let transfer = ["t1", "t2", "t3"][(i % 3) as usize];
        let year: i16 = if i < 12 { 2025 } else { 2026 };
        let mut people: Vec<(u64, bool)> = (0..1 + rng.below(2_500))
            .map(|_| (rng.below(9_000), false))
            .collect();
        if transfer == "t3" {
            // People only t3 carries, some in batches that count no one.
            people.extend((0..100).map(|_| (9_000 + rng.below(600), false)));
        }
        let refused = i % 7 == 6;
        // Some of t3's batches count no one (outside the regime): they still
        // record who they carried, and withdraw the claim that t3's
        // deliveries are all counted, so its later batches look everyone up.
        let mut this = rec(&["a"], transfer);
        this.counts_towards_thresholds = !(transfer == "t3" && i % 6 == 5);
        let r = s
            .record_batch(k, &this, year, &batch(k, &people), false, |c| {
                if refused {
                    Err("refused".into())
                } else {
                    ok(c)
                }
            })
            .unwrap();
        match r {
            Recorded::Committed { batch: id, .. } => {
                let e = first
                    .entry((transfer.to_string(), i64::from(year)))
                    .or_default();
                for (p, _) in &people {
                    e.entry(*p).or_insert(id);
                }
            }
            Recorded::Refused { .. } => assert!(refused),
            other => panic!("{other:?}"),
        }
    }
    for ((t, y), people) in &first {
        assert_eq!(
            s.deliveries_count(t, *y).unwrap(),
            people.len() as u64,
            "{t} {y}"
        );
    }
    // Every seventh person of the pool, and some nobody sent.
    for p in (0..9_600).step_by(7).chain(9_600..9_610) {
        let got: BTreeSet<(String, i64, u64)> = s
            .deliveries_of(&k.subject_hash(format!("person-{p}").as_bytes()))
            .unwrap()
            .into_iter()
            .map(|d| (d.transfer, d.year, d.first_batch))
            .collect();
        let want: BTreeSet<(String, i64, u64)> = first
            .iter()
            .filter_map(|((t, y), people)| people.get(&p).map(|b| (t.clone(), *y, *b)))
            .collect();
        assert_eq!(got, want, "person {p}");
    }
    let transfers = ["t1", "t2"];
    let want: BTreeSet<u64> = first
        .iter()
        .filter(|((t, _), _)| transfers.contains(&t.as_str()))
        .flat_map(|(_, people)| people.keys().copied())
        .collect();
    assert_eq!(
        s.delivered_distinct(&transfers, 2025, 2026).unwrap(),
        want.len() as u64
    );
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

/// Several gates on one store at once (two and four, on both backends),
/// batches of thousands of people overlapping across gates, each gate
/// merging the ledger's runs after its batch as `outbound gate` does, so
/// merges run while other gates record batches (and find the merge lock
/// taken): the count is exact, every batch committed once, merges happened,
/// and the log verifies.
mod concurrent_at_scale {
    use super::*;

    fn run(pg: bool, gates: u64) {
        let Some((s, k, d)) = crate::store::fresh(pg) else {
            return;
        };
        let location = if pg {
            s.location.replace("***", "")
        } else {
            s.location.clone()
        };
        let keys_dir = d.path().join("keys");
        let per_gate = 5u64;
        let size = 6_000u64;
        let handles: Vec<_> = (0..gates)
            .map(|g| {
                let (location, keys_dir) = (location.clone(), keys_dir.clone());
                std::thread::spawn(move || {
                    let store = Store::open(&location).unwrap();
                    let keys = Keys::load(&keys_dir).unwrap();
                    let mut merges = 0;
                    for b in 0..per_gate {
                        // Half of each batch is shared with the next gate's batch of the same number.
                        let from = (b * gates + g) * size / 2;
                        let people: Vec<(u64, bool)> =
                            (from..from + size).map(|p| (p, p % 11 == 0)).collect();
                        let r = store
                            .record_batch(
                                &keys,
                                &record("t"),
                                2026,
                                &batch(&keys, &people),
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
        for g in 0..gates {
            for b in 0..per_gate {
                let from = (b * gates + g) * size / 2;
                all.extend(from..from + size);
            }
        }
        let sensitive = all.iter().filter(|p| *p % 11 == 0).count() as u64;
        let c = s.counts(&["acme-cn".into()], 2026, 2026).unwrap();
        assert_eq!(
            (c.individuals, c.sensitive_individuals),
            (all.len() as u64, sensitive),
            "exact, no lost update"
        );
        assert_eq!(s.batch_count().unwrap(), gates * per_gate);
        assert_eq!(s.deliveries_count("t", 2026).unwrap(), all.len() as u64);
        let v = s.audit_verify(&k).unwrap();
        assert!(v.problems.is_empty(), "{:?}", v.problems);
        assert_eq!(
            v.entries,
            gates * per_gate + merges,
            "a batch or a merge each"
        );
        // What the merges left is one set of runs: after them, nothing is due
        // that a last merge would not do, and the count stays.
        s.merge_runs(&k).unwrap();
        assert_eq!(
            s.counts(&["acme-cn".into()], 2026, 2026)
                .unwrap()
                .individuals,
            all.len() as u64
        );
    }

    #[test]
    fn sqlite_two_gates() {
        run(false, 2)
    }

    #[test]
    fn sqlite_four_gates() {
        run(false, 4)
    }

    #[test]
    fn postgres_two_gates() {
        run(true, 2)
    }

    #[test]
    fn postgres_four_gates() {
        run(true, 4)
    }
}

/// The subjects run's kept index (schema 18: every chunk's first key and
/// digest in the run's row), read as raw bytes or written back, behind the
/// store's back.
fn subjects_index(s: &Store, set: Option<Option<Vec<u8>>>) -> Option<Vec<u8>> {
    behind(s, |pool| async move {
        use sqlx::Row;
        let which = "set_name LIKE '[\"subjects\"%'";
        if let Some(v) = set {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE keyset_runs SET chunk_index = $1 WHERE {which}"
            )))
            .bind(v)
            .execute(&pool)
            .await
            .unwrap();
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT chunk_index FROM keyset_runs WHERE {which}"
        )))
        .fetch_one(&pool)
        .await
        .unwrap()
        .get::<Option<Vec<u8>>, _>(0)
    })
}

/// A run's kept index is committed like its chunks' rows: a digest edited
/// in it, or an index of the wrong length, refuses the next batch and is
/// named by `audit verify`; a first key moved in it is named by verify (a
/// look-up it misleads can only count someone again, never miss a count:
/// a key is found only in records that match their digest). An index
/// removed is read from the chunks' rows again, exactly.
fn a_runs_kept_index_is_checked_like_its_chunks(s: &Store, k: &Keys) {
    let people: Vec<(u64, bool)> = (0..10_000).map(|p| (p, false)).collect();
    let r = rec(&["e"], "t");
    s.record_batch(k, &r, 2026, &batch(k, &people), false, ok)
        .unwrap();
    let kept = subjects_index(s, None).expect("a new run keeps its index");
    assert_eq!(kept.len(), 3 * 48, "three chunks of 10,000 keys");
    let again = |s: &Store| s.record_batch(k, &r, 2026, &batch(k, &people[..5_000]), true, ok);
    let clean = |s: &Store| s.audit_verify(k).unwrap().problems;
    assert!(clean(s).is_empty());
    let mut digest = kept.clone();
    digest[48 + 20] ^= 1;
    let mut first = kept.clone();
    first[48 + 15] ^= 1;
    for (what, edited) in [
        ("a digest", Some(digest)),
        ("its length", Some(kept[..96].to_vec())),
        ("a first key", Some(first)),
    ] {
        subjects_index(s, Some(edited));
        if what != "a first key" {
            let e = again(s).unwrap_err();
            assert!(
                matches!(e, outbound_store::StoreError::Tampered { .. }),
                "{what}: {e}"
            );
        }
        assert!(!clean(s).is_empty(), "{what} edited: verify found nothing");
        subjects_index(s, Some(Some(kept.clone())));
        assert!(clean(s).is_empty(), "{what} put back");
    }
    subjects_index(s, Some(None));
    match again(s).unwrap() {
        Recorded::DryRun { counts } => assert_eq!(counts.new.individuals, 0),
        other => panic!("{other:?}"),
    }
    assert!(clean(s).is_empty());
}
