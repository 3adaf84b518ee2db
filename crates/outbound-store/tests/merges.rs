//! Merges of key set runs in transactions of their own (`Store::merge_runs`):
//! a batch merges nothing below the run limit, the merges due are done
//! later with their own audit entries, counts never move, and a set nobody
//! merges stays bounded by the limit. Both backends.

use outbound_store::{BatchCounts, Keys, Recorded, Store};

use crate::store::{behind, fresh, ok, record, subjects};

/// The runs of each of the exporter's and the transfer's 2026 sets.
fn runs(s: &Store) -> (i64, i64) {
    behind(s, |pool| async move {
        let n = |set: &'static str| {
            let pool = pool.clone();
            async move {
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM keyset_runs WHERE set_name = '{set}'"
                )))
                .fetch_one(&pool)
                .await
                .unwrap();
                n
            }
        };
        (
            n(r#"["subjects","acme-cn",2026]"#).await,
            n(r#"["deliveries","t",2026]"#).await,
        )
    })
}

fn people(k: &Keys, from: usize, to: usize) -> Vec<outbound_store::Subject> {
    let ids: Vec<String> = (from..to).map(|i| format!("p{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    subjects(k, &ids, false)
}

/// The counts a dry run of `batch` would see.
fn counts(s: &Store, k: &Keys, batch: &[outbound_store::Subject]) -> BatchCounts {
    match s
        .record_batch(k, &record("t"), 2026, batch, true, ok)
        .unwrap()
    {
        Recorded::DryRun { counts } => counts,
        other => panic!("{other:?}"),
    }
}

fn merged_later_with_their_own_entries(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    for i in 0..8 {
        s.record_batch(
            &k,
            &record("t"),
            2026,
            &people(&k, i * 100, i * 100 + 100),
            false,
            ok,
        )
        .unwrap();
        // A batch writes its run and merges nothing.
        assert_eq!(runs(&s), (i as i64 + 1, i as i64 + 1), "batch {i}");
    }
    let everyone = people(&k, 0, 800);
    let before = counts(&s, &k, &everyone);
    assert_eq!(before.current_year.individuals, 800);
    let entries = s.audit_entries().unwrap().len();

    let m = s.merge_runs(&k).unwrap();
    // Eight runs of 100 are one run of 800 after 7 merges, in each set.
    assert_eq!(runs(&s), (1, 1));
    assert_eq!((m.parts, m.merges), (2, 14), "{m:?}");
    assert_eq!(m.records, 2 * (200 * 4 + 400 * 2 + 800), "{m:?}");
    let after = s.audit_entries().unwrap();
    let kinds: Vec<&str> = after[entries..].iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["ledger_merged", "ledger_merged"]);
    assert!(
        after[entries..].iter().all(|e| !e.body.contains("p1")),
        "no subject in an entry"
    );
    // Counts unchanged, the log verifies, the part's new digest is committed.
    let json = |c: &BatchCounts| serde_json::to_value(c).unwrap();
    assert_eq!(json(&counts(&s, &k, &everyone)), json(&before));
    let report = s.audit_verify(&k).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // Nothing due: nothing written.
    assert_eq!(s.merge_runs(&k).unwrap(), outbound_store::Merged::default());
    assert_eq!(s.audit_entries().unwrap().len(), after.len());

    // The next batch counts against the merged run.
    let r = s
        .record_batch(&k, &record("t"), 2026, &people(&k, 700, 900), false, ok)
        .unwrap();
    let Recorded::Committed { counts, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        (counts.new.individuals, counts.current_year.individuals),
        (100, 900)
    );
}

/// A set that nobody merges is merged inside the batch once it passes the
/// run limit, so look-ups never read more than the limit's runs.
fn unmerged_sets_stay_bounded(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    let mut most = 0;
    for i in 0..40 {
        s.record_batch(&k, &record("t"), 2026, &people(&k, i, i + 1), false, ok)
            .unwrap();
        let (a, b) = runs(&s);
        most = most.max(a).max(b);
    }
    // A batch that makes a 25th run merges while merges are due (runs of one
    // each collapse to a binary counter's few): never more than 24 after it.
    assert_eq!(most, 24);
    let r = s.record_batch(&k, &record("t"), 2026, &people(&k, 0, 41), true, ok);
    let Recorded::DryRun { counts } = r.unwrap() else {
        panic!()
    };
    assert_eq!(
        (counts.new.individuals, counts.current_year.individuals),
        (1, 41)
    );
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { super::$name(false) } )* }
        mod postgres { $( #[test] fn $name() { super::$name(true) } )* }
    };
}

both!(
    merged_later_with_their_own_entries,
    unmerged_sets_stay_bounded
);
